"""The Gateway API Inference Extension's model-server protocol: keel serves
every metric the endpoint picker reads, as a gauge, with sane values that
follow the load, under the names deploy/kubernetes/endpoint-picker.yaml
tells the picker.

The protocol (llm-d/llm-d-router docs/plugin-metric-protocol.md, formerly
kubernetes-sigs/gateway-api-inference-extension docs/proposals/
003-model-server-protocol) names, by meaning rather than by name:

  TotalQueuedRequests    gauge    requests waiting in the queue
  TotalRunningRequests   gauge    requests being served
  KVCacheUtilization     gauge    KV cache in use, 0..1
  BlockSize              gauge    tokens per KV block (optional: prefix-cache auto-tuning)
  NumGPUBlocks           gauge    KV blocks in the cache (optional: the same)
  LoRA adapters          gauge    vllm:lora_requests_info (only for LoRA affinity)

keel has no LoRA adapters, so it exports no LoRA metric and the picker's
configuration uses no LoRA scorer (checked below)."""

import os
import re
import threading
import unittest

from keel_server import REPO, KeelServer, completion_body, parse_metrics
from stream_client import run_all, stream

EPP_CONFIG = os.path.join(REPO, "deploy", "kubernetes", "endpoint-picker.yaml")

MAX_SEQS = 2
BLOCK_SIZE = 32

# protocol metric -> (keel metric, the engineConfigs field of the picker that names it)
PROTOCOL = {
    "TotalQueuedRequests": ("keel:num_requests_waiting", "queuedRequestsSpec"),
    "TotalRunningRequests": ("keel:num_requests_running", "runningRequestsSpec"),
    "KVCacheUtilization": ("keel:kv_cache_usage_perc", "kvUsageSpec"),
    "BlockSize": ("keel:kv_block_size_tokens", "cacheBlockSizeSpec"),
    "NumGPUBlocks": ("keel:kv_blocks_capacity", "cacheNumBlocksSpec"),
}


def scrape(server):
    """(samples, {family: TYPE}) of one /metrics answer."""
    status, _, body = server.get("/metrics", timeout=10)
    assert status == 200, status
    text = body.decode()
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE))
    return parse_metrics(text), types


class InferenceGatewayProtocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = KeelServer("--access-log", "", "--max-seqs", MAX_SEQS, "--kv-block-size", BLOCK_SIZE)

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0

    def assert_sane(self, samples):
        """What holds in every scrape, idle or loaded."""
        waiting = samples["keel:num_requests_waiting"]
        running = samples["keel:num_requests_running"]
        usage = samples["keel:kv_cache_usage_perc"]
        capacity = samples["keel:kv_blocks_capacity"]
        self.assertEqual(waiting, int(waiting))
        self.assertGreaterEqual(waiting, 0)
        self.assertEqual(running, int(running))
        self.assertGreaterEqual(running, 0)
        self.assertLessEqual(running, MAX_SEQS)
        self.assertGreaterEqual(usage, 0.0)
        self.assertLessEqual(usage, 1.0)
        self.assertEqual(samples["keel:kv_block_size_tokens"], BLOCK_SIZE)
        self.assertGreater(capacity, 0)
        self.assertEqual(capacity, int(capacity))
        # Utilisation is the used share of the pool, in the same scrape.
        self.assertAlmostEqual(usage, samples['keel:kv_blocks{state="used"}'] / capacity, places=6)

    def test_every_protocol_metric_is_a_gauge(self):
        self.assertEqual(self.server.post("/v1/completions", completion_body(max_tokens=3))[0], 200)
        samples, types = scrape(self.server)
        for protocol, (name, _) in PROTOCOL.items():
            with self.subTest(protocol=protocol, metric=name):
                self.assertEqual(types.get(name), "gauge", f"{name} ({protocol}) is not exported as a gauge")
                self.assertIn(name, samples, f"{name} ({protocol}) has no unlabelled sample")
        self.assert_sane(samples)
        # No LoRA adapters, no LoRA metric.
        self.assertEqual([n for n in types if "lora" in n], [])

    def test_the_gauges_follow_the_load(self):
        # Eight times the running slots, each request long enough that the
        # batch stays full and a queue forms behind it for a while.
        body = completion_body("queue me", max_tokens=200, stream=True, ignore_eos=True)
        results = []
        load = threading.Thread(target=lambda: results.extend(run_all(
            [stream(self.server.port, "/v1/completions", body, timeout=120) for _ in range(8 * MAX_SEQS)])))
        load.start()
        seen_full = False
        scrapes = 0
        while load.is_alive() or scrapes == 0:
            samples, _ = scrape(self.server)
            scrapes += 1
            self.assert_sane(samples)
            if (samples["keel:num_requests_running"] == MAX_SEQS and samples["keel:num_requests_waiting"] >= 1
                    and samples["keel:kv_cache_usage_perc"] > 0):
                seen_full = True
        load.join(timeout=120)
        self.assertTrue(all(r.status == 200 and r.done for r in results), [r.error for r in results])
        self.assertTrue(seen_full, f"no scrape of {scrapes} saw {MAX_SEQS} running, a queue and KV in use")
        # Idle again: nothing queued or running, no block in use (finished
        # requests' blocks stay cached for reuse, which is not use).
        def idle():
            samples, _ = scrape(self.server)
            return (samples["keel:num_requests_running"] == 0 and samples["keel:num_requests_waiting"] == 0
                    and samples["keel:kv_cache_usage_perc"] == 0)
        self.server.wait_until(idle, timeout=20, what="the engine to go idle")
        self.assert_sane(scrape(self.server)[0])


class EndpointPickerConfiguration(unittest.TestCase):
    """deploy/kubernetes/endpoint-picker.yaml names these same metrics."""

    def test_the_picker_reads_keels_names(self):
        text = open(EPP_CONFIG).read()
        specs = dict(re.findall(r"^\s+(\w+Spec): (\S+)\s*$", text, re.MULTILINE))
        for protocol, (name, field) in PROTOCOL.items():
            with self.subTest(protocol=protocol):
                self.assertEqual(specs.get(field), name, f"{field} in endpoint-picker.yaml")
        # Nothing else, and no LoRA: keel has no adapters to report.
        self.assertEqual(set(specs), {field for _, field in PROTOCOL.values()})
        self.assertNotIn("lora-affinity-scorer", text)
        # The keel pods carry the engine label the picker keys on.
        deployment = open(os.path.join(REPO, "deploy", "kubernetes", "deployment.yaml")).read()
        self.assertRegex(deployment, r"\n\s+llm-d\.ai/engine-type: keel\n")
        self.assertRegex(text, r"\n\s+- name: keel\n\s+queuedRequestsSpec:")


if __name__ == "__main__":
    unittest.main()
