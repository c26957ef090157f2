// SPDX-License-Identifier: GPL-2.0
/* stream_compact: the values above a threshold of n floats, in order, and their count */
#include "corpus.h"

#define THREADS 256
#define TILE (THREADS * 8)
#define THRESHOLD 0.6f

struct st {
	int tiles;
	float *in, *ref, *omp, *out;
	int32_t *omp_counts, ref_total, omp_total, total;
	vgpu_buffer *din, *dcounts, *dtotal, *dout;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * sizeof(float);

	if (!s)
		return -1;
	s->tiles = (int)corpus_div_up(r->n, TILE);
	if (!(s->in = corpus_alloc(r, bytes)) || !(s->ref = corpus_alloc(r, bytes)) ||
	    !(s->omp = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)) ||
	    !(s->omp_counts = corpus_alloc(r, s->tiles * sizeof(int32_t))))
		return -1;
	corpus_fill_f32(s->in, r->n, 111, 0.0f, 1.0f);
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	int32_t k = 0;

	for (size_t i = 0; i < r->n; i++)
		if (s->in[i] > THRESHOLD)
			s->ref[k++] = s->in[i];
	s->ref_total = k;
}

/* the same three phases: count per tile, offsets, scatter per tile */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const long n = (long)r->n;
	int32_t carry = 0;

#pragma omp parallel for schedule(static)
	for (int t = 0; t < s->tiles; t++) {
		long end = (long)(t + 1) * TILE < n ? (long)(t + 1) * TILE : n;
		int32_t c = 0;

		for (long i = (long)t * TILE; i < end; i++)
			c += s->in[i] > THRESHOLD;
		s->omp_counts[t] = c;
	}
	for (int t = 0; t < s->tiles; t++) {
		int32_t c = s->omp_counts[t];

		s->omp_counts[t] = carry;
		carry += c;
	}
	s->omp_total = carry;
#pragma omp parallel for schedule(static)
	for (int t = 0; t < s->tiles; t++) {
		long end = (long)(t + 1) * TILE < n ? (long)(t + 1) * TILE : n;
		int32_t k = s->omp_counts[t];

		for (long i = (long)t * TILE; i < end; i++)
			if (s->in[i] > THRESHOLD)
				s->omp[k++] = s->in[i];
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->in, r->n * sizeof(float), &s->din));
	CORPUS_TRY(r, corpus_buf(r, s->tiles * sizeof(int32_t), &s->dcounts));
	CORPUS_TRY(r, corpus_buf(r, sizeof(int32_t), &s->dtotal));
	CORPUS_TRY(r, corpus_buf(r, r->n * sizeof(float), &s->dout));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	const int32_t n = (int32_t)r->n;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(s->tiles, 1, 1), CORPUS_DIM(THREADS, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->din), vgpu_arg_i32(n), vgpu_arg_f32(THRESHOLD),
						vgpu_arg_buf(s->dcounts))));
	CORPUS_TRY(r, corpus_launch(r, 1, CORPUS_DIM(1, 1, 1), CORPUS_DIM(THREADS, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dcounts), vgpu_arg_i32(s->tiles),
						vgpu_arg_buf(s->dtotal))));
	CORPUS_TRY(r, corpus_launch(r, 2, CORPUS_DIM(s->tiles, 1, 1), CORPUS_DIM(THREADS, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->din), vgpu_arg_i32(n), vgpu_arg_f32(THRESHOLD),
						vgpu_arg_buf(s->dcounts), vgpu_arg_buf(s->dout))));
	/* the caller needs the count to use the output */
	CORPUS_TRY(r, corpus_read(r, s->dtotal, &s->total, sizeof(s->total)));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	if (s->total > 0 && (size_t)s->total <= r->n)
		CORPUS_TRY(r, corpus_read(r, s->dout, s->out, s->total * sizeof(float)));
	return 0;
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;
	int32_t total = is_omp ? s->omp_total : s->total;

	if (total != s->ref_total)
		return corpus_msg(r, "%d values kept, want %d", total, s->ref_total);
	/* copies of the input: bit for bit */
	return corpus_cmp_u32(r, (const uint32_t *)(is_omp ? s->omp : s->out), (const uint32_t *)s->ref,
			      (size_t)total);
}

CORPUS_CASE(stream_compact) = {
	.name = "stream_compact",
	.shape = "stream compaction: count, scan, scatter; scan helper with barriers called in a loop",
	.src = corpus_src_stream_compact,
	.names = (const char *const[]){ "count_kept", "scan_counts", "scatter_kept", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 300007,
	.n_bench = 1 << 23,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
