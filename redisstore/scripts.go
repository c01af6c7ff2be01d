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
// but the argument lists of HMGET and HSET.
//
// Key layout (KEYS), for reserve and settle alike:
//
//	KEYS[1]  the reservation record: the reserve time (ms), or "s" once settled
//	KEYS[2]  the lease set: ZSET member = reservation token, score = expiry (ms)
//	KEYS[3]  the counters: one HASH for every window length L (in ms) of the
//	         bucket, fields L.."i" = window index, L.."r"/"t"/"u" = requests,
//	         tokens, micro-USD in window i; with sliding windows also
//	         L.."pr"/"pt"/"pu", the same in window i-1

const luaNow = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
`

// luaWindows reads the counters of every window length at once. It needs
// sliding, first (ARGV index of the first length), stride (ARGV values per
// length) and nwin set.
const luaWindows = `
local CAP = 9007199254740991
local per = sliding and 7 or 4
local f = {}
for w = 1, nwin do
  local l = ARGV[first + (w - 1) * stride]
  f[#f + 1] = l .. 'i'
  f[#f + 1] = l .. 'r'
  f[#f + 1] = l .. 't'
  f[#f + 1] = l .. 'u'
  if sliding then
    f[#f + 1] = l .. 'pr'
    f[#f + 1] = l .. 'pt'
    f[#f + 1] = l .. 'pu'
  end
end
local h = {}
if nwin > 0 then h = redis.call('HMGET', KEYS[3], unpack(f)) end
-- win returns window w's length, index of at, stored index, and its
-- counts (current r, t, u, previous r, t, u) as of at.
local function win(w, at)
  local len = tonumber(ARGV[first + (w - 1) * stride])
  local idx = math.floor(at / len)
  local b = (w - 1) * per
  local si = tonumber(h[b + 1])
  if si == idx then
    if sliding then
      return len, idx, si, tonumber(h[b + 2]) or 0, tonumber(h[b + 3]) or 0, tonumber(h[b + 4]) or 0,
        tonumber(h[b + 5]) or 0, tonumber(h[b + 6]) or 0, tonumber(h[b + 7]) or 0
    end
    return len, idx, si, tonumber(h[b + 2]) or 0, tonumber(h[b + 3]) or 0, tonumber(h[b + 4]) or 0, 0, 0, 0
  elseif sliding and si == idx - 1 then
    return len, idx, si, 0, 0, 0, tonumber(h[b + 2]) or 0, tonumber(h[b + 3]) or 0, tonumber(h[b + 4]) or 0
  end
  return len, idx, si, 0, 0, 0, 0, 0, 0
end
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
var reserveScript = redis.NewScript(luaNow + `
local sliding = ARGV[2] == '1'
local first, stride = 9, 4
local nwin = (#ARGV - 8) / 4
` + luaWindows + `
-- refuse returns a refusal, or the stored admission when this is a replay
-- of one (its first run took the room this one lacks).
local function refuse(w, k, wait, big)
  if redis.call('EXISTS', KEYS[1]) == 1 then return {1, now, 1} end
  return {0, w, k, wait, big}
end
local amt = {tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])}
local conc = tonumber(ARGV[8])
local leased = nil
if conc > 0 then
  -- live leases; lapsed ones are reaped now and then (and when full)
  leased = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
  if now % 16 == 0 or leased + 1 > conc then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
  if leased + 1 > conc then return refuse(0, 0, 0, 0) end
end
for w = 1, nwin do
  local len, idx, si, c1, c2, c3, p1, p2, p3 = win(w, now)
  local elapsed = now - idx * len
  for k = 1, 3 do
    local lim = tonumber(ARGV[8 + (w - 1) * 4 + 1 + k])
    if lim > 0 then
      local cur = (k == 1 and c1) or (k == 2 and c2) or c3
      local prev = (k == 1 and p1) or (k == 2 and p2) or p3
      local used = cur
      if sliding then used = used + math.floor(prev * (len - elapsed) / len) end
      if used + amt[k] > lim then
        if amt[k] > lim then return refuse(w, k, 0, 1) end
        local wait = len - elapsed
        if sliding then
          local room = lim - cur - amt[k]
          if room >= 0 and prev > 0 then
            -- the previous window's share decays until it fits
            wait = math.ceil(len - room * len / prev) - elapsed
          elseif cur > 0 then
            -- next window: this one's count becomes the decaying share
            wait = wait + math.max(0, math.ceil(len - (lim - amt[k]) * len / cur))
          end
        end
        return refuse(w, k, math.max(1, wait), 0)
      end
    end
  end
end
if not redis.call('SET', KEYS[1], now, 'NX', 'PX', ARGV[4]) then
  return {1, now, 1} -- a replay: already admitted
end
if nwin > 0 then
  local o, ttl = {}, 0
  for w = 1, nwin do
    local len, idx, si, c1, c2, c3, p1, p2, p3 = win(w, now)
    local l = ARGV[first + (w - 1) * stride]
    if si ~= idx then
      -- a new window: the last one (if it was the one before) becomes the previous
      o[#o + 1] = l .. 'i'
      o[#o + 1] = idx
      if sliding then
        o[#o + 1] = l .. 'pr'
        o[#o + 1] = p1
        o[#o + 1] = l .. 'pt'
        o[#o + 1] = p2
        o[#o + 1] = l .. 'pu'
        o[#o + 1] = p3
      end
      ttl = math.max(ttl, 2 * len + 1000)
    end
    o[#o + 1] = l .. 'r'
    o[#o + 1] = math.min(c1 + amt[1], CAP)
    o[#o + 1] = l .. 't'
    o[#o + 1] = math.min(c2 + amt[2], CAP)
    o[#o + 1] = l .. 'u'
    o[#o + 1] = math.min(c3 + amt[3], CAP)
  end
  redis.call('HSET', KEYS[3], unpack(o))
  if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
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
// the window lengths (ms). Returns 1 when applied, 0 when not.
var settleScript = redis.NewScript(`
local rec = redis.call('SET', KEYS[1], 's', 'PX', ARGV[2], 'GET')
if not rec or rec == 's' then return 0 end
local at = tonumber(rec)
local sliding = ARGV[6] == '1'
local first, stride = 8, 1
local nwin = #ARGV - 7
` + luaWindows + `
local d1, d2, d3 = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local o = {}
for w = 1, nwin do
  local len, idx, si, c1, c2, c3 = win(w, at)
  local l = ARGV[first + w - 1]
  local b = (w - 1) * per
  if si == idx then
    o[#o + 1] = l .. 'r'
    o[#o + 1] = math.max(0, math.min(c1 + d1, CAP))
    o[#o + 1] = l .. 't'
    o[#o + 1] = math.max(0, math.min(c2 + d2, CAP))
    o[#o + 1] = l .. 'u'
    o[#o + 1] = math.max(0, math.min(c3 + d3, CAP))
  elseif sliding and si == idx + 1 then
    o[#o + 1] = l .. 'pr'
    o[#o + 1] = math.max(0, math.min((tonumber(h[b + 5]) or 0) + d1, CAP))
    o[#o + 1] = l .. 'pt'
    o[#o + 1] = math.max(0, math.min((tonumber(h[b + 6]) or 0) + d2, CAP))
    o[#o + 1] = l .. 'pu'
    o[#o + 1] = math.max(0, math.min((tonumber(h[b + 7]) or 0) + d3, CAP))
  end
end
if #o > 0 then redis.call('HSET', KEYS[3], unpack(o)) end
if ARGV[7] == '1' then redis.call('ZREM', KEYS[2], ARGV[1]) end
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
