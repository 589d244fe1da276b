#!/usr/bin/env bash
# Bench: GET /api/me latency (p50/p99) idle and under a flood of 400
# concurrent registrations, and the time of one legitimate login in both, on a
# release auth-demo on 127.0.0.1. The registration limit per address is
# lifted, so the flood reaches the hashing pool and its bounded queue (what
# AUTH_DEMO_HASH_QUEUE protects); medians of the runs. Each of the 400 flood
# connections sends a registration every PACE_MS (default 1000); PACE_MS=0
# makes it a request-rate flood, which saturates the CPU whatever the route.
#
#   bash examples/auth-demo/bench/register_flood.sh [runs=3] [seconds=10]
#
# Needs wrk and curl. Not a test: the figures go to the README.
set -euo pipefail
cd "$(dirname "$0")/../../.."
runs="${1:-3}"
secs="${2:-10}"
here=examples/auth-demo/bench
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"

cargo build --release --quiet --bin auth-demo
AUTH_DEMO_ADDR="127.0.0.1:$port" AUTH_DEMO_REGISTRATIONS_PER_HOUR="${REG_LIMIT:-1000000}" RUST_LOG=error \
  target/release/auth-demo >/dev/null 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done

curl -fs -X POST "$base/auth/register" -H 'content-type: application/json' \
  -d '{"username":"bench","password":"correct horse battery"}' >/dev/null
login() {
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST "$base/auth/login" \
    -H 'content-type: application/json' -d '{"username":"bench","password":"correct horse battery"}'
}
TOKEN=$(curl -fs -X POST "$base/auth/login" -H 'content-type: application/json' \
  -d '{"username":"bench","password":"correct horse battery"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
export TOKEN

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
idle99=(); flood99=(); idle50=(); flood50=(); idle_login=(); flood_login=()
for run in $(seq "$runs"); do
  idle=$(wrk -t1 -c8 -d"${secs}s" -s "$here/me.lua" "$base" | grep '^ME ')
  quiet_login=$(login)
  flood_out=$(mktemp)
  wrk -t2 -c400 -d"$((secs + 3))s" -s "$here/register_flood.lua" "$base" >"$flood_out" 2>&1 &
  flood=$!
  sleep 1
  loaded_login=$(login)
  loaded=$(wrk -t1 -c8 -d"${secs}s" -s "$here/me.lua" "$base" | grep '^ME ')
  wait $flood
  registered=$(awk '/requests in/ {print $1}' "$flood_out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$flood_out"); rm -f "$flood_out"
  echo "run $run: idle [$idle] login [$quiet_login] | flood [$loaded] login [$loaded_login] | flood requests $registered, non-2xx ${non2xx:-0}"
  idle50+=("$(sed -E 's/.*p50_us=([0-9]+).*/\1/' <<<"$idle")")
  idle99+=("$(sed -E 's/.*p99_us=([0-9]+).*/\1/' <<<"$idle")")
  flood50+=("$(sed -E 's/.*p50_us=([0-9]+).*/\1/' <<<"$loaded")")
  flood99+=("$(sed -E 's/.*p99_us=([0-9]+).*/\1/' <<<"$loaded")")
  idle_login+=("$(awk '{print $2}' <<<"$quiet_login")")
  flood_login+=("$(awk '{print $2}' <<<"$loaded_login")")
done
i50=$(printf '%s\n' "${idle50[@]}" | median); i99=$(printf '%s\n' "${idle99[@]}" | median)
f50=$(printf '%s\n' "${flood50[@]}" | median); f99=$(printf '%s\n' "${flood99[@]}" | median)
il=$(printf '%s\n' "${idle_login[@]}" | median); fl=$(printf '%s\n' "${flood_login[@]}" | median)
echo "median /api/me p50: ${i50} us idle, ${f50} us under 400 registrations (x$(awk "BEGIN {printf \"%.2f\", $f50/$i50}"))"
echo "median /api/me p99: ${i99} us idle, ${f99} us under 400 registrations (x$(awk "BEGIN {printf \"%.2f\", $f99/$i99}"))"
echo "median legitimate login: ${il} s idle, ${fl} s under the flood"
