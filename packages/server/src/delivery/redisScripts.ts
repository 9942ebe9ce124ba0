// Lua scripts of the shared (Redis) delivery store: each runs atomically in Redis.
//
// Session keys (KEYS[1..3]): the hash `<p>:session:<id>`, the list `<p>:session:<id>:stream`
// (unacknowledged session-stream entries, `<seq>:<sealed>`, oldest first) and the set
// `<p>:session:<id>:rooms`. Every write names the claim generation (`gen`) it was made under: once
// another instance claimed the session (a resume there), the old holder's late writes are refused.

const FENCE = `if redis.call('HGET', KEYS[1], 'gen') ~= ARGV[1] then return 0 end`

/** Gives the stream list and the rooms set the hash's time to live. */
const ALIGN_TTL = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end`

/** ARGV: user, owner instance, ttl. */
export const SESSION_OPEN = `
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'owner', ARGV[2], 'gen', '1', 'lastSeq', '0',
  'lastProcessed', '0', 'endedAt', '')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`

/** ARGV: gen, seq, entry, max entries kept. */
export const SESSION_PUSH = `${FENCE}
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
redis.call('HSET', KEYS[1], 'lastSeq', ARGV[2])
${ALIGN_TTL}
return 1`

/** ARGV: gen, seq acknowledged (cumulative). The entries are consecutive and end at lastSeq. */
export const SESSION_ACK = `${FENCE}
local keep = tonumber(redis.call('HGET', KEYS[1], 'lastSeq')) - tonumber(ARGV[2])
if keep <= 0 then
  redis.call('DEL', KEYS[2])
else
  redis.call('LTRIM', KEYS[2], -keep, -1)
end
return 1`

/** ARGV: gen, ttl (ms), then field, value pairs. */
export const SESSION_SET = `${FENCE}
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
${ALIGN_TTL}
return 1`

/** ARGV: gen, 'add' or 'rem', room. */
export const SESSION_ROOM = `${FENCE}
if ARGV[2] == 'add' then redis.call('SADD', KEYS[3], ARGV[3]) else redis.call('SREM', KEYS[3], ARGV[3]) end
${ALIGN_TTL}
return 1`

/** ARGV: gen. */
export const SESSION_DROP = `${FENCE}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1`

/**
 * Claims a session for a resume on this instance: only if it is still at the generation read
 * before (no other claim in between). ARGV: gen, owner instance, ttl. Returns false (gone),
 * {'moved'}, or {gen, user, lastSeq, lastProcessed, endedAt, entries, rooms}.
 */
export const SESSION_CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if redis.call('HGET', KEYS[1], 'gen') ~= ARGV[1] then return {'moved'} end
local gen = redis.call('HINCRBY', KEYS[1], 'gen', 1)
local state = redis.call('HMGET', KEYS[1], 'user', 'lastSeq', 'lastProcessed', 'endedAt')
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'endedAt', '')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
${ALIGN_TTL}
return {tostring(gen), state[1], state[2], state[3], state[4], redis.call('LRANGE', KEYS[2], 0, -1),
  redis.call('SMEMBERS', KEYS[3])}`

// Room keys: the hash `<p>:room:<room>` (epoch, seq) and the list `<p>:room:<room>:history`
// (`<seq>:<at>:<sealed content>`, oldest first).

/** Drops the history's entries older than ARGV[maxAgeIndex] ms before ARGV[nowIndex]. */
const TRIM_AGE = (maxAge: number, now: number) => `
local oldest = tonumber(ARGV[${now}]) - tonumber(ARGV[${maxAge}])
while true do
  local head = redis.call('LINDEX', KEYS[2], 0)
  if not head then break end
  local at = tonumber(string.match(head, '^%d+:(%d+):'))
  if at == nil or at >= oldest then break end
  redis.call('LPOP', KEYS[2])
end`

/**
 * The next message of a room: its seq (the stream starts with the given epoch if it has none),
 * kept in the history (count, age), and published to every instance, all at once: instances see
 * a room's entries in seq order. ARGV: candidate epoch, at, sealed content, count, maxAge, now,
 * ttl, channel, room. Returns {epoch, seq}.
 */
export const ROOM_APPEND = `
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local count = tonumber(ARGV[4])
if count > 0 and tonumber(ARGV[5]) > 0 then
  redis.call('RPUSH', KEYS[2], seq .. ':' .. ARGV[2] .. ':' .. ARGV[3])
  redis.call('LTRIM', KEYS[2], -count, -1)
end
${TRIM_AGE(5, 6)}
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
redis.call('PUBLISH', ARGV[8], cjson.encode({r = ARGV[9], e = epoch, s = seq, a = ARGV[2], b = ARGV[3]}))
return {epoch, seq}`

/**
 * A room's position and, given one (ARGV[2] an epoch, ARGV[3] a seq), what followed it, from one
 * snapshot. ARGV: candidate epoch, from epoch ('' for none), from seq, maxAge, now, ttl.
 * Returns {epoch, seq, 0} (none asked), {epoch, seq, -1} (not all held), {epoch, seq, 1, entries}.
 */
export const ROOM_READ = `
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
${TRIM_AGE(4, 5)}
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
if ARGV[2] == '' then return {epoch, seq, 0} end
local from = tonumber(ARGV[3])
if ARGV[2] ~= epoch or from > seq then return {epoch, seq, -1} end
if from == seq then return {epoch, seq, 1, {}} end
local head = redis.call('LINDEX', KEYS[2], 0)
if not head then return {epoch, seq, -1} end
local first = tonumber(string.match(head, '^(%d+):'))
if first > from + 1 then return {epoch, seq, -1} end
return {epoch, seq, 1, redis.call('LRANGE', KEYS[2], from + 1 - first, -1)}`
