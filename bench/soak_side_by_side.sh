#!/usr/bin/env bash
# Soaks `keel serve` and llama.cpp's `llama-server` side by side on one
# model file, with the same client and load, and injects a fault into keel
# every FAULT_EVERY seconds. Each server gets a core of its own (taskset);
# the clients, the fault loop and the memory sampler share the rest.
#
#   LLAMA_SERVER=/path/to/llama-server bash bench/soak_side_by_side.sh DURATION OUT_DIR [MODEL]
#
# OUT_DIR gets:
#   keel/, llama-server/   each soak's soak.csv, soak.json, soak.svg, failures.jsonl, soak.log
#   faults.log             one line per injected fault: seconds since the soaks began, kind, answer
#   rss.csv                both servers' resident memory from /proc every 30 s (llama-server
#                          exports none on /metrics)
#   keel-metrics-end.txt   keel's /metrics when the soaks ended (step failures, restarts, reloads)
#   keel.log, llama-server.log
#
# The faults rotate through four kinds, each one the live tests cover:
#   fail-forward  the next engine step fails (its requests end with the cause)
#   poison-logits one logits row of the next step is NaN (its request ends)
#   stall         the step loop stops for STALL_SECONDS, past --stall-timeout
#   reload        SIGHUP after touching the model file: a reload that
#                 validates and swaps while requests run
# None of them opens the breaker (one failure each, five open it).
set -euo pipefail
duration=${1:?usage: soak_side_by_side.sh DURATION OUT_DIR [MODEL]}
out=${2:?usage: soak_side_by_side.sh DURATION OUT_DIR [MODEL]}
model_source=${3:-models/keel-demo-glm4-q8_0.gguf}
keel=${KEEL:-build/release/apps/keel}
llama_server=${LLAMA_SERVER:?set LLAMA_SERVER to a llama-server binary}
fault_every=${FAULT_EVERY:-600}
stall_seconds=${STALL_SECONDS:-8}
rate=${RATE:-10}
keel_port=${KEEL_PORT:-18080}
llama_port=${LLAMA_PORT:-18081}

mkdir -p "$out"
model="$out/model.gguf"  # a copy of its own, so that touching it for a reload leaves the repository alone
cp "$model_source" "$model"

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

taskset -c 0 "$keel" serve --port "$keel_port" --model "$model" --threads 1 --stall-timeout 5 \
  --access-log '' --enable-test-hooks >"$out/keel.log" 2>&1 &
keel_pid=$!
pids+=("$keel_pid")
taskset -c 1 "$llama_server" -m "$model" --port "$llama_port" --metrics -np 4 -c 4096 -t 1 -tb 1 \
  --no-webui >"$out/llama-server.log" 2>&1 &
llama_pid=$!
pids+=("$llama_pid")

wait_ready() {
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0
    sleep 1
  done
  echo "the server on port $1 never became healthy" >&2
  return 1
}
wait_ready "$keel_port"
wait_ready "$llama_port"

# The same client and load for both.
soak_flags=(--duration "$duration" --interval "${INTERVAL:-60s}" --warmup "${WARMUP:-10m}"
            --request-rate "$rate" --max-concurrency 8 --workload multiturn --turns 2
            --input-len 8 --output-len 16 --max-drift "${MAX_DRIFT:-latency=10,rss=5}" --allow-failures)
mkdir -p "$out/keel" "$out/llama-server"
"$keel" bench soak --url "http://127.0.0.1:$keel_port" "${soak_flags[@]}" --output-dir "$out/keel" \
  >"$out/keel/soak.log" 2>&1 &
keel_soak=$!
"$keel" bench soak --url "http://127.0.0.1:$llama_port" "${soak_flags[@]}" --output-dir "$out/llama-server" \
  >"$out/llama-server/soak.log" 2>&1 &
llama_soak=$!
started=$(date +%s)
since() { echo $(( $(date +%s) - started )); }

# Resident memory of both servers, every 30 s.
(
  echo "seconds,keel_rss_bytes,llama_server_rss_bytes"
  while kill -0 "$keel_soak" 2>/dev/null; do
    k=$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$keel_pid/status" 2>/dev/null || echo "")
    l=$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$llama_pid/status" 2>/dev/null || echo "")
    echo "$(since),$k,$l"
    sleep 30
  done
) >"$out/rss.csv" &
pids+=("$!")

# One fault every fault_every seconds, rotating through the four kinds.
(
  kinds=(fail-forward poison-logits stall reload)
  n=0
  while sleep "$fault_every" && kill -0 "$keel_soak" 2>/dev/null; do
    kind=${kinds[$((n % 4))]}
    case $kind in
      fail-forward|poison-logits)
        answer=$(curl -s -X POST "http://127.0.0.1:$keel_port/debug/$kind" -d '{}') ;;
      stall)
        curl -s -X POST "http://127.0.0.1:$keel_port/debug/stall" -d 'true' >/dev/null
        sleep "$stall_seconds"
        answer=$(curl -s -X POST "http://127.0.0.1:$keel_port/debug/stall" -d 'false') ;;
      reload)
        touch "$model"
        kill -HUP "$keel_pid"
        answer="SIGHUP sent" ;;
    esac
    echo "$(since) $kind $answer"
    n=$((n + 1))
  done
) >"$out/faults.log" &
pids+=("$!")

status=0
wait "$keel_soak" || status=$?
wait "$llama_soak" || true
curl -s "http://127.0.0.1:$keel_port/metrics" >"$out/keel-metrics-end.txt" || true
echo "keel soak exit status $status; results in $out"
tail -n 25 "$out/keel/soak.log"
tail -n 25 "$out/llama-server/soak.log"
