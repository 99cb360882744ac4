#!/usr/bin/env bash
# Quick start: install missing packages, build Release, start shale-server with
# conf/shale.conf (extra arguments are passed on, e.g. --port 7000).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release --target shale-server
exec ./build/release/bin/shale-server conf/shale.conf "$@"
