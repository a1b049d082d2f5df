#!/usr/bin/env bash
# Runs every shipped scenario (scenarios/ and bench/scenarios/) once with its own seed
# and writes what came out to OUTDIR: NAME.json (`fogsched run --json`) and
# NAME.trace.sha256 (a digest of the per-invocation trace). Two trees give
# byte-identical results when `diff -r` of their OUTDIRs is empty:
#
#   scripts/golden-runs.sh build/cli/fogsched /tmp/before   # on the old tree
#   scripts/golden-runs.sh build/cli/fogsched /tmp/after    # on the new tree
#   diff -r /tmp/before /tmp/after
#
# Long scenarios run for a shorter --duration (the table below), so the whole set
# takes a few minutes on one core.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 FOGSCHED_BINARY OUTDIR" >&2
  exit 2
fi
fogsched=$1
out=$2
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$out"

# Scenario -> --duration for the ones whose own duration would take minutes.
declare -A shorter=(
  [city-rush-hour]=10min
  [empirical-service]=20min
  [city-1k]=2min
  [city-1k-policies]=2min
  [city-25k]=10s
  [queue-heavy]=2min
)

for scenario in "$top"/scenarios/*.yaml "$top"/bench/scenarios/*.yaml; do
  name=$(basename "$scenario" .yaml)
  args=(run "$scenario" --json --threads 1 --trace "$out/$name.trace.csv")
  [[ -n "${shorter[$name]:-}" ]] && args+=(--duration "${shorter[$name]}")
  "$fogsched" "${args[@]}" >"$out/$name.json"
  sha256sum <"$out/$name.trace.csv" | cut -d' ' -f1 >"$out/$name.trace.sha256"
  rm "$out/$name.trace.csv"
  echo "golden-runs: $name"
done
