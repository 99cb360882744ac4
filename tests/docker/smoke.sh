#!/usr/bin/env bash
# Smoke test of the Docker deployment path (docker/Dockerfile), run with Podman, which builds
# and runs the same Dockerfile without a Docker engine. It builds the image, then checks:
# AUTH + PING, SET/GET, the image's health check, that the server runs as a non-root user,
# that SIGTERM (podman stop) exits 0 quickly, that a new container on the same volume sees
# the data, that after kill -9 of the container every acknowledged write is still there
# (appendfsync always), that settings given as arguments, as SHALE_* environment variables
# and after an explicit "shale-server" all work, and that protected mode refuses a client
# outside the container while no password is set.
#
# Installs what it needs (podman runc netavark iptables debootstrap) through scripts/bootstrap.sh. No image
# registry is reachable from here, so a missing debian:12 base image is made with
# debootstrap from the Debian mirror apt already uses, and kept for later runs.
# Everything else it creates (containers, volumes, the test image tag) is removed by name.
# Skips (exit 0, with a message) only when Podman cannot run a container on this machine.
#
# Usage: tests/docker/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "docker smoke: $*"; }
fail() {
  echo "docker smoke: FAILED: $*" >&2
  exit 1
}
skip() {
  echo "docker smoke: SKIPPED: $*"
  exit 0
}

started=$(date +%s)

# --- packages ---------------------------------------------------------------------------
# scripts/bootstrap.sh installs what is missing, as for every other test. It installs without
# recommended packages, so netavark (the network stack behind -p) is named here.
if ! ./scripts/bootstrap.sh podman runc netavark iptables debootstrap redis-tools python3; then
  if ! command -v podman >/dev/null; then
    skip "podman is not installed and apt-get could not install it, so Podman cannot run here"
  fi
  log "apt-get could not install every package; going on with the podman that is here"
fi

# --- Podman's configuration: runc, cgroupfs, ulimits the sandbox allows -----------------
work=$(mktemp -d /tmp/shale-docker-smoke.XXXXXX)
hard_nofile=$(ulimit -Hn)
if [ "$hard_nofile" = "unlimited" ]; then hard_nofile=1048576; fi
cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=${hard_nofile}:${hard_nofile}", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
export CONTAINERS_CONF="$work/containers.conf"

if ! podman_info=$(podman info 2>&1); then
  skip "podman info fails here: $(echo "$podman_info" | tail -n 3)"
fi

# --- names of everything this test creates ----------------------------------------------
suffix="$$"
image="localhost/shale-smoke:$suffix"
# The build stage, tagged so that it is removed by name too (else it stays as an untagged image).
build_image="localhost/shale-smoke-build:$suffix"
volume="shale-smoke-data-$suffix"
volume_open="shale-smoke-open-$suffix"
containers=()
for name in main env reborn open; do containers+=("shale-smoke-$name-$suffix"); done
c_main="${containers[0]}" c_env="${containers[1]}" c_reborn="${containers[2]}"
c_open="${containers[3]}"
probe="shale-smoke-probe-$suffix"

cleanup() {
  local status=$?
  for c in "${containers[@]}" "$probe"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
  podman volume rm -f "$volume" "$volume_open" >/dev/null 2>&1 || true
  podman rmi -f "$image" "$build_image" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# --- the Debian 12 base image -----------------------------------------------------------
# The mirror apt uses here: the first URI of a deb822 .sources file or of a one-line
# sources.list entry that serves bookworm itself (not bookworm-security).
debian_mirror() {
  local file uri
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; suites = "";
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
          if ($i ~ /^Suites:/) { suites = " " $i " " }
        }
        if (uris != "" && suites ~ /[ \t]bookworm[ \t]/) { split(uris, u, /[ \t]+/); print u[1]; exit }
      }' "$file")
    if [ -n "$uri" ]; then
      echo "$uri"
      return
    fi
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { if ($(i + 1) == "bookworm") { print $i; exit } break } }' "$file")
    if [ -n "$uri" ]; then
      echo "$uri"
      return
    fi
  done
  echo "http://deb.debian.org/debian"
}

if ! podman image exists docker.io/library/debian:12 || ! podman image exists docker.io/library/debian:12-slim; then
  mirror=$(debian_mirror)
  security="${mirror%/debian}/debian-security"
  [ "$security" != "$mirror/debian-security" ] || security="http://deb.debian.org/debian-security"
  log "no debian:12 image here: making one with debootstrap from $mirror"
  rootfs="$work/rootfs"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    fail "debootstrap of bookworm from $mirror failed"
  fi
  cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import - docker.io/library/debian:12 >/dev/null
  podman tag docker.io/library/debian:12 docker.io/library/debian:12-slim
  rm -rf "$rootfs"
  log "base image ready after $(($(date +%s) - started)) s"
fi

# Can Podman run a container at all here?
if ! probe_out=$(podman run --rm --pull=never --name "$probe" docker.io/library/debian:12 true 2>&1); then
  skip "Podman cannot run a container on this machine: $(echo "$probe_out" | tail -n 3)"
fi


# --- the image ----------------------------------------------------------------------------
log "building $image from docker/Dockerfile"
build_started=$(date +%s)
# --format docker: the OCI format has no HEALTHCHECK, and Podman would drop it. The build
# stage first, with its own tag; the whole build then takes it from the layer cache.
for target in build runtime; do
  if [ "$target" = build ]; then
    args=(--target build -t "$build_image")
  else
    args=(-t "$image")
  fi
  if ! podman build --pull=never --format docker --network=host -f docker/Dockerfile "${args[@]}" . \
    >>"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    fail "podman build failed"
  fi
done
[ "$(podman inspect -f '{{.Config.User}}' "$image")" = shale ] || fail "the image's user is not shale"
podman image inspect "$image" | grep -q '"healthcheck.sh"' ||
  fail "the image has no HEALTHCHECK"
log "image built in $(($(date +%s) - build_started)) s"

# --- helpers ------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
password="smoke-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
cli() { REDISCLI_AUTH="$password" redis-cli --no-auth-warning -h 127.0.0.1 -p "$port" "$@"; }
cli_noauth() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
expect_eq() { # what, expected, actual
  if [ "$2" != "$3" ]; then fail "$1: expected '$2', got '$3'"; fi
  log "ok: $1"
}

# Starts a container in the background: name, volume, then arguments for `podman run` after
# the image (or "--" then options for podman run, "--", then arguments for the image).
run_container() {
  local name=$1 vol=$2
  shift 2
  local options=()
  if [ "${1:-}" = "--" ]; then
    shift
    while [ "$1" != "--" ]; do
      options+=("$1")
      shift
    done
    shift
  fi
  podman run -d --name "$name" -p "127.0.0.1:$port:6379" -v "$vol:/data" "${options[@]}" \
    "$image" "$@" >/dev/null || fail "podman run $name failed"
}

# Waits (at most 60 s) until the container's server answers PING from the host with `want`
# (PONG, or the start of an error), through `client` (cli or cli_noauth).
wait_ready() {
  local name=$1 client=$2 want=$3 deadline=$(($(date +%s) + 60)) reply
  while :; do
    reply=$($client ping 2>&1 || true)
    case "$reply" in "$want"*) return 0 ;; esac
    if [ "$(podman inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != "true" ]; then
      podman logs "$name" >&2 || true
      fail "$name exited before its server answered"
    fi
    if [ "$(date +%s)" -gt "$deadline" ]; then
      podman logs "$name" >&2 || true
      fail "$name did not answer PING with '$want' within 60 s (last: $reply)"
    fi
    sleep 0.2
  done
}

exit_code() { podman inspect -f '{{.State.ExitCode}}' "$1"; }

# --- 1. password as an argument, the default entrypoint -----------------------------------
podman volume create "$volume" >/dev/null
run_container "$c_main" "$volume" --requirepass "$password" --appendfsync always
wait_ready "$c_main" cli PONG
expect_eq "PING without AUTH is refused" "NOAUTH" "$(cli_noauth ping 2>&1 | awk '{print $1}')"
expect_eq "PING with AUTH" "PONG" "$(cli ping)"
expect_eq "SET" "OK" "$(cli set smoke:greeting hello)"
expect_eq "GET" "hello" "$(cli get smoke:greeting)"
expect_eq "CONFIG GET appendfsync (argument)" "always" "$(cli config get appendfsync | tail -n 1)"
expect_eq "CONFIG GET dir" "/data" "$(cli config get dir | tail -n 1)"
expect_eq "CONFIG GET protected-mode" "yes" "$(cli config get protected-mode | tail -n 1)"
podman healthcheck run "$c_main" >/dev/null || fail "health check of $c_main failed"
log "ok: health check healthy with a password given as an argument"
uid=$(podman exec "$c_main" id -u)
[ "$uid" != 0 ] || fail "the server runs as root"
log "ok: the server runs as uid $uid"
expect_eq "the server is the container's main process" "shale-server" \
  "$(podman exec "$c_main" cat /proc/1/comm)"
expect_eq "the log goes to the container's output" "yes" \
  "$(podman logs "$c_main" 2>&1 | grep -q 'Ready to accept connections' && echo yes || echo no)"

stop_started=$(date +%s%N)
podman stop -t 30 "$c_main" >/dev/null
stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
expect_eq "exit code after SIGTERM (podman stop)" "0" "$(exit_code "$c_main")"
[ "$stop_ms" -lt 10000 ] || fail "podman stop took $stop_ms ms"
log "ok: podman stop took $stop_ms ms"
podman rm "$c_main" >/dev/null

# --- 2. same volume, settings from the environment, explicit shale-server ------------------
run_container "$c_env" "$volume" -- -e "SHALE_REQUIREPASS=$password" -e SHALE_APPENDFSYNC=always -- \
  shale-server
wait_ready "$c_env" cli PONG
expect_eq "GET after a restart on the same volume" "hello" "$(cli get smoke:greeting)"
expect_eq "CONFIG GET appendfsync (environment)" "always" "$(cli config get appendfsync | tail -n 1)"
expect_eq "PING without AUTH is refused (environment)" "NOAUTH" "$(cli_noauth ping 2>&1 | awk '{print $1}')"
podman healthcheck run "$c_env" >/dev/null || fail "health check of $c_env failed"
log "ok: health check healthy with a password from SHALE_REQUIREPASS"

# --- 3. kill -9 while writing under appendfsync always -------------------------------------
# redis-cli sends one SET at a time and prints each reply: the leading OK lines are the
# acknowledged writes. The container is killed once at least 2000 are acknowledged.
total=20000
seq 1 "$total" | awk '{ print "SET crash:" $1 " value-" $1 }' >"$work/sets.txt"
(cli <"$work/sets.txt" >"$work/acks.txt" 2>&1 || true) &
writer=$!
deadline=$(($(date +%s) + 120))
while [ "$(grep -c '^OK$' "$work/acks.txt" 2>/dev/null || true)" -lt 2000 ]; do
  if ! kill -0 "$writer" 2>/dev/null; then break; fi
  [ "$(date +%s)" -le "$deadline" ] || fail "fewer than 2000 writes acknowledged in 120 s"
  sleep 0.1
done
podman kill -s KILL "$c_env" >/dev/null
wait "$writer" || true
podman wait "$c_env" >/dev/null 2>&1 || true
acked=$(awk '$0 != "OK" { exit } { n++ } END { print n + 0 }' "$work/acks.txt")
[ "$acked" -ge 2000 ] || fail "only $acked writes were acknowledged before the kill"
log "killed $c_env (exit code $(exit_code "$c_env")) after $acked acknowledged writes of $total"
podman rm "$c_env" >/dev/null

run_container "$c_reborn" "$volume" --requirepass "$password"
wait_ready "$c_reborn" cli PONG
seq 1 "$acked" | awk '{ print "GET crash:" $1 }' | cli >"$work/gets.txt"
seq 1 "$acked" | awk '{ print "value-" $1 }' >"$work/expected.txt"
if ! cmp -s "$work/gets.txt" "$work/expected.txt"; then
  diff "$work/expected.txt" "$work/gets.txt" | head -n 10 >&2
  fail "acknowledged writes are missing after kill -9 and restart"
fi
log "ok: all $acked acknowledged writes are there after kill -9 and restart"
expect_eq "GET of the first key after kill -9" "hello" "$(cli get smoke:greeting)"
podman stop -t 30 "$c_reborn" >/dev/null
expect_eq "exit code after SIGTERM, after recovery" "0" "$(exit_code "$c_reborn")"
podman rm "$c_reborn" >/dev/null

# --- 4. protected mode: no password ---------------------------------------------------------
podman volume create "$volume_open" >/dev/null
run_container "$c_open" "$volume_open"
wait_ready "$c_open" cli_noauth "DENIED"
reply=$(cli_noauth ping 2>&1 || true)
case "$reply" in
  *"DENIED Shale is running in protected mode"*) log "ok: protected mode refuses the host without a password" ;;
  *) fail "without a password, PING from the host answered: $reply" ;;
esac
expect_eq "PING inside the container without a password" "PONG" "$(podman exec "$c_open" redis-cli ping)"
podman healthcheck run "$c_open" >/dev/null || fail "health check of $c_open failed"
log "ok: health check healthy without a password"
podman stop -t 30 "$c_open" >/dev/null
expect_eq "exit code after SIGTERM (no password)" "0" "$(exit_code "$c_open")"

log "passed in $(($(date +%s) - started)) s"
