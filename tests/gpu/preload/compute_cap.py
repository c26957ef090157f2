# SPDX-License-Identifier: GPL-2.0
"""A saturating bf16 matmul loop, eager and as a CUDA graph: prints
{"mode":..., "per_s":...} (matmuls completed per second over SECS seconds).
run.sh runs it without a cap and under vgpu-run --compute 30."""
import json
import sys
import time

import torch

secs = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
c = torch.empty_like(a)


def rate(fn, per_call):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < secs:
        fn()
        n += per_call
    torch.cuda.synchronize()
    return n / (time.perf_counter() - t0)


print(json.dumps({"mode": "eager", "per_s": rate(lambda: torch.mm(a, b, out=c), 1)}), flush=True)
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
print(json.dumps({"mode": "graph", "per_s": rate(g.replay, 8)}), flush=True)
