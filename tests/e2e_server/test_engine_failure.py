"""Engine failure: a backend error in the step loop (injected with the
hidden --enable-test-hooks endpoint POST /debug/fail-forward) ends every
in-flight request with 503 (or, for a stream already under way, an error
event), turns /ready to 503 with the cause, refuses new requests with 503,
logs the failure once, and leaves /health, /metrics and SIGTERM working."""

import json
import threading
import time
import unittest

from keel_server import KeelServer, completion_body
from stream_client import run_all, stream

CAUSE = "injected backend error"


class EngineFailure(unittest.TestCase):
    def test_backend_error_fails_requests_and_readiness(self):
        server = KeelServer("--enable-test-hooks", "--max-seqs", 2, "--access-log", "")
        long_body = completion_body("fail", max_tokens=200, ignore_eos=True)
        streams, answers = [], []
        stream_load = threading.Thread(target=lambda: streams.extend(run_all(
            [stream(server.port, "/v1/completions", dict(long_body, stream=True), timeout=60) for _ in range(4)])))
        plain_load = [threading.Thread(target=lambda: answers.append(
            server.post("/v1/completions", long_body, timeout=60))) for _ in range(4)]
        # The engine is held still while the load arrives (on a fast machine
        # eight requests of 200 tokens could otherwise finish before all
        # eight are in flight at once), then runs a few steps, so that the
        # first streams are under way when the failure comes.
        self.assertEqual(server.post("/debug/stall", {"stalled": True})[0], 200)
        stream_load.start()
        for thread in plain_load:
            thread.start()
        try:
            server.wait_until(lambda: server.metrics()["keel:requests_in_flight"] >= 8, timeout=20,
                              what="the load to be in flight")
            steps = server.metrics()["keel:engine_steps_total"]
            self.assertEqual(server.post("/debug/stall", {"stalled": False})[0], 200)
            # Polled without pause: a pair of these requests takes only tens
            # of milliseconds on the tiny model. Two steps (a prefill and a
            # decode) put the first streams under way.
            deadline = time.monotonic() + 20
            while server.metrics()["keel:engine_steps_total"] < steps + 2:
                self.assertLess(time.monotonic(), deadline, "the engine ran no step after the stall")
            self.assertEqual(server.post("/debug/fail-forward", {})[0], 200)
            stream_load.join(timeout=30)
            for thread in plain_load:
                thread.join(timeout=30)

            # Every in-flight request ended with the failure, none hung.
            self.assertEqual(len(streams), 4)
            self.assertEqual(len(answers), 4)
            for status, headers, body in answers:
                self.assertEqual(status, 503, body)
                self.assertIn(CAUSE, json.loads(body)["error"]["message"])
            for result in streams:
                self.assertIsNone(result.error)
                if result.status == 503:
                    self.assertIn(CAUSE, json.loads(result.body)["error"]["message"])
                    continue
                self.assertEqual(result.status, 200)
                errors = [event["error"] for event in result.events if "error" in event]
                self.assertEqual(len(errors), 1, result.events[-3:])
                self.assertIn(CAUSE, errors[0]["message"])
                self.assertEqual(result.finish_reasons(), [])
                self.assertTrue(result.done)

            # Readiness reports the cause; liveness and metrics still answer.
            status, _, body = server.get("/ready")
            self.assertEqual(status, 503)
            self.assertIn(CAUSE, json.loads(body)["reason"])
            self.assertEqual(server.get("/health")[0], 200)
            self.assertEqual(server.get("/metrics")[0], 200)
            status, _, body = server.post("/v1/completions", completion_body(max_tokens=2))
            self.assertEqual(status, 503)
            self.assertIn(CAUSE, json.loads(body)["error"]["message"])

            # Logged once, with its cause.
            server.wait_until(lambda: "engine failure" in server.stderr_text(), timeout=5, what="the log line")
            time.sleep(0.5)
            log = server.stderr_text()
            self.assertEqual(log.count("engine failure"), 1, log[-2000:])
            self.assertIn(CAUSE, log)
            self.assertEqual(server.stop(timeout=15), 0, server.stderr_text()[-2000:])
        finally:
            server.kill()


if __name__ == "__main__":
    unittest.main()
