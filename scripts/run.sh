#!/usr/bin/env bash
# The main job: installs dependencies, builds, then runs keel on the model
# that ships with the repository. Extra arguments go to `keel`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec build/release/apps/keel "$@"
