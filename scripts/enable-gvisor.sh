#!/usr/bin/env bash
# Registers gVisor (runsc) with the Docker daemon as two runtimes, then makes the running daemon
# load them (SIGHUP) and waits until `docker info` lists them:
#   runsc      --platform=ptrace --network=none --oci-seccomp   for steps without network
#   runsc-net  --platform=ptrace --oci-seccomp [--network=host] for steps with network
# --oci-seccomp applies the container's seccomp profile (CloudRun's, SyscallPolicy) inside the sandbox too.
# The ptrace platform works without KVM (virtual machines, CI); CLOUDRUN_RUNSC_PLATFORM=kvm on hosts
# where gVisor's KVM platform works costs less (on this project's CI machines it hangs).
# Steps with network get gVisor's own network stack (--network=sandbox) where runsc can use it.
# runsc builds of 2022 (Debian bookworm's) refuse it on kernels that namespace
# net.core.rmem_default ("cannot run with network enabled in root network namespace": they take
# that file's presence for the root namespace); there runsc-net gets --network=host, which passes
# socket calls to the host kernel, still inside the container's own (fenced) network namespace.
# CLOUDRUN_RUNSC_NETWORK=sandbox|host overrides the choice. Merges into /etc/docker/daemon.json (other keys are kept,
# the result is validated before it replaces the file). Safe to run again. Needs root (or sudo).
# Does nothing but say so when runsc is not installed (apt-get install runsc).
set -euo pipefail

CONFIG=${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}
PLATFORM=${CLOUDRUN_RUNSC_PLATFORM:-ptrace}
NETWORK=${CLOUDRUN_RUNSC_NETWORK:-}
RUNSC=$(command -v runsc || true)
if [ -z "$RUNSC" ]; then
  echo "enable-gvisor: runsc is not installed (apt-get install runsc); Docker runs with runc only" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ -z "$NETWORK" ]; then
  NETWORK=sandbox
  if $SUDO unshare --net test -e /proc/sys/net/core/rmem_default 2>/dev/null \
      && runsc --version 2>/dev/null | grep '^runsc version 0.0~2022' >/dev/null; then
    NETWORK=host
  fi
fi

$SUDO mkdir -p "$(dirname "$CONFIG")"
current='{}'
if [ -s "$CONFIG" ]; then
  current=$($SUDO cat "$CONFIG")
fi
merged=$(printf '%s' "$current" | python3 -c '
import json, sys
runsc, platform, network = sys.argv[1], sys.argv[2], sys.argv[3]
text = sys.stdin.read()
config = json.loads(text) if text.strip() else {}
if not isinstance(config, dict):
    sys.exit("daemon.json does not hold a JSON object")
runtimes = config.setdefault("runtimes", {})
runtimes["runsc"] = {"path": runsc, "runtimeArgs": ["--platform=" + platform, "--network=none", "--oci-seccomp"]}
runtimes["runsc-net"] = {"path": runsc, "runtimeArgs": ["--platform=" + platform, "--oci-seccomp"]
                         + (["--network=host"] if network == "host" else [])}
print(json.dumps(config, indent=2, sort_keys=True))
' "$RUNSC" "$PLATFORM" "$NETWORK")

normalized=$(printf '%s' "$current" | python3 -c '
import json, sys
text = sys.stdin.read()
print(json.dumps(json.loads(text) if text.strip() else {}, indent=2, sort_keys=True))')
changed=false
if [ "$merged" != "$normalized" ]; then
  tmp=$($SUDO mktemp "$CONFIG.XXXXXX")
  printf '%s\n' "$merged" | $SUDO tee "$tmp" >/dev/null
  python3 -m json.tool "$tmp" >/dev/null
  $SUDO chmod 0644 "$tmp"
  $SUDO mv "$tmp" "$CONFIG"
  changed=true
  echo "enable-gvisor: registered runsc and runsc-net (--platform=$PLATFORM, network $NETWORK) in $CONFIG"
fi

listed() { docker info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}' 2>/dev/null | tr ' ' '\n' | grep -x "$1" >/dev/null; }
if ! docker info >/dev/null 2>&1; then
  echo "enable-gvisor: the Docker daemon does not answer; it loads the runtimes when it starts"
  exit 0
fi
if ! $changed && listed runsc && listed runsc-net; then
  echo "enable-gvisor: the Docker daemon lists runsc and runsc-net"
  exit 0
fi
pid=$(pidof dockerd || true)
[ -n "$pid" ] || { echo "enable-gvisor: no local dockerd to reload; restart the daemon to load $CONFIG" >&2; exit 1; }
# SIGHUP makes dockerd reload its runtimes without stopping containers.
$SUDO kill -HUP $pid
sleep 0.5
for _ in $(seq 1 40); do
  if listed runsc && listed runsc-net; then
    echo "enable-gvisor: the Docker daemon lists runsc and runsc-net"
    exit 0
  fi
  sleep 0.25
done
echo "enable-gvisor: dockerd did not load the runtimes from $CONFIG (see its log)" >&2
exit 1
