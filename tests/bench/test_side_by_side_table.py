"""bench/side_by_side_table.py: the ratio table from the files the tools write.

The fixtures are in the shapes the tools write them: `keel bench model
--output`, `llama-bench -o json`, bench/serve_decode_rate.py --json and
`keel bench serve --output`.
"""
import json
import pathlib
import subprocess
import sys
import tempfile
import unittest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "bench" / "side_by_side_table.py"


def write(directory, name, data):
    (directory / name).write_text(json.dumps(data))


def table(directory):
    result = subprocess.run([sys.executable, str(SCRIPT), str(directory)], capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr


class SideBySideTable(unittest.TestCase):
    def test_medians_over_rounds_and_their_ratio(self):
        with tempfile.TemporaryDirectory() as d:
            runs = pathlib.Path(d)
            for round_, (keel_tg, llama_tg) in enumerate([(10.0, 20.0), (12.0, 24.0), (11.0, 30.0)], start=1):
                write(runs, f"m-q8_0.keel.bench.{round_}.json",
                      {"model": "m", "results": [{"test": "pp512", "median": 100.0, "min": 90.0, "max": 110.0},
                                                 {"test": "tg128", "median": keel_tg, "min": 9.0, "max": 13.0}]})
                write(runs, f"m-q8_0.llama.bench.{round_}.json",
                      [{"n_prompt": 512, "n_gen": 0, "avg_ts": 400.0, "samples_ts": [400.0]},
                       {"n_prompt": 0, "n_gen": 128, "avg_ts": llama_tg, "samples_ts": [llama_tg]}])
            code, out, err = table(runs)
            self.assertEqual(code, 0, err)
            rows = {line.split(" | ")[1]: line for line in out.splitlines() if line.startswith("| m-q8_0")}
            # tg: keel 10 / 12 / 11 (median 11), llama.cpp 20 / 24 / 30 (median 24): 11 / 24 = 0.46
            self.assertIn("10.0 / 12.0 / 11.0", rows["tg128"])
            self.assertIn("20.0 / 24.0 / 30.0", rows["tg128"])
            self.assertTrue(rows["tg128"].endswith("| 0.46x |"), rows["tg128"])
            self.assertTrue(rows["pp512"].endswith("| 0.25x |"), rows["pp512"])

    def test_server_figures_and_a_missing_peer(self):
        with tempfile.TemporaryDirectory() as d:
            runs = pathlib.Path(d)
            write(runs, "m.keel.serve1.1.json", {"rates": [30.0], "median": 30.0, "min": 30.0, "max": 30.0})
            write(runs, "m.llama.serve1.1.json", {"rates": [20.0], "median": 20.0, "min": 20.0, "max": 20.0})
            write(runs, "m.keel.serveN.1.json",
                  {"config": {"max_concurrency": 8}, "metrics": {"output_token_throughput": 80.0}})
            code, out, err = table(runs)
            self.assertEqual(code, 0, err)
            self.assertIn("| m | serve 1 stream | 30.0 | 20.0 | 1.50x |", out)
            self.assertIn("| m | serve 8 streams | 80.0 | - | - |", out)

    def test_no_results_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            code, _, err = table(pathlib.Path(d))
            self.assertNotEqual(code, 0)
            self.assertIn("no results", err)


if __name__ == "__main__":
    unittest.main()
