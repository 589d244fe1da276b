-- Presents a refresh token (RFC 9700 §4.14.2): rotation and reuse detection
-- in one atomic step.
-- KEYS[1] the presented token's record
-- ARGV: prefix, next token hash (hex), now, next expires_at, expiry moment for the keys
-- Returns {"invalid"}, or {"rotated"|"reused", sid, user_id, amr, auth_time, created_at}.
local prefix, now = ARGV[1], tonumber(ARGV[3])
local t = redis.call('HMGET', KEYS[1], 'sid', 'retired', 'exp')
local sid, exp = t[1], tonumber(t[3])
-- An expired token proves nothing, not even reuse.
if not sid or not exp or exp <= now then
  return {'invalid'}
end
local skey = prefix .. 'session:' .. sid
local s = redis.call('HMGET', skey, 'user', 'amr', 'auth_time', 'created', 'exp')
local session_exp = tonumber(s[5])
if not s[1] or not session_exp or session_exp <= now then
  return {'invalid'}
end
local ukey = prefix .. 'user_sessions:' .. s[1]
if t[2] == '1' then
  -- A retired token of a live family: reuse. The family goes; its tokens
  -- then point at nothing and are refused until they expire.
  redis.call('DEL', skey)
  redis.call('SREM', ukey, sid)
  return {'reused', sid, s[1], s[2], s[3], s[4]}
end
if t[2] ~= '0' then
  return {'invalid'}
end
redis.call('HSET', KEYS[1], 'retired', '1')
local next_key = prefix .. 'refresh:' .. ARGV[2]
redis.call('HSET', next_key, 'sid', sid, 'retired', '0', 'exp', ARGV[4])
redis.call('EXPIREAT', next_key, ARGV[5])
if tonumber(ARGV[4]) > session_exp then
  -- The session lives as long as its newest token.
  redis.call('HSET', skey, 'exp', ARGV[4])
  redis.call('EXPIREAT', skey, ARGV[5])
  redis.call('SADD', ukey, sid)
  if redis.call('TTL', ukey) == -1 then
    redis.call('EXPIREAT', ukey, ARGV[5])
  else
    redis.call('EXPIREAT', ukey, ARGV[5], 'GT')
  end
end
return {'rotated', sid, s[1], s[2], s[3], s[4]}
