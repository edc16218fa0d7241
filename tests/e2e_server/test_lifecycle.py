"""Lifecycle: SIGTERM during load lets in-flight requests complete,
refuses new ones, and exits 0 within the drain timeout; a second signal
exits at once."""

import signal
import subprocess
import threading
import time
import unittest

from keel_server import SANITIZED, KeelServer, completion_body
from stream_client import run_all, stream

DRAIN_TIMEOUT = 20
# Tokens per drained request: under ThreadSanitizer keel runs several times
# slower, so the same load would outlast the drain timeout on a busy machine.
DRAIN_TOKENS = 60 if SANITIZED else 200


class Drain(unittest.TestCase):
    def test_sigterm_during_load(self):
        # One sequence at a time, so that the load outlasts the signal.
        server = KeelServer("--max-seqs", 2, "--drain-timeout", DRAIN_TIMEOUT, "--access-log", "")
        body = completion_body("drain", max_tokens=DRAIN_TOKENS, stream=True, ignore_eos=True)
        results = []
        load = threading.Thread(target=lambda: results.extend(run_all(
            [stream(server.port, "/v1/completions", body, timeout=60) for _ in range(24)])))
        load.start()
        try:
            server.wait_until(lambda: server.metrics()["keel:requests_in_flight"] >= 20, timeout=20,
                              what="the load to be in flight")
            signalled = time.monotonic()
            server.signal(signal.SIGTERM)
            # Readiness goes off at once and new completions are refused.
            server.wait_until(lambda: server.get("/ready", timeout=5)[0] == 503, timeout=5, what="/ready off")
            try:
                status, headers, _ = server.post("/v1/completions", completion_body(max_tokens=1), timeout=5)
                self.assertEqual(status, 503)
            except ConnectionError:
                pass  # already closed: refused as well
            code = server.wait(timeout=DRAIN_TIMEOUT + 5)
            elapsed = time.monotonic() - signalled
            self.assertEqual(code, 0, server.stderr_text()[-2000:])
            self.assertLess(elapsed, DRAIN_TIMEOUT + 1)
            load.join(timeout=30)
            self.assertEqual(len(results), 24)
            for result in results:
                self.assertEqual((result.status, result.done, result.error), (200, True, None))
                self.assertEqual(result.finish_reasons(), ["length"])
        finally:
            server.kill()

    def test_second_signal_exits_at_once(self):
        server = KeelServer("--max-seqs", 1, "--drain-timeout", 60, "--access-log", "")
        body = completion_body("hold", max_tokens=200, stream=True, ignore_eos=True)
        load = threading.Thread(target=lambda: run_all(
            [stream(server.port, "/v1/completions", body, timeout=30) for _ in range(40)]))
        load.start()
        try:
            server.wait_until(lambda: server.metrics()["keel:requests_in_flight"] >= 10, timeout=20,
                              what="the load to be in flight")
            server.signal(signal.SIGTERM)
            time.sleep(0.2)
            server.signal(signal.SIGINT)
            start = time.monotonic()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.fail("a second signal did not end the process")
            self.assertLess(time.monotonic() - start, 5)
        finally:
            server.kill()
            load.join(timeout=40)


if __name__ == "__main__":
    unittest.main()
