// SPDX-License-Identifier: GPL-2.0
/* scan_blelloch: exclusive prefix sum of n ints in 0..9 */
#include <omp.h>

#include "corpus.h"

#define ELEMS 512

struct st {
	int32_t *in, *ref, *omp, *out;
	vgpu_buffer *din, *dout, *dsums;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * sizeof(int32_t);

	if (!s || !(s->in = corpus_alloc(r, bytes)) || !(s->ref = corpus_alloc(r, bytes)) ||
	    !(s->omp = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)))
		return -1;
	corpus_fill_u32((uint32_t *)s->in, r->n, 31, 10);
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	int32_t acc = 0;

	for (size_t i = 0; i < r->n; i++) {
		s->ref[i] = acc;
		acc += s->in[i];
	}
}

/* the textbook parallel scan: each thread scans its chunk, the chunk totals
 * are scanned, each thread adds its offset */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	const int32_t *in = s->in;
	int32_t *out = s->omp, offs[257];
	long n = (long)r->n;

#pragma omp parallel
	{
		int nt = omp_get_num_threads(), t = omp_get_thread_num();
		long lo = n * t / nt, hi = n * (t + 1) / nt;
		int32_t acc = 0;

		for (long i = lo; i < hi; i++) {
			out[i] = acc;
			acc += in[i];
		}
		offs[t + 1] = acc;
#pragma omp barrier
#pragma omp single
		{
			offs[0] = 0;
			for (int k = 1; k <= nt; k++)
				offs[k] += offs[k - 1];
		}
		for (long i = lo; i < hi; i++)
			out[i] += offs[t];
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->in, r->n * sizeof(int32_t), &s->din));
	CORPUS_TRY(r, corpus_buf(r, r->n * sizeof(int32_t), &s->dout));
	CORPUS_TRY(r, corpus_buf(r, corpus_div_up(r->n, ELEMS) * sizeof(int32_t), &s->dsums));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	uint32_t blocks = corpus_div_up(r->n, ELEMS);
	int32_t n = (int32_t)r->n;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(blocks, 1, 1), CORPUS_DIM(256, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->din), vgpu_arg_buf(s->dout),
						vgpu_arg_buf(s->dsums), vgpu_arg_i32(n))));
	CORPUS_TRY(r, corpus_launch(r, 1, CORPUS_DIM(1, 1, 1), CORPUS_DIM(256, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dsums), vgpu_arg_i32((int32_t)blocks))));
	CORPUS_TRY(r, corpus_launch(r, 2, CORPUS_DIM(blocks, 1, 1), CORPUS_DIM(256, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dout), vgpu_arg_buf(s->dsums),
						vgpu_arg_i32(n))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dout, s->out, r->n * sizeof(int32_t));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	return corpus_cmp_i32(r, is_omp ? s->omp : s->out, s->ref, r->n);
}

CORPUS_CASE(scan_blelloch) = {
	.name = "scan_blelloch",
	.shape = "scan: work-efficient, barrier helper, carry loop",
	.src = corpus_src_scan_blelloch,
	.names = (const char *const[]){ "scan_blocks", "scan_sums", "add_offsets", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 300007,
	.n_bench = 1 << 24,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
