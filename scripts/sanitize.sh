#!/usr/bin/env bash
# The sanitizer runs of the test command (scripts/test.sh): the unit and
# engine tests built with AddressSanitizer + UndefinedBehaviorSanitizer,
# and the engine and server tests with ThreadSanitizer (presets "asan" and
# "tsan": -O1 with line tables, no CUDA, to keep CI's 2 cores under
# budget). Each test binary runs directly; any report fails the run. Under
# TSan the live server suites also run against a TSan build of `keel serve`
# (a report makes the server exit 66, which the suites check).
#
# usage: scripts/sanitize.sh [asan|tsan|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"

# name:path-under-tests of each gtest binary a sanitizer runs.
asan_tests=(core/keel_dequantize_test core/keel_content_hash_test kv/kv_tests grammar/grammar_tests
            tool_calls/tool_calls_tests tokenizer/tokenizer_unit_test chat_template/chat_template_test
            format/keel_gguf_bad_input_test server/server_units_test engine/engine_tests engine/engine_serving_tests)
tsan_tests=(engine/engine_serving_tests server/server_units_test)
# Live suites (tests/e2e_server) run against the TSan `keel serve`: the threads
# of the transport, the engine, the supervisor and the reloader together.
tsan_live=(test_engine_failure test_reload test_lifecycle test_admission test_bad_input test_load)

run_suite() {
  local preset="$1"; shift
  local targets=()
  for test in "$@"; do targets+=("$(basename "${test}")"); done
  echo "== ${preset}: building ${targets[*]}"
  cmake --preset "${preset}" >/dev/null
  cmake --build "build/${preset}" -j2 --target "${targets[@]}"
  for test in "$@"; do
    echo "== ${preset}: ${test}"
    # halt_on_error: the first report fails the binary (and so this script).
    ASAN_OPTIONS="halt_on_error=1:detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
      TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
      "build/${preset}/tests/${test}" --gtest_brief=1
  done
}

run_live_tsan() {
  cmake --build build/tsan -j2 --target keel
  for suite in "${tsan_live[@]}"; do
    echo "== tsan: keel serve, ${suite}"
    (cd tests/e2e_server && KEEL_SANITIZED=1 KEEL_BINARY="${PWD}/../../build/tsan/apps/keel" \
       KEEL_MODEL="${PWD}/../../models/tiny-random-glm4-q8_0.gguf" TSAN_OPTIONS="second_deadlock_stack=1" \
       python3 -W ignore::ResourceWarning -m unittest "${suite}")
  done
}

if [[ "${which}" == asan || "${which}" == all ]]; then run_suite asan "${asan_tests[@]}"; fi
if [[ "${which}" == tsan || "${which}" == all ]]; then
  run_suite tsan "${tsan_tests[@]}"
  run_live_tsan
fi
