-- Reads an account and its recovery codes in one consistent step.
-- ARGV: prefix, "id" or "name", the id or the username
local prefix, by, value = ARGV[1], ARGV[2], ARGV[3]
local id = value
if by == 'name' then
  id = redis.call('GET', prefix .. 'username:' .. value)
  if not id then
    return false
  end
end
local f = redis.call('HMGET', prefix .. 'user:' .. id, 'username', 'pw', 'roles', 'totp', 'totp_ok', 'created')
if not f[1] then
  return false
end
local codes = redis.call('SMEMBERS', prefix .. 'recovery:' .. id)
return {id, f[1], f[2], f[3], f[4], f[5], f[6], codes}
