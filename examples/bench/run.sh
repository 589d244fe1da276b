#!/usr/bin/env bash
# The cost of AuthLayer over HTTP, against the same route without it, in one
# run: a release `bench-server` (one Tokio runtime) serves GET /hello, and wrk
# (1 thread, 64 connections) calls it for SECS seconds, with the server on
# core 0 and wrk on core 1 when there are two cores or more. Variants:
#
#   none            no layer (the baseline); the requests carry a token all the same
#   hs256, eddsa    AuthLayer::bearer + the AuthUser extractor, with
#     reused          one token on every request (what a client does for the
#                     token's whole lifetime): answered from the verifier's cache
#     rotating        100k distinct tokens going round, the cache on (100k live
#                     clients: after the first round, hits spread over memory)
#     cold            the same 100k tokens with the cache off: every request
#                     verified in full (the cold path)
#
# For each: requests per second as a share of the no-auth baseline measured
# just before it, and the server CPU time per request (utime + stime from
# /proc over the measured window) minus the baseline's. Medians of RUNS
# runs. Not a test.
#
#   bash examples/bench/run.sh [runs=3] [secs=10]
#
# Needs wrk (Debian: apt-get install wrk) and taskset (util-linux).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-3}"
secs="${2:-10}"
conns="${CONNS:-64}"
tokens_per_set="${TOKENS:-100000}"
here=examples/bench

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p auth-bench
bin=target/release/bench-server
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

for alg in hs256 eddsa; do
  "$bin" tokens --auth "$alg" --keys "$work/keys-$alg" --count "$tokens_per_set" >"$work/$alg.rotating"
  head -n 1 "$work/$alg.rotating" >"$work/$alg.reused"
done

if [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 0)
  client_cpu=(taskset -c 1)
else
  server_cpu=()
  client_cpu=()
fi
ticks_per_sec="$(getconf CLK_TCK)"
port=$((20000 + RANDOM % 20000))

# measure AUTH TOKENS CACHE WARMUP: prints "requests_per_sec cpu_us_per_request".
measure() {
  local auth="$1" tokens="$2" cache="$3" warmup="$4" keys="$work/keys-$1"
  [ "$auth" = none ] && keys="$work/keys-none"
  "${server_cpu[@]}" "$bin" serve --auth "$auth" --keys "$keys" --addr "127.0.0.1:$port" \
    --cache "$cache" \
    >"$work/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    grep -q listening "$work/server.log" 2>/dev/null && break
    sleep 0.05
  done
  # A warm-up (connections, caches), then the measured window.
  "${client_cpu[@]}" wrk -t1 -c"$conns" -d"${warmup}s" -s "$here/tokens.lua" \
    "http://127.0.0.1:$port" -- "$tokens" >/dev/null
  local before after
  before="$(awk '{print $14 + $15}' "/proc/$pid/stat")"
  "${client_cpu[@]}" wrk -t1 -c"$conns" -d"${secs}s" -s "$here/tokens.lua" \
    "http://127.0.0.1:$port" -- "$tokens" >"$work/wrk.out"
  after="$(awk '{print $14 + $15}' "/proc/$pid/stat")"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  if grep -q "Non-2xx" "$work/wrk.out"; then
    echo "$auth: some answers were not 200:" >&2
    cat "$work/wrk.out" >&2
    exit 1
  fi
  local requests rps
  requests="$(awk '/requests in/ {print $1}' "$work/wrk.out")"
  rps="$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")"
  awk -v r="$rps" -v n="$requests" -v t="$((after - before))" -v hz="$ticks_per_sec" \
    'BEGIN { printf "%s %.3f\n", r, t / hz / n * 1e6 }'
}

# Each variant is measured right after a no-auth baseline of its own, and
# compared with that one: the machines these run on are shared, and their
# speed drifts by tens of percent within minutes, so a baseline taken once
# per run would compare moments, not code.
variants=(hs256:reused hs256:rotating hs256:cold eddsa:reused eddsa:rotating eddsa:cold)
for run in $(seq "$runs"); do
  for variant in "${variants[@]}"; do
    auth="${variant%%:*}"
    kind="${variant##*:}"
    case "$kind" in
      reused) tokens="$work/$auth.reused" cache=on warmup=2 ;;
      # Long enough for every token to be sent once (EdDSA runs ~13k req/s
      # cold here): what follows is the steady state of 100k live clients.
      rotating) tokens="$work/$auth.rotating" cache=on warmup="${ROTATING_WARMUP:-12}" ;;
      cold) tokens="$work/$auth.rotating" cache=off warmup=2 ;;
    esac
    # Odd runs take the baseline first, even runs second: a drift of the
    # machine's speed then favours neither side in the median.
    base() { echo "$run $variant base $(measure none "$work/$auth.reused" on 2)" | tee -a "$work/results"; }
    test() { echo "$run $variant test $(measure "$auth" "$tokens" "$cache" "$warmup")" | tee -a "$work/results"; }
    if [ $((run % 2)) = 1 ]; then base; test; else test; base; fi
  done
done

python3 - "$work/results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def pairs(variant):
    runs = sorted({r[0] for r in rows if r[1] == variant})
    get = lambda run, role: next(r for r in rows if r[:3] == [run, variant, role])
    return [(get(run, "base"), get(run, "test")) for run in runs]
bases = [float(r[3]) for r in rows if r[2] == "base"]
print(f"\nno auth: {statistics.median(bases):.0f} req/s (median of {len(bases)} baselines)")
print(f"{'variant':<16} {'req/s (median)':>15} {'share of no-auth':>17} {'added CPU µs/req':>17}")
for variant in ["hs256:reused", "hs256:rotating", "hs256:cold",
                "eddsa:reused", "eddsa:rotating", "eddsa:cold"]:
    p = pairs(variant)
    rps = statistics.median(float(t[3]) for _, t in p)
    share = statistics.median(float(t[3]) / float(b[3]) for b, t in p)
    added = statistics.median(float(t[4]) - float(b[4]) for b, t in p)
    print(f"{variant:<16} {rps:>15.0f} {share:>17.2f} {added:>17.2f}")
PY
