-- Ends every session of one user.
-- KEYS[1] the user's session index
-- ARGV: prefix, now
-- Returns the sessions that were live, each {sid, user_id, amr, auth_time,
-- created_at, last_used_at, ip, user agent}.
local prefix, now = ARGV[1], tonumber(ARGV[2])
local live = {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local skey = prefix .. 'session:' .. sid
  local s = redis.call('HMGET', skey, 'user', 'amr', 'auth_time', 'created', 'exp',
    'used', 'ip', 'ua')
  if s[1] then
    redis.call('DEL', skey)
    local exp = tonumber(s[5])
    if exp and exp > now then
      table.insert(live, {sid, s[1], s[2], s[3], s[4], s[6], s[7], s[8]})
    end
  end
end
redis.call('DEL', KEYS[1])
return live
