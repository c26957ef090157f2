// SPDX-License-Identifier: GPL-2.0
/*
 * libvgpu CPU backend vs hand-written OpenMP C, same process, same data:
 * saxpy, vector add, sum reduction (shared memory + __syncthreads) on
 * 2^24 floats by default (BENCH_LOG2N), and the cost of a launch: 200 saxpy
 * launches in a row of one 256-thread block per worker against 200 OpenMP
 * loops over as many floats (what a host loop of small kernels pays). Each
 * repeat runs both, interleaved, so that both see the same machine; warm-up
 * runs are excluded; medians are compared. Prints ratios = OpenMP time /
 * libvgpu time (higher is better for libvgpu; 1.0 = as fast). Exit status 0
 * unless something failed to run or gave a wrong answer; a ratio below target
 * is reported, not failed.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <unistd.h>

#include <vgpu/libvgpu.h>

#include "common.h"

void omp_saxpy(size_t n, float a, const float *x, float *y);
void omp_vadd(size_t n, const float *a, const float *b, float *c);
float omp_sum(size_t n, const float *x);
void omp_fill(size_t n, float *x, float v);

static const char src[] =
	"extern \"C\" __global__ void saxpy(int n, float a, const float *x, float *y)\n"
	"{\n"
	"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
	"	if (i < n)\n"
	"		y[i] = a * x[i] + y[i];\n"
	"}\n"
	"\n"
	"extern \"C\" __global__ void vadd(int n, const float *a, const float *b, float *c)\n"
	"{\n"
	"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
	"	if (i < n)\n"
	"		c[i] = a[i] + b[i];\n"
	"}\n"
	"\n"
	"/* classic two-stage reduction: grid-stride partial sums, then a tree in\n"
	"   shared memory; one partial sum per block */\n"
	"extern \"C\" __global__ void block_sum(int n, const float *x, float *partial)\n"
	"{\n"
	"	__shared__ float s[256];\n"
	"	float acc = 0.0f;\n"
	"	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)\n"
	"		acc += x[i];\n"
	"	s[threadIdx.x] = acc;\n"
	"	__syncthreads();\n"
	"	for (unsigned int k = blockDim.x / 2; k > 0; k >>= 1) {\n"
	"		if (threadIdx.x < k)\n"
	"			s[threadIdx.x] += s[threadIdx.x + k];\n"
	"		__syncthreads();\n"
	"	}\n"
	"	if (threadIdx.x == 0)\n"
	"		partial[blockIdx.x] = s[0];\n"
	"}\n"
	"\n"
	"/* the same, each block summing one contiguous chunk (better locality\n"
	"   when a block's threads run one after another) */\n"
	"extern \"C\" __global__ void chunk_sum(int n, const float *x, float *partial)\n"
	"{\n"
	"	__shared__ float s[256];\n"
	"	int per = (n + gridDim.x - 1) / gridDim.x;\n"
	"	int begin = blockIdx.x * per, end = min(n, begin + per);\n"
	"	float acc = 0.0f;\n"
	"	for (int i = begin + threadIdx.x; i < end; i += blockDim.x)\n"
	"		acc += x[i];\n"
	"	s[threadIdx.x] = acc;\n"
	"	__syncthreads();\n"
	"	for (unsigned int k = blockDim.x / 2; k > 0; k >>= 1) {\n"
	"		if (threadIdx.x < k)\n"
	"			s[threadIdx.x] += s[threadIdx.x + k];\n"
	"		__syncthreads();\n"
	"	}\n"
	"	if (threadIdx.x == 0)\n"
	"		partial[blockIdx.x] = s[0];\n"
	"}\n";

#define RED_BLOCKS 256
#define BLOCK 256
#define LAUNCHES 200

int main(void)
{
	int log2n = env_int("BENCH_LOG2N", 24), reps = env_int("BENCH_REPS", 15);
	int warm = env_int("BENCH_WARMUP", 3);
	size_t n = (size_t)1 << log2n, bytes = n * sizeof(float);
	struct vgpu_session_opts so = { .size = sizeof(so), .backend = VGPU_BACKEND_CPU };
	struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .block = { BLOCK, 1, 1 } };
	struct vgpu_device_props props = { .size = sizeof(props) };
	vgpu_session *s = NULL;
	vgpu_module *mod;
	vgpu_kernel *k_saxpy, *k_vadd, *k_sum, *k_chunk;
	vgpu_buffer *bx, *by, *bz, *bp;
	float *x, *y, *z, *tmp, partial[RED_BLOCKS];
	double *t_omp = calloc((size_t)reps, sizeof(double));
	double *t_vg = calloc((size_t)reps, sizeof(double));
	double r_saxpy, r_vadd, r_sum, r_chunk, r_launch;
	int bad = 0;

	if (!t_omp || !t_vg || reps < 1)
		return 2;
	TRY(s, vgpu_session_open(&s, &so));
	TRY(s, vgpu_device_props(s, 0, &props));
	TRY(s, vgpu_module_compile(s, src, 0, NULL, &mod));
	TRY(s, vgpu_kernel_get(mod, "saxpy", &k_saxpy));
	TRY(s, vgpu_kernel_get(mod, "vadd", &k_vadd));
	TRY(s, vgpu_kernel_get(mod, "block_sum", &k_sum));
	TRY(s, vgpu_kernel_get(mod, "chunk_sum", &k_chunk));
	TRY(s, vgpu_buffer_alloc(s, bytes, &bx));
	TRY(s, vgpu_buffer_alloc(s, bytes, &by));
	TRY(s, vgpu_buffer_alloc(s, bytes, &bz));
	TRY(s, vgpu_buffer_alloc(s, sizeof(partial), &bp));
	x = aligned_alloc(64, bytes);
	y = aligned_alloc(64, bytes);
	z = aligned_alloc(64, bytes);
	tmp = aligned_alloc(64, bytes);
	if (!x || !y || !z || !tmp)
		return 2;
	omp_fill(n, x, 0.0f);
	omp_fill(n, y, 0.0f);
	omp_fill(n, z, 0.0f);
	omp_fill(n, tmp, 0.0f);
	for (size_t i = 0; i < n; i++) {
		x[i] = (float)(i % 1000) * 0.001f;
		y[i] = (float)(i % 7);
	}
	TRY(s, vgpu_buffer_write(bx, 0, x, bytes));
	TRY(s, vgpu_buffer_write(by, 0, y, bytes));
	TRY(s, vgpu_buffer_write(bz, 0, z, bytes));

	printf("# bench_vec: n = 2^%d floats, %d repeats (median), %d warm-up; CPU backend: %s, %u threads; OpenMP: gcc -O3 -fopenmp -march=native, OMP_NUM_THREADS=%s\n",
	       log2n, reps, warm, props.name, props.multiprocessors,
	       getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "(all cores)");

	/* saxpy: y = a*x + y, alternately a = 2 and a = -2 so y stays bounded */
	cfg.grid.x = (uint32_t)((n + BLOCK - 1) / BLOCK);
	for (int r = -warm; r < reps; r++) {
		float a = (r & 1) ? -2.0f : 2.0f;
		struct vgpu_arg args[] = { vgpu_arg_i32((int32_t)n), vgpu_arg_f32(a),
					   vgpu_arg_buf(bx), vgpu_arg_buf(by) };
		double t0 = now_s();

		omp_saxpy(n, a, x, y);
		double t1 = now_s();

		TRY(s, vgpu_launch(k_saxpy, &cfg, args, 4));
		double t2 = now_s();

		if (r >= 0) {
			t_omp[r] = t1 - t0;
			t_vg[r] = t2 - t1;
		}
	}
	TRY(s, vgpu_buffer_read(by, 0, tmp, bytes));
	if (memcmp(tmp, y, bytes)) {
		size_t i = 0;

		while (i < n && fabsf(tmp[i] - y[i]) <= 1e-5f * (1.0f + fabsf(y[i])))
			i++;
		if (i < n) {
			printf("# saxpy: WRONG at %zu: libvgpu %g, OpenMP %g\n", i, tmp[i], y[i]);
			bad = 1;
		}
	}
	double m_omp = median(t_omp, reps), m_vg = median(t_vg, reps);

	r_saxpy = m_omp / m_vg;
	printf("saxpy: openmp %.3f ms, libvgpu %.3f ms, ratio %.2fx (target >= 0.8x: %s)\n",
	       m_omp * 1e3, m_vg * 1e3, r_saxpy, verdict(r_saxpy, 0.8));

	/* vector add: z = x + y */
	for (int r = -warm; r < reps; r++) {
		struct vgpu_arg args[] = { vgpu_arg_i32((int32_t)n), vgpu_arg_buf(bx),
					   vgpu_arg_buf(by), vgpu_arg_buf(bz) };
		double t0 = now_s();

		omp_vadd(n, x, y, z);
		double t1 = now_s();

		TRY(s, vgpu_launch(k_vadd, &cfg, args, 4));
		double t2 = now_s();

		if (r >= 0) {
			t_omp[r] = t1 - t0;
			t_vg[r] = t2 - t1;
		}
	}
	TRY(s, vgpu_buffer_read(bz, 0, tmp, bytes));
	if (memcmp(tmp, z, bytes)) {
		printf("# vadd: WRONG: libvgpu and OpenMP results differ\n");
		bad = 1;
	}
	m_omp = median(t_omp, reps);
	m_vg = median(t_vg, reps);
	r_vadd = m_omp / m_vg;
	printf("vadd: openmp %.3f ms, libvgpu %.3f ms, ratio %.2fx (target >= 0.8x: %s)\n",
	       m_omp * 1e3, m_vg * 1e3, r_vadd, verdict(r_vadd, 0.8));

	/* reduction: sum of x; libvgpu = kernel + reading 256 partials + host sum */
	double ref = 0.0;

	for (size_t i = 0; i < n; i++)
		ref += x[i];
	cfg.grid.x = RED_BLOCKS;
	for (int variant = 0; variant < 2; variant++) {
		vgpu_kernel *kk = variant ? k_chunk : k_sum;
		double got_omp = 0.0, got_vg = 0.0;

		for (int r = -warm; r < reps; r++) {
			struct vgpu_arg args[] = { vgpu_arg_i32((int32_t)n), vgpu_arg_buf(bx),
						   vgpu_arg_buf(bp) };
			double t0 = now_s();

			got_omp = omp_sum(n, x);
			double t1 = now_s();

			TRY(s, vgpu_launch(kk, &cfg, args, 3));
			TRY(s, vgpu_buffer_read(bp, 0, partial, sizeof(partial)));
			float acc = 0.0f;

			for (int b = 0; b < RED_BLOCKS; b++)
				acc += partial[b];
			got_vg = acc;
			double t2 = now_s();

			if (r >= 0) {
				t_omp[r] = t1 - t0;
				t_vg[r] = t2 - t1;
			}
		}
		if (fabs(got_vg - ref) > 1e-3 * fabs(ref) || fabs(got_omp - ref) > 1e-3 * fabs(ref)) {
			printf("# %s: WRONG: reference %.6g, OpenMP %.6g, libvgpu %.6g\n",
			       variant ? "chunk_sum" : "block_sum", ref, got_omp, got_vg);
			bad = 1;
		}
		m_omp = median(t_omp, reps);
		m_vg = median(t_vg, reps);
		if (!variant) {
			r_sum = m_omp / m_vg;
			printf("reduction: openmp %.3f ms, libvgpu %.3f ms, ratio %.2fx (target >= 0.5x: %s) [grid-stride block_sum]\n",
			       m_omp * 1e3, m_vg * 1e3, r_sum, verdict(r_sum, 0.5));
		} else {
			r_chunk = m_omp / m_vg;
			printf("reduction-chunked: openmp %.3f ms, libvgpu %.3f ms, ratio %.2fx (target >= 0.5x: %s) [block-contiguous chunk_sum, for comparison]\n",
			       m_omp * 1e3, m_vg * 1e3, r_chunk, verdict(r_chunk, 0.5));
		}
	}

	/* launch: 200 small saxpys in a row (a = 2, -2, ...: y unchanged overall) */
	size_t small = (size_t)props.multiprocessors * BLOCK;

	if (small > n)
		small = n;
	cfg.grid.x = (uint32_t)((small + BLOCK - 1) / BLOCK);
	for (int r = -warm; r < reps; r++) {
		double t0 = now_s();

		for (int i = 0; i < LAUNCHES; i++)
			omp_saxpy(small, (i & 1) ? -2.0f : 2.0f, x, y);
		double t1 = now_s();

		for (int i = 0; i < LAUNCHES; i++) {
			struct vgpu_arg args[] = { vgpu_arg_i32((int32_t)small),
						   vgpu_arg_f32((i & 1) ? -2.0f : 2.0f),
						   vgpu_arg_buf(bx), vgpu_arg_buf(by) };

			TRY(s, vgpu_launch(k_saxpy, &cfg, args, 4));
		}
		double t2 = now_s();

		if (r >= 0) {
			t_omp[r] = (t1 - t0) / LAUNCHES;
			t_vg[r] = (t2 - t1) / LAUNCHES;
		}
	}
	TRY(s, vgpu_buffer_read(by, 0, tmp, small * sizeof(float)));
	for (size_t i = 0; i < small; i++)
		if (fabsf(tmp[i] - y[i]) > 1e-5f * (1.0f + fabsf(y[i]))) {
			printf("# launch: WRONG at %zu: libvgpu %g, OpenMP %g\n", i, tmp[i], y[i]);
			bad = 1;
			break;
		}
	m_omp = median(t_omp, reps);
	m_vg = median(t_vg, reps);
	r_launch = m_omp / m_vg;
	printf("launch: openmp %.2f us, libvgpu %.2f us, ratio %.2fx [a loop or a launch of %u blocks, %d in a row; VGPU_SPIN_US=%s, GOMP_SPINCOUNT=%s]\n",
	       m_omp * 1e6, m_vg * 1e6, r_launch, cfg.grid.x, LAUNCHES,
	       getenv("VGPU_SPIN_US") ? getenv("VGPU_SPIN_US") : "(default)",
	       getenv("GOMP_SPINCOUNT") ? getenv("GOMP_SPINCOUNT") : "(default)");

	vgpu_buffer_free(bx);
	vgpu_buffer_free(by);
	vgpu_buffer_free(bz);
	vgpu_buffer_free(bp);
	vgpu_module_unload(mod);
	vgpu_session_close(s);
	free(x);
	free(y);
	free(z);
	free(tmp);
	free(t_omp);
	free(t_vg);
	return bad ? 1 : 0;
}
