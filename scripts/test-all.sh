#!/usr/bin/env bash
# Every test, on a fresh Debian machine: installs what is missing, starts Docker, builds the
# language images, then runs the whole Maven build with all tests (local and Docker backends).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

started=$(date +%s)
scripts/install-deps.sh
scripts/start-docker.sh
scripts/start-postgres.sh
if [ -x images/build.sh ]; then
  images/build.sh
fi
echo "test-all: setup took $(( $(date +%s) - started )) s"

# The launcher itself, as a newcomer uses it: builds on first use, runs every built-in language.
for program in examples/programs/hello.{py,js,cpp,c,sh} examples/programs/Hello.java; do
  for backend in ${CLOUDRUN_SMOKE_BACKENDS:-local docker}; do
    output=$(./cloudrun run "$program" --backend "$backend" </dev/null)
    case "$output" in
      "Hello from "*) echo "test-all: ./cloudrun run $program --backend $backend: $output" ;;
      *) echo "test-all: ./cloudrun run $program --backend $backend printed: $output" >&2; exit 1 ;;
    esac
  done
done

mvn -B -ntp verify "$@"
