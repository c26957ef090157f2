# SPDX-License-Identifier: GPL-2.0
#
# tests/suites/lib/tap.sh - the one TAP helper of the shell suites. Source it:
#
#   . "$VGPU_ROOT/tests/suites/lib/tap.sh"
#   tap_start
#   tap_ok NAME | tap_fail NAME [FILE...] | tap_skip NAME REASON
#   tap_check NAME CMD...       ok when CMD succeeds
#   tap_sub NAME CMD...         CMD prints TAP: nested under one line NAME
#   tap_diag FILE...            files as "# " comment lines
#   tap_done                    the plan; exits 0, or 1 when anything failed
#
# tap_sub indents CMD's output by four spaces (a TAP 14 subtest) and sums it
# up in one line: "ok" only when CMD exited 0, printed at least one result
# and no "not ok", and gave as many results as its plan promised. Subtests
# keep their own numbers; scripts/check.sh counts each nested result, and a
# failed summary line without a failed subtest (a crash) as one failure.
# TAP_N (results so far) and TAP_FAILED (0 or 1) may be read.

TAP_N=0
TAP_FAILED=0

tap_start() {
	echo "TAP version 13"
}

tap_ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N $1"
}

tap_fail() {	# tap_fail NAME [FILE...]: the files as diagnostics
	local name=$1
	shift
	[ $# = 0 ] || tap_diag "$@"
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=1
	echo "not ok $TAP_N $name"
}

tap_skip() {	# tap_skip NAME REASON (a skip always says why)
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N $1 # SKIP $2"
}

tap_check() {	# tap_check NAME CMD...
	local name=$1
	shift
	if "$@"; then tap_ok "$name"; else tap_fail "$name"; fi
}

tap_diag() {	# tap_diag FILE...
	sed 's/^/# /' "$@" 2>/dev/null
}

tap_sub() {	# tap_sub NAME CMD...
	local name=$1 rc counts p f s plan
	shift
	counts=$(mktemp)
	echo "# Subtest: $name"
	"$@" 2>&1 | awk -v out="$counts" '
		/^not ok [0-9]+/ { f++ }
		/^ok [0-9]+/ { if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) s++; else p++ }
		/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0 }
		{ print "    " $0; fflush() }
		END { print p + 0, f + 0, s + 0, plan + 0 > out }'
	rc=${PIPESTATUS[0]}
	read -r p f s plan < "$counts"
	rm -f "$counts"
	if [ "$rc" = 0 ] && [ "$f" = 0 ] && [ $((p + s)) -gt 0 ] && [ $((p + s)) -ge "$plan" ]; then
		tap_ok "$name"
	else
		echo "# $name: exit status $rc, $((p + f + s)) results ($f failed) of ${plan:-?} planned"
		tap_fail "$name"
	fi
}

tap_done() {
	echo "1..$TAP_N"
	exit $TAP_FAILED
}
