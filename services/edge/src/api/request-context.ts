/**
 * Carries the pipeline's RequestContext from the edge's node:http handler into express handlers.
 * A WeakMap keyed by the request keeps express types untouched and frees the entry with the request.
 */
import type { IncomingMessage } from "node:http";
import type { Principal, RequestContext } from "../context";

const contexts = new WeakMap<IncomingMessage, RequestContext>();

/** Associates `ctx` with `req` for the lifetime of the request. */
export function attachContext(req: IncomingMessage, ctx: RequestContext): void {
  contexts.set(req, ctx);
}

/** The pipeline's context of this request; throws if the API was entered without one (a wiring bug). */
export function contextOf(req: IncomingMessage): RequestContext {
  const ctx = contexts.get(req);
  if (!ctx) throw new Error("management API called without a RequestContext");
  return ctx;
}

/** The authenticated caller; the pipeline guarantees one before the API runs. */
export function principalOf(req: IncomingMessage): Principal {
  const p = contextOf(req).principal;
  if (!p) throw new Error("management API called without an authenticated principal");
  return p;
}

/** Per-call RPC options carrying the trace context, so one trace spans edge → service. */
export function rpcOptions(req: IncomingMessage): { metadata?: Record<string, string> } {
  const tp = contextOf(req).traceparent;
  return tp ? { metadata: { traceparent: tp } } : {};
}

/** Middleware: records the matched route template (e.g. `/v1/keys/:id`) for metrics and logs. */
export function routeName(template: string): (req: IncomingMessage, _res: unknown, next: () => void) => void {
  return (req, _res, next) => {
    contextOf(req).route = template;
    next();
  };
}
