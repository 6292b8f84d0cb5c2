// The Lua scripts of RedisConversationStore: each step of the conversation loop as one atomic script.
// Times come from the Redis server's clock (TIME), so every process agrees on what has expired.
// Lists hold entries `<expires at ms>:<id bytes>:<id><payload>`: the id's length is written out, so no
// character of an id or a payload can be mistaken for a separator.

import { script } from './redis-connection.js';

// Helpers every script that reads entries starts with.
const COMMON = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function entry(exp, id, payload) return exp .. ':' .. #id .. ':' .. id .. payload end
local function parse(e)
  local exp, n, rest = string.match(e, '^(%d+):(%d+):(.*)$')
  n = tonumber(n)
  return tonumber(exp), string.sub(rest, 1, n), string.sub(rest, n + 1)
end
local function rewrite(key, entries)
  redis.call('DEL', key)
  local last = 0
  for _, e in ipairs(entries) do
    redis.call('RPUSH', key, e)
    local exp = parse(e)
    if exp > last then last = exp end
  end
  if last > 0 then redis.call('PEXPIREAT', key, last) end
end
local function live(key)
  local out = {}
  for _, e in ipairs(redis.call('LRANGE', key, 0, -1)) do
    if parse(e) > now then out[#out + 1] = e end
  end
  return out
end
`;

// Delivery records hold `p:<token>` while processing and `d:<token>` once done. A claim repeated with its
// own token (a command the client sent again after a reconnect) still holds it.
const CLAIM = `local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'p:' .. ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if v == 'p:' .. ARGV[1] then return 'claimed' end
if string.sub(v, 1, 2) == 'd:' then return 'done' end
return 'processing'`;

const RENEW = `if redis.call('GET', KEYS[1]) == 'p:' .. ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

// Done when the claim is still this token's, or nothing is left of it (its lease ran out unclaimed).
const COMPLETE = `local v = redis.call('GET', KEYS[1])
if v and v ~= 'p:' .. ARGV[1] and v ~= 'd:' .. ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'd:' .. ARGV[1], 'PX', ARGV[2])
return 1`;

const RELEASE = `if redis.call('GET', KEYS[1]) == 'p:' .. ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// A hash: by, reason, since, until (ms). A hold in force keeps its fields; only its expiry moves.
const SET_HOLD = `${COMMON}
local expires = now + tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'by', ARGV[1], 'reason', ARGV[2], 'since', now)
end
redis.call('HSET', KEYS[1], 'until', expires)
redis.call('PEXPIREAT', KEYS[1], expires)
return redis.call('HMGET', KEYS[1], 'by', 'reason', 'since', 'until')`;

// Newest first: the new offer, then the live ones of other messages, at most ARGV[3] in all.
const RECORD_CHOICES = `${COMMON}
local out = { entry(now + tonumber(ARGV[4]), ARGV[1], ARGV[2]) }
for _, e in ipairs(live(KEYS[1])) do
  local _, id = parse(e)
  if id ~= ARGV[1] and #out < tonumber(ARGV[3]) then out[#out + 1] = e end
end
rewrite(KEYS[1], out)
return 1`;

// The live offer of message ARGV[1], or the newest when ARGV[1] is empty.
const FIND_CHOICES = `${COMMON}
for _, e in ipairs(live(KEYS[1])) do
  local _, id, payload = parse(e)
  if ARGV[1] == '' or id == ARGV[1] then return payload end
end
return false`;

// Keeps the larger of the stored time and ARGV[1], as the string it was given.
const NOTE_INBOUND = `local v = redis.call('GET', KEYS[1])
if v and tonumber(v) >= tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return v
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`;

// Oldest first: the live sends, then the new one, the oldest dropped past ARGV[3].
const RECORD_SEND = `${COMMON}
local sends = live(KEYS[1])
sends[#sends + 1] = entry(now + tonumber(ARGV[4]), ARGV[1], ARGV[2])
local out = {}
for i = math.max(1, #sends - tonumber(ARGV[3]) + 1), #sends do out[#out + 1] = sends[i] end
rewrite(KEYS[1], out)
return 1`;

// With an id (ARGV[1]): the send with that id, else the oldest without an id and with the fingerprint;
// without one: the oldest send with the fingerprint. The match is removed.
const MATCH_ECHO = `${COMMON}
local sends = live(KEYS[1])
local found = 0
if ARGV[1] ~= '' then
  for i, e in ipairs(sends) do
    local _, id = parse(e)
    if id == ARGV[1] then found = i break end
  end
end
if found == 0 then
  for i, e in ipairs(sends) do
    local _, id, fingerprint = parse(e)
    if fingerprint == ARGV[2] and (ARGV[1] == '' or id == '') then found = i break end
  end
end
if found == 0 then return 0 end
table.remove(sends, found)
rewrite(KEYS[1], sends)
return 1`;

// The inbox: KEYS[1] a list of JSON entries, KEYS[2] the sorted set of inboxes with entries (scored by
// when their oldest waiting entry came). Append: ARGV[1] the id, ARGV[2] the entry, ARGV[3] the TTL,
// ARGV[4] the score, ARGV[5] the inbox's member in that set.
const APPEND_INBOX = `for _, e in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if cjson.decode(e).id == ARGV[1] then return 0 end
end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[5])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return 1`;

// Removes the entries whose ids are ARGV[2..]; ARGV[1] is the inbox's member in the set of inboxes.
const ACK_INBOX = `local drop = {}
for i = 2, #ARGV do drop[ARGV[i]] = true end
local removed = 0
for _, e in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if drop[cjson.decode(e).id] then
    redis.call('LREM', KEYS[1], 1, e)
    removed = removed + 1
  end
end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
return removed`;

// Up to ARGV[1] members of the set of inboxes (KEYS[1]) whose list (ARGV[2] .. member) still exists;
// members whose list expired are dropped. It reads lists it is not given as KEYS: one Redis, not a cluster.
const PENDING_INBOXES = `local out = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('EXISTS', ARGV[2] .. member) == 1 then
    out[#out + 1] = member
    if #out >= tonumber(ARGV[1]) then break end
  else
    redis.call('ZREM', KEYS[1], member)
  end
end
return out`;

// The outbox: KEYS[1] its JSON ({ token, entries, payload, states }, a message being sent is
// `sending:<sender>`), KEYS[2..] the delivery records `answered:<entry id>`. Open: ARGV[1] the token,
// ARGV[2] the keep time, ARGV[3] the outbox's JSON. Returns 'opened', 'open' (another token's is open) or
// the ids (ARGV[3 + i] for KEYS[1 + i]) another token claimed.
const OPEN_OUTBOX = `local v = redis.call('GET', KEYS[1])
if v then
  if cjson.decode(v).token == ARGV[1] then return { 'opened' } end
  return { 'open' }
end
local taken = {}
for i = 2, #KEYS do
  local c = redis.call('GET', KEYS[i])
  if c and c ~= 'p:' .. ARGV[1] and c ~= 'd:' .. ARGV[1] then taken[#taken + 1] = ARGV[2 + i] end
end
if #taken > 0 then return taken end
for i = 2, #KEYS do redis.call('SET', KEYS[i], 'd:' .. ARGV[1], 'PX', ARGV[2]) end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
return { 'opened' }`;

// ARGV: the token, the message's index from 0, the state ('sending' or 'sent'), the sender.
const MARK_OUTBOX = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local outbox = cjson.decode(v)
if outbox.token ~= ARGV[1] or type(outbox.states) ~= 'table' then return 0 end
local i = tonumber(ARGV[2]) + 1
local now = outbox.states[i]
if now == nil or now == 'sent' then return 0 end
local sending = 'sending:' .. ARGV[4]
if ARGV[3] == 'sending' and now ~= 'pending' then
  if now == sending then return 1 end
  return 0
end
if ARGV[3] == 'sending' then outbox.states[i] = sending else outbox.states[i] = 'sent' end
redis.call('SET', KEYS[1], cjson.encode(outbox), 'KEEPTTL')
return 1`;

const CLOSE_OUTBOX = `local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export const SCRIPTS = {
  claim: script(CLAIM),
  renew: script(RENEW),
  complete: script(COMPLETE),
  release: script(RELEASE),
  setHold: script(SET_HOLD),
  recordChoices: script(RECORD_CHOICES),
  findChoices: script(FIND_CHOICES),
  noteInbound: script(NOTE_INBOUND),
  recordSend: script(RECORD_SEND),
  matchEcho: script(MATCH_ECHO),
  appendInbox: script(APPEND_INBOX),
  ackInbox: script(ACK_INBOX),
  pendingInboxes: script(PENDING_INBOXES),
  openOutbox: script(OPEN_OUTBOX),
  markOutbox: script(MARK_OUTBOX),
  closeOutbox: script(CLOSE_OUTBOX),
};
