#!/usr/bin/env python3
"""scripts/check_rules.py on tiny fake trees: a clean tree passes, and each
rule fires on the one file that breaks it (run by the ctest rules_self_test).

Each test builds its tree in a fresh temporary folder, breaks one rule, runs
the script as CI does and reads its exit status and its file:line lines.
"""
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import unittest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "check_rules.py"

ARCHITECTURE = """\
# fake architecture

## Modules and their edges

```text module-edges
# module: the modules its files may include
core:
backend: core
model: core backend
engine: core model
server: core engine
apps: core server
```
"""

# A tree that keeps every rule: each module includes only modules below it,
# CUDA lives in src/backend/cuda/, tests include what they like.
CLEAN_TREE = {
    "docs/architecture.md": ARCHITECTURE,
    "src/core/log.h": "#pragma once\n#include <cstdio>\n",
    "src/backend/backend.h": '#pragma once\n#include "core/log.h"\n',
    "src/backend/cpu/matmul.cpp": '#include "backend/backend.h"\n#include "matmul.h"\n',
    "src/backend/cpu/matmul.h": "#pragma once\n",
    "src/backend/cuda/kernels.cu": "#include <cuda_runtime.h>\n#include <cublasLt.h>\n#include <thrust/sort.h>\n",
    "src/backend/cuda/kernels.cuh": "#pragma once\n#include <cuda_fp16.h>\n",
    "src/model/model.cpp": '#include "backend/backend.h"\n#include "core/log.h"\n#include <curl/curl.h>\n',
    "src/engine/engine.cpp": '#include "model/model.h"\n',
    "src/server/server.cpp": '#include "engine/engine.h"\n  #  include "core/log.h"\n',
    "apps/main.cpp": '#include "server/server.h"\n#include "commands/commands.h"\n',
    "apps/commands/commands.h": "#pragma once\n",
    "tests/model/model_test.cpp": '#include "backend/backend.h"\n#include "server/server.h"\n',
    "bench/matmul_benchmark.cpp": '#include "backend/backend.h"\n',
}


def make_tree(root, files):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


class CheckRulesTest(unittest.TestCase):
    def run_script(self, changes, *flags):
        """Runs the script on CLEAN_TREE with `changes` applied (None deletes a file)."""
        files = dict(CLEAN_TREE)
        for relative, text in changes.items():
            if text is None:
                files.pop(relative)
            else:
                files[relative] = text
        with tempfile.TemporaryDirectory() as folder:
            make_tree(pathlib.Path(folder), files)
            result = subprocess.run([sys.executable, str(SCRIPT), *flags, folder],
                                    capture_output=True, text=True, check=False)
        return result.returncode, result.stdout.splitlines()

    def assert_fails_with(self, changes, expected_line):
        code, lines = self.run_script(changes)
        self.assertEqual(code, 1, lines)
        self.assertIn(expected_line, [line.split(" ", 2)[0] + " " + line.split(" ", 2)[1] for line in lines])

    def test_a_clean_tree_passes(self):
        code, lines = self.run_script({})
        self.assertEqual((code, lines), (0, []))

    def test_a_cuda_header_outside_backend_cuda_fires(self):
        for header in ("<cuda_runtime.h>", "<cuda.h>", '"cuda_bf16.h"', "<cublas_v2.h>", "<cublasLt.h>",
                       "<curand.h>", "<cusparse.h>", "<nccl.h>", "<nvrtc.h>", "<nvml.h>", "<cuda/std/atomic>",
                       "<thrust/device_vector.h>", "<cub/cub.cuh>"):
            with self.subTest(header=header):
                self.assert_fails_with({"src/model/gpu.cpp": f"#include <vector>\n#include {header}\n"},
                                       "src/model/gpu.cpp:2: [cuda]")

    def test_a_cuda_header_in_tests_or_the_cpu_backend_fires(self):
        self.assert_fails_with({"tests/model/gpu_test.cpp": "#include <cuda_runtime.h>\n"},
                               "tests/model/gpu_test.cpp:1: [cuda]")
        self.assert_fails_with({"src/backend/cpu/gpu.cpp": "#include <cublas_v2.h>\n"},
                               "src/backend/cpu/gpu.cpp:1: [cuda]")

    def test_a_cu_file_outside_backend_cuda_fires(self):
        self.assert_fails_with({"src/model/kernel.cu": "#include <vector>\n"}, "src/model/kernel.cu:1: [cuda]")
        self.assert_fails_with({"tests/backend/kernel_test.cuh": "#pragma once\n"},
                               "tests/backend/kernel_test.cuh:1: [cuda]")

    def test_the_server_including_backend_fires(self):
        self.assert_fails_with({"src/server/server.cpp": '#include "engine/engine.h"\n#include "backend/backend.h"\n'},
                               "src/server/server.cpp:2: [server]")

    def test_a_block_that_lets_the_server_include_backend_fires(self):
        docs = ARCHITECTURE.replace("server: core engine", "server: core engine backend")
        self.assert_fails_with({"docs/architecture.md": docs}, "docs/architecture.md:5: [server]")

    def test_an_edge_the_block_does_not_list_fires(self):
        # Upward (backend -> model) and skipping one the block leaves out (engine -> backend).
        self.assert_fails_with({"src/backend/backend.h": '#pragma once\n#include "core/log.h"\n#include "model/model.h"\n'},
                               "src/backend/backend.h:3: [edges]")
        self.assert_fails_with({"src/engine/engine.cpp": '#include "model/model.h"\n#include "backend/backend.h"\n'},
                               "src/engine/engine.cpp:2: [edges]")
        self.assert_fails_with({"apps/main.cpp": '#include "engine/engine.h"\n'}, "apps/main.cpp:1: [edges]")

    def test_a_relative_include_into_another_module_fires(self):
        self.assert_fails_with({"src/core/log.h": '#pragma once\n#include "../model/model.h"\n',
                                "src/model/model.h": "#pragma once\n"},
                               "src/core/log.h:2: [edges]")

    def test_a_module_the_block_does_not_name_fires(self):
        self.assert_fails_with({"src/kv/block_pool.cpp": '#include "core/log.h"\n'}, "src/kv/block_pool.cpp:1: [edges]")

    def test_a_missing_or_cyclic_block_fires(self):
        self.assert_fails_with({"docs/architecture.md": "# no block\n"}, "docs/architecture.md:0: [edges]")
        self.assert_fails_with({"docs/architecture.md": ARCHITECTURE.replace("core:", "core: server")},
                               "docs/architecture.md:5: [edges]")

    def test_report_lists_the_edges_and_never_fails(self):
        code, lines = self.run_script({"src/server/server.cpp": '#include "backend/backend.h"\n'}, "--report")
        self.assertEqual(code, 0)
        self.assertIn("model: backend core", lines)
        self.assertIn("server: backend", lines)
        self.assertTrue(any(line.startswith("src/server/server.cpp:1: [server]") for line in lines), lines)


if __name__ == "__main__":
    unittest.main()
