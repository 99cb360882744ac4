#!/usr/bin/env bash
# Checks formatting (clang-format) and static analysis (clang-tidy, .clang-tidy) of every
# source file. Needs a configured build for compile_commands.json (default: build/debug).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${1:-build/debug}"
[ -f "$build_dir/compile_commands.json" ] || cmake --preset debug >/dev/null

mapfile -t sources < <(git ls-files 'protocol/*.cc' 'storage/*.cc' 'server/*.cc' 'server/commands/*.cc')
mapfile -t all_files < <(git ls-files '*.cc' '*.h')

echo "clang-format: ${#all_files[@]} files"
clang-format --dry-run --Werror "${all_files[@]}"

echo "clang-tidy: ${#sources[@]} files"
printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -n 4 \
  clang-tidy -p "$build_dir" --quiet --extra-arg=-Wno-unknown-warning-option 2>/dev/null
echo "lint: clean"
