#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test of vgpu.
#
#   1. scripts/deps.sh (installs what is missing; fast when nothing is)
#   2. build libvgpu, tools, selftests, the Debian packages (make deb; parts
#      not in the tree yet are skipped, with a message, and count no test)
#   3. every executable tests/suites/host/* on this machine, then the suite
#      packages/install (tests/packages/run.sh: the .debs installed with
#      apt-get and DKMS into a throwaway root, a VM per kernel booted on it,
#      apt-get purge; VGPU_PKG_TIMEOUT, default 1800 s)
#   4. for each kernel in build/kernels: build the module (a failure or any
#      compiler/modpost warning is a failed test), boot it in a VM running
#      scripts/in-vm.sh (load, tests/suites/vm/*, unload, dmesg check)
#
# Each suite prints TAP (TAP 14 subtests allowed, indented by 4 spaces);
# every "ok"/"not ok" line is counted at any depth except a subtest's summary
# line (which follows its indented results), "# SKIP" ones as skipped. A suite that exits non-zero without a "not ok" line (crash,
# timeout) or prints no test line at all counts as one failure. The last line
# is "vgpu: N passed, N failed, N skipped"; the exit status is non-zero when
# anything failed or nothing ran. Logs: build/logs/.
#
# Env: BUILD, VGPU_KERNELS (space-separated subset of build/kernels),
#      VGPU_SUITE_TIMEOUT (per suite, s, default 300), VGPU_VM_TIMEOUT;
#      VGPU_CHECK_HOST=0 (no deb build, host suites or packages/install:
#      make check-debug);
#      VGPU_KDIR and VGPU_VM_KERNEL (the tree to build the module against and
#      the image to boot, for a kernel not installed in /boot: the debug
#      kernel of scripts/check-debug.sh).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
export BUILD=${BUILD:-$ROOT/build}
export VGPU_ROOT=$ROOT
LOGS=$BUILD/logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
exec > >(tee "$LOGS/check.log") 2>&1
TEE_PID=$!
finish() {	# finish RC: let tee write everything before make sees us exit
	exec >&- 2>&-
	wait "$TEE_PID" 2>/dev/null
	exit "$1"
}
SUITE_TMO=${VGPU_SUITE_TIMEOUT:-300}
export VGPU_SUITE_TIMEOUT=$SUITE_TMO

T_START=$(date +%s)
STAGE_T0=$T_START
STAGE=""
TIMES=()
stage() {	# stage NAME: start timing a new stage (ends the previous one)
	local now
	now=$(date +%s)
	if [ -n "$STAGE" ]; then
		TIMES+=("$(printf '%-34s %4d s' "$STAGE" $((now - STAGE_T0)))")
		echo ">>> $STAGE: $((now - STAGE_T0)) s"
	fi
	STAGE=$1
	STAGE_T0=$now
	[ -z "$STAGE" ] || echo ">>> stage: $STAGE"
}

# Results: one row per suite, "NAME|PASS|FAIL|SKIP".
RESULTS=()
TOTAL_P=0 TOTAL_F=0 TOTAL_S=0
FAILED_LIST=()
record() {	# record NAME PASS FAIL SKIP
	RESULTS+=("$1|$2|$3|$4")
	TOTAL_P=$((TOTAL_P + $2)) TOTAL_F=$((TOTAL_F + $3)) TOTAL_S=$((TOTAL_S + $4))
}

# count_suite NAME LOG RC: count the TAP lines of one suite's output.
count_suite() {
	local name=$1 log=$2 rc=$3 p f s
	read -r p f s < <(tr -d '\r' < "$log" | awk '
		function depth(l) { match(l, /^ */); return int(RLENGTH / 4) }
		/^ *(not )?ok [0-9]+/ {
			d = depth($0)
			if (last > d) {	# closes a subtest: its summary, not a test
				if ($0 ~ /^ *not ok/ && !subf[d]) f++	# failed, no failed child
				subf[d] = 0; last = d; next
			}
			if ($0 ~ /^ *not ok/) { f++; for (k = 0; k < d; k++) subf[k]++ }
			else if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) s++
			else p++
			last = d; next
		}
		/^ *1\.\.[0-9]+/ { last = depth($0) }
		END { print p + 0, f + 0, s + 0 }')
	while read -r l; do FAILED_LIST+=("$name: $l"); done < <(tr -d '\r' < "$log" | grep -aE '^ *not ok [0-9]+')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		FAILED_LIST+=("$name: exited with status $rc without a 'not ok' line (crash or timeout?)")
	elif [ $((p + f + s)) = 0 ]; then
		f=1
		FAILED_LIST+=("$name: printed no TAP test line")
	fi
	record "$name" "$p" "$f" "$s"
	printf '  %-44s pass=%d fail=%d skip=%d rc=%s\n' "$name" "$p" "$f" "$s" "$rc"
}

# A check of the runner itself (build steps), as a one-test suite.
runner_test() {	# runner_test NAME ok|fail|skip [REASON]
	case $2 in
	ok) record "$1" 1 0 0 ;;
	fail) record "$1" 0 1 0; FAILED_LIST+=("$1: ${3:-failed}") ;;
	skip) record "$1" 0 0 1 ;;
	esac
	printf '  %-44s %s%s\n' "$1" "$2" "${3:+ ($3)}"
}

# --- 1. dependencies ---
stage deps
if ! bash scripts/deps.sh > "$LOGS/deps.log" 2>&1; then
	cat "$LOGS/deps.log"
	echo "check: scripts/deps.sh failed (log: $LOGS/deps.log)"
	echo "vgpu: 0 passed, 1 failed, 0 skipped"
	finish 1
fi
cat "$LOGS/deps.log"
mapfile -t KERNELS < "$BUILD/kernels"
if [ -n "${VGPU_KERNELS:-}" ]; then
	read -ra KERNELS <<< "$VGPU_KERNELS"
fi

# --- 2. userspace build ---
stage "build (lib, tools, selftests, deb)"
JOBS=$(nproc)
build_part() {	# build_part TARGET DIR [MAKE ARGS...]: make TARGET (or MAKE ARGS)
	local t=$1 dir=$2 log=$LOGS/build-$1.log
	shift 2
	if [ ! -f "$dir/Makefile" ]; then
		echo "  $t: $dir/Makefile does not exist yet, not built"
		return
	fi
	[ $# -gt 0 ] || set -- "$t"
	if make -j"$JOBS" "$@" > "$log" 2>&1; then
		runner_test "build/$t" ok
	else
		tail -n 40 "$log"
		runner_test "build/$t" fail "make $* failed, log: $log"
	fi
}
build_part lib libvgpu
if [ -f libvgpu/Makefile ]; then
	build_part tools tools
else	# what "make tools" does, without its libvgpu prerequisite
	build_part tools tools -C tools BUILD="$BUILD/tools"
fi
build_part selftests tests/selftests/vgpu
# The Debian packages (host/50-packages checks them, packages/install
# installs them).
if [ "${VGPU_CHECK_HOST:-1}" = 0 ]; then
	echo "  deb: not built (VGPU_CHECK_HOST=0)"
else
	build_part deb . deb
fi

# --- 3. host suites ---
stage "host suites"
run_host_suites() {
	local s name log rc any=0
	mkdir -p "$LOGS/host"
	for s in $(find tests/suites/host -mindepth 1 -maxdepth 1 -type f -perm -u+x 2>/dev/null | sort); do
		any=1
		name=host/${s##*/}
		log=$LOGS/host/${s##*/}.log
		echo "===== suite $name ====="
		timeout --kill-after=10 "$SUITE_TMO" "$s" < /dev/null > "$log" 2>&1
		rc=$?
		[ $rc != 124 ] && [ $rc != 137 ] || echo "# $name timed out after ${SUITE_TMO}s" >> "$log"
		cat "$log"
		count_suite "$name" "$log" $rc
	done
	[ $any = 1 ] || echo "  no executable suite in tests/suites/host/"
}
if [ "${VGPU_CHECK_HOST:-1}" = 0 ]; then
	echo "  host suites: not run (VGPU_CHECK_HOST=0)"
else
	run_host_suites
fi

if [ "${VGPU_CHECK_HOST:-1}" = 0 ]; then
	echo "  packages/install: not run (VGPU_CHECK_HOST=0)"
else
stage "packages/install (apt-get + DKMS, VM per kernel, purge)"
mkdir -p "$LOGS/packages"
echo "===== suite packages/install ====="
timeout --kill-after=10 "${VGPU_PKG_TIMEOUT:-1800}" tests/packages/run.sh < /dev/null > "$LOGS/packages/install.log" 2>&1
rc=$?
[ $rc != 124 ] && [ $rc != 137 ] || echo "# packages/install timed out after ${VGPU_PKG_TIMEOUT:-1800}s" >> "$LOGS/packages/install.log"
cat "$LOGS/packages/install.log"
count_suite packages/install "$LOGS/packages/install.log" $rc
fi

# --- 4. module + VM, per kernel ---
# Split the VM's output into one log per suite and count each.
count_vm_output() {	# count_vm_output KVER VMLOG VMRC
	local kver=$1 vmlog=$2 vmrc=$3 dir=$LOGS/$1 name rc f
	tr -d '\r' < "$vmlog" | awk -v dir="$dir" '
		/^=== vgpu suite: .* ===$/ { name = $4; gsub("/", "_", name); f = dir "/" name ".log"
					     printf "" > f; order = order name "\n"; next }
		/^=== vgpu suite end: .* rc=[0-9]+ ===$/ { sub("rc=", "", $6); print $6 > (dir "/" name ".rc"); close(f); f = ""; next }
		f != "" { print > f }
		END { printf "%s", order > (dir "/suites") }'
	while read -r name; do
		[ -n "$name" ] || continue
		if [ -f "$dir/$name.rc" ]; then
			rc=$(cat "$dir/$name.rc")
		else
			rc="none"
			echo "# suite did not finish: the VM died or timed out (VM status $vmrc)" >> "$dir/$name.log"
		fi
		count_suite "$kver ${name/_//}" "$dir/$name.log" "$rc"
	done < "$dir/suites"
	if ! grep -aq '^=== vgpu vm done ===' "$vmlog"; then
		runner_test "$kver vm/run" fail "VM run did not complete (status $vmrc), log: $vmlog"
	fi
}

for kver in "${KERNELS[@]}"; do
	stage "module $kver"
	mkdir -p "$LOGS/$kver"
	mlog=$LOGS/$kver/module-build.log
	built=0
	if [ ! -f kmod/Makefile ] && [ ! -f kmod/Kbuild ]; then
		runner_test "$kver build/module" skip "kmod/ does not exist yet"
	elif make module KVER="$kver" ${VGPU_KDIR:+KDIR="$VGPU_KDIR"} > "$mlog" 2>&1; then
		warn=$(grep -aE ': warning:|^WARNING:' "$mlog" | grep -aEv '^make(\[[0-9]+\])?: ' || true)
		if [ -n "$warn" ]; then
			echo "$warn"
			runner_test "$kver build/module" fail "$(echo "$warn" | wc -l) warning(s), log: $mlog"
		else
			runner_test "$kver build/module" ok
		fi
		built=1
	else
		tail -n 40 "$mlog"
		runner_test "$kver build/module" fail "make module failed, log: $mlog"
	fi

	stage "vm $kver"
	if [ $built = 0 ]; then
		echo "  no module for $kver: VM suites not run"
		if [ -f kmod/Makefile ] || [ -f kmod/Kbuild ]; then
			runner_test "$kver vm/run" fail "not run: the module did not build"
		fi
		continue
	fi
	vmlog=$LOGS/$kver/vm.log
	bash scripts/vm-run.sh "$kver" scripts/in-vm.sh > "$vmlog" 2>&1
	vmrc=$?
	cat "$vmlog"
	echo "----- $kver: counts -----"
	count_vm_output "$kver" "$vmlog" $vmrc
done
stage ""

# --- summary ---
T_END=$(date +%s)
echo
echo "===== vgpu check summary ====="
echo "stages:"
printf '  %s\n' "${TIMES[@]}"
printf '  %-34s %4d s\n' "total" $((T_END - T_START))
echo "suites:"
for r in "${RESULTS[@]}"; do
	IFS='|' read -r n p f s <<< "$r"
	printf '  %-44s pass=%d fail=%d skip=%d\n' "$n" "$p" "$f" "$s"
done
if [ ${#FAILED_LIST[@]} -gt 0 ]; then
	echo "failures:"
	printf '  %s\n' "${FAILED_LIST[@]}"
fi
echo "logs: $LOGS"
rc=0
[ "$TOTAL_F" = 0 ] || rc=1
if [ $((TOTAL_P + TOTAL_F)) = 0 ]; then
	echo "check: no test ran"
	rc=1
fi
echo "vgpu: $TOTAL_P passed, $TOTAL_F failed, $TOTAL_S skipped"
finish $rc
