#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-init-ports.sh: the first init of the debug kernel's VM (scripts/vm-run.sh
# runs it when VGPU_VM_INIT names it; scripts/check-debug.sh does). It makes
# the /dev/virtio-ports/<name> links of the VM's serial ports from sysfs, then
# hands over to virtme-ng's init ($vgpu_next_init, from the kernel command
# line).
#
# Why: virtme-ng's init finds the ports of the command it runs (its stdin,
# stdout, stderr) through those links, which udev makes. Under KASAN and
# lockdep in QEMU's TCG on 2 busy cores, udev did not even answer
# `udevadm settle` within its 120 s, and the VM powered off with "cannot find
# script I/O ports" before running anything. With the links made here, udev
# may be as slow as it likes.
sys=/dev/.vgpu-sysfs
mkdir -p "$sys" /dev/virtio-ports
mount -t sysfs sysfs "$sys"
for _ in $(seq 1200); do
	for p in "$sys"/class/virtio-ports/vport*; do
		[ -r "$p/name" ] || continue
		name=$(< "$p/name")
		[ -n "$name" ] && [ ! -e "/dev/virtio-ports/$name" ] || continue
		ln -s "../${p##*/}" "/dev/virtio-ports/$name"
	done
	all=1
	for name in stdin stdout stderr dev_stdout dev_stderr ret; do
		[ -e "/dev/virtio-ports/virtme.$name" ] || all=0
	done
	[ $all = 0 ] || break
	sleep 0.1
done
umount "$sys"
rmdir "$sys"
exec "${vgpu_next_init:?no vgpu_next_init on the kernel command line}" "$@"
