// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu statistics: the counters of a session, the reasons of its
 * fallbacks, and the same in the Prometheus text format.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
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

/** struct prom_metric - one metric read from a counter of a struct (uint64_t at @off) */
struct prom_metric {
	const char *name, *type, *help;
	size_t off;
	double div;		/* 1, or 1e9 for nanoseconds as seconds */
};

#define STAT(f) offsetof(struct vgpu_stats, f)
#define POOL(f) offsetof(struct vgpu_pool, f)

static const struct prom_metric launches[] = {
	{ "vgpu_lib_launches_total", "counter", "Kernel launches asked for.", STAT(launches), 1 },
	{ "vgpu_lib_launches_gpu_total", "counter", "Launches run on a GPU backend.",
	  STAT(launches_gpu), 1 },
	{ "vgpu_lib_launches_gpu_ok_total", "counter", "GPU launches that succeeded.",
	  STAT(launches_gpu_ok), 1 },
	{ "vgpu_lib_launches_cpu_total", "counter", "Launches run on the CPU backend.",
	  STAT(launches_cpu), 1 },
	{ "vgpu_lib_launch_errors_total", "counter", "Launches that returned an error.",
	  STAT(launch_errors), 1 },
};

static const struct prom_metric compiles[] = {
	{ "vgpu_lib_launch_seconds_total", "counter", "Time spent in synchronous launches.",
	  STAT(launch_ns), 1e9 },
	{ "vgpu_lib_compiles_total", "counter", "Module compiles asked for.", STAT(compiles), 1 },
	{ "vgpu_lib_compile_errors_total", "counter", "Compiles that failed.", STAT(compile_errors), 1 },
	{ "vgpu_lib_compile_seconds_total", "counter", "Time spent compiling (cache misses).",
	  STAT(compile_ns), 1e9 },
	{ "vgpu_lib_cache_hits_total", "counter", "Compile cache hits.", STAT(cache_hits), 1 },
	{ "vgpu_lib_cache_misses_total", "counter", "Compile cache misses.", STAT(cache_misses), 1 },
};

static const struct prom_metric compute_memory[] = {
	{ "vgpu_lib_quota_refusals_total", "counter", "Charges the ledger refused.",
	  STAT(quota_refusals), 1 },
	{ "vgpu_lib_compute_seconds_total", "counter",
	  "Device time the session's launches took, measured from completions.", STAT(compute_ns), 1e9 },
	{ "vgpu_lib_compute_throttled_seconds_total", "counter",
	  "Time the session's launches waited for the guest's GPU time budget.",
	  STAT(compute_throttled_ns), 1e9 },
	{ "vgpu_lib_compute_fallback_seconds_total", "counter",
	  "CPU time of a GPU session's launches run on the CPU.", STAT(compute_fallback_ns), 1e9 },
	{ "vgpu_lib_compute_leases_total", "counter", "GPU time leases asked for.",
	  STAT(compute_leases), 1 },
	{ "vgpu_lib_compute_refusals_total", "counter", "GPU time leases refused (no budget left).",
	  STAT(compute_refusals), 1 },
	{ "vgpu_lib_compute_device_windows_total", "counter",
	  "Windows of asynchronous launches measured on the device's clock.",
	  STAT(compute_device_windows), 1 },
	{ "vgpu_lib_compute_early_handovers_total", "counter",
	  "Leases that handed the device to another session before their last work ended.",
	  STAT(compute_early_handovers), 1 },
	{ "vgpu_lib_compute_overlapped_leases_total", "counter",
	  "Leases that ended without draining the device: the next lease's work queued behind them.",
	  STAT(compute_overlapped_leases), 1 },
	{ "vgpu_lib_memory_bytes", "gauge", "Device memory held by the session's buffers.",
	  STAT(mem_used), 1 },
	{ "vgpu_lib_memory_peak_bytes", "gauge", "Highest device memory held by the session's buffers.",
	  STAT(mem_peak), 1 },
};

static const struct prom_metric pool_metrics[] = {
	{ "vgpu_lib_pool_reserved_bytes", "gauge",
	  "Device memory the buffer pool holds (in use + idle), all charged.", POOL(reserved), 1 },
	{ "vgpu_lib_pool_idle_bytes", "gauge", "Freed blocks the buffer pool keeps for reuse.",
	  POOL(idle_bytes), 1 },
	{ "vgpu_lib_pool_hits_total", "counter", "Allocations served from an idle pool block.",
	  POOL(hits), 1 },
	{ "vgpu_lib_pool_misses_total", "counter", "Allocations that needed a new device allocation.",
	  POOL(misses), 1 },
};

#undef STAT
#undef POOL

/* the metrics of @t, n of them, read from the struct at @base */
static void metrics(struct vgpu_sbuf *p, const char *lbl, const struct prom_metric *t, size_t n,
		    const void *base)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, (const char *)base + t[i].off, sizeof(v));
		metric(p, lbl, t[i].name, t[i].type, t[i].help, NULL, (double)v / t[i].div);
	}
}

/* a counter family: one series per value of label @key */
static void family(struct vgpu_sbuf *p, const char *lbl, const char *name, const char *help,
		   const char *key, const char *const *keys, const uint64_t *v, int n)
{
	vgpu_sb_printf(p, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (int i = 0; i < n; i++)
		vgpu_sb_printf(p, "%s{%s,%s=\"%s\"} %llu\n", name, lbl, key, keys[i],
			       (unsigned long long)v[i]);
}

/* the session's own counters (@st) and its buffer pool's */
static void prom_session(struct vgpu_sbuf *p, const char *lbl, const struct vgpu_stats *st,
			 const struct vgpu_pool *pool)
{
	static const char *const dirs[] = { "h2d", "d2h", "d2d" }, *const routes[] = { "gpu", "cpu" };
	const uint64_t copies[] = { st->bytes_h2d, st->bytes_d2h, st->bytes_d2d };
	const uint64_t batches[] = { st->batch_gpu, st->batch_cpu };

	metrics(p, lbl, launches, sizeof(launches) / sizeof(launches[0]), st);
	metric(p, lbl, "vgpu_lib_gpu_success_ratio", "gauge",
	       "Share of GPU launches that succeeded (1 when none).", NULL,
	       st->launches_gpu ? (double)st->launches_gpu_ok / (double)st->launches_gpu : 1.0);
	metrics(p, lbl, compiles, sizeof(compiles) / sizeof(compiles[0]), st);
	family(p, lbl, "vgpu_lib_fallbacks_total",
	       "Work sent to the CPU instead of the GPU, by reason.", "reason", fb_names,
	       st->fallbacks, VGPU_FB_NR);
	metrics(p, lbl, compute_memory, sizeof(compute_memory) / sizeof(compute_memory[0]), st);
	metrics(p, lbl, pool_metrics, sizeof(pool_metrics) / sizeof(pool_metrics[0]), pool);
	family(p, lbl, "vgpu_lib_copy_bytes_total", "Bytes copied, by direction.", "direction", dirs,
	       copies, 3);
	family(p, lbl, "vgpu_lib_batch_items_total", "Batch items, by route.", "route", routes,
	       batches, 2);
	metric(p, lbl, "vgpu_lib_batch_threshold", "gauge",
	       "Work size at and above which batch items go to the GPU.", NULL,
	       (double)st->batch_threshold);
}

/* the guest's books, as the ledger keeps them */
static void prom_ledger(struct vgpu_sbuf *p, const char *lbl, const struct vgpu_ledger_usage *u)
{
	static const char *const what[4] = { "used", "peak", "limit", "limit_hits_total" };
	static const char *const help[4] = {
		"Ledger usage now (bytes or contexts).", "Ledger highest usage.",
		"Ledger limit (+Inf: none).", "Charges refused at the limit." };
	const char *src = u->kernel ? "kernel" : "inprocess";

	for (int w = 0; w < 4; w++) {
		const uint64_t *v = w == 0 ? u->used : w == 1 ? u->peak : w == 2 ? u->limit : u->limit_hits;

		vgpu_sb_printf(p, "# HELP vgpu_lib_ledger_%s %s\n# TYPE vgpu_lib_ledger_%s %s\n", what[w],
			       help[w], what[w], w == 3 ? "counter" : "gauge");
		for (int r = 0; r < VGPU_LIB_RES_NR; r++) {
			vgpu_sb_printf(p, "vgpu_lib_ledger_%s{%s,ledger=\"%s\",resource=\"%s\"} ", what[w],
				       lbl, src, vgpu_resource_name(r));
			if (w == 2 && v[r] == VGPU_UNLIMITED)
				vgpu_sb_str(p, "+Inf\n");
			else
				vgpu_sb_printf(p, "%llu\n", (unsigned long long)v[r]);
		}
	}
	metric(p, lbl, "vgpu_lib_ledger_compute_seconds_total", "counter",
	       "Device time the guest consumed (all its sessions).", NULL, (double)u->compute_ns / 1e9);
	if (u->compute_limit)	/* like the exporter: only while a cap is set */
		metric(p, lbl, "vgpu_lib_ledger_compute_limit_ratio", "gauge",
		       "The guest's GPU time cap, share of a period.", NULL, u->compute_limit / 100.0);
	metric(p, lbl, "vgpu_lib_ledger_compute_refusals_total", "counter",
	       "The guest's GPU time leases refused.", NULL, (double)u->compute_limit_hits);
	if (!u->kernel)
		metric(p, lbl, "vgpu_lib_ledger_compute_share_ratio", "gauge",
		       "Share of the device the guest achieved in its last period.", NULL,
		       u->compute_share_period / 10000.0);
}

/* the labels every series has: the guest (escaped) and the backend */
static void prom_labels(const vgpu_session *s, const struct vgpu_stats *st, char *lbl, size_t len)
{
	char g[80];
	size_t gi = 0;

	for (const char *c = s->guest; *c && gi < sizeof(g) - 3; c++) {
		if (*c == '\\' || *c == '"')
			g[gi++] = '\\';
		g[gi++] = *c;
	}
	g[gi] = 0;
	snprintf(lbl, len, "guest=\"%s\",backend=\"%s\"", g, vgpu_backend_name((int)st->backend));
}

VGPU_EXPORT int vgpu_stats_prometheus(vgpu_session *s, char *buf, size_t len)
{
	struct vgpu_ledger_usage u = { .size = sizeof(u) };
	struct vgpu_sbuf p = { 0 };
	struct vgpu_stats st;
	struct vgpu_pool pool;
	char lbl[200];
	int ret;

	CHECK_SESSION(s);
	if (len && !buf)
		return -EINVAL;
	if (len)
		buf[0] = 0;
	pthread_mutex_lock(&s->lock);
	st = s->st;
	pool = s->pool;
	pthread_mutex_unlock(&s->lock);
	prom_labels(s, &st, lbl, sizeof(lbl));
	prom_session(&p, lbl, &st, &pool);
	if (!vgpu_ledger_usage(s, &u))
		prom_ledger(&p, lbl, &u);
	ret = p.oom ? -ENOMEM : p.n > (size_t)0x7fffffff ? -EOVERFLOW : (int)p.n;
	if (ret > 0 && len) {
		size_t k = p.n < len - 1 ? p.n : len - 1;

		memcpy(buf, p.p, k);
		buf[k] = 0;
	}
	free(p.p);
	return ret;
}
