import { createHmac, randomBytes } from "node:crypto";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): secrets are `whsec_` + base64 of
 * 32 random bytes; a signature is `v1,` + base64(HMAC-SHA256(secret bytes, "id.timestamp.body")).
 * node:crypto does the work; the tests verify with the independent `standardwebhooks` package.
 */

const PREFIX = "whsec_";

/** A new signing secret: `whsec_` + base64 of 32 CSPRNG bytes. */
export function newSecret(): string {
  return PREFIX + randomBytes(32).toString("base64");
}

function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, "base64");
}

/** One `v1,<base64>` signature of `id.timestamp.body`. */
export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", secretBytes(secret)).update(`${id}.${timestampSeconds}.`).update(body).digest("base64");
  return `v1,${mac}`;
}

/**
 * The `webhook-signature` header: the current secret's signature, then the previous secret's
 * (space-separated) while a rotation's grace period runs, so receivers can switch at their pace.
 */
export function signatureHeader(secrets: { current: string; previous?: string }, id: string, timestampSeconds: number, body: string): string {
  const sigs = [sign(secrets.current, id, timestampSeconds, body)];
  if (secrets.previous) sigs.push(sign(secrets.previous, id, timestampSeconds, body));
  return sigs.join(" ");
}
