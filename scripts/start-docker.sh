#!/usr/bin/env bash
# Makes sure a Docker daemon answers: starts /usr/sbin/dockerd in the background when none does,
# then waits until it is ready (at most 60 s).
set -euo pipefail

docker_answers() { docker info >/dev/null 2>&1; }

if docker_answers; then
  echo "start-docker: the Docker daemon answers"
  exit 0
fi
[ -x /usr/sbin/dockerd ] || { echo "start-docker: dockerd is not installed (apt-get install docker.io)" >&2; exit 1; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
log=/var/tmp/cloudrun-dockerd.log
echo "start-docker: starting dockerd (log: $log)"
$SUDO sh -c "nohup setsid /usr/sbin/dockerd >'$log' 2>&1 &"
for _ in $(seq 1 120); do
  if docker_answers; then
    echo "start-docker: ready"
    exit 0
  fi
  sleep 0.5
done
echo "start-docker: dockerd did not become ready within 60 s; last log lines:" >&2
tail -n 20 "$log" >&2 || true
exit 1
