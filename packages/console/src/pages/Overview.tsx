/**
 * Overview: traffic over the last hour, day or week (from the usage API), the health of the edge
 * and each service, and the routes loaded from datahub.yaml.
 */
import { useState } from "preact/hooks";
import { DataHubError } from "@datahub/client";
import { healthReport } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { UsagePanel } from "../components/UsagePanel";
import { rateLimit } from "../format";
import { useLoad, useTitle } from "../hooks";
import { can } from "../scopes";
import { useSession } from "../session";
import { Scroll } from "../components/Scroll";

function Health() {
  const health = useLoad(() => healthReport(), []);
  return (
    <section aria-labelledby="health-h">
      <h2 id="health-h">Service health</h2>
      <ErrorMessage error={health.error} context="Health could not be read" />
      {health.data && (
        <table>
          <caption class="sr-only">Readiness of the edge and of each service, seen from the edge</caption>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {health.data.services.map((s) => (
              <tr key={s.name}>
                <th scope="row">{s.name}</th>
                <td>
                  <span class={`badge ${s.status === "serving" ? "ok" : "bad"}`}>{s.status.replace("_", " ")}</span>
                  {s.checks && Object.entries(s.checks).filter(([, ok]) => !ok).map(([name]) => <span key={name} class="muted"> {name} failing</span>)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" onClick={health.reload} disabled={health.loading}>
        Refresh
      </button>
    </section>
  );
}

function Routes() {
  const { client } = useSession();
  const routes = useLoad(() => client.routes.list(), []);
  const refused = routes.error instanceof DataHubError && routes.error.status === 403;
  return (
    <section aria-labelledby="routes-h">
      <h2 id="routes-h">Routes</h2>
      {refused ? <p class="muted">Your key cannot see the routes (it needs the scope routes:read).</p> : <ErrorMessage error={routes.error} context="Routes could not be read" />}
      {routes.data && (
        <>
          <p class="muted">From {routes.data.source ?? "no datahub.yaml"}.</p>
          {routes.data.data.length === 0 ? (
            <p>No routes are configured.</p>
          ) : (
            <Scroll label="Routes">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Path</th>
                    <th scope="col">Methods</th>
                    <th scope="col">Upstream</th>
                    <th scope="col">Access</th>
                    <th scope="col">Rate limit</th>
                  </tr>
                </thead>
                <tbody>
                  {routes.data.data.map((r) => (
                    <tr key={r.name}>
                      <th scope="row">{r.name}</th>
                      <td>
                        <code>{r.path}</code>
                      </td>
                      <td>{r.methods ? r.methods.join(", ") : "any"}</td>
                      <td>
                        <code>{r.upstream}</code>
                      </td>
                      <td>{r.public ? "public" : r.scopes.length ? r.scopes.join(", ") : "any key"}</td>
                      <td>{rateLimit(r.rateLimit)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
          )}
        </>
      )}
    </section>
  );
}

/** The overview page. */
export function Overview() {
  useTitle("Overview");
  const { session } = useSession();
  const [range, setRange] = useState<"hour" | "day" | "week">("hour");
  return (
    <>
      <h1>Overview</h1>
      <p class="muted">
        Signed in as <strong>{session.key.name}</strong>, org <code>{session.key.orgId}</code>.
      </p>
      {can(session, "logs:read") ? <UsagePanel range={range} onRange={setRange} /> : <p class="muted">Your key cannot read usage (it needs the scope logs:read).</p>}
      <div class="grid2">
        <Health />
        <Routes />
      </div>
    </>
  );
}
