#!/bin/sh
# The image's health check: PING with redis-cli over the container's loopback interface
# (which protected mode always serves), healthy when the answer is PONG.
# The port and the password are the running server's: the last --port / --requirepass on its
# command line (where the entrypoint also puts SHALE_PORT / SHALE_REQUIREPASS), else the last
# "port" / "requirepass" line of its configuration file, else 6379 and none. REDISCLI_AUTH,
# when set in the container's environment, is the password instead.
set -eu

pid=""
for dir in /proc/[0-9]*; do
  if [ "$(cat "$dir/comm" 2>/dev/null)" = "shale-server" ]; then
    pid=${dir#/proc/}
    break
  fi
done
if [ -z "$pid" ]; then
  echo "shale-server is not running"
  exit 1
fi

args=$(tr '\0' '\n' <"/proc/$pid/cmdline")
port=""
password=""
have_password=no
config=$(echo "$args" | sed -n '2{/^-/!p}')
if [ -n "$config" ] && [ -r "$config" ]; then
  port=$(sed -n 's/^[[:space:]]*port[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p' "$config" | tail -n 1)
  line=$(sed -n 's/^[[:space:]]*requirepass[[:space:]]\{1,\}//p' "$config" | tail -n 1)
  line=${line%\"}
  line=${line#\"}
  if [ -n "$line" ]; then
    password=$line
    have_password=yes
  fi
fi
previous=""
while IFS= read -r arg; do
  case "$previous" in
    --port) port=$arg ;;
    --requirepass)
      password=$arg
      have_password=yes
      ;;
  esac
  previous=$arg
done <<ARGS
$args
ARGS

if [ -z "${REDISCLI_AUTH:-}" ] && [ "$have_password" = yes ] && [ -n "$password" ]; then
  REDISCLI_AUTH=$password
  export REDISCLI_AUTH
fi

reply=$(redis-cli -h 127.0.0.1 -p "${port:-6379}" --no-auth-warning ping 2>&1 || true)
if [ "$reply" = "PONG" ]; then
  exit 0
fi
echo "PING answered: $reply"
exit 1
