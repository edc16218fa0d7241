#!/usr/bin/env python3
"""The ratio table of bench/side_by_side.sh, from the result files of its runs.

Reads RUNS_DIR/<model>.<tool>.<what>.<round>.json, where tool is keel or
llama and what is one of
  bench   `keel bench model --output` / `llama-bench -o json` (pp and tg)
  serve1  bench/serve_decode_rate.py --json: one stream through the server
  serveN  `keel bench serve --output`: N streams, aggregate output tokens/s
and prints one Markdown row per (model, test): each tool's figure per
round, the medians over the rounds, and keel / llama.cpp of the medians.

    python3 bench/side_by_side_table.py RUNS_DIR
"""
import json
import pathlib
import statistics
import sys
from collections import defaultdict


def keel_bench(data):
    return {r["test"]: r["median"] for r in data["results"]}


def llama_bench(data):
    figures = {}
    for entry in data:
        if entry["n_gen"] == 0:
            figures[f"pp{entry['n_prompt']}"] = entry["avg_ts"]
        elif entry["n_prompt"] == 0:
            figures[f"tg{entry['n_gen']}"] = entry["avg_ts"]
    return figures


def figures_of(path, tool, what):
    data = json.loads(path.read_text())
    if what == "bench":
        return keel_bench(data) if tool == "keel" else llama_bench(data)
    if what == "serve1":
        return {"serve 1 stream": data["median"]}
    return {f"serve {data['config']['max_concurrency']} streams": data["metrics"]["output_token_throughput"]}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    runs = pathlib.Path(sys.argv[1])
    # (model, test) -> tool -> [figure per round]
    table = defaultdict(lambda: defaultdict(list))
    for path in sorted(runs.glob("*.json")):
        parts = path.name[:-len(".json")].split(".")
        if len(parts) < 4:
            continue
        model, tool, what = ".".join(parts[:-3]), parts[-3], parts[-2]
        for test, value in figures_of(path, tool, what).items():
            table[(model, test)][tool].append(value)
    if not table:
        sys.exit(f"no results under {runs}")
    print("| model | test | keel t/s (rounds) | llama.cpp t/s (rounds) | keel / llama.cpp |")
    print("|---|---|---|---|---|")
    for (model, test), tools in table.items():
        keel, llama = tools.get("keel", []), tools.get("llama", [])
        ratio = f"{statistics.median(keel) / statistics.median(llama):.2f}x" if keel and llama else "-"
        cell = lambda values: " / ".join(f"{v:.1f}" for v in values) or "-"
        print(f"| {model} | {test} | {cell(keel)} | {cell(llama)} | {ratio} |")


if __name__ == "__main__":
    main()
