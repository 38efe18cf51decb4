import { GrpcStatus, RpcError, type Logger, type ServiceImpl } from "@datahub/runtime";
import { ratelimit } from "@datahub/proto";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { RateLimitUnavailableError, type RateLimiter } from "./limiter";
import type { RateLimitMetrics } from "./metrics";
import type { DecisionOutput, DescriptorInput } from "./types";
import { RateLimitInputError } from "./validation";

type Service = typeof ratelimit.RateLimitService.method;
type DecisionInit = MessageInitShape<typeof ratelimit.DecisionSchema>;

/**
 * uint64 fields arrive as bigint (protobuf-es v2 does not honour `jstype = JS_NUMBER`). Values
 * above 2^53 lose precision here and then fail validation as not being safe integers.
 */
function fromRequest(req: ratelimit.CheckRequest): DescriptorInput[] {
  return req.descriptors.map((d) => ({
    key: d.key,
    limit: Number(d.limit),
    windowMs: Number(d.windowMs),
    cost: Number(d.cost),
    algorithm: d.algorithm,
  }));
}

function toResponse(decisions: DecisionOutput[]): { decisions: DecisionInit[] } {
  return {
    decisions: decisions.map((d) => ({
      allowed: d.allowed,
      limit: BigInt(d.limit),
      remaining: BigInt(d.remaining),
      resetAfterMs: BigInt(d.resetAfterMs),
      retryAfterMs: BigInt(d.retryAfterMs),
    })),
  };
}

/**
 * The RateLimitService handlers. Input errors become INVALID_ARGUMENT naming the field (in Check's
 * or CheckBatchStream's terms); a failing or slow store becomes UNAVAILABLE, so the edge can apply its
 * fail-open / fail-closed policy.
 */
export function rateLimitService(limiter: RateLimiter, metrics: RateLimitMetrics, logger: Logger): ServiceImpl<Service> {
  // The two decision series, resolved once for the service's life.
  const allowed = metrics.decisions.labels("allowed");
  const denied = metrics.decisions.labels("denied");
  /** Runs the groups; a store failure becomes UNAVAILABLE, an input error is rethrown as is. */
  const run = async (groups: DescriptorInput[][]): Promise<DecisionOutput[][]> => {
    try {
      const out = await limiter.check(groups);
      for (const g of out) (g.every((d) => d.allowed) ? allowed : denied).inc();
      return out;
    } catch (err) {
      if (err instanceof RateLimitUnavailableError) {
        logger.debug({ err: { message: err.message } }, "rate limit check failed: store unavailable");
        throw new RpcError(GrpcStatus.UNAVAILABLE, err.message);
      }
      throw err;
    }
  };
  const invalidArgument = (err: RateLimitInputError, where = "") => new RpcError(GrpcStatus.INVALID_ARGUMENT, `${where}${err.path}: ${err.reason}`);

  return {
    async check(req) {
      try {
        const [decisions] = await run([fromRequest(req)]);
        return toResponse(decisions!);
      } catch (err) {
        throw err instanceof RateLimitInputError ? invalidArgument(err) : err;
      }
    },
    // The edge's hot path, on the exchange protocol: each message is one batch of groups.
    async checkBatchStream(req) {
      // Every group is validated before any runs, so a call refused for one invalid group consumed
      // nothing: that group is answered as invalid and the others run again without it. One bad
      // policy (say, a sliding-log limit above the cap) must not fail every request of the batch.
      const groups = req.requests.map(fromRequest);
      const invalid = new Map<number, string>();
      // The request's indexes of the groups being run; undefined while that is all of them (the
      // usual case, answered without building index arrays).
      let live: number[] | undefined;
      for (;;) {
        let out: DecisionOutput[][];
        try {
          const running = live === undefined ? groups : live.map((i) => groups[i]!);
          out = running.length > 0 ? await run(running) : [];
        } catch (err) {
          if (!(err instanceof RateLimitInputError)) throw err;
          if (err.group < 0) throw invalidArgument(err); // the batch itself (e.g. too many groups)
          invalid.set(live === undefined ? err.group : live[err.group]!, `${err.path}: ${err.reason}`);
          live = groups.map((_, i) => i).filter((i) => !invalid.has(i));
          continue;
        }
        if (live === undefined) return { responses: out.map((d) => toResponse(d)) };
        const responses: Array<{ decisions: DecisionInit[]; invalid?: string }> = groups.map((_, i) => ({ decisions: [], invalid: invalid.get(i) }));
        live.forEach((gi, j) => (responses[gi] = toResponse(out[j]!)));
        return { responses };
      }
    },
  };
}
