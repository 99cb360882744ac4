#!/usr/bin/env bash
# Sustained random writes against one shale-server, sampling its LSM trees over time: table
# count, write amplification, stalls, pending compaction bytes and the data directory's size.
#
#   bench/compaction.sh            # redis-benchmark -t set -r 10000000 -n 20000000 -d 100
#   BENCH_REQUESTS=2000000 bench/compaction.sh   # a shorter run
#
# Environment: BENCH_REQUESTS (default 20000000), BENCH_KEYSPACE (default 10000000),
# BENCH_INTERVAL seconds between samples (default 10), SHALE_SERVER (default
# build/release/bin/shale-server), SHALE_ARGS extra server arguments.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
requests=${BENCH_REQUESTS:-20000000}
keyspace=${BENCH_KEYSPACE:-10000000}
interval=${BENCH_INTERVAL:-10}
server=${SHALE_SERVER:-$repo/build/release/bin/shale-server}
[[ -x "$server" ]] || (cd "$repo" && cmake --preset release >/dev/null &&
                        cmake --build --preset release --target shale-server)

work=$(mktemp -d "${TMPDIR:-/tmp}/shale-compaction-XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
server_pid=""
bench_pid=""
cleanup() {
  [[ -n "$bench_pid" ]] && kill "$bench_pid" 2>/dev/null || true
  if [[ -n "$server_pid" ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck disable=SC2086
"$server" --port "$port" --dir "$work/data" --loglevel warning ${SHALE_ARGS:-} \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

field() { redis-cli -p "$port" info storage | tr -d '\r' | awk -F: -v k="$1" '$1 == k { print $2 }'; }

echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); $(nproc) cores"
echo "load: redis-benchmark -t set -r $keyspace -n $requests -d 100 -c 50 (P 1)"
redis-benchmark -p "$port" -t set -r "$keyspace" -n "$requests" -d 100 -c 50 -q \
  >"$work/bench.out" 2>&1 &
bench_pid=$!
start=$(date +%s)
printf '%6s %10s %7s %8s %10s %12s %10s %9s %10s\n' seconds keys tables buckets compactions \
  pending_MB write_amp stalls data_MB
while kill -0 "$bench_pid" 2>/dev/null; do
  sleep "$interval"
  keys=$(redis-cli -p "$port" dbsize)
  buckets=$(redis-cli -p "$port" info storage | tr -d '\r' | grep '^shard0:' |
            sed 's/.*buckets=\([^,]*\).*/\1/')
  printf '%6d %10s %7s %8s %10s %12s %10s %9s %10s\n' $(( $(date +%s) - start )) "$keys" \
    "$(field tables)" "$buckets" "$(field compactions)" \
    "$(( $(field pending_compaction_bytes) / 1048576 ))" "$(field write_amplification)" \
    "$(field stall_stops)/$(field stall_slowdowns)" "$(du -sm "$work/data" | cut -f1)"
done
wait "$bench_pid" || true
bench_pid=""
tr '\r' '\n' <"$work/bench.out" | grep 'requests per second' || true
echo "final: tables $(field tables), write amplification $(field write_amplification)," \
  "stall time $(( $(field stall_micros) / 1000 )) ms, data $(du -sm "$work/data" | cut -f1) MB"
