package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts. Each touches only the keys it is given, all under one
// hash tag, and validates before its first write (a Redis script that fails
// half-way keeps its earlier writes). Counters are integers kept in
// [0, 2^53-1], where Lua's numbers (doubles) are exact, so the scripts
// compute new values and write them with one HSET. The clock is the
// server's (TIME), in milliseconds.
//
// They are written for Redis's time, which is what bounds admissions per
// second: an admission is TIME, one HMGET, one SET NX and one HSET whatever
// the number of windowed limits (plus a PEXPIRE when a window rolls over,
// and the lease set's commands with a concurrency limit); a settlement is
// SET GET, HMGET and HSET (plus ZREM with a lease). No Lua tables are built
// but the argument lists of HMGET and HSET (and settle's three deltas).
//
// Key layout (KEYS), for reserve and settle alike:
//
//	KEYS[1]  the reservation record: the reserve time (ms), or "s" once settled
//	KEYS[2]  the lease set: ZSET member = reservation token, score = expiry (ms)
//	KEYS[3]  the counters: one HASH for every window length L (in ms) of the
//	         bucket, fields L.."i" = window index, L.."r"/"t"/"u" = requests,
//	         tokens, micro-USD in window i; with sliding windows also
//	         L.."pr"/"pt"/"pu", the same in window i-1

// luaReadCounters reads the counters of every window length in one HMGET,
// into h: per fields a window (4, or 7 with sliding windows), window w's
// length at ARGV[lenAt + lenStep * w]. It needs nwin, per, sliding, lenAt
// and lenStep set.
const luaReadCounters = `
local f = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
for w = 1, nwin do
  local l, b = ARGV[lenAt + lenStep * w], (w - 1) * per
  f[b + 1] = l .. 'i'
  f[b + 2] = l .. 'r'
  f[b + 3] = l .. 't'
  f[b + 4] = l .. 'u'
  if sliding then
    f[b + 5] = l .. 'pr'
    f[b + 6] = l .. 'pt'
    f[b + 7] = l .. 'pu'
  end
end
local h = redis.call('HMGET', KEYS[3], unpack(f, 1, nwin * per))
`

const luaNow = `
local t = redis.call('TIME')
local now = t[1] * 1000 + (t[2] - t[2] % 1000) / 1000
`

// reserveScript admits an amount against every limit, or changes nothing.
// Reads come first, then the reservation record (SET NX: a replay of an
// admitted reservation writes nothing more), then the counters.
//
// ARGV: 1 token, 2 sliding (0/1), 3 lease TTL ms, 4 record TTL ms, 5-7
// amount (requests, tokens, micro-USD), 8 concurrency limit (0 = none),
// then four values per window length: the length (ms) and its limits of
// requests, tokens and micro-USD (0 = none; the tightest of the rule's
// limits of that length).
//
// Returns {1, now} when admitted, {1, now, 1} for a replay of an admitted
// reservation, {0, window number (0 = the concurrency limit), dimension
// (1-3 requests/tokens/USD), retry after ms, too large (0/1)} when refused.
//
// Each window's counts are read (converted) once, in the loop that checks
// them and lays out the new ones; a limit of 0 is never converted;
// x + 0 converts a number Redis or Go wrote (cheaper than tonumber, and
// an error rather than 0 on a field that is not a number); the
// argument lists are created at their usual size (two windows) and
// unpacked up to their length, which saves Lua growing them step by step.
var reserveScript = redis.NewScript(luaNow + `
local CAP = 9007199254740991
local sliding = ARGV[2] == '1'
local nwin = (#ARGV - 8) / 4
local per = sliding and 7 or 4
-- refuse returns a refusal, or the stored admission when this is a replay
-- of one (its first run took the room this one lacks).
local function refuse(w, k, wait, big)
  if redis.call('EXISTS', KEYS[1]) == 1 then return {1, now, 1} end
  return {0, w, k, wait, big}
end
local leased = false
if ARGV[8] ~= '0' then
  local conc = tonumber(ARGV[8])
  -- live leases; lapsed ones are reaped now and then (and when full)
  local n = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
  if now % 16 == 0 or n + 1 > conc then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
  if n + 1 > conc then return refuse(0, 0, 0, 0) end
  leased = true
end
-- check returns the wait (ms) before amt fits under lim, 0 if it fits now,
-- -1 if it never will.
local function check(lim, amt, cur, prev, len, elapsed)
  local used = cur
  if sliding and prev > 0 then used = used + math.floor(prev * (len - elapsed) / len) end
  if used + amt <= lim then return 0 end
  if amt > lim then return -1 end
  local wait = len - elapsed
  if sliding then
    local room = lim - cur - amt
    if room >= 0 and prev > 0 then
      wait = math.ceil(len - room * len / prev) - elapsed
    elseif cur > 0 then
      wait = wait + math.max(0, math.ceil(len - (lim - amt) * len / cur))
    end
  end
  return math.max(1, wait)
end
local o, n, ttl, rolled = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0, false
if nwin > 0 then
  local lenAt, lenStep = 5, 4
` + luaReadCounters + `
  local a1, a2, a3 = ARGV[5] + 0, ARGV[6] + 0, ARGV[7] + 0
  for w = 1, nwin do
    local a, b = 5 + 4 * w, (w - 1) * per
    local len = ARGV[a] + 0
    local idx = (now - now % len) / len
    local si = tonumber(h[b + 1])
    local c1, c2, c3, p1, p2, p3 = 0, 0, 0, 0, 0, 0
    if si == idx then
      c1, c2, c3 = (h[b + 2] or 0) + 0, (h[b + 3] or 0) + 0, (h[b + 4] or 0) + 0
      if sliding then p1, p2, p3 = (h[b + 5] or 0) + 0, (h[b + 6] or 0) + 0, (h[b + 7] or 0) + 0 end
    elseif sliding and si == idx - 1 then
      p1, p2, p3 = (h[b + 2] or 0) + 0, (h[b + 3] or 0) + 0, (h[b + 4] or 0) + 0
    end
    local elapsed = now - idx * len
    if ARGV[a + 1] ~= '0' then
      local wait = check(ARGV[a + 1] + 0, a1, c1, p1, len, elapsed)
      if wait ~= 0 then return refuse(w, 1, math.max(wait, 0), wait < 0 and 1 or 0) end
    end
    if ARGV[a + 2] ~= '0' then
      local wait = check(ARGV[a + 2] + 0, a2, c2, p2, len, elapsed)
      if wait ~= 0 then return refuse(w, 2, math.max(wait, 0), wait < 0 and 1 or 0) end
    end
    if ARGV[a + 3] ~= '0' then
      local wait = check(ARGV[a + 3] + 0, a3, c3, p3, len, elapsed)
      if wait ~= 0 then return refuse(w, 3, math.max(wait, 0), wait < 0 and 1 or 0) end
    end
    if si ~= idx then
      -- a new window: the last one (if it was the one before) becomes the previous
      o[n + 1], o[n + 2] = f[b + 1], idx
      n = n + 2
      if sliding then
        o[n + 1], o[n + 2], o[n + 3], o[n + 4], o[n + 5], o[n + 6] = f[b + 5], p1, f[b + 6], p2, f[b + 7], p3
        n = n + 6
      end
      rolled = true
    end
    -- the hash lives as long as its longest window needs, whichever rolled
    if 2 * len + 1000 > ttl then ttl = 2 * len + 1000 end
    c1, c2, c3 = c1 + a1, c2 + a2, c3 + a3
    if c1 > CAP then c1 = CAP end
    if c2 > CAP then c2 = CAP end
    if c3 > CAP then c3 = CAP end
    o[n + 1], o[n + 2], o[n + 3], o[n + 4], o[n + 5], o[n + 6] = f[b + 2], c1, f[b + 3], c2, f[b + 4], c3
    n = n + 6
  end
end
if not redis.call('SET', KEYS[1], now, 'NX', 'PX', ARGV[4]) then
  return {1, now, 1} -- a replay: already admitted
end
if n > 0 then
  redis.call('HSET', KEYS[3], unpack(o, 1, n))
  if rolled then redis.call('PEXPIRE', KEYS[3], ttl) end
end
if leased then
  local ttl = tonumber(ARGV[3])
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ttl + 1000)
end
return {1, now}
`)

// settleScript replaces a reservation's amount by the actual one in the
// windows it was reserved in (if still held: the current window of each
// length, or with sliding windows the previous one), releases its lease
// and marks it settled, once: a second settle of the same reservation, or
// one whose record has expired or was never written, does nothing (and
// leaves the record settled, so that a reservation arriving after its own
// cancellation is not charged).
//
// ARGV: 1 token, 2 settled-record TTL ms, 3-5 delta (requests, tokens,
// micro-USD; actual minus reserved), 6 sliding (0/1), 7 lease (0/1), then
// the window lengths (ms). Returns 1 when applied, 0 when not. A delta of
// 0 writes nothing (all three: no read either).
var settleScript = redis.NewScript(`
local rec = redis.call('SET', KEYS[1], 's', 'PX', ARGV[2], 'GET')
if not rec or rec == 's' then return 0 end
if ARGV[7] == '1' then redis.call('ZREM', KEYS[2], ARGV[1]) end
local nwin = #ARGV - 7
if nwin == 0 or (ARGV[3] == '0' and ARGV[4] == '0' and ARGV[5] == '0') then return 1 end
local CAP = 9007199254740991
local at = rec + 0
local sliding = ARGV[6] == '1'
local per = sliding and 7 or 4
local lenAt, lenStep = 7, 1
` + luaReadCounters + `
local d = {ARGV[3] + 0, ARGV[4] + 0, ARGV[5] + 0}
local o, n = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0
for w = 1, nwin do
  local len, b = ARGV[7 + w] + 0, (w - 1) * per
  local idx = (at - at % len) / len
  local si = tonumber(h[b + 1])
  -- s: where the counts of at's window are (current +1, previous +4)
  local s = 0
  if si == idx then s = b + 1 elseif sliding and si == idx + 1 then s = b + 4 end
  if s > 0 then
    for k = 1, 3 do
      if d[k] ~= 0 then
        local v = (h[s + k] or 0) + d[k]
        if v < 0 then v = 0 elseif v > CAP then v = CAP end
        o[n + 1], o[n + 2] = f[s + k], v
        n = n + 2
      end
    end
  end
end
if n > 0 then redis.call('HSET', KEYS[3], unpack(o, 1, n)) end
return 1
`)

// renewScript extends the leases named in ARGV[2..] to now + ARGV[1] ms,
// only those still held (ZADD XX GT). KEYS[1] is the lease set. Returns how
// many were renewed; the others had expired and are gone.
var renewScript = redis.NewScript(luaNow + `
local ttl = tonumber(ARGV[1])
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('ZADD', KEYS[1], 'XX', 'GT', 'CH', now + ttl, ARGV[i])
end
if n > 0 then redis.call('PEXPIRE', KEYS[1], ttl + 1000) end
return n
`)
