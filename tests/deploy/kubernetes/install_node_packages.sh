#!/usr/bin/env bash
# Installs the pinned npm packages (package-lock.json: kubernetes-models and
# its prometheus-operator, gateway-api and apimachinery siblings for the
# schemas, yaml to parse) into tests/deploy/kubernetes/node_modules for
# validate_manifests.mjs. Skips the network when the pinned versions are
# already there.
set -euo pipefail
cd "$(dirname "$0")"
versions() {  # "name@X ..." as pinned (lock) or as installed
  node -e '
    const which = process.argv[1];
    const names = Object.keys(require("./package.json").dependencies);
    const out = names.map((name) => {
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
# The kubernetes-models packages declare node >= 22; they run on Debian's
# node 20 (the validator's own tests show it), so npm's engine warning is
# only a warning.
npm ci --no-audit --no-fund
