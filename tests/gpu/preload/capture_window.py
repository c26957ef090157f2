# SPDX-License-Identifier: GPL-2.0
"""A window open (a matmul just queued, no synchronisation) when a global-mode
capture begins on a side stream, with host time before it and inside it (the
preload's watcher looks after 2 ms with no launch, and must not synchronise
during a capture: that would invalidate it). Prints one JSON check: every
capture ended and its replay is right. run.sh runs it under --compute 30."""
import json
import time

import torch

a = torch.randn(4096, 4096, device="cuda", dtype=torch.bfloat16)
b = torch.randn(4096, 4096, device="cuda", dtype=torch.bfloat16)
c = torch.empty_like(a)
torch.mm(a, b, out=c)
torch.cuda.synchronize()
s = torch.cuda.Stream()
n, right, err = 20, 0, None
try:
    for _ in range(n):
        torch.mm(a, b, out=c)            # counted: a window opens
        time.sleep(0.003)                # the launch path quiet: the watcher looks
        torch.mm(a, b, out=c)
        s.wait_stream(torch.cuda.current_stream())
        g = torch.cuda.CUDAGraph()
        with torch.cuda.stream(s):
            g.capture_begin(capture_error_mode="global")
            time.sleep(0.005)            # quiet inside the capture
            d = torch.mm(a, b)
            g.capture_end()
        torch.cuda.current_stream().wait_stream(s)
        g.replay()
        torch.cuda.synchronize()
        right += bool(torch.allclose(d.float(), c.float(), rtol=1e-2, atol=1e-1))
except RuntimeError as e:
    err = str(e)[:200]
print(json.dumps({"check": "compute: captures begun with a window open under --compute 30 are not invalidated",
                  "ok": right == n and err is None, "captures": n, "right": right, "error": err}), flush=True)
