// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel corpus, each kernel checked against plain C on random inputs:
 * vector add, saxpy, reduction (shared memory + __syncthreads), tiled matrix
 * multiply, histogram (atomics), 2-D stencil, block prefix scan (barriers,
 * dynamic shared memory), plus 3-D indexing and 64-bit/double arguments.
 * Backend: VGPU_BACKEND from the environment, else the CPU.
 */
#include <math.h>

#include "common.h"

static const char corpus[] =
"#define TILE 16\n"
"extern \"C\" __global__ void vadd(const float *__restrict__ a, const float *__restrict__ b,\n"
"                                 float *__restrict__ c, int n)\n"
"{\n"
"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
"	if (i < n)\n"
"		c[i] = a[i] + b[i];\n"
"}\n"
"\n"
"extern \"C\" __global__ void saxpy(float a, const float *x, float *y, int n)\n"
"{\n"
"	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)\n"
"		y[i] = a * x[i] + y[i];\n"
"}\n"
"\n"
"/* one partial sum per block */\n"
"extern \"C\" __global__ void reduce(const float *in, float *partial, unsigned n)\n"
"{\n"
"	__shared__ float s[256];\n"
"	unsigned t = threadIdx.x, i = blockIdx.x * blockDim.x * 2 + t;\n"
"	float v = 0.f;\n"
"	if (i < n) v += in[i];\n"
"	if (i + blockDim.x < n) v += in[i + blockDim.x];\n"
"	s[t] = v;\n"
"	__syncthreads();\n"
"	for (unsigned k = blockDim.x / 2; k > 0; k >>= 1) {\n"
"		if (t < k)\n"
"			s[t] += s[t + k];\n"
"		__syncthreads();\n"
"	}\n"
"	if (t == 0)\n"
"		partial[blockIdx.x] = s[0];\n"
"}\n"
"\n"
"extern \"C\" __global__ void matmul(const float *A, const float *B, float *C, int n)\n"
"{\n"
"	__shared__ float As[TILE][TILE];\n"
"	__shared__ float Bs[TILE][TILE];\n"
"	int row = blockIdx.y * TILE + threadIdx.y, col = blockIdx.x * TILE + threadIdx.x;\n"
"	float acc = 0.f;\n"
"	for (int t = 0; t < (n + TILE - 1) / TILE; t++) {\n"
"		int ac = t * TILE + threadIdx.x, br = t * TILE + threadIdx.y;\n"
"		As[threadIdx.y][threadIdx.x] = row < n && ac < n ? A[row * n + ac] : 0.f;\n"
"		Bs[threadIdx.y][threadIdx.x] = br < n && col < n ? B[br * n + col] : 0.f;\n"
"		__syncthreads();\n"
"		for (int k = 0; k < TILE; k++)\n"
"			acc += As[threadIdx.y][k] * Bs[k][threadIdx.x];\n"
"		__syncthreads();\n"
"	}\n"
"	if (row < n && col < n)\n"
"		C[row * n + col] = acc;\n"
"}\n"
"\n"
"extern \"C\" __global__ void histogram(const unsigned char *data, unsigned *bins, int n)\n"
"{\n"
"	__shared__ unsigned local[256];\n"
"	for (int b = threadIdx.x; b < 256; b += blockDim.x)\n"
"		local[b] = 0;\n"
"	__syncthreads();\n"
"	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)\n"
"		atomicAdd(&local[data[i]], 1u);\n"
"	__syncthreads();\n"
"	for (int b = threadIdx.x; b < 256; b += blockDim.x)\n"
"		if (local[b])\n"
"			atomicAdd(&bins[b], local[b]);\n"
"}\n"
"\n"
"__device__ inline float at(const float *g, int w, int h, int x, int y)\n"
"{\n"
"	x = max(0, min(x, w - 1));\n"
"	y = max(0, min(y, h - 1));\n"
"	return g[y * w + x];\n"
"}\n"
"\n"
"extern \"C\" __global__ void stencil(const float *in, float *out, int w, int h)\n"
"{\n"
"	int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;\n"
"	if (x >= w || y >= h)\n"
"		return;\n"
"	out[y * w + x] = 0.5f * at(in, w, h, x, y) + 0.125f * (at(in, w, h, x - 1, y) +\n"
"		at(in, w, h, x + 1, y) + at(in, w, h, x, y - 1) + at(in, w, h, x, y + 1));\n"
"}\n"
"\n"
"/* inclusive scan of each block's chunk (Hillis-Steele, double buffered) */\n"
"extern \"C\" __global__ void scan(const int *in, int *out, int n)\n"
"{\n"
"	extern __shared__ int buf[];\n"
"	int t = threadIdx.x, i = blockIdx.x * blockDim.x + t, pin = 0;\n"
"	buf[t] = i < n ? in[i] : 0;\n"
"	__syncthreads();\n"
"	for (int off = 1; off < (int)blockDim.x; off <<= 1) {\n"
"		int pout = 1 - pin;\n"
"		int v = buf[pin * blockDim.x + t];\n"
"		if (t >= off)\n"
"			v += buf[pin * blockDim.x + t - off];\n"
"		buf[pout * blockDim.x + t] = v;\n"
"		pin = pout;\n"
"		__syncthreads();\n"
"	}\n"
"	if (i < n)\n"
"		out[i] = buf[pin * blockDim.x + t];\n"
"}\n"
"\n"
"extern \"C\" __global__ void index3(unsigned *out)\n"
"{\n"
"	unsigned bx = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);\n"
"	unsigned tx = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);\n"
"	unsigned nt = blockDim.x * blockDim.y * blockDim.z;\n"
"	out[bx * nt + tx] = bx * 1000 + tx;\n"
"}\n"
"\n"
"extern \"C\" __global__ void daxpy(double a, const double *x, double *y, long long n,\n"
"                                  unsigned long long stride, unsigned tag)\n"
"{\n"
"	long long i = (long long)(blockIdx.x * blockDim.x + threadIdx.x) * (long long)stride;\n"
"	if (i < n)\n"
"		y[i] = a * x[i] + y[i] + (double)tag;\n"
"}\n";

static vgpu_session *s;
static vgpu_module *m;

static struct vgpu_launch_cfg cfg1(unsigned grid, unsigned block, unsigned shm)
{
	struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { grid, 1, 1 },
				     .block = { block, 1, 1 }, .shared_bytes = shm };
	return c;
}

static vgpu_buffer *buf_from(const void *p, size_t n)
{
	vgpu_buffer *b = NULL;

	if (vgpu_buffer_alloc(s, n, &b))
		return NULL;
	if (p && vgpu_buffer_write(b, 0, p, n)) {
		vgpu_buffer_free(b);
		return NULL;
	}
	return b;
}

static int launch(const char *name, struct vgpu_launch_cfg c, const struct vgpu_arg *a, unsigned n)
{
	vgpu_kernel *k;
	int ret = vgpu_kernel_get(m, name, &k);

	if (!ret)
		ret = vgpu_launch(k, &c, a, n);
	if (ret)
		tap_diag("%s: %s: %s", name, strerror(-ret), vgpu_last_error(s));
	return ret;
}

static int close_f(float a, float b, float tol)
{
	return fabsf(a - b) <= tol * (1.0f + fabsf(b));
}

static void t_vadd(int n)
{
	float *a = malloc(n * 4), *b = malloc(n * 4), *c = malloc(n * 4);
	vgpu_buffer *A, *B, *C;
	int bad = 0;

	for (int i = 0; i < n; i++) {
		a[i] = t_frand();
		b[i] = t_frand();
	}
	A = buf_from(a, n * 4);
	B = buf_from(b, n * 4);
	C = buf_from(NULL, n * 4);
	struct vgpu_arg args[] = { vgpu_arg_buf(A), vgpu_arg_buf(B), vgpu_arg_buf(C), vgpu_arg_i32(n) };
	if (!launch("vadd", cfg1((n + 255) / 256, 256, 0), args, 4) && !vgpu_buffer_read(C, 0, c, n * 4))
		for (int i = 0; i < n; i++)
			bad += c[i] != a[i] + b[i];
	else
		bad = -1;
	tap_ok(bad == 0, "corpus: vector add, n=%d", n);
	vgpu_buffer_free(A);
	vgpu_buffer_free(B);
	vgpu_buffer_free(C);
	free(a);
	free(b);
	free(c);
}

static void t_saxpy(int n)
{
	float *x = malloc(n * 4), *y = malloc(n * 4), *r = malloc(n * 4), a = 2.5f;
	vgpu_buffer *X, *Y;
	int bad = 0;

	for (int i = 0; i < n; i++) {
		x[i] = t_frand();
		y[i] = t_frand();
	}
	X = buf_from(x, n * 4);
	Y = buf_from(y, n * 4);
	struct vgpu_arg args[] = { vgpu_arg_f32(a), vgpu_arg_buf(X), vgpu_arg_buf(Y), vgpu_arg_i32(n) };
	if (!launch("saxpy", cfg1(64, 128, 0), args, 4) && !vgpu_buffer_read(Y, 0, r, n * 4))
		for (int i = 0; i < n; i++)
			bad += !close_f(r[i], a * x[i] + y[i], 1e-6f);
	else
		bad = -1;
	tap_ok(bad == 0, "corpus: saxpy (grid-stride), n=%d", n);
	vgpu_buffer_free(X);
	vgpu_buffer_free(Y);
	free(x);
	free(y);
	free(r);
}

static void t_reduce(unsigned n)
{
	unsigned blocks = (n + 511) / 512;
	float *in = malloc(n * 4), *part = malloc(blocks * 4);
	vgpu_buffer *I, *P;
	double want = 0, got = 0;
	int ret;

	for (unsigned i = 0; i < n; i++) {
		in[i] = t_frand();
		want += in[i];
	}
	I = buf_from(in, n * 4);
	P = buf_from(NULL, blocks * 4);
	struct vgpu_arg args[] = { vgpu_arg_buf(I), vgpu_arg_buf(P), vgpu_arg_u32(n) };
	ret = launch("reduce", cfg1(blocks, 256, 0), args, 3);
	if (!ret)
		ret = vgpu_buffer_read(P, 0, part, blocks * 4);
	for (unsigned b = 0; !ret && b < blocks; b++)
		got += part[b];
	tap_ok(!ret && fabs(got - want) < 1e-3 * (1 + fabs(want)),
	       "corpus: reduction with __shared__ + __syncthreads, n=%u (%g vs %g)", n, got, want);
	vgpu_buffer_free(I);
	vgpu_buffer_free(P);
	free(in);
	free(part);
}

static void t_matmul(int n)
{
	float *a = malloc(n * n * 4), *b = malloc(n * n * 4), *c = malloc(n * n * 4);
	vgpu_buffer *A, *B, *C;
	struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = { (n + 15) / 16, (n + 15) / 16, 1 },
				       .block = { 16, 16, 1 } };
	int bad = 0;

	for (int i = 0; i < n * n; i++) {
		a[i] = t_frand();
		b[i] = t_frand();
	}
	A = buf_from(a, n * n * 4);
	B = buf_from(b, n * n * 4);
	C = buf_from(NULL, n * n * 4);
	struct vgpu_arg args[] = { vgpu_arg_buf(A), vgpu_arg_buf(B), vgpu_arg_buf(C), vgpu_arg_i32(n) };
	if (!launch("matmul", cfg, args, 4) && !vgpu_buffer_read(C, 0, c, n * n * 4)) {
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++) {
				float acc = 0;

				for (int k = 0; k < n; k++)
					acc += a[i * n + k] * b[k * n + j];
				bad += !close_f(c[i * n + j], acc, 1e-4f);
			}
	} else {
		bad = -1;
	}
	tap_ok(bad == 0, "corpus: tiled matrix multiply 16x16 tiles, n=%d (ragged edge)", n);
	vgpu_buffer_free(A);
	vgpu_buffer_free(B);
	vgpu_buffer_free(C);
	free(a);
	free(b);
	free(c);
}

static void t_histogram(int n)
{
	unsigned char *d = malloc(n);
	unsigned want[256] = { 0 }, got[256];
	vgpu_buffer *D, *H;
	int bad = 0;

	for (int i = 0; i < n; i++) {
		d[i] = (unsigned char)(t_rand() % 7 ? t_rand() : 42);	/* skewed */
		want[d[i]]++;
	}
	D = buf_from(d, n);
	memset(got, 0, sizeof(got));
	H = buf_from(got, sizeof(got));
	struct vgpu_arg args[] = { vgpu_arg_buf(D), vgpu_arg_buf(H), vgpu_arg_i32(n) };
	if (!launch("histogram", cfg1(16, 128, 0), args, 3) && !vgpu_buffer_read(H, 0, got, sizeof(got)))
		for (int b = 0; b < 256; b++)
			bad += got[b] != want[b];
	else
		bad = -1;
	tap_ok(bad == 0, "corpus: histogram with shared and global atomics, n=%d", n);
	vgpu_buffer_free(D);
	vgpu_buffer_free(H);
	free(d);
}

static float at(const float *g, int w, int h, int x, int y)
{
	x = x < 0 ? 0 : x >= w ? w - 1 : x;
	y = y < 0 ? 0 : y >= h ? h - 1 : y;
	return g[y * w + x];
}

static void t_stencil(int w, int h)
{
	float *in = malloc(w * h * 4), *out = malloc(w * h * 4);
	vgpu_buffer *I, *O;
	struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = { (w + 15) / 16, (h + 7) / 8, 1 },
				       .block = { 16, 8, 1 } };
	int bad = 0;

	for (int i = 0; i < w * h; i++)
		in[i] = t_frand();
	I = buf_from(in, w * h * 4);
	O = buf_from(NULL, w * h * 4);
	struct vgpu_arg args[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(w), vgpu_arg_i32(h) };
	if (!launch("stencil", cfg, args, 4) && !vgpu_buffer_read(O, 0, out, w * h * 4)) {
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				float e = 0.5f * at(in, w, h, x, y) + 0.125f * (at(in, w, h, x - 1, y) +
					  at(in, w, h, x + 1, y) + at(in, w, h, x, y - 1) +
					  at(in, w, h, x, y + 1));

				bad += !close_f(out[y * w + x], e, 1e-6f);
			}
	} else {
		bad = -1;
	}
	tap_ok(bad == 0, "corpus: 2-D stencil with a __device__ helper, %dx%d", w, h);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
	free(in);
	free(out);
}

static void t_scan(int n, int block)
{
	int *in = malloc(n * 4), *out = malloc(n * 4);
	vgpu_buffer *I, *O;
	int bad = 0;

	for (int i = 0; i < n; i++)
		in[i] = (int)(t_rand() % 100) - 50;
	I = buf_from(in, n * 4);
	O = buf_from(NULL, n * 4);
	struct vgpu_arg args[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(n) };
	if (!launch("scan", cfg1((n + block - 1) / block, block, 2 * block * 4), args, 3) &&
	    !vgpu_buffer_read(O, 0, out, n * 4)) {
		int acc = 0;

		for (int i = 0; i < n; i++) {
			acc = i % block ? acc + in[i] : in[i];
			bad += out[i] != acc;
		}
	} else {
		bad = -1;
	}
	tap_ok(bad == 0, "corpus: block prefix scan (barriers, extern __shared__), n=%d block=%d", n, block);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
	free(in);
	free(out);
}

static void t_index3(void)
{
	struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = { 3, 2, 2 }, .block = { 4, 3, 2 } };
	unsigned n = 12 * 24, out[12 * 24];
	vgpu_buffer *O = buf_from(NULL, sizeof(out));
	struct vgpu_arg args[] = { vgpu_arg_buf(O) };
	int bad = 0;

	if (!launch("index3", cfg, args, 1) && !vgpu_buffer_read(O, 0, out, sizeof(out)))
		for (unsigned i = 0; i < n; i++)
			bad += out[i] != (i / 24) * 1000 + i % 24;
	else
		bad = -1;
	tap_ok(bad == 0, "corpus: 3-D grid and block indexing");
	vgpu_buffer_free(O);
}

static void t_daxpy(void)
{
	enum { N = 1000 };
	double x[N], y[N], r[N];
	vgpu_buffer *X, *Y;
	int bad = 0;

	for (int i = 0; i < N; i++) {
		x[i] = t_frand();
		y[i] = t_frand();
	}
	X = buf_from(x, sizeof(x));
	Y = buf_from(y, sizeof(y));
	struct vgpu_arg args[] = { vgpu_arg_f64(0.25), vgpu_arg_buf(X), vgpu_arg_buf(Y),
				   vgpu_arg_i64(N), vgpu_arg_u64(2), vgpu_arg_u32(3) };
	if (!launch("daxpy", cfg1(4, 128, 0), args, 6) && !vgpu_buffer_read(Y, 0, r, sizeof(r)))
		for (int i = 0; i < N; i++)
			bad += r[i] != (i % 2 ? y[i] : 0.25 * x[i] + y[i] + 3.0);
	else
		bad = -1;
	tap_ok(bad == 0, "corpus: double, long long, unsigned long long, unsigned arguments");
	vgpu_buffer_free(X);
	vgpu_buffer_free(Y);
}

int main(void)
{
	struct vgpu_session_opts o = { .size = sizeof(o), .backend = VGPU_BACKEND_CPU,
				       .flags = VGPU_SESSION_NO_DEVICE_LEDGER,
				       .guest = "corpus", .fallback = VGPU_FALLBACK_ALL };
	struct vgpu_compile_opts co = { .size = sizeof(co), .name = "corpus.cu" };
	int q = t_quick(), ret;

	if (getenv("VGPU_BACKEND"))
		o.backend = VGPU_BACKEND_AUTO;	/* the environment decides */
	ret = vgpu_session_open(&s, &o);
	tap_ok(ret == 0, "corpus: session open (backend %s)", ret ? "-" : vgpu_backend_name(vgpu_session_backend(s)));
	if (ret)
		return tap_done();
	ret = vgpu_module_compile(s, corpus, 0, &co, &m);
	tap_ok(ret == 0, "corpus: compile the corpus");
	if (ret) {
		tap_diag("%s", vgpu_last_error(s));
		vgpu_session_close(s);
		return tap_done();
	}
	t_vadd(q ? 1000 : 1000003);
	t_saxpy(q ? 5000 : 1 << 20);
	t_reduce(q ? 3000 : 1000001);
	t_matmul(q ? 37 : 133);
	t_histogram(q ? 5000 : 1 << 20);
	t_stencil(q ? 37 : 301, q ? 19 : 203);
	t_scan(q ? 700 : 100000, 256);
	t_scan(q ? 100 : 5000, 64);
	t_index3();
	t_daxpy();
	vgpu_session_close(s);
	return tap_done();
}
