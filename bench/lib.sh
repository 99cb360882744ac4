# Shared by bench/server.sh, bench/types.sh and bench/bigkeys.sh (sourced, not run): finding the binaries,
# starting shale-server and redis-server on free loopback ports with fresh data directories,
# stopping them, and small helpers. The caller sets `repo` and `set -euo pipefail` first.

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
      while kill -0 "${pid[$name]}" 2>/dev/null && ((waited < 300)); do
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

# stop <name>: stops a server started by start (waiting for it to exit) and forgets it; its
# data directory is removed.
stop() {
  local name=$1
  kill -TERM "${pid[$name]}" 2>/dev/null || true
  wait "${pid[$name]}" 2>/dev/null || true
  unset "pid[$name]" "port[$name]"
  rm -rf "${work:?}/$name"
}

# start <name> <binary> <args...>: starts on a random free loopback port with its own empty
# data directory ($work/<name>); ready when the server on the port reports that directory.
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

# median: the median of the numbers on stdin (separated by spaces or newlines); 0 if none.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
  if (NR == 0) { print 0; exit }
  if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# machine: one line describing the host and its load now.
machine() {
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), \
$(free -m | awk '/^Mem:/ { print $2 " MiB RAM, " $7 " MiB available" }'), kernel $(uname -r), \
load averages $(cut -d' ' -f1-3 /proc/loadavg)"
}
