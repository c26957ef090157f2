// SPDX-License-Identifier: GPL-2.0
/* cg_tile_reduce: squared norm and maximum of each row of an n x 200 matrix, per-block totals */
#include <math.h>
#include <omp.h>

#include "corpus.h"

#define COLS 200
#define THREADS 256
#define ROWS_PER_BLOCK (THREADS / 16)

struct st {
	uint32_t blocks;
	float *a, *ref[3], *omp[3], *out[3];
	vgpu_buffer *da, *dout[3];
};

static size_t len(const struct st *s, struct corpus_run *r, int k)
{
	return k == 2 ? s->blocks : r->n;
}

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));

	if (!s || !(s->a = corpus_alloc(r, r->n * COLS * sizeof(float))))
		return -1;
	s->blocks = corpus_div_up(r->n, ROWS_PER_BLOCK);
	for (int k = 0; k < 3; k++)
		if (!(s->ref[k] = corpus_alloc(r, len(s, r, k) * 4)) ||
		    !(s->omp[k] = corpus_alloc(r, len(s, r, k) * 4)) ||
		    !(s->out[k] = corpus_alloc(r, len(s, r, k) * 4)))
			return -1;
	corpus_fill_f32(s->a, r->n * COLS, 91, -2.0f, 2.0f);
	r->st = s;
	return 0;
}

static void rows(struct st *s, long lo, long hi, float **o)
{
	for (long i = lo; i < hi; i++) {
		const float *row = s->a + i * COLS;
		float sq = 0.0f, mx = -INFINITY;

		for (int c = 0; c < COLS; c++) {
			sq += row[c] * row[c];
			mx = fmaxf(mx, row[c]);
		}
		o[0][i] = sq;
		o[1][i] = mx;
	}
}

static void totals(struct st *s, size_t n, float **o)
{
	for (uint32_t b = 0; b < s->blocks; b++) {
		float t = 0.0f;

		for (size_t i = (size_t)b * ROWS_PER_BLOCK; i < n && i < (size_t)(b + 1) * ROWS_PER_BLOCK; i++)
			t += o[0][i];
		o[2][b] = t;
	}
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	rows(s, 0, (long)r->n, s->ref);
	totals(s, r->n, s->ref);
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	long n = (long)r->n;

#pragma omp parallel
	{
		int nt = omp_get_num_threads(), t = omp_get_thread_num();

		rows(s, n * t / nt, n * (t + 1) / nt, s->omp);
	}
	totals(s, r->n, s->omp);
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->a, r->n * COLS * sizeof(float), &s->da));
	for (int k = 0; k < 3; k++)
		CORPUS_TRY(r, corpus_buf(r, len(s, r, k) * 4, &s->dout[k]));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_launch(r, 0, CORPUS_DIM(s->blocks, 1, 1), CORPUS_DIM(THREADS, 1, 1),
			     ROWS_PER_BLOCK * sizeof(float),
			     CORPUS_ARGS(vgpu_arg_buf(s->da), vgpu_arg_i32((int32_t)r->n),
					 vgpu_arg_buf(s->dout[0]), vgpu_arg_buf(s->dout[1]),
					 vgpu_arg_buf(s->dout[2])));
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	for (int k = 0; k < 3; k++)
		CORPUS_TRY(r, corpus_read(r, s->dout[k], s->out[k], len(s, r, k) * 4));
	return 0;
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;
	float **got = is_omp ? s->omp : s->out;
	const char *m;

	/* sums of 200 squares <= 4 in another order; the maximum is exact */
	m = corpus_cmp_f32(r, got[0], s->ref[0], r->n, 1e-5, 1e-4);
	if (!m)
		m = corpus_cmp_f32(r, got[1], s->ref[1], r->n, 0, 0);
	if (!m)
		m = corpus_cmp_f32(r, got[2], s->ref[2], s->blocks, 1e-5, 1e-3);
	return m;
}

CORPUS_CASE(cg_tile_reduce) = {
	.name = "cg_tile_reduce",
	.shape = "cooperative groups: tiled_partition<16> row reductions",
	.src = corpus_src_cg_tile_reduce,
	.names = (const char *const[]){ "row_stats", NULL },
	.flags = CORPUS_WARP,
	.n_test = 1001,
	.n_bench = 1 << 15,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
