#!/usr/bin/env bash
# Installs the Node.js client libraries pinned in package-lock.json beside this script
# (ioredis) into DEST/node_modules with `npm ci`, for run_client_test.sh. Nothing is installed
# into the source tree. A no-op when DEST already holds an install of the same lock file.
#
# Usage: install_node_clients.sh DEST
# Exit status: 0 installed or up to date, 1 npm failed, 77 skipped (npm not installed).
set -uo pipefail

dest=${1:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z "$dest" ]]; then
  echo "FAIL: usage: install_node_clients.sh DEST"
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: npm is not installed (apt-get install npm, or Node.js with its npm)"
  exit 77
fi

mkdir -p "$dest"
if cmp -s "$here/package-lock.json" "$dest/package-lock.json" &&
   cmp -s "$here/package.json" "$dest/package.json" &&
   [[ -f "$dest/node_modules/.package-lock.json" ]]; then
  echo "up to date: $dest/node_modules"
  exit 0
fi

# npm writes node_modules/.package-lock.json last, so an interrupted install is redone.
rm -f "$dest/node_modules/.package-lock.json"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
if ! (cd "$dest" && timeout 300 npm ci --no-audit --no-fund --loglevel=error); then
  rm -f "$dest/package-lock.json"
  echo "FAIL: npm ci in $dest failed"
  exit 1
fi
echo "installed into $dest/node_modules:"
(cd "$dest" && npm ls --depth=0 2>/dev/null | tail -n +2)
