#!/usr/bin/env bash
# What replication costs: redis-benchmark SET throughput against a primary (shale-server, then
# Debian's redis-server with appendonly) with no replica, with a Redis replica attached, and
# with a Shale replica attached, in alternating rounds; then the time a full resynchronisation of N keys takes (the snapshot is
# made on Shale's event loop) and how long a PING waits meanwhile, next to Redis as the primary
# (it forks). Prints a table.
#
# Usage: bench/replication.sh
# Environment: BENCH_REQUESTS (default 200000), BENCH_ROUNDS (3), BENCH_PIPELINE (16),
# BENCH_SYNC_KEYS (1000000), BENCH_ONLY_SYNC=1 (only the resynchronisation part), SHALE_SERVER,
# REDIS_SERVER.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/bench/lib.sh"

requests=${BENCH_REQUESTS:-200000}
rounds=${BENCH_ROUNDS:-3}
pipeline=${BENCH_PIPELINE:-16}
sync_keys=${BENCH_SYNC_KEYS:-1000000}

# set_rate <port>: requests per second of SET at the pipeline depth.
set_rate() {
  redis-benchmark -p "$1" -t set -n "$requests" -r 1000000 -d 100 -c 50 -P "$pipeline" --csv -q |
    awk -F'"' '/^"SET"/ { print $4 }'
}

# wait_link <port>: until the replica on <port> reports its link up.
wait_link() {
  local polls=0
  until redis-cli -p "$1" info replication | grep -q 'master_link_status:up'; do
    sleep 0.05
    polls=$((polls + 1))
    ((polls < 6000)) || { echo "replica on $1 never came up" >&2; exit 1; }
  done
}

echo "machine: $(machine)"
if [[ "${BENCH_ONLY_SYNC:-0}" != 1 ]]; then
echo "redis-benchmark -t set -n $requests -r 1000000 -d 100 -c 50 -P $pipeline, $rounds rounds"
echo "(on a small machine the replica's own work competes with the primary and the client)"
printf '| primary | replica | rounds (req/s) | median | vs no replica |\n|---|---|---|---|---|\n'
for primary in shale redis; do
  declare -A rates=()
  for ((round = 1; round <= rounds; round++)); do
    if [[ $primary == shale ]]; then
      start primary "$shale_server"
    else
      start primary "$redis_server" --save '' --appendonly yes
    fi
    rates[none]+="$(set_rate "${port[primary]}") "
    start replica "$redis_server" --save '' --appendonly no --replicaof 127.0.0.1 "${port[primary]}"
    wait_link "${port[replica]}"
    rates[redis]+="$(set_rate "${port[primary]}") "
    stop replica
    start replica "$shale_server" --replicaof 127.0.0.1 "${port[primary]}"
    wait_link "${port[replica]}"
    rates[shale]+="$(set_rate "${port[primary]}") "
    stop replica
    stop primary
  done
  base=$(echo "${rates[none]}" | median)
  for replica in none redis shale; do
    m=$(echo "${rates[$replica]}" | median)
    printf '| %s | %s | %s| %s | %.2f |\n' "$primary" "$replica" "${rates[$replica]}" "$m" \
      "$(echo "$m / $base" | bc -l)"
  done
done

fi

# Full resynchronisation of sync_keys keys: the time until the replica's link is up, and the
# longest PING round trip on the primary while it happens.
echo
echo "full resynchronisation of $sync_keys keys of 100 bytes (a Redis replica attaching)"
printf '| primary | sync time (s) | slowest PING on the primary (ms) |\n|---|---|---|\n'
for primary in shale redis; do
  if [[ $primary == shale ]]; then
    start primary "$shale_server"
  else
    start primary "$redis_server" --save '' --appendonly no
  fi
  redis-benchmark -p "${port[primary]}" -t set -n "$sync_keys" -r 100000000 -d 100 -c 50 -P 64 -q >/dev/null
  stdbuf -oL redis-cli -p "${port[primary]}" --latency-history -i 1 >"$work/latency.txt" 2>&1 &
  watcher=$!
  started=$(date +%s.%N)
  start replica "$redis_server" --save '' --appendonly no --replicaof 127.0.0.1 "${port[primary]}"
  wait_link "${port[replica]}"
  took=$(echo "$(date +%s.%N) - $started" | bc -l)
  sleep 1
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  # Not on a terminal, redis-cli prints "min max avg samples" per line (cumulative).
  worst=$(awk 'NF >= 3 && $2 > m { m = $2 } END { print m + 0 }' "$work/latency.txt")
  printf '| %s | %.2f | %s |\n' "$primary" "$took" "${worst:-?}"
  stop replica
  stop primary
done
