# Thin wrapper over CMake. `make demo` and `make test` are the two set-up commands of README.md.
BUILD_DIR   ?= build
BENCH_DIR   ?= build-release
PACKAGE_DIR ?= build-package
ASAN_DIR    ?= build-asan
TSAN_DIR    ?= build-tsan
FUZZ_SECONDS ?= 30
BUILD_TYPE  ?= RelWithDebInfo
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=
DEMO_STATE  := .state/demo
MAKEFLAGS   += --no-print-directory

.PHONY: all deps build demo test fuzz asan-build chaos bench package clean

# The sanitizer and fuzzing builds: clang, ninja, -O1, line tables for the reports.
CLANG_CMAKE = CC=clang CXX=clang++ cmake -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	"-DCMAKE_CXX_FLAGS=-O1 -gline-tables-only" "-DCMAKE_C_FLAGS=-O1 -gline-tables-only"
# The threaded parts (libuv's workers under the buffer, delivery, the tail input and the
# engine), run again under ThreadSanitizer.
TSAN_TESTS = test_buffer test_batch_delivery test_in_tail test_engine

all: build

deps:
	@bash packaging/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Reads the bundled samples from their start, prints every normalized document and exits.
# DEMO_FOLLOW=1 keeps tailing instead (Ctrl-C stops it).
demo: build
	@rm -rf $(DEMO_STATE)
	./$(BUILD_DIR)/auditrelay run -c conf/demo.yaml $(if $(DEMO_FOLLOW),,--once)
	@echo "demo: the same documents are in $(DEMO_STATE)/documents.ndjson and $(DEMO_STATE)/documents.bulk"

# Every test, built with clang's AddressSanitizer and UndefinedBehaviorSanitizer (and the
# coverage the fuzz targets need); then each fuzz target for FUZZ_SECONDS, and the threaded
# parts again under ThreadSanitizer. `make build` and `make demo` use the plain build.
test: asan-build
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600
	FUZZ_JOBS=$(JOBS) bash tests/fuzz/run.sh $(ASAN_DIR) $(FUZZ_SECONDS)
	@$(CLANG_CMAKE) -S . -B $(TSAN_DIR) -DAUDITRELAY_SANITIZE=thread >/dev/null
	@cmake --build $(TSAN_DIR) -j $(JOBS) --target $(TSAN_TESTS)
	cd $(TSAN_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600 \
		-R '^($(subst $(subst ,, ),|,$(strip $(TSAN_TESTS))))$$'

# The fuzz targets for longer (FUZZ_SECONDS each; default 10 minutes).
fuzz: FUZZ_SECONDS = 600
fuzz: asan-build
	bash tests/fuzz/run.sh $(ASAN_DIR) $(FUZZ_SECONDS)

asan-build: deps
	@$(CLANG_CMAKE) -S . -B $(ASAN_DIR) -DAUDITRELAY_SANITIZE=address,undefined \
		-DAUDITRELAY_FUZZ=ON >/dev/null
	@cmake --build $(ASAN_DIR) -j $(JOBS)

# The chaos suite at length (tests/chaos/README.md); `make test` runs it briefly.
chaos: build
	./$(BUILD_DIR)/tests/chaos/auditrelay_chaos --long

bench: deps
	@cmake -S . -B $(BENCH_DIR) -DCMAKE_BUILD_TYPE=Release -DAUDITRELAY_BUILD_TESTS=ON >/dev/null
	@cmake --build $(BENCH_DIR) -j $(JOBS)
	bash tests/bench/run.sh $(BENCH_DIR) $(BENCH_ARGS)

# The .deb (README.md "Install as a service"): a Release build of its own, then CPack.
package: deps
	@cmake -S . -B $(PACKAGE_DIR) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
		-DAUDITRELAY_BUILD_TESTS=OFF "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-z,relro,-z,now" >/dev/null
	@cmake --build $(PACKAGE_DIR) -j $(JOBS)
	cd $(PACKAGE_DIR) && cpack -G DEB
	@ls -1 $(PACKAGE_DIR)/auditrelay_*.deb

clean:
	rm -rf $(BUILD_DIR) $(BENCH_DIR) $(PACKAGE_DIR) $(ASAN_DIR) $(TSAN_DIR) .state
