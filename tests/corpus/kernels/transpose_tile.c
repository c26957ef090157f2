// SPDX-License-Identifier: GPL-2.0
/* transpose_tile: rows = n, cols = 3n/4 + 5 floats */
#include "corpus.h"

struct st {
	size_t rows, cols;
	float *in, *ref, *omp, *out;
	vgpu_buffer *din, *dout;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes;

	if (!s)
		return -1;
	s->rows = r->n;
	s->cols = r->n * 3 / 4 + 5;
	bytes = s->rows * s->cols * sizeof(float);
	if (!(s->in = corpus_alloc(r, bytes)) || !(s->ref = corpus_alloc(r, bytes)) ||
	    !(s->omp = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)))
		return -1;
	corpus_fill_f32(s->in, s->rows * s->cols, 21, -100.0f, 100.0f);
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (size_t y = 0; y < s->rows; y++)
		for (size_t x = 0; x < s->cols; x++)
			s->ref[x * s->rows + y] = s->in[y * s->cols + x];
}

/* cache-blocked, 32 x 32 blocks, block rows spread over the threads */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const float *in = s->in;
	float *out = s->omp;
	long rows = (long)s->rows, cols = (long)s->cols;

#pragma omp parallel for schedule(static)
	for (long by = 0; by < rows; by += 32)
		for (long bx = 0; bx < cols; bx += 32) {
			long ye = by + 32 < rows ? by + 32 : rows, xe = bx + 32 < cols ? bx + 32 : cols;

			for (long x = bx; x < xe; x++)
				for (long y = by; y < ye; y++)
					out[x * rows + y] = in[y * cols + x];
		}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = s->rows * s->cols * sizeof(float);

	CORPUS_TRY(r, corpus_buf_in(r, s->in, bytes, &s->din));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->dout));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(s->cols, 32), corpus_div_up(s->rows, 32), 1),
			     CORPUS_DIM(32, 8, 1), 0,
			     CORPUS_ARGS(vgpu_arg_buf(s->dout), vgpu_arg_buf(s->din),
					 vgpu_arg_i32((int32_t)s->rows), vgpu_arg_i32((int32_t)s->cols)));
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dout, s->out, s->rows * s->cols * sizeof(float));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	return corpus_cmp_f32(r, is_omp ? s->omp : s->out, s->ref, s->rows * s->cols, 0, 0);
}

CORPUS_CASE(transpose_tile) = {
	.name = "transpose_tile",
	.shape = "dense linear algebra: padded shared tile transpose",
	.src = corpus_src_transpose_tile,
	.names = (const char *const[]){ "transpose", NULL },
	.n_test = 77,
	.n_bench = 4096,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
