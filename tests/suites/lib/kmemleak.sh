# SPDX-License-Identifier: GPL-2.0
#
# tests/suites/lib/kmemleak.sh - kmemleak around a VM suite (the debug kernel
# of `make check-debug` has it; Debian's kernels do not: a SKIP). Source it
# after tap.sh:
#
#   kmemleak_begin              forget what boot and earlier suites left
#   ... the suite ...
#   kmemleak_check WHAT         one TAP line: no unreferenced object since
#
# kmemleak reports an object only once it is older than 5 s and unchanged
# between two scans: kmemleak_check waits, then scans twice. Any report
# fails (its first lines are the diagnostics); so does a kmemleak that
# turned itself off (it does when its object pool runs out), since it then
# reports nothing.

KMEMLEAK=/sys/kernel/debug/kmemleak

kmemleak_begin() {
	mountpoint -q /sys/kernel/debug 2>/dev/null ||
		mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ ! -e "$KMEMLEAK" ] || echo clear > "$KMEMLEAK" 2>/dev/null || true
}

kmemleak_check() {	# kmemleak_check WHAT
	local name="kmemleak: no unreferenced object after $1" out
	if [ ! -e "$KMEMLEAK" ]; then
		tap_skip "$name" "no kmemleak in this kernel (make check-debug boots one)"
		return
	fi
	out=$(mktemp)
	sleep 6
	if ! { echo scan > "$KMEMLEAK" && echo scan > "$KMEMLEAK"; } 2> "$out"; then
		dmesg | grep -a 'kmemleak' | tail -n 5 >> "$out"
		echo "kmemleak cannot scan: it turned itself off?" >> "$out"
		tap_fail "$name" "$out"
	else
		cat "$KMEMLEAK" > "$out"
		if [ -s "$out" ]; then
			echo "kmemleak: $(grep -c '^unreferenced object' "$out") unreferenced objects; the first:"
			head -n 80 "$out" > "$out.head"
			tap_fail "$name" "$out.head"
			rm -f "$out.head"
		else
			tap_ok "$name"
		fi
	fi
	rm -f "$out"
}
