-- Ends one session.
-- KEYS[1] the session record
-- ARGV: prefix, sid, now
-- Returns false, or the session if it was live: {sid, user_id, amr, auth_time,
-- created_at, last_used_at, ip, user agent}.
local s = redis.call('HMGET', KEYS[1], 'user', 'amr', 'auth_time', 'created', 'exp',
  'used', 'ip', 'ua')
if not s[1] then
  return false
end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[1] .. 'user_sessions:' .. s[1], ARGV[2])
local exp = tonumber(s[5])
if not exp or exp <= tonumber(ARGV[3]) then
  return false
end
return {ARGV[2], s[1], s[2], s[3], s[4], s[6], s[7], s[8]}
