// SPDX-License-Identifier: GPL-2.0
/* pathfinder_dp: cheapest path cost down a ROWS x n grid of weights, row by row */
#include <string.h>

#include "corpus.h"

#define ROWS 101
#define PYRAMID 20	/* rows per launch */
#define BLOCK 256

struct st {
	int cols;
	int *wall, *a, *b, *ref, *omp_a, *omp_b, *out;
	int *omp_res;
	vgpu_buffer *dwall, *da, *db, *dres;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * sizeof(int);

	if (!s)
		return -1;
	s->cols = (int)r->n;
	if (!(s->wall = corpus_alloc(r, ROWS * bytes)) || !(s->a = corpus_alloc(r, bytes)) ||
	    !(s->b = corpus_alloc(r, bytes)) || !(s->omp_a = corpus_alloc(r, bytes)) ||
	    !(s->omp_b = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)))
		return -1;
	corpus_fill_u32((uint32_t *)s->wall, ROWS * r->n, 13, 10);
	r->st = s;
	return 0;
}

static inline int min3(int a, int b, int c)
{
	int m = a < b ? a : b;

	return m < c ? m : c;
}

static inline int cell(const int *wall, const int *src, int cols, int row, int x)
{
	int l = x > 0 ? x - 1 : x, r = x < cols - 1 ? x + 1 : x;

	return wall[(size_t)row * cols + x] + min3(src[l], src[x], src[r]);
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	int *src = s->a, *dst = s->b;

	memcpy(src, s->wall, s->cols * sizeof(int));
	for (int row = 1; row < ROWS; row++) {
		int *t;

		for (int x = 0; x < s->cols; x++)
			dst[x] = cell(s->wall, src, s->cols, row, x);
		t = src, src = dst, dst = t;
	}
	s->ref = src;
}

/* Rodinia's OpenMP version: one parallel loop over the columns per row */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	int *src = s->omp_a, *dst = s->omp_b, cols = s->cols;

	memcpy(src, s->wall, cols * sizeof(int));
	for (int row = 1; row < ROWS; row++) {
		int *t;

#pragma omp parallel for schedule(static)
		for (int x = 0; x < cols; x++)
			dst[x] = cell(s->wall, src, cols, row, x);
		t = src, src = dst, dst = t;
	}
	s->omp_res = src;
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = r->n * sizeof(int);

	CORPUS_TRY(r, corpus_buf_in(r, s->wall, ROWS * bytes, &s->dwall));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->da));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->db));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	vgpu_buffer *src = s->da, *dst = s->db, *t;

	/* row 0 is the first source: copied on the device, as the host code would */
	CORPUS_TRY(r, vgpu_buffer_copy(src, 0, s->dwall, 0, (size_t)s->cols * sizeof(int)));
	for (int row = 1; row < ROWS; row += PYRAMID) {
		int steps = ROWS - row < PYRAMID ? ROWS - row : PYRAMID;

		CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(s->cols, BLOCK - 2 * steps), 1, 1),
					    CORPUS_DIM(BLOCK, 1, 1), 0,
					    CORPUS_ARGS(vgpu_arg_buf(s->dwall), vgpu_arg_buf(src), vgpu_arg_buf(dst),
							vgpu_arg_i32(s->cols), vgpu_arg_i32(row),
							vgpu_arg_i32(steps))));
		t = src, src = dst, dst = t;
	}
	s->dres = src;
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dres, s->out, r->n * sizeof(int));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	return corpus_cmp_i32(r, is_omp ? s->omp_res : s->out, s->ref, r->n);
}

CORPUS_CASE(pathfinder_dp) = {
	.name = "pathfinder_dp",
	.shape = "dynamic programming: row pyramid in shared memory, break between barriers",
	.src = corpus_src_pathfinder_dp,
	.names = (const char *const[]){ "path_rows", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 3001,
	.n_bench = 1 << 18,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
