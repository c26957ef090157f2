// SPDX-License-Identifier: GPL-2.0
/* conv_sep: 17-tap separable blur of an n x (n + 9) image */
#include <math.h>

#include "corpus.h"

#define RADIUS 8
#define TAPS (2 * RADIUS + 1)

struct st {
	int w, h;
	float taps[TAPS];
	float *img, *tmp, *ref, *omp, *out;
	vgpu_buffer *dimg, *dtmp, *dout;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes;
	float sum = 0.0f;

	if (!s)
		return -1;
	s->h = (int)r->n;
	s->w = (int)r->n + 9;
	bytes = (size_t)s->w * s->h * sizeof(float);
	if (!(s->img = corpus_alloc(r, bytes)) || !(s->tmp = corpus_alloc(r, bytes)) ||
	    !(s->ref = corpus_alloc(r, bytes)) || !(s->omp = corpus_alloc(r, bytes)) ||
	    !(s->out = corpus_alloc(r, bytes)))
		return -1;
	for (int k = 0; k < TAPS; k++)
		sum += s->taps[k] = expf(-(float)((k - RADIUS) * (k - RADIUS)) / 18.0f);
	for (int k = 0; k < TAPS; k++)
		s->taps[k] /= sum;
	corpus_fill_f32(s->img, (size_t)s->w * s->h, 51, 0.0f, 255.0f);
	r->st = s;
	return 0;
}

static inline int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

static inline void row_pass(const struct st *s, const float *src, float *dst, int y)
{
	for (int x = 0; x < s->w; x++) {
		float acc = 0.0f;

		for (int k = -RADIUS; k <= RADIUS; k++)
			acc += s->taps[RADIUS + k] * src[(size_t)y * s->w + clampi(x + k, 0, s->w - 1)];
		dst[(size_t)y * s->w + x] = acc;
	}
}

static inline void col_pass(const struct st *s, const float *src, float *dst, int y)
{
	for (int x = 0; x < s->w; x++) {
		float acc = 0.0f;

		for (int k = -RADIUS; k <= RADIUS; k++)
			acc += s->taps[RADIUS + k] * src[(size_t)clampi(y + k, 0, s->h - 1) * s->w + x];
		dst[(size_t)y * s->w + x] = acc;
	}
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (int y = 0; y < s->h; y++)
		row_pass(s, s->img, s->tmp, y);
	for (int y = 0; y < s->h; y++)
		col_pass(s, s->tmp, s->ref, y);
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;

#pragma omp parallel
	{
#pragma omp for schedule(static)
		for (int y = 0; y < s->h; y++)
			row_pass(s, s->img, s->tmp, y);
#pragma omp for schedule(static)
		for (int y = 0; y < s->h; y++)
			col_pass(s, s->tmp, s->omp, y);
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = (size_t)s->w * s->h * sizeof(float);
	int ret;

	CORPUS_TRY(r, corpus_buf_in(r, s->img, bytes, &s->dimg));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->dtmp));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->dout));
	ret = vgpu_module_global_write(r->mod, "c_taps", 0, s->taps, sizeof(s->taps));
	return ret ? corpus_fail(r, ret, "vgpu_module_global_write(c_taps)") : 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(s->w, 64), corpus_div_up(s->h, 4), 1),
				    CORPUS_DIM(64, 4, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dimg), vgpu_arg_buf(s->dtmp),
						vgpu_arg_i32(s->w), vgpu_arg_i32(s->h))));
	CORPUS_TRY(r, corpus_launch(r, 1, CORPUS_DIM(corpus_div_up(s->w, 16), corpus_div_up(s->h, 64), 1),
				    CORPUS_DIM(16, 16, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dtmp), vgpu_arg_buf(s->dout),
						vgpu_arg_i32(s->w), vgpu_arg_i32(s->h))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dout, s->out, (size_t)s->w * s->h * sizeof(float));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	/* 17 + 17 products of values <= 255, FMA contraction may differ */
	return corpus_cmp_f32(r, is_omp ? s->omp : s->out, s->ref, (size_t)s->w * s->h, 1e-5, 1e-3);
}

CORPUS_CASE(conv_sep) = {
	.name = "conv_sep",
	.shape = "separable convolution: __constant__ taps, apron tiles",
	.src = corpus_src_conv_sep,
	.names = (const char *const[]){ "conv_rows", "conv_cols", NULL },
	.n_test = 90,
	.n_bench = 1024,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
