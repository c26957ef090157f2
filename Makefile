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
#   make check-debug     the same on a KASAN/lockdep/kmemleak/fault-injection
#                        kernel built once per machine (hours: see README.md)
#   make demo            the main job: VM, guests with quotas, work, the books
#   make check-gpu       libvgpu on a real GPU (tests/gpu/run.sh)
#   make bench           benchmarks (ratios against baselines of the same run)
#   make install         libvgpu, tools, udev rule, sysusers.d, modules-load.d,
#                        exporter unit and default file (DESTDIR, PREFIX, ...)
#   make install-preload libvgpu-preload.so (PREFIX/lib/vgpu), vgpu-run, its man
#                        page and completion (needs the CUDA headers: make preload)
#   make install-dkms    the module's source and dkms.conf in /usr/src/vgpu-VERSION
#   make dist            build/vgpu-VERSION.tar.gz, the source tarball
#   make deb             Debian packages in build/deb (scripts/deb.sh)
#   make lintian         lintian on them (errors and warnings fail)
#   make check-packages  install them (apt-get, DKMS) in a throwaway root and a VM
#                        of each kernel, then purge them (part of make check)

BUILD ?= $(CURDIR)/build
KVER  ?= $(shell uname -r)
KDIR  ?= /lib/modules/$(KVER)/build
export BUILD
VERSION := $(shell cat $(CURDIR)/VERSION)

# What the module is built from (here and by DKMS).
MODULE_SRC := Kbuild kmod include

# Installation directories. udev, systemd and sysusers read only their own
# directories, so those default to where this system's udev/systemd look.
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
pcvar = $(or $(shell pkg-config --variable=$(1) $(2) 2>/dev/null),$(3))
UDEVRULESDIR   ?= $(call pcvar,udevdir,udev,/lib/udev)/rules.d
SYSTEMDUNITDIR ?= $(call pcvar,systemdsystemunitdir,systemd,/lib/systemd/system)
SYSUSERSDIR    ?= $(call pcvar,sysusersdir,systemd,/usr/lib/sysusers.d)
MODULESLOADDIR ?= $(call pcvar,modulesloaddir,systemd,/usr/lib/modules-load.d)
DKMSSRCDIR     ?= /usr/src/vgpu-$(VERSION)
export PREFIX

.PHONY: all module lib tools preload examples selftests check demo check-gpu bench deps clean \
	install install-lib install-tools install-system install-dkms install-preload dist deb lintian \
	check-packages

all: module lib tools

# The module is built from a copy per kernel version so that two kernels'
# objects never mix in the source tree; the copy is private to this build
# and renamed into place when done, so concurrent builds never collide.
module:
	@mkdir -p $(BUILD)/kmod
	@d=$$(mktemp -d "$(BUILD)/kmod/.$(KVER).XXXXXX") && chmod 755 "$$d" && \
	cp -r $(MODULE_SRC) "$$d/" && \
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

check-debug:
	bash scripts/check-debug.sh

demo:
	bash scripts/demo.sh

check-gpu:
	bash tests/gpu/run.sh

bench:
	bash bench/run.sh

install: install-lib install-tools install-system

install-lib: lib
	$(MAKE) -C libvgpu install BUILD=$(BUILD)/libvgpu

install-tools: tools
	$(MAKE) -C tools install BUILD=$(BUILD)/tools

install-system:
	install -D -m 0644 system/60-vgpu.rules $(DESTDIR)$(UDEVRULESDIR)/60-vgpu.rules
	install -D -m 0644 system/vgpu.sysusers $(DESTDIR)$(SYSUSERSDIR)/vgpu.conf
	install -D -m 0644 system/modules-load.conf $(DESTDIR)$(MODULESLOADDIR)/vgpu.conf
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/default
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		system/vgpu-exporter.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/vgpu-exporter.service
	install -m 0644 system/vgpu-exporter.default $(DESTDIR)$(SYSCONFDIR)/default/vgpu-exporter

# vgpu-run finds the library at ../lib/vgpu/ from its own directory, so the
# preload keeps PREFIX/lib (no multiarch LIBDIR).
install-preload: preload
	$(MAKE) -C preload install BUILD=$(BUILD)/preload LIBBUILD=$(BUILD)/libvgpu LIBDIR=$(PREFIX)/lib

# The module's source for DKMS; then "dkms install vgpu/$(VERSION)".
install-dkms:
	install -d $(DESTDIR)$(DKMSSRCDIR)
	cp -r $(MODULE_SRC) $(DESTDIR)$(DKMSSRCDIR)/
	sed 's/#MODULE_VERSION#/$(VERSION)/' system/dkms.conf > $(DESTDIR)$(DKMSSRCDIR)/dkms.conf

dist:
	bash scripts/dist.sh

deb:
	bash scripts/deb.sh

lintian:
	bash scripts/deb.sh --lintian

check-packages:
	bash scripts/check-packages.sh

clean:
	rm -rf $(BUILD)
