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
cmake --build "${build}" -j2 --target fuzz_gguf fuzz_safetensors fuzz_tokenizer_json fuzz_chat_template fuzz_request_body fuzz_grammar fuzz_http_request

scratch="$(mktemp -d)"
trap 'rm -rf "${scratch}"' EXIT

status=0
for target in gguf safetensors tokenizer_json chat_template request_body grammar http_request; do
  corpus="${scratch}/corpus_${target}"
  mkdir -p "${corpus}" "${scratch}/artifacts_${target}"
  cp "${repo}/tests/fuzz/corpus/${target}/"* "${corpus}/"
  if [[ "${target}" == chat_template ]]; then
    # The real templates of the team's test data (not copied into this
    # repository) and the project's own feature templates seed it too.
    cp "${repo}/../shared/testdata/templates/"*.jinja "${corpus}/" 2>/dev/null || true
    cp "${repo}/tests/golden/templates/extra/"*.jinja "${corpus}/" 2>/dev/null || true
  fi
  echo "== fuzz_${target}: ${seconds}s"
  if ! "${build}/tests/fuzz/fuzz_${target}" "${corpus}" \
      -max_total_time="${seconds}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="${scratch}/artifacts_${target}/" 2>"${scratch}/log_${target}"; then
    status=1
    tail -n 60 "${scratch}/log_${target}"
    # Keep the reproducer where it survives the scratch directory.
    mkdir -p "${build}/crashes"
    cp "${scratch}/artifacts_${target}/"* "${build}/crashes/" 2>/dev/null || true
    echo "fuzz_${target} FAILED; reproducers in ${build}/crashes" >&2
  else
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "${scratch}/log_${target}" || true
    echo "fuzz_${target}: no crash"
  fi
done
exit "${status}"
