"""/metrics: promtool parses it, and the values move as they should across
a request; probes and the small endpoints answer."""

import json
import shutil
import subprocess
import time
import unittest

from keel_server import MODEL_NAME, KeelServer, chat_body, completion_body

# promtool's linter also flags names with ':' (a recording-rule convention).
# keel keeps the `keel:` prefix on purpose, as vLLM does with `vllm:`, so
# that dashboards written for vLLM work; every other finding is a failure.
COLON_LINT = "metric names should not contain ':'"


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = KeelServer("--access-log", "")

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0

    def settled_metrics(self):
        """Metrics once the engine published its snapshot after the last
        step (a response can arrive a moment before that snapshot)."""
        previous = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            current = self.server.metrics()
            if (previous is not None and current["keel:num_requests_running"] == 0
                    and current["keel:requests_in_flight"] == 0
                    and current["keel:engine_steps_total"] == previous["keel:engine_steps_total"]):
                return current
            previous = current
            time.sleep(0.05)
        raise AssertionError("the engine did not settle")

    def test_promtool_accepts_metrics(self):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool (Debian package prometheus) is not installed")
        self.server.post("/v1/completions", completion_body(max_tokens=2))
        status, headers, body = self.server.get("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        checked = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=30)
        self.assertIn(checked.returncode, (0, 3), checked.stderr)  # 1 = does not parse
        findings = [line for line in checked.stdout.decode().splitlines() + checked.stderr.decode().splitlines()
                    if line.strip() and COLON_LINT not in line]
        self.assertEqual(findings, [])

    def test_counters_move_across_a_request(self):
        before = self.settled_metrics()
        status, _, body = self.server.post("/v1/completions", completion_body("count me", max_tokens=5,
                                                                               ignore_eos=True))
        self.assertEqual(status, 200)
        usage = json.loads(body)["usage"]
        after = self.settled_metrics()

        def moved(name):
            return after[name] - before.get(name, 0)
        self.assertEqual(moved("keel:prompt_tokens_total"), usage["prompt_tokens"])
        self.assertEqual(moved("keel:generation_tokens_total"), 5)
        self.assertEqual(moved('keel:request_success_total{finished_reason="length"}'), 1)
        self.assertEqual(moved('keel:completion_responses_total{class="2xx"}'), 1)
        self.assertEqual(moved("keel:e2e_request_latency_seconds_count"), 1)
        self.assertEqual(moved("keel:time_to_first_token_seconds_count"), 1)
        self.assertEqual(moved("keel:request_queue_time_seconds_count"), 1)
        self.assertEqual(moved("keel:inter_token_latency_seconds_count"), 4)
        self.assertGreater(moved("keel:engine_steps_total"), 0)
        self.assertGreaterEqual(moved("keel:prefix_cache_queries_total"), usage["prompt_tokens"])
        self.assertEqual(after["keel:num_requests_running"], 0)
        self.assertEqual(after["keel:requests_in_flight"], 0)
        pool = [after[f'keel:kv_blocks{{state="{s}"}}'] for s in ("free", "used", "cached")]
        self.assertEqual(sum(pool), after["keel:kv_blocks_capacity"])
        self.assertGreater(after["process_resident_memory_bytes"], 0)
        self.assertEqual(after["keel:ready"], 1)
        # A rejection is counted by reason.
        self.server.post("/v1/completions", b"{")
        refused = self.server.metrics()
        self.assertEqual(refused['keel:requests_rejected_total{reason="invalid_request"}'] -
                         after['keel:requests_rejected_total{reason="invalid_request"}'], 1)
        # ... and by the class of its status, which the error-rate alert divides.
        self.assertEqual(refused['keel:completion_responses_total{class="4xx"}'] -
                         after['keel:completion_responses_total{class="4xx"}'], 1)
        self.assertEqual(refused['keel:completion_responses_total{class="5xx"}'],
                         after['keel:completion_responses_total{class="5xx"}'])

    def test_prefix_cache_hits_show(self):
        prompt = "the same long prompt, sent twice, so that its blocks are found in the cache " * 2
        self.server.post("/v1/completions", completion_body(prompt, max_tokens=1))
        before = self.settled_metrics()
        status, _, body = self.server.post("/v1/completions", completion_body(prompt, max_tokens=1))
        cached = json.loads(body)["usage"]["prompt_tokens_details"]["cached_tokens"]
        self.assertGreater(cached, 0)
        after = self.settled_metrics()
        self.assertEqual(after["keel:prefix_cache_hits_total"] - before["keel:prefix_cache_hits_total"], cached)

    def test_probes_and_small_endpoints(self):
        self.assertEqual(self.server.get("/health")[0], 200)
        self.assertEqual(self.server.get("/ready")[0], 200)
        status, _, body = self.server.get("/v1/models")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["data"][0]["id"], MODEL_NAME)
        status, _, body = self.server.post("/tokenize", {"prompt": "Hello world"})
        tokens = json.loads(body)["tokens"]
        self.assertEqual(status, 200)
        status, _, body = self.server.post("/detokenize", {"tokens": tokens})
        self.assertEqual((status, json.loads(body)["prompt"]), (200, "Hello world"))
        status, _, body = self.server.post("/tokenize", chat_body("Hi"))
        self.assertEqual(status, 200)
        self.assertGreater(json.loads(body)["count"], 1)
        status, headers, _ = self.server.get("/health", {"X-Request-Id": "my-id-42"})
        self.assertEqual(headers["x-request-id"], "my-id-42")


if __name__ == "__main__":
    unittest.main()
