#!/usr/bin/env bash
# Installs the Debian packages Shale needs to build, test and benchmark, if any are missing
# (the npm packages the client tests pin are installed by ctest: tests/integration/clients).
# A no-op when everything is present. Runs apt-get non-interactively (as root, or via sudo).
# Extra package names given as arguments are installed too (tests/docker/smoke.sh asks for
# podman, runc and debootstrap this way).
# Usage: scripts/bootstrap.sh [package...]
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libuv1-dev libxxhash-dev liblz4-dev libspdlog-dev
  libgtest-dev libgmock-dev libhiredis-dev libssl-dev openssl
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev
  clang libclang-rt-14-dev
  redis-server redis-tools tcl python3-redis node-redis prometheus-redis-exporter
  "$@"
)
# npm installs the Node.js clients the integration tests pin (ioredis). A Node.js that ships
# its own npm (as NodeSource's does) must not get Debian's npm, which conflicts with it.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(npm)
fi

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
