"""Prometheus for real: Debian's `prometheus` server on loopback scrapes a
live `keel serve` while `keel bench serve` loads it, and what an operator
would query from Prometheus agrees with what the client measured: P99 time
to first token and inter-token latency within the histogram's bucket
resolution, and the count of finished requests exactly. Skips without the
prometheus binary (scripts/install_deps.sh installs it)."""

import bisect
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

from keel_server import BINARY, HOST, KeelServer

PROMETHEUS = shutil.which("prometheus")


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def bucket_bounds(metrics_text, family):
    """The finite `le` bounds of a histogram family in an exposition, sorted."""
    bounds = set()
    for line in metrics_text.splitlines():
        if line.startswith(family + "_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            if le != "+Inf":
                bounds.add(float(le))
    return sorted(bounds)


def within_a_bucket(bounds, client_value, server_value):
    """True when the server's estimate lies in the bucket that holds the
    client's value or in one next to it (the estimate interpolates inside a
    bucket, and the two clocks differ by the network and HTTP framing)."""
    edges = [0.0] + bounds + [float("inf")]
    index = max(1, bisect.bisect_left(edges, client_value))  # edges[index-1] < client <= edges[index]
    low = edges[max(0, index - 2)]
    high = edges[min(len(edges) - 1, index + 1)]
    return low <= server_value <= high


@unittest.skipUnless(PROMETHEUS, "prometheus (Debian package prometheus) is not installed")
class PrometheusServer(unittest.TestCase):
    def setUp(self):
        self.keel = KeelServer("--access-log", "")
        self.folder = tempfile.mkdtemp(prefix="keel-prometheus-")
        self.port = free_port()
        config = os.path.join(self.folder, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: keel\n    static_configs:\n"
                    f"      - targets: ['{HOST}:{self.keel.port}']\n")
        self.log = open(os.path.join(self.folder, "prometheus.log"), "w")
        self.prometheus = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={self.folder}/data",
             f"--web.listen-address={HOST}:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def tearDown(self):
        self.prometheus.terminate()
        try:
            self.prometheus.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.prometheus.kill()
        self.log.close()
        self.keel.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def query(self, expression):
        url = f"http://{HOST}:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        self.assertEqual(body["status"], "success", body)
        result = body["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def wait_for_target(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.query('up{job="keel"}') == 1:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        self.fail("Prometheus never scraped keel:\n" + open(self.log.name).read()[-2000:])

    def test_prometheus_agrees_with_the_client(self):
        self.wait_for_target()
        result_file = os.path.join(self.folder, "bench.json")
        bench = subprocess.run(
            [BINARY, "bench", "serve", "--url", f"http://{HOST}:{self.keel.port}", "--num-requests", "48",
             "--max-concurrency", "4", "--input-len", "16", "--output-len", "24", "--output", result_file],
            capture_output=True, text=True, timeout=180)
        self.assertEqual(bench.returncode, 0, bench.stdout + bench.stderr)
        with open(result_file) as f:
            client = json.load(f)["metrics"]
        self.assertEqual(client["completed"], 48)

        # Two scrapes after the last response, so Prometheus holds the final counts.
        finished = "sum(keel:request_success_total)"
        deadline = time.monotonic() + 20
        while (self.query(finished) or 0) < 48 and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2.5)
        self.assertEqual(self.query(finished), 48)
        self.assertEqual(self.query('sum(keel:completion_responses_total{class="2xx"})'), 48)

        exposition = self.keel.get("/metrics")[2].decode()
        for family, client_key in (("keel:time_to_first_token_seconds", "ttft_ms"),
                                   ("keel:inter_token_latency_seconds", "itl_ms")):
            server_p99 = self.query(f"histogram_quantile(0.99, sum by (le) ({family}_bucket))")
            client_p99 = client[client_key]["p99"] / 1000.0
            bounds = bucket_bounds(exposition, family)
            self.assertTrue(bounds, family)
            print(f"{family}: Prometheus p99 {server_p99:.4f} s, client p99 {client_p99:.4f} s")
            self.assertTrue(within_a_bucket(bounds, client_p99, server_p99),
                            f"{family}: Prometheus says p99 {server_p99:.4f} s, the client {client_p99:.4f} s "
                            f"(buckets {bounds})")
        # Tokens: Prometheus' count of generated tokens is the client's.
        self.assertEqual(self.query("sum(keel:generation_tokens_total)"), client["total_output_tokens"])


if __name__ == "__main__":
    unittest.main()
