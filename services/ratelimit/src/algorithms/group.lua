-- One atomic group check (one CheckRequest). Redis runs a script without interleaving any other
-- command, so "check every descriptor, then consume all or nothing" has no race (the read-then-write
-- bug of Kong #5311 and APISIX #12592 cannot happen).
--
-- KEYS[i]  storage key of descriptor i (all in one cluster slot: the service validates that)
-- ARGV     4 per descriptor: algorithm id, limit, window_ms, cost (cost >= 1, validated)
-- returns  5 integers per descriptor: allowed (0/1), limit, remaining, reset_after_ms, retry_after_ms
--
-- Time comes from Redis TIME (microseconds), never from a node's clock.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local ALGORITHMS = {}
--@ALGORITHMS@--

local n = #KEYS
local ds, assessments = {}, {}
local admit = true
for i = 1, n do
  local b = (i - 1) * 4
  local d = {
    key = KEYS[i],
    algorithm = tonumber(ARGV[b + 1]),
    limit = tonumber(ARGV[b + 2]),
    window_ms = tonumber(ARGV[b + 3]),
    cost = tonumber(ARGV[b + 4]),
  }
  ds[i] = d
  assessments[i] = ALGORITHMS[d.algorithm].assess(d, now)
  if not assessments[i].allowed then admit = false end
end

local out = {}
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
return out
