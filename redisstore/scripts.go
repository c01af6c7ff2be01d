package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts. Each touches only the keys it is given, all under one
// hash tag, and validates before its first write (a Redis script that fails
// half-way keeps its earlier writes). Counters are integers kept in
// [0, 2^53-1], where Lua's numbers (doubles) are exact, so the scripts
// compute new values and write them with one HSET per window. The clock is
// the server's (TIME), in milliseconds.
//
// Key layout (KEYS), for reserve and settle alike:
//
//	KEYS[1]   the reservation record: the reserve time (ms), or "s" once settled
//	KEYS[2]   the lease set: ZSET member = reservation token, score = expiry (ms)
//	KEYS[3..] one HASH per window length: i = window index, r/t/u = requests,
//	          tokens, micro-USD in window i, pr/pt/pu = the same in window i-1

const luaCommon = `
local CAP = 9007199254740991
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// reserveScript admits an amount against every limit, or changes nothing.
//
// ARGV: 1 token, 2 sliding (0/1), 3 lease TTL ms, 4 record TTL ms,
// 5-7 amount (requests, tokens, micro-USD), 8 number of window lengths W,
// 9..8+W the lengths (ms), then the number of limits L and five values per
// limit: window number (1-based; 0 for none), requests, tokens, micro-USD,
// concurrent (0 = unlimited).
//
// Returns {1, now} when admitted, {1, now, 1} for a replay of an admitted
// reservation, {0, limit number, retry after ms, too large (0/1)} when
// refused.
var reserveScript = redis.NewScript(luaCommon + `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {1, now, 1}
end
local sliding = ARGV[2] == '1'
local amt = {tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])}
local nwin = tonumber(ARGV[8])
local wins = {}
for i = 1, nwin do
  local len = tonumber(ARGV[8 + i])
  local idx = math.floor(now / len)
  local h = redis.call('HMGET', KEYS[2 + i], 'i', 'r', 't', 'u', 'pr', 'pt', 'pu')
  local si = tonumber(h[1])
  local cur, prev = {0, 0, 0}, {0, 0, 0}
  if si == idx then
    for k = 1, 3 do
      cur[k] = tonumber(h[k + 1]) or 0
      prev[k] = tonumber(h[k + 4]) or 0
    end
  elseif si == idx - 1 then
    for k = 1, 3 do prev[k] = tonumber(h[k + 1]) or 0 end
  end
  local elapsed = now - idx * len
  local used = {}
  for k = 1, 3 do
    used[k] = cur[k]
    if sliding then used[k] = used[k] + math.floor(prev[k] * (len - elapsed) / len) end
  end
  wins[i] = {len = len, idx = idx, si = si, cur = cur, prev = prev, used = used, elapsed = elapsed}
end
local base = 9 + nwin
local nlim = tonumber(ARGV[base])
local leased = nil
for j = 1, nlim do
  local b = base + (j - 1) * 5
  local conc = tonumber(ARGV[b + 5])
  if conc > 0 then
    if not leased then
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
      leased = redis.call('ZCARD', KEYS[2])
    end
    if leased + 1 > conc then return {0, j, 0, 0} end
  end
  local wi = tonumber(ARGV[b + 1])
  if wi > 0 then
    local w = wins[wi]
    for k = 1, 3 do
      local lim = tonumber(ARGV[b + 1 + k])
      if lim > 0 and w.used[k] + amt[k] > lim then
        if amt[k] > lim then return {0, j, 0, 1} end
        local wait = w.len - w.elapsed
        if sliding then
          local room = lim - w.cur[k] - amt[k]
          if room >= 0 and w.prev[k] > 0 then
            -- the previous window's share decays until it fits
            wait = math.ceil(w.len - room * w.len / w.prev[k]) - w.elapsed
          elseif w.cur[k] > 0 then
            -- next window: this one's count becomes the decaying share
            wait = wait + math.max(0, math.ceil(w.len - (lim - amt[k]) * w.len / w.cur[k]))
          end
        end
        return {0, j, math.max(1, wait), 0}
      end
    end
  end
end
for i = 1, nwin do
  local w, key = wins[i], KEYS[2 + i]
  local v = {}
  for k = 1, 3 do v[k] = math.min(w.cur[k] + amt[k], CAP) end
  if w.si == w.idx then
    redis.call('HSET', key, 'r', v[1], 't', v[2], 'u', v[3])
  else
    -- a new window: the last one (if it was the one before) becomes the previous
    redis.call('HSET', key, 'i', w.idx, 'r', v[1], 't', v[2], 'u', v[3], 'pr', w.prev[1], 'pt', w.prev[2], 'pu', w.prev[3])
    redis.call('PEXPIRE', key, 2 * w.len + 1000)
  end
end
if leased then
  local ttl = tonumber(ARGV[3])
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ttl + 1000)
end
redis.call('SET', KEYS[1], now, 'PX', ARGV[4])
return {1, now}
`)

// settleScript replaces a reservation's amount by the actual one in the
// windows it was reserved in (if still held: the current or the previous
// window of each length), releases its lease and marks it settled, once:
// a second settle of the same reservation, or one whose record has
// expired, does nothing.
//
// ARGV: 1 token, 2 settled-record TTL ms, 3-5 delta (requests, tokens,
// micro-USD; actual minus reserved), 6 number of window lengths W, 7..6+W
// the lengths (ms). Returns 1 when applied, 0 when not.
var settleScript = redis.NewScript(luaCommon + `
local rec = redis.call('GET', KEYS[1])
if not rec or rec == 's' then return 0 end
local at = tonumber(rec)
local nwin = tonumber(ARGV[6])
for i = 1, nwin do
  local len = tonumber(ARGV[6 + i])
  local idx = math.floor(at / len)
  local key = KEYS[2 + i]
  local h = redis.call('HMGET', key, 'i', 'r', 't', 'u', 'pr', 'pt', 'pu')
  local si = tonumber(h[1])
  local f, o = nil, 0
  if si == idx then f, o = {'r', 't', 'u'}, 1
  elseif si == idx + 1 then f, o = {'pr', 'pt', 'pu'}, 4 end
  if f then
    local v = {}
    for k = 1, 3 do v[k] = math.max(0, math.min((tonumber(h[k + o]) or 0) + tonumber(ARGV[2 + k]), CAP)) end
    redis.call('HSET', key, f[1], v[1], f[2], v[2], f[3], v[3])
  end
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], 's', 'PX', ARGV[2])
return 1
`)

// renewScript extends the leases named in ARGV[2..] to now + ARGV[1] ms,
// only those still held (ZADD XX GT). KEYS[1] is the lease set. Returns how
// many were renewed; the others had expired and are gone.
var renewScript = redis.NewScript(luaCommon + `
local ttl = tonumber(ARGV[1])
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('ZADD', KEYS[1], 'XX', 'GT', 'CH', now + ttl, ARGV[i])
end
if n > 0 then redis.call('PEXPIRE', KEYS[1], ttl + 1000) end
return n
`)
