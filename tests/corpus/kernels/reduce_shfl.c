// SPDX-License-Identifier: GPL-2.0
/* reduce_shfl: the sum of n floats, two passes of a templated warp-shuffle reduction */
#include <math.h>

#include "corpus.h"

#define BLOCKS 512

struct st {
	float *x, *partial;
	double ref;
	float omp, out;
	vgpu_buffer *dx, *dpart, *dsum;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));

	if (!s || !(s->x = corpus_alloc(r, r->n * sizeof(float))))
		return -1;
	corpus_fill_f32(s->x, r->n, 2, -1.0f, 2.0f);
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	double acc = 0.0;

	for (size_t i = 0; i < r->n; i++)
		acc += s->x[i];
	s->ref = acc;
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const float *x = s->x;
	float acc = 0.0f;
	long n = (long)r->n;

#pragma omp parallel for simd schedule(static) reduction(+ : acc)
	for (long i = 0; i < n; i++)
		acc += x[i];
	s->omp = acc;
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->x, r->n * sizeof(float), &s->dx));
	CORPUS_TRY(r, corpus_buf(r, BLOCKS * sizeof(float), &s->dpart));
	CORPUS_TRY(r, corpus_buf(r, sizeof(float), &s->dsum));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(BLOCKS, 1, 1), CORPUS_DIM(256, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dx), vgpu_arg_buf(s->dpart),
						vgpu_arg_i32((int32_t)r->n))));
	CORPUS_TRY(r, corpus_launch(r, 1, CORPUS_DIM(1, 1, 1), CORPUS_DIM(128, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dpart), vgpu_arg_buf(s->dsum),
						vgpu_arg_i32(BLOCKS))));
	/* the result is read back, as the caller of a reduction does */
	return corpus_read(r, s->dsum, &s->out, sizeof(float));
}

static int download(struct corpus_run *r)
{
	(void)r;
	return 0;
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;
	double got = is_omp ? s->omp : s->out;

	/* float sums in another order: relative to the sum of |x| (<= 2n) */
	if (fabs(got - s->ref) > 1e-5 * 2.0 * (double)r->n + 1e-3)
		return corpus_msg(r, "sum %.9g, want %.9g", got, s->ref);
	return NULL;
}

CORPUS_CASE(reduce_shfl) = {
	.name = "reduce_shfl",
	.shape = "warp-shuffle reduction, template block size",
	.src = corpus_src_reduce_shfl,
	.names = (const char *const[]){ "block_reduce<float,256>", "block_reduce<float,128>", NULL },
	.flags = CORPUS_WARP,
	.n_test = 100003,
	.n_bench = 1 << 25,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
