#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs every test with
# CTest, then runs each fuzzer briefly. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --preset release -j2
if [ -f scripts/fuzz.sh ]; then
  bash scripts/fuzz.sh "${KEEL_FUZZ_SECONDS:-20}"
fi
