// SPDX-License-Identifier: GPL-2.0
/* sgemm_tile: D = alpha A B + beta C for n x n matrices (n need not divide 32) */
#include "corpus.h"

#define ALPHA 1.5f
#define BETA -0.5f

struct st {
	float *a, *b, *c, *ref, *omp, *out;
	vgpu_buffer *da, *db, *dc, *dd;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * r->n * sizeof(float);

	if (!s || !(s->a = corpus_alloc(r, bytes)) || !(s->b = corpus_alloc(r, bytes)) ||
	    !(s->c = corpus_alloc(r, bytes)) || !(s->ref = corpus_alloc(r, bytes)) ||
	    !(s->omp = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)))
		return -1;
	corpus_fill_f32(s->a, r->n * r->n, 11, -1.0f, 1.0f);
	corpus_fill_f32(s->b, r->n * r->n, 12, -1.0f, 1.0f);
	corpus_fill_f32(s->c, r->n * r->n, 13, -1.0f, 1.0f);
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t n = r->n;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			double acc = 0.0;

			for (size_t k = 0; k < n; k++)
				acc += (double)s->a[i * n + k] * s->b[k * n + j];
			s->ref[i * n + j] = (float)(ALPHA * acc + BETA * s->c[i * n + j]);
		}
}

/* row-parallel, i-k-j order so the inner loop vectorises: what a C programmer writes */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const float *a = s->a, *b = s->b, *c = s->c;
	float *d = s->omp;
	long n = (long)r->n;

#pragma omp parallel for schedule(static)
	for (long i = 0; i < n; i++) {
		float *row = d + i * n;

		for (long j = 0; j < n; j++)
			row[j] = 0.0f;
		for (long k = 0; k < n; k++) {
			const float aik = a[i * n + k];
			const float *brow = b + k * n;

			for (long j = 0; j < n; j++)
				row[j] += aik * brow[j];
		}
		for (long j = 0; j < n; j++)
			row[j] = ALPHA * row[j] + BETA * c[i * n + j];
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = r->n * r->n * sizeof(float);

	CORPUS_TRY(r, corpus_buf_in(r, s->a, bytes, &s->da));
	CORPUS_TRY(r, corpus_buf_in(r, s->b, bytes, &s->db));
	CORPUS_TRY(r, corpus_buf_in(r, s->c, bytes, &s->dc));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->dd));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	int32_t n = (int32_t)r->n;

	return corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(r->n, 32), corpus_div_up(r->n, 32), 1),
			     CORPUS_DIM(32, 8, 1), 0,
			     CORPUS_ARGS(vgpu_arg_i32(n), vgpu_arg_i32(n), vgpu_arg_i32(n),
					 vgpu_arg_f32(ALPHA), vgpu_arg_buf(s->da), vgpu_arg_buf(s->db),
					 vgpu_arg_f32(BETA), vgpu_arg_buf(s->dc), vgpu_arg_buf(s->dd)));
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dd, s->out, r->n * r->n * sizeof(float));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	/* float sums of n products of [-1, 1] values, in another order */
	return corpus_cmp_f32(r, is_omp ? s->omp : s->out, s->ref, r->n * r->n, 1e-4,
			      2e-6 * (double)r->n);
}

CORPUS_CASE(sgemm_tile) = {
	.name = "sgemm_tile",
	.shape = "dense linear algebra: tiled GEMM, register blocking, template",
	.src = corpus_src_sgemm_tile,
	.names = (const char *const[]){ "sgemm<32,4>", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 70,
	.n_bench = 512,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
