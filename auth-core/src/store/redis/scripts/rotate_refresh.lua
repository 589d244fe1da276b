-- Presents a refresh token of a family (RFC 9700 §4.14.2): rotation, the
-- reuse interval and reuse detection in one atomic step. The family's record
-- has a constant size: current generation and hash, previous hash, the
-- current token sealed under the previous one, when it was rotated.
-- KEYS[1] the session record
-- ARGV: prefix, sid, presented generation, presented expiry, presented hash (hex),
--       next generation, next hash (hex), next sealed (base64), now,
--       next expires_at, expiry moment for the keys, reuse interval,
--       client address ('' unknown), user agent ('' unknown)
-- Returns {"invalid"}, {"rotated"|"reused", session...}, or
-- {"repeated", session..., sealed successor}, where session... is
-- sid, user_id, amr, auth_time, created_at, last_used_at, ip, user agent;
-- a rotation is a use: it records now and the client.
local prefix, sid = ARGV[1], ARGV[2]
local pgen, pexp, now = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[9])
-- An expired token proves nothing, not even reuse.
if not pexp or pexp <= now then
  return {'invalid'}
end
local s = redis.call('HMGET', KEYS[1], 'user', 'amr', 'auth_time', 'created', 'exp',
  'gen', 'cur', 'prev', 'sealed', 'rotated', 'used', 'ip', 'ua')
local exp, gen = tonumber(s[5]), tonumber(s[6])
if not s[1] or not exp or not gen or exp <= now then
  return {'invalid'}
end
local ukey = prefix .. 'user_sessions:' .. s[1]
if pgen == gen then
  if s[7] ~= ARGV[5] then
    return {'invalid'}
  end
  redis.call('HSET', KEYS[1], 'gen', ARGV[6], 'cur', ARGV[7], 'prev', ARGV[5],
    'sealed', ARGV[8], 'rotated', ARGV[9], 'used', ARGV[9], 'ip', ARGV[13], 'ua', ARGV[14])
  if tonumber(ARGV[10]) > exp then
    -- The session lives as long as its newest token.
    redis.call('HSET', KEYS[1], 'exp', ARGV[10])
    redis.call('EXPIREAT', KEYS[1], ARGV[11])
    redis.call('SADD', ukey, sid)
    if redis.call('TTL', ukey) == -1 then
      redis.call('EXPIREAT', ukey, ARGV[11])
    else
      redis.call('EXPIREAT', ukey, ARGV[11], 'GT')
    end
  end
  return {'rotated', sid, s[1], s[2], s[3], s[4], ARGV[9], ARGV[13], ARGV[14]}
end
if pgen > gen then
  return {'invalid'}
end
local interval, rotated = tonumber(ARGV[12]), tonumber(s[10])
if pgen + 1 == gen and interval > 0 and rotated and s[8] == ARGV[5]
    and now - rotated <= interval and s[9] then
  return {'repeated', sid, s[1], s[2], s[3], s[4], s[11], s[12], s[13], s[9]}
end
-- An older token of a live family: reuse. The family goes.
redis.call('DEL', KEYS[1])
redis.call('SREM', ukey, sid)
return {'reused', sid, s[1], s[2], s[3], s[4], s[11], s[12], s[13]}
