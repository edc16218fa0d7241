#!/usr/bin/env bash
# Installs dependencies, then builds keel (Release, 2 jobs) into build/release.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
# KEEL_CUDA_ARCHITECTURES (e.g. "90" for an H100/H200, "75;86") narrows the
# GPUs the CUDA backend is compiled for; the default covers sm_75 to sm_90.
cmake --preset release ${KEEL_CUDA_ARCHITECTURES:+-DKEEL_CUDA_ARCHITECTURES="$KEEL_CUDA_ARCHITECTURES"} >/dev/null
cmake --build --preset release
