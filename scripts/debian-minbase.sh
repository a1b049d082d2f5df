#!/usr/bin/env bash
# A Debian 12 (bookworm) root file system as a tarball, made by debootstrap
# (variant minbase) from the mirror apt uses on this machine, with the apt settings
# of Debian's official images (tests/swarm/apt-docker-clean.conf) and no package
# lists: a machine on which nothing has been installed yet. Kept when it exists.
#
#   scripts/debian-minbase.sh OUT.tar
#
# Used by `make test-swarm` (the base image) and `make test-demo` (a fresh machine).
# FOGSCHED_DEBIAN_MIRROR overrides the mirror. Needs root and debootstrap.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "${1:?usage: scripts/debian-minbase.sh OUT.tar}")
[[ -f $out ]] && exit 0
cd "$REPO"

debian_mirror() {  # the mirror apt uses for Debian itself
  local uri
  uri=$(sed -n 's|^URIs:[[:space:]]*\([^[:space:]]*/debian\)/\{0,1\}[[:space:]]*$|\1|p' \
          /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
  [[ -n $uri ]] || uri=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  echo "${uri:-http://deb.debian.org/debian}"
}

mirror=${FOGSCHED_DEBIAN_MIRROR:-$(debian_mirror)}
echo "debian-minbase: debootstrap bookworm from $mirror"
rootfs=$(mktemp -d "$(dirname "$out")/rootfs.XXXXXX")
chmod 755 "$rootfs"   # the root of a machine, not a private temporary directory
trap 'rm -rf "$rootfs" "$out.part"' EXIT
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$out.log" 2>&1 ||
  { echo "debian-minbase: debootstrap failed: see $out.log" >&2; exit 1; }
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/*
cp tests/swarm/apt-docker-clean.conf "$rootfs"/etc/apt/apt.conf.d/docker-clean
tar -C "$rootfs" -c . > "$out.part"
mv "$out.part" "$out"
