#!/usr/bin/env bash
# Installs the pinned `openai` npm package (package-lock.json) into
# tests/e2e_server/node_modules for the SDK tests. Skips the network when
# the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")"
pinned=$(node -p 'require("./package-lock.json").packages["node_modules/openai"].version')
installed=$(node -p 'try { require("./node_modules/openai/package.json").version } catch { "" }')
if [ "$pinned" = "$installed" ]; then
  echo "openai $installed already installed"
  exit 0
fi
npm ci --no-audit --no-fund
