# Thin wrapper over CMake. `make demo` and `make test` are the two set-up commands of README.md.
BUILD_DIR   ?= build
BENCH_DIR   ?= build-release
PACKAGE_DIR ?= build-package
BUILD_TYPE  ?= RelWithDebInfo
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=
DEMO_STATE  := .state/demo
MAKEFLAGS   += --no-print-directory

.PHONY: all deps build demo test bench package clean

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

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

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
	rm -rf $(BUILD_DIR) $(BENCH_DIR) $(PACKAGE_DIR) .state
