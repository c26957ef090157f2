/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dialect.h - a kernel corpus written the way public CUDA projects write
 * device code, run unchanged on every backend and compared with plain C:
 * C++ kernels looked up by their plain name, template kernels by name
 * expression, __launch_bounds__ before and after `void`, host headers,
 * typedefs, __constant__ and __device__ globals set and read from the host,
 * structs, vectors and every scalar width by value, device printf and assert.
 *
 * One file for both runners: libvgpu/tests/test_dialect.c (CPU backend, CI)
 * and tests/gpu/test_gpu.c (CUDA, `make check-gpu`). The includer defines
 *	DIALECT_OK(cond, fmt, ...)	one TAP result
 * and calls dialect_run(session, label); it returns the number of failures.
 */
#ifndef VGPU_TESTS_DIALECT_H
#define VGPU_TESTS_DIALECT_H

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu/libvgpu.h"

static const char dialect_src[] =
"#include <cuda_runtime.h>\n"
"#include <stdio.h>\n"
"#include <assert.h>\n"
"#include <stdint.h>\n"
"#include <math.h>\n"
"#include <float.h>\n"
"#include <limits.h>\n"
"\n"
"typedef unsigned int uint;\n"
"\n"
"struct Params {\n"
"	float scale;\n"
"	int offset;\n"
"	double bias;\n"
"};\n"
"\n"
"__constant__ float coeffs[4];\n"
"__device__ int hits;\n"
"__device__ float table[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };\n"
"\n"
"__device__ __forceinline__ float horner(float x)\n"
"{\n"
"	return ((coeffs[3] * x + coeffs[2]) * x + coeffs[1]) * x + coeffs[0];\n"
"}\n"
"\n"
"/* a C++ kernel: looked up as \"vadd\" on every backend */\n"
"__global__ void vadd(const float *a, const float *b, float *c, int n)\n"
"{\n"
"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
"	if (i < n)\n"
"		c[i] = a[i] + b[i];\n"
"}\n"
"\n"
"/* __launch_bounds__ before void */\n"
"__global__ __launch_bounds__(256, 2) void poly(const float *x, float *y, uint n)\n"
"{\n"
"	uint i = blockIdx.x * blockDim.x + threadIdx.x;\n"
"	if (i < n) {\n"
"		y[i] = horner(x[i]);\n"
"		if (x[i] > 0.5f)\n"
"			atomicAdd(&hits, 1);\n"
"	}\n"
"}\n"
"\n"
"/* a template with __launch_bounds__ after void: one block sum per block */\n"
"template <typename T, int BLOCK>\n"
"__global__ void __launch_bounds__(BLOCK) reduce(const T *in, T *out, int n)\n"
"{\n"
"	__shared__ T s[BLOCK];\n"
"	int i = blockIdx.x * BLOCK + threadIdx.x;\n"
"	s[threadIdx.x] = i < n ? in[i] : T(0);\n"
"	__syncthreads();\n"
"	for (int k = BLOCK / 2; k > 0; k >>= 1) {\n"
"		if ((int)threadIdx.x < k)\n"
"			s[threadIdx.x] += s[threadIdx.x + k];\n"
"		__syncthreads();\n"
"	}\n"
"	if (threadIdx.x == 0)\n"
"		out[blockIdx.x] = s[0];\n"
"}\n"
"\n"
"namespace ops {\n"
"template <typename T>\n"
"__global__ void axpy(T a, const T *x, T *y, int n)\n"
"{\n"
"	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)\n"
"		y[i] = a * x[i] + y[i];\n"
"}\n"
"}\n"
"\n"
"/* structs, vectors and every scalar width by value */\n"
"__global__ void apply(Params p, const float *in, float *out, uint n, short sh,\n"
"		      unsigned char uc, bool neg, float2 v2, int4 v4, int64_t big, signed char sc,\n"
"		      unsigned short us, double2 d2)\n"
"{\n"
"	uint i = blockIdx.x * blockDim.x + threadIdx.x;\n"
"	if (i >= n)\n"
"		return;\n"
"	double v = in[i] * p.scale + p.offset + p.bias + sh + uc + v2.x * v2.y\n"
"		   + v4.x + v4.y + v4.z + v4.w + (double)(big >> 40) + sc + us + d2.x - d2.y;\n"
"	out[i] = (float)(neg ? -v : v);\n"
"}\n"
"\n"
"/* device printf and assert; table[] is a __device__ array with an initialiser */\n"
"__global__ void checked(const int *a, int *b, int n)\n"
"{\n"
"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
"	if (i < n) {\n"
"		assert(a[i] >= 0);\n"
"		b[i] = a[i] * (int)table[i % 16];\n"
"	}\n"
"	if (i == 0)\n"
"		printf(\"dialect: checked kernel ran, n=%d, INT_MAX=%d, FLT_MAX>0: %d\\n\", n, INT_MAX,\n"
"		       FLT_MAX > 0.f);\n"
"}\n"
"\n"
"/* the old style still works next to the new */\n"
"extern \"C\" __global__ void scale_c(float *x, float f, int n)\n"
"{\n"
"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
"	if (i < n)\n"
"		x[i] *= f;\n"
"}\n";

static const char *const dialect_names[] = {
	"reduce<float,256>", "reduce<int, 128>", "reduce<double,64>", "ops::axpy<float>",
	"ops::axpy<double>",
};

/* the host's view of struct Params and the vector types */
struct dialect_params { float scale; int offset; double bias; };
struct dialect_float2 { float x, y; } __attribute__((aligned(8)));
struct dialect_int4 { int x, y, z, w; } __attribute__((aligned(16)));
struct dialect_double2 { double x, y; } __attribute__((aligned(16)));

#define DIALECT_N 10007

static uint32_t dialect_rng = 12345;
static float dialect_frand(void)
{
	dialect_rng = dialect_rng * 1664525u + 1013904223u;
	return (float)((dialect_rng >> 8) % 2000001) / 1000000.0f - 1.0f;
}

static bool dialect_close(double a, double b, double rel)
{
	return fabs(a - b) <= rel * (1.0 + fabs(b));
}

static vgpu_buffer *dialect_buf(vgpu_session *s, const void *data, size_t n)
{
	vgpu_buffer *b = NULL;

	if (vgpu_buffer_alloc(s, n, &b))
		return NULL;
	if (data && vgpu_buffer_write(b, 0, data, n)) {
		vgpu_buffer_free(b);
		return NULL;
	}
	return b;
}

static int dialect_launch(vgpu_module *m, const char *name, unsigned grid, unsigned block,
			  const struct vgpu_arg *a, unsigned n)
{
	struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { grid, 1, 1 },
				     .block = { block, 1, 1 }, .timeout_ms = -1 };
	vgpu_kernel *k = NULL;
	int ret = vgpu_kernel_get(m, name, &k);

	return ret ? ret : vgpu_launch(k, &c, a, n);
}

/* The corpus on @s; @label names the backend in the results. Returns failures. */
static int dialect_run(vgpu_session *s, const char *label)
{
	struct vgpu_compile_opts o = { .size = sizeof(o), .name = "dialect.cu",
				       .names = dialect_names,
				       .nr_names = sizeof(dialect_names) / sizeof(dialect_names[0]) };
	const int n = DIALECT_N;
	float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float)),
	      *z = malloc(n * sizeof(float));
	double *xd = malloc(n * sizeof(double)), *yd = malloc(n * sizeof(double));
	int *xi = malloc(n * sizeof(int)), *yi = malloc(n * sizeof(int));
	vgpu_buffer *bx = NULL, *by = NULL, *bz = NULL;
	vgpu_module *m = NULL;
	int fails = 0, ret, bad;

#define DOK(cond, ...) do { bool c_ = (cond); fails += !c_; DIALECT_OK(c_, __VA_ARGS__); } while (0)
	if (!x || !y || !z || !xd || !yd || !xi || !yi) {
		DOK(0, "%s dialect: host memory", label);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		x[i] = dialect_frand();
		y[i] = dialect_frand();
		xd[i] = dialect_frand();
		yd[i] = dialect_frand();
		xi[i] = (int)(dialect_rng % 1000);
		dialect_rng = dialect_rng * 1664525u + 1013904223u;
	}
	ret = vgpu_module_compile(s, dialect_src, 0, &o, &m);
	DOK(ret == 0, "%s dialect: the corpus compiles (host headers, templates, globals) %s%.600s",
	    label, ret ? ": " : "", ret ? vgpu_last_error(s) : "");
	if (ret)
		goto out;
	bx = dialect_buf(s, NULL, n * sizeof(double));
	by = dialect_buf(s, NULL, n * sizeof(double));
	bz = dialect_buf(s, NULL, n * sizeof(double));
	if (!bx || !by || !bz || vgpu_buffer_write(bx, 0, x, n * sizeof(float)) ||
	    vgpu_buffer_write(by, 0, y, n * sizeof(float))) {
		DOK(0, "%s dialect: buffers", label);
		goto out;
	}

	/* a C++ kernel by its plain name */
	{
		struct vgpu_arg a[] = { vgpu_arg_buf(bx), vgpu_arg_buf(by), vgpu_arg_buf(bz), vgpu_arg_i32(n) };

		ret = dialect_launch(m, "vadd", (n + 255) / 256, 256, a, 4);
		bad = ret ? -1 : 0;
		if (!ret && vgpu_buffer_read(bz, 0, z, n * sizeof(float)))
			bad = -1;
		for (int i = 0; !bad && i < n; i++)
			bad += z[i] != x[i] + y[i];
		DOK(bad == 0, "%s dialect: C++ kernel looked up as \"vadd\" %s", label,
		    ret ? vgpu_last_error(s) : "");
	}

	/* __constant__ set from the host, __device__ counter read back */
	{
		const float cf[4] = { 0.5f, -1.25f, 2.0f, 0.75f };
		struct vgpu_arg a[] = { vgpu_arg_buf(bx), vgpu_arg_buf(bz), vgpu_arg_u32((uint32_t)n) };
		int zero = 0, got = -1, want = 0;
		size_t csz = 0;

		ret = vgpu_module_global(m, "coeffs", &csz);
		ret = ret ?: (csz == sizeof(cf) ? 0 : -EMSGSIZE);
		ret = ret ?: vgpu_module_global_write(m, "coeffs", 0, cf, sizeof(cf));
		ret = ret ?: vgpu_module_global_write(m, "hits", 0, &zero, sizeof(zero));
		ret = ret ?: dialect_launch(m, "poly", (n + 255) / 256, 256, a, 3);
		ret = ret ?: vgpu_buffer_read(bz, 0, z, n * sizeof(float));
		ret = ret ?: vgpu_module_global_read(m, "hits", 0, &got, sizeof(got));
		bad = ret ? -1 : 0;
		for (int i = 0; !bad && i < n; i++) {
			float xv = x[i], w = ((cf[3] * xv + cf[2]) * xv + cf[1]) * xv + cf[0];

			bad += !dialect_close(z[i], w, 1e-5);
			want += xv > 0.5f;
		}
		DOK(bad == 0 && got == want, "%s dialect: __constant__ coeffs (%zu bytes) written, "
		    "__device__ counter read back (%d, want %d) %s", label, csz, got, want,
		    ret ? vgpu_last_error(s) : "");
	}

	/* templates by name expression */
	{
		const int blocks = (n + 255) / 256;
		float *part = calloc(blocks, sizeof(float));
		struct vgpu_arg a[] = { vgpu_arg_buf(bx), vgpu_arg_buf(bz), vgpu_arg_i32(n) };

		/* spaces in the expression do not matter */
		ret = dialect_launch(m, "reduce< float, 256 >", blocks, 256, a, 3);
		ret = ret ?: vgpu_buffer_read(bz, 0, part, blocks * sizeof(float));
		bad = ret || !part ? -1 : 0;
		for (int b = 0; !bad && b < blocks; b++) {
			double w = 0;

			for (int i = b * 256; i < n && i < (b + 1) * 256; i++)
				w += x[i];
			bad += !dialect_close(part[b], w, 1e-4);
		}
		DOK(bad == 0, "%s dialect: template reduce<float,256> (launch bounds after void) %s",
		    label, ret ? vgpu_last_error(s) : "");
		free(part);
	}
	{
		const int blocks = (n + 127) / 128;
		int *part = calloc(blocks, sizeof(int));
		struct vgpu_arg a[] = { vgpu_arg_buf(bx), vgpu_arg_buf(bz), vgpu_arg_i32(n) };

		ret = vgpu_buffer_write(bx, 0, xi, n * sizeof(int));
		ret = ret ?: dialect_launch(m, "reduce<int,128>", blocks, 128, a, 3);
		ret = ret ?: vgpu_buffer_read(bz, 0, part, blocks * sizeof(int));
		bad = ret || !part ? -1 : 0;
		for (int b = 0; !bad && b < blocks; b++) {
			int w = 0;

			for (int i = b * 128; i < n && i < (b + 1) * 128; i++)
				w += xi[i];
			bad += part[b] != w;
		}
		DOK(bad == 0, "%s dialect: template reduce<int,128> %s", label,
		    ret ? vgpu_last_error(s) : "");
		free(part);
	}
	{
		const int blocks = (n + 63) / 64;
		double *part = calloc(blocks, sizeof(double));
		struct vgpu_arg a[] = { vgpu_arg_buf(bx), vgpu_arg_buf(bz), vgpu_arg_i32(n) };

		ret = vgpu_buffer_write(bx, 0, xd, n * sizeof(double));
		ret = ret ?: dialect_launch(m, "reduce<double,64>", blocks, 64, a, 3);
		ret = ret ?: vgpu_buffer_read(bz, 0, part, blocks * sizeof(double));
		bad = ret || !part ? -1 : 0;
		for (int b = 0; !bad && b < blocks; b++) {
			double w = 0;

			for (int i = b * 64; i < n && i < (b + 1) * 64; i++)
				w += xd[i];
			bad += !dialect_close(part[b], w, 1e-9);
		}
		DOK(bad == 0, "%s dialect: template reduce<double,64> %s", label,
		    ret ? vgpu_last_error(s) : "");
		free(part);
	}
	{
		struct vgpu_arg a[] = { vgpu_arg_f64(-0.5), vgpu_arg_buf(bx), vgpu_arg_buf(by), vgpu_arg_i32(n) };
		double *r = malloc(n * sizeof(double));

		ret = r ? 0 : -ENOMEM;
		ret = ret ?: vgpu_buffer_write(bx, 0, xd, n * sizeof(double));
		ret = ret ?: vgpu_buffer_write(by, 0, yd, n * sizeof(double));
		ret = ret ?: dialect_launch(m, "ops::axpy<double>", 8, 128, a, 4);
		ret = ret ?: vgpu_buffer_read(by, 0, r, n * sizeof(double));
		bad = ret ? -1 : 0;
		for (int i = 0; !bad && i < n; i++)
			bad += !dialect_close(r[i], -0.5 * xd[i] + yd[i], 1e-12);
		DOK(bad == 0, "%s dialect: namespaced template ops::axpy<double> (grid-stride) %s", label,
		    ret ? vgpu_last_error(s) : "");
		free(r);
	}

	/* structs, vectors, every scalar width, typedefs, bool */
	{
		struct dialect_params p = { 1.5f, -3, 0.25 };
		struct dialect_float2 v2 = { 2.0f, 0.5f };
		struct dialect_int4 v4 = { 1, -2, 3, 40 };
		struct dialect_double2 d2 = { 0.125, 0.0625 };
		int64_t big = (int64_t)5 << 40;
		struct vgpu_arg a[] = {
			vgpu_arg_bytes(&p, sizeof(p)), vgpu_arg_buf(bx), vgpu_arg_buf(bz),
			vgpu_arg_u32((uint32_t)n), vgpu_arg_i16(-7), vgpu_arg_u8(200), vgpu_arg_bool(1),
			vgpu_arg_bytes(&v2, sizeof(v2)), vgpu_arg_bytes(&v4, sizeof(v4)), vgpu_arg_i64(big),
			vgpu_arg_i8(-100), vgpu_arg_u16(60000), vgpu_arg_bytes(&d2, sizeof(d2)),
		};

		ret = vgpu_buffer_write(bx, 0, x, n * sizeof(float));
		ret = ret ?: dialect_launch(m, "apply", (n + 127) / 128, 128, a, 13);
		ret = ret ?: vgpu_buffer_read(bz, 0, z, n * sizeof(float));
		bad = ret ? -1 : 0;
		for (int i = 0; !bad && i < n; i++) {
			double v = x[i] * p.scale + p.offset + p.bias - 7 + 200 + 2.0 * 0.5 + 1 - 2 + 3 + 40 +
				   5 - 100 + 60000 + 0.125 - 0.0625;

			bad += !dialect_close(z[i], (float)-v, 1e-5);
		}
		DOK(bad == 0, "%s dialect: struct, float2, int4, double2, int64_t, short, signed/unsigned "
		    "char, unsigned short, bool and a typedef by value %s", label,
		    ret ? vgpu_last_error(s) : "");
	}

	/* printf and assert in device code; a __device__ array's initialiser */
	{
		struct vgpu_arg a[] = { vgpu_arg_buf(bx), vgpu_arg_buf(by), vgpu_arg_i32(n) };
		float t[16];
		size_t tsz = 0;

		fflush(stdout);
		ret = vgpu_buffer_write(bx, 0, xi, n * sizeof(int));
		ret = ret ?: dialect_launch(m, "checked", (n + 255) / 256, 256, a, 3);
		ret = ret ?: vgpu_buffer_read(by, 0, yi, n * sizeof(int));
		ret = ret ?: vgpu_module_global(m, "table", &tsz);
		ret = ret ?: vgpu_module_global_read(m, "table", 0, t, sizeof(t));
		bad = ret ? -1 : 0;
		for (int i = 0; !bad && i < n; i++)
			bad += yi[i] != xi[i] * (i % 16 + 1);
		DOK(bad == 0 && tsz == sizeof(t) && t[15] == 16.0f,
		    "%s dialect: device printf and assert; __device__ table[] initialised (%zu bytes) %s",
		    label, tsz, ret ? vgpu_last_error(s) : "");
	}

	/* extern "C" next to C++ */
	{
		struct vgpu_arg a[] = { vgpu_arg_buf(bx), vgpu_arg_f32(3.0f), vgpu_arg_i32(n) };

		ret = vgpu_buffer_write(bx, 0, x, n * sizeof(float));
		ret = ret ?: dialect_launch(m, "scale_c", (n + 255) / 256, 256, a, 3);
		ret = ret ?: vgpu_buffer_read(bx, 0, z, n * sizeof(float));
		bad = ret ? -1 : 0;
		for (int i = 0; !bad && i < n; i++)
			bad += z[i] != x[i] * 3.0f;
		DOK(bad == 0, "%s dialect: extern \"C\" kernel in the same module %s", label,
		    ret ? vgpu_last_error(s) : "");
	}
#undef DOK
out:
	vgpu_buffer_free(bx);
	vgpu_buffer_free(by);
	vgpu_buffer_free(bz);
	vgpu_module_unload(m);
	free(x); free(y); free(z); free(xd); free(yd); free(xi); free(yi);
	return fails;
}

#endif /* VGPU_TESTS_DIALECT_H */
