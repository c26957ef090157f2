// SPDX-License-Identifier: GPL-2.0
/* heat_tile: 4 explicit heat steps on an n x n grid, ping-pong buffers */
#include "corpus.h"

#define STEPS 4
#define ALPHA 0.2f

struct st {
	int n;
	float *u0, *a, *b, *ref, *omp, *out;
	vgpu_buffer *du0, *da, *db;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t cells = r->n * r->n, bytes = cells * sizeof(float);

	if (!s)
		return -1;
	s->n = (int)r->n;
	s->u0 = corpus_alloc(r, bytes);
	s->a = corpus_alloc(r, bytes);
	s->b = corpus_alloc(r, bytes);
	s->ref = corpus_alloc(r, bytes);
	s->omp = corpus_alloc(r, bytes);
	s->out = corpus_alloc(r, bytes);
	if (!s->u0 || !s->a || !s->b || !s->ref || !s->omp || !s->out)
		return -1;
	corpus_fill_f32(s->u0, cells, 1, 0.0f, 100.0f);
	r->st = s;
	return 0;
}

static inline float cell(const float *u, int n, int x, int y, float alpha)
{
	float c = u[y * n + x];

	if (x == 0 || y == 0 || x == n - 1 || y == n - 1)
		return c;
	return c + alpha * ((u[y * n + x - 1] + u[y * n + x + 1] + u[(y - 1) * n + x] +
			     u[(y + 1) * n + x]) - 4.0f * c);
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	const float *src = s->u0;
	float *tmp = s->a, *dst = s->ref;
	int n = s->n;

	/* u0 -> a -> ref -> a -> ref */
	for (int step = 0; step < STEPS; step++) {
		float *d = step % 2 ? dst : tmp;

		for (int y = 0; y < n; y++)
			for (int x = 0; x < n; x++)
				d[y * n + x] = cell(src, n, x, y, ALPHA);
		src = d;
	}
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const float *src = s->u0;
	int n = s->n;

	for (int step = 0; step < STEPS; step++) {
		float *d = step % 2 ? s->omp : s->b;

#pragma omp parallel for schedule(static)
		for (int y = 0; y < n; y++)
			for (int x = 0; x < n; x++)
				d[y * n + x] = cell(src, n, x, y, ALPHA);
		src = d;
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = r->n * r->n * sizeof(float);

	CORPUS_TRY(r, corpus_buf_in(r, s->u0, bytes, &s->du0));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->da));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->db));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	vgpu_buffer *src = s->du0;

	for (int step = 0; step < STEPS; step++) {
		vgpu_buffer *dst = step % 2 ? s->db : s->da;

		CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(r->n, 32), corpus_div_up(r->n, 32), 1),
					    CORPUS_DIM(32, 8, 1), 0,
					    CORPUS_ARGS(vgpu_arg_buf(src), vgpu_arg_buf(dst),
							vgpu_arg_i32(s->n), vgpu_arg_i32(s->n),
							vgpu_arg_f32(ALPHA))));
		src = dst;
	}
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->db, s->out, r->n * r->n * sizeof(float));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	return corpus_cmp_f32(r, is_omp ? s->omp : s->out, s->ref, r->n * r->n, 1e-5, 1e-4);
}

CORPUS_CASE(heat_tile) = {
	.name = "heat_tile",
	.shape = "stencil: halo tile in shared memory, strip loop",
	.src = corpus_src_heat_tile,
	.names = (const char *const[]){ "heat_step", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 100,
	.n_bench = 2048,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
