#!/usr/bin/env bash
# Bench: login throughput through the bounded argon2 pool, and GET /api/me
# latency (p50/p99) with and without a concurrent login flood, on a release
# auth-demo on 127.0.0.1. Prints one line per run and the medians.
#
#   bash examples/auth-demo/bench/login_flood.sh [runs=3] [seconds=10]
#
# Needs wrk (Debian: apt-get install wrk). Not a test: figures go to the README.
set -euo pipefail
cd "$(dirname "$0")/../../.."
runs="${1:-3}"
secs="${2:-10}"
here=examples/auth-demo/bench
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"

cargo build --release --quiet --bin auth-demo
AUTH_DEMO_ADDR="127.0.0.1:$port" AUTH_DEMO_LOGIN_MAX_FAILURES=1000000000 RUST_LOG=error \
  target/release/auth-demo >/dev/null 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done

curl -fs -X POST "$base/auth/register" -H 'content-type: application/json' \
  -d '{"username":"bench","password":"correct horse battery"}' >/dev/null
TOKEN=$(curl -fs -X POST "$base/auth/login" -H 'content-type: application/json' \
  -d '{"username":"bench","password":"correct horse battery"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
export TOKEN

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
base_p50=(); base_p99=(); flood_p50=(); flood_p99=(); logins=()
for run in $(seq "$runs"); do
  quiet=$(wrk -t1 -c8 -d"${secs}s" -s "$here/me.lua" "$base" | grep '^ME ')
  flood_out=$(mktemp)
  wrk -t1 -c16 -d"$((secs + 2))s" -s "$here/login_flood.lua" "$base" >"$flood_out" &
  flood=$!
  sleep 1
  loaded=$(wrk -t1 -c8 -d"${secs}s" -s "$here/me.lua" "$base" | grep '^ME ')
  wait $flood
  rate=$(awk '/Requests\/sec/ {print $2}' "$flood_out"); rm -f "$flood_out"
  echo "run $run: quiet [$quiet] flood [$loaded] logins/s $rate"
  base_p50+=("$(sed -E 's/.*p50_us=([0-9]+).*/\1/' <<<"$quiet")")
  base_p99+=("$(sed -E 's/.*p99_us=([0-9]+).*/\1/' <<<"$quiet")")
  flood_p50+=("$(sed -E 's/.*p50_us=([0-9]+).*/\1/' <<<"$loaded")")
  flood_p99+=("$(sed -E 's/.*p99_us=([0-9]+).*/\1/' <<<"$loaded")")
  logins+=("$rate")
done
b50=$(printf '%s\n' "${base_p50[@]}" | median); b99=$(printf '%s\n' "${base_p99[@]}" | median)
f50=$(printf '%s\n' "${flood_p50[@]}" | median); f99=$(printf '%s\n' "${flood_p99[@]}" | median)
lps=$(printf '%s\n' "${logins[@]}" | median)
echo "median /api/me p50: ${b50} us quiet, ${f50} us under flood (x$(awk "BEGIN {printf \"%.2f\", $f50/$b50}"))"
echo "median /api/me p99: ${b99} us quiet, ${f99} us under flood (x$(awk "BEGIN {printf \"%.2f\", $f99/$b99}"))"
echo "median login throughput under flood: ${lps} logins/s (argon2id m=19456 KiB t=2 p=1)"
