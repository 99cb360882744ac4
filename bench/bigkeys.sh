#!/usr/bin/env bash
# One very large hash and one very large sorted set, in shale-server and in Debian's
# redis-server: load time, memory, disk, point and rank latency, DEL, and the space coming back.
#
# For each server in turn (Shale first, then Redis; never both at once, so they do not compete
# for the cores or the page cache), on a free loopback port with an empty temporary data
# directory (shale-server --appendfsync everysec; redis-server --appendonly yes
# --appendfsync everysec --save ''):
#   1. load the hash `h` with COUNT fields f000000000000.. (13 bytes each, the 12-digit form that
#      redis-benchmark's __rand_int__ expands to) whose values are v<same digits>, then the
#      sorted set `z` with COUNT members m<12 digits> scored 0..COUNT-1 (so member m<i> has rank
#      i). Both streams are generated beforehand, exactly (every field and member distinct,
#      BATCH pairs per HSET/ZADD command), and sent with `redis-cli --pipe`, which must report
#      0 errors; HLEN and ZCARD must then answer COUNT.
#   2. report load time, the server's RSS (VmRSS from /proc, sampled every 0.5 s: the maximum
#      during each load, and the value after it; VmHWM = the peak), the data directory's size.
#   3. latency with one client: `redis-benchmark -c 1 -n LAT_N -r COUNT --csv` of
#      `HGET h f__rand_int__` and `ZSCORE z m__rand_int__` (random existing fields/members), and
#      `ZRANK z m__rand_int__` over ranks 0..999 (-r 1000); then ZRANK and ZREVRANK of the
#      middle and of the last member: one redis-cli call (its answer and wall time), then
#      RANK_CALLS calls from one redis-benchmark client (avg/max of its own latency figures),
#      each abandoned after RANK_TIMEOUT seconds.
#   4. time `DEL h` and `DEL z` (one redis-benchmark request each: its latency figure) and
#      report RSS and the data directory.
#   5. get the space back: Shale: `COMPACT`, then wait until INFO storage shows
#      compaction_running:0 (and no flush pending); Redis: `BGREWRITEAOF`, then wait until
#      aof_rewrite_in_progress:0. Report the time, the data directory's size and RSS.
#
# Environment:
#   BIGKEYS_COUNT         fields of the hash and members of the sorted set (default 10000000)
#   BIGKEYS_BATCH         fields or members per HSET/ZADD command of the load (default 100)
#   BIGKEYS_LAT_N         requests per latency benchmark (default 10000)
#   BIGKEYS_RANK_CALLS    timed calls per rank query (default 3)
#   BIGKEYS_RANK_TIMEOUT  seconds before a rank call is abandoned (default 120)
#   BIGKEYS_SERVERS       servers to run, in order (default "shale redis")
#   SHALE_SERVER, REDIS_SERVER  binaries (defaults as bench/server.sh)
# The report is also written to bench/out/bigkeys-<time>.txt.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
count=${BIGKEYS_COUNT:-10000000}
batch=${BIGKEYS_BATCH:-100}
lat_n=${BIGKEYS_LAT_N:-10000}
rank_calls=${BIGKEYS_RANK_CALLS:-3}
rank_timeout=${BIGKEYS_RANK_TIMEOUT:-120}
servers=${BIGKEYS_SERVERS:-"shale redis"}
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

mkdir -p "$repo/bench/out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$repo/bench/out/bigkeys-$stamp.txt"
exec > >(tee "$raw") 2>&1
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host: $(machine)"
echo "shale: $shale_server"
echo "redis: $("$redis_server" --version)"
echo "count: $count fields / members, $batch per command; latency: -c 1 -n $lat_n"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/${pid[$1]}/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/${pid[$1]}/status"; }
dir_size() { du -sb "$work/$1" | awk '{ printf "%.1f MB", $1 / 1e6 }'; }
cli() { redis-cli -h 127.0.0.1 -p "${port[$1]}" "${@:2}"; }
info_field() { cli "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2 }'; }

# The RSS sampler: sample_start <name> runs in the background until sample_stop, which sets
# `peak` to the largest VmRSS (kB) seen.
sampler=""
sample_start() {
  local target=${pid[$1]}
  : >"$work/rss"
  (while kill -0 "$target" 2>/dev/null; do
    awk '/^VmRSS:/ { print $2 }' "/proc/$target/status" >>"$work/rss" 2>/dev/null || true
    sleep 0.5
  done) &
  sampler=$!
}
sample_stop() {
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  peak=$(sort -n "$work/rss" | tail -1)
}

# The load streams, generated once (RESP, BATCH pairs per command).
echo "generating the load streams..."
t0=$(now)
awk -v n="$count" -v b="$batch" 'BEGIN {
  for (i = 0; i < n; i += b) {
    m = (n - i < b) ? n - i : b
    printf "*%d\r\n$4\r\nHSET\r\n$1\r\nh\r\n", 2 + 2 * m
    for (j = i; j < i + m; j++) printf "$13\r\nf%012d\r\n$13\r\nv%012d\r\n", j, j
  } }' >"$work/hash.resp"
awk -v n="$count" -v b="$batch" 'BEGIN {
  for (i = 0; i < n; i += b) {
    m = (n - i < b) ? n - i : b
    printf "*%d\r\n$4\r\nZADD\r\n$1\r\nz\r\n", 2 + 2 * m
    for (j = i; j < i + m; j++) { s = sprintf("%d", j); printf "$%d\r\n%s\r\n$13\r\nm%012d\r\n", length(s), s, j }
  } }' >"$work/zset.resp"
echo "generated in $(elapsed "$t0") s: hash stream $(du -m "$work/hash.resp" | cut -f1) MB, zset stream $(du -m "$work/zset.resp" | cut -f1) MB"

# load <name> <key> <stream> <length command>
load() {
  local name=$1 key=$2 stream=$3 lencmd=$4
  sample_start "$name"
  local t0 out
  t0=$(now)
  out=$(cli "$name" --pipe <"$stream")
  local took
  took=$(elapsed "$t0")
  sample_stop
  local errors
  errors=$(sed -n 's/.*errors: \([0-9]*\), replies.*/\1/p' <<<"$out")
  if [[ "$errors" != "0" ]]; then
    echo "loading $key into $name: redis-cli --pipe reported: $out" >&2
    exit 1
  fi
  local length
  length=$(cli "$name" "$lencmd" "$key")
  if [[ "$length" != "$count" ]]; then
    echo "$name: $lencmd $key answered $length, expected $count" >&2
    exit 1
  fi
  echo "$name: loaded $key ($lencmd $length) in $took s ($(awk -v n="$count" -v t="$took" 'BEGIN { printf "%.0f", n / t }') elements/s); RSS max during load $(mib "$peak"), after $(mib "$(rss_kb "$name")"); data dir $(dir_size "$name")"
}

# bench <name> <label> <-r range> <requests> <command...>: one-client latency from --csv.
bench() {
  local name=$1 label=$2 range=$3 n=$4
  shift 4
  local out status=0
  out=$(redis-benchmark -h 127.0.0.1 -p "${port[$name]}" -c 1 -n "$n" -r "$range" --csv "$@" 2>"$work/stderr") || status=$?
  if ((status != 0)) || grep -qi error "$work/stderr"; then
    echo "$name: redis-benchmark $* failed (exit $status): $(cat "$work/stderr")" >&2
    exit 1
  fi
  tail -1 <<<"$out" | tr -d '"' | awk -F, -v n="$name" -v l="$label" '{
    printf "%s: %-34s %9.0f req/s  avg %s  p50 %s  p99 %s  max %s ms\n", n, l, $2, $3, $5, $7, $8 }'
}

# timed <calls> <name> <label> <command...>: the answer of one redis-cli call (and its wall
# time, process start included), then <calls> calls from one redis-benchmark client, whose own
# per-request latency (avg and max, ms) excludes process start-up. Each is abandoned after
# RANK_TIMEOUT seconds.
timed() {
  local calls=$1 name=$2 label=$3
  shift 3
  local t0 answer status=0 wall
  t0=$(now)
  answer=$(timeout "$rank_timeout" redis-cli -h 127.0.0.1 -p "${port[$name]}" "$@") || status=$?
  if ((status == 124)); then
    echo "$name: $label -> no answer within ${rank_timeout} s"
    return 0
  fi
  wall=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
  local line=""
  if ((calls > 0)); then
    status=0
    line=$(timeout "$rank_timeout" redis-benchmark -h 127.0.0.1 -p "${port[$name]}" -c 1 \
      -n "$calls" --csv "$@" 2>"$work/stderr" | tail -1 | tr -d '"') || status=$?
    if ((status != 0)) || grep -qi error "$work/stderr"; then
      line="redis-benchmark failed or timed out (exit $status) $(cat "$work/stderr")"
    else
      # redis-benchmark's latency histogram stops at 3 s: larger latencies read as ~3000 ms.
      line=$(awk -F, -v n="$calls" '{ printf "; %d more calls: avg %s ms, max %s ms", n, $3, $8
        if ($8 + 0 >= 2999) printf " (capped: redis-benchmark records at most 3 s)" }' <<<"$line")
    fi
  fi
  echo "$name: $label -> $answer; redis-cli call ${wall} ms$line"
}

# del_timed <name> <key>: DEL from one redis-benchmark request (its own latency, ms), then
# checks that the key is gone.
del_timed() {
  local name=$1 key=$2 status=0 line
  line=$(timeout "$rank_timeout" redis-benchmark -h 127.0.0.1 -p "${port[$name]}" -c 1 -n 1 \
    --csv del "$key" 2>"$work/stderr" | tail -1 | tr -d '"') || status=$?
  if ((status != 0)) || grep -qi error "$work/stderr"; then
    echo "$name: DEL $key failed or timed out (exit $status) $(cat "$work/stderr")" >&2
    exit 1
  fi
  echo "$name: DEL $key took $(cut -d, -f3 <<<"$line") ms; EXISTS $key -> $(cli "$name" exists "$key")"
}

# wait_until <seconds> <command...>: polls (0.5 s) until the command succeeds.
wait_until() {
  local limit=$1
  shift
  local polls=0
  until "$@"; do
    sleep 0.5
    polls=$((polls + 1))
    if ((polls > limit * 2)); then return 1; fi
  done
}
shale_idle() {
  [[ "$(info_field shale storage compaction_running)" == "0" &&
    "$(info_field shale storage immutable_memtables)" == "0" ]]
}
redis_idle() {
  [[ "$(info_field redis persistence aof_rewrite_in_progress)" == "0" &&
    "$(info_field redis persistence aof_rewrite_scheduled)" == "0" ]]
}

shale_storage() {
  local s
  s=$(cli shale info storage | tr -d '\r')
  awk -F: '$1 ~ /^(tables|table_bytes|memtable_bytes|compactions|compaction_running|write_amplification)$/ {
    printf "%s=%s ", $1, $2 } END { print "" }' <<<"$s"
}

for name in $servers; do
  echo
  echo "=== $name (load averages $(cut -d' ' -f1-3 /proc/loadavg)) ==="
  if [[ "$name" == "shale" ]]; then
    start shale "$shale_server" --appendfsync everysec --loglevel warning
  else
    start redis "$redis_server" --appendonly yes --appendfsync everysec --save "" --loglevel warning
  fi
  echo "$name: RSS empty $(mib "$(rss_kb "$name")")"
  load "$name" h "$work/hash.resp" hlen
  load "$name" z "$work/zset.resp" zcard
  [[ "$name" == "shale" ]] && echo "shale: storage after load: $(shale_storage)"
  [[ "$name" == "redis" ]] && echo "redis: used_memory $(info_field redis memory used_memory_human)"

  bench "$name" "HGET h <random field>" "$count" "$lat_n" hget h f__rand_int__
  bench "$name" "ZSCORE z <random member>" "$count" "$lat_n" zscore z m__rand_int__
  bench "$name" "ZRANK z <random rank 0..999>" 1000 "$lat_n" zrank z m__rand_int__
  middle=$(printf 'm%012d' $((count / 2)))
  last=$(printf 'm%012d' $((count - 1)))
  timed "$rank_calls" "$name" "ZRANK z $middle (middle)" zrank z "$middle"
  timed "$rank_calls" "$name" "ZRANK z $last (last)" zrank z "$last"
  timed "$rank_calls" "$name" "ZREVRANK z $middle (middle)" zrevrank z "$middle"
  timed "$rank_calls" "$name" "ZREVRANK z $last (last)" zrevrank z "$last"
  echo "$name: RSS after the reads $(mib "$(rss_kb "$name")"), peak so far (VmHWM) $(mib "$(hwm_kb "$name")"); data dir $(dir_size "$name")"
  [[ "$name" == "shale" ]] && echo "shale: storage before DEL: $(shale_storage)"

  del_timed "$name" h
  del_timed "$name" z
  echo "$name: after DEL: DBSIZE $(cli "$name" dbsize), RSS $(mib "$(rss_kb "$name")"), data dir $(dir_size "$name")"

  t0=$(now)
  if [[ "$name" == "shale" ]]; then
    echo "shale: COMPACT -> $(cli shale compact)"
    wait_until 3600 shale_idle || { echo "shale: compaction still running after an hour" >&2; exit 1; }
    echo "shale: compaction done in $(elapsed "$t0") s; storage: $(shale_storage)"
  else
    echo "redis: BGREWRITEAOF -> $(cli redis bgrewriteaof)"
    sleep 0.5
    wait_until 3600 redis_idle || { echo "redis: AOF rewrite still running after an hour" >&2; exit 1; }
    echo "redis: AOF rewrite done in $(elapsed "$t0") s"
  fi
  echo "$name: after compaction: RSS $(mib "$(rss_kb "$name")"), peak (VmHWM) $(mib "$(hwm_kb "$name")"), data dir $(dir_size "$name")"
  stop "$name"
done
echo
echo "load averages at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "report: $raw"
