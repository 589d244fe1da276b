-- The live session of a refresh token, current or retired.
-- KEYS[1] the token's record
-- ARGV: prefix, now
-- Returns false, or {sid, user_id, amr, auth_time, created_at}.
local sid = redis.call('HGET', KEYS[1], 'sid')
if not sid then
  return false
end
local s = redis.call('HMGET', ARGV[1] .. 'session:' .. sid, 'user', 'amr', 'auth_time', 'created', 'exp')
local exp = tonumber(s[5])
if not s[1] or not exp or exp <= tonumber(ARGV[2]) then
  return false
end
return {sid, s[1], s[2], s[3], s[4]}
