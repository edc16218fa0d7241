#!/usr/bin/env bash
# Installs the pinned npm packages (package-lock.json: `openai`, `ajv`
# to validate structured output, and `playwright-core` to drive Chromium for
# the chat page) into tests/e2e_server/node_modules for the
# SDK tests. Skips the network when the pinned versions are already there.
set -euo pipefail
cd "$(dirname "$0")"
versions() {  # "openai@X ajv@Y" as pinned (lock) or as installed
  node -e '
    const which = process.argv[1];
    const out = ["openai", "ajv", "playwright-core"].map((name) => {
      try {
        return name + "@" + (which === "lock" ? require("./package-lock.json").packages["node_modules/" + name].version
                                                : require("./node_modules/" + name + "/package.json").version);
      } catch { return name + "@none"; }
    });
    console.log(out.join(" "));' "$1"
}
if [ "$(versions lock)" = "$(versions installed)" ]; then
  echo "$(versions installed) already installed"
  exit 0
fi
npm ci --no-audit --no-fund
