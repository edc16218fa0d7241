#!/usr/bin/python3
"""Exact-match accuracy of a keel model on the demo model's held-out questions.

Each question of heldout.jsonl is asked as one user message (with the
row's tools, and the turns after it: a tool call and its result) with greedy
decoding, through `keel serve`'s /v1/chat/completions when the keel binary has
a `serve` command (--via auto), or through `keel run --chat` otherwise. The
reply must equal the expected answer exactly (surrounding whitespace aside);
a reply that is a tool call counts as `NAME\nARGUMENTS-JSON`, the GLM-4
format the model writes, so that it compares with the expected call.
Prints accuracy per task family and overall; exits 1 when below --min-overall
or --min-task (so CTest can gate on it).

usage: evaluate.py --keel BIN --model FILE [--per-task N] [--via auto|serve|run]
                   [--concurrency 4] [--min-overall 0.95] [--min-task 0.9] [--json OUT]
Needs only the Python standard library.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chat_format  # noqa: E402  (the conversations a held-out row is asked with)

HERE = Path(__file__).resolve().parent
MAX_TOKENS = 48
SERVED_NAME = "keel-demo"


def load_questions(path: Path, per_task: int) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if per_task <= 0:
        return rows
    taken: dict[str, int] = {}
    chosen = []
    for row in rows:  # the first N of each family: a fixed subset
        if taken.get(row["task"], 0) < per_task:
            taken[row["task"]] = taken.get(row["task"], 0) + 1
            chosen.append(row)
    return chosen


def has_serve_command(keel: str) -> bool:
    result = subprocess.run([keel, "serve", "--help"], capture_output=True, text=True)
    return result.returncode == 0


def ask_with_run(keel: str, model: str, question: str) -> str:
    env = dict(os.environ, KEEL_THREADS="1")
    result = subprocess.run([keel, "run", "--model", model, "--chat", question, "--temperature", "0",
                             "--max-tokens", str(MAX_TOKENS)], capture_output=True, text=True, env=env, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"keel run failed: {result.stderr.strip()}")
    return result.stdout.removesuffix("\n")


class Server:
    """A `keel serve` child process on a free local port."""

    def __init__(self, keel: str, model: str):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        # The server's log (one access-log line per request) goes to a file:
        # an unread pipe would fill up and block the server.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([keel, "serve", "--model", model, "--host", "127.0.0.1",
                                         "--port", str(self.port), "--served-model-name", SERVED_NAME],
                                        stdout=subprocess.DEVNULL, stderr=self.log, text=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"keel serve exited: {self.log.read()}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v1/models", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        self.close()
        raise RuntimeError("keel serve did not come up within 120 s")

    def ask(self, row: dict) -> str:
        messages, tools = chat_format.evaluation_conversation(row)
        request_body = {"model": SERVED_NAME, "messages": messages, "temperature": 0, "max_tokens": MAX_TOKENS}
        if tools:
            request_body["tools"] = tools
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/v1/chat/completions",
                                         data=json.dumps(request_body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            message = json.loads(response.read())["choices"][0]["message"]
        calls = message.get("tool_calls") or []
        if calls:  # as the model wrote it: NAME, newline, the arguments as JSON
            return "\n".join(f"{c['function']['name']}\n{json.dumps(json.loads(c['function']['arguments']))}"
                             for c in calls)
        return message["content"] or ""

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def accuracy_table(rows: list[dict], replies: list[str]) -> dict[str, float]:
    hits: dict[str, list[int]] = {}
    for row, reply in zip(rows, replies):
        entry = hits.setdefault(row["task"], [0, 0])
        entry[0] += int(reply.strip() == row["answer"])
        entry[1] += 1
    table = {task: right / total for task, (right, total) in hits.items()}
    table["overall"] = sum(h[0] for h in hits.values()) / sum(h[1] for h in hits.values())
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keel", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--heldout", type=Path, default=HERE / "heldout.jsonl")
    parser.add_argument("--per-task", type=int, default=0, help="first N questions of each family (0 = all)")
    parser.add_argument("--via", choices=["auto", "serve", "run"], default="auto")
    parser.add_argument("--min-overall", type=float, default=0.0)
    parser.add_argument("--min-task", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight at once (serve)")
    parser.add_argument("--json", type=Path, help="write the table and every reply here")
    args = parser.parse_args()

    rows = load_questions(args.heldout, args.per_task)
    via = args.via
    if via == "auto":
        via = "serve" if has_serve_command(args.keel) else "run"
    started = time.time()
    if via == "serve":
        server = Server(args.keel, args.model)
        try:
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                replies = list(pool.map(server.ask, rows))
        finally:
            server.close()
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:
            replies = list(pool.map(lambda row: ask_with_run(args.keel, args.model, row["question"]), rows))

    table = accuracy_table(rows, replies)
    print(f"{args.model} via keel {via}: {len(rows)} questions in {time.time() - started:.1f}s")
    for task, value in table.items():
        print(f"  {task:8s} {value * 100:6.1f}%")
    for row, reply in zip(rows, replies):
        if reply.strip() != row["answer"]:
            print(f"  wrong: {row['question']!r}: expected {row['answer']!r}, got {reply!r}")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "via": via, "accuracy": table,
                                         "replies": [{"question": r["question"], "expected": r["answer"],
                                                      "got": reply} for r, reply in zip(rows, replies)]},
                                        indent=1) + "\n", encoding="utf-8")
    worst_task = min(value for task, value in table.items() if task != "overall")
    if table["overall"] < args.min_overall or worst_task < args.min_task:
        print(f"FAIL: overall {table['overall']:.3f} (need {args.min_overall}), "
              f"worst task {worst_task:.3f} (need {args.min_task})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
