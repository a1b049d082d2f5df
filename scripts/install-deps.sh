#!/usr/bin/env bash
# Installs the Debian 12 packages fogsched needs to build and test, and only those
# that are missing: a machine that has them all is left untouched (no apt-get update).
#
#   --demo         only what building the fogsched command needs (`make demo`): no
#                  test, benchmark or Python packages, so a first run starts sooner.
#   --bench-live   also the load generator and proxy of `make bench-live` (wrk, nginx).
#                  Debian's nginx package enables its own service on port 80; the
#                  benchmark does not use it (it starts its own nginx on loopback).
#   --fuzz         also the compiler and runtime of `make fuzz` (clang-14, libFuzzer).
#   --test-demo    also what `make test-demo` needs to make a fresh machine (debootstrap).
#   --swarm        also what `make test-swarm` runs: Debian's Docker Engine (docker.io)
#                  and debootstrap, which makes its base image. Installing docker.io
#                  starts no daemon without systemd; the test starts its own.
set -euo pipefail

demo=false
bench_live=false
fuzz=false
swarm=false
test_demo=false
for arg in "$@"; do
  case "$arg" in
    --demo) demo=true ;;
    --bench-live) bench_live=true ;;
    --fuzz) fuzz=true ;;
    --swarm) swarm=true ;;
    --test-demo) test_demo=true ;;
    *) echo "install-deps: unknown option '$arg' (expected --demo, --bench-live, --fuzz, --swarm or --test-demo)" >&2; exit 2 ;;
  esac
done

# The fogsched command: compiler, build tools and the libraries it links.
packages=(
  build-essential cmake ninja-build pkg-config
  libyaml-cpp-dev nlohmann-json3-dev libfmt-dev libboost-dev libcli11-dev libeigen3-dev
  libmimalloc-dev
)
if [[ "$demo" == false ]]; then
  packages+=(
    # The tests and benchmarks; ccache for rebuilds.
    ccache libgtest-dev libgmock-dev googletest libbenchmark-dev
    # The Python module (python/): built for Debian's /usr/bin/python3 and tested
    # with pytest, notebooks run by nbclient, a Dask cluster and headless Chromium.
    python3 python3-dev pybind11-dev python3-numpy python3-pandas python3-matplotlib
    python3-yaml python3-pytest python3-pytest-timeout python3-nbclient python3-nbformat python3-ipykernel
    python3-distributed chromium
    # tests/check_scenario_schema.py: the shipped scenarios against scenarios/schema.json.
    python3-jsonschema
  )
fi
if [[ "$bench_live" == true ]]; then
  packages+=(wrk nginx)
fi
if [[ "$fuzz" == true ]]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi
if [[ "$test_demo" == true ]]; then
  packages+=(debootstrap)
fi
if [[ "$swarm" == true ]]; then
  packages+=(docker.io debootstrap)
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

install_command="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root:" >&2
  echo "  apt-get update && DEBIAN_FRONTEND=noninteractive $install_command" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
$install_command
