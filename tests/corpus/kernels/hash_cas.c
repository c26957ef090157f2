// SPDX-License-Identifier: GPL-2.0
/* hash_cas: count n keys (n/8 distinct) in an open-addressing table, then look up n/2 keys */
#include <string.h>

#include "corpus.h"

#define EMPTY 0u

struct st {
	uint32_t distinct, capacity, nq;
	uint32_t *in, *query, *ref, *omp, *out;
	uint32_t *omp_keys, *omp_counts, *hist;
	vgpu_buffer *din, *dquery, *dkeys, *dcounts, *dfound;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	uint32_t seed = 17;

	if (!s)
		return -1;
	s->distinct = (uint32_t)(r->n / 8) + 1;
	s->nq = (uint32_t)(r->n / 2) + 1;
	/* a load factor below 1/2: the smallest power of two >= 2 * distinct */
	for (s->capacity = 64; s->capacity < 2 * s->distinct; s->capacity *= 2)
		;
	if (!(s->in = corpus_alloc(r, r->n * 4)) || !(s->query = corpus_alloc(r, s->nq * 4)) ||
	    !(s->ref = corpus_alloc(r, s->nq * 4)) || !(s->omp = corpus_alloc(r, s->nq * 4)) ||
	    !(s->out = corpus_alloc(r, s->nq * 4)) || !(s->omp_keys = corpus_alloc(r, s->capacity * 4)) ||
	    !(s->omp_counts = corpus_alloc(r, s->capacity * 4)) ||
	    !(s->hist = corpus_alloc(r, (2 * (size_t)s->distinct + 1) * 4)))
		return -1;
	/* keys 1..distinct, skewed (a few very common, like words); queries 1..2*distinct */
	for (size_t i = 0; i < r->n; i++) {
		uint32_t v = corpus_rand(&seed);

		s->in[i] = 1 + (v % 4 ? v % 64 % s->distinct : (v >> 8) % s->distinct);
	}
	for (uint32_t q = 0; q < s->nq; q++)
		s->query[q] = 1 + corpus_rand(&seed) % (2 * s->distinct);
	r->st = s;
	return 0;
}

/* the obvious answer: keys are small, count them in an array */
static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	memset(s->hist, 0, (2 * (size_t)s->distinct + 1) * 4);
	for (size_t i = 0; i < r->n; i++)
		s->hist[s->in[i]]++;
	for (uint32_t q = 0; q < s->nq; q++)
		s->ref[q] = s->hist[s->query[q]];
}

static inline uint32_t hash_slot(uint32_t key, uint32_t mask)
{
	key ^= key >> 16;
	key *= 0x85ebca6bu;
	key ^= key >> 13;
	key *= 0xc2b2ae35u;
	key ^= key >> 16;
	return key & mask;
}

/* the same table, the same CAS probing, with the compiler's atomics */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	uint32_t *keys = s->omp_keys, *counts = s->omp_counts, mask = s->capacity - 1;
	long n = (long)r->n, nq = s->nq, cap = s->capacity;

#pragma omp parallel
	{
#pragma omp for schedule(static)
		for (long i = 0; i < cap; i++) {
			keys[i] = EMPTY;
			counts[i] = 0;
		}
#pragma omp for schedule(static)
		for (long i = 0; i < n; i++) {
			uint32_t key = s->in[i], slot = hash_slot(key, mask);

			for (;;) {
				uint32_t prev = EMPTY;

				if (__atomic_compare_exchange_n(&keys[slot], &prev, key, 0, __ATOMIC_SEQ_CST,
								__ATOMIC_SEQ_CST) || prev == key) {
					__atomic_fetch_add(&counts[slot], 1, __ATOMIC_RELAXED);
					break;
				}
				slot = (slot + 1) & mask;
			}
		}
#pragma omp for schedule(static)
		for (long q = 0; q < nq; q++) {
			uint32_t key = s->query[q], slot = hash_slot(key, mask), k;

			while ((k = keys[slot]) != key && k != EMPTY)
				slot = (slot + 1) & mask;
			s->omp[q] = k == key ? counts[slot] : 0;
		}
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_buf_in(r, s->in, r->n * 4, &s->din));
	CORPUS_TRY(r, corpus_buf_in(r, s->query, s->nq * 4, &s->dquery));
	CORPUS_TRY(r, corpus_buf(r, s->capacity * 4, &s->dkeys));
	CORPUS_TRY(r, corpus_buf(r, s->capacity * 4, &s->dcounts));
	CORPUS_TRY(r, corpus_buf(r, s->nq * 4, &s->dfound));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(120, 1, 1), CORPUS_DIM(256, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dkeys), vgpu_arg_buf(s->dcounts),
						vgpu_arg_u32(s->capacity))));
	CORPUS_TRY(r, corpus_launch(r, 1, CORPUS_DIM(corpus_div_up(r->n, 256), 1, 1), CORPUS_DIM(256, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->din), vgpu_arg_i32((int32_t)r->n),
						vgpu_arg_buf(s->dkeys), vgpu_arg_buf(s->dcounts),
						vgpu_arg_u32(s->capacity - 1))));
	CORPUS_TRY(r, corpus_launch(r, 2, CORPUS_DIM(corpus_div_up(s->nq, 256), 1, 1), CORPUS_DIM(256, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dquery), vgpu_arg_i32((int32_t)s->nq),
						vgpu_arg_buf(s->dkeys), vgpu_arg_buf(s->dcounts),
						vgpu_arg_u32(s->capacity - 1), vgpu_arg_buf(s->dfound))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dfound, s->out, s->nq * 4);
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	return corpus_cmp_u32(r, is_omp ? s->omp : s->out, s->ref, s->nq);
}

CORPUS_CASE(hash_cas) = {
	.name = "hash_cas",
	.shape = "hash table: atomicCAS slot claims, linear probing, atomicAdd counts",
	.src = corpus_src_hash_cas,
	.names = (const char *const[]){ "table_clear", "table_count", "table_lookup", NULL },
	.n_test = 200003,
	.n_bench = 1 << 22,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
