// SPDX-License-Identifier: GPL-2.0
/* vgpu: instantiate the tracepoints declared in vgpu_trace.h. */
#include <linux/vgpu.h>

#define CREATE_TRACE_POINTS
#include "vgpu_trace.h"
