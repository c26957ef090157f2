// SPDX-License-Identifier: GPL-2.0
/* vote_ballot: bitmap and index list of the samples above a threshold */
#include <stdlib.h>
#include <string.h>

#include "corpus.h"

#define THRESHOLD 0.8f

struct st {
	size_t words;
	float *x;
	uint32_t *ref_bits, *omp_bits, *bits;
	int32_t *ref_list, *omp_list, *list;
	int32_t ref_count, omp_count, count;
	vgpu_buffer *dx, *dbits, *dlist, *dcount;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * sizeof(int32_t);

	if (!s)
		return -1;
	s->words = corpus_div_up(r->n, 32);
	if (!(s->x = corpus_alloc(r, r->n * sizeof(float))) ||
	    !(s->ref_bits = corpus_alloc(r, s->words * 4)) || !(s->omp_bits = corpus_alloc(r, s->words * 4)) ||
	    !(s->bits = corpus_alloc(r, s->words * 4)) || !(s->ref_list = corpus_alloc(r, bytes)) ||
	    !(s->omp_list = corpus_alloc(r, bytes)) || !(s->list = corpus_alloc(r, bytes)))
		return -1;
	corpus_fill_f32(s->x, r->n, 61, 0.0f, 1.0f);
	/* some all-miss stretches, so that warps take the __any_sync exit */
	for (size_t i = 0; i < r->n; i++)
		if ((i / 512) % 3 == 1)
			s->x[i] *= 0.5f;
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	int32_t c = 0;

	memset(s->ref_bits, 0, s->words * 4);
	for (size_t i = 0; i < r->n; i++)
		if (s->x[i] > THRESHOLD) {
			s->ref_bits[i / 32] |= 1u << (i % 32);
			s->ref_list[c++] = (int32_t)i;
		}
	s->ref_count = c;
}

/* the same: a word of the bitmap per 32 samples, list room reserved per word with one atomic */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const long words = (long)s->words, n = (long)r->n;
	int32_t count = 0;

#pragma omp parallel for schedule(static)
	for (long w = 0; w < words; w++) {
		uint32_t bits = 0;
		int32_t slot;

		for (int l = 0; l < 32; l++) {
			long i = w * 32 + l;

			bits |= (uint32_t)(i < n && s->x[i] > THRESHOLD) << l;
		}
		s->omp_bits[w] = bits;
		if (!bits)
			continue;
#pragma omp atomic capture
		{ slot = count; count += __builtin_popcount(bits); }
		for (int l = 0; bits; l++, bits >>= 1)
			if (bits & 1)
				s->omp_list[slot++] = (int32_t)(w * 32 + l);
	}
	s->omp_count = count;
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->x, r->n * sizeof(float), &s->dx));
	CORPUS_TRY(r, corpus_buf(r, s->words * 4, &s->dbits));
	CORPUS_TRY(r, corpus_buf(r, r->n * sizeof(int32_t), &s->dlist));
	CORPUS_TRY(r, corpus_buf(r, sizeof(int32_t), &s->dcount));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	const int32_t zero = 0;

	CORPUS_TRY(r, vgpu_buffer_write(s->dcount, 0, &zero, sizeof(zero)));
	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(256, 1, 1), CORPUS_DIM(256, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dx), vgpu_arg_i32((int32_t)r->n),
						vgpu_arg_f32(THRESHOLD), vgpu_arg_buf(s->dbits),
						vgpu_arg_buf(s->dlist), vgpu_arg_buf(s->dcount))));
	/* the caller needs the count to use the list */
	CORPUS_TRY(r, corpus_read(r, s->dcount, &s->count, sizeof(s->count)));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_read(r, s->dbits, s->bits, s->words * 4));
	if (s->count > 0 && (size_t)s->count <= r->n)
		CORPUS_TRY(r, corpus_read(r, s->dlist, s->list, s->count * sizeof(int32_t)));
	return 0;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;
	int32_t count = is_omp ? s->omp_count : s->count, *list = is_omp ? s->omp_list : s->list;
	const char *msg = corpus_cmp_u32(r, is_omp ? s->omp_bits : s->bits, s->ref_bits, s->words);

	if (msg)
		return msg;
	if (count != s->ref_count)
		return corpus_msg(r, "%d samples listed, want %d", count, s->ref_count);
	/* the order is the scheduler's: compare as sets (the reference is ascending) */
	qsort(list, (size_t)count, sizeof(*list), cmp_i32);
	return corpus_cmp_i32(r, list, s->ref_list, (size_t)count);
}

CORPUS_CASE(vote_ballot) = {
	.name = "vote_ballot",
	.shape = "warp votes: __ballot_sync bitmap, __any_sync skip, __activemask aggregated atomic",
	.src = corpus_src_vote_ballot,
	.names = (const char *const[]){ "select_above", NULL },
	.flags = CORPUS_WARP,
	.n_test = 200003,
	.n_bench = 1 << 23,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
