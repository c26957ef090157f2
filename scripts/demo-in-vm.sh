#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the VM (started by scripts/demo.sh through vm-run.sh).
set -uo pipefail

ctl=$BUILD/tools/vgpuctl
demo=$BUILD/examples/vgpu-demo
export VGPU_CACHE_DIR=/tmp/vgpu-cache
export LD_LIBRARY_PATH=$BUILD/libvgpu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fail=0

say() { printf '\n=== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

insmod "$BUILD/kmod/$KVER/vgpu.ko" || { echo "demo: insmod failed"; exit 1; }
echo "kernel $(uname -r): vgpu.ko loaded, $(ls -l /dev/vgpu)"

say "An administrator creates two guests with different quotas"
run "$ctl" guest add vm-large mem 64M pinned 16M contexts 4 compute 60 || fail=1
run "$ctl" guest add vm-small mem 2M pinned 1M contexts 2 compute 20 || fail=1
run "$ctl" guest list

"$ctl" -j monitor > /tmp/vgpu-events 2>&1 &
mon=$!
sleep 1

say "vm-large runs saxpy + a shared-memory reduction on 1M floats (3 x 4 MiB buffers)"
run "$demo" vm-large 1048576 || fail=1

say "vm-small asks for the same work; its policy says fail: the kernel refuses at the 2 MiB quota"
run "$demo" vm-small 1048576 none
rc=$?
[ $rc = 3 ] && echo "(refused cleanly, exit status 3)" || { echo "demo: expected a refusal, got $rc"; fail=1; }

say "vm-small again, policy: fall back to the CPU when the quota refuses"
run "$demo" vm-small 1048576 quota || fail=1

say "vm-small with work that fits its quota (64K floats)"
run "$demo" vm-small 65536 none || fail=1

say "GPU time: both guests launch for 6 s at once, taking the device in turns; compute 60 % and 20 % of each 100 ms"
"$demo" vm-large 4096 share 6 > /tmp/share-large 2>&1 &
large=$!
"$demo" vm-small 4096 share 6 > /tmp/share-small 2>&1 &
small=$!
# once both have had a full second of it, the kernel's view (vgpuctl)
for _ in $(seq 1 300); do
	n=$("$ctl" -j guest list | grep -Eo '"share_second":[1-9]' | wc -l)
	[ "$n" -ge 2 ] && break
	kill -0 "$large" 2>/dev/null || kill -0 "$small" 2>/dev/null || break
	sleep 0.2
done
say "Meanwhile, what the kernel measured: each guest's share of the device in its last period and the last second"
run "$ctl" guest list
wait "$small" || fail=1
wait "$large" || fail=1
say "What each guest's sessions measured (libvgpu's statistics)"
grep -h 'device time' /tmp/share-large /tmp/share-small || { cat /tmp/share-large /tmp/share-small; fail=1; }

say "The books (kept by the kernel; every session has closed, so nothing is in use; THROTTLED: the time each waited for its share)"
run "$ctl" guest show vm-large
run "$ctl" guest show vm-small
run "$ctl" stats

sleep 1
kill "$mon" 2>/dev/null
wait "$mon" 2>/dev/null
say "Events seen by 'vgpuctl monitor' meanwhile"
cat /tmp/vgpu-events

say "Clean up"
run "$ctl" guest del vm-large || fail=1
run "$ctl" guest del vm-small || fail=1
rmmod vgpu || fail=1
if dmesg | grep -E 'BUG:|WARNING:|Call Trace' ; then
	echo "demo: the kernel log has errors"
	fail=1
fi
[ $fail = 0 ] && echo "demo: done" || echo "demo: something went wrong (see above)"
exit $fail
