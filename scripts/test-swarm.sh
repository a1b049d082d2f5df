#!/usr/bin/env bash
# `make test-swarm`: live/deploy/ deployed in a real Docker Swarm on this machine and
# checked by tests/swarm (docs/deployment.md, "A swarm on one machine": the same
# commands in the same order).
#
# A private Docker daemon (Debian's docker.io) with its own data root, exec root
# and socket; a Debian 12 base image made by debootstrap (no registry is needed);
# the node's image built from live/deploy/Dockerfile; a one-node swarm with
# OpenFaaS's secrets, a stand-in for OpenFaaS's `func` stack (`fogsched host` as the
# gateway of each of two cameras) and the node's stack deployed twice, for two
# cameras. Everything is torn down on any exit: stacks, swarm, the daemon, its
# mounts, its network links and its iptables chains.
#
# Kept between runs in $FOGSCHED_SWARM_DIR (default build/swarm): the base image's
# tarball and the daemon's data root (images, build cache, the compiler cache
# mount), so that a second run rebuilds only what changed.
#
# Needs root. Refuses to start beside another running Docker daemon, whose network
# (docker0, docker_gwbridge, Docker's iptables chains) it would share. With no
# daemon running, those are what a run killed before its tear-down left behind,
# and are removed first.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${FOGSCHED_SWARM_DIR:-$REPO/build/swarm}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
RUN_DIR=$STATE/run         # removed at the end: socket, exec root, secrets, client
DATA_ROOT=$STATE/docker    # kept: images and build cache
BASE_TAR=$REPO/build/debian-bookworm-minbase.tar   # shared with make test-demo
BASE_IMAGE=fogsched-base:bookworm
IMAGE=fogsched:0.1.0
PYTHON=/usr/bin/python3
DOCKER_CLIENT=/usr/bin/docker   # docker.io's client, of the same release as its daemon

started=$SECONDS
say() { echo "test-swarm [$((SECONDS - started)) s]: $*"; }
fail() { echo "test-swarm: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "needs root (a Docker daemon of its own)"
"$REPO/scripts/install-deps.sh" --swarm

# ---------------------------------------------------------------------------------
# Tear-down, on any exit
# ---------------------------------------------------------------------------------

dockerd_pid=""
created_paths=()   # system paths the daemon creates whatever its roots
for path in /var/lib/docker /run/docker; do
  [[ -e $path ]] || created_paths+=("$path")
done

docker_chains() {  # table -> Docker's chains in it
  iptables -t "$1" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^DOCKER/ {print $2}'
}

remove_iptables_rules() {
  local table rule chain
  for table in filter nat; do
    # Rules of the built-in chains that jump to Docker's chains or name its bridges.
    iptables -t "$table" -S 2>/dev/null | grep -E '^-A [A-Z]+ ' | grep -E 'DOCKER|docker0|docker_gwbridge' |
      while read -r rule; do
        read -ra words <<< "${rule#-A }"
        iptables -t "$table" -D "${words[@]}" 2>/dev/null || true
      done
    for chain in $(docker_chains "$table"); do iptables -t "$table" -F "$chain" 2>/dev/null || true; done
    for chain in $(docker_chains "$table"); do iptables -t "$table" -X "$chain" 2>/dev/null || true; done
  done
}

teardown() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  say "tearing down"
  if [[ -n $dockerd_pid ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
    docker stack rm fogsched-b fogsched func >/dev/null 2>&1
    # stack rm returns at once; the nodes drain (idle: at once) and exit.
    for _ in $(seq 60); do
      [[ -z $(docker ps -q 2>/dev/null) ]] && break
      sleep 1
    done
    # Stopped task containers (an updated service keeps its old tasks) would stay
    # in the data root, which is kept.
    docker container prune -f >/dev/null 2>&1
    docker swarm leave --force >/dev/null 2>&1
    kill "$dockerd_pid"
    for _ in $(seq 30); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$dockerd_pid" 2>/dev/null && kill -KILL "$dockerd_pid"
    wait "$dockerd_pid" 2>/dev/null
  fi
  remove_daemon_network
  rm -rf "$RUN_DIR"
  for path in "${created_paths[@]}"; do rm -rf "$path"; done
  say "done, exit status $status"
  exit "$status"
}

# What a daemon leaves once it is gone: its mounts, bridges and iptables chains.
remove_daemon_network() {
  # Network namespaces (exec root's netns/default, ingress_sbox, overlays) and any
  # other mount under the state directory, deepest first.
  findmnt -rn -o TARGET | grep -E "^$STATE/" | sort -r | while read -r mount; do
    umount "$mount" 2>/dev/null || umount -l "$mount"
  done
  ip link show docker_gwbridge >/dev/null 2>&1 && ip link delete docker_gwbridge
  ip link show docker0 >/dev/null 2>&1 && ip link delete docker0
  remove_iptables_rules
}

# ---------------------------------------------------------------------------------
# A private daemon
# ---------------------------------------------------------------------------------

leftovers() {  # -> the daemon network pieces present, space-separated
  local link found=()
  for link in docker0 docker_gwbridge; do
    if ip link show "$link" >/dev/null 2>&1; then found+=("$link"); fi
  done
  if [[ -n $(docker_chains filter) || -n $(docker_chains nat) ]]; then found+=("iptables chains"); fi
  if [[ -n $(findmnt -rn -o TARGET | grep -E "^$STATE/") ]]; then found+=("mounts under $STATE"); fi
  echo "${found[*]}"
}
found=$(leftovers)
if [[ -n $found ]]; then
  other=$(pgrep -x -d " " dockerd || true)
  [[ -z $other ]] || fail "another Docker daemon runs here (pid $other) and owns: $found"
  say "removing what a killed run left: $found"
  remove_daemon_network || true  # best effort, checked below
  found=$(leftovers)
  [[ -z $found ]] || fail "could not remove: $found"
fi
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR/bin" "$DATA_ROOT"
# The client of the docker.io package, first on PATH for this script and the tests.
ln -s "$DOCKER_CLIENT" "$RUN_DIR/bin/docker"
export PATH="$RUN_DIR/bin:$PATH"
export DOCKER_HOST="unix://$RUN_DIR/docker.sock"
export DOCKER_BUILDKIT=1

trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting dockerd (data root $DATA_ROOT)"
# In a session of its own: a Ctrl-C in the terminal reaches this script, whose
# tear-down then stops the daemon last, not the daemon at once.
DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid dockerd --data-root "$DATA_ROOT" --exec-root "$RUN_DIR/exec" \
  -H "$DOCKER_HOST" --pidfile "$RUN_DIR/dockerd.pid" > "$STATE/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 60); do
  docker version >/dev/null 2>&1 && break
  kill -0 "$dockerd_pid" 2>/dev/null || fail "dockerd exited: see $STATE/dockerd.log"
  sleep 0.5
done
docker version >/dev/null || fail "dockerd did not answer within 30 s: see $STATE/dockerd.log"
# setsid runs dockerd in its own process (it forks only when it leads a process group).
dockerd_pid=$(cat "$RUN_DIR/dockerd.pid")

# ---------------------------------------------------------------------------------
# Images: a Debian 12 base from Debian's mirror, then the node as a user builds it
# ---------------------------------------------------------------------------------

cd "$REPO"
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  say "a Debian 12 base ($BASE_TAR)"
  "$REPO/scripts/debian-minbase.sh" "$BASE_TAR"
  say "importing $BASE_TAR as $BASE_IMAGE"
  docker import - fogsched-base:bookworm < "$BASE_TAR" >/dev/null
fi

say "building $IMAGE"
docker build -f live/deploy/Dockerfile \
  --build-arg BUILD_BASE=fogsched-base:bookworm --build-arg RUNTIME_BASE=fogsched-base:bookworm \
  -t fogsched:0.1.0 .
say "image size: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"

# ---------------------------------------------------------------------------------
# The swarm, OpenFaaS's secrets and gateway stand-ins, the node's stack (twice)
# ---------------------------------------------------------------------------------

say "swarm, secrets and stacks"
# A run killed before its tear-down leaves its swarm and containers in the kept
# data root.
docker swarm leave --force >/dev/null 2>&1 || true
docker container prune -f >/dev/null
docker swarm init --advertise-addr 127.0.0.1 >/dev/null

# Named and made as OpenFaaS's deploy_stack.sh makes them; the tests read the
# credentials from $RUN_DIR/auth.
password=$(head -c 16 /dev/urandom | sha256sum | cut -d " " -f 1)
echo "admin" | docker secret create basic-auth-user - >/dev/null
echo "$password" | docker secret create basic-auth-password - >/dev/null
mkdir -m 700 "$RUN_DIR/auth"
echo "admin" > "$RUN_DIR/auth/basic-auth-user"
echo "$password" > "$RUN_DIR/auth/basic-auth-password"

head -c 32 /dev/urandom | base64 | docker secret create fogsched-peer-token - >/dev/null

docker stack deploy --resolve-image never -c tests/swarm/openfaas-standin.yml func
docker stack deploy --resolve-image never -c live/deploy/swarm/stack.yml fogsched
FOGSCHED_HOST_PORT=18081 docker stack deploy --resolve-image never -c live/deploy/swarm/stack.yml \
  -c live/deploy/swarm/second-camera.yml fogsched-b

# ---------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------

say "checks"
FOGSCHED_SWARM_AUTH_DIR="$RUN_DIR/auth" FOGSCHED_SWARM_IMAGE="$IMAGE" \
  "$PYTHON" -m pytest -v -p no:cacheprovider tests/swarm
say "all checks passed"
