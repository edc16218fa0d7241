#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset "fuzz", clang) and runs each
# for a fixed time on a scratch copy of its seed corpus, so the repository
# is never modified. Exits non-zero if any target finds a crash, leak,
# sanitizer report or timeout.
#
# usage: scripts/fuzz.sh [seconds per target, default 30]
set -euo pipefail

seconds="${1:-30}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${repo}/build/fuzz"

cmake --preset fuzz -S "${repo}" >/dev/null
cmake --build "${build}" -j2 --target fuzz_gguf fuzz_safetensors

scratch="$(mktemp -d)"
trap 'rm -rf "${scratch}"' EXIT

status=0
for format in gguf safetensors; do
  corpus="${scratch}/corpus_${format}"
  mkdir -p "${corpus}" "${scratch}/artifacts_${format}"
  cp "${repo}/tests/fuzz/corpus/${format}/"* "${corpus}/"
  echo "== fuzz_${format}: ${seconds}s"
  if ! "${build}/tests/fuzz/fuzz_${format}" "${corpus}" \
      -max_total_time="${seconds}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="${scratch}/artifacts_${format}/" 2>"${scratch}/log_${format}"; then
    status=1
    tail -n 60 "${scratch}/log_${format}"
    # Keep the reproducer where it survives the scratch directory.
    mkdir -p "${build}/crashes"
    cp "${scratch}/artifacts_${format}/"* "${build}/crashes/" 2>/dev/null || true
    echo "fuzz_${format} FAILED; reproducers in ${build}/crashes" >&2
  else
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "${scratch}/log_${format}" || true
    echo "fuzz_${format}: no crash"
  fi
done
exit "${status}"
