/**
 * Names shared between services that talk through Redis rather than gRPC.
 * Auth publishes here after any change to a key; every edge subscribes and drops the cached entry.
 * The message is the key's SHA-256 hex, or `*` to drop every entry.
 */
export function authInvalidationChannel(prefix: string): string {
  return `${prefix}:auth:invalidate`;
}
