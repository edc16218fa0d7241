"""The Prometheus rules (deploy/prometheus/rules.yml) and the Grafana board
(deploy/grafana/keel-dashboard.json) name only metrics that keel serve
exports — a rename in the server would otherwise leave an alert that never
fires or an empty panel — and every PromQL expression on the board parses
(promtool checks it as a recording rule)."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from keel_server import REPO, KeelServer, completion_body

RULES = os.path.join(REPO, "deploy", "prometheus", "rules.yml")
BOARD = os.path.join(REPO, "deploy", "grafana", "keel-dashboard.json")
METRIC = re.compile(r"\b(keel:[a-z0-9_:]+|process_[a-z0-9_]+)")


def exported_families():
    server = KeelServer("--access-log", "")
    try:
        server.post("/v1/completions", completion_body(max_tokens=2))
        exported = server.metrics().keys()
    finally:
        assert server.stop() == 0
    return {re.sub(r"\{.*", "", name) for name in exported}


def board_expressions():
    board = json.load(open(BOARD))
    exprs = [target["expr"] for panel in board["panels"] for target in panel["targets"]]
    # Grafana's variables, as Grafana would put them in.
    return [e.replace("$instance", ".*") for e in exprs]


class DeployFilesNameExportedMetrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.families = exported_families()

    def assert_exported(self, names, where):
        for name in sorted(names):
            base = re.sub(r"_bucket$", "", name)
            self.assertTrue(name in self.families or base + "_bucket" in self.families or base + "_count" in self.families,
                            f"{name} is in {where} but keel serve does not export it")

    def test_every_metric_in_the_rules_is_exported(self):
        text = open(RULES).read()
        recorded = set(re.findall(r"record:\s*(\S+)", text))
        expressions = " ".join(re.findall(r"expr:\s*(?:\|\s*)?((?:.|\n)*?)(?=\n\s*(?:for:|labels:|- |$))", text))
        named = set(METRIC.findall(expressions)) - recorded
        self.assertGreater(len(named), 5)
        self.assert_exported(named, "rules.yml")

    def test_every_metric_on_the_board_is_exported(self):
        named = set(METRIC.findall(" ".join(board_expressions())))
        self.assertGreater(len(named), 15)
        self.assert_exported(named, "keel-dashboard.json")

    def test_every_board_expression_parses(self):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool (Debian package prometheus) is not installed")
        rules = {"groups": [{"name": "board", "rules": [
            {"record": f"board:panel_{i}", "expr": expr} for i, expr in enumerate(board_expressions())]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            json.dump(rules, f)  # JSON is YAML
        try:
            checked = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, timeout=30)
            self.assertEqual(checked.returncode, 0, checked.stdout.decode() + checked.stderr.decode())
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
