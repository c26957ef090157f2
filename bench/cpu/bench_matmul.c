// SPDX-License-Identifier: GPL-2.0
/*
 * Tiled matrix multiply (16x16 tiles in shared/local memory, barriers)
 * through libvgpu's CPU backend vs PoCL running the equivalent OpenCL
 * kernel, same process, same inputs, N x N floats (BENCH_MM_N, default 512).
 * Repeats interleave the two; warm-up excluded; medians compared. Both
 * results are checked against a host reference. Ratio = PoCL time / libvgpu
 * time (>= 1.0 means libvgpu is at least as fast).
 */
#define _GNU_SOURCE
#define CL_TARGET_OPENCL_VERSION 120
#include <math.h>
#include <stdint.h>

#include <CL/cl.h>
#include <vgpu/libvgpu.h>

#include "common.h"

#define TILE 16

static const char cuda_src[] =
	"#define TILE 16\n"
	"extern \"C\" __global__ void matmul(int n, const float *A, const float *B, float *C)\n"
	"{\n"
	"	__shared__ float As[TILE][TILE];\n"
	"	__shared__ float Bs[TILE][TILE];\n"
	"	int tx = threadIdx.x, ty = threadIdx.y;\n"
	"	int row = blockIdx.y * TILE + ty, col = blockIdx.x * TILE + tx;\n"
	"	float acc = 0.0f;\n"
	"	for (int t = 0; t < n / TILE; t++) {\n"
	"		As[ty][tx] = A[row * n + t * TILE + tx];\n"
	"		Bs[ty][tx] = B[(t * TILE + ty) * n + col];\n"
	"		__syncthreads();\n"
	"		for (int k = 0; k < TILE; k++)\n"
	"			acc += As[ty][k] * Bs[k][tx];\n"
	"		__syncthreads();\n"
	"	}\n"
	"	C[row * n + col] = acc;\n"
	"}\n"
	"\n"
	"/* diagnostic: cost of a barrier, nothing else */\n"
	"extern \"C\" __global__ void barriers(int iters, int *out)\n"
	"{\n"
	"	__shared__ int s[256];\n"
	"	int v = threadIdx.x;\n"
	"	for (int i = 0; i < iters; i++) {\n"
	"		s[threadIdx.x] = v;\n"
	"		__syncthreads();\n"
	"		v += s[(threadIdx.x + 1) % blockDim.x];\n"
	"		__syncthreads();\n"
	"	}\n"
	"	if (threadIdx.x == 0)\n"
	"		out[blockIdx.x] = v;\n"
	"}\n";

static const char cl_src[] =
	"#define TILE 16\n"
	"__kernel void matmul(int n, __global const float *A, __global const float *B,\n"
	"		     __global float *C)\n"
	"{\n"
	"	__local float As[TILE][TILE];\n"
	"	__local float Bs[TILE][TILE];\n"
	"	int tx = get_local_id(0), ty = get_local_id(1);\n"
	"	int row = get_group_id(1) * TILE + ty, col = get_group_id(0) * TILE + tx;\n"
	"	float acc = 0.0f;\n"
	"	for (int t = 0; t < n / TILE; t++) {\n"
	"		As[ty][tx] = A[row * n + t * TILE + tx];\n"
	"		Bs[ty][tx] = B[(t * TILE + ty) * n + col];\n"
	"		barrier(CLK_LOCAL_MEM_FENCE);\n"
	"		for (int k = 0; k < TILE; k++)\n"
	"			acc += As[ty][k] * Bs[k][tx];\n"
	"		barrier(CLK_LOCAL_MEM_FENCE);\n"
	"	}\n"
	"	C[row * n + col] = acc;\n"
	"}\n";

#define CLTRY(call)                                                            \
	do {                                                                   \
		cl_int e_ = (call);                                            \
		if (e_ != CL_SUCCESS) {                                        \
			fprintf(stderr, "%s:%d: %s = OpenCL error %d\n",       \
				__FILE__, __LINE__, #call, (int)e_);           \
			exit(2);                                               \
		}                                                              \
	} while (0)

static int check(const char *who, const float *got, const double *ref, int n)
{
	double worst = 0.0;

	for (long i = 0; i < (long)n * n; i++) {
		double err = fabs(got[i] - ref[i]) / (1.0 + fabs(ref[i]));

		if (!(err <= worst))
			worst = err;
	}
	if (!(worst < 1e-4)) {
		printf("# matmul %s: WRONG, worst relative error %.3g\n", who, worst);
		return 1;
	}
	return 0;
}

int main(void)
{
	int n = env_int("BENCH_MM_N", 512), reps = env_int("BENCH_REPS", 7);
	int warm = env_int("BENCH_WARMUP", 2);
	size_t bytes = (size_t)n * n * sizeof(float);
	struct vgpu_session_opts so = { .size = sizeof(so), .backend = VGPU_BACKEND_CPU };
	struct vgpu_launch_cfg cfg = { .size = sizeof(cfg) };
	struct vgpu_device_props props = { .size = sizeof(props) };
	vgpu_session *s = NULL;
	vgpu_module *mod;
	vgpu_kernel *k;
	vgpu_buffer *ba, *bb, *bc;
	float *A, *B, *C1, *C2;
	double *ref, *t_cl, *t_vg;
	int bad = 0;

	if (n <= 0 || n % TILE || reps < 1) {
		fprintf(stderr, "BENCH_MM_N must be a positive multiple of %d\n", TILE);
		return 2;
	}
	A = malloc(bytes);
	B = malloc(bytes);
	C1 = malloc(bytes);
	C2 = malloc(bytes);
	ref = calloc((size_t)n * n, sizeof(double));
	t_cl = calloc((size_t)reps, sizeof(double));
	t_vg = calloc((size_t)reps, sizeof(double));
	if (!A || !B || !C1 || !C2 || !ref || !t_cl || !t_vg)
		return 2;
	srand(1);
	for (long i = 0; i < (long)n * n; i++) {
		A[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
		B[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
	}
	for (int i = 0; i < n; i++)
		for (int kk = 0; kk < n; kk++) {
			double a = A[(long)i * n + kk];

			for (int j = 0; j < n; j++)
				ref[(long)i * n + j] += a * B[(long)kk * n + j];
		}

	/* ---- OpenCL (PoCL) ---- */
	cl_platform_id plats[8];
	cl_uint nplat = 0;
	cl_device_id dev = NULL;
	char pname[256] = "", dname[256] = "";

	CLTRY(clGetPlatformIDs(8, plats, &nplat));
	for (cl_uint p = 0; p < nplat && !dev; p++) {
		clGetPlatformInfo(plats[p], CL_PLATFORM_NAME, sizeof(pname), pname, NULL);
		if (strstr(pname, "Portable Computing Language") || strstr(pname, "PoCL") ||
		    strstr(pname, "pocl"))
			CLTRY(clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_CPU, 1, &dev, NULL));
	}
	if (!dev) {
		printf("# matmul: no PoCL platform found (install pocl-opencl-icd)\n");
		return 3;
	}
	cl_uint cus = 0;

	clGetDeviceInfo(dev, CL_DEVICE_NAME, sizeof(dname), dname, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cus), &cus, NULL);
	cl_int err;
	cl_context ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);

	CLTRY(err);
	cl_command_queue q = clCreateCommandQueue(ctx, dev, 0, &err);

	CLTRY(err);
	const char *srcs[] = { cl_src };
	cl_program prog = clCreateProgramWithSource(ctx, 1, srcs, NULL, &err);

	CLTRY(err);
	if (clBuildProgram(prog, 1, &dev, "", NULL, NULL) != CL_SUCCESS) {
		char log[8192] = "";

		clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, sizeof(log), log, NULL);
		fprintf(stderr, "PoCL build failed:\n%s\n", log);
		return 2;
	}
	cl_kernel ck = clCreateKernel(prog, "matmul", &err);

	CLTRY(err);
	cl_mem da = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, A, &err);

	CLTRY(err);
	cl_mem db = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, B, &err);

	CLTRY(err);
	cl_mem dc = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, bytes, NULL, &err);

	CLTRY(err);
	cl_int cn = n;

	CLTRY(clSetKernelArg(ck, 0, sizeof(cn), &cn));
	CLTRY(clSetKernelArg(ck, 1, sizeof(da), &da));
	CLTRY(clSetKernelArg(ck, 2, sizeof(db), &db));
	CLTRY(clSetKernelArg(ck, 3, sizeof(dc), &dc));
	size_t gws[2] = { (size_t)n, (size_t)n }, lws[2] = { TILE, TILE };

	/* ---- libvgpu ---- */
	TRY(s, vgpu_session_open(&s, &so));
	TRY(s, vgpu_device_props(s, 0, &props));
	TRY(s, vgpu_module_compile(s, cuda_src, 0, NULL, &mod));
	TRY(s, vgpu_kernel_get(mod, "matmul", &k));
	TRY(s, vgpu_buffer_alloc(s, bytes, &ba));
	TRY(s, vgpu_buffer_alloc(s, bytes, &bb));
	TRY(s, vgpu_buffer_alloc(s, bytes, &bc));
	TRY(s, vgpu_buffer_write(ba, 0, A, bytes));
	TRY(s, vgpu_buffer_write(bb, 0, B, bytes));
	cfg.grid = (struct vgpu_dim3){ (uint32_t)(n / TILE), (uint32_t)(n / TILE), 1 };
	cfg.block = (struct vgpu_dim3){ TILE, TILE, 1 };
	struct vgpu_arg args[] = { vgpu_arg_i32(n), vgpu_arg_buf(ba), vgpu_arg_buf(bb),
				   vgpu_arg_buf(bc) };

	printf("# bench_matmul: %dx%d floats, tile %d, %d repeats (median), %d warm-up; CPU backend: %s, %u threads; OpenCL: %s / %s, %u compute units\n",
	       n, n, TILE, reps, warm, props.name, props.multiprocessors, pname, dname, cus);
	for (int r = -warm; r < reps; r++) {
		double t0 = now_s();

		CLTRY(clEnqueueNDRangeKernel(q, ck, 2, NULL, gws, lws, 0, NULL, NULL));
		CLTRY(clFinish(q));
		double t1 = now_s();

		TRY(s, vgpu_launch(k, &cfg, args, 4));
		double t2 = now_s();

		if (r >= 0) {
			t_cl[r] = t1 - t0;
			t_vg[r] = t2 - t1;
		}
	}
	CLTRY(clEnqueueReadBuffer(q, dc, CL_TRUE, 0, bytes, C1, 0, NULL, NULL));

	/* diagnostic: what one thread's __syncthreads costs on the CPU backend */
	{
		vgpu_kernel *kb;
		vgpu_buffer *bo;
		struct vgpu_launch_cfg bc = { .size = sizeof(bc), .grid = { 64, 1, 1 },
					      .block = { 256, 1, 1 } };
		int iters = 64;
		double tb[5];

		TRY(s, vgpu_kernel_get(mod, "barriers", &kb));
		TRY(s, vgpu_buffer_alloc(s, 64 * sizeof(int), &bo));
		struct vgpu_arg ba2[] = { vgpu_arg_i32(iters), vgpu_arg_buf(bo) };

		for (int r = -1; r < 5; r++) {
			double t0 = now_s();

			TRY(s, vgpu_launch(kb, &bc, ba2, 2));
			if (r >= 0)
				tb[r] = now_s() - t0;
		}
		double per = median(tb, 5) / (64.0 * 256 * 2 * iters) * 1e9;
		double mm_barriers = (double)(n / TILE) * (n / TILE) * TILE * TILE * 2.0 * (n / TILE);

		printf("barrier: %.1f ns of wall time per thread per __syncthreads with %u workers; matmul %d passes %.3g thread-barriers: ~%.0f ms of its time\n",
		       per, props.multiprocessors, n, mm_barriers, per * mm_barriers * 1e-6);
		vgpu_buffer_free(bo);
	}
	TRY(s, vgpu_buffer_read(bc, 0, C2, bytes));
	bad |= check("PoCL", C1, ref, n);
	bad |= check("libvgpu", C2, ref, n);

	double m_cl = median(t_cl, reps), m_vg = median(t_vg, reps);
	double gflop = 2.0 * n * n * (double)n * 1e-9;
	double ratio = m_cl / m_vg;

	printf("matmul %d: pocl %.2f ms (%.2f GFLOP/s), libvgpu %.2f ms (%.2f GFLOP/s), ratio %.2fx (target >= 1.0x: %s)%s\n",
	       n, m_cl * 1e3, gflop / m_cl, m_vg * 1e3, gflop / m_vg, ratio,
	       verdict(ratio, 1.0), bad ? " [results WRONG]" : "");

	clReleaseMemObject(da);
	clReleaseMemObject(db);
	clReleaseMemObject(dc);
	clReleaseKernel(ck);
	clReleaseProgram(prog);
	clReleaseCommandQueue(q);
	clReleaseContext(ctx);
	vgpu_buffer_free(ba);
	vgpu_buffer_free(bb);
	vgpu_buffer_free(bc);
	vgpu_module_unload(mod);
	vgpu_session_close(s);
	free(A);
	free(B);
	free(C1);
	free(C2);
	free(ref);
	free(t_cl);
	free(t_vg);
	return bad ? 1 : 0;
}
