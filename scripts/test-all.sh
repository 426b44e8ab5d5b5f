#!/usr/bin/env bash
# Every test, on a fresh Debian machine: installs what is missing, starts Docker, builds the
# language images, then runs the whole Maven build with all tests (local and Docker backends).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

started=$(date +%s)
scripts/install-deps.sh
scripts/start-docker.sh
if [ -x images/build.sh ]; then
  images/build.sh
fi
echo "test-all: setup took $(( $(date +%s) - started )) s"
mvn -B -ntp verify "$@"
