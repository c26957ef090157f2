# SPDX-License-Identifier: GPL-2.0
"""Device memory used on GPU 0, in bytes, as NVML reports it - run WITHOUT the
preload (the caller strips LD_PRELOAD), so these are the device's own numbers."""
import pynvml

pynvml.nvmlInit()
h = pynvml.nvmlDeviceGetHandleByIndex(0)
m = pynvml.nvmlDeviceGetMemoryInfo(h)
print(m.used, m.total)
