// SPDX-License-Identifier: GPL-2.0
/* kmeans_const: nearest of 16 centroids for n points of 8 features, and how many changed */
#include <math.h>

#include "corpus.h"

#define NF 8
#define NC 16
#define THREADS 256

struct st {
	int n, blocks;
	float cent[NC * NF];
	float *feat;				/* feature-major: feat[f * n + p] */
	int32_t *old, *ref, *omp, *out, *partial;
	long ref_changed, omp_changed, out_changed;
	vgpu_buffer *dfeat, *dold, *dmember, *dpart;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes = r->n * sizeof(int32_t);
	uint32_t seed = 5;

	if (!s)
		return -1;
	s->n = (int)r->n;
	s->blocks = (int)corpus_div_up(r->n, THREADS);
	if (!(s->feat = corpus_alloc(r, NF * r->n * sizeof(float))) || !(s->old = corpus_alloc(r, bytes)) ||
	    !(s->ref = corpus_alloc(r, bytes)) || !(s->omp = corpus_alloc(r, bytes)) ||
	    !(s->out = corpus_alloc(r, bytes)) || !(s->partial = corpus_alloc(r, s->blocks * sizeof(int32_t))))
		return -1;
	corpus_fill_f32(s->cent, NC * NF, 7, 0.0f, 10.0f);
	/* points scattered around the centroids, so that the clusters mean something */
	for (int p = 0; p < s->n; p++) {
		int c = (int)(corpus_rand(&seed) % NC);

		for (int f = 0; f < NF; f++)
			s->feat[(size_t)f * s->n + p] = s->cent[c * NF + f] +
				((float)(corpus_rand(&seed) % 2001) - 1000.0f) / 400.0f;
		s->old[p] = (int32_t)(corpus_rand(&seed) % NC);	/* the previous iteration's */
	}
	r->st = s;
	return 0;
}

static inline int nearest(const struct st *s, int p)
{
	float pt[NF], best_d = 3.402823466e38f;
	int best = 0;

	for (int f = 0; f < NF; f++)
		pt[f] = s->feat[(size_t)f * s->n + p];
	for (int c = 0; c < NC; c++) {
		float d = 0.0f;

		for (int f = 0; f < NF; f++) {
			float diff = pt[f] - s->cent[c * NF + f];

			d += diff * diff;
		}
		if (d < best_d) {
			best_d = d;
			best = c;
		}
	}
	return best;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	long changed = 0;

	for (int p = 0; p < s->n; p++) {
		s->ref[p] = nearest(s, p);
		changed += s->ref[p] != s->old[p];
	}
	s->ref_changed = changed;
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	long changed = 0;

#pragma omp parallel for schedule(static) reduction(+ : changed)
	for (int p = 0; p < s->n; p++) {
		s->omp[p] = nearest(s, p);
		changed += s->omp[p] != s->old[p];
	}
	s->omp_changed = changed;
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = r->n * sizeof(int32_t);
	int ret;

	CORPUS_TRY(r, corpus_buf_in(r, s->feat, NF * r->n * sizeof(float), &s->dfeat));
	CORPUS_TRY(r, corpus_buf_in(r, s->old, bytes, &s->dold));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->dmember));
	CORPUS_TRY(r, corpus_buf(r, s->blocks * sizeof(int32_t), &s->dpart));
	/* cudaMemcpyToSymbol, once per k-means iteration in the real code */
	ret = vgpu_module_global_write(r->mod, "c_centroids", 0, s->cent, sizeof(s->cent));
	return ret ? corpus_fail(r, ret, "vgpu_module_global_write(c_centroids)") : 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	long changed = 0;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(s->blocks, 1, 1), CORPUS_DIM(THREADS, 1, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dfeat), vgpu_arg_i32(s->n), vgpu_arg_buf(s->dold),
						vgpu_arg_buf(s->dmember), vgpu_arg_buf(s->dpart))));
	/* the host reads the per-block counts to test convergence */
	CORPUS_TRY(r, corpus_read(r, s->dpart, s->partial, s->blocks * sizeof(int32_t)));
	for (int b = 0; b < s->blocks; b++)
		changed += s->partial[b];
	s->out_changed = changed;
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dmember, s->out, r->n * sizeof(int32_t));
}

static double dist2(const struct st *s, int p, int c)
{
	double d = 0.0;

	for (int f = 0; f < NF; f++) {
		double diff = (double)s->feat[(size_t)f * s->n + p] - s->cent[c * NF + f];

		d += diff * diff;
	}
	return d;
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;
	const int32_t *got = is_omp ? s->omp : s->out;
	long changed = is_omp ? s->omp_changed : s->out_changed, want_changed = s->ref_changed;

	/*
	 * FMA contraction may round a distance differently: another cluster is
	 * right only when it is as near within float rounding (a near tie);
	 * the change count then moves with it
	 */
	for (int p = 0; p < s->n; p++) {
		if (got[p] == s->ref[p])
			continue;
		if (got[p] < 0 || got[p] >= NC)
			return corpus_msg(r, "point %d: cluster %d", p, got[p]);
		double dg = dist2(s, p, got[p]), dw = dist2(s, p, s->ref[p]);

		if (fabs(dg - dw) > 1e-5 * dw + 1e-6)
			return corpus_msg(r, "point %d: cluster %d at %g, want %d at %g", p, got[p], dg,
					  s->ref[p], dw);
		want_changed += (got[p] != s->old[p]) - (s->ref[p] != s->old[p]);
	}
	if (changed != want_changed)
		return corpus_msg(r, "%ld points changed cluster, want %ld", changed, want_changed);
	return NULL;
}

CORPUS_CASE(kmeans_const) = {
	.name = "kmeans_const",
	.shape = "k-means assignment: __constant__ centroids, feature-major points, block count",
	.src = corpus_src_kmeans_const,
	.names = (const char *const[]){ "kmeans_assign", NULL },
	.flags = CORPUS_BARRIER_LOOP,
	.n_test = 20011,
	.n_bench = 1 << 21,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
