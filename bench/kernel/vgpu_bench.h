/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the in-VM kernel benchmarks: a guest through the "vgpu"
 * generic netlink family, an attached /dev/vgpu session, timing, medians.
 */
#ifndef VGPU_BENCH_H
#define VGPU_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Create guest @name (no limits). 0 or negative errno. */
int vb_guest_new(const char *name);
/* Destroy guest @name. 0 or negative errno. */
int vb_guest_del(const char *name);
/* Open /dev/vgpu and attach to guest @name: the fd or negative errno. */
int vb_open_attached(const char *name);

/*
 * A new guest "@prefix-PID" (its name into @name) and a session attached to
 * it: the fd, else -1 after saying why on stderr as @prog (the guest is gone
 * again then).
 */
int vb_bench_guest(const char *prog, const char *prefix, char *name, size_t len);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t vb_now_ns(void);
/* Median of @n values (sorts @v). */
double vb_median(double *v, size_t n);

#endif
