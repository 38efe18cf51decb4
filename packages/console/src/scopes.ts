/**
 * What a session's key may do, to show or enable controls. The edge decides for real; this only
 * avoids offering what would be refused. Same grammar as the gateway (packages/runtime/src/
 * scopes.ts, copied because that module is for Node): `*` grants everything, `x:*` every `x:` scope.
 */
/** True when the session's key holds `scope` (a root key holds every scope). */
export function can(session: { key: { root: boolean; scopes: readonly string[] } }, scope: string): boolean {
  if (session.key.root) return true;
  for (const g of session.key.scopes) {
    if (g === "*" || g === scope) return true;
    if (g.endsWith(":*") && scope.startsWith(g.slice(0, -1))) return true;
  }
  return false;
}
