#!/usr/bin/env bash
# redis-cli against a real server: plain commands, INFO, --scan and --pattern, --pipe with
# 1,000,000 SETs, --raw and --no-raw, RESP3 (-3), -n and -u with a database, -a / --user /
# --pass / REDISCLI_AUTH against requirepass, and --latency.
#
# Usage: redis_cli_test.sh <server-binary>
#   $SHALE_TEST_SERVER, when set, replaces the binary (e.g. /usr/bin/redis-server).
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped (redis-cli not installed).
set -uo pipefail

server=${SHALE_TEST_SERVER:-${1:-}}
if ! command -v redis-cli >/dev/null 2>&1; then
  echo "SKIP: redis-cli is not installed (apt-get install redis-tools)"
  exit 77
fi
if [[ -z "$server" || ! -x "$server" ]]; then
  echo "FAIL: server binary '$server' not found or not executable"
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/shale-cli-XXXXXX")
server_pid=""
failures=0

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

# Starts the server on a random free loopback port. Ready when the server answering on the
# port reports our data directory (so a server of another test that took the port meanwhile
# is not mistaken for ours). Retries on another port if the server exits during start-up.
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
      dir=$(redis-cli -p "$port" --raw config get dir 2>/dev/null | sed -n 2p | tr -d '\r')
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

# Every redis-cli run is bounded, so a server that never ends an iteration (--scan) or never
# answers fails the check instead of hanging the test.
cli() { timeout 30 redis-cli -p "$port" "$@"; }

# check <description> <expected> <actual>; a mismatch prints both (shortened) and, for
# multi-line values, the first lines that differ.
check() {
  if [[ "$2" == "$3" ]]; then
    echo "PASS: $1"
    return
  fi
  echo "FAIL: $1"
  echo "  expected ($(wc -l <<<"$2") lines): $(printf '%q' "${2:0:200}")"
  echo "  got      ($(wc -l <<<"$3") lines): $(printf '%q' "${3:0:200}")"
  diff <(echo "$2") <(echo "$3") | head -n 6 | sed 's/^/  /'
  failures=$((failures + 1))
}

# At most `limit` lines of `redis-cli --scan` output: a server whose iteration never ends makes
# redis-cli stop on the closed pipe instead of running until the timeout.
scan_keys() {
  local limit=$1
  shift
  cli --scan "$@" | head -n "$limit"
}

if ! start_server; then
  echo "--- server log ---"
  cat "$work/server.log"
  exit 1
fi
echo "server $server on port $port"

# Plain commands (redis-cli prints raw values when its output is not a terminal).
check "set a 1" "OK" "$(cli set a 1)"
check "get a" "1" "$(cli get a)"
check "del a" "1" "$(cli del a)"
check "get a after del" "" "$(cli get a)"
check "exists a" "0" "$(cli exists a)"
check "mset" "OK" "$(cli mset k1 v1 k2 v2 k3 v3)"
check "mget" $'v1\n\nv3' "$(cli mget k1 missing k3)"
check "unknown command" "ERR unknown command 'nosuch', with args beginning with: 'x' " \
  "$(cli nosuch x)"

# SCAN 0 on a small set: cursor 0 and every key (order unspecified).
scan_output=$(cli scan 0 count 1000)
check "scan 0 cursor" "0" "$(head -n 1 <<<"$scan_output")"
check "scan 0 keys" $'k1\nk2\nk3' "$(tail -n +2 <<<"$scan_output" | sort)"

# INFO
info_output=$(cli info | tr -d '\r')
check "info has # Server" "# Server" "$(grep -x '# Server' <<<"$info_output")"
check "info has # Keyspace" "# Keyspace" "$(grep -x '# Keyspace' <<<"$info_output")"
check "info keyspace" "db0:keys=3,expires=0,avg_ttl=0" \
  "$(cli info keyspace | tr -d '\r' | grep '^db0:')"

# --scan lists every key of a small set, and --pattern filters.
cli flushall >/dev/null
for i in $(seq 1 200); do
  echo "SET user:$i $i"
  echo "SET order:$i $i"
done | cli >/dev/null
expected_keys=$( (for i in $(seq 1 200); do echo "user:$i"; echo "order:$i"; done) | sort)
check "--scan lists every key" "$expected_keys" "$(scan_keys 1000 | sort)"
check "--scan --pattern user:*" "$(grep '^user:' <<<"$expected_keys")" \
  "$(scan_keys 1000 --pattern 'user:*' | sort)"
check "--scan --pattern *:1?" "$(grep -E '^[a-z]+:1[0-9]$' <<<"$expected_keys")" \
  "$(scan_keys 1000 --pattern '*:1?' | sort)"

# --pipe: 1,000,000 SET commands in RESP.
cli flushall >/dev/null
awk 'BEGIN {
  for (i = 0; i < 1000000; i++) {
    k = "key:" i; v = "value:" i
    printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
  }
}' >"$work/pipe.resp"
pipe_output=$(cli --pipe <"$work/pipe.resp" 2>&1)
rm -f "$work/pipe.resp"
check "--pipe summary" "errors: 0, replies: 1000000" \
  "$(grep -o 'errors: [0-9]*, replies: [0-9]*' <<<"$pipe_output")"
check "dbsize after --pipe" "1000000" "$(cli dbsize)"
check "get key:0" "value:0" "$(cli get key:0)"
check "get key:543210" "value:543210" "$(cli get key:543210)"
check "get key:999999" "value:999999" "$(cli get key:999999)"
check "get key:1000000" "" "$(cli get key:1000000)"
# A bad command inside the stream is counted, and the commands around it still run.
# shellcheck disable=SC2016 # the dollars are RESP's, not the shell's
printf '%s\r\n' '*3' '$3' SET '$4' pipe '$1' 1 '*1' '$6' NOSUCH '*2' '$4' INCR '$4' pipe \
  >"$work/bad.resp"
check "--pipe counts an error" "errors: 1, replies: 3" \
  "$(cli --pipe <"$work/bad.resp" 2>&1 | grep -o 'errors: [0-9]*, replies: [0-9]*')"
check "the commands around the error ran" "2" "$(cli get pipe)"
cli flushall >/dev/null

# --raw prints values as they are; --no-raw (a terminal's default) quotes and types them.
printf 'line1\nline2' | cli -x set multiline >/dev/null
check "--raw get" $'line1\nline2' "$(cli --raw get multiline)"
check "--no-raw get" '"line1\nline2"' "$(cli --no-raw get multiline)"
cli rpush list a 'b c' 1 >/dev/null
check "--raw lrange" $'a\nb c\n1' "$(cli --raw lrange list 0 -1)"
check "--no-raw lrange" $'1) "a"\n2) "b c"\n3) "1"' "$(cli --no-raw lrange list 0 -1)"
check "--raw integer" "2" "$(cli --raw exists list multiline)"
check "--no-raw integer" "(integer) 2" "$(cli --no-raw exists list multiline)"
check "--no-raw nil" "(nil)" "$(cli --no-raw get missing)"
check "--no-raw error" "(error) ERR unknown command 'nosuch', with args beginning with: " \
  "$(cli --no-raw nosuch)"
# -3: redis-cli says HELLO 3 and prints RESP3's maps and doubles as such.
cli hset hash field value >/dev/null
check "-3 hgetall is a map" '1# "field" => "value"' "$(cli -3 --no-raw hgetall hash)"
check "-3 hello proto" "proto 3" "$(cli -3 --raw hello 3 | grep '^proto ')"
check "-3 zscore is a double" "(double) 1.5" \
  "$(cli -3 --no-raw zadd z 1.5 m >/dev/null; cli -3 --no-raw zscore z m)"

# -n and -u select a database.
cli flushall >/dev/null
check "-n 3 set" "OK" "$(cli -n 3 set dbkey three)"
check "-n 3 get" "three" "$(cli -n 3 get dbkey)"
check "db0 does not see db3's key" "" "$(cli get dbkey)"
check "-n 3 dbsize" "1" "$(cli -n 3 dbsize)"
check "db0 dbsize" "0" "$(cli dbsize)"
check "-n 3 --scan" "dbkey" "$(scan_keys 10 -n 3)"
check "info keyspace lists db3" "db3:keys=1,expires=0,avg_ttl=0" \
  "$(cli info keyspace | tr -d '\r' | grep '^db')"
check "-u redis://host:port/3" "three" \
  "$(timeout 30 redis-cli -u "redis://127.0.0.1:$port/3" get dbkey)"
check "-n 16 is refused" "ERR DB index is out of range" \
  "$(cli -n 16 ping 2>&1 | grep -o 'ERR DB index is out of range')"

# --latency without a terminal samples for the -i interval, then prints one line and exits:
# min max avg count, in milliseconds.
latency=$(cli --latency -i 0.3)
if [[ "$latency" =~ ^([0-9]+)\ ([0-9]+)\ ([0-9]+(\.[0-9]+)?)\ ([0-9]+)$ ]]; then
  read -r lat_min lat_max lat_avg lat_count <<<"$latency"
  check "--latency min <= max" "yes" \
    "$( ((lat_min <= lat_max)) && echo yes || echo "no: $latency")"
  check "--latency avg within min..max" "yes" \
    "$(awk -v a="$lat_avg" -v lo="$lat_min" -v hi="$lat_max" \
      'BEGIN { print (a >= lo && a <= hi) ? "yes" : "no" }')"
  check "--latency took samples" "yes" \
    "$( ((lat_count >= 1)) && echo yes || echo "no: $latency")"
else
  check "--latency prints 'min max avg count'" "min max avg count" "$latency"
fi

# requirepass: -a, --user/--pass, REDISCLI_AUTH and a URI's password; wrong ones are refused
# with Redis's texts. Last, so that every check above runs without a password.
password='s3cret pass'
check "config set requirepass" "OK" "$(cli config set requirepass "$password")"
check "no password: NOAUTH" "NOAUTH Authentication required." "$(cli ping 2>&1 | head -n 1)"
check "-a" "PONG" "$(cli -a "$password" --no-auth-warning ping)"
check "--user default --pass" "PONG" \
  "$(cli --user default --pass "$password" --no-auth-warning ping)"
check "REDISCLI_AUTH" "PONG" "$(REDISCLI_AUTH=$password cli ping)"
check "-u with a password" "three" "$(timeout 30 redis-cli --no-auth-warning \
  -u "redis://default:s3cret%20pass@127.0.0.1:$port/3" get dbkey)"
refused=$'AUTH failed: WRONGPASS invalid username-password pair or user is disabled.
NOAUTH Authentication required.'
check "-a with a wrong password" "$refused" "$(cli -a wrong --no-auth-warning ping 2>&1 | grep .)"
check "--user with an unknown user" "$refused" \
  "$(cli --user nobody --pass "$password" --no-auth-warning ping 2>&1 | grep .)"
check "-a warns about the command line" \
  "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe." \
  "$(cli -a "$password" ping 2>&1 >/dev/null)"
check "config set requirepass ''" "OK" \
  "$(cli -a "$password" --no-auth-warning config set requirepass '')"
check "no password needed again" "PONG" "$(cli ping)"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  echo "--- server log ---"
  tail -n 200 "$work/server.log"
  exit 1
fi
echo "all redis-cli checks passed"
