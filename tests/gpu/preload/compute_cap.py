# SPDX-License-Identifier: GPL-2.0
"""A saturating bf16 matmul loop, eager and as a CUDA graph: prints
{"mode":..., "per_s":..., "time_share":..., "sm_mhz":...} (matmuls completed
per second over SECS seconds; the GPU time the guest was charged over the loop
per second of it, when the preload counts it; the mean SM clock NVML sampled
meanwhile). run.sh runs it without a cap and under vgpu-run --compute 30."""
import ctypes
import json
import sys
import threading
import time

import pynvml
import torch

secs = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
c = torch.empty_like(a)


charged = getattr(ctypes.CDLL(None), "vgpu_preload_compute_ns", None)
pynvml.nvmlInit()
gpu = pynvml.nvmlDeviceGetHandleByIndex(torch.cuda.current_device())


def charged_ns():
    v = ctypes.c_uint64(0)
    return v.value if charged is not None and charged(ctypes.byref(v)) == 0 else None


def rate(fn, per_call):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    # the warm-up may overrun its lease (five graph replays on a small
    # kernel's estimate: ~58 ms of work in a 1.2 ms lease on the H200), a
    # debt the budget carries into the next periods: let the refills pay it
    # before the loop, so that the loop shows the steady share, not the
    # warm-up's debt (3 periods of the default 100 ms)
    time.sleep(0.3)
    clocks, done = [], threading.Event()

    def sample():
        while not done.wait(0.005):
            clocks.append(pynvml.nvmlDeviceGetClockInfo(gpu, pynvml.NVML_CLOCK_SM))

    th = threading.Thread(target=sample)
    th.start()
    c0 = charged_ns()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < secs:
        fn()
        n += per_call
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    c1 = charged_ns()
    done.set()
    th.join()
    share = (c1 - c0) / 1e9 / dt if c0 is not None and c1 is not None and c1 > c0 else None
    return {"per_s": n / dt, "time_share": share,
            "sm_mhz": round(sum(clocks) / len(clocks)) if clocks else None}


print(json.dumps({"mode": "eager", **rate(lambda: torch.mm(a, b, out=c), 1)}), flush=True)
s = torch.cuda.Stream()
s.wait_stream(torch.cuda.current_stream())
with torch.cuda.stream(s):
    for _ in range(3):
        torch.mm(a, b, out=c)
torch.cuda.current_stream().wait_stream(s)
g = torch.cuda.CUDAGraph()
with torch.cuda.graph(g):
    for _ in range(8):
        torch.mm(a, b, out=c)
print(json.dumps({"mode": "graph", **rate(g.replay, 8)}), flush=True)
