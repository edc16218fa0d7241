#!/usr/bin/env bash
# Installs everything keel needs to build and test on Debian 12, from
# Debian's own packages. Idempotent: when every package is already present
# it does nothing; otherwise it runs apt-get update first, then installs.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  nlohmann-json3-dev   # JSON (config.json, tokenizer.json, API bodies)
  libpcre2-dev         # regex with Unicode properties (pre-tokenizers)
  libicu-dev           # Unicode NFC normalisation (Qwen tokenizers)
  libspdlog-dev libfmt-dev  # logging
  libcli11-dev         # command-line parsing
  googletest libgtest-dev libgmock-dev  # unit tests via CTest
  libbenchmark-dev     # micro benchmarks (bench/)
  clang libclang-rt-14-dev  # libFuzzer targets
  python3 python3-jinja2    # reference renderer for chat-template fixtures
  libboost-dev          # Boost.Asio/Beast: the HTTP server's transport
  libtomlplusplus-dev   # `keel serve --config` files (TOML)
  prometheus            # promtool, to check /metrics and deploy/prometheus/rules.yml
  systemd               # systemd-analyze, to verify deploy/systemd/keel.service
  haproxy               # the load balancer of deploy/haproxy, tested live
  nodejs                # the openai npm package in the server end-to-end tests
  chromium              # the chat page's test, in headless Chromium (npm playwright-core drives it)
)
# npm installs the pinned openai package (tests/e2e_server). Debian ships it
# apart from nodejs; a nodejs from elsewhere (NodeSource) bundles its own.
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
# A machine without a package mirror (the lent GPU machine has no apt
# network) goes on with what it has: the build, or the tests that need a
# missing tool, say so by name.
if ! "${sudo_cmd[@]}" apt-get update -q || ! "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  echo "install_deps.sh: could not install ${missing[*]}; going on without them" >&2
fi
