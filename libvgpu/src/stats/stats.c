// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu statistics: the counters of a session, the reasons of its
 * fallbacks, and the same in the Prometheus text format.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static const char *const fb_names[VGPU_FB_NR] = { "no_gpu", "compile", "launch", "quota" };

VGPU_EXPORT int vgpu_stats_get(vgpu_session *s, struct vgpu_stats *st)
{
	size_t n;

	CHECK_SESSION(s);
	/* callers built before the compute fields pass a shorter size */
	if (!st || st->size < offsetof(struct vgpu_stats, compute_ns))
		return -EINVAL;
	n = st->size < sizeof(*st) ? st->size : sizeof(*st);
	pthread_mutex_lock(&s->lock);
	memcpy(st, &s->st, n);
	pthread_mutex_unlock(&s->lock);
	st->size = (uint32_t)n;
	return 0;
}

VGPU_EXPORT int vgpu_fallback_text(vgpu_session *s, int reason, char *buf, size_t len)
{
	int n;

	CHECK_SESSION(s);
	if (reason < 0 || reason >= VGPU_FB_NR || (len && !buf))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	n = (int)strlen(s->fbtext[reason]);
	if (len)
		snprintf(buf, len, "%s", s->fbtext[reason]);
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ---- Prometheus text ------------------------------------------------------ */

static void metric(struct vgpu_sbuf *p, const char *lbl, const char *name, const char *type,
		   const char *help, const char *extra, double v)
{
	vgpu_sb_printf(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	vgpu_sb_printf(p, "%s{%s%s} %.17g\n", name, lbl, extra ? extra : "", v);
}

VGPU_EXPORT int vgpu_stats_prometheus(vgpu_session *s, char *buf, size_t len)
{
	struct vgpu_ledger_usage u = { .size = sizeof(u) };
	struct vgpu_sbuf p = { 0 };
	struct vgpu_stats st;
	struct vgpu_pool pool;
	char lbl[200], g[80];
	size_t gi = 0;

	CHECK_SESSION(s);
	if (len && !buf)
		return -EINVAL;
	if (len)
		buf[0] = 0;
	for (const char *c = s->guest; *c && gi < sizeof(g) - 3; c++) {
		if (*c == '\\' || *c == '"')
			g[gi++] = '\\';
		g[gi++] = *c;
	}
	g[gi] = 0;
	pthread_mutex_lock(&s->lock);
	st = s->st;
	pool = s->pool;
	pthread_mutex_unlock(&s->lock);
	snprintf(lbl, sizeof(lbl), "guest=\"%s\",backend=\"%s\"", g,
		 vgpu_backend_name((int)st.backend));
	metric(&p, lbl, "vgpu_lib_launches_total", "counter", "Kernel launches asked for.", NULL,
	       (double)st.launches);
	metric(&p, lbl, "vgpu_lib_launches_gpu_total", "counter", "Launches run on a GPU backend.",
	       NULL, (double)st.launches_gpu);
	metric(&p, lbl, "vgpu_lib_launches_gpu_ok_total", "counter",
	       "GPU launches that succeeded.", NULL, (double)st.launches_gpu_ok);
	metric(&p, lbl, "vgpu_lib_launches_cpu_total", "counter", "Launches run on the CPU backend.",
	       NULL, (double)st.launches_cpu);
	metric(&p, lbl, "vgpu_lib_launch_errors_total", "counter",
	       "Launches that returned an error.", NULL, (double)st.launch_errors);
	metric(&p, lbl, "vgpu_lib_gpu_success_ratio", "gauge",
	       "Share of GPU launches that succeeded (1 when none).", NULL,
	       st.launches_gpu ? (double)st.launches_gpu_ok / (double)st.launches_gpu : 1.0);
	metric(&p, lbl, "vgpu_lib_launch_seconds_total", "counter",
	       "Time spent in synchronous launches.", NULL, (double)st.launch_ns / 1e9);
	metric(&p, lbl, "vgpu_lib_compiles_total", "counter", "Module compiles asked for.", NULL,
	       (double)st.compiles);
	metric(&p, lbl, "vgpu_lib_compile_errors_total", "counter", "Compiles that failed.", NULL,
	       (double)st.compile_errors);
	metric(&p, lbl, "vgpu_lib_compile_seconds_total", "counter",
	       "Time spent compiling (cache misses).", NULL, (double)st.compile_ns / 1e9);
	metric(&p, lbl, "vgpu_lib_cache_hits_total", "counter", "Compile cache hits.", NULL,
	       (double)st.cache_hits);
	metric(&p, lbl, "vgpu_lib_cache_misses_total", "counter", "Compile cache misses.", NULL,
	       (double)st.cache_misses);
	vgpu_sb_printf(&p, "# HELP vgpu_lib_fallbacks_total Work sent to the CPU instead of the GPU, by reason.\n"
	       "# TYPE vgpu_lib_fallbacks_total counter\n");
	for (int r = 0; r < VGPU_FB_NR; r++)
		vgpu_sb_printf(&p, "vgpu_lib_fallbacks_total{%s,reason=\"%s\"} %llu\n", lbl, fb_names[r],
		   (unsigned long long)st.fallbacks[r]);
	metric(&p, lbl, "vgpu_lib_quota_refusals_total", "counter",
	       "Charges the ledger refused.", NULL, (double)st.quota_refusals);
	metric(&p, lbl, "vgpu_lib_compute_seconds_total", "counter",
	       "Device time the session's launches took, measured from completions.", NULL,
	       (double)st.compute_ns / 1e9);
	metric(&p, lbl, "vgpu_lib_compute_throttled_seconds_total", "counter",
	       "Time the session's launches waited for the guest's GPU time budget.", NULL,
	       (double)st.compute_throttled_ns / 1e9);
	metric(&p, lbl, "vgpu_lib_compute_fallback_seconds_total", "counter",
	       "CPU time of a GPU session's launches run on the CPU.", NULL,
	       (double)st.compute_fallback_ns / 1e9);
	metric(&p, lbl, "vgpu_lib_compute_leases_total", "counter",
	       "GPU time leases asked for.", NULL, (double)st.compute_leases);
	metric(&p, lbl, "vgpu_lib_compute_refusals_total", "counter",
	       "GPU time leases refused (no budget left).", NULL, (double)st.compute_refusals);
	metric(&p, lbl, "vgpu_lib_memory_bytes", "gauge",
	       "Device memory held by the session's buffers.", NULL, (double)st.mem_used);
	metric(&p, lbl, "vgpu_lib_memory_peak_bytes", "gauge",
	       "Highest device memory held by the session's buffers.", NULL, (double)st.mem_peak);
	metric(&p, lbl, "vgpu_lib_pool_reserved_bytes", "gauge",
	       "Device memory the buffer pool holds (in use + idle), all charged.", NULL,
	       (double)pool.reserved);
	metric(&p, lbl, "vgpu_lib_pool_idle_bytes", "gauge",
	       "Freed blocks the buffer pool keeps for reuse.", NULL, (double)pool.idle_bytes);
	metric(&p, lbl, "vgpu_lib_pool_hits_total", "counter",
	       "Allocations served from an idle pool block.", NULL, (double)pool.hits);
	metric(&p, lbl, "vgpu_lib_pool_misses_total", "counter",
	       "Allocations that needed a new device allocation.", NULL, (double)pool.misses);
	vgpu_sb_printf(&p, "# HELP vgpu_lib_copy_bytes_total Bytes copied, by direction.\n"
	       "# TYPE vgpu_lib_copy_bytes_total counter\n");
	vgpu_sb_printf(&p, "vgpu_lib_copy_bytes_total{%s,direction=\"h2d\"} %llu\n", lbl,
	   (unsigned long long)st.bytes_h2d);
	vgpu_sb_printf(&p, "vgpu_lib_copy_bytes_total{%s,direction=\"d2h\"} %llu\n", lbl,
	   (unsigned long long)st.bytes_d2h);
	vgpu_sb_printf(&p, "vgpu_lib_copy_bytes_total{%s,direction=\"d2d\"} %llu\n", lbl,
	   (unsigned long long)st.bytes_d2d);
	vgpu_sb_printf(&p, "# HELP vgpu_lib_batch_items_total Batch items, by route.\n"
	       "# TYPE vgpu_lib_batch_items_total counter\n");
	vgpu_sb_printf(&p, "vgpu_lib_batch_items_total{%s,route=\"gpu\"} %llu\n", lbl,
	   (unsigned long long)st.batch_gpu);
	vgpu_sb_printf(&p, "vgpu_lib_batch_items_total{%s,route=\"cpu\"} %llu\n", lbl,
	   (unsigned long long)st.batch_cpu);
	metric(&p, lbl, "vgpu_lib_batch_threshold", "gauge",
	       "Work size at and above which batch items go to the GPU.", NULL,
	       (double)st.batch_threshold);
	if (!vgpu_ledger_usage(s, &u)) {
		const char *src = u.kernel ? "kernel" : "inprocess";
		static const char *const what[4] = { "used", "peak", "limit", "limit_hits_total" };
		static const char *const help[4] = {
			"Ledger usage now (bytes or contexts).", "Ledger highest usage.",
			"Ledger limit (+Inf: none).", "Charges refused at the limit." };

		for (int w = 0; w < 4; w++) {
			vgpu_sb_printf(&p, "# HELP vgpu_lib_ledger_%s %s\n# TYPE vgpu_lib_ledger_%s %s\n", what[w],
			   help[w], what[w], w == 3 ? "counter" : "gauge");
			for (int r = 0; r < VGPU_LIB_RES_NR; r++) {
				uint64_t v = w == 0 ? u.used[r] : w == 1 ? u.peak[r] :
					     w == 2 ? u.limit[r] : u.limit_hits[r];

				if (w == 2 && v == VGPU_UNLIMITED)
					vgpu_sb_printf(&p, "vgpu_lib_ledger_%s{%s,ledger=\"%s\",resource=\"%s\"} +Inf\n",
					   what[w], lbl, src, vgpu_resource_name(r));
				else
					vgpu_sb_printf(&p, "vgpu_lib_ledger_%s{%s,ledger=\"%s\",resource=\"%s\"} %llu\n",
					   what[w], lbl, src, vgpu_resource_name(r), (unsigned long long)v);
			}
		}
		metric(&p, lbl, "vgpu_lib_ledger_compute_seconds_total", "counter",
		       "Device time the guest consumed (all its sessions).", NULL,
		       (double)u.compute_ns / 1e9);
		if (u.compute_limit)	/* like the exporter: only while a cap is set */
			metric(&p, lbl, "vgpu_lib_ledger_compute_limit_ratio", "gauge",
			       "The guest's GPU time cap, share of a period.", NULL,
			       u.compute_limit / 100.0);
		metric(&p, lbl, "vgpu_lib_ledger_compute_refusals_total", "counter",
		       "The guest's GPU time leases refused.", NULL, (double)u.compute_limit_hits);
		if (!u.kernel)
			metric(&p, lbl, "vgpu_lib_ledger_compute_share_ratio", "gauge",
			       "Share of the device the guest achieved in its last period.", NULL,
			       u.compute_share_period / 10000.0);
	}
	if (p.oom) {
		free(p.p);
		return -ENOMEM;
	}
	if (p.n > (size_t)0x7fffffff) {
		free(p.p);
		return -EOVERFLOW;
	}
	if (len) {
		size_t k = p.n < len - 1 ? p.n : len - 1;

		memcpy(buf, p.p, k);
		buf[k] = 0;
	}
	free(p.p);
	return (int)p.n;
}
