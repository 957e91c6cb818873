# minilink: build, built-in images, the demo and the tests. Everything that touches the kernel
# needs root (sudo make …).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
export CGO_ENABLED := 1
# scripts/goflags, for every build and test: the tag seccomp, as libcontainer compiles its seccomp
# support (Docker's default profile) only with it, against libseccomp (Debian: libseccomp-dev),
# and without it every container start would fail; and a static link (netgo and osusergo keep
# glibc's NSS out, libseccomp.a and libc.a come from libseccomp-dev and libc6-dev): the binary
# then starts without the dynamic loader relocating it, some 4 ms off every minilink process and
# every container's init, an eighth of `run --rm` on the bench machine (151.5 to 132.4 ms).
export GOFLAGS := $(shell cat scripts/goflags)
GO ?= go

.PHONY: all build images demo test unit fuzz bench fmt vet clean

all: build

build: minilink

minilink: $(shell find cmd runtime bridge rootfs linker -name '*.go' 2>/dev/null) go.mod go.sum
	$(GO) build -o minilink ./cmd/minilink

# The built-in images (busybox, alpine, redis), made offline from Debian packages, in the root
# MINILINK_ROOT names (default /var/lib/minilink).
images: minilink
	MINILINK=$(CURDIR)/minilink scripts/images.sh

# The links lesson, offline: builds minilink and the images, then replays it step by step.
# DEMO_ARGS=--step pauses between steps. In the Vagrant VM (the repo at /vagrant) the last web app
# keeps running, so that the laptop's browser can show its page.
demo: minilink
	MINILINK=$(CURDIR)/minilink scripts/demo.sh $(if $(filter /vagrant,$(CURDIR)),--keep) $(DEMO_ARGS)

# Static checks of the scripts and the Vagrantfile (shellcheck, vagrant validate), then unit and
# integration tests as root inside a private network and mount namespace, then a leak audit. See
# scripts/check-scripts.sh and scripts/test.sh.
test:
	scripts/check-scripts.sh
	scripts/test.sh

# Unit tests only: no root, no kernel changes.
unit:
	$(GO) test ./...

# The fuzz targets of the --link, -p, --expose, -e and --change parsers and the /etc/hosts rewrite,
# FUZZ_TIME (default 20s) each, one after the other; no root. See scripts/fuzz.sh.
fuzz:
	scripts/fuzz.sh

# The benchmarks of issue 7 (start, link cost, scale, memory, exec and stop, image size, Go
# benchmarks) inside a private network and mount namespace, written to BENCHMARKS.md with the targets
# marked met or not. BENCH_RUNS, BENCH_SCALE, … adjust it: see scripts/bench.sh. MINILINK=PATH
# measures that binary instead of building ./minilink.
bench: $(if $(MINILINK),,minilink)
	scripts/bench.sh >BENCHMARKS.md.tmp || { rm -f BENCHMARKS.md.tmp; exit 1; }
	mv BENCHMARKS.md.tmp BENCHMARKS.md

fmt:
	gofmt -l -w .

vet:
	$(GO) vet ./...

clean:
	rm -f minilink
