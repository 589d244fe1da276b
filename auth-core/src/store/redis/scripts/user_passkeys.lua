-- The passkeys of one user, oldest first.
-- KEYS[1] the owner's sorted set of ids
-- ARGV: prefix
-- Returns one {id, user, name, created, last_used, counter, credential} per passkey.
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', ARGV[1] .. 'passkey:' .. id,
    'user', 'name', 'created', 'last_used', 'counter', 'credential')
  if f[1] then
    table.insert(out, {id, f[1], f[2], f[3], f[4] or false, f[5], f[6]})
  end
end
return out
