#!/usr/bin/env bash
# One-stream decode through `keel serve` next to `keel bench model`'s tg on
# the same model: the serving path must decode as fast as the engine's step
# does alone (issue 11: it once ran at half the speed, its compute threads
# outnumbering the CPUs). Prints both medians and serve / model; a ratio
# well below 1 is the regression coming back.
#
#   bash bench/serve_vs_model.sh [MODEL] [TOKENS] [ROUNDS]   (demo model, 128, 5)
#
# KEEL=path/to/keel picks the binary; SERVE_FLAGS / MODEL_FLAGS pass extra
# flags (e.g. SERVE_FLAGS="--threads 2"). Run it on a quiet machine: the
# two are measured one after the other, not side by side.
set -euo pipefail
model=${1:-models/keel-demo-glm4-q8_0.gguf}
tokens=${2:-128}
rounds=${3:-5}
keel=${KEEL:-build/release/apps/keel}
port=${PORT:-18090}
here=$(cd "$(dirname "$0")" && pwd)
vocab=$("$keel" inspect "$model" | sed -n 's/.*vocab \([0-9]*\).*/\1/p' | head -1)

"$keel" serve --model "$model" --port "$port" ${SERVE_FLAGS:-} >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
serve_json=$(mktemp)
python3 "$here/serve_decode_rate.py" --url "http://127.0.0.1:$port" --tokens "$tokens" --rounds "$rounds" \
  --vocab "$vocab" --json "$serve_json" | tail -1
kill $server
wait $server 2>/dev/null || true
trap - EXIT

model_json=$(mktemp)
"$keel" bench model --model "$model" -p 0 -n "$tokens" -r "$rounds" ${MODEL_FLAGS:-} --output "$model_json" | grep "| tg"
python3 - "$serve_json" "$model_json" <<'PY'
import json, sys
serve = json.load(open(sys.argv[1]))
model = json.load(open(sys.argv[2]))["results"][-1]
print(f"serve one stream {serve['median']:.1f} t/s ({serve['min']:.1f} - {serve['max']:.1f}), "
      f"bench model {model['test']} {model['median']:.1f} t/s ({model['min']:.1f} - {model['max']:.1f}): "
      f"serve / model = {serve['median'] / model['median']:.2f}")
PY
rm -f "$serve_json" "$model_json"
