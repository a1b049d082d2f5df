# fogsched: `make demo` and `make test` set everything up on a fresh Debian 12 (as root).

BUILD_DIR      := build
ASAN_BUILD_DIR := build-asan
TSAN_BUILD_DIR := build-tsan
FUZZ_BUILD_DIR := build-fuzz
JOBS           := $(shell nproc 2>/dev/null || echo 2)
# Debian's interpreter: the one the module is built for and python3-* installs into.
PYTHON         := /usr/bin/python3
comma          := ,

# configure(dir, build type, extra flags): Ninja when available, for a new build dir
# only (CMake refuses to switch the generator of an existing one).
define configure
	generator=""; \
	if [ ! -f $(1)/CMakeCache.txt ] && command -v ninja >/dev/null 2>&1; then generator="-G Ninja"; fi; \
	cmake -S . -B $(1) $$generator -DCMAKE_BUILD_TYPE=$(2) $(3)
endef

.PHONY: deps build demo live-demo install check-policy test test-python test-asan test-tsan bench clean

# Everything: the command, the tests, the benchmarks and the Python module. Named
# on every configure, since `make demo` configures the same build without them.
FULL_BUILD := -DFOGSCHED_BUILD_TESTS=ON -DFOGSCHED_BUILD_BENCH=ON -DFOGSCHED_BUILD_PYTHON=ON
DEMO_BUILD := -DFOGSCHED_BUILD_TESTS=OFF -DFOGSCHED_BUILD_BENCH=OFF -DFOGSCHED_BUILD_PYTHON=OFF

deps:
	./scripts/install-deps.sh

build: deps
	$(call configure,$(BUILD_DIR),Release,$(FULL_BUILD))
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The first run: only the packages and the target the command needs, each step
# announced, then the comparison of the city scenario and where to go next.
DEMO_SCENARIO := scenarios/city-default.yaml
DEMO_REPORT   := $(BUILD_DIR)/demo-report.html
step = @printf '\n==> %s\n' "$(1)"

demo:
	$(call step,1/3 packages the command needs (scripts/install-deps.sh --demo))
	./scripts/install-deps.sh --demo
	$(call step,2/3 building the fogsched command (Release$(comma) $(BUILD_DIR)/))
	if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then $(call configure,$(BUILD_DIR),Release,$(DEMO_BUILD)); fi
	cmake --build $(BUILD_DIR) -j $(JOBS) --target fogsched
	$(call step,3/3 every built-in policy on $(DEMO_SCENARIO))
	$(BUILD_DIR)/cli/fogsched run $(DEMO_SCENARIO) --report $(DEMO_REPORT)
	@echo
	@echo "Next: $(DEMO_REPORT) is this comparison with charts (fogsched run SCENARIO --report FILE);"
	@echo "      python/notebooks/compare_policies.ipynb makes your own plots; docs/policies.md shows how to write"
	@echo "      a policy; docs/live.md runs one beside OpenFaaS (make live-demo replays a scenario on local nodes)."

# The command, the policy SDK (headers, libraries, the CMake package fogsched) and
# the Python package; `make install PREFIX=/opt/fogsched DESTDIR=/tmp/stage` as usual.
PREFIX ?= /usr/local
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR) --prefix "$(PREFIX)"

# The conformance suite on any policy: the simulator and live mode must make the
# same queries, effects and decisions for it, call by call. POLICY lists specs
# (';' between them), PLUGINS the plugin files they come from (':' between them):
#   make check-policy POLICY='ring(threshold=2)' PLUGINS=$PWD/my-policy/build/ring.so
check-policy: build
	FOGSCHED_CHECK_PLUGINS="$(PLUGINS)" FOGSCHED_CHECK_POLICIES="$(POLICY)" \
	  $(BUILD_DIR)/tests/policy_conformance_test --gtest_filter='given/*'

# The embedded live demo: the scenario simulated, then replayed against eight
# `fogsched host` + `fogsched serve` pairs on loopback, compared metric by metric.
live-demo: build
	FOGSCHED_CLI=$(CURDIR)/$(BUILD_DIR)/cli/fogsched $(PYTHON) live/scripts/live_demo.py scenarios/live-demo.yaml \
	  --out $(BUILD_DIR)/live-demo

# pytest of the Python module (python/tests) and of live mode's processes and
# deploy files (tests/live), against the build in $(BUILD_DIR).
PYTEST_ENV := PYTHONPATH=$(CURDIR)/$(BUILD_DIR)/python FOGSCHED_CLI=$(CURDIR)/$(BUILD_DIR)/cli/fogsched
PYTEST := $(PYTEST_ENV) $(PYTHON) -m pytest python/tests && $(PYTEST_ENV) $(PYTHON) -m pytest tests/live

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2
	$(PYTEST)

test-python: build
	$(PYTEST)

# live/deploy/ for real (docs/deployment.md, section 7): a private Docker daemon,
# a Debian 12 base image from the mirror, the image built from live/deploy/Dockerfile,
# the Swarm stack deployed for two cameras beside a stand-in OpenFaaS and checked by
# tests/swarm, then everything torn down. As root; keeps its caches in build/swarm.
.PHONY: test-swarm
test-swarm:
	./scripts/test-swarm.sh

# `make demo` on a fresh machine: a Debian 12 minbase root with only `make` added,
# a clean clone of HEAD in it, `make demo` through chroot; prints the time of each
# step and checks the output's width, next steps and report. As root.
.PHONY: test-demo
test-demo:
	./scripts/test-demo.sh

test-asan: deps
	$(call configure,$(ASAN_BUILD_DIR),Debug,-DFOGSCHED_SANITIZE=address -DFOGSCHED_BUILD_PYTHON=OFF)
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD_DIR) --output-on-failure -j2

# Live mode under ThreadSanitizer, in build-tsan: the live suites (ctest label
# `live`), then the faults-under-load test against that build's `fogsched`. Only
# those targets are built. A report fails the run (TSan's exit status 66; the faults
# test reads every process's stderr). Nothing is suppressed.
LIVE_TESTS := $(basename $(notdir $(wildcard tests/live_*_test.cpp)))
TSAN_ENV   := TSAN_OPTIONS="second_deadlock_stack=1"

test-tsan: deps
	$(call configure,$(TSAN_BUILD_DIR),RelWithDebInfo,-DFOGSCHED_SANITIZE=thread -DFOGSCHED_BUILD_PYTHON=OFF -DFOGSCHED_BUILD_BENCH=OFF)
	cmake --build $(TSAN_BUILD_DIR) -j $(JOBS) --target fogsched $(LIVE_TESTS)
	$(TSAN_ENV) ctest --test-dir $(TSAN_BUILD_DIR) -L live --output-on-failure -j2
	$(TSAN_ENV) FOGSCHED_CLI=$(CURDIR)/$(TSAN_BUILD_DIR)/cli/fogsched $(PYTHON) -m pytest tests/live/test_faults.py

# Benchmarks (bench/README.md), in a Release build: the micro-benchmarks, then the
# macro benchmark (reference scenarios, scaling series, 1-vs-2 threads check).
MICRO_BENCHMARKS := bench_engine bench_memory bench_traffic bench_policies bench_optimal bench_learning bench_azure

bench: deps
	$(call configure,$(BUILD_DIR),Release,$(FULL_BUILD))
	cmake --build $(BUILD_DIR) -j $(JOBS) --target $(MICRO_BENCHMARKS) bench_macro
	for benchmark in $(MICRO_BENCHMARKS); do $(BUILD_DIR)/bench/$$benchmark || exit 1; done
	$(BUILD_DIR)/bench/bench_macro --all

# The live node's overhead on loopback (bench/README.md, "Live overhead"): latency
# added over calling the host directly and through nginx, throughput with `local`
# and `power_of_d`, 1 000 connections. Installs wrk and nginx when missing.
bench-live:
	./scripts/install-deps.sh --bench-live
	$(call configure,$(BUILD_DIR),Release,$(FULL_BUILD))
	cmake --build $(BUILD_DIR) -j $(JOBS) --target fogsched bench_live_latency
	$(PYTHON) bench/live/bench_live.py --build-dir $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(TSAN_BUILD_DIR) $(FUZZ_BUILD_DIR)

# libFuzzer targets (fuzz/, docs/building.md "Fuzzing"), built by clang-14 with
# ASan and UBSan in $(FUZZ_BUILD_DIR); each runs FUZZ_SECONDS on a working corpus,
# $(FUZZ_BUILD_DIR)/corpus/TARGET, seeded from the checked-in fuzz/corpus/TARGET.
# `make fuzz-merge` adds the working inputs that reach new code to fuzz/corpus.
# FUZZ_TARGETS picks some: `make fuzz FUZZ_TARGETS=fuzz_units FUZZ_SECONDS=600`.
.PHONY: fuzz fuzz-build fuzz-merge
FUZZ_SECONDS := 60
FUZZ_TARGETS := fuzz_scenario fuzz_node_config fuzz_host_config fuzz_units fuzz_node_http
# A found crash stops the run; its input is saved as $(FUZZ_BUILD_DIR)/artifacts/TARGET/crash-*.
FUZZ_FLAGS = -timeout=30 -rss_limit_mb=4096 -artifact_prefix=$(FUZZ_BUILD_DIR)/artifacts/$$target/ \
  $$(if [ -f fuzz/$$target.dict ]; then echo -dict=fuzz/$$target.dict; fi)

FUZZ_CMAKE_FLAGS := -DFOGSCHED_FUZZ=ON -DFOGSCHED_BUILD_PYTHON=OFF -DFOGSCHED_BUILD_BENCH=OFF -DFOGSCHED_MIMALLOC=OFF

fuzz-build:
	./scripts/install-deps.sh --fuzz
	export CC=clang-14 CXX=clang++-14; $(call configure,$(FUZZ_BUILD_DIR),RelWithDebInfo,$(FUZZ_CMAKE_FLAGS))
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target $(FUZZ_TARGETS)

fuzz: fuzz-build
	for target in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD_DIR)/corpus/$$target $(FUZZ_BUILD_DIR)/artifacts/$$target && \
	  $(FUZZ_BUILD_DIR)/fuzz/$$target -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
	    $(FUZZ_BUILD_DIR)/corpus/$$target fuzz/corpus/$$target || exit 1; \
	done

fuzz-merge: fuzz-build
	for target in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD_DIR)/corpus/$$target $(FUZZ_BUILD_DIR)/artifacts/$$target && \
	  $(FUZZ_BUILD_DIR)/fuzz/$$target -merge=1 $(FUZZ_FLAGS) fuzz/corpus/$$target $(FUZZ_BUILD_DIR)/corpus/$$target || exit 1; \
	done

# Style and static checks over the C++ sources: clang-format in check mode on every
# tracked source (.clang-format), then clang-tidy (.clang-tidy) on every translation
# unit of the compile database of $(BUILD_DIR). Fails when either reports anything.
# Boost 1.74's Asio enables co_await under clang only with libc++; clang with
# libstdc++ supports it too, so clang-tidy is told (the build uses GCC).
.PHONY: lint
CLANG_FORMAT := clang-format-14
CLANG_TIDY   := clang-tidy-14
RUN_CLANG_TIDY := run-clang-tidy-14

lint:
	git ls-files '*.cpp' '*.h' | xargs $(CLANG_FORMAT) --dry-run -Werror
	$(call configure,$(BUILD_DIR),Release,$(FULL_BUILD) -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)
	$(RUN_CLANG_TIDY) -p $(BUILD_DIR) -clang-tidy-binary $(CLANG_TIDY) -quiet -j $(JOBS) \
	  -extra-arg=-Wno-unknown-warning-option -extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1
