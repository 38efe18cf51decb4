/**
 * Scope grammar (docs/reference/http-api.md, "Scopes and orgs"): scopes are strings; `*` grants everything; `x:*` grants every
 * scope that starts with `x:`.
 */

/** True when the granted scopes include `required`. */
export function hasScope(granted: readonly string[], required: string): boolean {
  for (const g of granted) {
    if (g === "*" || g === required) return true;
    if (g.endsWith(":*") && required.startsWith(g.slice(0, -1))) return true;
  }
  return false;
}

/** True when the granted scopes include every one of `required`. */
export function hasAllScopes(granted: readonly string[], required: readonly string[]): boolean {
  return required.every((r) => hasScope(granted, r));
}

/**
 * True when a key holding `granted` may give `requested` to another key: each requested scope,
 * wildcards included, must be covered by what the granter holds (`keys:*` needs `keys:*` or `*`).
 */
export function canGrant(granted: readonly string[], requested: readonly string[]): boolean {
  return requested.every((r) => hasScope(granted, r));
}

/** Scope syntax: `*`, `name`, `name:action`, `name:*` with `[a-z0-9_.-]` segments. */
export const SCOPE_RE = /^(\*|[a-z0-9_.-]+(:([a-z0-9_.-]+|\*))*)$/;
