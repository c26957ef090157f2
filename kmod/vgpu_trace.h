/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgpu tracepoints: the ledger as perf and bpftrace see it.
 *
 *   perf record -e 'vgpu:*' ...
 *   bpftrace -e 'tracepoint:vgpu:vgpu_limit_hit { @[args->guest] = count(); }'
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vgpu

#if !defined(_VGPU_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VGPU_TRACE_H

#include <linux/tracepoint.h>
#include <linux/vgpu.h>

TRACE_DEFINE_ENUM(VGPU_RES_MEMORY);
TRACE_DEFINE_ENUM(VGPU_RES_PINNED);
TRACE_DEFINE_ENUM(VGPU_RES_CONTEXTS);
TRACE_DEFINE_ENUM(VGPU_RES_COMPUTE);

#define vgpu_show_res(res)					\
	__print_symbolic(res,					\
			 { VGPU_RES_MEMORY, "memory" },		\
			 { VGPU_RES_PINNED, "pinned" },		\
			 { VGPU_RES_CONTEXTS, "contexts" },	\
			 { VGPU_RES_COMPUTE, "compute" })

DECLARE_EVENT_CLASS(vgpu_ledger_class,
	TP_PROTO(u32 guest, unsigned int res, u64 amount, u64 used),
	TP_ARGS(guest, res, amount, used),
	TP_STRUCT__entry(
		__field(u32, guest)
		__field(unsigned int, res)
		__field(u64, amount)
		__field(u64, used)
	),
	TP_fast_assign(
		__entry->guest = guest;
		__entry->res = res;
		__entry->amount = amount;
		__entry->used = used;
	),
	TP_printk("guest=%u res=%s amount=%llu used=%llu", __entry->guest,
		  vgpu_show_res(__entry->res), __entry->amount, __entry->used)
);

/* A charge was accepted; @used is the guest's usage after it. */
DEFINE_EVENT(vgpu_ledger_class, vgpu_charge,
	TP_PROTO(u32 guest, unsigned int res, u64 amount, u64 used),
	TP_ARGS(guest, res, amount, used));

/* A charge was released; @used is the guest's usage after it. */
DEFINE_EVENT(vgpu_ledger_class, vgpu_uncharge,
	TP_PROTO(u32 guest, unsigned int res, u64 amount, u64 used),
	TP_ARGS(guest, res, amount, used));

/* A charge was refused because it would pass @limit. */
TRACE_EVENT(vgpu_limit_hit,
	TP_PROTO(u32 guest, unsigned int res, u64 used, u64 requested,
		 u64 limit),
	TP_ARGS(guest, res, used, requested, limit),
	TP_STRUCT__entry(
		__field(u32, guest)
		__field(unsigned int, res)
		__field(u64, used)
		__field(u64, requested)
		__field(u64, limit)
	),
	TP_fast_assign(
		__entry->guest = guest;
		__entry->res = res;
		__entry->used = used;
		__entry->requested = requested;
		__entry->limit = limit;
	),
	TP_printk("guest=%u res=%s used=%llu requested=%llu limit=%llu",
		  __entry->guest, vgpu_show_res(__entry->res), __entry->used,
		  __entry->requested, __entry->limit)
);

DECLARE_EVENT_CLASS(vgpu_pin_class,
	TP_PROTO(u32 guest, u32 handle, u64 addr, u64 npages, bool write),
	TP_ARGS(guest, handle, addr, npages, write),
	TP_STRUCT__entry(
		__field(u32, guest)
		__field(u32, handle)
		__field(u64, addr)
		__field(u64, npages)
		__field(bool, write)
	),
	TP_fast_assign(
		__entry->guest = guest;
		__entry->handle = handle;
		__entry->addr = addr;
		__entry->npages = npages;
		__entry->write = write;
	),
	TP_printk("guest=%u handle=%u addr=0x%llx npages=%llu write=%d",
		  __entry->guest, __entry->handle, __entry->addr,
		  __entry->npages, __entry->write)
);

/* A range was pinned and accounted. */
DEFINE_EVENT(vgpu_pin_class, vgpu_pin,
	TP_PROTO(u32 guest, u32 handle, u64 addr, u64 npages, bool write),
	TP_ARGS(guest, handle, addr, npages, write));

/* A pinned range was released (VGPU_IOC_UNPIN or close). */
DEFINE_EVENT(vgpu_pin_class, vgpu_unpin,
	TP_PROTO(u32 guest, u32 handle, u64 addr, u64 npages, bool write),
	TP_ARGS(guest, handle, addr, npages, write));

/* A session asked for @requested ns of device time and got @granted. */
TRACE_EVENT(vgpu_compute_lease,
	TP_PROTO(u32 guest, u32 device, u64 requested, u64 granted,
		 s64 budget),
	TP_ARGS(guest, device, requested, granted, budget),
	TP_STRUCT__entry(
		__field(u32, guest)
		__field(u32, device)
		__field(u64, requested)
		__field(u64, granted)
		__field(s64, budget)
	),
	TP_fast_assign(
		__entry->guest = guest;
		__entry->device = device;
		__entry->requested = requested;
		__entry->granted = granted;
		__entry->budget = budget;
	),
	TP_printk("guest=%u device=%u requested=%llu granted=%llu budget=%lld",
		  __entry->guest, __entry->device, __entry->requested,
		  __entry->granted, __entry->budget)
);

/* A lease of @granted ns was settled with @used ns really used. */
TRACE_EVENT(vgpu_compute_return,
	TP_PROTO(u32 guest, u32 device, u64 granted, u64 used, s64 budget),
	TP_ARGS(guest, device, granted, used, budget),
	TP_STRUCT__entry(
		__field(u32, guest)
		__field(u32, device)
		__field(u64, granted)
		__field(u64, used)
		__field(s64, budget)
	),
	TP_fast_assign(
		__entry->guest = guest;
		__entry->device = device;
		__entry->granted = granted;
		__entry->used = used;
		__entry->budget = budget;
	),
	TP_printk("guest=%u device=%u granted=%llu used=%llu budget=%lld",
		  __entry->guest, __entry->device, __entry->granted,
		  __entry->used, __entry->budget)
);

/* A lease was refused: the guest's budget refills in @wait ns. */
TRACE_EVENT(vgpu_compute_throttle,
	TP_PROTO(u32 guest, u32 device, u64 wait),
	TP_ARGS(guest, device, wait),
	TP_STRUCT__entry(
		__field(u32, guest)
		__field(u32, device)
		__field(u64, wait)
	),
	TP_fast_assign(
		__entry->guest = guest;
		__entry->device = device;
		__entry->wait = wait;
	),
	TP_printk("guest=%u device=%u wait=%llu", __entry->guest,
		  __entry->device, __entry->wait)
);

#endif /* _VGPU_TRACE_H */

/* Out of tree: the build adds -I$(src) for trace.c, see kmod/Kbuild. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vgpu_trace
#include <trace/define_trace.h>
