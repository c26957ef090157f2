// SPDX-License-Identifier: GPL-2.0
/* radix_digits: LSD radix sort of n 32-bit keys, 8 passes of 4 bits */
#include <stdlib.h>
#include <string.h>

#include "corpus.h"

#define THREADS 256
#define TILE (THREADS * 4)
#define RADIX 16
#define PASSES 8

struct st {
	int tiles;
	uint32_t *keys, *ref, *omp_a, *omp_b, *out, *omp_counts;
	vgpu_buffer *dkeys, *da, *db, *dcounts;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * 4;
	uint32_t seed = 121;

	if (!s)
		return -1;
	s->tiles = (int)corpus_div_up(r->n, TILE);
	if (!(s->keys = corpus_alloc(r, bytes)) || !(s->ref = corpus_alloc(r, bytes)) ||
	    !(s->omp_a = corpus_alloc(r, bytes)) || !(s->omp_b = corpus_alloc(r, bytes)) ||
	    !(s->out = corpus_alloc(r, bytes)) ||
	    !(s->omp_counts = corpus_alloc(r, (size_t)RADIX * s->tiles * 4)))
		return -1;
	/* full 32-bit keys with many duplicates (every pass must be stable) */
	for (size_t i = 0; i < r->n; i++) {
		uint32_t v = corpus_rand(&seed);

		s->keys[i] = v % 3 ? v : (v >> 4) % 1000 * 0x01010101u;
	}
	r->st = s;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	memcpy(s->ref, s->keys, r->n * 4);
	qsort(s->ref, r->n, 4, cmp_u32);
}

/* the same LSD sort: digit counts per tile, digit-major offsets, stable scatter per tile */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const long n = (long)r->n;
	const int tiles = s->tiles;
	uint32_t *src = s->keys, *dst = s->omp_a;

	for (int p = 0; p < PASSES; p++) {
		const int shift = 4 * p;
		uint32_t run = 0;

#pragma omp parallel for schedule(static)
		for (int t = 0; t < tiles; t++) {
			uint32_t c[RADIX] = { 0 };
			long end = (long)(t + 1) * TILE < n ? (long)(t + 1) * TILE : n;

			for (long i = (long)t * TILE; i < end; i++)
				c[(src[i] >> shift) & (RADIX - 1)]++;
			for (int d = 0; d < RADIX; d++)
				s->omp_counts[d * tiles + t] = c[d];
		}
		for (long k = 0; k < (long)RADIX * tiles; k++) {
			uint32_t c = s->omp_counts[k];

			s->omp_counts[k] = run;
			run += c;
		}
#pragma omp parallel for schedule(static)
		for (int t = 0; t < tiles; t++) {
			uint32_t next[RADIX];
			long end = (long)(t + 1) * TILE < n ? (long)(t + 1) * TILE : n;

			for (int d = 0; d < RADIX; d++)
				next[d] = s->omp_counts[d * tiles + t];
			for (long i = (long)t * TILE; i < end; i++)
				dst[next[(src[i] >> shift) & (RADIX - 1)]++] = src[i];
		}
		src = dst;
		dst = dst == s->omp_a ? s->omp_b : s->omp_a;
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->keys, r->n * 4, &s->dkeys));
	CORPUS_TRY(r, corpus_buf(r, r->n * 4, &s->da));
	CORPUS_TRY(r, corpus_buf(r, r->n * 4, &s->db));
	CORPUS_TRY(r, corpus_buf(r, (size_t)RADIX * s->tiles * 4, &s->dcounts));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	const int32_t n = (int32_t)r->n;
	vgpu_buffer *src = s->dkeys, *dst = s->da;

	/* keys -> a -> b -> ... -> b: the input stays as it was */
	for (int p = 0; p < PASSES; p++) {
		CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(s->tiles, 1, 1), CORPUS_DIM(THREADS, 1, 1), 0,
					    CORPUS_ARGS(vgpu_arg_buf(src), vgpu_arg_i32(n), vgpu_arg_i32(4 * p),
							vgpu_arg_buf(s->dcounts))));
		CORPUS_TRY(r, corpus_launch(r, 1, CORPUS_DIM(1, 1, 1), CORPUS_DIM(THREADS, 1, 1), 0,
					    CORPUS_ARGS(vgpu_arg_buf(s->dcounts), vgpu_arg_i32(RADIX * s->tiles))));
		CORPUS_TRY(r, corpus_launch(r, 2, CORPUS_DIM(s->tiles, 1, 1), CORPUS_DIM(THREADS, 1, 1), 0,
					    CORPUS_ARGS(vgpu_arg_buf(src), vgpu_arg_buf(dst), vgpu_arg_i32(n),
							vgpu_arg_i32(4 * p), vgpu_arg_buf(s->dcounts))));
		src = dst;
		dst = dst == s->da ? s->db : s->da;
	}
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->db, s->out, r->n * 4);
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	/* 8 passes end in the second buffer of each pair */
	return corpus_cmp_u32(r, is_omp ? s->omp_b : s->out, s->ref, r->n);
}

CORPUS_CASE(radix_digits) = {
	.name = "radix_digits",
	.shape = "radix sort: __syncthreads_count digit counts, ballot peer ranks, stable scatter",
	.src = corpus_src_radix_digits,
	.names = (const char *const[]){ "digit_counts", "scan_offsets", "scatter_digits", NULL },
	.flags = CORPUS_BARRIER_LOOP | CORPUS_WARP,
	.n_test = 30011,
	.n_bench = 1 << 18,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
