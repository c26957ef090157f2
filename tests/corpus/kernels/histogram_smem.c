// SPDX-License-Identifier: GPL-2.0
/* histogram_smem: 256-bin histogram of n bytes (n a multiple of 4) */
#include <string.h>

#include "corpus.h"

#define BLOCKS 240
#define BINS 256

struct st {
	uint8_t *data;
	uint32_t ref[BINS], omp[BINS], out[BINS];
	vgpu_buffer *ddata, *dpart, *dhist;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	uint32_t seed = 3;

	r->n &= ~(size_t)3;
	if (!s || !(s->data = corpus_alloc(r, r->n)))
		return -1;
	/* an image-like distribution: mostly a few grey levels, some noise */
	for (size_t i = 0; i < r->n; i++) {
		uint32_t v = corpus_rand(&seed);

		s->data[i] = (uint8_t)(v % 8 ? 96 + (v >> 8) % 24 : (v >> 16) & 255);
	}
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	memset(s->ref, 0, sizeof(s->ref));
	for (size_t i = 0; i < r->n; i++)
		s->ref[s->data[i]]++;
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const uint8_t *d = s->data;
	long n = (long)r->n;

	memset(s->omp, 0, sizeof(s->omp));
#pragma omp parallel
	{
		uint32_t h[BINS] = { 0 };

#pragma omp for schedule(static) nowait
		for (long i = 0; i < n; i++)
			h[d[i]]++;
		for (int b = 0; b < BINS; b++)
			if (h[b]) {
#pragma omp atomic
				s->omp[b] += h[b];
			}
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->data, r->n, &s->ddata));
	CORPUS_TRY(r, corpus_buf(r, BLOCKS * BINS * sizeof(uint32_t), &s->dpart));
	CORPUS_TRY(r, corpus_buf(r, BINS * sizeof(uint32_t), &s->dhist));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(BLOCKS, 1, 1), CORPUS_DIM(256, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->ddata), vgpu_arg_i32((int32_t)(r->n / 4)),
						vgpu_arg_buf(s->dpart))));
	CORPUS_TRY(r, corpus_launch(r, 1, CORPUS_DIM(1, 1, 1), CORPUS_DIM(BINS, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dpart), vgpu_arg_i32(BLOCKS),
						vgpu_arg_buf(s->dhist))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dhist, s->out, sizeof(s->out));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	return corpus_cmp_u32(r, is_omp ? s->omp : s->out, s->ref, BINS);
}

CORPUS_CASE(histogram_smem) = {
	.name = "histogram_smem",
	.shape = "histogram: shared-memory atomics, per-block partials + merge",
	.src = corpus_src_histogram_smem,
	.names = (const char *const[]){ "histogram_partial", "histogram_merge", NULL },
	.n_test = 1 << 18,
	.n_bench = 1 << 26,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
