#!/usr/bin/env bash
# What TLS costs: redis-benchmark SET and GET with pipelines of 16 against one shale-server,
# over its plain port and over its TLS port (redis-benchmark --tls, a client certificate from a
# CA made for the run with the openssl command line), alternating between rounds; and the same
# against Debian's redis-server (--appendonly yes --save ''), whose TLS/plain ratio is the
# yardstick for Shale's.
#
#   redis-benchmark -t set,get -n N -r 1000000 -d 100 -c 50 -P 16 [--tls --cacert --cert --key]
#
# Prints requests/s of each run, the median per server and transport, and the ratios TLS/plain.
#
# Environment:
#   BENCH_REQUESTS   requests per redis-benchmark run (default 1000000)
#   BENCH_ROUNDS     rounds (default 3)
#   SHALE_SERVER     the shale-server binary (default build/release/bin/shale-server)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

requests=${BENCH_REQUESTS:-1000000}
rounds=${BENCH_ROUNDS:-3}

certs="$work/certs"
mkdir -p "$certs"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
{
  openssl req -x509 -new "${ec[@]}" -keyout "$certs/ca.key" -out "$certs/ca.crt" -days 2 -subj /CN=bench-ca
  for name in server client; do
    openssl req -new "${ec[@]}" -keyout "$certs/$name.key" -out "$certs/$name.csr" -subj "/CN=$name"
    openssl x509 -req -in "$certs/$name.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" \
      -CAcreateserial -out "$certs/$name.crt" -days 2
  done
} >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log" >&2; exit 1; }

# A loopback port nothing listens on now.
free_port() {
  local p
  while true; do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
}

declare -A tls_port
tls_port[shale]=$(free_port)
start shale "$shale_server" --appendfsync everysec --tls-port "${tls_port[shale]}" \
  --tls-cert-file "$certs/server.crt" --tls-key-file "$certs/server.key" \
  --tls-ca-cert-file "$certs/ca.crt"
tls_port[redis]=$(free_port)
start redis "$redis_server" --appendonly yes --appendfsync everysec --save '' \
  --tls-port "${tls_port[redis]}" --tls-cert-file "$certs/server.crt" \
  --tls-key-file "$certs/server.key" --tls-ca-cert-file "$certs/ca.crt"
tls_args=(--tls --cacert "$certs/ca.crt" --cert "$certs/client.crt" --key "$certs/client.key")

echo "machine: $(machine)"
echo "benchmark: redis-benchmark -t set,get -n $requests -r 1000000 -d 100 -c 50 -P 16, $rounds rounds"

declare -A results
# run <server> <transport>
run() {
  local name=$1 transport=$2 output
  if [[ $transport == tls ]]; then
    output=$(redis-benchmark -h 127.0.0.1 -p "${tls_port[$name]}" "${tls_args[@]}" -t set,get \
      -n "$requests" -r 1000000 -d 100 -c 50 -P 16 --csv 2>/dev/null)
  else
    output=$(redis-benchmark -h 127.0.0.1 -p "${port[$name]}" -t set,get \
      -n "$requests" -r 1000000 -d 100 -c 50 -P 16 --csv 2>/dev/null)
  fi
  local test rps
  while IFS=, read -r test rps _; do
    test=${test//\"/}
    [[ $test == SET || $test == GET ]] || continue
    results["$name $transport $test"]+="${rps//\"/} "
  done <<<"$output"
}

for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then order=(plain tls); else order=(tls plain); fi
  for name in shale redis; do
    for transport in "${order[@]}"; do run "$name" "$transport"; done
  done
done

printf '%-6s %-5s %-30s %-30s %9s %9s %6s\n' server test "plain req/s" "tls req/s" plain tls ratio
for name in shale redis; do
  for test in SET GET; do
    plain=$(median <<<"${results[$name plain $test]}")
    tls=$(median <<<"${results[$name tls $test]}")
    printf '%-6s %-5s %-30s %-30s %9.0f %9.0f %6.2f\n' "$name" "$test" \
      "${results[$name plain $test]}" "${results[$name tls $test]}" "$plain" "$tls" \
      "$(awk -v a="$tls" -v b="$plain" 'BEGIN { print a / b }')"
  done
done
