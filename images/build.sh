#!/usr/bin/env bash
# Builds CloudRun's language images (one per folder with a `tag` file), only those missing or
# whose definition changed: each image carries the label dev.cloudrun.definition-hash, a hash of
# its definition files, compared before building.
#
#   images/build.sh [--upstream] [--force] [--jobs N] [LANGUAGE...]
#
# Default (the Debian way, works offline from Docker Hub; needs root, mmdebstrap and a Debian
# mirror): mmdebstrap --variant=essential --include=<packages> bookworm | docker import, then
# Dockerfile.debian on top (user runner uid 1000, /work, labels).
# --upstream: docker build <lang>/Dockerfile.upstream FROM the official images (needs pulls).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode=debian
force=0
jobs=${CLOUDRUN_IMAGE_JOBS:-3}
suite=${CLOUDRUN_DEBIAN_SUITE:-bookworm}
mirror=${CLOUDRUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
languages=()
# Bump when the mmdebstrap command below changes, so existing images count as outdated.
recipe=3
# Certificate authorities this host added (a company's or school's TLS-inspecting proxy, say) are
# trusted inside the images too, so that package installs work on the same network as the host.
extra_ca_dir=${CLOUDRUN_EXTRA_CA_DIR:-/usr/local/share/ca-certificates}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --upstream) mode=upstream ;;
    --force) force=1 ;;
    --jobs) jobs="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) languages+=("$1") ;;
  esac
  shift
done
if [[ ${#languages[@]} -eq 0 ]]; then
  for dir in "$here"/*/; do [[ -f "$dir/tag" ]] && languages+=("$(basename "$dir")"); done
fi

command -v docker >/dev/null || { echo "docker CLI not found: install docker (apt-get install docker.io)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "the Docker daemon does not answer (DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}); start it: sudo systemctl start docker" >&2; exit 1; }
if [[ $mode == debian ]]; then
  command -v mmdebstrap >/dev/null || { echo "mmdebstrap not found: apt-get install -y mmdebstrap (or use --upstream)" >&2; exit 1; }
  [[ $(id -u) -eq 0 ]] || { echo "the Debian way runs mmdebstrap as root: run with sudo (or use --upstream)" >&2; exit 1; }
fi

# The hash of what goes into an mmdebstrap rootfs (not Dockerfile.debian, whose layer is cheap to
# rebuild on top of an existing rootfs).
rootfs_hash() {
  local lang="$1"
  {
    echo "suite=$suite recipe=$recipe"
    cat "$here/$lang/packages"
    if grep -qx 'ca-certificates' "$here/$lang/packages"; then
      find "$extra_ca_dir" -name '*.crt' -type f -exec sha256sum {} + 2>/dev/null | sort
    fi
  } | sha256sum | cut -c1-16
}

definition_hash() {
  local lang="$1"
  {
    echo "mode=$mode suite=$suite recipe=$recipe"
    if [[ $mode == debian ]]; then
      rootfs_hash "$lang"
      cat "$here/Dockerfile.debian"
    else
      cat "$here/$lang/Dockerfile.upstream"
    fi
    cat "$here/$lang/tag"
  } | sha256sum | cut -c1-16
}

log() { local lang="$1"; shift; printf '[%-6s %s] %s\n' "$lang" "$(date +%H:%M:%S)" "$*"; }

build_one() {
  local lang="$1" tag hash existing start
  tag="$(cat "$here/$lang/tag")"
  hash="$(definition_hash "$lang")"
  existing="$(docker image inspect -f '{{index .Config.Labels "dev.cloudrun.definition-hash"}}' "$tag" 2>/dev/null || true)"
  if [[ $force -eq 0 && "$existing" == "$hash" ]]; then
    log "$lang" "$tag is up to date (definition $hash), skipped"
    return 0
  fi
  start=$SECONDS
  log "$lang" "building $tag (definition $hash, $mode way)"
  if [[ $mode == debian ]]; then
    local base="cloudrun/rootfs-$lang:$(rootfs_hash "$lang")" packages
    packages="$( { grep -v '^\s*#' "$here/$lang/packages" || true; } | xargs | tr ' ' ',')"
    if ! docker image inspect "$base" >/dev/null 2>&1; then
      log "$lang" "mmdebstrap --variant=essential ${packages:+--include=$packages} $suite"
      local ca_hooks=()
      if grep -qx 'ca-certificates' "$here/$lang/packages" && compgen -G "$extra_ca_dir/*.crt" >/dev/null; then
        ca_hooks=(--customize-hook="copy-in $(printf '%s ' "$extra_ca_dir"/*.crt)/usr/local/share/ca-certificates/"
                  --customize-hook='chroot "$1" update-ca-certificates --fresh >/dev/null')
      fi
      mmdebstrap --variant=essential ${packages:+--include="$packages"} \
          --aptopt='APT::Install-Recommends "false"' \
          "${ca_hooks[@]}" \
          --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
          --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
          --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
          --format=tar "$suite" - "$mirror" 2> >(sed -u "s/^/[$lang] /" >&2) \
        | docker import --message "mmdebstrap $suite $packages" - "$base" >/dev/null \
        || { docker rmi "$base" >/dev/null 2>&1 || true; log "$lang" "FAILED: mmdebstrap or docker import"; return 1; }
      log "$lang" "imported $base after $((SECONDS - start)) s"
    fi
    docker build --quiet --build-arg BASE="$base" --build-arg DEFINITION_HASH="$hash" --build-arg LANGUAGE="$lang" \
        -t "$tag" -f "$here/Dockerfile.debian" "$here/$lang" >/dev/null
  else
    docker build --pull --build-arg DEFINITION_HASH="$hash" --build-arg LANGUAGE="$lang" \
        -t "$tag" -f "$here/$lang/Dockerfile.upstream" "$here/$lang" 2>&1 | sed -u "s/^/[$lang] /"
  fi
  log "$lang" "built $tag in $((SECONDS - start)) s"
}

failed=()
pids=()
names=()
for lang in "${languages[@]}"; do
  [[ -f "$here/$lang/tag" ]] || { echo "no image definition for '$lang' (expected $here/$lang/tag)" >&2; exit 2; }
  while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do wait -n || true; done
  build_one "$lang" &
  pids+=($!); names+=("$lang")
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED: ${failed[*]} (see the lines above)" >&2
  exit 1
fi
echo "all images ready: $(for l in "${languages[@]}"; do printf '%s ' "$(cat "$here/$l/tag")"; done)"
# gVisor (docs/sandbox-docker.md#gvisor): the same images run under runsc, a user-space kernel.
if docker info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}' 2>/dev/null | tr ' ' '\n' | grep -x runsc >/dev/null; then
  echo "gVisor: the daemon has the runsc runtime; use it with CLOUDRUN_DOCKER_RUNTIME=runsc (server),"
  echo "  ./cloudrun run FILE --backend docker --runtime runsc, or DockerBackendOptions.runtime(\"runsc\")"
else
  echo "gVisor (optional, stronger isolation): apt-get install runsc && scripts/enable-gvisor.sh, then"
  echo "  CLOUDRUN_DOCKER_RUNTIME=runsc (server), ./cloudrun run FILE --backend docker --runtime runsc,"
  echo "  or DockerBackendOptions.runtime(\"runsc\"); see docs/sandbox-docker.md"
fi
