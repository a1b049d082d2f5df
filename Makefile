# fogsched: `make demo` and `make test` set everything up on a fresh Debian 12 (as root).

BUILD_DIR      := build
ASAN_BUILD_DIR := build-asan
JOBS           := $(shell nproc 2>/dev/null || echo 2)

# configure(dir, build type, extra flags): Ninja when available, for a new build dir
# only (CMake refuses to switch the generator of an existing one).
define configure
	generator=""; \
	if [ ! -f $(1)/CMakeCache.txt ] && command -v ninja >/dev/null 2>&1; then generator="-G Ninja"; fi; \
	cmake -S . -B $(1) $$generator -DCMAKE_BUILD_TYPE=$(2) $(3)
endef

.PHONY: deps build demo test test-asan bench clean

deps:
	./scripts/install-deps.sh

build: deps
	$(call configure,$(BUILD_DIR),Release,)
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	$(BUILD_DIR)/cli/fogsched run scenarios/city-default.yaml

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

test-asan: deps
	$(call configure,$(ASAN_BUILD_DIR),Debug,-DFOGSCHED_SANITIZE=ON)
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD_DIR) --output-on-failure -j2

# Benchmarks are built with everything else; this runs the ones that exist.
bench: build
	@found=0; \
	for benchmark in $(BUILD_DIR)/bench/bench_*; do \
	  if [ -x "$$benchmark" ]; then found=1; "$$benchmark"; fi; \
	done; \
	if [ $$found -eq 0 ]; then echo "bench: no benchmarks yet (see bench/CMakeLists.txt)"; fi

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)
