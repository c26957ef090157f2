// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Quotas with the in-process ledger: exactly at the limit and one byte past
 * it, peak and limit hits, quota fallback to host memory, context and pinned
 * limits, limits from the environment, run-time limit changes, release at
 * close. Batch scheduling: routing, adaptation from measured times.
 */
#include <unistd.h>

#include "common.h"

#define MiB (1024ull * 1024)

static const char src[] =
"extern \"C\" __global__ void add1(int *p, int n)\n"
"{ int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) p[i] += 1; }\n";

static struct vgpu_ledger_usage usage(vgpu_session *s)
{
	struct vgpu_ledger_usage u = { .size = sizeof(u) };

	vgpu_ledger_usage(s, &u);
	return u;
}

static void quotas(void)
{
	vgpu_session *s = t_session_limits("q-mem", 0, 1 * MiB, 64 * 1024, VGPU_UNLIMITED), *s2;
	vgpu_buffer *a = NULL, *b = NULL, *c = NULL;
	struct vgpu_ledger_usage u;
	struct vgpu_stats st = { .size = sizeof(st) };
	void *pin = NULL, *pin2 = NULL;
	int ret;

	tap_ok(s != NULL, "quota: session with a 1 MiB memory limit");
	if (!s)
		return;
	u = usage(s);
	tap_ok(u.kernel == 0 && u.used[VGPU_LIB_RES_CONTEXTS] == 1 && u.limit[VGPU_LIB_RES_MEMORY] == MiB,
	       "quota: in-process books: one context, limit 1 MiB");
	tap_ok(vgpu_buffer_alloc(s, MiB - 4096, &a) == 0 && vgpu_buffer_alloc(s, 4096, &b) == 0,
	       "quota: allocations up to exactly the limit succeed");
	ret = vgpu_buffer_alloc(s, 1, &c);
	tap_ok(ret == -EDQUOT && c == NULL, "quota: one byte past the limit is EDQUOT");
	tap_ok(strstr(vgpu_last_error(s), "quota") != NULL, "quota: ...text: %s", vgpu_last_error(s));
	u = usage(s);
	tap_ok(u.used[VGPU_LIB_RES_MEMORY] == MiB && u.peak[VGPU_LIB_RES_MEMORY] == MiB &&
	       u.limit_hits[VGPU_LIB_RES_MEMORY] == 1, "quota: used = peak = limit, one limit hit");
	vgpu_buffer_free(b);
	u = usage(s);
	tap_ok(u.used[VGPU_LIB_RES_MEMORY] == MiB, "quota: a freed buffer stays charged while the pool holds its block");
	vgpu_pool_trim(s, 0);
	u = usage(s);
	tap_ok(u.used[VGPU_LIB_RES_MEMORY] == MiB - 4096 && u.peak[VGPU_LIB_RES_MEMORY] == MiB,
	       "quota: trimming the pool uncharges it, peak stays");
	tap_ok(vgpu_ledger_set_limit(s, VGPU_LIB_RES_MEMORY, 4096) == 0 &&
	       vgpu_buffer_alloc(s, 1, &c) == -EDQUOT && usage(s).used[VGPU_LIB_RES_MEMORY] == MiB - 4096,
	       "quota: lowering the limit below usage blocks charges, takes nothing away");
	CHECK_ERR(vgpu_ledger_set_limit(s, 7, 1), -EINVAL, "quota: set_limit of an unknown resource is EINVAL");
	vgpu_ledger_set_limit(s, VGPU_LIB_RES_MEMORY, MiB);
	vgpu_stats_get(s, &st);
	tap_ok(st.quota_refusals == 2 && st.fallbacks[VGPU_FB_QUOTA] == 0, "quota: refusals counted, no fallback");

	/* pinned */
	tap_ok(vgpu_host_alloc(s, 64 * 1024, &pin) == 0, "quota: pinned buffer exactly at the pinned limit");
	CHECK_ERR(vgpu_host_alloc(s, 1, &pin2), -EDQUOT, "quota: one more pinned page is EDQUOT");
	tap_ok(usage(s).used[VGPU_LIB_RES_PINNED] == 64 * 1024, "quota: pinned bytes in the books");
	vgpu_host_free(s, pin);
	tap_ok(usage(s).used[VGPU_LIB_RES_PINNED] == 0, "quota: host_free unpins");

	/* a second session of the same guest shares the books */
	s2 = t_session_limits("q-mem", 0, 1 * MiB, 64 * 1024, VGPU_UNLIMITED);
	tap_ok(s2 && usage(s2).used[VGPU_LIB_RES_CONTEXTS] == 2 &&
	       vgpu_buffer_alloc(s2, 8192, &c) == -EDQUOT,
	       "quota: a second session of the guest shares its books");
	vgpu_session_close(s2);
	vgpu_session_close(s);	/* frees a */

	s = t_session_limits("q-mem", 0, 1 * MiB, 64 * 1024, VGPU_UNLIMITED);
	u = usage(s);
	tap_ok(s && u.used[VGPU_LIB_RES_MEMORY] == 0 && u.used[VGPU_LIB_RES_CONTEXTS] == 1 &&
	       u.peak[VGPU_LIB_RES_MEMORY] == MiB, "quota: close released everything (peak kept)");
	vgpu_session_close(s);
}

static void contexts(void)
{
	vgpu_session *s = t_session_limits("q-ctx", 0, VGPU_UNLIMITED, VGPU_UNLIMITED, 1), *s2 = NULL;
	struct vgpu_session_opts o = { .size = sizeof(o), .guest = "q-ctx",
				       .flags = VGPU_SESSION_NO_DEVICE_LEDGER,
				       .backend = VGPU_BACKEND_CPU };

	tap_ok(s != NULL, "quota: first context under a limit of 1");
	CHECK_ERR(vgpu_session_open(&s2, &o), -EDQUOT, "quota: second context of the guest is EDQUOT");
	vgpu_session_close(s);
	tap_ok(vgpu_session_open(&s2, &o) == 0, "quota: after close the context is free again");
	vgpu_session_close(s2);
}

static void env_limits(void)
{
	vgpu_session *s;
	struct vgpu_session_opts o = { .size = sizeof(o), .guest = "q-env",
				       .flags = VGPU_SESSION_NO_DEVICE_LEDGER,
				       .backend = VGPU_BACKEND_CPU };
	vgpu_buffer *b = NULL;

	setenv("VGPU_MEM_LIMIT", "2M", 1);
	setenv("VGPU_PINNED_LIMIT", "0", 1);
	if (vgpu_session_open(&s, &o)) {
		tap_ok(0, "quota: limits from the environment (open failed)");
		return;
	}
	tap_ok(usage(s).limit[VGPU_LIB_RES_MEMORY] == 2 * MiB && usage(s).limit[VGPU_LIB_RES_PINNED] == 0 &&
	       usage(s).limit[VGPU_LIB_RES_CONTEXTS] == VGPU_UNLIMITED,
	       "quota: VGPU_MEM_LIMIT=2M, VGPU_PINNED_LIMIT=0 from the environment");
	tap_ok(vgpu_buffer_alloc(s, 2 * MiB, &b) == 0 && vgpu_buffer_alloc(s, 1, &b) == -EDQUOT,
	       "quota: the environment limit is enforced");
	vgpu_session_close(s);
	unsetenv("VGPU_MEM_LIMIT");
	unsetenv("VGPU_PINNED_LIMIT");
	setenv("VGPU_MEM_LIMIT", "12XB", 1);
	s = NULL;
	tap_ok(vgpu_session_open(&s, &o) == -EINVAL && !s &&
	       strstr(vgpu_last_error(NULL), "VGPU_MEM_LIMIT"),
	       "quota: a malformed VGPU_MEM_LIMIT fails the open, naming it (never unlimited)");
	vgpu_session_close(s);
	unsetenv("VGPU_MEM_LIMIT");
}

static void fallback(void)
{
	vgpu_session *s = t_session_limits("q-fb", VGPU_FALLBACK_QUOTA, 4096, VGPU_UNLIMITED,
					   VGPU_UNLIMITED);
	vgpu_buffer *a = NULL, *b = NULL;
	struct vgpu_stats st = { .size = sizeof(st) };
	vgpu_module *m;
	vgpu_kernel *k;
	char why[256] = "";
	int v[2000];

	tap_ok(s && vgpu_buffer_alloc(s, 4096, &a) == 0 && vgpu_buffer_on_host(a) == 1,
	       "quota-fallback: a charged buffer at the limit");
	tap_ok(vgpu_buffer_alloc(s, sizeof(v), &b) == 0, "quota-fallback: past the limit the buffer still comes");
	vgpu_stats_get(s, &st);
	tap_ok(st.fallbacks[VGPU_FB_QUOTA] == 1 && st.quota_refusals == 1 &&
	       vgpu_fallback_text(s, VGPU_FB_QUOTA, why, sizeof(why)) > 0 && strstr(why, "quota"),
	       "quota-fallback: counted with its reason: %s", why);
	tap_ok(usage(s).used[VGPU_LIB_RES_MEMORY] == 4096 && st.mem_used == 4096,
	       "quota-fallback: the fallback buffer is not charged as device memory");
	for (int i = 0; i < 2000; i++)
		v[i] = i;
	if (vgpu_module_compile(s, src, 0, NULL, &m) || vgpu_kernel_get(m, "add1", &k)) {
		tap_ok(0, "quota-fallback: kernels run on the fallback buffer (%s)", vgpu_last_error(s));
	} else {
		struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { 8, 1, 1 }, .block = { 256, 1, 1 } };
		struct vgpu_arg args[] = { vgpu_arg_buf(b), vgpu_arg_i32(2000) };
		int bad = 0;

		vgpu_buffer_write(b, 0, v, sizeof(v));
		if (vgpu_launch(k, &c, args, 2) || vgpu_buffer_read(b, 0, v, sizeof(v)))
			bad = -1;
		for (int i = 0; bad >= 0 && i < 2000; i++)
			bad += v[i] != i + 1;
		tap_ok(bad == 0, "quota-fallback: kernels run on the fallback buffer");
	}
	vgpu_buffer_free(b);
	tap_ok(usage(s).used[VGPU_LIB_RES_MEMORY] == 4096, "quota-fallback: freeing it uncharges nothing");
	vgpu_session_close(s);
}

static void batch(void)
{
	vgpu_session *s = t_session("batch", 0);
	struct vgpu_batch_opts o = { .size = sizeof(o), .threshold = 1000, .explore_every = 4 };
	vgpu_batch *b = NULL;
	uint64_t thr = 0;
	int gpu = 0, cpu = 0;

	tap_ok(s && vgpu_batch_create(s, &o, &b) == 0, "batch: create");
	if (!b)
		return;
	for (int i = 0; i < 8; i++) {
		gpu += vgpu_batch_route(b, 5000) == VGPU_ROUTE_GPU;
		cpu += vgpu_batch_route(b, 10) == VGPU_ROUTE_CPU;
	}
	tap_ok(gpu + cpu == 12, "batch: routes by size, every 4th decision explores (%d, %d)", gpu, cpu);
	/* GPU: 50 us + 1 ns/item; CPU: 0.1 us + 10 ns/item -> cross at 5544.4 */
	for (int i = 1; i <= 20; i++) {
		uint64_t n = (uint64_t)i * 1000;

		vgpu_batch_record(b, VGPU_ROUTE_GPU, n, 50000 + n);
		vgpu_batch_record(b, VGPU_ROUTE_CPU, n, 100 + 10 * n);
	}
	vgpu_batch_threshold(b, &thr);
	tap_ok(thr >= 5530 && thr <= 5560, "batch: threshold adapts to where the times cross (%llu)",
	       (unsigned long long)thr);
	/* the GPU gets slower: 200 us fixed cost -> ~22210 */
	for (int i = 0; i < 200; i++) {
		uint64_t n = (uint64_t)(i % 20 + 1) * 2000;

		vgpu_batch_record(b, VGPU_ROUTE_GPU, n, 200000 + n);
		vgpu_batch_record(b, VGPU_ROUTE_CPU, n, 100 + 10 * n);
	}
	vgpu_batch_threshold(b, &thr);
	tap_ok(thr >= 22000 && thr <= 22400, "batch: and follows a change (%llu)", (unsigned long long)thr);
	for (int i = 0; i < 100; i++) {
		uint64_t n = (uint64_t)(i % 10 + 1) * 100;

		vgpu_batch_record(b, VGPU_ROUTE_GPU, n, 1000 + 10 * n);
		vgpu_batch_record(b, VGPU_ROUTE_CPU, n, 10 + n);
	}
	vgpu_batch_threshold(b, &thr);
	tap_ok(thr == 1ull << 40, "batch: a CPU faster at every size keeps everything on the CPU");
	CHECK_ERR(vgpu_batch_record(b, 5, 1, 1), -EINVAL, "batch: unknown route is EINVAL");
	vgpu_batch_destroy(b);

	o.flags = VGPU_BATCH_FIXED;
	vgpu_batch_create(s, &o, &b);
	vgpu_batch_record(b, VGPU_ROUTE_GPU, 10, 1);
	vgpu_batch_record(b, VGPU_ROUTE_GPU, 20, 2);
	vgpu_batch_record(b, VGPU_ROUTE_CPU, 10, 100);
	vgpu_batch_record(b, VGPU_ROUTE_CPU, 20, 200);
	vgpu_batch_threshold(b, &thr);
	tap_ok(thr == 1000, "batch: VGPU_BATCH_FIXED keeps the threshold");
	vgpu_batch_destroy(b);

	/* real launches: both routes on the CPU backend (it stands in for the GPU) */
	{
		vgpu_module *m;
		vgpu_kernel *k;
		vgpu_buffer *buf;
		struct vgpu_stats st = { .size = sizeof(st) };
		int n = 1 << 16, bad = 0, *v = calloc(n, sizeof(int));

		o.flags = 0;
		o.threshold = 4096;
		o.explore_every = 3;
		if (!v || vgpu_batch_create(s, &o, &b) || vgpu_module_compile(s, src, 0, NULL, &m) ||
		    vgpu_kernel_get(m, "add1", &k) || vgpu_buffer_alloc(s, n * sizeof(int), &buf) ||
		    vgpu_buffer_write(buf, 0, v, n * sizeof(int))) {
			tap_ok(0, "batch: launches (%s)", vgpu_last_error(s));
			free(v);
			vgpu_session_close(s);
			return;
		}
		for (int i = 0; i < 24; i++) {
			int items = 64 << (i % 11);
			struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { (items + 63) / 64, 1, 1 },
						     .block = { 64, 1, 1 } };
			struct vgpu_arg a[] = { vgpu_arg_buf(buf), vgpu_arg_i32(items) };
			int r = vgpu_batch_launch(b, (uint64_t)items, k, &c, a, 2);

			if (r < 0)
				bad++;
			for (int j = 0; j < items; j++)
				v[j]++;
		}
		{
			int *got = malloc(n * sizeof(int));

			vgpu_buffer_read(buf, 0, got, n * sizeof(int));
			for (int j = 0; j < n; j++)
				bad += got[j] != v[j];
			free(got);
		}
		vgpu_stats_get(s, &st);
		vgpu_batch_threshold(b, &thr);
		tap_ok(bad == 0 && st.batch_gpu + st.batch_cpu == 24 && st.batch_gpu > 0 && st.batch_cpu > 0,
		       "batch: 24 launches routed both ways, results right (gpu %llu, cpu %llu, threshold %llu)",
		       (unsigned long long)st.batch_gpu, (unsigned long long)st.batch_cpu,
		       (unsigned long long)thr);
		free(v);
	}
	vgpu_session_close(s);
}

int main(void)
{
	unsetenv("VGPU_MEM_LIMIT");
	unsetenv("VGPU_PINNED_LIMIT");
	unsetenv("VGPU_CONTEXT_LIMIT");
	quotas();
	contexts();
	env_limits();
	fallback();
	batch();
	return tap_done();
}
