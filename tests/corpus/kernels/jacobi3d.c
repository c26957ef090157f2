// SPDX-License-Identifier: GPL-2.0
/* jacobi3d: 4 Jacobi sweeps of a 7-point stencil on an n x n x n grid, ping-pong buffers */
#include "corpus.h"

#define SWEEPS 4
#define C0 0.4f
#define C1 0.1f

struct st {
	int n;
	float *u0, *tmp, *ref, *omp_a, *omp_b, *out;
	vgpu_buffer *du0, *da, *db;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t cells = r->n * r->n * r->n, bytes = cells * sizeof(float);

	if (!s)
		return -1;
	s->n = (int)r->n;
	if (!(s->u0 = corpus_alloc(r, bytes)) || !(s->tmp = corpus_alloc(r, bytes)) ||
	    !(s->ref = corpus_alloc(r, bytes)) || !(s->omp_a = corpus_alloc(r, bytes)) ||
	    !(s->omp_b = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)))
		return -1;
	corpus_fill_f32(s->u0, cells, 71, 0.0f, 1.0f);
	r->st = s;
	return 0;
}

/* one x row of a sweep: the kernel's arithmetic, in its order */
static inline void sweep_row(const float *u, float *v, int n, int y, int z)
{
	const size_t sl = (size_t)n * n, row = (size_t)z * sl + (size_t)y * n;

	for (int x = 0; x < n; x++) {
		const size_t i = row + x;
		float c = u[i];

		if (x > 0 && y > 0 && z > 0 && x < n - 1 && y < n - 1 && z < n - 1)
			c = C0 * c + C1 * (u[i - 1] + u[i + 1] + u[i - n] + u[i + n] + u[i - sl] + u[i + sl]);
		v[i] = c;
	}
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	const float *src = s->u0;
	int n = s->n;

	/* u0 -> tmp -> ref -> tmp -> ref */
	for (int k = 0; k < SWEEPS; k++) {
		float *d = k % 2 ? s->ref : s->tmp;

		for (int z = 0; z < n; z++)
			for (int y = 0; y < n; y++)
				sweep_row(src, d, n, y, z);
		src = d;
	}
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const float *src = s->u0;
	int n = s->n;

	for (int k = 0; k < SWEEPS; k++) {
		float *d = k % 2 ? s->omp_b : s->omp_a;

#pragma omp parallel for collapse(2) schedule(static)
		for (int z = 0; z < n; z++)
			for (int y = 0; y < n; y++)
				sweep_row(src, d, n, y, z);
		src = d;
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = r->n * r->n * r->n * sizeof(float);

	CORPUS_TRY(r, corpus_buf_in(r, s->u0, bytes, &s->du0));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->da));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->db));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	vgpu_buffer *src = s->du0;

	for (int k = 0; k < SWEEPS; k++) {
		vgpu_buffer *dst = k % 2 ? s->db : s->da;

		CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(r->n, 32), corpus_div_up(r->n, 8), 1),
					    CORPUS_DIM(32, 8, 1), 0,
					    CORPUS_ARGS(vgpu_arg_buf(src), vgpu_arg_buf(dst), vgpu_arg_i32(s->n),
							vgpu_arg_i32(s->n), vgpu_arg_i32(s->n),
							vgpu_arg_f32(C0), vgpu_arg_f32(C1))));
		src = dst;
	}
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->db, s->out, r->n * r->n * r->n * sizeof(float));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	/* values in [0, 1]; the only freedom is FMA contraction of 8 terms, 4 times */
	return corpus_cmp_f32(r, is_omp ? s->omp_b : s->out, s->ref, r->n * r->n * r->n, 1e-5, 1e-6);
}

CORPUS_CASE(jacobi3d) = {
	.name = "jacobi3d",
	.shape = "3-D 7-point stencil: 2.5-D blocking, shared xy plane, z in registers",
	.src = corpus_src_jacobi3d,
	.names = (const char *const[]){ "jacobi7", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 37,
	.n_bench = 128,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
