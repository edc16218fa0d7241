#!/usr/bin/env python3
"""One-stream decode rate of an OpenAI-compatible server, from token ids.

Sends `--rounds` streaming /v1/completions requests one after another, each
with the same token-id prompt and a fixed output length (max_tokens =
min_tokens, ignore_eos), and times the chunks as they arrive. A round's
decode rate is (tokens - 1) / (last chunk - first chunk): the prompt and
the first token are left out, as `keel bench model`'s tg leaves them out,
so the two figures can be compared directly. Prints each round and the
median (min - max); --json writes them.

    python3 bench/serve_decode_rate.py --url http://127.0.0.1:8080 --tokens 128 --rounds 5
"""
import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse


def one_round(url, prompt_ids, tokens, timeout, greedy):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    request = {"prompt": prompt_ids, "max_tokens": tokens, "min_tokens": tokens, "ignore_eos": True, "stream": True}
    if greedy:
        request["temperature"] = 0
    body = json.dumps(request)
    connection.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {response.read()[:300]!r}")
    arrivals = []  # (time, tokens in the chunk) per chunk that carried text
    buffered = b""
    while True:
        data = response.read1(65536)
        if not data:
            break
        now = time.perf_counter()
        buffered += data
        while b"\n\n" in buffered:
            event, buffered = buffered.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if not line.startswith(b"data: ") or line == b"data: [DONE]":
                    continue
                chunk = json.loads(line[len(b"data: "):])
                for choice in chunk.get("choices", []):
                    if choice.get("text"):
                        arrivals.append(now)
    connection.close()
    if len(arrivals) < 2:
        raise RuntimeError(f"expected {tokens} streamed tokens, got {len(arrivals)} chunks")
    # Chunks may merge tokens under load; the span counts them all.
    return (tokens - 1) / (arrivals[-1] - arrivals[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--tokens", type=int, default=128, help="output tokens per round")
    parser.add_argument("--prompt-tokens", type=int, default=8, help="prompt length, in ids")
    parser.add_argument("--vocab", type=int, default=1000, help="prompt ids are drawn below this")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--sampling", choices=("greedy", "default"), default="greedy",
                        help="greedy (temperature 0, as bench model) or the server's defaults (sent as nothing)")
    parser.add_argument("--json", help="write {rates, median, min, max} here")
    args = parser.parse_args()
    if args.tokens < 2 or args.rounds < 1 or args.prompt_tokens < 1:
        parser.error("--tokens must be at least 2, --rounds and --prompt-tokens at least 1")
    # The same ids `keel bench model` uses: spread over the vocabulary.
    prompt_ids = [(i * 7919 + 1) % args.vocab for i in range(args.prompt_tokens)]
    for _ in range(args.warmup):
        one_round(args.url, prompt_ids, args.tokens, args.timeout, args.sampling == "greedy")
    rates = []
    for round_index in range(args.rounds):
        rate = one_round(args.url, prompt_ids, args.tokens, args.timeout, args.sampling == "greedy")
        rates.append(rate)
        print(f"round {round_index + 1}: {rate:.1f} t/s", flush=True)
    summary = {"rates": rates, "median": statistics.median(rates), "min": min(rates), "max": max(rates)}
    print(f"one-stream decode: {summary['median']:.1f} t/s (min {summary['min']:.1f} - max {summary['max']:.1f}) "
          f"over {args.rounds} rounds of {args.tokens} tokens")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(summary, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
