// SPDX-License-Identifier: GPL-2.0
/* nw_wavefront: Needleman-Wunsch scores of two n-letter DNA strings (n a multiple of 16) */
#include "corpus.h"

#define T 16
#define PENALTY 2

static const int32_t sub_table[16] = {
	 5, -3, -1, -3,
	-3,  5, -3, -1,
	-1, -3,  5, -3,
	-3, -1, -3,  5,
};

struct st {
	int n, w;
	uint8_t *a, *b;
	int32_t *init, *ref, *omp, *out;
	vgpu_buffer *dscore, *da, *db, *dsub;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t cells;
	uint32_t seed = 61;

	r->n -= r->n % T;
	if (!s || !r->n)
		return -1;
	s->n = (int)r->n;
	s->w = s->n + 1;
	cells = (size_t)s->w * s->w;
	if (!(s->a = corpus_alloc(r, r->n)) || !(s->b = corpus_alloc(r, r->n)) ||
	    !(s->init = corpus_alloc(r, cells * 4)) || !(s->ref = corpus_alloc(r, cells * 4)) ||
	    !(s->omp = corpus_alloc(r, cells * 4)) || !(s->out = corpus_alloc(r, cells * 4)))
		return -1;
	/* b is a mutated copy of a, so the alignment is not all gaps */
	for (size_t i = 0; i < r->n; i++) {
		s->a[i] = (uint8_t)(corpus_rand(&seed) & 3);
		s->b[i] = corpus_rand(&seed) % 5 ? s->a[i] : (uint8_t)(corpus_rand(&seed) & 3);
	}
	for (int i = 0; i <= s->n; i++) {
		s->init[i] = -i * PENALTY;			/* first row */
		s->init[(size_t)i * s->w] = -i * PENALTY;	/* first column */
	}
	r->st = s;
	return 0;
}

static inline int max3(int x, int y, int z)
{
	int m = x > y ? x : y;

	return m > z ? m : z;
}

static inline void cell(const struct st *s, int32_t *m, int i, int j)
{
	size_t w = (size_t)s->w;

	m[i * w + j] = max3(m[(i - 1) * w + j - 1] + sub_table[s->a[i - 1] * 4 + s->b[j - 1]],
			    m[(i - 1) * w + j] - PENALTY, m[i * w + j - 1] - PENALTY);
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (size_t i = 0; i < (size_t)s->w * s->w; i++)
		s->ref[i] = s->init[i];
	for (int i = 1; i <= s->n; i++)
		for (int j = 1; j <= s->n; j++)
			cell(s, s->ref, i, j);
}

/* the same tiled wavefront: the tiles of an anti-diagonal in parallel */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	int tiles = s->n / T;

	for (int i = 0; i <= s->n; i++) {
		s->omp[i] = s->init[i];
		s->omp[(size_t)i * s->w] = s->init[(size_t)i * s->w];
	}
	for (int d = 0; d < 2 * tiles - 1; d++) {
		int first = d < tiles ? 0 : d - tiles + 1, last = d < tiles ? d : tiles - 1;

#pragma omp parallel for schedule(static)
		for (int ti = first; ti <= last; ti++) {
			int tj = d - ti;

			for (int i = ti * T + 1; i <= ti * T + T; i++)
				for (int j = tj * T + 1; j <= tj * T + T; j++)
					cell(s, s->omp, i, j);
		}
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->init, (size_t)s->w * s->w * 4, &s->dscore));
	CORPUS_TRY(r, corpus_buf_in(r, s->a, r->n, &s->da));
	CORPUS_TRY(r, corpus_buf_in(r, s->b, r->n, &s->db));
	CORPUS_TRY(r, corpus_buf_in(r, sub_table, sizeof(sub_table), &s->dsub));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	int tiles = s->n / T;

	for (int d = 0; d < 2 * tiles - 1; d++) {
		uint32_t blocks = (uint32_t)(d < tiles ? d + 1 : 2 * tiles - 1 - d);

		CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(blocks, 1, 1), CORPUS_DIM(T, 1, 1), 0,
					    CORPUS_ARGS(vgpu_arg_buf(s->dscore), vgpu_arg_buf(s->da),
							vgpu_arg_buf(s->db), vgpu_arg_buf(s->dsub),
							vgpu_arg_i32(s->n), vgpu_arg_i32(d),
							vgpu_arg_i32(PENALTY))));
	}
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dscore, s->out, (size_t)s->w * s->w * 4);
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	return corpus_cmp_i32(r, is_omp ? s->omp : s->out, s->ref, (size_t)s->w * s->w);
}

CORPUS_CASE(nw_wavefront) = {
	.name = "nw_wavefront",
	.shape = "wavefront dynamic programming: tile diagonals, in-tile sweep",
	.src = corpus_src_nw_wavefront,
	.names = (const char *const[]){ "nw_tiles", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 160,
	.n_bench = 2048,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
