// SPDX-License-Identifier: GPL-2.0
/* backprop_layer: n inputs, 128 outputs: forward + sigmoid, then the weight update */
#include <math.h>

#include "corpus.h"

#define BS 16
#define NOUT 128
#define ETA 0.3f
#define MOMENTUM 0.3f

struct st {
	int nin, chunks;
	float *in, *w, *oldw, *bias, *delta;
	float *ref_out, *ref_w, *ref_dw, *omp_out, *omp_w, *omp_dw, *out, *out_w, *out_dw;
	vgpu_buffer *din, *dw, *doldw, *dbias, *ddelta, *dpart, *dout, *dw2, *ddw2;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t wn = r->n * NOUT * sizeof(float), on = NOUT * sizeof(float);

	if (!s)
		return -1;
	s->nin = (int)r->n;
	s->chunks = (int)corpus_div_up(r->n, BS);
	if (!(s->in = corpus_alloc(r, r->n * 4)) || !(s->w = corpus_alloc(r, wn)) ||
	    !(s->oldw = corpus_alloc(r, wn)) || !(s->bias = corpus_alloc(r, on)) ||
	    !(s->delta = corpus_alloc(r, on)) || !(s->ref_out = corpus_alloc(r, on)) ||
	    !(s->ref_w = corpus_alloc(r, wn)) || !(s->ref_dw = corpus_alloc(r, wn)) ||
	    !(s->omp_out = corpus_alloc(r, on)) || !(s->omp_w = corpus_alloc(r, wn)) ||
	    !(s->omp_dw = corpus_alloc(r, wn)) || !(s->out = corpus_alloc(r, on)) ||
	    !(s->out_w = corpus_alloc(r, wn)) || !(s->out_dw = corpus_alloc(r, wn)))
		return -1;
	corpus_fill_f32(s->in, r->n, 81, 0.0f, 1.0f);
	corpus_fill_f32(s->w, r->n * NOUT, 82, -0.05f, 0.05f);
	corpus_fill_f32(s->oldw, r->n * NOUT, 83, -0.01f, 0.01f);
	corpus_fill_f32(s->bias, NOUT, 84, -1.0f, 1.0f);
	corpus_fill_f32(s->delta, NOUT, 85, -0.5f, 0.5f);
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (int j = 0; j < NOUT; j++) {
		double sum = s->bias[j];

		for (int i = 0; i < s->nin; i++)
			sum += (double)s->w[(size_t)i * NOUT + j] * s->in[i];
		s->ref_out[j] = (float)(1.0 / (1.0 + exp(-sum)));
	}
	for (int i = 0; i < s->nin; i++)
		for (int j = 0; j < NOUT; j++) {
			size_t k = (size_t)i * NOUT + j;
			float step = ETA * (s->delta[j] * s->in[i]) + MOMENTUM * s->oldw[k];

			s->ref_w[k] = s->w[k] + step;
			s->ref_dw[k] = step;
		}
}

/* the same two phases: per-thread partial sums of the rows, then the update */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	float acc[NOUT];

	for (int j = 0; j < NOUT; j++)
		acc[j] = s->bias[j];
#pragma omp parallel
	{
		float part[NOUT] = { 0 };

#pragma omp for schedule(static) nowait
		for (int i = 0; i < s->nin; i++) {
			const float *wr = s->w + (size_t)i * NOUT;
			float x = s->in[i];

			for (int j = 0; j < NOUT; j++)
				part[j] += wr[j] * x;
		}
#pragma omp critical
		for (int j = 0; j < NOUT; j++)
			acc[j] += part[j];
	}
	for (int j = 0; j < NOUT; j++)
		s->omp_out[j] = 1.0f / (1.0f + expf(-acc[j]));
#pragma omp parallel for schedule(static)
	for (int i = 0; i < s->nin; i++)
		for (int j = 0; j < NOUT; j++) {
			size_t k = (size_t)i * NOUT + j;
			float step = ETA * (s->delta[j] * s->in[i]) + MOMENTUM * s->oldw[k];

			s->omp_w[k] = s->w[k] + step;
			s->omp_dw[k] = step;
		}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t wn = r->n * NOUT * sizeof(float), on = NOUT * sizeof(float);

	CORPUS_TRY(r, corpus_buf_in(r, s->in, r->n * 4, &s->din));
	CORPUS_TRY(r, corpus_buf_in(r, s->w, wn, &s->dw));
	CORPUS_TRY(r, corpus_buf_in(r, s->oldw, wn, &s->doldw));
	CORPUS_TRY(r, corpus_buf_in(r, s->bias, on, &s->dbias));
	CORPUS_TRY(r, corpus_buf_in(r, s->delta, on, &s->ddelta));
	CORPUS_TRY(r, corpus_buf(r, (size_t)s->chunks * on, &s->dpart));
	CORPUS_TRY(r, corpus_buf(r, on, &s->dout));
	CORPUS_TRY(r, corpus_buf(r, wn, &s->dw2));
	CORPUS_TRY(r, corpus_buf(r, wn, &s->ddw2));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	struct vgpu_dim3 grid = CORPUS_DIM(NOUT / BS, (uint32_t)s->chunks, 1), block = CORPUS_DIM(BS, BS, 1);

	CORPUS_TRY(r, corpus_launch(r, 0, grid, block, 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->din), vgpu_arg_buf(s->dw),
						vgpu_arg_buf(s->dpart), vgpu_arg_i32(s->nin),
						vgpu_arg_i32(NOUT))));
	CORPUS_TRY(r, corpus_launch(r, 1, CORPUS_DIM(1, 1, 1), CORPUS_DIM(NOUT, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dpart), vgpu_arg_i32(s->chunks),
						vgpu_arg_buf(s->dbias), vgpu_arg_buf(s->dout),
						vgpu_arg_i32(NOUT))));
	CORPUS_TRY(r, corpus_launch(r, 2, grid, block, 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->ddelta), vgpu_arg_buf(s->din),
						vgpu_arg_buf(s->dw), vgpu_arg_buf(s->doldw),
						vgpu_arg_buf(s->dw2), vgpu_arg_buf(s->ddw2),
						vgpu_arg_i32(s->nin), vgpu_arg_i32(NOUT),
						vgpu_arg_f32(ETA), vgpu_arg_f32(MOMENTUM))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t wn = r->n * NOUT * sizeof(float);

	CORPUS_TRY(r, corpus_read(r, s->dout, s->out, NOUT * sizeof(float)));
	CORPUS_TRY(r, corpus_read(r, s->dw2, s->out_w, wn));
	CORPUS_TRY(r, corpus_read(r, s->ddw2, s->out_dw, wn));
	return 0;
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;
	size_t wn = r->n * NOUT;
	const char *m;

	/* fast-math sigmoid (__expf, __fdividef): a few ulp, sums in another order */
	m = corpus_cmp_f32(r, is_omp ? s->omp_out : s->out, s->ref_out, NOUT, 1e-4, 1e-5);
	if (!m)
		m = corpus_cmp_f32(r, is_omp ? s->omp_w : s->out_w, s->ref_w, wn, 1e-6, 1e-7);
	if (!m)
		m = corpus_cmp_f32(r, is_omp ? s->omp_dw : s->out_dw, s->ref_dw, wn, 1e-5, 1e-7);
	return m;
}

CORPUS_CASE(backprop_layer) = {
	.name = "backprop_layer",
	.shape = "back-propagation layer: shared products, fast-math sigmoid",
	.src = corpus_src_backprop_layer,
	.names = (const char *const[]){ "layer_forward", "layer_activate", "adjust_weights", NULL },
	.options = (const char *const[]){ "--use_fast_math", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 1000,
	.n_bench = 1 << 16,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
