#!/usr/bin/env bash
# The main job: installs dependencies, builds, then serves the model that
# ships with the repository on http://127.0.0.1:8080 (OpenAI-compatible).
# Extra arguments go to `keel serve` (e.g. --model FILE --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec build/release/apps/keel serve "$@"
