#!/usr/bin/env bash
# keel next to llama.cpp on the same GGUF files, on this machine: the ratio
# table of docs/performance.md (issue 11).
#
# It writes random-weight models of the named shapes with a real vocabulary
# (bench/random_gguf.py; Q4_K_M mixes Q4_K and Q6_K as llama.cpp's quantizer
# does), then, one tool at a time, alternating round by round:
#   - `keel bench model` and `llama-bench` (pp PP, tg TG, REPS repetitions);
#   - with LLAMA_SERVER: one stream through each server (bench/
#     serve_decode_rate.py: token-id prompts, fixed output length) and
#     STREAMS streams in aggregate (`keel bench serve`, /v1/completions).
# The peers are binaries you built; the repository builds and ships none.
#
#   LLAMA_BENCH=/path/to/llama-bench [LLAMA_SERVER=/path/to/llama-server] \
#     bash bench/side_by_side.sh OUT_DIR
#
# Settings (environment): SHAPES ("llama3.2-1b"; also "llama3-8b"), TYPES
# ("f16 q8_0 q4_0 q4_k_m"), THREADS (2), ROUNDS (2), PP (512), TG (128),
# REPS (3), STREAMS (8), LAYERS (fewer layers, for a quick look), VOCAB
# (../shared/testdata/vocab/ggml-vocab-qwen2.gguf), KEEL
# (build/release/apps/keel). Results: OUT_DIR/runs/*.json, the table in
# OUT_DIR/table.md. Run it on a quiet machine.
set -euo pipefail
out=${1:?usage: LLAMA_BENCH=... [LLAMA_SERVER=...] bash bench/side_by_side.sh OUT_DIR}
: "${LLAMA_BENCH:?set LLAMA_BENCH to the llama-bench you built}"
here=$(cd "$(dirname "$0")" && pwd)
keel=${KEEL:-$here/../build/release/apps/keel}
vocab=${VOCAB:-$here/../../shared/testdata/vocab/ggml-vocab-qwen2.gguf}
threads=${THREADS:-2} rounds=${ROUNDS:-2} pp=${PP:-512} tg=${TG:-128} reps=${REPS:-3} streams=${STREAMS:-8}
port=${PORT:-18095}
python=${PYTHON:-python3}  # with numpy (Debian: python3-numpy)
mkdir -p "$out/models" "$out/runs"

wait_ready() {  # URL PID: until URL answers 200, or the server exits
  for _ in $(seq 600); do
    curl -sf "$1" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { echo "side_by_side.sh: the server exited" >&2; return 1; }
    sleep 0.5
  done
  echo "side_by_side.sh: $1 did not answer in 300 s" >&2
  return 1
}

serve_round() {  # TOOL MODEL NAME ROUND: one stream, then STREAMS streams, through one server
  local tool=$1 model=$2 name=$3 round=$4 pid ready
  if [ "$tool" = keel ]; then
    "$keel" serve --model "$model" --port "$port" --threads "$threads" --max-seqs "$streams" >"$out/runs/$name.keel.server.log" 2>&1 &
    pid=$! ready=/ready
  else
    "$LLAMA_SERVER" -m "$model" --port "$port" -t "$threads" -np "$streams" -c $((streams * (pp + tg + 64))) \
      >"$out/runs/$name.llama.server.log" 2>&1 &
    pid=$! ready=/health
  fi
  if wait_ready "http://127.0.0.1:$port$ready" "$pid"; then
    # Prompt ids below 1000 (serve_decode_rate.py's default): ordinary tokens
    # of any real vocabulary, never a control token a server may refuse.
    "$python" "$here/serve_decode_rate.py" --url "http://127.0.0.1:$port" --tokens "$tg" --rounds "$reps" \
      --json "$out/runs/$name.$tool.serve1.$round.json" >/dev/null ||
      echo "side_by_side.sh: one stream through $tool failed on $name (see its server log)" >&2
    "$keel" bench serve --url "http://127.0.0.1:$port" --endpoint completions --metrics-path '' \
      --num-requests $((2 * streams)) --max-concurrency "$streams" --input-len 64 --output-len "$tg" \
      --output "$out/runs/$name.$tool.serveN.$round.json" >/dev/null ||
      echo "side_by_side.sh: $streams streams through $tool failed on $name (see its server log)" >&2
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

for shape in ${SHAPES:-llama3.2-1b}; do
  for type in ${TYPES:-f16 q8_0 q4_0 q4_k_m}; do
    name=$shape-$type
    model=$out/models/$name.gguf
    [ -s "$model" ] || "$python" "$here/random_gguf.py" --shape "$shape" --type "$type" --vocab-from "$vocab" \
      ${LAYERS:+--layers "$LAYERS"} "$model" >/dev/null
    for round in $(seq "$rounds"); do
      echo "side_by_side.sh: $name round $round" >&2
      "$keel" bench model --model "$model" -p "$pp" -n "$tg" -t "$threads" -r "$reps" \
        --output "$out/runs/$name.keel.bench.$round.json" >/dev/null
      "$LLAMA_BENCH" -m "$model" -p "$pp" -n "$tg" -t "$threads" -r "$reps" -o json \
        >"$out/runs/$name.llama.bench.$round.json" 2>/dev/null
      if [ -n "${LLAMA_SERVER:-}" ]; then
        serve_round keel "$model" "$name" "$round"
        serve_round llama "$model" "$name" "$round"
      fi
    done
  done
done
"$python" "$here/side_by_side_table.py" "$out/runs" | tee "$out/table.md"
