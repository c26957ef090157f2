// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vgpu-demo: run real kernels for one guest through libvgpu and print the
 * guest's books.
 *
 *   vgpu-demo GUEST ELEMENTS [none|quota]
 *   vgpu-demo GUEST ELEMENTS share SECONDS
 *
 * Compiles the kernel corpus (common/corpus.h) and runs its saxpy and its
 * shared-memory reduction: allocates three buffers of
 * ELEMENTS floats, runs both kernels, checks every result against plain C,
 * and prints what the ledger (the kernel's, when /dev/vgpu is there) says.
 * The last argument is the fallback policy for a refused memory charge:
 * "none" fails cleanly with the quota's errno, "quota" puts the buffers in
 * host memory and runs the kernels on the CPU backend (counted).
 *
 * "share" then keeps the device busy with saxpy for SECONDS and prints the
 * device time the guest got (its GPU time limit at work: two guests run at
 * once get their shares).
 *
 * Exit status: 0 the work ran and was right, 3 refused by a quota (policy
 * "none"), 1 anything else.
 */
#include <errno.h>
#include <math.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpu/libvgpu.h>

#include "common/corpus.h"	/* saxpy, reduce_sum: the kernels every test runs */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* saxpy for @secs seconds: how much device time did the guest get? */
static int share(vgpu_session *s, vgpu_kernel *k, struct vgpu_launch_cfg *cfg,
		 struct vgpu_arg *a, double secs, const char *guest)
{
	struct vgpu_stats st0 = { .size = sizeof(st0) }, st1 = { .size = sizeof(st1) };
	struct vgpu_ledger_usage u = { .size = sizeof(u) };
	double t0, t1;
	long launches = 0;
	int err = 0;

	vgpu_stats_get(s, &st0);
	t0 = now_s();
	while (!err && now_s() - t0 < secs) {
		err = vgpu_launch(k, cfg, a, 4);
		launches++;
	}
	t1 = now_s();
	vgpu_stats_get(s, &st1);
	vgpu_ledger_usage(s, &u);
	if (err) {
		fprintf(stderr, "vgpu-demo: launch: %s: %s\n", strerror(-err), vgpu_last_error(s));
		return err;
	}
	char lim[16] = "none";

	if (u.compute_limit)
		snprintf(lim, sizeof(lim), "%u %%", u.compute_limit);
	printf("  %s: %ld launches in %.1f s; device time %.0f ms = %.1f %% (limit %s), waited %.0f ms for its share\n",
	       guest, launches, t1 - t0, (st1.compute_ns - st0.compute_ns) / 1e6,
	       (st1.compute_ns - st0.compute_ns) / 1e7 / (t1 - t0), lim,
	       (st1.compute_throttled_ns - st0.compute_throttled_ns) / 1e6);
	return 0;
}

static void print_books(vgpu_session *s, const char *guest)
{
	struct vgpu_ledger_usage u = { .size = sizeof(u) };
	struct vgpu_stats st = { .size = sizeof(st) };
	char lim[32];
	int r;

	if (vgpu_ledger_usage(s, &u) == 0) {
		printf("  books of guest '%s' (%s ledger, guest id %u):\n", guest,
		       u.kernel ? "/dev/vgpu" : "in-process", u.guest_id);
		for (r = 0; r < VGPU_LIB_RES_NR; r++) {
			if (u.limit[r] == VGPU_UNLIMITED)
				snprintf(lim, sizeof(lim), "unlimited");
			else
				snprintf(lim, sizeof(lim), "%llu", (unsigned long long)u.limit[r]);
			printf("    %-9s used %-10llu peak %-10llu limit %-10s limit hits %llu\n",
			       vgpu_resource_name(r), (unsigned long long)u.used[r],
			       (unsigned long long)u.peak[r], lim,
			       (unsigned long long)u.limit_hits[r]);
		}
	}
	if (vgpu_stats_get(s, &st) == 0)
		printf("  session: %llu launches (%llu gpu, %llu cpu), fallbacks: no-gpu %llu, quota %llu; cache hits %llu, misses %llu\n",
		       (unsigned long long)st.launches, (unsigned long long)st.launches_gpu,
		       (unsigned long long)st.launches_cpu,
		       (unsigned long long)st.fallbacks[VGPU_FB_NO_GPU],
		       (unsigned long long)st.fallbacks[VGPU_FB_QUOTA],
		       (unsigned long long)st.cache_hits, (unsigned long long)st.cache_misses);
}

int main(int argc, char **argv)
{
	struct vgpu_session_opts opts = { .size = sizeof(opts) };
	struct vgpu_launch_cfg cfg = { .size = sizeof(cfg) };
	struct vgpu_device_props props = { .size = sizeof(props) };
	vgpu_buffer *bx = NULL, *by = NULL, *bs = NULL;
	float *x = NULL, *y = NULL, *sums = NULL;
	vgpu_kernel *k_saxpy, *k_sum;
	vgpu_module *mod = NULL;
	vgpu_session *s = NULL;
	const char *guest;
	int n, blocks, i, err, status = 1;
	double want = 0.0, got = 0.0;
	size_t bytes;

	if (argc < 3) {
		fprintf(stderr, "usage: %s GUEST ELEMENTS [none|quota | share SECONDS]\n", argv[0]);
		return 2;
	}
	guest = argv[1];
	n = atoi(argv[2]);
	if (n <= 0) {
		fprintf(stderr, "vgpu-demo: ELEMENTS must be > 0\n");
		return 2;
	}
	bytes = (size_t)n * sizeof(float);
	blocks = (n + 255) / 256;

	opts.guest = guest;
	opts.backend = VGPU_BACKEND_AUTO;
	opts.fallback = VGPU_FALLBACK_NO_GPU | VGPU_FALLBACK_COMPILE | VGPU_FALLBACK_LAUNCH;
	if (argc > 3 && !strcmp(argv[3], "quota"))
		opts.fallback |= VGPU_FALLBACK_QUOTA;

	err = vgpu_session_open(&s, &opts);
	if (err) {
		fprintf(stderr, "vgpu-demo: guest '%s': cannot open a session: %s\n", guest,
			strerror(-err));
		return 1;
	}
	vgpu_device_props(s, 0, &props);
	printf("guest '%s': backend %s, device '%s', %d elements (%zu bytes a buffer), on refusal: %s\n",
	       guest, vgpu_backend_name(vgpu_session_backend(s)), props.name, n, bytes,
	       (opts.fallback & VGPU_FALLBACK_QUOTA) ? "fall back to the CPU" : "fail");

	err = vgpu_module_compile(s, VGPU_CORPUS_SRC, 0, NULL, &mod);
	if (err) {
		fprintf(stderr, "vgpu-demo: compile failed: %s\n%s\n", strerror(-err),
			vgpu_last_error(s));
		goto out;
	}
	if (vgpu_kernel_get(mod, "saxpy", &k_saxpy) || vgpu_kernel_get(mod, "reduce_sum", &k_sum))
		goto out;

	err = vgpu_buffer_alloc(s, bytes, &bx);
	if (!err)
		err = vgpu_buffer_alloc(s, bytes, &by);
	if (!err)
		err = vgpu_buffer_alloc(s, (size_t)blocks * sizeof(float), &bs);
	if (err == -EDQUOT) {
		printf("  REFUSED: %s (EDQUOT) - nothing ran, nothing leaked\n", vgpu_last_error(s));
		status = 3;
		goto books;
	} else if (err) {
		fprintf(stderr, "vgpu-demo: buffer: %s: %s\n", strerror(-err), vgpu_last_error(s));
		goto out;
	}
	if (vgpu_buffer_on_host(bx) && vgpu_session_backend(s) != VGPU_BACKEND_CPU)
		printf("  memory quota refused the GPU buffers: running on the CPU instead\n");

	x = malloc(bytes);
	y = malloc(bytes);
	sums = malloc((size_t)blocks * sizeof(float));
	if (!x || !y || !sums)
		goto out;
	srand(42);
	for (i = 0; i < n; i++) {
		x[i] = (float)(rand() % 1000) / 100.0f;
		y[i] = (float)(rand() % 1000) / 100.0f;
	}
	if (vgpu_buffer_write(bx, 0, x, bytes) || vgpu_buffer_write(by, 0, y, bytes))
		goto out;

	cfg.grid.x = blocks;
	cfg.block.x = 256;
	{
		struct vgpu_arg a[] = { vgpu_arg_i32(n), vgpu_arg_f32(2.0f), vgpu_arg_buf(bx),
					vgpu_arg_buf(by) };
		err = vgpu_launch(k_saxpy, &cfg, a, 4);
	}
	if (!err) {
		struct vgpu_arg a[] = { vgpu_arg_buf(by), vgpu_arg_buf(bs), vgpu_arg_i32(n) };

		cfg.shared_bytes = 256 * sizeof(float);	/* reduce_sum's extern __shared__ */
		err = vgpu_launch(k_sum, &cfg, a, 3);
	}
	if (err) {
		fprintf(stderr, "vgpu-demo: launch: %s: %s\n", strerror(-err), vgpu_last_error(s));
		goto out;
	}
	if (vgpu_buffer_read(bs, 0, sums, (size_t)blocks * sizeof(float)))
		goto out;
	for (i = 0; i < n; i++)
		want += 2.0f * x[i] + y[i];
	for (i = 0; i < blocks; i++)
		got += sums[i];
	if (fabs(got - want) > 1e-4 * fabs(want)) {
		printf("  WRONG: sum of saxpy %.3f, expected %.3f\n", got, want);
		goto books;
	}
	printf("  saxpy + reduce_sum over %d elements: %.3f (plain C: %.3f) - correct\n", n, got, want);
	status = 0;
	if (argc > 4 && !strcmp(argv[3], "share")) {
		struct vgpu_arg a[] = { vgpu_arg_i32(n), vgpu_arg_f32(1.0f), vgpu_arg_buf(bx),
					vgpu_arg_buf(by) };

		cfg.shared_bytes = 0;
		if (share(s, k_saxpy, &cfg, a, atof(argv[4]), guest))
			status = 1;
		goto out;
	}
books:
	print_books(s, guest);
out:
	vgpu_buffer_free(bs);
	vgpu_buffer_free(by);
	vgpu_buffer_free(bx);
	vgpu_module_unload(mod);
	vgpu_session_close(s);
	free(x);
	free(y);
	free(sums);
	return status;
}
