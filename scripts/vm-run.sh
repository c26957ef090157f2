#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-run.sh KVER SCRIPT [ARGS...]
#
# Boot the installed Debian kernel KVER under QEMU (TCG, through virtme-ng)
# with the host's filesystem visible read-only, run SCRIPT ARGS there from the
# repository root with VGPU_ROOT, BUILD and KVER set (and every other VGPU_*
# variable of our environment passed through), print its output and exit with
# its exit status. The VM is killed after VGPU_VM_TIMEOUT seconds (default
# 1500; exit status 124 then). A VM that did not start (vng exited 255
# within a minute, no output) is tried once more.
#
# The module's slab cache is booted with slub_debug=FZP (sanity checks, red
# zones, poisoning): a read of a freed object returns 0x6b bytes and a write
# to one is reported in dmesg, on kernels without KASAN too.
#
# Env: BUILD (default <repo>/build), VGPU_VM_TIMEOUT, VGPU_VM_MEMORY (3G),
#      VGPU_VM_CPUS (2), VGPU_VM_KERNEL (the kernel image to boot instead of
#      /boot/vmlinuz-KVER: scripts/check-debug.sh boots the debug kernel so),
#      VGPU_VM_APPEND (more kernel command line), VGPU_VM_ROOT (a directory
#      to boot as the read-write root filesystem instead of the host's
#      read-only one: tests/packages/run.sh's throwaway root), VGPU_VM_INIT
#      (a script the guest runs as init first, which then runs virtme-ng's:
#      check-debug.sh gives scripts/vm-init-ports.sh).
set -euo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 KVER SCRIPT [ARGS...]" >&2
	exit 2
fi
KVER=$1
SCRIPT=$2
shift 2

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TMO=${VGPU_VM_TIMEOUT:-1500}

KIMG=${VGPU_VM_KERNEL:-/boot/vmlinuz-$KVER}
if [ ! -r "$KIMG" ]; then
	echo "vm-run: $KIMG missing or unreadable (run scripts/deps.sh)" >&2
	exit 2
fi
if ! command -v vng >/dev/null; then
	echo "vm-run: vng (virtme-ng) not found (run scripts/deps.sh)" >&2
	exit 2
fi
case "$SCRIPT" in /*) ;; *) SCRIPT=$ROOT/$SCRIPT ;; esac

# The command line the guest runs; every word quoted for its shell.
cmd="cd $(printf %q "$ROOT") && env"
for v in $(compgen -e | grep '^VGPU_' | grep -v '^VGPU_ROOT$'); do
	cmd+=" $v=$(printf %q "${!v}")"
done
cmd+=" VGPU_ROOT=$(printf %q "$ROOT") BUILD=$(printf %q "$BUILD") KVER=$(printf %q "$KVER")"
cmd+=" bash $(printf %q "$SCRIPT")"
for a in "$@"; do
	cmd+=" $(printf %q "$a")"
done

# --disable-kvm: KVM guests hang at boot on these machines (TESTING-NOTES.md).
# setsid + kill of the group: a timeout must not leave qemu behind.
vng_args=(--run "$KIMG" --disable-kvm
	  --memory "${VGPU_VM_MEMORY:-3G}" --cpus "${VGPU_VM_CPUS:-2}"
	  --append "slub_debug=FZP,vgpu_obj ${VGPU_VM_APPEND:-}"
	  ${VGPU_VM_ROOT:+--root "$VGPU_VM_ROOT" --rw}
	  --exec "$cmd")
# VGPU_VM_INIT: a script the guest runs as init before virtme-ng's own
# (scripts/vm-init-ports.sh). virtme-ng puts its init= last on the kernel
# command line, after --append: take the command line it would use, swap
# the init (the old one goes to the new as $vgpu_next_init) and give QEMU
# that command line again (its last -append counts).
if [ -n "${VGPU_VM_INIT:-}" ]; then
	kcmd=$(vng "${vng_args[@]}" --dry-run </dev/null 2>/dev/null | python3 -c '
import shlex, sys
line = [l for l in sys.stdin.read().splitlines() if " -append " in l][-1]
args = shlex.split(line)
k = args[args.index("-append") + 1]
i = k.rindex(" init=") + 1
old = k[i:].split(" ")[0]
k = k[:i] + "vgpu_next_init=" + old[5:] + " init=" + sys.argv[1] + k[i + len(old):]
print(shlex.quote(k))' "$VGPU_VM_INIT") || {
		echo "vm-run: cannot build the kernel command line for VGPU_VM_INIT" >&2
		exit 2
	}
	vng_args+=("--qemu-opts=-append $kcmd")
fi

# A VM that did not start: vng exited 255 within a minute and the guest
# printed nothing (seen once in a hundred runs under load, 8 s after the
# start, no message from vng). It is retried once, and said so; anything the
# guest printed, or a later failure, is its result.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for attempt in 1 2; do
	rc=0
	t0=$SECONDS
	timeout --kill-after=30 "$TMO" vng "${vng_args[@]}" </dev/null | tee "$out" || rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 255 ] && [ ! -s "$out" ] && [ $((SECONDS - t0)) -lt 60 ] && [ "$attempt" = 1 ]; then
		echo "vm-run: the VM on $KVER did not start (vng exited 255 after $((SECONDS - t0)) s, no output); once more" >&2
		continue
	fi
	break
done
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "vm-run: VM on $KVER killed after ${TMO}s" >&2
fi
exit "$rc"
