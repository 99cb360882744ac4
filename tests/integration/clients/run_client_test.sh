#!/usr/bin/env bash
# Runs one real client's test script against a server started for it on a free loopback port
# with a temporary data directory.
#
# Usage: run_client_test.sh <client> <server-binary> [node-clients-dir]
#   <client> is redis-py, node-redis, ioredis or redis-exporter.
#   $SHALE_TEST_SERVER, when set, replaces the binary (e.g. /usr/bin/redis-server).
#   $SHALE_TEST_PYTHON names the Python interpreter (default /usr/bin/python3, Debian's, which
#   finds python3-redis); node finds Debian's node-redis through NODE_PATH=/usr/share/nodejs.
#   ioredis is looked for in node-clients-dir/node_modules, where install_node_clients.sh puts
#   the version pinned in package-lock.json. redis-exporter runs Debian's
#   prometheus-redis-exporter (or $SHALE_REDIS_EXPORTER) against the server.
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped (the client library or its
# runtime is not installed).
set -uo pipefail

client=${1:-}
server=${SHALE_TEST_SERVER:-${2:-}}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

case "$client" in
  redis-py)
    python=${SHALE_TEST_PYTHON:-/usr/bin/python3}
    if [[ ! -x "$python" ]]; then
      echo "SKIP: $python not found (apt-get install python3 python3-redis)"
      exit 77
    fi
    if ! "$python" -c 'import redis' 2>/dev/null; then
      echo "SKIP: redis-py is not installed for $python (apt-get install python3-redis)"
      exit 77
    fi
    run_client() { timeout 120 "$python" "$here/redis_py_test.py" "$port"; }
    ;;
  node-redis)
    export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
    if ! command -v node >/dev/null 2>&1; then
      echo "SKIP: node is not installed (apt-get install nodejs node-redis)"
      exit 77
    fi
    if ! node -e "require('redis')" 2>/dev/null; then
      echo "SKIP: node-redis is not installed in NODE_PATH=$NODE_PATH (apt-get install node-redis)"
      exit 77
    fi
    run_client() { timeout 120 node "$here/node_redis_test.js" "$port"; }
    ;;
  ioredis)
    node_clients=${3:-}
    if ! command -v node >/dev/null 2>&1; then
      echo "SKIP: node is not installed (apt-get install nodejs)"
      exit 77
    fi
    if [[ -z "$node_clients" || ! -d "$node_clients/node_modules/ioredis" ]]; then
      echo "SKIP: ioredis is not installed in '$node_clients/node_modules'" \
        "(install_node_clients.sh puts it there with npm ci; npm was not available)"
      exit 77
    fi
    export NODE_PATH=$node_clients/node_modules
    run_client() { timeout 120 node "$here/ioredis_test.js" "$port"; }
    ;;
  redis-exporter)
    python=${SHALE_TEST_PYTHON:-/usr/bin/python3}
    # Debian names the binary prometheus-redis-exporter; upstream's is redis_exporter.
    exporter=${SHALE_REDIS_EXPORTER:-}
    if [[ -z "$exporter" ]]; then
      exporter=$(command -v prometheus-redis-exporter || command -v redis_exporter)
    fi
    if [[ ! -x "$python" ]]; then
      echo "SKIP: $python not found (apt-get install python3)"
      exit 77
    fi
    if [[ -z "$exporter" || ! -x "$exporter" ]]; then
      echo "SKIP: prometheus-redis-exporter not found${exporter:+ at $exporter}" \
        "(apt-get install prometheus-redis-exporter)"
      exit 77
    fi
    run_client() { timeout 120 "$python" "$here/redis_exporter_test.py" "$port" "$exporter"; }
    ;;
  *)
    echo "FAIL: unknown client '$client' (redis-py, node-redis, ioredis or redis-exporter)"
    exit 1
    ;;
esac

if [[ -z "$server" || ! -x "$server" ]]; then
  echo "FAIL: server binary '$server' not found or not executable"
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/shale-clients-XXXXXX")
server_pid=""

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

extra_args=()
case "$(basename "$server")" in
  *redis-server*) extra_args=(--save "" --appendonly yes) ;;
  *) extra_args=(--shards 2) ;;
esac

# The directory the server on $port reports through CONFIG GET dir, or nothing (plain RESP
# over bash's /dev/tcp, so that readiness needs no client of its own).
reported_dir() {
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  # shellcheck disable=SC2016 # the dollars are RESP's, not the shell's
  printf '*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$3\r\ndir\r\n' >&3
  local line lines=()
  while ((${#lines[@]} < 5)) && IFS= read -r -t 2 line <&3; do
    lines+=("${line%$'\r'}")
    [[ "${lines[0]}" == "*2" ]] || break  # an error (-LOADING ...) or an empty reply
  done
  exec 3<&-
  if [[ ${#lines[@]} -eq 5 && "${lines[2]}" == "dir" ]]; then
    echo "${lines[4]}"
  fi
}

# Starts the server on a free loopback port. Ready when the server answering on the port
# reports our data directory (so a server of another test that took the port meanwhile is not
# mistaken for ours). Retries on another port if the server exits during start-up.
start_server() {
  mkdir -p "$work/data"
  local attempt
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      continue  # something listens there already
    fi
    echo "=== starting on port $port (attempt $attempt)" >>"$work/server.log"
    "$server" --port "$port" --bind 127.0.0.1 --dir "$work/data" "${extra_args[@]}" \
      >>"$work/server.log" 2>&1 &
    server_pid=$!
    local waited=0
    while ((waited < 200)); do  # 200 polls of 50 ms: at most 10 s
      if ! kill -0 "$server_pid" 2>/dev/null; then
        break  # exited: try another port
      fi
      local dir
      dir=$(reported_dir 2>/dev/null)
      if [[ -n "$dir" && "$(realpath "$dir" 2>/dev/null)" == "$(realpath "$work/data")" ]]; then
        return 0
      fi
      sleep 0.05
      waited=$((waited + 1))
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "FAIL: server not ready on port $port after 10 s"
      return 1
    fi
    wait "$server_pid" 2>/dev/null
    server_pid=""
  done
  echo "FAIL: server did not start"
  return 1
}

if ! start_server; then
  echo "--- server log ---"
  cat "$work/server.log"
  exit 1
fi
echo "$client against $server on port $port"

run_client
status=$?
if ((status != 0)); then
  ((status == 124)) && echo "FAIL: the $client test did not finish within 120 s"
  echo "--- server log ---"
  tail -n 200 "$work/server.log"
  exit 1
fi
