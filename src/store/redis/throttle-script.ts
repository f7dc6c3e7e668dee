/**
 * The throttle decision as one Lua script, run atomically by Redis (a script runs alone: no other command of
 * any client interleaves), so that every node and every worker decide on one history per key, exactly.
 *
 * It is a transcription of the embedded store (src/store/throttle/exact-window-table.ts,
 * bucketed-window-table.ts, window-table.ts effectiveNow and shm-throttle-store.ts summarise), so both stores
 * decide identically on the same timestamps (a property test replays random traffic through both):
 *
 *  - limit <= 64, exact sliding log: a LIST of the admitted timestamps (ms), oldest first. Entries with
 *    `entry <= now - period` leave; a request is refused when `limit` entries remain (nothing is recorded) and
 *    waits until the oldest leaves. DRF's SimpleRateThrottle exactly.
 *  - limit > 64, bucketed sliding log: a HASH with `j` (index of the newest bucket the key has seen), `t` (total
 *    of the live counts), `n` (newest admitted timestamp) and one field per ring position p = bucket index mod B
 *    holding `count * w + offset` (count of the bucket, and the newest timestamp in it minus the bucket start;
 *    one field instead of two keeps the hash under Redis's 128-entry listpack limit, about 1 KiB per key).
 *    A bucket counts in full until its newest entry leaves the window: never over-admits, refuses at most one
 *    sub-bucket early (docs/throttling.md). One more field, `f`, names the oldest bucket with entries, so that a
 *    refusal's Retry-After costs one read instead of a scan of the ring (the embedded store scans its memory).
 *    A decision in the current bucket costs one HMGET, one HSET and one PEXPIRE.
 *  - several rules (hitAll): every rule is checked, and only if all admit is the request recorded, in all.
 *  - the clock: by default the script reads Redis's own clock (TIME), one clock for every node; a decision uses
 *    max(now, newest entry of the key) (logs stay ordered) unless the clock stepped back by more than a period,
 *    which forgets the key's window instead of locking it out.
 *
 * One run decides a batch of requests, one after the other (redis-throttle-store.ts collects them).
 * KEYS: the keys of every rule of every decision, in order. ARGV[1]: extra expiry (ms) added to every key's
 * TTL. Then per decision: its time in ms ('' for the server's clock), its number of rules n, and 4 arguments
 * per rule: limit, period ms, bucket width w ms (0: exact log), buckets B.
 * Reply: 5 numbers per decision, { admitted (1/0), waitMs, remaining, resetMs, limit } of the deciding rule
 * (the refusing rule with the longest wait; else the most restrictive admitting rule), like ThrottleOutcome.
 */
import { createHash } from 'node:crypto';

export const THROTTLE_SCRIPT = `
local slack = tonumber(ARGV[1])
local server_now = nil
-- The time of the decision being taken (set by decide below; the check and record functions read it).
local now = 0

local function exact_check(key, limit, period)
  local log = redis.call('LRANGE', key, 0, -1)
  local size = #log
  local at = now
  if size > 0 then
    local newest = tonumber(log[size])
    if newest > now then
      if newest - now <= period then
        at = newest
      else
        redis.call('DEL', key)
        log = {}
        size = 0
      end
    end
  end
  local horizon = at - period
  local drop = 0
  while drop < size and tonumber(log[drop + 1]) <= horizon do drop = drop + 1 end
  if drop > 0 then redis.call('LTRIM', key, drop, -1) end
  local count = size - drop
  local reset = 0
  if count > 0 then reset = tonumber(log[size]) + period - at end
  if count >= limit then
    return 0, tonumber(log[drop + 1]) + period - at, 0, reset, at
  end
  return 1, 0, limit - count, reset, at
end

-- Keys expire when their newest entry leaves the window (plus the slack); at - now > 0 after a clock step back.
local function exact_record(key, period, at)
  redis.call('RPUSH', key, at)
  redis.call('PEXPIRE', key, at - now + period + slack)
end

-- The ring position of bucket index j, as a field name.
local function pos(j, buckets) return tostring(j % buckets) end

-- The value at ring position p (a field name): from ring[p] when known (false: known empty), else read.
local function value(key, ring, p)
  local v = ring[p]
  if v == nil then
    v = redis.call('HGET', key, p)
    ring[p] = v
  end
  return tonumber(v) or 0
end

-- Reads, in one HMGET, the positions of buckets first..last that are not known yet.
local function prefetch(key, ring, buckets, first, last)
  local fields = {}
  for j = first, last do
    local p = pos(j, buckets)
    if ring[p] == nil then fields[#fields + 1] = p end
  end
  if #fields == 0 then return end
  local values = redis.call('HMGET', key, unpack(fields))
  for i = 1, #fields do ring[fields[i]] = values[i] end
end

-- One HMGET reads what a decision in the current bucket needs (state, the current bucket, the two oldest);
-- other positions (after a clock step, or a long pause) are read when needed. ring[p] caches what is known.
local function bucket_check(key, limit, period, w, buckets)
  local guess = math.floor(now / w)
  local pc, p1, p2 = pos(guess, buckets), pos(guess + 1, buckets), pos(guess + 2, buckets)
  local state = redis.call('HMGET', key, 'j', 't', 'n', pc, p1, p2, 'f')
  local ring = { [pc] = state[4], [p1] = state[5], [p2] = state[6] }
  local last = tonumber(state[1])
  local total = tonumber(state[2]) or 0
  local newest = tonumber(state[3]) or 0
  local first = tonumber(state[7])
  local at = now
  local dirty = false
  local cleared = nil
  if last == nil then
    last = math.floor(now / w)
    newest = now
  elseif newest > now then
    if newest - now <= period then
      at = newest
    else
      redis.call('DEL', key)
      last = math.floor(now / w)
      total = 0
      newest = 0
      first = nil
      ring = {}
      for p = 0, buckets - 1 do ring[tostring(p)] = false end
    end
  end
  local current = math.floor(at / w)
  if current > last then
    local from = last + 1
    if current - last >= buckets then from = current - buckets + 1 end
    prefetch(key, ring, buckets, from, current)
    for j = from, current do
      local p = pos(j, buckets)
      local v = value(key, ring, p)
      if v > 0 then
        total = total - math.floor(v / w)
        cleared = cleared or {}
        cleared[#cleared + 1] = p
      end
      ring[p] = false
    end
    if current - last >= buckets then total = 0 end
    last = current
    dirty = true
  end
  local horizon = at - period
  for j = current - buckets + 1, current - buckets + 2 do
    if j >= 0 then
      local p = pos(j, buckets)
      local v = value(key, ring, p)
      local count = math.floor(v / w)
      if count > 0 then
        if j * w + (v - count * w) > horizon then break end
        total = total - count
        ring[p] = false
        cleared = cleared or {}
        cleared[#cleared + 1] = p
        dirty = true
      end
    end
  end
  if cleared ~= nil then redis.call('HDEL', key, unpack(cleared)) end
  -- Keep f, the oldest bucket with entries: when it went, find the next one (once per bucket, not per request).
  if total <= 0 then
    first = nil
  -- ring[p] == false means known empty (cleared above, or absent from the HMGET); unread positions are trusted.
  elseif first == nil or first < current - buckets + 1 or first > current or ring[pos(first, buckets)] == false then
    local from = math.max(0, current - buckets + 1)
    if first ~= nil and first + 1 > from and first < current then from = first + 1 end
    prefetch(key, ring, buckets, from, current)
    first = nil
    for j = from, current do
      if value(key, ring, pos(j, buckets)) >= w then
        first = j
        break
      end
    end
    dirty = true
  end
  local reset = 0
  if total > 0 then reset = newest + period - at end
  local verdict = { at = at, current = current, total = total, last = last, first = first, dirty = dirty, count = math.floor(value(key, ring, pos(current, buckets)) / w) }
  if total >= limit then
    -- The wait ends when the newest entry of the oldest bucket with entries leaves the window.
    local oldest = newest
    if first ~= nil then
      local v = value(key, ring, pos(first, buckets))
      oldest = first * w + (v - math.floor(v / w) * w)
    end
    return 0, oldest + period - at, 0, reset, verdict
  end
  return 1, 0, limit - total, reset, verdict
end

-- k: how many times this key was already recorded by this script (a key may appear twice in hitAll).
local function bucket_record(key, period, w, buckets, v, k)
  local first = v.first
  if v.total == 0 then first = v.current end
  redis.call('HSET', key, pos(v.current, buckets), string.format('%.0f', (v.count + k + 1) * w + (v.at - v.current * w)),
    'n', v.at, 'j', v.current, 't', v.total + k + 1, 'f', first)
  -- Set by the first admission in a bucket: every later one in it is less than w younger, so a period and a
  -- sub-bucket from the first covers a period from each.
  if v.count + k == 0 then redis.call('PEXPIRE', key, v.at - now + period + w + slack) end
end

-- A refused decision still keeps what its check learned (buckets emptied, the oldest bucket moved).
local function persist(key, v)
  if type(v) ~= 'table' or not v.dirty then return end
  if v.first == nil then
    redis.call('HSET', key, 'j', v.last, 't', v.total)
    redis.call('HDEL', key, 'f')
  else
    redis.call('HSET', key, 'j', v.last, 't', v.total, 'f', v.first)
  end
end

local function emit(out, admitted, wait, remaining, reset, limit)
  local m = #out
  out[m + 1] = admitted
  out[m + 2] = wait
  out[m + 3] = remaining
  out[m + 4] = reset
  out[m + 5] = limit
end

-- One decision: rules kf+1 .. kf+n (KEYS) with their arguments from ARGV[af]. Appends its 5 numbers to out.
local function decide(kf, af, n, out)
  if n == 1 then
    -- The common case (one throttle on the route), without the bookkeeping of several rules.
    local key, limit, period, w = KEYS[kf + 1], tonumber(ARGV[af]), tonumber(ARGV[af + 1]), tonumber(ARGV[af + 2])
    local ok, wait, remaining, reset, v
    if w == 0 then
      ok, wait, remaining, reset, v = exact_check(key, limit, period)
      if ok == 1 then exact_record(key, period, v) end
    else
      local buckets = tonumber(ARGV[af + 3])
      ok, wait, remaining, reset, v = bucket_check(key, limit, period, w, buckets)
      if ok == 1 then bucket_record(key, period, w, buckets, v, 0) else persist(key, v) end
    end
    if ok == 1 then
      remaining = remaining - 1
      reset = period
    end
    emit(out, ok, wait, remaining, reset, limit)
    return
  end
  local all = 1
  local ok, wait, remaining, reset, verdict = {}, {}, {}, {}, {}
  for i = 1, n do
    local base = af + 4 * (i - 1)
    local key, limit, period, w = KEYS[kf + i], tonumber(ARGV[base]), tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
    if w == 0 then
      ok[i], wait[i], remaining[i], reset[i], verdict[i] = exact_check(key, limit, period)
    else
      ok[i], wait[i], remaining[i], reset[i], verdict[i] = bucket_check(key, limit, period, w, tonumber(ARGV[base + 3]))
    end
    if ok[i] == 0 then all = 0 end
  end
  if all == 1 then
    local recorded = {}
    for i = 1, n do
      local base = af + 4 * (i - 1)
      local key, period, w = KEYS[kf + i], tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
      if w == 0 then
        exact_record(key, period, verdict[i])
      else
        local k = recorded[key] or 0
        bucket_record(key, period, w, tonumber(ARGV[base + 3]), verdict[i], k)
        recorded[key] = k + 1
      end
      remaining[i] = remaining[i] - 1
      reset[i] = period
    end
  else
    for i = 1, n do persist(KEYS[kf + i], verdict[i]) end
  end
  local pick = 0
  for i = 1, n do
    if all == 1 then
      if pick == 0 or remaining[i] < remaining[pick] or (remaining[i] == remaining[pick] and reset[i] > reset[pick]) then pick = i end
    elseif ok[i] == 0 and (pick == 0 or wait[i] > wait[pick]) then
      pick = i
    end
  end
  if all == 1 then
    emit(out, 1, 0, remaining[pick], reset[pick], tonumber(ARGV[af + 4 * (pick - 1)]))
  else
    emit(out, 0, wait[pick], 0, reset[pick], tonumber(ARGV[af + 4 * (pick - 1)]))
  end
end

-- The decisions of the batch, one after the other: ARGV[a] is the decision's time ('' for the server's clock),
-- ARGV[a + 1] its number of rules n, then 4 arguments per rule.
local out = {}
local a, kf = 2, 0
while a <= #ARGV do
  now = tonumber(ARGV[a])
  if now == nil then
    if server_now == nil then
      local t = redis.call('TIME')
      server_now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    end
    now = server_now
  end
  local n = tonumber(ARGV[a + 1])
  decide(kf, a + 2, n, out)
  kf = kf + n
  a = a + 2 + 4 * n
end
return out
`;

/** SHA-1 of the script: EVALSHA sends 40 characters instead of the whole script on every decision. */
export const THROTTLE_SCRIPT_SHA = createHash('sha1').update(THROTTLE_SCRIPT).digest('hex');
