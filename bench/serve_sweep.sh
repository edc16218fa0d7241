#!/usr/bin/env bash
# Runs `keel bench serve` at several concurrencies against a server that is
# already running, writing one result file per concurrency.
#
#   bash bench/serve_sweep.sh URL OUT_DIR [concurrency ...]   (default 1 2 4 8 16)
#
# Extra bench flags go in BENCH_FLAGS, e.g. BENCH_FLAGS="--input-len 256 --output-len 128".
set -euo pipefail
url=${1:?usage: serve_sweep.sh URL OUT_DIR [concurrency ...]}
out=${2:?usage: serve_sweep.sh URL OUT_DIR [concurrency ...]}
shift 2
concurrencies=("$@")
[[ ${#concurrencies[@]} -gt 0 ]] || concurrencies=(1 2 4 8 16)
keel=${KEEL:-build/release/apps/keel}
mkdir -p "$out"
for c in "${concurrencies[@]}"; do
  # Enough requests that each concurrency level runs a few rounds.
  "$keel" bench serve --url "$url" --max-concurrency "$c" --num-requests $((c * 8 > 32 ? c * 8 : 32)) \
    ${BENCH_FLAGS:-} --output "$out/serve-c$c.json" | tee "$out/serve-c$c.txt"
done
