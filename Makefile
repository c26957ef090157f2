# SPDX-License-Identifier: GPL-2.0
#
# vgpu top-level Makefile. Each part has its own Makefile; this one only
# delegates. Build outputs go under build/ (BUILD=...).
#
#   make                 module (running kernel's headers), libvgpu, tools
#   make module KVER=v   the module for kernel v, in build/kmod/v/vgpu.ko
#   make lib             libvgpu (build/libvgpu)
#   make tools           vgpuctl, vgpu-exporter (build/tools)
#   make examples        examples/vgpu-demo (build/examples)
#   make check           every test: host suites + VM suites on each kernel
#   make demo            the main job: VM, guests with quotas, work, the books
#   make check-gpu       libvgpu on a real GPU (tests/gpu/run.sh)
#   make bench           benchmarks (ratios against baselines of the same run)

BUILD ?= $(CURDIR)/build
KVER  ?= $(shell uname -r)
KDIR  ?= /lib/modules/$(KVER)/build
export BUILD

.PHONY: all module lib tools examples selftests check demo check-gpu bench deps clean

all: module lib tools

# The module is built from a copy per kernel version so that two kernels'
# objects never mix in the source tree.
module:
	@rm -rf $(BUILD)/kmod/$(KVER) && mkdir -p $(BUILD)/kmod/$(KVER)
	@cp -r Kbuild kmod include $(BUILD)/kmod/$(KVER)/
	$(MAKE) -C $(KDIR) M=$(BUILD)/kmod/$(KVER) W=1 modules
	@cp $(BUILD)/kmod/$(KVER)/kmod/vgpu.ko $(BUILD)/kmod/$(KVER)/vgpu.ko

lib:
	$(MAKE) -C libvgpu BUILD=$(BUILD)/libvgpu

tools: lib
	$(MAKE) -C tools BUILD=$(BUILD)/tools

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
