#!/usr/bin/env bash
# Installs dependencies, then builds keel (Release, 2 jobs) into build/release.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
