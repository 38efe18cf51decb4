-- Atomic group checks (one CheckRequest each), several groups per script call. Redis runs a script
-- without interleaving any other command, so "check every descriptor of a group, then consume all or
-- nothing" has no race (the read-then-write bug of Kong #5311 and APISIX #12592 cannot happen).
-- Groups run one after the other, in order: a later group sees what an earlier one consumed, exactly
-- as if each had been its own script.
--
-- KEYS     the storage keys of every descriptor of every group, group after group (one call only
--          carries groups of one cluster slot: the service buckets them)
-- ARGV[1]  number of groups G; then per group: its descriptor count n, then 4 per descriptor:
--          algorithm id, limit, window_ms, cost (cost >= 1, validated)
-- returns  5 integers per descriptor, in KEYS order: allowed (0/1), limit, remaining,
--          reset_after_ms, retry_after_ms
--
-- Time comes from Redis TIME (microseconds), never from a node's clock; one TIME for the whole call.
-- Groups sharing it may pick the same member names; the algorithms' ZADD NX loop handles that.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local ALGORITHMS = {}
--@ALGORITHMS@--

local out = {}
local k = 0   -- KEYS consumed so far
local a = 2   -- next ARGV index
for _ = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a])
  a = a + 1
  local ds, assessments = {}, {}
  local admit = true
  for i = 1, n do
    local d = {
      key = KEYS[k + i],
      algorithm = tonumber(ARGV[a]),
      limit = tonumber(ARGV[a + 1]),
      window_ms = tonumber(ARGV[a + 2]),
      cost = tonumber(ARGV[a + 3]),
    }
    a = a + 4
    ds[i] = d
    assessments[i] = ALGORITHMS[d.algorithm].assess(d, now)
    if not assessments[i].allowed then admit = false end
  end
  k = k + n

  for i = 1, n do
    local d = ds[i]
    local algo = ALGORITHMS[d.algorithm]
    local r
    if admit then r = algo.commit(d, assessments[i], now) else r = algo.report(d, assessments[i], now) end
    out[#out + 1] = r[1]
    out[#out + 1] = d.limit
    out[#out + 1] = r[2]
    out[#out + 1] = r[3]
    out[#out + 1] = r[4]
  end
end
-- Algorithms that buffer writes for the whole call (sliding log) write them now.
for _, algo in pairs(ALGORITHMS) do
  if algo.finish then algo.finish() end
end
return out
