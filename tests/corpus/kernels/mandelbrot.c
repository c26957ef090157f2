// SPDX-License-Identifier: GPL-2.0
/* mandelbrot: escape times of an n x n view of [-2.2, 0.8] x [-1.5, 1.5] */
#include <stdlib.h>

#include "corpus.h"

#define MAX_ITER 512
#define X0 -2.2f
#define Y0 -1.5f

struct st {
	int n;
	float dx, dy;
	int32_t *ref, *omp, *out;
	vgpu_buffer *dout;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * r->n * sizeof(int32_t);

	if (!s || !(s->ref = corpus_alloc(r, bytes)) || !(s->omp = corpus_alloc(r, bytes)) ||
	    !(s->out = corpus_alloc(r, bytes)))
		return -1;
	s->n = (int)r->n;
	s->dx = 3.0f / (float)s->n;
	s->dy = 3.0f / (float)s->n;
	r->st = s;
	return 0;
}

static inline int escape(const struct st *s, int px, int py)
{
	const float cx = X0 + px * s->dx, cy = Y0 + py * s->dy;
	float x = 0.0f, y = 0.0f, x2 = 0.0f, y2 = 0.0f;
	int it = 0;

	while (x2 + y2 <= 4.0f && it < MAX_ITER) {
		y = 2.0f * x * y + cy;
		x = x2 - y2 + cx;
		x2 = x * x;
		y2 = y * y;
		++it;
	}
	return it;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (int py = 0; py < s->n; py++)
		for (int px = 0; px < s->n; px++)
			s->ref[(size_t)py * s->n + px] = escape(s, px, py);
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;

	/* rows differ in cost: dynamic, as a C programmer would schedule them */
#pragma omp parallel for schedule(dynamic, 4)
	for (int py = 0; py < s->n; py++)
		for (int px = 0; px < s->n; px++)
			s->omp[(size_t)py * s->n + px] = escape(s, px, py);
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf(r, r->n * r->n * sizeof(int32_t), &s->dout));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(r->n, 16), corpus_div_up(r->n, 16), 1),
				    CORPUS_DIM(16, 16, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dout), vgpu_arg_i32(s->n), vgpu_arg_i32(s->n),
						vgpu_arg_f32(X0), vgpu_arg_f32(Y0), vgpu_arg_f32(s->dx),
						vgpu_arg_f32(s->dy), vgpu_arg_i32(MAX_ITER))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dout, s->out, r->n * r->n * sizeof(int32_t));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;
	const int32_t *got = is_omp ? s->omp : s->out;
	size_t cells = r->n * r->n, bad = 0, first = 0;

	/*
	 * the orbit is chaotic near the set's border: one FMA contraction more
	 * or less (x2 - y2 + cx, 2xy + cy) changes some escape times there.
	 * Allowed: at most 1 % of the pixels, none of them outside [1, MAX_ITER]
	 */
	for (size_t i = 0; i < cells; i++) {
		if (got[i] < 1 || got[i] > MAX_ITER)
			return corpus_msg(r, "pixel %zu: %d iterations", i, got[i]);
		if (got[i] != s->ref[i] && !bad++)
			first = i;
	}
	if (bad * 100 > cells)
		return corpus_msg(r, "%zu of %zu pixels differ (first: %zu, %d, want %d)", bad, cells, first,
				  got[first], s->ref[first]);
	return NULL;
}

CORPUS_CASE(mandelbrot) = {
	.name = "mandelbrot",
	.shape = "escape-time fractal: divergent while loop per pixel",
	.src = corpus_src_mandelbrot,
	.names = (const char *const[]){ "mandelbrot", NULL },
	.n_test = 200,
	.n_bench = 1024,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
