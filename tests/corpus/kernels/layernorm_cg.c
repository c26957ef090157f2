// SPDX-License-Identifier: GPL-2.0
/* layernorm_cg: layer normalisation of an n x H matrix, per row mean and 1/stddev kept */
#include <math.h>

#include "corpus.h"

#define H 768
#define EPS 1e-5f

struct st {
	float gamma[H], beta[H];
	float *x, *ref, *omp, *out;
	float *ref_mean, *ref_rstd, *omp_mean, *omp_rstd, *mean, *rstd;
	vgpu_buffer *dx, *dgamma, *dbeta, *dy, *dmean, *drstd;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * H * sizeof(float), rb = r->n * sizeof(float);

	if (!s || !(s->x = corpus_alloc(r, bytes)) || !(s->ref = corpus_alloc(r, bytes)) ||
	    !(s->omp = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)) ||
	    !(s->ref_mean = corpus_alloc(r, rb)) || !(s->ref_rstd = corpus_alloc(r, rb)) ||
	    !(s->omp_mean = corpus_alloc(r, rb)) || !(s->omp_rstd = corpus_alloc(r, rb)) ||
	    !(s->mean = corpus_alloc(r, rb)) || !(s->rstd = corpus_alloc(r, rb)))
		return -1;
	corpus_fill_f32(s->x, r->n * H, 101, -3.0f, 5.0f);
	corpus_fill_f32(s->gamma, H, 102, 0.5f, 1.5f);
	corpus_fill_f32(s->beta, H, 103, -0.5f, 0.5f);
	r->st = s;
	return 0;
}

/* plain C: the two passes in double, the answer the float versions approach */
static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (size_t i = 0; i < r->n; i++) {
		const float *row = s->x + i * H;
		double sum = 0.0, sq = 0.0, mean, rstd;

		for (int c = 0; c < H; c++)
			sum += row[c];
		mean = sum / H;
		for (int c = 0; c < H; c++)
			sq += (row[c] - mean) * (row[c] - mean);
		rstd = 1.0 / sqrt(sq / H + EPS);
		for (int c = 0; c < H; c++)
			s->ref[i * H + c] = (float)((row[c] - mean) * rstd * s->gamma[c] + s->beta[c]);
		s->ref_mean[i] = (float)mean;
		s->ref_rstd[i] = (float)rstd;
	}
}

/* OpenMP: a row per iteration, the same two float passes */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	long rows = (long)r->n;

#pragma omp parallel for schedule(static)
	for (long i = 0; i < rows; i++) {
		const float *row = s->x + i * H;
		float *out = s->omp + i * H;
		float sum = 0.0f, sq = 0.0f, mean, rstd;

#pragma omp simd reduction(+ : sum)
		for (int c = 0; c < H; c++)
			sum += row[c];
		mean = sum / H;
#pragma omp simd reduction(+ : sq)
		for (int c = 0; c < H; c++)
			sq += (row[c] - mean) * (row[c] - mean);
		rstd = 1.0f / sqrtf(sq / H + EPS);
#pragma omp simd
		for (int c = 0; c < H; c++)
			out[c] = (row[c] - mean) * rstd * s->gamma[c] + s->beta[c];
		s->omp_mean[i] = mean;
		s->omp_rstd[i] = rstd;
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = r->n * H * sizeof(float), rb = r->n * sizeof(float);

	CORPUS_TRY(r, corpus_buf_in(r, s->x, bytes, &s->dx));
	CORPUS_TRY(r, corpus_buf_in(r, s->gamma, sizeof(s->gamma), &s->dgamma));
	CORPUS_TRY(r, corpus_buf_in(r, s->beta, sizeof(s->beta), &s->dbeta));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->dy));
	CORPUS_TRY(r, corpus_buf(r, rb, &s->dmean));
	CORPUS_TRY(r, corpus_buf(r, rb, &s->drstd));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM((uint32_t)r->n, 1, 1), CORPUS_DIM(256, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dx), vgpu_arg_buf(s->dgamma), vgpu_arg_buf(s->dbeta),
						vgpu_arg_buf(s->dy), vgpu_arg_buf(s->dmean), vgpu_arg_buf(s->drstd),
						vgpu_arg_i32(H), vgpu_arg_f32(EPS))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_read(r, s->dy, s->out, r->n * H * sizeof(float)));
	CORPUS_TRY(r, corpus_read(r, s->dmean, s->mean, r->n * sizeof(float)));
	CORPUS_TRY(r, corpus_read(r, s->drstd, s->rstd, r->n * sizeof(float)));
	return 0;
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;
	const char *msg;

	/*
	 * float sums of 768 values in [-3, 5] against double: the mean within
	 * ~1e-6 relative to sum |x|; outputs are O(1..5) after normalising,
	 * so 1e-4 absolute covers the float mean and rstd errors times gamma
	 */
	msg = corpus_cmp_f32(r, is_omp ? s->omp_mean : s->mean, s->ref_mean, r->n, 1e-4, 1e-5);
	if (!msg)
		msg = corpus_cmp_f32(r, is_omp ? s->omp_rstd : s->rstd, s->ref_rstd, r->n, 1e-4, 0.0);
	if (!msg)
		msg = corpus_cmp_f32(r, is_omp ? s->omp : s->out, s->ref, r->n * H, 1e-4, 1e-4);
	return msg;
}

CORPUS_CASE(layernorm_cg) = {
	.name = "layernorm_cg",
	.shape = "layer norm: cooperative groups, cg::reduce in warp tiles, block.sync()",
	.src = corpus_src_layernorm_cg,
	.names = (const char *const[]){ "layernorm", NULL },
	.flags = CORPUS_WARP,
	.n_test = 200,
	.n_bench = 1 << 14,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
