// SPDX-License-Identifier: GPL-2.0
/* softmax_rows: softmax of each row of an n x 1000 matrix */
#include <math.h>

#include "corpus.h"

#define COLS 1000

struct st {
	float *x, *ref, *omp, *out;
	vgpu_buffer *dx, *dy;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * COLS * sizeof(float);

	if (!s || !(s->x = corpus_alloc(r, bytes)) || !(s->ref = corpus_alloc(r, bytes)) ||
	    !(s->omp = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)))
		return -1;
	corpus_fill_f32(s->x, r->n * COLS, 121, -8.0f, 8.0f);
	r->st = s;
	return 0;
}

static void row_softmax(const float *x, float *y)
{
	float m = x[0], sum = 0.0f;

	for (int c = 1; c < COLS; c++)
		m = fmaxf(m, x[c]);
	for (int c = 0; c < COLS; c++)
		sum += y[c] = expf(x[c] - m);
	for (int c = 0; c < COLS; c++)
		y[c] /= sum;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (size_t i = 0; i < r->n; i++)
		row_softmax(s->x + i * COLS, s->ref + i * COLS);
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	long n = (long)r->n;

#pragma omp parallel for schedule(static)
	for (long i = 0; i < n; i++)
		row_softmax(s->x + i * COLS, s->omp + i * COLS);
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->x, r->n * COLS * 4, &s->dx));
	CORPUS_TRY(r, corpus_buf(r, r->n * COLS * 4, &s->dy));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_launch(r, 0, CORPUS_DIM((uint32_t)r->n, 1, 1), CORPUS_DIM(256, 1, 1), 0,
			     CORPUS_ARGS(vgpu_arg_buf(s->dx), vgpu_arg_buf(s->dy), vgpu_arg_i32(COLS)));
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dy, s->out, r->n * COLS * 4);
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	/* __expf and sums of 1000 terms in another order */
	return corpus_cmp_f32(r, is_omp ? s->omp : s->out, s->ref, r->n * COLS, 1e-4, 1e-8);
}

CORPUS_CASE(softmax_rows) = {
	.name = "softmax_rows",
	.shape = "softmax: block max/sum by warp shuffles, __expf",
	.src = corpus_src_softmax_rows,
	.names = (const char *const[]){ "softmax", NULL },
	.flags = CORPUS_WARP,
	.n_test = 200,
	.n_bench = 8192,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
