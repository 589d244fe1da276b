-- wrk script: GET /api/me with the bearer token in $TOKEN; prints p50/p99.
local token = os.getenv("TOKEN")
request = function()
  return wrk.format("GET", "/api/me", {["Authorization"] = "Bearer " .. token})
end
done = function(summary, latency, requests)
  io.write(string.format("ME p50_us=%d p99_us=%d requests=%d non2xx=%d\n",
    latency:percentile(50), latency:percentile(99), summary.requests,
    summary.errors.status))
end
