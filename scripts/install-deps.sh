#!/usr/bin/env bash
# Installs, with apt, what CloudRun's build and tests need and a fresh Debian machine may lack.
# Safe to run again: it installs only what is missing. Needs root (or sudo) on Debian/Ubuntu.
set -euo pipefail

# command -> Debian package
declare -A NEEDED=(
  [java]=openjdk-17-jdk-headless
  [javac]=openjdk-17-jdk-headless
  [mvn]=maven
  [python3]=python3
  [node]=nodejs
  [gcc]=gcc
  [g++]=g++
  [bwrap]=bubblewrap
  [setpriv]=util-linux
  [prlimit]=util-linux
  [dockerd]=docker.io
  [runsc]=runsc
  [mmdebstrap]=mmdebstrap
  [pg_ctlcluster]=postgresql
  [chromium]=chromium
)

missing=()
for command in "${!NEEDED[@]}"; do
  if ! command -v "$command" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$command" ]; then
    missing+=("${NEEDED[$command]}")
  fi
done
# Also make sure the Debian docker client is there (some images ship only a static client).
[ -x /usr/sbin/dockerd ] || missing+=(docker.io)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "install-deps: installing ${packages[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${packages[@]}"
