// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Fallbacks on a GPU session (skipped without a GPU): a buffer refused by the
 * memory quota lands in host memory and kernels using it run on the CPU with
 * the GPU buffers staged; a source the GPU compiler refuses runs on the CPU;
 * VGPU_LAUNCH_CPU runs a GPU module's kernel on the CPU. Results checked.
 */
#include "common.h"

#define MiB (1024ull * 1024)

static const char src[] =
"extern \"C\" __global__ void addto(const float *a, float *b, int n)\n"
"{ int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) b[i] += a[i]; }\n";

/* g++ has <cstdio>; NVRTC and hiprtc do not */
static const char cpu_only[] =
"#include <cstdio>\n"
"extern \"C\" __global__ void addto(const float *a, float *b, int n)\n"
"{ int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) b[i] += a[i] + (float)EOF + 1.f; }\n";

static int check(vgpu_buffer *b, const float *want, int n)
{
	float *got = malloc(n * sizeof(float));
	int bad = 0;

	if (vgpu_buffer_read(b, 0, got, n * sizeof(float)))
		bad = -1;
	for (int i = 0; bad >= 0 && i < n; i++)
		bad += got[i] != want[i];
	free(got);
	return bad;
}

int main(void)
{
	struct vgpu_session_opts o = { .size = sizeof(o), .guest = "fb-gpu",
				       .flags = VGPU_SESSION_NO_DEVICE_LEDGER,
				       .backend = VGPU_BACKEND_AUTO, .fallback = VGPU_FALLBACK_ALL };
	struct vgpu_ledger_usage u = { .size = sizeof(u) };
	struct vgpu_stats st = { .size = sizeof(st) };
	int n = 100000, ret;
	float *a = malloc(n * 4), *b = malloc(n * 4);
	vgpu_buffer *A = NULL, *B = NULL, *H = NULL;
	vgpu_module *m = NULL, *mc = NULL;
	vgpu_kernel *k = NULL, *kc = NULL;
	vgpu_session *s;
	struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { (n + 255) / 256, 1, 1 },
				     .block = { 256, 1, 1 } };

	for (int i = 0; i < n; i++) {
		a[i] = (float)(i % 97);
		b[i] = (float)(i % 13);
	}
	if (vgpu_session_open(&s, &o)) {
		tap_skip("no session", "fallback: GPU session");
		return tap_done();
	}
	if (vgpu_session_backend(s) == VGPU_BACKEND_CPU) {
		char why[256] = "";

		vgpu_fallback_text(s, VGPU_FB_NO_GPU, why, sizeof(why));
		tap_skip(why[0] ? why : "no GPU", "fallback: tests on a GPU session");
		vgpu_session_close(s);
		return tap_done();
	}
	tap_diag("fallback: on a GPU session (%s)", vgpu_backend_name(vgpu_session_backend(s)));
	vgpu_ledger_usage(s, &u);
	/* room for A only: context overhead + 1 MiB */
	vgpu_ledger_set_limit(s, VGPU_LIB_RES_MEMORY, u.used[VGPU_LIB_RES_MEMORY] + MiB);
	ret = vgpu_buffer_alloc(s, n * 4, &A);
	tap_ok(ret == 0 && vgpu_buffer_on_host(A) == 0, "fallback: buffer A in GPU memory");
	ret = vgpu_buffer_alloc(s, n * 4 * 4, &H);
	vgpu_stats_get(s, &st);
	tap_ok(ret == 0 && vgpu_buffer_on_host(H) == 1 && st.fallbacks[VGPU_FB_QUOTA] == 1,
	       "fallback: buffer over the quota lands in host memory, counted");
	B = H;					/* host memory, first n floats used */
	if (!A || !H)
		return tap_done();
	vgpu_buffer_write(A, 0, a, n * 4);
	vgpu_buffer_write(B, 0, b, n * 4);
	ret = vgpu_module_compile(s, src, 0, NULL, &m);
	ret = ret ? ret : vgpu_kernel_get(m, "addto", &k);
	tap_ok(ret == 0 && vgpu_module_backend(m) != VGPU_BACKEND_CPU, "fallback: module compiled for the GPU");
	if (!ret) {
		struct vgpu_arg args[] = { vgpu_arg_buf(A), vgpu_arg_buf(B), vgpu_arg_i32(n) };

		vgpu_stats_get(s, &st);
		ret = vgpu_launch(k, &c, args, 3);
		for (int i = 0; i < n; i++)
			b[i] += a[i];
		tap_ok(ret == 0 && check(B, b, n) == 0 && check(A, a, n) == 0,
		       "fallback: GPU buffer + host buffer: runs on the CPU, GPU buffer staged");
		args[0] = vgpu_arg_buf(B);
		args[1] = vgpu_arg_buf(A);
		ret = vgpu_launch(k, &c, args, 3);
		for (int i = 0; i < n; i++)
			a[i] += b[i];
		tap_ok(ret == 0 && check(A, a, n) == 0, "fallback: writes to the staged GPU buffer come back");
		c.flags = VGPU_LAUNCH_CPU;
		args[0] = vgpu_arg_buf(A);
		args[1] = vgpu_arg_buf(A);
		ret = vgpu_launch(k, &c, args, 3);
		for (int i = 0; i < n; i++)
			a[i] += a[i];
		tap_ok(ret == 0 && check(A, a, n) == 0, "fallback: VGPU_LAUNCH_CPU on GPU buffers");
		c.flags = 0;
	}
	ret = vgpu_module_compile(s, cpu_only, 0, NULL, &mc);
	vgpu_stats_get(s, &st);
	tap_ok(ret == 0 && vgpu_module_backend(mc) == VGPU_BACKEND_CPU && st.fallbacks[VGPU_FB_COMPILE] == 1,
	       "fallback: a source the GPU compiler refuses is compiled for the CPU, counted");
	if (!ret && !vgpu_kernel_get(mc, "addto", &kc)) {
		struct vgpu_arg args[] = { vgpu_arg_buf(B), vgpu_arg_buf(A), vgpu_arg_i32(n) };

		ret = vgpu_launch(kc, &c, args, 3);
		for (int i = 0; i < n; i++)
			a[i] += b[i];		/* + EOF + 1 = + 0 */
		tap_ok(ret == 0 && check(A, a, n) == 0, "fallback: ...and runs there on a GPU buffer");
	}
	vgpu_stats_get(s, &st);
	tap_diag("launches %llu: gpu %llu, cpu %llu; fallbacks no_gpu %llu compile %llu launch %llu quota %llu",
		 (unsigned long long)st.launches, (unsigned long long)st.launches_gpu,
		 (unsigned long long)st.launches_cpu, (unsigned long long)st.fallbacks[0],
		 (unsigned long long)st.fallbacks[1], (unsigned long long)st.fallbacks[2],
		 (unsigned long long)st.fallbacks[3]);
	tap_ok(st.launches == 4 && st.launches_cpu == 4 && st.launches_gpu == 0,
	       "fallback: every launch that touched host memory or asked for the CPU ran there");
	vgpu_session_close(s);
	free(a);
	free(b);
	return tap_done();
}
