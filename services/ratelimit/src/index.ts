export { ratelimitModule } from "./module";
export { RateLimitUnavailableError, type RateLimiter } from "./limiter";
export { RedisRateLimiter, type RedisRateLimiterOptions } from "./redis-limiter";
export { MemoryRateLimiter, type MemoryRateLimiterOptions } from "./memory-limiter";
export { RateLimitInputError, LIMITS, storageKey, validateGroups, type ValidationOptions } from "./validation";
export { Algorithm, type DecisionOutput, type DescriptorInput } from "./types";
export { rateLimitMetrics, type RateLimitMetrics } from "./metrics";
