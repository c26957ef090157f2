// SPDX-License-Identifier: GPL-2.0
/* reduce_lastblock: the sum of n doubles in one launch (threadfence + atomicInc) */
#include <math.h>

#include "corpus.h"

#define BLOCKS 300
#define THREADS 256

struct st {
	double *x, ref, omp, out;
	vgpu_buffer *dx, *dpart, *dres;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));

	if (!s || !(s->x = corpus_alloc(r, r->n * sizeof(double))))
		return -1;
	corpus_fill_f64(s->x, r->n, 41, -1.0, 3.0);
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	long double acc = 0;

	for (size_t i = 0; i < r->n; i++)
		acc += s->x[i];
	s->ref = (double)acc;
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const double *x = s->x;
	double acc = 0.0;
	long n = (long)r->n;

#pragma omp parallel for simd schedule(static) reduction(+ : acc)
	for (long i = 0; i < n; i++)
		acc += x[i];
	s->omp = acc;
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->x, r->n * sizeof(double), &s->dx));
	CORPUS_TRY(r, corpus_buf(r, BLOCKS * sizeof(double), &s->dpart));
	CORPUS_TRY(r, corpus_buf(r, sizeof(double), &s->dres));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(BLOCKS, 1, 1), CORPUS_DIM(THREADS, 1, 1),
				    THREADS * sizeof(double),
				    CORPUS_ARGS(vgpu_arg_buf(s->dx), vgpu_arg_buf(s->dpart),
						vgpu_arg_buf(s->dres), vgpu_arg_i32((int32_t)r->n))));
	return corpus_read(r, s->dres, &s->out, sizeof(double));
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

	if (fabs(got - s->ref) > 1e-12 * 3.0 * (double)r->n)
		return corpus_msg(r, "sum %.17g, want %.17g", got, s->ref);
	return NULL;
}

CORPUS_CASE(reduce_lastblock) = {
	.name = "reduce_lastblock",
	.shape = "reduction: threadfence + atomicInc last block, __device__ counter",
	.src = corpus_src_reduce_lastblock,
	.names = (const char *const[]){ "sum_lastblock", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 200001,
	.n_bench = 1 << 24,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
