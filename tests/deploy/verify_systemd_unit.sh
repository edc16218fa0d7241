#!/usr/bin/env bash
# systemd-analyze verify on deploy/systemd/keel.service, with ExecStart
# pointed at the keel binary just built (verify checks that it exists).
# Any finding fails the test; no systemd-analyze skips it (exit 77).
set -euo pipefail
unit="$1" binary="$2"
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is not installed: skipping"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/keel|$binary|" "$unit" > "$dir/keel.service"
findings=$(systemd-analyze verify "$dir/keel.service" 2>&1) || { echo "$findings"; exit 1; }
if [ -n "$findings" ]; then echo "$findings"; exit 1; fi
echo "keel.service verified"
