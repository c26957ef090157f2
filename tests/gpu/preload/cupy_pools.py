# SPDX-License-Identifier: GPL-2.0
"""CuPy under vgpu-run --mem 2G: its default memory pool and cudaMallocAsync
(MemoryAsyncPool) are both counted, and both hit the limit."""
import json
import sys

import cupy

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 2 << 30
MiB = 1 << 20


def say(check, ok, **kw):
    print(json.dumps({"check": check, "ok": bool(ok), **kw}), flush=True)


def used():
    f, t = cupy.cuda.runtime.memGetInfo()
    return t - f, t


u0, total = used()
say("cupy: memGetInfo reports the limit", total == LIMIT, total=total)
for mode in ("pool", "async"):
    if mode == "async":
        cupy.get_default_memory_pool().free_all_blocks()
        cupy.cuda.set_allocator(cupy.cuda.MemoryAsyncPool().malloc)
    u0, _ = used()
    held = [cupy.empty(256 * MiB, dtype=cupy.uint8) for _ in range(3)]
    cupy.cuda.Device().synchronize()
    u1, _ = used()
    say(f"cupy {mode}: 768 MiB counted", u1 - u0 >= 768 * MiB, delta=u1 - u0)
    err = None
    try:
        for _ in range(16):
            held.append(cupy.empty(256 * MiB, dtype=cupy.uint8))
    except cupy.cuda.memory.OutOfMemoryError as e:
        err = e
    u2, _ = used()
    say(f"cupy {mode}: OutOfMemoryError past the limit", err is not None and u2 <= LIMIT,
        books=u2, held=len(held) * 256 * MiB)
    del held
