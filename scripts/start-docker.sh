#!/usr/bin/env bash
# Makes sure a Docker daemon answers: starts /usr/sbin/dockerd in the background when none does,
# then waits until it is ready (at most 60 s). Then registers gVisor's runtimes when runsc is
# installed (scripts/enable-gvisor.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

docker_answers() { docker info >/dev/null 2>&1; }

if docker_answers; then
  echo "start-docker: the Docker daemon answers"
  exec "$here/enable-gvisor.sh"
fi
# Registered before the start, so the new daemon loads the runtimes itself.
"$here/enable-gvisor.sh"
[ -x /usr/sbin/dockerd ] || { echo "start-docker: dockerd is not installed (apt-get install docker.io)" >&2; exit 1; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
log=/var/tmp/cloudrun-dockerd.log
echo "start-docker: starting dockerd (log: $log)"
$SUDO sh -c "nohup setsid /usr/sbin/dockerd >'$log' 2>&1 &"
for _ in $(seq 1 120); do
  if docker_answers; then
    echo "start-docker: ready"
    exec "$here/enable-gvisor.sh"
  fi
  sleep 0.5
done
echo "start-docker: dockerd did not become ready within 60 s; last log lines:" >&2
tail -n 20 "$log" >&2 || true
exit 1
