#!/usr/bin/python3
"""Write heldout.jsonl: the demo model's held-out questions.

50 questions per task family, drawn with a seed that training never uses
(HELD_OUT_SEED). The training loader skips any problem whose key is in this
file for the families of tasks.HELD_OUT_EXCLUDED_FROM_TRAINING. Deterministic:
rerunning rewrites the same bytes.

usage: make_heldout.py [OUT]   (default: heldout.jsonl beside this file)
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import tasks

HELD_OUT_SEED = 20250611
PER_TASK = 50


def held_out_examples() -> list[tasks.Example]:
    rng = random.Random(HELD_OUT_SEED)
    examples = []
    for name, make in tasks.TASKS.items():
        seen = set()
        while len(seen) < PER_TASK:
            example = make(rng)
            if example.question in seen:
                continue
            seen.add(example.question)
            examples.append(example)
    return examples


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "heldout.jsonl"
    with out.open("w", encoding="utf-8") as f:
        for e in held_out_examples():
            row = {"task": e.task, "question": e.question, "answer": e.answer, "key": e.key}
            if e.tools:
                row["tools"] = e.tools
            if e.after:
                row["after"] = e.after
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
