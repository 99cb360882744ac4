#!/usr/bin/env bash
# Throughput of shale-server next to Redis, measured with redis-benchmark.
#
# Two phases, each with a fresh shale-server (build/release/bin/shale-server, built first if
# missing) and Debian's redis-server (AOF on, no RDB snapshots), each on a free loopback port
# with an empty temporary data directory and the same appendfsync policy:
#   everysec: `redis-benchmark -t set,get -n N -r 1000000 -d 100 -c 50 -P D` per pipeline depth;
#   always:   the same with `-t set` only (every write fsynced before its reply, on both).
# Each phase alternates which server goes first, for several rounds, and measures the loopback
# ceiling in the same round (`-t ping_mbulk` against Redis: no storage work at all). It prints
# requests/s per round, the medians, p50/p99 latency medians (ms, from --csv) and the
# Shale/Redis ratio of the medians. Everything it starts is stopped on exit.
#
# Environment:
#   BENCH_REQUESTS   requests per redis-benchmark run (default 1000000; e.g. 50000 for a quick run)
#   BENCH_ROUNDS     rounds (default 3)
#   BENCH_PIPELINES  pipeline depths (default "1 16")
#   BENCH_PHASES     appendfsync policies to run (default "everysec always")
#   SHALE_SERVER     shale-server binary (default build/release/bin/shale-server)
#   REDIS_SERVER     redis-server binary (default /usr/bin/redis-server)
# Raw redis-benchmark output is kept in bench/out/.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
requests=${BENCH_REQUESTS:-1000000}
rounds=${BENCH_ROUNDS:-3}
pipelines=${BENCH_PIPELINES:-"1 16"}
phases=${BENCH_PHASES:-"everysec always"}
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

mkdir -p "$repo/bench/out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$repo/bench/out/server-$stamp.txt"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r)"
  echo "shale: $shale_server"
  echo "redis: $("$redis_server" --version)"
  echo "benchmark: redis-benchmark -n $requests -r 1000000 -d 100 -c 50 -P {$pipelines}, $rounds rounds, phases: $phases"
} | tee "$raw"

# "<phase> <server> <TEST> <pipeline>" -> space-separated figures per round
declare -A results p50s p99s
run() {
  local phase=$1 name=$2 tests=$3 depth=$4 round=$5 label=${6:-$2}
  local output
  output=$(redis-benchmark -h 127.0.0.1 -p "${port[$name]}" -t "$tests" -n "$requests" \
    -r 1000000 -d 100 -c 50 -P "$depth" --csv 2>/dev/null)
  printf '### %s, round %s, %s, -P %s\n%s\n' "$phase" "$round" "$label" "$depth" "$output" >>"$raw"
  local test rps avg min p50 p95 p99
  while IFS=, read -r test rps avg min p50 p95 p99 _; do
    test=${test//\"/}
    [[ "$test" == "test" || -z "$test" ]] && continue
    results["$phase $label $test $depth"]+="${rps//\"/} "
    p50s["$phase $label $test $depth"]+="${p50//\"/} "
    p99s["$phase $label $test $depth"]+="${p99//\"/} "
  done <<<"$output"
  echo "$phase round $round: $label -P $depth done" >&2
}

for phase in $phases; do
  start shale "$shale_server" --appendfsync "$phase" --loglevel warning
  start redis "$redis_server" --appendonly yes --appendfsync "$phase" --save "" --loglevel warning
  tests=set,get
  [[ "$phase" == "always" ]] && tests=set
  for ((round = 1; round <= rounds; round++)); do
    for depth in $pipelines; do
      if ((round % 2 == 1)); then
        run "$phase" shale "$tests" "$depth" "$round"
        run "$phase" redis "$tests" "$depth" "$round"
      else
        run "$phase" redis "$tests" "$depth" "$round"
        run "$phase" shale "$tests" "$depth" "$round"
      fi
      run "$phase" redis ping_mbulk "$depth" "$round" ceiling
    done
  done
  stop shale
  stop redis
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
  if (NR == 0) { print 0; exit }
  if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

{
  for phase in $phases; do
    echo
    echo "appendfsync $phase (p50/p99: medians of the rounds, ms)"
    printf '%-10s %-30s %-30s %10s %10s %6s %12s %12s %10s\n' "workload" "shale req/s per round" \
      "redis req/s per round" "shale" "redis" "ratio" "shale p50/99" "redis p50/99" "ceiling"
    tests="SET GET"
    [[ "$phase" == "always" ]] && tests="SET"
    for depth in $pipelines; do
      ceiling=$(median <<<"${results["$phase ceiling PING_MBULK $depth"]:-}")
      for test in $tests; do
        key_s="$phase shale $test $depth"
        key_r="$phase redis $test $depth"
        shale_median=$(median <<<"${results[$key_s]:-}")
        redis_median=$(median <<<"${results[$key_r]:-}")
        ratio=$(awk -v s="$shale_median" -v r="$redis_median" 'BEGIN { if (r > 0) printf "%.2f", s / r; else print "n/a" }')
        lat_s="$(median <<<"${p50s[$key_s]:-}")/$(median <<<"${p99s[$key_s]:-}")"
        lat_r="$(median <<<"${p50s[$key_r]:-}")/$(median <<<"${p99s[$key_r]:-}")"
        printf '%-10s %-30s %-30s %10.0f %10.0f %6s %12s %12s %10.0f\n' "$test -P $depth" \
          "${results[$key_s]:-}" "${results[$key_r]:-}" "$shale_median" "$redis_median" "$ratio" \
          "$lat_s" "$lat_r" "$ceiling"
      done
    done
  done
} | tee -a "$raw"
echo
echo "raw output: $raw"
