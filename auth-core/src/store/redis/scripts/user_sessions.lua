-- The live sessions of one user; sids whose record is gone (expired) leave
-- the index here, so it holds no more than the user's live sessions and
-- those expired since the last look.
-- KEYS[1] the user's session index
-- ARGV: prefix, now
-- Returns the live sessions, each {sid, user_id, amr, auth_time, created_at,
-- last_used_at, ip, user agent}.
local prefix, now = ARGV[1], tonumber(ARGV[2])
local live = {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local s = redis.call('HMGET', prefix .. 'session:' .. sid, 'user', 'amr', 'auth_time',
    'created', 'exp', 'used', 'ip', 'ua')
  local exp = tonumber(s[5])
  if not s[1] then
    redis.call('SREM', KEYS[1], sid)
  elseif exp and exp > now then
    table.insert(live, {sid, s[1], s[2], s[3], s[4], s[6], s[7], s[8]})
  end
end
return live
