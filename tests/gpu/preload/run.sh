#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/gpu/preload/run.sh - libvgpu-preload on a real GPU: PyTorch, CuPy and an
# nvcc-built (static cudart) program under vgpu-run, and the training-step
# overhead of the preload (interleaved runs with and without it). The
# in-process ledger keeps the books here: vgpu.ko cannot be loaded on the GPU
# machine (its kernel enforces module signatures); the module's side is tested
# in the VM (tests/suites/vm/35-preload).
#
# Results: $OUT/preload.jsonl (one JSON object per check or measurement),
# $OUT/preload.log (everything). Exit status 1 when a check failed.
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$ROOT/tests/gpu/preload
BUILD=${BUILD:-$ROOT/build}
OUTDIR=${OUT:-$BUILD/gpu/out}
STEPS=${PRELOAD_STEPS:-200}
ROUNDS=${PRELOAD_ROUNDS:-3}
PARTS=" ${PRELOAD_PARTS:-torch cupy static smi compute train} "	# which parts to run
mkdir -p "$OUTDIR"
J=$OUTDIR/preload.jsonl
LOG=$OUTDIR/preload.log
: >"$J"
exec > >(tee -a "$LOG") 2>&1
fail=0
note() { echo "$1" >>"$J"; echo "$1"; }
part() { [[ $PARTS == *" $1 "* ]]; }

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
make -s -j"$(nproc)" preload BUILD="$BUILD" >"$OUTDIR/preload-build.txt" 2>&1 ||
	{ tail -30 "$OUTDIR/preload-build.txt"; exit 1; }
RUN=$BUILD/preload/vgpu-run
"$RUN" --help >/dev/null || exit 1

grade() {	# grade FILE: copy the JSON check lines, count failures
	grep '^{' "$1" >>"$J"
	if grep -q '"ok": false' "$1"; then fail=1; fi
	grep -q '"check"' "$1" || { echo "no checks in $1"; fail=1; }
}

part torch && {
echo "== PyTorch under a 4 GiB limit"
timeout 300 "$RUN" --guest gpu --in-process --mem 4G --log info --stats "$OUTDIR/torch-stats.json" -- \
	python3 "$HERE/torch_limit.py" $((4 << 30)) >"$OUTDIR/t.out" 2>"$OUTDIR/t.err"
echo "rc=$?"; cat "$OUTDIR/t.out"; tail -20 "$OUTDIR/t.err"; grade "$OUTDIR/t.out"
note "{\"stats\":\"torch\",\"books_at_exit\":$(cat "$OUTDIR/torch-stats.json" 2>/dev/null || echo null)}"

}
part cupy && {
echo "== CuPy pool and cudaMallocAsync under 2 GiB"
timeout 300 "$RUN" --guest gpu --in-process --mem 2G -- python3 "$HERE/cupy_pools.py" $((2 << 30)) \
	>"$OUTDIR/c.out" 2>"$OUTDIR/c.err"
echo "rc=$?"; cat "$OUTDIR/c.out"; tail -20 "$OUTDIR/c.err"; grade "$OUTDIR/c.out"

}
part static && {
echo "== nvcc-built program (static cudart) under 4 GiB, pinned 128 MiB"
if nvcc -O2 -o "$BUILD/preload/static_cudart" "$HERE/static_cudart.cu" >"$OUTDIR/nvcc.txt" 2>&1; then
	ldd "$BUILD/preload/static_cudart" | grep -q cudart && echo "warning: cudart linked dynamically"
	timeout 120 "$RUN" --guest gpu --in-process --mem 4G --pinned 128M -- "$BUILD/preload/static_cudart" \
		>"$OUTDIR/s.out" 2>&1
	cat "$OUTDIR/s.out"
	python3 - "$OUTDIR/s.out" >>"$J" <<'PY' || fail=1
import json, sys
r = {d["what"]: d for d in map(json.loads, filter(lambda l: l.startswith("{"), open(sys.argv[1])))}
G = 1 << 30
checks = [
    ("static cudart: cudaMemGetInfo reports the 4 GiB limit", r["meminfo"]["total"] == 4 * G),
    ("static cudart: cudaMalloc + cudaMallocAsync of 1 GiB each counted",
     r["after 2 GiB"]["malloc"] == 0 and r["after 2 GiB"]["mallocasync"] == 0 and r["after 2 GiB"]["used"] >= 2 * G),
    ("static cudart: 3 GiB more is refused (cudaErrorMemoryAllocation)", r["3 GiB more"]["err"] == 2),
    ("static cudart: 256 MiB pinned refused under a 128 MiB pinned limit", r["256 MiB pinned"]["err"] == 2),
    ("static cudart: 64 MiB pinned allowed", r["64 MiB pinned"]["err"] == 0),
]
bad = 0
for name, ok in checks:
    print(json.dumps({"check": name, "ok": ok}))
    bad += not ok
sys.exit(1 if bad else 0)
PY
else
	cat "$OUTDIR/nvcc.txt"; fail=1
fi

}
part smi && {
echo "== nvidia-smi inside the tenant"
timeout 60 "$RUN" --guest gpu --in-process --mem 4G -- nvidia-smi --query-gpu=memory.total,memory.used \
	--format=csv,noheader,nounits 2>&1 | tee "$OUTDIR/smi.out"
note "{\"check\":\"nvidia-smi in the tenant reports 4096 MiB total\",\"ok\":$(grep -q '^4096,' "$OUTDIR/smi.out" && echo true || echo false),\"out\":\"$(head -1 "$OUTDIR/smi.out")\"}"

}
part compute && {
echo "== GPU time: a saturating matmul loop, uncapped and under --compute 30"
timeout 120 "$RUN" --guest gpu --in-process --mem 64G -- python3 "$HERE/compute_cap.py" 2 |
	sed 's/^{/{"cap":null,/' | tee -a "$J"
timeout 120 "$RUN" --guest gpu --in-process --mem 64G --compute 30 -- python3 "$HERE/compute_cap.py" 2 |
	sed 's/^{/{"cap":30,/' | tee -a "$J"
timeout 120 "$RUN" --guest gpu --in-process --mem 64G --compute 30 -- python3 "$HERE/capture_window.py" \
	>"$OUTDIR/cw.out" 2>"$OUTDIR/cw.err"
echo "rc=$?"; cat "$OUTDIR/cw.out"; tail -5 "$OUTDIR/cw.err"; grade "$OUTDIR/cw.out"
python3 - "$J" <<'PY' | tee -a "$J" || fail=1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"per_s"' in l]
bad = 0
# The check is the GPU time the capped guest was charged per second of its
# loop: what vgpu enforces. The work it did against the uncapped process's is
# reported beside it: the uncapped loop holds the H200 at its power limit
# (700 W, SM ~1470 MHz) while the capped one leaves it idle 70 % of the time
# (~1900 MHz), so its work per second of GPU time is higher (session 14,
# Documentation/benchmarks.md).
for mode in ("eager", "graph"):
    a = [r for r in rows if r["mode"] == mode and r["cap"] is None]
    b = [r for r in rows if r["mode"] == mode and r["cap"] == 30]
    share = b[0].get("time_share") if b else None
    ok = share is not None and abs(share - 0.30) <= 0.02
    bad += not ok
    print(json.dumps({"check": f"compute {mode}: capped at 30 %, charged 30 +- 2 % of the loop's time",
                      "ok": ok, "time_share": round(share, 4) if share is not None else None,
                      "work_ratio": round(b[0]["per_s"] / a[0]["per_s"], 4) if a and b else None,
                      "uncapped": a, "capped": b}))
sys.exit(1 if bad else 0)
PY
}
part train && {
echo "== training step: without / with the preload, interleaved, $ROUNDS rounds of $STEPS steps"
for r in $(seq "$ROUNDS"); do
	timeout 300 python3 "$HERE/train.py" "$STEPS" | sed "s/^{/{\"preload\":false,\"round\":$r,/" | tee -a "$J"
	timeout 300 "$RUN" --guest gpu --in-process --mem 64G -- python3 "$HERE/train.py" "$STEPS" |
		sed "s/^{/{\"preload\":true,\"round\":$r,/" | tee -a "$J"
done
python3 - "$J" <<'PY' | tee -a "$J" || fail=1
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"median_ms"' in l]
bad = 0
for mode in ("eager", "graph"):
    a = [r["median_ms"] for r in rows if r["mode"] == mode and not r["preload"]]
    b = [r["median_ms"] for r in rows if r["mode"] == mode and r["preload"]]
    if not a or not b:
        print(json.dumps({"check": f"train {mode}: ran", "ok": False})); bad += 1; continue
    ratio = statistics.median(b) / statistics.median(a)
    ok = ratio <= 1.01
    bad += not ok
    print(json.dumps({"check": f"train {mode}: step time with the preload <= 1.01x without",
                      "ok": ok, "ratio": round(ratio, 4), "without_ms": a, "with_ms": b}))
sys.exit(1 if bad else 0)
PY
}
echo "== summary"
grep '"check"' "$J" | python3 -c 'import json,sys
for l in sys.stdin:
    d = json.loads(l); print(("ok  " if d["ok"] else "FAIL"), d["check"])'
exit $fail
