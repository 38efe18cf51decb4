/**
 * Who is calling, as a verified API key says: what the edge's pipeline and the internal gRPC
 * port's credential check both act on.
 */

/** A key's own rate-limit policy, as VerifyKey returns it. */
export interface KeyRateLimit {
  limit: number;
  windowSeconds: number;
  /** `sliding-log` | `gcra` | `sliding-window` | `fixed-window`; empty = the default. */
  algorithm: string;
}

/** The verified API key. */
export interface Principal {
  keyId: string;
  orgId: string;
  scopes: string[];
  /** A root key (`dhr_`): may manage every org. */
  root: boolean;
  rateLimit?: KeyRateLimit;
}
