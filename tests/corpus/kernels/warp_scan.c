// SPDX-License-Identifier: GPL-2.0
/* warp_scan: inclusive prefix sum of n unsigned ints (tiles, tile sums, offsets) */
#include "corpus.h"

#define THREADS 256
#define TILE (THREADS * 4)

struct st {
	int tiles;
	uint32_t *in, *ref, *omp, *out, *omp_sums;
	vgpu_buffer *din, *dout, *dsums;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * sizeof(uint32_t);

	if (!s)
		return -1;
	s->tiles = (int)corpus_div_up(r->n, TILE);
	if (!(s->in = corpus_alloc(r, bytes)) || !(s->ref = corpus_alloc(r, bytes)) ||
	    !(s->omp = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)) ||
	    !(s->omp_sums = corpus_alloc(r, s->tiles * sizeof(uint32_t))))
		return -1;
	corpus_fill_u32(s->in, r->n, 31, 16);
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	uint32_t acc = 0;

	for (size_t i = 0; i < r->n; i++)
		s->ref[i] = acc += s->in[i];
}

/* the same three passes: tiles in parallel, the tile sums, the offsets */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const long n = (long)r->n;
	uint32_t carry = 0;

#pragma omp parallel for schedule(static)
	for (int t = 0; t < s->tiles; t++) {
		uint32_t acc = 0;
		long end = (long)(t + 1) * TILE < n ? (long)(t + 1) * TILE : n;

		for (long i = (long)t * TILE; i < end; i++)
			s->omp[i] = acc += s->in[i];
		s->omp_sums[t] = acc;
	}
	for (int t = 0; t < s->tiles; t++) {
		uint32_t v = s->omp_sums[t];

		s->omp_sums[t] = carry;
		carry += v;
	}
#pragma omp parallel for schedule(static)
	for (int t = 0; t < s->tiles; t++) {
		long end = (long)(t + 1) * TILE < n ? (long)(t + 1) * TILE : n;

		for (long i = (long)t * TILE; i < end; i++)
			s->omp[i] += s->omp_sums[t];
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = r->n * sizeof(uint32_t);

	CORPUS_TRY(r, corpus_buf_in(r, s->in, bytes, &s->din));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->dout));
	CORPUS_TRY(r, corpus_buf(r, s->tiles * sizeof(uint32_t), &s->dsums));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	const int32_t n = (int32_t)r->n;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(s->tiles, 1, 1), CORPUS_DIM(THREADS, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->din), vgpu_arg_buf(s->dout),
						vgpu_arg_buf(s->dsums), vgpu_arg_i32(n))));
	CORPUS_TRY(r, corpus_launch(r, 1, CORPUS_DIM(1, 1, 1), CORPUS_DIM(THREADS, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dsums), vgpu_arg_i32(s->tiles))));
	CORPUS_TRY(r, corpus_launch(r, 2, CORPUS_DIM(s->tiles, 1, 1), CORPUS_DIM(THREADS, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dout), vgpu_arg_buf(s->dsums), vgpu_arg_i32(n))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dout, s->out, r->n * sizeof(uint32_t));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	return corpus_cmp_u32(r, is_omp ? s->omp : s->out, s->ref, r->n);
}

CORPUS_CASE(warp_scan) = {
	.name = "warp_scan",
	.shape = "prefix sum: __shfl_up_sync warp scan, helper with barriers, tile sums",
	.src = corpus_src_warp_scan,
	.names = (const char *const[]){ "scan_tiles", "scan_sums", "add_offsets", NULL },
	.flags = CORPUS_BARRIER_LOOP | CORPUS_WARP,
	.n_test = 300007,
	.n_bench = 1 << 24,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
