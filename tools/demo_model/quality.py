#!/usr/bin/python3
"""Top-1 agreement and mean KL divergence between two keel models' logits.

Measures how much a quantized file (e.g. Q8_0) departs from a reference file
(e.g. F16) on held-out conversations: each of the first N held-out questions
is rendered with its correct answer (the demo model's chat format), tokenized
with `keel tokenize`, and run through `keel logits` with both models. Over
every position: top-1 agreement (same argmax) and mean KL(reference || candidate)
in nats.

usage: quality.py --keel BIN --reference F16.gguf --candidate Q8_0.gguf [--conversations 40]
Needs numpy (Debian's python3-numpy).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def conversation_text(row: dict) -> str:
    return f"[gMASK]<sop><|user|>\n{row['question']}<|assistant|>\n{row['answer']}<|endoftext|>"


def token_ids(keel: str, model: str, text: str) -> str:
    result = subprocess.run([keel, "tokenize", "--model", model, "--text", text, "--special"],
                            capture_output=True, text=True, check=True)
    return result.stdout.strip()


def logits(keel: str, model: str, ids: str, out: Path) -> np.ndarray:
    subprocess.run([keel, "logits", "--model", model, "--ids", ids, "--out", str(out)], capture_output=True,
                   check=True)
    values = np.fromfile(out, dtype="<f4")
    return values.reshape(len(ids.split()), -1).astype(np.float64)


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keel", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--candidate", required=True)
    parser.add_argument("--conversations", type=int, default=40)
    args = parser.parse_args()

    rows = [json.loads(line) for line in (HERE / "heldout.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = rows[:: max(1, len(rows) // args.conversations)][: args.conversations]  # spread over all families
    agree, positions, kl_sum = 0, 0, 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for row in rows:
            ids = token_ids(args.keel, args.reference, conversation_text(row))
            reference = log_softmax(logits(args.keel, args.reference, ids, Path(scratch) / "a.f32"))
            candidate = log_softmax(logits(args.keel, args.candidate, ids, Path(scratch) / "b.f32"))
            agree += int((reference.argmax(axis=1) == candidate.argmax(axis=1)).sum())
            kl_sum += float((np.exp(reference) * (reference - candidate)).sum())
            positions += reference.shape[0]
    print(f"{args.candidate} vs {args.reference}: {positions} positions in {len(rows)} conversations; "
          f"top-1 agreement {agree / positions:.4f}, mean KL {kl_sum / positions:.3g} nats")


if __name__ == "__main__":
    main()
