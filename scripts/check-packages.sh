#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-packages: build the Debian packages (make deb) and run the suite
# packages/install of make check alone (tests/packages/run.sh: apt-get and
# DKMS in a throwaway root, a VM of each kernel booted on it, apt-get purge).
# Its TAP goes to the terminal and build/logs/packages/install.log; exits
# non-zero when a test failed.
#
# Env: BUILD, VGPU_KERNELS (subset of build/kernels), VGPU_VM_TIMEOUT.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
export BUILD=${BUILD:-$ROOT/build} VGPU_ROOT=$ROOT
LOGS=$BUILD/logs/packages
mkdir -p "$LOGS"

bash scripts/deps.sh > "$LOGS/deps.log" 2>&1 || { cat "$LOGS/deps.log"; exit 1; }
if ! make -s deb > "$LOGS/deb.log" 2>&1; then
	tail -n 40 "$LOGS/deb.log"
	echo "check-packages: make deb failed (log: $LOGS/deb.log)"
	exit 1
fi
tests/packages/run.sh < /dev/null 2>&1 | tee "$LOGS/install.log"
rc=${PIPESTATUS[0]}
if [ "$rc" = 0 ]; then
	echo "check-packages: passed (make check counts these results as the suite packages/install)"
else
	echo "check-packages: FAILED (exit status $rc; log: $LOGS/install.log)"
fi
exit "$rc"
