# SPDX-License-Identifier: GPL-2.0
"""A small transformer's training step on synthetic data, eager and as a CUDA
graph: prints {"mode":..., "median_ms":..., "steps":N} per mode. Run once
without and once with the preload, interleaved, by run.sh."""
import json
import sys
import time

import torch

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
torch.manual_seed(0)
dev = "cuda"
model = torch.nn.TransformerEncoder(
    torch.nn.TransformerEncoderLayer(d_model=512, nhead=8, dim_feedforward=2048, batch_first=True),
    num_layers=4).to(dev)
head = torch.nn.Linear(512, 1000).to(dev)
params = list(model.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=1e-4, capturable=True)
x = torch.randn(32, 128, 512, device=dev)
t = torch.randint(0, 1000, (32, 128), device=dev)
lossf = torch.nn.CrossEntropyLoss()


def step():
    opt.zero_grad(set_to_none=False)
    loss = lossf(head(model(x)).reshape(-1, 1000), t.reshape(-1))
    loss.backward()
    opt.step()
    return loss


def timed(fn, n):
    ts = []
    for _ in range(n):
        a = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        ts.append(time.perf_counter() - a)
    ts.sort()
    return ts[len(ts) // 2] * 1e3


for _ in range(20):
    step()
torch.cuda.synchronize()
print(json.dumps({"mode": "eager", "median_ms": timed(step, steps), "steps": steps}), flush=True)

s = torch.cuda.Stream()
s.wait_stream(torch.cuda.current_stream())
with torch.cuda.stream(s):
    for _ in range(5):
        step()
torch.cuda.current_stream().wait_stream(s)
g = torch.cuda.CUDAGraph()
with torch.cuda.graph(g):
    step()
for _ in range(20):
    g.replay()
torch.cuda.synchronize()
print(json.dumps({"mode": "graph", "median_ms": timed(g.replay, steps), "steps": steps}), flush=True)
