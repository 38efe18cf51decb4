/** The frame of every signed-in page: header, navigation by scope, main content. */
import type { ComponentChildren } from "preact";
import { Link, useLocation } from "wouter-preact";
import { can } from "../scopes";
import { useSession } from "../session";

const NAV: Array<{ href: string; label: string; show: (s: ReturnType<typeof useSession>["session"]) => boolean }> = [
  { href: "/", label: "Overview", show: () => true },
  { href: "/keys", label: "Keys", show: (s) => can(s, "keys:read") },
  { href: "/orgs", label: "Orgs", show: (s) => s.key.root },
  { href: "/logs", label: "Logs", show: (s) => can(s, "logs:read") },
  { href: "/webhooks", label: "Webhooks", show: (s) => can(s, "webhooks:read") },
];

/** Wraps a page. */
export function Layout(props: { children: ComponentChildren }) {
  const { session, signOut } = useSession();
  const [location] = useLocation();
  const current = (href: string) => (href === "/" ? location === "/" : location === href || location.startsWith(`${href}/`));
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">DataHub</span>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => n.show(session)).map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={current(n.href) ? "page" : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {session.key.name}
            {session.key.root ? " (root)" : ""}
          </span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}
