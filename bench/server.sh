#!/usr/bin/env bash
# Throughput of shale-server next to Redis, measured with redis-benchmark.
#
# Starts a fresh shale-server (build/release/bin/shale-server, built first if missing) and
# Debian's redis-server (AOF on, appendfsync everysec, no RDB snapshots), each on a free
# loopback port with an empty temporary data directory, both with everysec durability. Then
# runs, for each pipeline depth, `redis-benchmark -t set,get -n N -r 1000000 -d 100 -c 50 -P D`
# against one server and then the other, alternating which goes first, for several rounds;
# prints requests/s per round and the median, and the Shale/Redis ratio of the medians.
# Everything it starts is stopped on exit.
#
# Environment:
#   BENCH_REQUESTS   requests per redis-benchmark run (default 1000000; e.g. 50000 for a quick run)
#   BENCH_ROUNDS     rounds (default 3)
#   BENCH_PIPELINES  pipeline depths (default "1 16")
#   SHALE_SERVER     shale-server binary (default build/release/bin/shale-server)
#   REDIS_SERVER     redis-server binary (default /usr/bin/redis-server)
# Raw redis-benchmark output is kept in bench/out/.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
requests=${BENCH_REQUESTS:-1000000}
rounds=${BENCH_ROUNDS:-3}
pipelines=${BENCH_PIPELINES:-"1 16"}
shale_server=${SHALE_SERVER:-$repo/build/release/bin/shale-server}
redis_server=${REDIS_SERVER:-/usr/bin/redis-server}

for tool in redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install redis-tools)" >&2; exit 1; }
done
[[ -x "$redis_server" ]] || { echo "redis-server not found at $redis_server" >&2; exit 1; }
if [[ ! -x "$shale_server" ]]; then
  if [[ -n "${SHALE_SERVER:-}" ]]; then
    echo "shale-server not found at $shale_server" >&2
    exit 1
  fi
  echo "building shale-server (release preset)..."
  (cd "$repo" && cmake --preset release && cmake --build --preset release --target shale-server)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/shale-bench-XXXXXX")
declare -A pid port
cleanup() {
  local name
  for name in "${!pid[@]}"; do
    if kill -0 "${pid[$name]}" 2>/dev/null; then
      kill -TERM "${pid[$name]}" 2>/dev/null || true
      local waited=0
      while kill -0 "${pid[$name]}" 2>/dev/null && ((waited < 100)); do
        sleep 0.1
        waited=$((waited + 1))
      done
      kill -KILL "${pid[$name]}" 2>/dev/null || true
      wait "${pid[$name]}" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

# start <name> <binary> <args...>: starts on a random free loopback port with its own data
# directory; ready when the server on the port reports that directory.
start() {
  local name=$1 binary=$2
  shift 2
  local dir="$work/$name"
  mkdir -p "$dir"
  local attempt
  for attempt in 1 2 3 4 5; do
    local p=$((20000 + RANDOM % 40000))
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
    "$binary" --port "$p" --bind 127.0.0.1 --dir "$dir" "$@" >>"$work/$name.log" 2>&1 &
    pid[$name]=$!
    port[$name]=$p
    local polls=0
    while ((polls < 200)) && kill -0 "${pid[$name]}" 2>/dev/null; do
      local reported
      reported=$(redis-cli -p "$p" --raw config get dir 2>/dev/null | sed -n 2p | tr -d '\r' || true)
      if [[ -n "$reported" && "$(realpath "$reported")" == "$(realpath "$dir")" ]]; then
        return 0
      fi
      sleep 0.05
      polls=$((polls + 1))
    done
    if kill -0 "${pid[$name]}" 2>/dev/null; then break; fi
  done
  echo "$name did not start; log:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

start shale "$shale_server" --appendfsync everysec --loglevel warning
start redis "$redis_server" --appendonly yes --appendfsync everysec --save "" --loglevel warning

mkdir -p "$repo/bench/out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$repo/bench/out/server-$stamp.txt"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r)"
  echo "shale: $shale_server"
  echo "redis: $("$redis_server" --version)"
  echo "benchmark: redis-benchmark -t set,get -n $requests -r 1000000 -d 100 -c 50 -P {$pipelines}, $rounds rounds"
} | tee "$raw"

declare -A results  # "<server> <TEST> <pipeline>" -> space-separated rps per round
run() {
  local name=$1 depth=$2 round=$3
  local output
  output=$(redis-benchmark -h 127.0.0.1 -p "${port[$name]}" -t set,get -n "$requests" \
    -r 1000000 -d 100 -c 50 -P "$depth" --csv 2>/dev/null)
  printf '### round %s, %s, -P %s\n%s\n' "$round" "$name" "$depth" "$output" >>"$raw"
  local test rps
  while IFS=, read -r test rps _; do
    test=${test//\"/}
    rps=${rps//\"/}
    [[ "$test" == "test" || -z "$test" ]] && continue
    results["$name $test $depth"]+="$rps "
  done <<<"$output"
  echo "round $round: $name -P $depth done" >&2
}

for ((round = 1; round <= rounds; round++)); do
  for depth in $pipelines; do
    if ((round % 2 == 1)); then
      run shale "$depth" "$round"
      run redis "$depth" "$round"
    else
      run redis "$depth" "$round"
      run shale "$depth" "$round"
    fi
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
  if (NR == 0) { print 0; exit }
  if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

{
  echo
  printf '%-10s %-34s %-34s %12s %12s %7s\n' "workload" "shale req/s per round" \
    "redis req/s per round" "shale median" "redis median" "ratio"
  for depth in $pipelines; do
    for test in SET GET; do
      shale_runs=${results["shale $test $depth"]:-}
      redis_runs=${results["redis $test $depth"]:-}
      shale_median=$(median <<<"$shale_runs")
      redis_median=$(median <<<"$redis_runs")
      ratio=$(awk -v s="$shale_median" -v r="$redis_median" 'BEGIN { if (r > 0) printf "%.2f", s / r; else print "n/a" }')
      printf '%-10s %-34s %-34s %12.0f %12.0f %7s\n' "$test -P $depth" "$shale_runs" \
        "$redis_runs" "$shale_median" "$redis_median" "$ratio"
    done
  done
} | tee -a "$raw"
echo
echo "raw output: $raw"
