#!/usr/bin/env bash
# `make test-demo`: the README's first command on a fresh machine. A Debian 12
# minbase root (scripts/debian-minbase.sh) with only `make` added stands for a
# machine on which nothing is installed; a clean clone of this repository's HEAD
# runs `make demo` in it, as root, through chroot. Prints how long each of the demo's
# steps took (packages, build, run) and checks what it printed: the comparison
# within 120 columns, the next steps, and the report it names.
#
# Needs root. Kept in build/test-demo between runs: only the base tarball; the
# machine itself is unpacked anew and removed on any exit.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=$REPO/build/test-demo
BASE_TAR=$REPO/build/debian-bookworm-minbase.tar
ROOT=$STATE/machine
LOG=$STATE/demo.log

started=$SECONDS
say() { echo "test-demo [$((SECONDS - started)) s]: $*"; }
fail() { echo "test-demo: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "needs root (chroot)"
"$REPO/scripts/install-deps.sh" --test-demo
mkdir -p "$STATE"

mounted=()
tear_down() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  rm -rf "$ROOT"
}
trap tear_down EXIT

"$REPO/scripts/debian-minbase.sh" "$BASE_TAR"
rm -rf "$ROOT"
mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$BASE_TAR"
for fs in proc sys dev; do
  mount --rbind "/$fs" "$ROOT/$fs"
  mounted+=("$ROOT/$fs")
done
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
git clone -q --no-local "$REPO" "$ROOT/root/fogsched"
in_machine() { chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

say "the machine's only addition: make"
in_machine bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make >/dev/null' ||
  fail "could not install make in the machine"

say "make demo in a clean clone of $(git -C "$REPO" rev-parse --short HEAD)"
# Each line of the demo's output with the seconds since it began, so the steps' times
# can be read off the "==> " lines the Makefile prints.
demo_start=$SECONDS
set +e
in_machine bash -c 'cd /root/fogsched && make demo' 2>&1 |
  while IFS= read -r line; do printf '%5d %s\n' $((SECONDS - demo_start)) "$line"; done > "$LOG"
status=${PIPESTATUS[0]}
set -e
demo_seconds=$((SECONDS - demo_start))
[[ $status -eq 0 ]] || { tail -n 40 "$LOG"; fail "make demo failed with status $status: see $LOG"; }

step_start() { awk -v step="==> $1/" '$2 == "==>" && index(substr($0, 7), step) == 1 {print $1; exit}' "$LOG"; }
packages=$(step_start 1)
build=$(step_start 2)
run=$(step_start 3)
say "make demo took ${demo_seconds} s: packages $((build - packages)) s, build $((run - build)) s," \
  "run $((demo_seconds - run)) s (2 cores: $(nproc) here; load average $(cut -d' ' -f1-3 /proc/loadavg))"

# What the user sees after the run: the table, its legend and the next steps.
output=$(awk -v from="$run" '$1 >= from' "$LOG" | cut -c7-)
grep -q '^policy  .*rejection' <<<"$output" || fail "no comparison table in the demo's output: see $LOG"
grep -q '^Next: ' <<<"$output" || fail "no next steps after the table: see $LOG"
widest=$(LC_ALL=C.UTF-8 wc -L <<<"$output")   # display columns (± is one)
[[ $widest -le 120 ]] || fail "the demo's output is $widest columns wide (more than 120): see $LOG"
report=$(sed -n 's/^Next: \([^ ]*\.html\) is .*/\1/p' <<<"$output")
[[ -z $report || -s $ROOT/root/fogsched/$report ]] || fail "the report the demo names ($report) was not written"
say "ok: table and next steps within $widest columns, $report written"
