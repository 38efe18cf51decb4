/**
 * The SSRF guard without any allow-listed range: every forbidden kind of address is refused when
 * an endpoint is created, and again at connect time (a URL that got past creation, as after DNS
 * rebinding, is refused by the sender's guarded lookup). Only 127.0.0.1 is ever dialled.
 */
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { webhooks } from "@datahub/proto";
import { GrpcStatus } from "@datahub/runtime";
import { eventually } from "@datahub/runtime/testing";
import { newOrg, startReceiver, startWebhooks, type Receiver, type WebhooksHarness } from "./harness";

let h: WebhooksHarness;
let rx: Receiver;

beforeAll(async () => {
  h = await startWebhooks({ DATAHUB_WEBHOOKS_ALLOW_CIDRS: "", DATAHUB_WEBHOOKS_RETRY_SCHEDULE: "50ms" });
  rx = await startReceiver();
});
afterAll(async () => {
  await h?.close();
  await rx?.close();
});

const data = (v: unknown) => fromJson(ValueSchema, v as never);

const FORBIDDEN: Array<[string, string]> = [
  ["IPv4 loopback", "http://127.0.0.1/hook"],
  ["IPv4 loopback, other address", "http://127.9.9.9:8080/hook"],
  ["loopback in legacy hex form", "http://0x7f.1/hook"],
  ["loopback as a decimal integer", "http://2130706433/hook"],
  ["localhost (resolves to loopback)", "http://localhost/hook"],
  ["RFC 1918 10/8", "http://10.0.0.1/"],
  ["RFC 1918 172.16/12", "http://172.16.5.4/"],
  ["RFC 1918 192.168/16", "http://192.168.1.1/"],
  ["link-local / cloud metadata", "http://169.254.169.254/latest/meta-data/"],
  ["CGNAT 100.64/10", "http://100.64.0.1/"],
  ["unspecified 0.0.0.0", "http://0.0.0.0/"],
  ["multicast", "http://224.0.0.1/"],
  ["broadcast", "http://255.255.255.255/"],
  ["reserved 240/4", "http://240.0.0.1/"],
  ["IPv6 loopback", "http://[::1]/"],
  ["IPv6 unspecified", "http://[::]/"],
  ["IPv6 ULA fc00::/7", "http://[fd12:3456::1]/"],
  ["IPv6 link-local", "http://[fe80::1]/"],
  ["IPv6 multicast", "http://[ff02::1]/"],
  ["IPv4-mapped loopback", "http://[::ffff:127.0.0.1]/"],
  ["IPv4-mapped metadata", "http://[::ffff:a9fe:a9fe]/"],
  ["NAT64 of loopback", "http://[64:ff9b::7f00:1]/"],
  ["6to4 of a private address", "http://[2002:c0a8:101::1]/"],
  ["IPv4-compatible metadata", "http://[::169.254.169.254]/"],
  ["IPv4-compatible loopback", "http://[::7f00:1]:8080/"],
  ["IPv4-translated loopback", "http://[::ffff:0:7f00:1]/"],
  ["local-use NAT64", "http://[64:ff9b:1::808:808]/"],
  ["6to4 of loopback", "http://[2002:7f00:1::]/"],
  ["Teredo with a metadata client", "http://[2001:0:808:808::5601:5601]/"],
  ["Teredo with a private server", "http://[2001:0:a00:1::f7f7:f7f7]/"],
];

it.each(FORBIDDEN)("refuses %s at creation", async (_name, url) => {
  try {
    await h.client.createEndpoint({ orgId: newOrg(), url, events: ["*"] });
    throw new Error("expected INVALID_ARGUMENT");
  } catch (e) {
    const err = e as { code: number; details: string };
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^url: refused by the SSRF guard/);
  }
});

/** An endpoint row written straight to Postgres: a URL that passed the creation check earlier. */
async function plantEndpoint(orgId: string, url: string): Promise<string> {
  const { rows } = await h.pool.query(
    `INSERT INTO webhooks.endpoints (id, org_id, url, events, secret) VALUES (gen_random_uuid(), $1, $2, '{*}', $3) RETURNING id`,
    [orgId, url, "whsec_" + Buffer.alloc(32, 1).toString("base64")],
  );
  return rows[0].id;
}

it.each([
  ["a hostname that now resolves to loopback (DNS rebinding)", (port: number) => `http://localhost:${port}/hook`],
  ["an IP literal", (port: number) => `http://127.0.0.1:${port}/hook`],
  ["an IPv4-compatible literal of loopback", (port: number) => `http://[::7f00:1]:${port}/hook`],
  ["a NAT64 literal of loopback", (port: number) => `http://[64:ff9b::7f00:1]:${port}/hook`],
])("refuses %s at connect time, and the receiver sees nothing", async (_name, urlOf) => {
  const orgId = newOrg();
  const endpointId = await plantEndpoint(orgId, urlOf(rx.port));
  await h.client.publish({ orgId, type: "a.b", data: data(1) });
  const attempt = await eventually(async () => {
    const { rows } = await h.pool.query(
      `SELECT a.* FROM webhooks.attempts a JOIN webhooks.deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1`,
      [endpointId],
    );
    return rows[0];
  }, 10_000);
  expect(attempt.status_code).toBe(0);
  expect(attempt.error).toMatch(/refused by the SSRF guard/);
  expect(rx.received).toHaveLength(0);
});

it("an endpoint's URL can be re-validated on update (a now-forbidden URL is refused)", async () => {
  const orgId = newOrg();
  const id = await plantEndpoint(orgId, `http://127.0.0.1:${rx.port}/`); // never published to: no traffic
  try {
    await h.client.updateEndpoint({ orgId, id, url: "http://[::ffff:10.0.0.1]/" });
    throw new Error("expected INVALID_ARGUMENT");
  } catch (e) {
    expect((e as { code: number }).code).toBe(GrpcStatus.INVALID_ARGUMENT);
  }
  expect((await h.client.getEndpoint({ orgId, id })).endpoint!.status).toBe(webhooks.EndpointStatus.ENABLED);
});
