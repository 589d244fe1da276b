-- The revocations in force at a moment.
-- KEYS[1] the index by expiry
-- ARGV: prefix, now
-- Returns {kind, subject, until, cut} for each.
local out = {}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf')) do
  local r = redis.call('HMGET', ARGV[1] .. 'revocation:' .. member, 'kind', 'subject', 'until', 'cut')
  if r[1] then
    table.insert(out, {r[1], r[2], r[3], r[4]})
  end
end
return out
