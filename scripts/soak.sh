#!/usr/bin/env bash
# The soak benchmark (examples/.../SoakBenchmark.java): mixed runs on each backend (every language,
# every status, interactive stdin, random cancels), then a before/after table of what is left.
# Exits non-zero if anything leaked, a run hung or ended with the wrong status. Not a test: minutes.
#   scripts/soak.sh [local|docker|both] [RUNS=2000] [CONCURRENCY=8]
# MVN_FLAGS adds Maven flags (e.g. MVN_FLAGS=-o to build offline).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
which=${1:-both}
runs=${2:-2000}
concurrency=${3:-8}
case "$which" in
  both) backends="local docker" ;;
  local|docker) backends=$which ;;
  *) echo "usage: scripts/soak.sh [local|docker|both] [RUNS] [CONCURRENCY]" >&2; exit 2 ;;
esac

# shellcheck disable=SC2086
(cd "$ROOT" && mvn -q -B ${MVN_FLAGS:-} -DskipTests -pl examples -am package dependency:build-classpath \
    -Dmdep.outputFile=target/soak.classpath -Dmdep.includeScope=runtime)
classpath="$ROOT/examples/target/classes:$(cat "$ROOT/examples/target/soak.classpath")"

status=0
for backend in $backends; do
  echo "=== soak on the $backend backend: $runs runs, concurrency $concurrency ==="
  java -Xmx512m -cp "$classpath" dev.cloudrun.examples.SoakBenchmark "$backend" "$runs" "$concurrency" || status=$?
done
exit $status
