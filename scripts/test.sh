#!/usr/bin/env bash
# Installs missing packages, builds a preset (default: release) and runs every test with ctest.
# Usage: scripts/test.sh [preset] [extra ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."

preset="${1:-release}"
shift || true

./scripts/bootstrap.sh
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)" "$@"
