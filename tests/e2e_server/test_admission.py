"""Admission control and readiness: a full queue answers 429 with
Retry-After, per-key limits from the config file hold, the server-wide
--max-requests-per-second holds, and a stalled
engine turns /ready to 503 while /metrics keeps answering."""

import asyncio
import json
import threading
import time
import unittest

from keel_server import HOST, KeelServer, completion_body, streaming_request
from stream_client import StreamResult, run_all, stream

CONFIG = """
max-queue = 64
access-log = ""

[keys.rate]
key = "sk-rate"
requests_per_second = 2

[keys.single]
key = "sk-single"
max_concurrent = 1

[keys.tokens]
key = "sk-tokens"
tokens_per_minute = 100

[keys.open]
key = "sk-open"
"""


def auth(key):
    return {"Authorization": "Bearer " + key}


class QueueOverflow(unittest.TestCase):
    def test_full_queue_gives_429_with_retry_after(self):
        server = KeelServer("--max-queue", 4, "--max-seqs", 1, "--access-log", "")
        try:
            long = completion_body("queue", max_tokens=200, stream=True, ignore_eos=True)
            # Ten times what --max-queue holds, at once.
            results = run_all([stream(server.port, "/v1/completions", long, timeout=90) for _ in range(40)])
            statuses = sorted(r.status for r in results)
            self.assertIn(429, statuses)
            self.assertIn(200, statuses)
            self.assertEqual(set(statuses), {200, 429})
            self.assertTrue(all(r.done for r in results if r.status == 200))
            for refused in (r for r in results if r.status == 429):
                self.assertGreaterEqual(int(refused.headers["retry-after"]), 1)
                self.assertEqual(json.loads(refused.body)["error"]["type"], "rate_limit_error")
            metrics = server.metrics()
            self.assertGreater(metrics['keel:requests_rejected_total{reason="queue_full"}'], 0)
            # Afterwards: no request left in the engine, no KV block held, and it serves.
            server.wait_until(lambda: server.metrics()["keel:requests_in_flight"] == 0, timeout=20,
                              what="every session to end")
            self.assertEqual(server.metrics()['keel:kv_blocks{state="used"}'], 0)
            self.assertEqual(server.post("/v1/completions", completion_body(max_tokens=2))[0], 200)
        finally:
            self.assertEqual(server.stop(), 0)


class KeyLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = KeelServer(config=CONFIG)

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0

    def test_requests_per_second(self):
        statuses = []
        for _ in range(8):
            status, headers, _ = self.server.post("/v1/completions", completion_body(max_tokens=1), auth("sk-rate"))
            statuses.append(status)
            if status == 429:
                self.assertGreaterEqual(int(headers["retry-after"]), 1)
        self.assertLessEqual(statuses.count(200), 4)  # a burst of 2, plus refills while the loop runs
        self.assertIn(429, statuses)
        # Another key is not affected.
        self.assertEqual(self.server.post("/v1/completions", completion_body(max_tokens=1), auth("sk-open"))[0], 200)
        time.sleep(1.1)
        self.assertEqual(self.server.post("/v1/completions", completion_body(max_tokens=1), auth("sk-rate"))[0], 200)
        metrics = self.server.metrics()
        self.assertGreater(metrics['keel:requests_rejected_total{reason="rate_limit"}'], 0)

    def test_max_concurrent(self):
        long = completion_body("hold", max_tokens=200, stream=True, ignore_eos=True)
        # Two concurrent requests on the capped key: exactly one is refused.
        coroutines = [keyed_stream(self.server.port, long, "sk-single") for _ in range(2)]
        statuses = sorted(r.status for r in run_all(coroutines))
        self.assertEqual(statuses, [200, 429])
        self.assertGreater(self.server.metrics()['keel:requests_rejected_total{reason="concurrency_limit"}'], 0)
        # Once it finished, the key may run again.
        self.assertEqual(self.server.post("/v1/completions", completion_body(max_tokens=1), auth("sk-single"))[0], 200)

    def test_tokens_per_minute(self):
        status, headers, body = self.server.post("/v1/completions", completion_body(max_tokens=500), auth("sk-tokens"))
        self.assertEqual(status, 400 if b"context" in body else 429, body)
        statuses = [self.server.post("/v1/completions", completion_body(max_tokens=30), auth("sk-tokens"))[0]
                    for _ in range(5)]
        self.assertIn(200, statuses)
        self.assertIn(429, statuses)
        self.assertGreater(self.server.metrics()['keel:requests_rejected_total{reason="token_limit"}'], 0)


class ServerRateLimit(unittest.TestCase):
    def test_max_requests_per_second_caps_every_caller(self):
        server = KeelServer("--max-requests-per-second", 2, "--access-log", "")
        try:
            statuses = []
            for _ in range(8):
                status, headers, body = server.post("/v1/completions", completion_body(max_tokens=1))
                statuses.append(status)
                if status == 429:
                    self.assertGreaterEqual(int(headers["retry-after"]), 1)
                    error = json.loads(body)["error"]
                    self.assertEqual(error["type"], "rate_limit_error")
                    self.assertIn("--max-requests-per-second", error["message"])
            self.assertLessEqual(statuses.count(200), 4)  # a burst of 2, plus refills while the loop runs
            self.assertIn(429, statuses)
            time.sleep(1.1)
            self.assertEqual(server.post("/v1/completions", completion_body(max_tokens=1))[0], 200)
            self.assertGreater(server.metrics()['keel:requests_rejected_total{reason="server_rate_limit"}'], 0)
        finally:
            self.assertEqual(server.stop(), 0)


async def keyed_stream(port, body, key):
    """A streaming request with a key; only its status is kept."""
    result = StreamResult()
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(streaming_request("/v1/completions", body, f"Authorization: Bearer {key}\r\nConnection: close\r\n"))
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 60)
    result.status = int(status_line.split()[1])
    await asyncio.wait_for(reader.read(), 60)  # the rest, until the server closes
    writer.close()
    return result


class StalledEngine(unittest.TestCase):
    def test_stall_turns_ready_to_503_while_metrics_answer(self):
        server = KeelServer("--enable-test-hooks", "--stall-timeout", 1, "--access-log", "")
        try:
            self.assertEqual(server.get("/ready")[0], 200)
            self.assertEqual(server.post("/debug/stall", {"stalled": True})[0], 200)
            results = []
            waiter = threading.Thread(target=lambda: results.append(
                server.post("/v1/completions", completion_body(max_tokens=2), timeout=60)))
            waiter.start()

            def not_ready():
                status, _, body = server.get("/ready", timeout=5)
                return status == 503 and b"stalled" in body
            server.wait_until(not_ready, timeout=10, what="/ready to report the stall")
            for _ in range(5):
                start = time.monotonic()
                metrics = server.metrics()
                self.assertLess(time.monotonic() - start, 1.0, "/metrics waited on the stalled engine")
                self.assertEqual(metrics["keel:ready"], 0)
                self.assertGreater(metrics["keel:seconds_since_last_step"], 1.0)
            self.assertEqual(server.get("/health")[0], 200)
            self.assertEqual(server.post("/debug/stall", {"stalled": False})[0], 200)
            waiter.join(timeout=30)
            self.assertEqual(results[0][0], 200)
            server.wait_until(lambda: server.get("/ready")[0] == 200, timeout=10, what="/ready to recover")
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
