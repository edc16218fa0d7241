"""Engine faults against a live `keel serve`, injected through the hidden
--enable-test-hooks endpoints into a fault-injecting backend under the
model (POST /debug/fail-forward {"steps": N} fails the next N steps,
POST /debug/stall holds the device):

- a failed step ends only the requests of that step (503, or an error
  event in a stream under way), the rest of the queue completes, and the
  server stays ready;
- repeated failures open the circuit breaker (/ready 503 with the reason,
  completions 503 with Retry-After), it goes half-open after the cooldown,
  the server's own probe closes it, and traffic flows again;
- a failed probe opens it again with the cooldown doubled;
- a non-finite logits row (POST /debug/poison-logits) ends only its request;
- a stall past --stall-timeout counts as a failure;
- the restart policy: the Nth opening within an hour rebuilds the engine
  in-process, the next one exits the process with status 3.
Every transition is logged and counted in /metrics. After each fault the
engine is idle, the KV pool holds no block, resident memory is within
1 MiB of where it was, and the server serves."""

import json
import threading
import time
import unittest

from keel_server import SANITIZED, KeelServer, completion_body
from stream_client import run_all, stream

CAUSE = "injected backend error"
LONG = completion_body("fail", max_tokens=200, ignore_eos=True)


def breaker_state(server):
    return server.metrics()["keel:circuit_breaker_state"]


def transitions(server, state):
    return server.metrics()['keel:circuit_breaker_transitions_total{state="%s"}' % state]


def kv_pool(metrics):
    return {state: metrics['keel:kv_blocks{state="%s"}' % state] for state in ("free", "used", "cached")}


class EngineFailure(unittest.TestCase):
    def baseline(self, server):
        """Resident memory once a few requests have warmed the allocator."""
        for _ in range(4):
            self.expect_served(server)
        return server.metrics()["process_resident_memory_bytes"]

    def expect_recovered(self, server, rss_baseline):
        """What every fault case ends with: nothing hangs in the engine, the
        KV pool holds no block for anyone, memory is back within 1 MiB, and
        the server serves."""
        def idle():
            m = server.metrics()
            return m["keel:requests_in_flight"] + m["keel:num_requests_running"] + m["keel:num_requests_waiting"] == 0
        server.wait_until(idle, timeout=20, what="the engine to go idle")
        metrics = server.metrics()
        pool = kv_pool(metrics)
        self.assertEqual(pool["used"], 0, pool)
        self.assertEqual(pool["free"] + pool["cached"], metrics["keel:kv_blocks_capacity"], pool)
        grown = metrics["process_resident_memory_bytes"] - rss_baseline
        if not SANITIZED:
            self.assertLess(grown, 2**20, "resident memory grew by %.2f MiB" % (grown / 2**20))
        self.expect_served(server)

    def held_streams(self, server, count):
        """`count` long streams, all in flight while the device is held
        (POST /debug/stall): returns the thread that runs them and the list
        their results go to. The caller lets the device go."""
        results = []
        load = threading.Thread(target=lambda: results.extend(run_all(
            [stream(server.port, "/v1/completions", dict(LONG, stream=True), timeout=60) for _ in range(count)])))
        self.assertEqual(server.post("/debug/stall", {"stalled": True})[0], 200)
        load.start()
        server.wait_until(lambda: server.metrics()["keel:requests_in_flight"] >= count, timeout=20,
                          what="the streams to be in flight")
        return load, results

    def count_outcomes(self, results, cause):
        """(failed, completed): a failed stream ends with 500 naming `cause`,
        or with an error event naming it once its stream had begun; a
        completed one runs to its length."""
        failed, completed = 0, 0
        for result in results:
            self.assertIsNone(result.error)
            if result.status == 500:
                self.assertIn(cause, json.loads(result.body)["error"]["message"])
                failed += 1
                continue
            self.assertEqual(result.status, 200)
            self.assertTrue(result.done)
            errors = [event["error"] for event in result.events if "error" in event]
            if errors:
                self.assertIn(cause, errors[0]["message"])
                self.assertEqual(result.finish_reasons(), [])
                failed += 1
            else:
                self.assertEqual(result.finish_reasons(), ["length"])
                completed += 1
        return failed, completed

    def fail_steps(self, server, steps):
        self.assertEqual(server.post("/debug/fail-forward", {"steps": steps})[0], 200)

    def expect_failed_request(self, server):
        # 500: this request failed and the engine serves on (503 is for an
        # engine that stopped for good, or a breaker that refuses).
        status, _, body = server.post("/v1/completions", completion_body(max_tokens=4), timeout=30)
        self.assertEqual(status, 500, body)
        self.assertIn(CAUSE, json.loads(body)["error"]["message"])

    def expect_served(self, server):
        status, _, body = server.post("/v1/completions", completion_body(max_tokens=4), timeout=30)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["usage"]["completion_tokens"], 4)

    def test_failed_step_ends_only_its_own_requests(self):
        server = KeelServer("--enable-test-hooks", "--max-seqs", 2, "--access-log", "")
        try:
            rss = self.baseline(server)
            # Held still while the four arrive: two run, two wait (--max-seqs 2).
            load, results = self.held_streams(server, 4)
            steps = server.metrics()["keel:engine_steps_total"]
            self.assertEqual(server.post("/debug/stall", {"stalled": False})[0], 200)
            deadline = time.monotonic() + 20
            while server.metrics()["keel:engine_steps_total"] < steps + 2:
                self.assertLess(time.monotonic(), deadline, "the engine ran no step after the stall")
            self.fail_steps(server, 1)
            load.join(timeout=60)
            self.assertFalse(load.is_alive(), "a request hangs")

            failed, completed = self.count_outcomes(results, CAUSE)
            self.assertEqual((failed, completed), (2, 2), "the failed step held the two running requests")

            status, _, body = server.get("/ready")
            self.assertEqual(status, 200, body)
            metrics = server.metrics()
            self.assertEqual(metrics["keel:engine_step_failures_total"], 1)
            self.assertEqual(metrics["keel:circuit_breaker_state"], 0)
            self.expect_recovered(server, rss)
            server.wait_until(lambda: "engine step failed" in server.stderr_text(), timeout=5, what="the log line")
            self.assertIn(CAUSE, server.stderr_text())
            self.assertEqual(server.stop(timeout=15), 0, server.stderr_text()[-2000:])
        finally:
            server.kill()

    def test_repeated_failures_open_the_breaker_until_a_probe_succeeds(self):
        server = KeelServer("--enable-test-hooks", "--breaker-failures", 3, "--breaker-window", 60,
                            "--breaker-cooldown", 2, "--access-log", "")
        try:
            rss = self.baseline(server)
            self.fail_steps(server, 3)
            for _ in range(3):
                self.expect_failed_request(server)
            server.wait_until(lambda: breaker_state(server) == 1, timeout=5, what="the breaker to open")
            opened = time.monotonic()
            status, _, body = server.get("/ready")
            self.assertEqual(status, 503)
            self.assertIn("circuit breaker is open", json.loads(body)["reason"])
            status, headers, body = server.post("/v1/completions", completion_body(max_tokens=4))
            self.assertEqual(status, 503, body)
            self.assertIn("circuit breaker is open", json.loads(body)["error"]["message"])
            self.assertIn(CAUSE, json.loads(body)["error"]["message"])
            self.assertIn(int(headers["retry-after"]), (1, 2))
            self.assertEqual(server.metrics()['keel:requests_rejected_total{reason="breaker_open"}'], 1)

            server.wait_until(lambda: breaker_state(server) == 0, timeout=10, what="the probe to close the breaker")
            self.assertGreaterEqual(time.monotonic() - opened, 1.5, "closed before the cooldown")
            self.assertEqual(server.get("/ready")[0], 200)
            self.expect_recovered(server, rss)
            self.assertEqual([transitions(server, s) for s in ("open", "half_open", "closed")], [1, 1, 1])
            self.assertEqual(server.metrics()["keel:engine_step_failures_total"], 3)
            log = server.stderr_text()
            for line in ("circuit breaker closed -> open", "circuit breaker open -> half_open",
                         "circuit breaker half_open -> closed"):
                self.assertIn(line, log)
            self.assertEqual(server.stop(timeout=15), 0, server.stderr_text()[-2000:])
        finally:
            server.kill()

    def test_failed_probe_opens_again_with_a_doubled_cooldown(self):
        server = KeelServer("--enable-test-hooks", "--breaker-failures", 1, "--breaker-cooldown", 1,
                            "--access-log", "")
        try:
            self.fail_steps(server, 2)  # a client request's step, then the probe's
            self.expect_failed_request(server)
            server.wait_until(lambda: transitions(server, "open") == 2, timeout=5, what="the probe to fail")
            status, headers, body = server.post("/v1/completions", completion_body(max_tokens=4))
            self.assertEqual(status, 503, body)
            self.assertIn("the probe failed", json.loads(body)["error"]["message"])
            self.assertEqual(int(headers["retry-after"]), 2)
            server.wait_until(lambda: breaker_state(server) == 0, timeout=10, what="the second probe")
            self.expect_served(server)
            self.assertEqual(server.stop(timeout=15), 0, server.stderr_text()[-2000:])
        finally:
            server.kill()

    def test_non_finite_logits_end_only_their_own_request(self):
        server = KeelServer("--enable-test-hooks", "--access-log", "")
        try:
            rss = self.baseline(server)
            # Both arrive while the device is held, so that they share the next step.
            load, results = self.held_streams(server, 2)
            self.assertEqual(server.post("/debug/poison-logits", {})[0], 200)
            self.assertEqual(server.post("/debug/stall", {"stalled": False})[0], 200)
            load.join(timeout=60)
            self.assertFalse(load.is_alive(), "a request hangs")
            # The poisoned one ends with 500, or with an error event if its
            # stream had begun; the other runs to its length.
            failed, completed = self.count_outcomes(results, "not finite")
            self.assertEqual((failed, completed), (1, 1))
            self.assertEqual(breaker_state(server), 0, "a request's own fault is no engine failure")
            self.expect_recovered(server, rss)
            self.assertEqual(server.stop(timeout=15), 0, server.stderr_text()[-2000:])
        finally:
            server.kill()

    def test_a_stall_counts_as_a_failure(self):
        server = KeelServer("--enable-test-hooks", "--breaker-failures", 1, "--breaker-cooldown", 1,
                            "--stall-timeout", 1, "--access-log", "")
        try:
            rss = self.baseline(server)
            answers = []
            self.assertEqual(server.post("/debug/stall", {"stalled": True})[0], 200)
            client = threading.Thread(target=lambda: answers.append(
                server.post("/v1/completions", completion_body(max_tokens=4), timeout=30)))
            client.start()
            server.wait_until(lambda: breaker_state(server) == 1, timeout=10, what="the stall to open the breaker")
            self.assertIn("stalled", json.loads(server.get("/ready")[2])["reason"])
            self.assertEqual(server.post("/debug/stall", {"stalled": False})[0], 200)
            client.join(timeout=30)
            self.assertEqual(answers[0][0], 200, "the stalled request finishes once the device answers")
            server.wait_until(lambda: breaker_state(server) == 0, timeout=10, what="the probe")
            self.expect_recovered(server, rss)
            self.assertEqual(server.stop(timeout=15), 0, server.stderr_text()[-2000:])
        finally:
            server.kill()

    def test_restart_policy_rebuilds_then_exits(self):
        server = KeelServer("--enable-test-hooks", "--breaker-failures", 1, "--breaker-cooldown", 1,
                            "--max-engine-restarts", 1, "--access-log", "")
        try:
            self.fail_steps(server, 1)
            self.expect_failed_request(server)
            server.wait_until(lambda: server.metrics()["keel:engine_restarts_total"] == 1, timeout=10,
                              what="the engine rebuild")
            server.wait_until(lambda: breaker_state(server) == 0, timeout=10, what="the probe on the rebuilt engine")
            self.expect_served(server)
            self.assertIn("rebuilding the engine in-process", server.stderr_text())

            self.fail_steps(server, 1)
            self.expect_failed_request(server)
            self.assertEqual(server.wait(timeout=20), 3, server.stderr_text()[-2000:])
            self.assertIn("more often than --max-engine-restarts allows", server.stderr_text())
        finally:
            server.kill()


if __name__ == "__main__":
    unittest.main()
