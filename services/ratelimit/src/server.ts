import { GrpcStatus, RpcError, type Logger, type ServiceImpl } from "@datahub/runtime";
import { ratelimit } from "@datahub/proto";
import type { MessageInitShape } from "@bufbuild/protobuf";
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
 * or CheckBatch's terms); a failing or slow store becomes UNAVAILABLE, so the edge can apply its
 * fail-open / fail-closed policy.
 */
export function rateLimitService(limiter: RateLimiter, metrics: RateLimitMetrics, logger: Logger): ServiceImpl<Service> {
  const run = async (groups: DescriptorInput[][], batch: boolean): Promise<DecisionOutput[][]> => {
    try {
      const out = await limiter.check(groups);
      for (const g of out) metrics.decisions.inc({ decision: g.every((d) => d.allowed) ? "allowed" : "denied" });
      return out;
    } catch (err) {
      if (err instanceof RateLimitInputError) {
        const where = err.group < 0 ? "" : batch ? `requests[${err.group}].` : "";
        throw new RpcError(GrpcStatus.INVALID_ARGUMENT, `${where}${err.path}: ${err.reason}`);
      }
      if (err instanceof RateLimitUnavailableError) {
        logger.debug({ err: { message: err.message } }, "rate limit check failed: store unavailable");
        throw new RpcError(GrpcStatus.UNAVAILABLE, err.message);
      }
      throw err;
    }
  };
  return {
    async check(req) {
      const [decisions] = await run([fromRequest(req)], false);
      return toResponse(decisions!);
    },
    async checkBatch(req) {
      const out = await run(req.requests.map(fromRequest), true);
      return { responses: out.map(toResponse) };
    },
  };
}
