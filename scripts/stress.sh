#!/usr/bin/env bash
# The stress and soak harness, long versions (ctest runs short ones in every test run):
#   crash soak        kill -9 rounds under concurrent SET/DEL/MSET writers (integration_crash_test)
#   power loss        random crash points inside flushes, compactions, manifest writes and WAL
#                     rotations through the fault-injecting file system (stress_power_loss_test)
#   corruption sweep  every kind of file of a stopped data directory flipped, truncated,
#                     deleted, swapped (stress_corruption_sweep_test)
#   hostile clients   fuzzed RESP, huge lengths, slow and deaf clients, 10,000 connections,
#                     a well-behaved client's latency throughout (stress_hostile_clients_test)
# Each part is bounded in time; the figures are printed at the end.
#
# Usage: scripts/stress.sh [preset]   (default: release)
# Environment: ROUNDS (crash soak, default 50), CRASH_POINTS (power loss, default 5000),
#   SECONDS_HOSTILE (default 60), CONNECTIONS (default 10000), SHALE_STRESS_SEED (all parts).
set -uo pipefail
cd "$(dirname "$0")/.."

preset="${1:-release}"
./scripts/bootstrap.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)" >/dev/null || exit 1
bin="build/$preset/bin"
log="$(mktemp -d)"
failed=0

run() {
  local name="$1" limit="$2"
  shift 2
  echo "== $name"
  local start=$SECONDS
  if timeout "$limit" env "$@" >"$log/$name.log" 2>&1; then
    echo "   passed in $((SECONDS - start)) s"
  else
    echo "   FAILED after $((SECONDS - start)) s (log: $log/$name.log)"
    tail -30 "$log/$name.log" | sed 's/^/   /'
    failed=1
  fi
}

run crash-soak 3600 SHALE_CRASH_ROUNDS="${ROUNDS:-50}" "$bin/integration_crash_test"
run power-loss 3600 SHALE_STRESS_CRASH_POINTS="${CRASH_POINTS:-5000}" \
  "$bin/stress_power_loss_test"
run corruption-sweep 3600 "$bin/stress_corruption_sweep_test"
run hostile-clients 900 SHALE_STRESS_SECONDS="${SECONDS_HOSTILE:-60}" \
  SHALE_STRESS_CONNECTIONS="${CONNECTIONS:-10000}" "$bin/stress_hostile_clients_test"

echo
echo "== figures"
grep -h -E "^(crash soak|power loss|corruption sweep|hostile clients):" "$log"/*.log
exit "$failed"
