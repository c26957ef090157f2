// SPDX-License-Identifier: GPL-2.0
/* gemv_warp: y = alpha A x + beta y0 for an n x COLS row-major matrix */
#include <math.h>

#include "corpus.h"

#define COLS 1024
#define ALPHA 1.5f
#define BETA -0.5f

struct st {
	float *a, *x, *y0, *ref, *omp, *out;
	double *bound;		/* per row: |alpha| sum |a x| + |beta y0|, for the tolerance */
	vgpu_buffer *da, *dx, *dy0, *dy;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));

	if (!s || !(s->a = corpus_alloc(r, r->n * COLS * sizeof(float))) ||
	    !(s->x = corpus_alloc(r, COLS * sizeof(float))) || !(s->y0 = corpus_alloc(r, r->n * sizeof(float))) ||
	    !(s->ref = corpus_alloc(r, r->n * sizeof(float))) || !(s->omp = corpus_alloc(r, r->n * sizeof(float))) ||
	    !(s->out = corpus_alloc(r, r->n * sizeof(float))) || !(s->bound = corpus_alloc(r, r->n * sizeof(double))))
		return -1;
	corpus_fill_f32(s->a, r->n * COLS, 41, -1.0f, 1.0f);
	corpus_fill_f32(s->x, COLS, 42, -1.0f, 1.0f);
	corpus_fill_f32(s->y0, r->n, 43, -10.0f, 10.0f);
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (size_t i = 0; i < r->n; i++) {
		double acc = 0.0, mag = 0.0;

		for (int c = 0; c < COLS; c++) {
			acc += (double)s->a[i * COLS + c] * s->x[c];
			mag += fabs((double)s->a[i * COLS + c] * s->x[c]);
		}
		s->ref[i] = (float)(ALPHA * acc + BETA * (double)s->y0[i]);
		s->bound[i] = fabs(ALPHA) * mag + fabs(BETA * (double)s->y0[i]);
	}
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const float *a = s->a, *x = s->x;
	long rows = (long)r->n;

#pragma omp parallel for schedule(static)
	for (long i = 0; i < rows; i++) {
		float acc = 0.0f;

#pragma omp simd reduction(+ : acc)
		for (int c = 0; c < COLS; c++)
			acc += a[i * COLS + c] * x[c];
		s->omp[i] = ALPHA * acc + BETA * s->y0[i];
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->a, r->n * COLS * sizeof(float), &s->da));
	CORPUS_TRY(r, corpus_buf_in(r, s->x, COLS * sizeof(float), &s->dx));
	CORPUS_TRY(r, corpus_buf_in(r, s->y0, r->n * sizeof(float), &s->dy0));
	CORPUS_TRY(r, corpus_buf(r, r->n * sizeof(float), &s->dy));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(r->n, 4), 1, 1), CORPUS_DIM(32, 4, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->da), vgpu_arg_buf(s->dx), vgpu_arg_buf(s->dy0),
						vgpu_arg_buf(s->dy), vgpu_arg_i32((int32_t)r->n),
						vgpu_arg_i32(COLS), vgpu_arg_f32(ALPHA), vgpu_arg_f32(BETA))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dy, s->out, r->n * sizeof(float));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;
	const float *got = is_omp ? s->omp : s->out;

	/* float dot products of 1024 terms in another order: relative to the sum of |terms| */
	for (size_t i = 0; i < r->n; i++)
		if (fabs((double)got[i] - s->ref[i]) > 1e-5 * s->bound[i] + 1e-6)
			return corpus_msg(r, "y[%zu] = %.9g, want %.9g (bound %.3g)", i, got[i], s->ref[i],
					  s->bound[i]);
	return NULL;
}

CORPUS_CASE(gemv_warp) = {
	.name = "gemv_warp",
	.shape = "matrix-vector product: warp per row, float4 loads, __shfl_xor_sync",
	.src = corpus_src_gemv_warp,
	.names = (const char *const[]){ "sgemv_rows", NULL },
	.flags = CORPUS_WARP,
	.n_test = 999,
	.n_bench = 1 << 14,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
