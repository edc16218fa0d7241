#!/bin/bash
# The one device command that trained the shipped demo model (run from the
# repository root on the GPU machine, with $OUT the folder that comes back):
#   torch 2.11, transformers 5.17, tokenizers 0.23 (the nvidia-h200 image).
# Brings back train.log, training.json, heldout_answers.jsonl,
# reference_logits.f32 and the HF directory as hf.tgz.part-* (16 MiB pieces).
# usage: train_on_device.sh [TRAIN_SECONDS] (default 400: the seconds of
# training; tokenizer, evaluation and export add about 30).
# To repeat a run step for step, run train.py with --steps N (the count
# training.json records).
set -o pipefail
export PYTHONUNBUFFERED=1
cd tools/demo_model || exit 1
nvidia-smi -L
python3 train.py --out /tmp/demo --train-seconds "${1:-400}" > "$OUT/train.log" 2>&1
rc=$?
cp /tmp/demo/training.json /tmp/demo/heldout_answers.jsonl /tmp/demo/reference_logits.f32 "$OUT/" 2>/dev/null
if [ -d /tmp/demo/hf ]; then tar czf - -C /tmp/demo hf | split -b 15m - "$OUT/hf.tgz.part-"; fi
tail -70 "$OUT/train.log"
exit $rc
