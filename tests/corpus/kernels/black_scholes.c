// SPDX-License-Identifier: GPL-2.0
/* black_scholes: call and put prices of n European options */
#include <math.h>

#include "corpus.h"

#define RISKFREE 0.02f
#define VOLATILITY 0.30f

struct st {
	float *price, *strike, *years;
	float *ref_call, *ref_put, *omp_call, *omp_put, *call, *put;
	vgpu_buffer *dprice, *dstrike, *dyears, *dcall, *dput;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * sizeof(float);

	if (!s || !(s->price = corpus_alloc(r, bytes)) || !(s->strike = corpus_alloc(r, bytes)) ||
	    !(s->years = corpus_alloc(r, bytes)) || !(s->ref_call = corpus_alloc(r, bytes)) ||
	    !(s->ref_put = corpus_alloc(r, bytes)) || !(s->omp_call = corpus_alloc(r, bytes)) ||
	    !(s->omp_put = corpus_alloc(r, bytes)) || !(s->call = corpus_alloc(r, bytes)) ||
	    !(s->put = corpus_alloc(r, bytes)))
		return -1;
	corpus_fill_f32(s->price, r->n, 21, 5.0f, 30.0f);
	corpus_fill_f32(s->strike, r->n, 22, 1.0f, 100.0f);
	corpus_fill_f32(s->years, r->n, 23, 0.25f, 10.0f);
	r->st = s;
	return 0;
}

static inline float cnd(float d)
{
	const float a1 = 0.31938153f, a2 = -0.356563782f, a3 = 1.781477937f;
	const float a4 = -1.821255978f, a5 = 1.330274429f;
	const float rsqrt2pi = 0.39894228040143267794f;
	const float k = 1.0f / (1.0f + 0.2316419f * fabsf(d));
	float c = rsqrt2pi * expf(-0.5f * d * d) * (k * (a1 + k * (a2 + k * (a3 + k * (a4 + k * a5)))));

	return d > 0.0f ? 1.0f - c : c;
}

static inline void option(const struct st *s, size_t i, float *call, float *put)
{
	const float p = s->price[i], x = s->strike[i], t = s->years[i];
	const float sqrt_t = sqrtf(t);
	const float d1 = (logf(p / x) + (RISKFREE + 0.5f * VOLATILITY * VOLATILITY) * t) / (VOLATILITY * sqrt_t);
	const float d2 = d1 - VOLATILITY * sqrt_t;
	const float cnd1 = cnd(d1), cnd2 = cnd(d2);
	const float disc = expf(-RISKFREE * t);

	call[i] = p * cnd1 - x * disc * cnd2;
	put[i] = x * disc * (1.0f - cnd2) - p * (1.0f - cnd1);
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (size_t i = 0; i < r->n; i++)
		option(s, i, s->ref_call, s->ref_put);
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	long n = (long)r->n;

#pragma omp parallel for simd schedule(static)
	for (long i = 0; i < n; i++)
		option(s, (size_t)i, s->omp_call, s->omp_put);
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = r->n * sizeof(float);

	CORPUS_TRY(r, corpus_buf_in(r, s->price, bytes, &s->dprice));
	CORPUS_TRY(r, corpus_buf_in(r, s->strike, bytes, &s->dstrike));
	CORPUS_TRY(r, corpus_buf_in(r, s->years, bytes, &s->dyears));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->dcall));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->dput));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	/* a fixed grid, the grid-stride loop covers the rest */
	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(480, 1, 1), CORPUS_DIM(128, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dcall), vgpu_arg_buf(s->dput),
						vgpu_arg_buf(s->dprice), vgpu_arg_buf(s->dstrike),
						vgpu_arg_buf(s->dyears), vgpu_arg_f32(RISKFREE),
						vgpu_arg_f32(VOLATILITY), vgpu_arg_i32((int32_t)r->n))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_read(r, s->dcall, s->call, r->n * sizeof(float)));
	CORPUS_TRY(r, corpus_read(r, s->dput, s->put, r->n * sizeof(float)));
	return 0;
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;
	const char *msg;

	/*
	 * expf/logf of another math library (CUDA's, or a vectorised one) and
	 * FMA contraction: a few ulp of each price, and the difference of two
	 * terms near 100 can cancel, so also 1e-4 absolute
	 */
	msg = corpus_cmp_f32(r, is_omp ? s->omp_call : s->call, s->ref_call, r->n, 1e-4, 1e-4);
	if (!msg)
		msg = corpus_cmp_f32(r, is_omp ? s->omp_put : s->put, s->ref_put, r->n, 1e-4, 1e-4);
	return msg;
}

CORPUS_CASE(black_scholes) = {
	.name = "black_scholes",
	.shape = "option pricing: math functions per element, grid-stride loop",
	.src = corpus_src_black_scholes,
	.names = (const char *const[]){ "black_scholes", NULL },
	.n_test = 100003,
	.n_bench = 1 << 21,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
