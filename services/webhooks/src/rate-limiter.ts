import type { RedisClient } from "@datahub/runtime";

/**
 * Per-endpoint delivery rate (`rate_limit_per_second`). BullMQ's open-source limiter is per queue
 * (one global rate); per-group limits are a BullMQ Pro feature. So this is a small GCRA (a token
 * bucket kept as one timestamp per endpoint) in one Lua call, shared by every worker process.
 */
export interface DeliveryRateLimiter {
  /** Takes one slot for `endpointId` at `ratePerSecond`; resolves 0 to go now, else ms to wait. */
  take(endpointId: string, ratePerSecond: number): Promise<number>;
}

// KEYS[1] = bucket key; ARGV[1] = emission interval ms; ARGV[2] = burst (slots).
// Stores the theoretical arrival time (TAT); a request is allowed when TAT - burst*interval <= now.
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat + interval - burst * interval
if allow_at > now then return allow_at - now end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now + 1000))
return 0
`;

type WithGcra = RedisClient & { webhookGcra(key: string, intervalMs: number, burst: number): Promise<number> };

/** {@link DeliveryRateLimiter} on Redis; a Redis error lets the delivery through (the queue itself needs Redis anyway). */
export class RedisDeliveryRateLimiter implements DeliveryRateLimiter {
  private readonly redis: WithGcra;

  constructor(redis: RedisClient, private readonly keyPrefix: string) {
    redis.defineCommand("webhookGcra", { numberOfKeys: 1, lua: GCRA });
    this.redis = redis as WithGcra;
  }

  async take(endpointId: string, ratePerSecond: number): Promise<number> {
    if (ratePerSecond <= 0) return 0;
    const interval = 1000 / ratePerSecond;
    try {
      // Burst of one second's worth, so a quiet endpoint can absorb a short spike.
      return Math.ceil(Number(await this.redis.webhookGcra(`${this.keyPrefix}:rl:{${endpointId}}`, interval, Math.max(1, ratePerSecond))));
    } catch {
      return 0;
    }
  }
}
