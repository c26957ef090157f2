# SPDX-License-Identifier: GPL-2.0
#
# vgpu top-level Makefile. Each part has its own Makefile; this one only
# delegates. Build outputs go under build/ (BUILD=...).
#
#   make                 module (running kernel's headers), libvgpu, tools
#   make module KVER=v   the module for kernel v, in build/kmod/v/vgpu.ko
#   make lib             libvgpu (build/libvgpu)
#   make tools           vgpuctl, vgpu-exporter (build/tools)
#   make preload         libvgpu-preload.so, vgpu-run (build/preload; needs the
#                        CUDA headers at build time: CUDA_INC=/usr/local/cuda/include)
#   make examples        examples/vgpu-demo (build/examples)
#   make check           every test: host suites + VM suites on each kernel
#   make demo            the main job: VM, guests with quotas, work, the books
#   make check-gpu       libvgpu on a real GPU (tests/gpu/run.sh)
#   make bench           benchmarks (ratios against baselines of the same run)

BUILD ?= $(CURDIR)/build
KVER  ?= $(shell uname -r)
KDIR  ?= /lib/modules/$(KVER)/build
export BUILD

.PHONY: all module lib tools preload examples selftests check demo check-gpu bench deps clean

all: module lib tools

# The module is built from a copy per kernel version so that two kernels'
# objects never mix in the source tree; the copy is private to this build
# and renamed into place when done, so concurrent builds never collide.
module:
	@mkdir -p $(BUILD)/kmod
	@d=$$(mktemp -d "$(BUILD)/kmod/.$(KVER).XXXXXX") && chmod 755 "$$d" && \
	cp -r Kbuild kmod include "$$d/" && \
	{ $(MAKE) -C $(KDIR) M="$$d" W=1 modules || { rm -rf "$$d"; exit 1; }; } && \
	cp "$$d/kmod/vgpu.ko" "$$d/vgpu.ko" && \
	rm -rf "$(BUILD)/kmod/$(KVER)" && mv "$$d" "$(BUILD)/kmod/$(KVER)"

lib:
	$(MAKE) -C libvgpu BUILD=$(BUILD)/libvgpu

tools:
	$(MAKE) -C tools BUILD=$(BUILD)/tools

preload: lib
	$(MAKE) -C preload BUILD=$(BUILD)/preload LIBBUILD=$(BUILD)/libvgpu

examples: lib
	$(MAKE) -C examples BUILD=$(BUILD)/examples

selftests:
	$(MAKE) -C tests/selftests/vgpu BUILD=$(BUILD)/selftests

deps:
	bash scripts/deps.sh

check:
	bash scripts/check.sh

demo:
	bash scripts/demo.sh

check-gpu:
	bash tests/gpu/run.sh

bench:
	bash bench/run.sh

clean:
	rm -rf $(BUILD)
