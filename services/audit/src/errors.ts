import { GrpcStatus, isPgUnavailable, RpcError } from "@datahub/runtime";


/**
 * Maps a failure of a store call to what crosses the wire: deliberate RpcErrors pass through,
 * database outages and timeouts become UNAVAILABLE (the edge buffers and retries), anything else
 * is rethrown and becomes INTERNAL.
 */
export function toRpcError(err: unknown): unknown {
  if (err instanceof RpcError) return err;
  if (isPgUnavailable(err)) return new RpcError(GrpcStatus.UNAVAILABLE, "audit database unavailable; retry later");
  return err;
}
