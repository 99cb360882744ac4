#!/usr/bin/env bash
# What TLS costs: redis-benchmark SET and GET with pipelines of 16 against one shale-server,
# over its plain port and over its TLS port (redis-benchmark --tls, a client certificate from a
# CA made for the run with the openssl command line), alternating between rounds.
#
#   redis-benchmark -t set,get -n N -r 1000000 -d 100 -c 50 -P 16 [--tls --cacert --cert --key]
#
# Prints requests/s of each run, the median per transport and the ratio TLS/plain.
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

tls_port=$((20000 + RANDOM % 40000))
start shale "$shale_server" --appendfsync everysec --tls-port "$tls_port" \
  --tls-cert-file "$certs/server.crt" --tls-key-file "$certs/server.key" \
  --tls-ca-cert-file "$certs/ca.crt"
tls_args=(--tls --cacert "$certs/ca.crt" --cert "$certs/client.crt" --key "$certs/client.key")

echo "machine: $(machine)"
echo "benchmark: redis-benchmark -t set,get -n $requests -r 1000000 -d 100 -c 50 -P 16, $rounds rounds"

declare -A results
run() {
  local transport=$1 output
  if [[ $transport == tls ]]; then
    output=$(redis-benchmark -h 127.0.0.1 -p "$tls_port" "${tls_args[@]}" -t set,get \
      -n "$requests" -r 1000000 -d 100 -c 50 -P 16 --csv 2>/dev/null)
  else
    output=$(redis-benchmark -h 127.0.0.1 -p "${port[shale]}" -t set,get \
      -n "$requests" -r 1000000 -d 100 -c 50 -P 16 --csv 2>/dev/null)
  fi
  local test rps
  while IFS=, read -r test rps _; do
    test=${test//\"/}
    [[ $test == SET || $test == GET ]] || continue
    results["$transport $test"]+="${rps//\"/} "
  done <<<"$output"
}

for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then order=(plain tls); else order=(tls plain); fi
  for transport in "${order[@]}"; do run "$transport"; done
done

printf '%-5s %-34s %-34s %10s %10s %6s\n' test "plain req/s" "tls req/s" plain tls ratio
for test in SET GET; do
  plain=$(median <<<"${results[plain $test]}")
  tls=$(median <<<"${results[tls $test]}")
  printf '%-5s %-34s %-34s %10.0f %10.0f %6.2f\n' "$test" "${results[plain $test]}" \
    "${results[tls $test]}" "$plain" "$tls" "$(awk -v a="$tls" -v b="$plain" 'BEGIN { print a / b }')"
done
