// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel corpus (common/corpus.h), each kernel checked against plain C on
 * random inputs:
 * vector add, saxpy, reduction (shared memory + __syncthreads), tiled matrix
 * multiply, histogram (atomics), 2-D stencil, block prefix scan (barriers,
 * dynamic shared memory), plus 3-D indexing and 64-bit/double arguments.
 * Backend: VGPU_BACKEND from the environment, else the CPU.
 */
#include <math.h>
#include <stdbool.h>

#include "common.h"
#include "common/corpus.h"

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
	struct vgpu_arg args[] = { vgpu_arg_i32(n), vgpu_arg_f32(a), vgpu_arg_buf(X), vgpu_arg_buf(Y) };
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
	struct vgpu_arg args[] = { vgpu_arg_buf(I), vgpu_arg_buf(P), vgpu_arg_i32((int)n) };
	ret = launch("reduce_sum", cfg1(blocks, 256, 256 * 4), args, 3);
	if (!ret)
		ret = vgpu_buffer_read(P, 0, part, blocks * 4);
	for (unsigned b = 0; !ret && b < blocks; b++)
		got += part[b];
	tap_ok(!ret && fabs(got - want) < 1e-3 * (1 + fabs(want)),
	       "corpus: reduction with extern __shared__ + __syncthreads, n=%u (%g vs %g)", n, got, want);
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
	struct vgpu_arg args[] = { vgpu_arg_buf(A), vgpu_arg_buf(B), vgpu_arg_buf(C), vgpu_arg_i32(n),
				   vgpu_arg_i32(n), vgpu_arg_i32(n) };
	if (!launch("matmul", cfg, args, 6) && !vgpu_buffer_read(C, 0, c, n * n * 4)) {
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
	unsigned *d = malloc(n * sizeof(*d));
	unsigned want[256] = { 0 }, got[256];
	vgpu_buffer *D, *H;
	int bad = 0;

	for (int i = 0; i < n; i++) {
		d[i] = t_rand() % 7 ? t_rand() % 256 : 42;	/* skewed */
		want[d[i]]++;
	}
	D = buf_from(d, n * sizeof(*d));
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
	if (!launch("stencil2d", cfg, args, 4) && !vgpu_buffer_read(O, 0, out, w * h * 4)) {
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				int i = y * w + x;
				bool edge = x == 0 || y == 0 || x == w - 1 || y == h - 1;
				float e = edge ? in[i] : 0.5f * in[i] + 0.125f * (in[i - 1] + in[i + 1] +
									 in[i - w] + in[i + w]);

				bad += !close_f(out[i], e, 1e-6f);
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
	int nb = (n + block - 1) / block;
	int *in = malloc(n * 4), *out = malloc(n * 4), *sums = malloc(nb * 4);
	vgpu_buffer *I, *O, *S;
	int bad = 0;

	for (int i = 0; i < n; i++)
		in[i] = (int)(t_rand() % 100) - 50;
	I = buf_from(in, n * 4);
	O = buf_from(NULL, n * 4);
	S = buf_from(NULL, nb * 4);
	struct vgpu_arg args[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_buf(S), vgpu_arg_i32(n) };
	if (!launch("scan_block", cfg1(nb, block, block * 4), args, 4) &&
	    !vgpu_buffer_read(O, 0, out, n * 4) && !vgpu_buffer_read(S, 0, sums, nb * 4)) {
		int acc = 0;

		for (int i = 0; i < n; i++) {
			acc = i % block ? acc + in[i] : in[i];
			bad += out[i] != acc;
			if (i % block == block - 1 || i == n - 1)
				bad += sums[i / block] != acc;
		}
	} else {
		bad = -1;
	}
	tap_ok(bad == 0, "corpus: block prefix scan (barriers, extern __shared__), n=%d block=%d", n, block);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
	vgpu_buffer_free(S);
	free(in);
	free(out);
	free(sums);
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
	ret = vgpu_module_compile(s, VGPU_CORPUS_SRC, 0, &co, &m);
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
