#!/usr/bin/env bash
# Installs missing packages, builds a preset (default: release) and runs every test: ctest,
# then (without extra ctest arguments) Redis's own test units against the built server
# (scripts/redis-tests.sh; skipped with a message when ../shared/redis-tests is absent).
# With SHALE_DOCKER_TEST=1, then the Docker image's smoke test (tests/docker/smoke.sh, Podman).
# Usage: scripts/test.sh [preset] [extra ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."

preset="${1:-release}"
shift || true

./scripts/bootstrap.sh
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)" "$@"
if [ $# -eq 0 ]; then ./scripts/redis-tests.sh "$preset"; fi
if [ "${SHALE_DOCKER_TEST:-0}" = 1 ]; then tests/docker/smoke.sh; fi
