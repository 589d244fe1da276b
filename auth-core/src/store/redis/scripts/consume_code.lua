-- Takes a kept code if it is the one presented and has not expired.
-- KEYS[1] the code record, a string "<hash hex> <expires_at>"
-- ARGV: the presented hash (hex), now
-- Returns 1 if taken, else 0 (a wrong code leaves the record in place).
local v = redis.call('GET', KEYS[1])
if not v then
  return 0
end
local stored, exp = string.match(v, '^(%x+) (-?%d+)$')
local presented = ARGV[1]
if not stored or #stored ~= #presented then
  return 0
end
-- Compare every byte whatever the differences, so the time taken does not
-- tell how much of the hash matched.
local diff = 0
for i = 1, #stored do
  diff = bit.bor(diff, bit.bxor(string.byte(stored, i), string.byte(presented, i)))
end
if diff ~= 0 or tonumber(ARGV[2]) >= tonumber(exp) then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
