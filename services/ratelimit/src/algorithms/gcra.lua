-- GCRA (generic cell rate algorithm, as in ATM/leaky bucket as a meter): one number per key, the
-- theoretical arrival time (TAT, microseconds) of the next unit if units arrived at exactly the
-- configured rate. Mapping of the policy: the rate is `limit / window` (one unit every
-- T = window / limit) and the burst is `limit` (an idle key may spend its whole quota at once, as
-- a window-based policy would). A call of `cost` units is admitted when
--   max(TAT, now) + cost * T - now <= window
-- and then TAT moves to that value. Exact (no approximation), O(1) memory: one string per key that
-- expires when TAT passes (an expired key and a TAT in the past mean the same: full quota).
--
-- TAT is a float (T need not be a whole microsecond), stored with all 17 digits; the comparison
-- allows EPS microseconds for float rounding, so `limit` back-to-back units always fit.

local function fmt(n) return string.format('%.17g', n) end
local function ceil_ms(delta_us) return math.ceil(delta_us / 1000 - 1e-9) end

-- Units left at `tat`: how many more T fit before TAT - now exceeds the window.
local function remaining(d, T, W, tat, now)
  local r = math.floor((W - (tat - now)) / T + 1e-9)
  if r < 0 then r = 0 end
  if r > d.limit then r = d.limit end
  return r
end

-- Until one more unit is available (draft-11 `t`); 0 when nothing is counted.
local function reset(T, tat, now)
  local busy = tat - now
  if busy <= 0 then return 0 end
  local used = math.ceil(busy / T - 1e-9)
  return ceil_ms(busy - (used - 1) * T)
end

ALGORITHMS[2] = {
  assess = function(d, now)
    local W = d.window_ms * 1000
    local T = W / d.limit
    local tat = tonumber(redis.call('GET', d.key) or '0')
    if tat < now then tat = now end
    local new_tat = tat + d.cost * T
    local eps = math.min(1, T / 2)
    return { tat = tat, new_tat = new_tat, T = T, W = W, allowed = new_tat - now <= W + eps }
  end,

  commit = function(d, a, now)
    redis.call('SET', d.key, fmt(a.new_tat), 'PX', math.max(1, math.ceil((a.new_tat - now) / 1000)))
    return { 1, remaining(d, a.T, a.W, a.new_tat, now), reset(a.T, a.new_tat, now), 0 }
  end,

  -- Refused group: nothing is written (the key keeps its TTL, which already ends at TAT).
  report = function(d, a, now)
    local retry = 0
    if not a.allowed then retry = ceil_ms(a.new_tat - a.W - now) end
    return { a.allowed and 1 or 0, remaining(d, a.T, a.W, a.tat, now), reset(a.T, a.tat, now), retry }
  end,
}
