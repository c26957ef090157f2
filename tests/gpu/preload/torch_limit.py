# SPDX-License-Identifier: GPL-2.0
"""PyTorch under vgpu-run --mem 4G (in-process ledger): the limit as the program
sees it, the books against the device's own used-memory delta (context
included), and torch.cuda.OutOfMemoryError past the limit. Prints one JSON line
per check: {"check":..., "ok":bool, ...}."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 4 << 30
MiB = 1 << 20


def real_used():
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    out = subprocess.run([sys.executable, os.path.join(HERE, "realmem.py")], env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0])


def say(check, ok, **kw):
    print(json.dumps({"check": check, "ok": bool(ok), **kw}), flush=True)


base = real_used()                      # before this process has any context
import torch                            # noqa: E402

torch.cuda.init()
x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
y = torch.randn(4096, 4096, device="cuda") @ torch.randn(4096, 4096, device="cuda")
torch.cuda.synchronize()
free, total = torch.cuda.mem_get_info()
say("mem_get_info reports the limit", total == LIMIT, total=total, free=free)
books = total - free
delta = real_used() - base
say("books equal the device's used delta within 2 MiB (context included)",
    abs(books - delta) <= 2 * MiB, books=books, device_delta=delta, diff=books - delta)

held, err = [], None
try:
    for _ in range(64):
        held.append(torch.empty(256 * MiB, dtype=torch.uint8, device="cuda"))
except torch.cuda.OutOfMemoryError as e:
    err = e
free, total = torch.cuda.mem_get_info()
say("allocating past the limit raises torch.cuda.OutOfMemoryError", err is not None,
    allocated_before_error=len(held) * 256 * MiB, books=total - free, limit=total)
say("the books never passed the limit", total - free <= LIMIT, books=total - free)
delta = real_used() - base
say("at the limit, books still equal the device's delta within 2 MiB",
    abs((total - free) - delta) <= 2 * MiB, books=total - free, device_delta=delta)
del held
torch.cuda.empty_cache()
z = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
say("after freeing, the program allocates again", z.numel() == 1 << 30)
free2, _ = torch.cuda.mem_get_info()
say("freed memory is back in the books", free2 > free, free_before=free, free_after=free2)
try:
    import pynvml
    pynvml.nvmlInit()
    m = pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(0))
    say("pynvml in the tenant sees the limit", m.total == LIMIT and abs(m.used - (total - free2)) <= 2 * MiB,
        total=m.total, used=m.used)
except Exception as e:  # noqa: BLE001
    say("pynvml in the tenant sees the limit", False, error=str(e))
