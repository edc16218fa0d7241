#!/usr/bin/env bash
# Installs the npm packages a test folder pins (its package.json and
# package-lock.json) into that folder's node_modules, with `npm ci`. Skips
# the network when every dependency is already installed at its pinned
# version, so a second test run is offline.
#
#   bash scripts/install_node_packages.sh FOLDER
set -euo pipefail
cd "${1:?usage: install_node_packages.sh FOLDER}"
versions() {  # "name@X ..." for every dependency, as pinned (lock) or as installed
  node -e '
    const which = process.argv[1];
    const names = Object.keys(require("./package.json").dependencies);
    console.log(names.map((name) => {
      try {
        return name + "@" + (which === "lock" ? require("./package-lock.json").packages["node_modules/" + name].version
                                                : require("./node_modules/" + name + "/package.json").version);
      } catch { return name + "@none"; }
    }).join(" "));' "$1"
}
if [ "$(versions lock)" = "$(versions installed)" ]; then
  echo "$(versions installed) already installed"
  exit 0
fi
# Some pinned packages declare a newer node than Debian's (kubernetes-models:
# >= 22); they run on it (their tests show it), so npm's engine warning is
# only a warning.
npm ci --no-audit --no-fund
