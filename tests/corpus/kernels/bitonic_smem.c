// SPDX-License-Identifier: GPL-2.0
/* bitonic_smem: sort each 1024-key segment of n keys (n rounded down to a multiple of 1024) */
#include <stdlib.h>

#include "corpus.h"

#define SEG 1024

struct st {
	uint32_t *in, *ref, *omp, *out;
	vgpu_buffer *din, *dout;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));

	r->n -= r->n % SEG;
	if (!s || !r->n || !(s->in = corpus_alloc(r, r->n * 4)) || !(s->ref = corpus_alloc(r, r->n * 4)) ||
	    !(s->omp = corpus_alloc(r, r->n * 4)) || !(s->out = corpus_alloc(r, r->n * 4)))
		return -1;
	corpus_fill_u32(s->in, r->n, 131, 0);
	for (size_t i = 0; i < r->n; i += 7)
		s->in[i] %= 64;		/* some duplicates */
	r->st = s;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (size_t i = 0; i < r->n; i++)
		s->ref[i] = s->in[i];
	for (size_t b = 0; b < r->n; b += SEG)
		qsort(s->ref + b, SEG, 4, cmp_u32);
}

/* the same bitonic network per segment, segments over the threads */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	long segs = (long)(r->n / SEG);

#pragma omp parallel for schedule(static)
	for (long g = 0; g < segs; g++) {
		uint32_t *k = s->omp + g * SEG;

		for (int i = 0; i < SEG; i++)
			k[i] = s->in[g * SEG + i];
		for (unsigned size = 2; size <= SEG; size <<= 1)
			for (unsigned stride = size >> 1; stride > 0; stride >>= 1)
				for (unsigned t = 0; t < SEG / 2; t++) {
					unsigned pos = 2 * t - (t & (stride - 1));
					int up = (pos & size) == 0 || size == SEG;
					uint32_t a = k[pos], b = k[pos + stride];

					if ((a > b) == up) {
						k[pos] = b;
						k[pos + stride] = a;
					}
				}
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->in, r->n * 4, &s->din));
	CORPUS_TRY(r, corpus_buf(r, r->n * 4, &s->dout));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_launch(r, 0, CORPUS_DIM((uint32_t)(r->n / SEG), 1, 1), CORPUS_DIM(SEG / 2, 1, 1), 0,
			     CORPUS_ARGS(vgpu_arg_buf(s->din), vgpu_arg_buf(s->dout)));
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dout, s->out, r->n * 4);
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	return corpus_cmp_u32(r, is_omp ? s->omp : s->out, s->ref, r->n);
}

CORPUS_CASE(bitonic_smem) = {
	.name = "bitonic_smem",
	.shape = "sort: bitonic network per segment in shared memory",
	.src = corpus_src_bitonic_smem,
	.names = (const char *const[]){ "bitonic_sort_segments", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 16 * 1024,
	.n_bench = 1 << 19,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
