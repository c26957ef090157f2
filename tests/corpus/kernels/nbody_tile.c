// SPDX-License-Identifier: GPL-2.0
/* nbody_tile: accelerations of n bodies (all pairs, softened) */
#include <math.h>

#include "corpus.h"

#define SOFTENING2 0.01f
#define BLOCK 128

struct st {
	float *pos, *ref, *omp, *out;	/* float4 per body */
	double scale;
	vgpu_buffer *dpos, *dacc;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * 4 * sizeof(float);

	if (!s || !(s->pos = corpus_alloc(r, bytes)) || !(s->ref = corpus_alloc(r, bytes)) ||
	    !(s->omp = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)))
		return -1;
	corpus_fill_f32(s->pos, r->n * 4, 111, -10.0f, 10.0f);
	for (size_t i = 0; i < r->n; i++)
		s->pos[i * 4 + 3] = 0.5f + (s->pos[i * 4 + 3] + 10.0f) / 20.0f;	/* mass 0.5 .. 1.5 */
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	double big = 0.0;

	for (size_t i = 0; i < r->n; i++) {
		double a[3] = { 0, 0, 0 }, mag = 0.0;

		for (size_t j = 0; j < r->n; j++) {
			double d[3], d2 = SOFTENING2;

			for (int c = 0; c < 3; c++) {
				d[c] = (double)s->pos[j * 4 + c] - s->pos[i * 4 + c];
				d2 += d[c] * d[c];
			}
			double f = s->pos[j * 4 + 3] / (d2 * sqrt(d2));

			for (int c = 0; c < 3; c++) {
				a[c] += d[c] * f;
				mag += fabs(d[c] * f);
			}
		}
		for (int c = 0; c < 3; c++)
			s->ref[i * 4 + c] = (float)a[c];
		s->ref[i * 4 + 3] = 0.0f;
		if (mag > big)
			big = mag;
	}
	s->scale = big;
}

/* the same all-pairs loop, bodies over the threads, float like the kernel */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const float *p = s->pos;
	long n = (long)r->n;

#pragma omp parallel for schedule(static)
	for (long i = 0; i < n; i++) {
		float ax = 0.0f, ay = 0.0f, az = 0.0f;
		const float xi = p[i * 4], yi = p[i * 4 + 1], zi = p[i * 4 + 2];

#pragma omp simd reduction(+ : ax, ay, az)
		for (long j = 0; j < n; j++) {
			float dx = p[j * 4] - xi, dy = p[j * 4 + 1] - yi, dz = p[j * 4 + 2] - zi;
			float d2 = dx * dx + dy * dy + dz * dz + SOFTENING2;
			float inv = 1.0f / sqrtf(d2);
			float f = p[j * 4 + 3] * inv * inv * inv;

			ax += dx * f;
			ay += dy * f;
			az += dz * f;
		}
		s->omp[i * 4] = ax;
		s->omp[i * 4 + 1] = ay;
		s->omp[i * 4 + 2] = az;
		s->omp[i * 4 + 3] = 0.0f;
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->pos, r->n * 16, &s->dpos));
	CORPUS_TRY(r, corpus_buf(r, r->n * 16, &s->dacc));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(r->n, BLOCK), 1, 1), CORPUS_DIM(BLOCK, 1, 1), 0,
			     CORPUS_ARGS(vgpu_arg_buf(s->dpos), vgpu_arg_buf(s->dacc),
					 vgpu_arg_i32((int32_t)r->n)));
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dacc, s->out, r->n * 16);
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	/* float sums of terms of both signs (rsqrtf is approximate on a GPU):
	 * absolute, relative to the largest sum of magnitudes */
	return corpus_cmp_f32(r, is_omp ? s->omp : s->out, s->ref, r->n * 4, 1e-4, 1e-5 * s->scale);
}

CORPUS_CASE(nbody_tile) = {
	.name = "nbody_tile",
	.shape = "n-body: float4 tiles in shared memory, rsqrtf",
	.src = corpus_src_nbody_tile,
	.names = (const char *const[]){ "nbody_accel", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 1000,
	.n_bench = 4096,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
