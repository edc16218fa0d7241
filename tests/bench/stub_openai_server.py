#!/usr/bin/env python3
"""A stand-in OpenAI-compatible server for the `keel bench` tests.

It streams chat or completion chunks (chunked transfer coding, like real
servers) with set delays, and misbehaves on request so the tests can check
that the client reports failures as failures. The request's "model" field
picks the behaviour:

  ok            max_tokens chunks, usage, finish_reason, [DONE]
  http500       a 500 with an OpenAI error body
  truncate      a few chunks, then the connection closes mid-stream
  empty         finish_reason and [DONE] but no text
  error-event   a few chunks, then a data: {"error": ...} event
  short         half the tokens asked for, then a normal end
  flaky         every third request answers 503, the rest are ok

GET /metrics returns Prometheus text; with --leak-bytes-per-request the
reported resident memory grows with every request, with --alloc-after N the
step-loop allocation counter starts rising after N requests.

Prints the port it listens on as the first line of stdout.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"requests": 0, "lock": threading.Lock()}


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--first-token-delay-ms", type=float, default=5)
    parser.add_argument("--token-delay-ms", type=float, default=1)
    parser.add_argument("--leak-bytes-per-request", type=int, default=0)
    parser.add_argument("--alloc-after", type=int, default=-1)
    return parser.parse_args()


ARGS = parse_args()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep the test output quiet
        pass

    def write_chunk(self, data: bytes):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def event(self, obj):
        payload = obj if isinstance(obj, str) else json.dumps(obj)
        self.write_chunk(("data: " + payload + "\n\n").encode())

    def do_GET(self):
        if self.path != "/metrics":
            self.send_error(404)
            return
        with STATE["lock"]:
            served = STATE["requests"]
        rss = 50_000_000 + served * ARGS.leak_bytes_per_request
        allocations = max(0, served - ARGS.alloc_after) if ARGS.alloc_after >= 0 else 0
        body = (
            "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
            "# TYPE process_resident_memory_bytes gauge\n"
            f"process_resident_memory_bytes {rss}\n"
            f"keel:process_anon_swap_bytes {rss - 10_000_000}\n"
            'keel:kv_blocks{state="free"} 90\nkeel:kv_blocks{state="used"} 6\nkeel:kv_blocks{state="cached"} 4\n'
            "keel:kv_cache_fragmentation_ratio 0.125\nkeel:num_requests_waiting 0\n"
            f"keel:prefix_cache_queries_total {served * 100}\nkeel:prefix_cache_hits_total {served * 25}\n"
            f"keel:step_loop_allocations_total {allocations}\n"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with STATE["lock"]:
            STATE["requests"] += 1
            number = STATE["requests"]
        mode = body.get("model", "ok")
        if mode == "flaky" and number % 3 == 0:
            mode = "http503"
        if mode.startswith("http"):
            error = json.dumps({"error": {"message": "stub failure", "type": "server_error"}}).encode()
            self.send_response(int(mode[4:]))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(error)))
            self.end_headers()
            self.wfile.write(error)
            return
        chat = self.path.endswith("/chat/completions")
        tokens = int(body.get("max_tokens", 16))
        prompt_tokens = sum(len(m["content"].split()) for m in body.get("messages", [])) if chat \
            else len(body.get("prompt", "").split())
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if mode == "short":
            tokens = max(1, tokens // 2)
        time.sleep(ARGS.first_token_delay_ms / 1000)
        for i in range(tokens):
            if i > 0:
                time.sleep(ARGS.token_delay_ms / 1000)
            if mode == "truncate" and i == min(3, tokens - 1):
                self.close_connection = True
                return  # no terminal chunk: the body is cut short
            if mode == "error-event" and i == min(3, tokens - 1):
                self.event({"error": {"message": "engine failed", "type": "server_error"}})
                break
            text = "" if mode == "empty" else f" tok{i}"
            delta = {"delta": {"content": text}} if chat else {"text": text}
            self.event({"id": "x", "choices": [{"index": 0, **delta, "finish_reason": None}]})
        final = {"delta": {}} if chat else {"text": ""}
        self.event({"id": "x", "choices": [{"index": 0, **final, "finish_reason": "length"}]})
        self.event({"id": "x", "choices": [], "usage": {
            "prompt_tokens": prompt_tokens, "completion_tokens": 0 if mode == "empty" else tokens,
            "total_tokens": prompt_tokens + tokens, "prompt_tokens_details": {"cached_tokens": 7}}})
        self.event("[DONE]")
        self.write_chunk(b"")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
