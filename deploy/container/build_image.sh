#!/usr/bin/env bash
# Builds the keel image (deploy/container/Containerfile) with docker or
# podman, whichever has a working engine, and with --test runs it and asks
# it a question.
#
#   bash deploy/container/build_image.sh [--test] [--test-only] [--tag keel:latest]
#
# --test-only tests an image built before (its tag) without building.
#
# The base image is debian:12 from the registry when BASE_IMAGE is unset and
# the registry answers. Where it does not (an air-gapped build machine), the
# script makes the base itself: debootstrap writes a minimal Debian 12 into
# a folder, and `import` turns that folder into the image
# localhost/keel-debian-base:12 (needs root and the debootstrap package).
#
# Exit status: 0 built (and tested), 1 failed, 77 no usable container engine
# (CTest reports the test as skipped, with the reason on stderr).
set -euo pipefail
cd "$(dirname "$0")/../.."

test_image=false
build=true
tag=keel:latest
while [ $# -gt 0 ]; do
  case $1 in
    --test) test_image=true ;;
    --test-only) test_image=true; build=false ;;
    --tag) tag=$2; shift ;;
    *) echo "usage: build_image.sh [--test] [--test-only] [--tag NAME]" >&2; exit 1 ;;
  esac
  shift
done

# --- the engine: docker's daemon, or podman (no daemon; root or rootless)
engine=""
for candidate in docker podman; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" info >/dev/null 2>&1; then
    engine=$candidate
    break
  fi
done
if [ -z "$engine" ]; then
  echo "build_image.sh: no usable container engine: 'docker info' and 'podman info' both fail" \
       "(docker's client may be installed without a daemon). Install podman (apt-get install podman)" \
       "or start dockerd to build the image." >&2
  exit 77
fi
build_flags=()
[ "$engine" = podman ] && build_flags+=(--format docker)  # keeps HEALTHCHECK (the OCI format has none)

# --- the base image
base=${BASE_IMAGE:-}
if [ -z "$base" ]; then
  if "$engine" pull -q docker.io/library/debian:12 >/dev/null 2>&1; then
    base=docker.io/library/debian:12
  else
    base=localhost/keel-debian-base:12
    if ! "$engine" image inspect "$base" >/dev/null 2>&1; then
      if ! command -v debootstrap >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
        echo "build_image.sh: debian:12 cannot be pulled, and making a base needs root and debootstrap" \
             "(apt-get install debootstrap); or set BASE_IMAGE to a Debian 12 image you have" >&2
        exit 77
      fi
      rootfs=$(mktemp -d)
      trap 'rm -rf "$rootfs"' EXIT
      echo "debian:12 cannot be pulled; making $base with debootstrap ..."
      debootstrap --variant=minbase bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
      tar -C "$rootfs" -c . | "$engine" import - "$base" >/dev/null
      rm -rf "$rootfs"
      trap - EXIT
    fi
  fi
fi

# Can this engine run containers here? Inside another container (a CI
# runner, a sandbox) podman may build but not run: no cgroups to join, no
# right to set rlimits. Then it builds with chroot isolation, and the test
# runs the image's own entrypoint, environment and user in a chroot of its
# filesystem instead (below).
runs_containers=true
if ! "$engine" run --rm --network host "$base" true >/dev/null 2>&1; then
  runs_containers=false
  if [ "$engine" != podman ]; then
    echo "build_image.sh: $engine cannot run a container here ('$engine run $base true' fails)" >&2
    exit 77
  fi
  build_flags+=(--isolation chroot)
  echo "podman cannot run containers here: chroot isolation to build, a chroot of the image to test"
fi

if $build; then
  echo "building $tag with $engine on $base ..."
  "$engine" build "${build_flags[@]}" --network host --build-arg "BASE_IMAGE=$base" \
    -f deploy/container/Containerfile -t "$tag" .
fi
$test_image || exit 0
# --- the test: start it, ask it a question, check its user, HEALTHCHECK and SIGTERM exit
port=${TEST_PORT:-18180}
name="keel-image-test-$$"
image_config() { "$engine" image inspect "$tag"; }

if $runs_containers; then
  start_server() { "$engine" run -d --name "$name" -p "127.0.0.1:$port:8080" "$tag" >/dev/null; }
  server_uid() { "$engine" exec "$name" id -u; }
  server_logs() { "$engine" logs "$name" 2>&1 | tail -20; }
  healthcheck() {
    if [ "$engine" = podman ]; then podman healthcheck run "$name" >/dev/null; return; fi
    for _ in $(seq 1 40); do
      [ "$(docker inspect -f '{{.State.Health.Status}}' "$name")" = healthy ] && return 0
      sleep 1
    done
    return 1
  }
  stop_server() {  # sets stop_status
    "$engine" stop -t 40 "$name" >/dev/null
    stop_status=$("$engine" inspect -f '{{.State.ExitCode}}' "$name")
  }
  cleanup() { "$engine" rm -f "$name" >/dev/null 2>&1 || true; }
else
  # The image's filesystem, mounted; its USER, ENV, ENTRYPOINT, CMD and
  # HEALTHCHECK read from its config and run in a chroot of it. Only the
  # port differs (8080 is mapped by a container engine; here it is shared).
  container=$("$engine" create "$tag")
  root=$("$engine" mount "$container")
  mount --bind /proc "$root/proc"
  # podman keeps the health check beside the config, docker inside it.
  read_config() {
    image_config | python3 -c "import json, sys
i = json.load(sys.stdin)[0]; c = dict(i['Config'], Healthcheck=i.get('Healthcheck') or i['Config'].get('Healthcheck'))
$1"
  }
  user=$(read_config 'print(c["User"])')
  mapfile -t environment < <(read_config 'print("\n".join(c["Env"]))')
  mapfile -t command < <(read_config 'print("\n".join(c["Entrypoint"] + c["Cmd"]))')
  command=("${command[@]/#8080/$port}")
  mapfile -t health < <(read_config 'print("\n".join(c["Healthcheck"]["Test"][1:]))')  # after "CMD"
  health=("${health[@]//8080/$port}")
  in_image() { chroot --userspec="$user" "$root" env -i "${environment[@]}" "$@"; }
  server_log=$(mktemp)
  # chroot and env exec, so the pid is keel's own (not through in_image: a
  # function in the background would be a subshell of its own).
  start_server() {
    chroot --userspec="$user" "$root" env -i "${environment[@]}" "${command[@]}" >"$server_log" 2>&1 &
    server_pid=$!
  }
  server_uid() { awk '/^Uid:/ {print $2}' "/proc/$server_pid/status"; }
  server_logs() { tail -20 "$server_log"; }
  healthcheck() { in_image "${health[@]}"; }
  stop_server() {  # sets stop_status
    kill -TERM "$server_pid"
    stop_status=0
    wait "$server_pid" || stop_status=$?
  }
  cleanup() {
    rm -f "$server_log"
    kill "$server_pid" 2>/dev/null || true
    umount "$root/proc" 2>/dev/null || true
    "$engine" umount "$container" >/dev/null 2>&1 || true
    "$engine" rm -f "$container" >/dev/null 2>&1 || true
  }
fi
trap cleanup EXIT

start_server
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
  sleep 1
done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { server_logs >&2; echo "the image's keel never turned ready" >&2; exit 1; }

uid=$(server_uid)
[ "$uid" = 10001 ] || { echo "keel runs as uid $uid in the image, not 10001" >&2; exit 1; }
echo "keel runs as uid $uid"

answer=$(curl -sf "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"messages": [{"role": "user", "content": "What is 17 + 25?"}], "max_tokens": 16, "temperature": 0}')
content=$(printf '%s' "$answer" | python3 -c 'import json, sys; print(json.load(sys.stdin)["choices"][0]["message"]["content"])')
echo "asked 'What is 17 + 25?'; the image's keel answered: $content"
case $content in *42*) ;; *) echo "expected 42" >&2; exit 1 ;; esac

healthcheck || { echo "the image's HEALTHCHECK failed" >&2; exit 1; }
echo "HEALTHCHECK: healthy"

stop_server
[ "$stop_status" = 0 ] || { echo "keel exited $stop_status on SIGTERM" >&2; exit 1; }
echo "SIGTERM: drained and exited 0"
echo "image $tag: built and tested with $engine$($runs_containers || echo ' (run in a chroot of the image)')"
