#!/usr/bin/env bash
# Runs every libFuzzer target for a while.
#
#   scripts/fuzz.sh [seconds per target]      (default 60)
#
# Builds the fuzz targets with clang, ASan and UBSan in build/fuzz, then runs each one on a
# copy of its seed corpus in build/fuzz/corpus/<target>: the seeds in the tree are never
# modified, and inputs the fuzzer finds are kept there for the next run. Crashing inputs are
# written to build/fuzz/artifacts/, logs to build/fuzz/logs/. Exits non-zero if a target fails.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -eq 0 ]]; then
  echo "usage: $0 [seconds per target]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/fuzz"
sanitizers='-fsanitize=address,undefined -fno-omit-frame-pointer'

cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="$sanitizers" -DCMAKE_CXX_FLAGS="$sanitizers" >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target shale_fuzzers

# Stop at the first finding of either sanitizer, so it is reported as a crash.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}"

shopt -s nullglob
manifests=("$build"/fuzz_targets/*)
if [[ ${#manifests[@]} -eq 0 ]]; then
  echo "no fuzz targets found in $build/fuzz_targets" >&2
  exit 1
fi

mkdir -p "$build/artifacts" "$build/logs"
status=0
for manifest in "${manifests[@]}"; do
  name="$(basename "$manifest")"
  # Each manifest holds the binary's path, then the seed corpus directory.
  { read -r binary; read -r seeds; } <"$manifest"
  work="$build/corpus/$name"
  log="$build/logs/$name.log"
  mkdir -p "$work"
  cp -R "$seeds"/. "$work"/
  echo "== $name: ${seconds}s on $work"
  if "$binary" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$name-" "$work" >"$log" 2>&1; then
    execs="$(awk '/stat::number_of_executed_units:/ {print $2}' "$log")"
    inputs="$(find "$work" -type f | wc -l)"
    echo "   ok: ${execs:-?} executions, corpus now $inputs inputs (log: $log)"
  else
    echo "   FAILED (log: $log)"
    tail -n 60 "$log"
    status=1
  fi
done
exit "$status"
