"""deploy/prometheus/rules.yml names only metrics that keel serve exports
(a rename in the server would otherwise leave an alert that never fires)."""

import os
import re
import unittest

from keel_server import REPO, KeelServer, completion_body

RULES = os.path.join(REPO, "deploy", "prometheus", "rules.yml")


class RulesNameExportedMetrics(unittest.TestCase):
    def test_every_metric_in_the_rules_is_exported(self):
        text = open(RULES).read()
        recorded = set(re.findall(r"record:\s*(\S+)", text))
        expressions = " ".join(re.findall(r"expr:\s*(?:\|\s*)?((?:.|\n)*?)(?=\n\s*(?:for:|labels:|- |$))", text))
        named = set(re.findall(r"\b(keel:[a-z0-9_:]+|process_[a-z0-9_]+)", expressions)) - recorded
        self.assertGreater(len(named), 5)
        server = KeelServer("--access-log", "")
        try:
            server.post("/v1/completions", completion_body(max_tokens=2))
            exported = set(server.metrics().keys())
        finally:
            self.assertEqual(server.stop(), 0)
        families = {re.sub(r"\{.*", "", name) for name in exported}
        for name in sorted(named):
            base = re.sub(r"_bucket$", "", name)
            self.assertTrue(name in families or base + "_bucket" in families or base + "_count" in families,
                            f"{name} is in rules.yml but keel serve does not export it")


if __name__ == "__main__":
    unittest.main()
