#!/usr/bin/env bash
# Starts `keel serve` on a model, soaks it, stops it. The soak's files
# (soak.csv, soak.json, soak.svg) land in OUT_DIR.
#
#   bash bench/soak_keel.sh DURATION OUT_DIR [MODEL] [-- extra soak flags]
#
# Example: bash bench/soak_keel.sh 30m soak-30m models/tiny-random-glm4-q8_0.gguf
set -euo pipefail
duration=${1:?usage: soak_keel.sh DURATION OUT_DIR [MODEL]}
out=${2:?usage: soak_keel.sh DURATION OUT_DIR [MODEL]}
model=${3:-models/tiny-random-glm4-q8_0.gguf}
shift $(( $# >= 3 ? 3 : $# ))
[[ ${1:-} == -- ]] && shift
keel=${KEEL:-build/release/apps/keel}
mkdir -p "$out"
exec 3< <("$keel" serve --port 0 --model "$model" --access-log '' 2>"$out/server.log")
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT
read -r -u 3 url   # keel serve prints its address once the model is loaded
echo "keel serve at $url (pid $server_pid)"
"$keel" bench soak --url "$url" --duration "$duration" --interval "${INTERVAL:-60s}" \
  --max-concurrency "${CONCURRENCY:-4}" --workload multiturn --input-len 64 --output-len 32 \
  --max-drift "${MAX_DRIFT:-latency=10,rss=5}" --output-dir "$out" "$@"
