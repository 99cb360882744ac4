#!/usr/bin/env bash
# Every data type next to Redis: redis-benchmark's default test list (no -t) against a fresh
# shale-server and Debian's redis-server in the same run.
#
# Both servers (shale-server --appendfsync everysec; redis-server --appendonly yes
# --appendfsync everysec --save '') run on free loopback ports with empty temporary data
# directories for the whole run. Each round runs
#   redis-benchmark -h 127.0.0.1 -p PORT -n N -r 100000 -c 50 --csv
# against both, one after the other, alternating which goes first. A run that reports an error
# from the server (redis-benchmark prints "Error from server: ..." and exits 1) or exits
# non-zero fails the script, naming the test that was running. At the end it prints, for every
# test of the suite: requests/s per round, the medians, the ratio Shale/Redis of the medians and
# the medians of p50/p99 latency (ms).
#
# Environment:
#   BENCH_REQUESTS   requests per test (-n, default 100000)
#   BENCH_ROUNDS     rounds (default 3; at least 2 so that each server goes first once)
#   BENCH_KEYSPACE   -r (default 100000)
#   BENCH_CLIENTS    -c (default 50)
#   SHALE_SERVER     shale-server binary (default build/release/bin/shale-server)
#   REDIS_SERVER     redis-server binary (default /usr/bin/redis-server)
# Raw redis-benchmark output is kept in bench/out/.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
requests=${BENCH_REQUESTS:-100000}
rounds=${BENCH_ROUNDS:-3}
keyspace=${BENCH_KEYSPACE:-100000}
clients=${BENCH_CLIENTS:-50}
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

mkdir -p "$repo/bench/out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$repo/bench/out/types-$stamp.txt"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "host: $(machine)"
  echo "shale: $shale_server"
  echo "redis: $("$redis_server" --version)"
  echo "benchmark: redis-benchmark -n $requests -r $keyspace -c $clients --csv (default test list), $rounds rounds"
} | tee "$raw"

start shale "$shale_server" --appendfsync everysec --loglevel warning
start redis "$redis_server" --appendonly yes --appendfsync everysec --save "" --loglevel warning

# "<server> <test>" -> space-separated figures per round
declare -A results p50s p99s
run() {
  local name=$1 round=$2
  local output errors status=0
  output=$(redis-benchmark -h 127.0.0.1 -p "${port[$name]}" -n "$requests" -r "$keyspace" \
    -c "$clients" --csv 2>"$work/stderr") || status=$?
  errors=$(cat "$work/stderr")
  printf '### round %s, %s (exit %s)\n%s\n%s\n' "$round" "$name" "$status" "$output" "$errors" >>"$raw"
  local test rps avg min p50 p95 p99 last=""
  while IFS=, read -r test rps avg min p50 p95 p99 _; do
    test=${test//\"/}
    [[ "$test" == "test" || -z "$test" ]] && continue
    last=$test
    results["$name $test"]+="${rps//\"/} "
    p50s["$name $test"]+="${p50//\"/} "
    p99s["$name $test"]+="${p99//\"/} "
  done <<<"$output"
  if ((status != 0)) || grep -qi 'error' <<<"$errors"; then
    echo "redis-benchmark against $name failed in round $round (exit $status) after test '${last:-none}':" >&2
    echo "$errors" >&2
    echo "raw output: $raw" >&2
    exit 1
  fi
  echo "round $round: $name done (load averages $(cut -d' ' -f1-3 /proc/loadavg))" >&2
}

for ((round = 1; round <= rounds; round++)); do
  if ((round % 2 == 1)); then
    run shale "$round"
    run redis "$round"
  else
    run redis "$round"
    run shale "$round"
  fi
done
stop shale
stop redis

# The suite's tests in its order, from round 1's Shale run (names contain spaces:
# "LRANGE_100 (first 100 elements)").
tests=()
while IFS=, read -r test _; do
  test=${test//\"/}
  [[ "$test" == "test" || -z "$test" ]] && continue
  tests+=("$test")
done < <(awk '/^### round 1, shale/ { on = 1; next } /^### / { on = 0 } on' "$raw")

{
  echo
  echo "load averages at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "requests/s per round; medians; ratio = Shale/Redis of the medians; p50/p99 ms (medians of the rounds)"
  printf '%-36s %-28s %-28s %9s %9s %6s %12s %12s\n' "test" "shale per round" "redis per round" \
    "shale" "redis" "ratio" "shale p50/99" "redis p50/99"
  for test in "${tests[@]}"; do
    key_s="shale $test"
    key_r="redis $test"
    shale_median=$(median <<<"${results[$key_s]:-}")
    redis_median=$(median <<<"${results[$key_r]:-}")
    ratio=$(awk -v s="$shale_median" -v r="$redis_median" 'BEGIN { if (r > 0) printf "%.2f", s / r; else print "n/a" }')
    printf '%-36s %-28s %-28s %9.0f %9.0f %6s %12s %12s\n' "$test" "${results[$key_s]:-}" \
      "${results[$key_r]:-}" "$shale_median" "$redis_median" "$ratio" \
      "$(median <<<"${p50s[$key_s]:-}")/$(median <<<"${p99s[$key_s]:-}")" \
      "$(median <<<"${p50s[$key_r]:-}")/$(median <<<"${p99s[$key_r]:-}")"
  done
} | tee -a "$raw"
echo
echo "raw output: $raw"
