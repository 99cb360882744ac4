#!/usr/bin/env bash
# Runs units of Redis's own Tcl test suite (../shared/redis-tests, Redis 7.0.15) against a
# fresh shale-server and checks the results against tests/redis-conformance.txt: a unit
# listed as "all" must pass entirely; a unit listed with a number must pass at least that many
# tests (a floor that rises as the command surface grows, so nothing that passed regresses).
#
# Usage: scripts/redis-tests.sh [preset] [unit ...]
#   preset  build to test (default: release; the binary must be built)
#   unit    run only these units (default: every unit in tests/redis-conformance.txt)
# Environment: REDIS_TESTS (default: ../shared/redis-tests from the project root).
# Exit status: 0 when every unit meets its line (or when the test tree is absent: skipped with
# a message), 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

preset="${1:-release}"
shift || true
tests_dir="${REDIS_TESTS:-../shared/redis-tests}"
binary="build/$preset/bin/shale-server"
expectations="tests/redis-conformance.txt"

if [ ! -x "$tests_dir/run-units.sh" ]; then
  echo "redis-tests: skipped: no Redis test tree at $tests_dir"
  exit 0
fi
if [ ! -x "$binary" ]; then
  echo "redis-tests: $binary is not built" >&2
  exit 1
fi
if ! command -v tclsh >/dev/null 2>&1; then
  echo "redis-tests: tclsh not found (scripts/bootstrap.sh installs tcl)" >&2
  exit 1
fi

declare -A wanted
units=()
while read -r unit expected _; do
  case "$unit" in '' | '#'*) continue ;; esac
  wanted[$unit]=$expected
  units+=("$unit")
done <"$expectations"
if [ $# -gt 0 ]; then units=("$@"); fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Starts the server on a random loopback port, trying others if that one is taken; sets
# server_pid and port.
start_server() {
  for _ in $(seq 1 20); do
    port=$((20000 + RANDOM % 30000))
    rm -rf "$work/data"
    "$binary" --port "$port" --bind 127.0.0.1 --dir "$work/data" --shards 2 \
      >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
      if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then return 0; fi
      kill -0 "$server_pid" 2>/dev/null || break  # exited: the port was taken
      sleep 0.1
    done
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  done
  echo "redis-tests: could not start $binary" >&2
  cat "$work/server.log" >&2
  return 1
}

failed=0
for unit in "${units[@]}"; do
  # A fresh server and data directory per unit: a failed test may leave settings behind.
  start_server || exit 1
  line="$(RUNTEST_ARGS="--tags -needs:debug" LOG_DIR="$work/logs" \
    "$tests_dir/run-units.sh" 127.0.0.1 "$port" "$unit" 2>"$work/failures" | grep "^$unit:")"
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""

  passed="$(sed -n 's/^[^:]*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' <<<"$line")"
  failures="$(sed -n 's/^[^:]*: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' <<<"$line")"
  expected="${wanted[$unit]:-all}"
  verdict="ok"
  if [ -z "$passed" ]; then
    verdict="FAILED (no result: $line)"
  elif [ "$expected" = "all" ]; then
    [ "$failures" = "0" ] || verdict="FAILED (must pass entirely)"
  elif [ "$passed" -lt "$expected" ]; then
    verdict="FAILED (at least $expected must pass)"
  fi
  echo "redis-tests: $line; expected: $expected; $verdict"
  if [ "$verdict" != "ok" ]; then
    failed=1
    sed 's/^/  /' "$work/failures" | head -50
  fi
done
exit "$failed"
