// SPDX-License-Identifier: GPL-2.0
/* spmv_csr_warp: y = A x, A n x n CSR with 4..160 non-zeros per row */
#include "corpus.h"

#define THREADS 256

struct st {
	int32_t *row_ptr, *col;
	float *val, *x, *ref, *omp, *out;
	size_t nnz;
	vgpu_buffer *drp, *dcol, *dval, *dx, *dy;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	uint32_t seed = 101;
	size_t cap = r->n * 160;

	if (!s || !(s->row_ptr = corpus_alloc(r, (r->n + 1) * 4)) ||
	    !(s->x = corpus_alloc(r, r->n * 4)) || !(s->ref = corpus_alloc(r, r->n * 4)) ||
	    !(s->omp = corpus_alloc(r, r->n * 4)) || !(s->out = corpus_alloc(r, r->n * 4)))
		return -1;
	/* the degree distribution first, then the arrays */
	for (size_t i = 0; i < r->n; i++) {
		uint32_t v = corpus_rand(&seed);

		s->row_ptr[i + 1] = s->row_ptr[i] + (int32_t)(v % 16 ? 4 + (v >> 8) % 40 : 40 + (v >> 8) % 121);
	}
	s->nnz = (size_t)s->row_ptr[r->n];
	if (s->nnz > cap || !(s->col = corpus_alloc(r, s->nnz * 4)) ||
	    !(s->val = corpus_alloc(r, s->nnz * 4)))
		return -1;
	for (size_t i = 0; i < r->n; i++)
		for (int32_t k = s->row_ptr[i]; k < s->row_ptr[i + 1]; k++) {
			uint32_t v = corpus_rand(&seed);
			/* banded with some far entries, as from a mesh with long links */
			long c = v % 8 ? (long)i + (long)(v >> 8) % 2001 - 1000 : (long)((v >> 4) % r->n);

			s->col[k] = (int32_t)(((c % (long)r->n) + (long)r->n) % (long)r->n);
		}
	corpus_fill_f32(s->val, s->nnz, 102, -1.0f, 1.0f);
	corpus_fill_f32(s->x, r->n, 103, -1.0f, 1.0f);
	r->st = s;
	return 0;
}

static void row_dot(const struct st *s, size_t i, float *y)
{
	float sum = 0.0f;

	for (int32_t k = s->row_ptr[i]; k < s->row_ptr[i + 1]; k++)
		sum += s->val[k] * s->x[s->col[k]];
	y[i] = sum;
}

static void ref(struct corpus_run *r)
{
	for (size_t i = 0; i < r->n; i++)
		row_dot(r->st, i, ((struct st *)r->st)->ref);
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	long n = (long)r->n;

#pragma omp parallel for schedule(dynamic, 256)
	for (long i = 0; i < n; i++)
		row_dot(s, (size_t)i, s->omp);
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->row_ptr, (r->n + 1) * 4, &s->drp));
	CORPUS_TRY(r, corpus_buf_in(r, s->col, s->nnz * 4, &s->dcol));
	CORPUS_TRY(r, corpus_buf_in(r, s->val, s->nnz * 4, &s->dval));
	CORPUS_TRY(r, corpus_buf_in(r, s->x, r->n * 4, &s->dx));
	CORPUS_TRY(r, corpus_buf(r, r->n * 4, &s->dy));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(r->n * 32, THREADS), 1, 1),
			     CORPUS_DIM(THREADS, 1, 1), 0,
			     CORPUS_ARGS(vgpu_arg_i32((int32_t)r->n), vgpu_arg_buf(s->drp),
					 vgpu_arg_buf(s->dcol), vgpu_arg_buf(s->dval),
					 vgpu_arg_buf(s->dx), vgpu_arg_buf(s->dy)));
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dy, s->out, r->n * 4);
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	/* up to 160 products of [-1, 1] values, summed in lanes */
	return corpus_cmp_f32(r, is_omp ? s->omp : s->out, s->ref, r->n, 1e-5, 2e-5);
}

CORPUS_CASE(spmv_csr_warp) = {
	.name = "spmv_csr_warp",
	.shape = "sparse: CSR SpMV, warp per row, shuffle reduction",
	.src = corpus_src_spmv_csr_warp,
	.names = (const char *const[]){ "spmv_csr_vector", NULL },
	.flags = CORPUS_WARP,
	.n_test = 3000,
	.n_bench = 1 << 18,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
