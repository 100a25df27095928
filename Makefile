# sslkit: a thin front over CMake. `make run` and `make test` work on a fresh
# Debian 12 machine: they install what is missing first.

BUILD ?= build
JOBS ?= 2
DEMO ?= demo

# Every Debian package the build and the tests use. OpenCV is its three
# -dev parts, not libopencv-dev, which pulls every module (ffmpeg, VTK, GUI:
# about 200 packages sslkit never links; cmake/sslkitOpenCV.cmake finds them).
PACKAGES := build-essential cmake pkg-config zlib1g-dev \
  libcli11-dev libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev \
  libsndfile1-dev libhdf5-dev hdf5-tools libdnnl-dev \
  doctest-dev libsentencepiece-dev libicu-dev libsoxr-dev nlohmann-json3-dev libssl-dev \
  python3-h5py python3-numpy python3-onnx time help2man bash-completion \
  fortunes espeak-ng libopenmpi-dev openmpi-bin
# The demo's datasets besides (make run only): Fashion-MNIST, spoken digits'
# voices, and the dictionaries of the text corpus.
DEMO_PACKAGES := dataset-fashion-mnist pocketsphinx-testdata dict-gcide dict-foldoc dict-jargon dict-devil
# The PyTorch peer for side-by-side benchmarks (make bench only).
BENCH_PACKAGES := python3-torch python3-torchvision python3-sklearn libopenblas0-openmp hyperfine

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# $(call install_missing,PACKAGES): apt-get install those not installed yet.
install_missing = missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

.PHONY: all deps demo-deps bench-deps build test run bench install clean fuzz sanitize sanitize-unit

all: build

deps:
	@$(call install_missing,$(PACKAGES))

demo-deps: deps
	@$(call install_missing,$(DEMO_PACKAGES))

bench-deps: demo-deps
	@$(call install_missing,$(BENCH_PACKAGES))

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The demo pipeline on the default datasets.
# DEMO_BUDGET: seconds of image pretraining in the demo (EMP-SSL, the default), DEMO_TEXT_BUDGET of
# text pretraining on the demo corpus (skip-gram, the default) (about 19 minutes of make run in all
# at 600 and 180; the benchmark figures use 1200; 30 and 20 are a smoke run).
DEMO_BUDGET ?= 600
DEMO_TEXT_BUDGET ?= 180

run: build demo-deps
	BIN=$(BUILD) bash data/make-demo-datasets.sh $(DEMO)
	BIN=$(BUILD) DEMO_BUDGET=$(DEMO_BUDGET) DEMO_TEXT_BUDGET=$(DEMO_TEXT_BUDGET) bash data/demo.sh $(DEMO)

# Tools, library, headers, CMake package, pkg-config file, man pages and bash
# completion under PREFIX; DESTDIR stages them (make install DESTDIR=/tmp/stage).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build bench-deps
	BIN=$(BUILD) bash bench/run.sh

# The fuzz targets of tests/fuzz (libFuzzer, everything under ASan and
# UBSan; clang from Debian), FUZZ_SECONDS each (FUZZ_TARGETS: some of them).
# A crash's input is kept in build-fuzz/fuzz/crashes/; once fixed, it goes to
# tests/fuzz/regressions/TARGET/, replayed by every `make test`.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: deps
	@$(call install_missing,clang libomp-dev bc)
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSSLKIT_FUZZ=ON
	cmake --build build-fuzz -j$(JOBS) --target $(if $(FUZZ_TARGETS),$(addprefix fuzz_,$(FUZZ_TARGETS)),$(basename $(notdir $(wildcard tests/fuzz/fuzz_*.cpp))))
	bash tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer
# (a separate build in build-sanitize; about three times the time of make test).
sanitize: deps
	cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSLKIT_SANITIZE=address,undefined
	cmake --build build-sanitize -j$(JOBS)
	cd build-sanitize && ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=0} UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	  ctest --output-on-failure -j$(JOBS) $(SANITIZE_CTEST_ARGS)

# The unit tests (and the fuzz replays) under ASan and UBSan, built with
# clang (several times faster to build with sanitizers than GCC here): what CI
# runs after make test. The whole suite under them is make sanitize.
sanitize-unit: deps
	@$(call install_missing,clang libomp-dev)
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1" -DSSLKIT_SANITIZE=address,undefined
	cmake --build build-asan -j$(JOBS) --target unit_tests $(addprefix replay_,$(basename $(notdir $(subst fuzz_,,$(wildcard tests/fuzz/fuzz_*.cpp)))))
	cd build-asan && ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=0} UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	  OMP_NUM_THREADS=1 ctest --output-on-failure -j$(JOBS) -E '^(cli|mpi)\.'

clean:
	rm -rf $(BUILD)
