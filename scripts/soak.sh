#!/usr/bin/env bash
# The soak benchmarks. Not tests: each takes minutes and prints figures.
#   scripts/soak.sh [local|docker|both] [RUNS=2000] [CONCURRENCY=8]
#     SoakBenchmark (examples): mixed runs on each backend (every language, every status, interactive
#     stdin, random cancels), then a before/after table of containers, volumes, sandbox processes,
#     cgroups, mounts, temp folders, threads, fds and heap.
#   scripts/soak.sh server [ITERATIONS=400] [CONCURRENCY=8]
#     ServerSoakBenchmark (cloudrun-server's test classes): the same through the server's HTTP and
#     WebSocket API, then the server's threads, fds, sandbox processes and heap against the baseline.
# Exits non-zero if anything leaked, hung or ended with the wrong status.
# MVN_FLAGS adds Maven flags (e.g. MVN_FLAGS=-o to build offline).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
which=${1:-both}
case "$which" in
  both) backends="local docker" ;;
  local|docker) backends=$which ;;
  server) backends="" ;;
  *) echo "usage: scripts/soak.sh [local|docker|both|server] [RUNS] [CONCURRENCY]" >&2; exit 2 ;;
esac
concurrency=${3:-8}

if [ "$which" = server ]; then
  iterations=${2:-400}
  # shellcheck disable=SC2086
  (cd "$ROOT" && mvn -q -B ${MVN_FLAGS:-} -DskipTests -pl cloudrun-server -am package dependency:build-classpath \
      -Dmdep.outputFile=target/soak.classpath -Dmdep.includeScope=test)
  server="$ROOT/cloudrun-server/target"
  echo "=== server soak: $iterations iterations, concurrency $concurrency ==="
  exec java -Xmx512m -cp "$server/test-classes:$server/classes:$(cat "$server/soak.classpath")" \
      dev.cloudrun.server.ServerSoakBenchmark "$iterations" "$concurrency"
fi

runs=${2:-2000}
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
