#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs every test with
# CTest, then the sanitizer builds (scripts/sanitize.sh), then runs each
# fuzzer briefly. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# The tests compile the CUDA backend for one architecture (sm_75 with its
# PTX, which any newer GPU runs) to keep the build short; GPU tests skip
# where no GPU is present.
KEEL_CUDA_ARCHITECTURES="${KEEL_CUDA_ARCHITECTURES:-75}" bash scripts/build.sh
ctest --preset release -j2
bash scripts/sanitize.sh
if [ -f scripts/fuzz.sh ]; then
  bash scripts/fuzz.sh "${KEEL_FUZZ_SECONDS:-20}"
fi
