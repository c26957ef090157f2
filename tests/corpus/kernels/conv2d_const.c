// SPDX-License-Identifier: GPL-2.0
/* conv2d_const: 5 x 5 convolution of an n x (n - 7) image, clamped borders */
#include "corpus.h"

#define R 2
#define K (2 * R + 1)

struct st {
	int w, h, pitch;
	float filter[K * K];
	float *img, *ref, *omp, *out;
	vgpu_buffer *dimg, *dout;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes;

	if (!s)
		return -1;
	s->w = (int)r->n;
	s->h = (int)r->n - 7;
	s->pitch = (s->w + 31) & ~31;	/* rows padded to 128 bytes, as cudaMallocPitch would */
	bytes = (size_t)s->pitch * s->h * sizeof(float);
	if (!(s->img = corpus_alloc(r, bytes)) || !(s->ref = corpus_alloc(r, bytes)) ||
	    !(s->omp = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)))
		return -1;
	corpus_fill_f32(s->filter, K * K, 91, -1.0f, 1.0f);
	corpus_fill_f32(s->img, (size_t)s->pitch * s->h, 92, 0.0f, 1.0f);
	r->st = s;
	return 0;
}

static inline int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

static inline void conv_row(const struct st *s, float *dst, int y)
{
	for (int x = 0; x < s->w; x++) {
		float acc = 0.0f;

		for (int dy = 0; dy < K; dy++)
			for (int dx = 0; dx < K; dx++)
				acc += s->filter[dy * K + dx] *
				       s->img[clampi(y + dy - R, 0, s->h - 1) * s->pitch + clampi(x + dx - R, 0, s->w - 1)];
		dst[y * s->pitch + x] = acc;
	}
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (int y = 0; y < s->h; y++)
		conv_row(s, s->ref, y);
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;

#pragma omp parallel for schedule(static)
	for (int y = 0; y < s->h; y++)
		conv_row(s, s->omp, y);
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = (size_t)s->pitch * s->h * sizeof(float);
	int ret;

	CORPUS_TRY(r, corpus_buf_in(r, s->img, bytes, &s->dimg));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->dout));
	ret = vgpu_module_global_write(r->mod, "c_filter", 0, s->filter, sizeof(s->filter));
	return ret ? corpus_fail(r, ret, "vgpu_module_global_write(c_filter)") : 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(s->w, 16), corpus_div_up(s->h, 16), 1),
				    CORPUS_DIM(16, 16, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dimg), vgpu_arg_buf(s->dout), vgpu_arg_i32(s->w),
						vgpu_arg_i32(s->h), vgpu_arg_i32(s->pitch))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dout, s->out, (size_t)s->pitch * s->h * sizeof(float));
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;
	const float *got = is_omp ? s->omp : s->out;

	/* 25 products of |w| <= 1 and pixels in [0, 1], FMA contraction: 1e-5 absolute */
	for (int y = 0; y < s->h; y++) {
		const char *msg = corpus_cmp_f32(r, got + (size_t)y * s->pitch, s->ref + (size_t)y * s->pitch,
						 s->w, 1e-5, 1e-5);
		if (msg)
			return corpus_msg(r, "row %d: %s", y, msg);
	}
	return NULL;
}

CORPUS_CASE(conv2d_const) = {
	.name = "conv2d_const",
	.shape = "2-D convolution: __constant__ 5x5 filter, apron tile in shared memory, pitched rows",
	.src = corpus_src_conv2d_const,
	.names = (const char *const[]){ "conv2d", NULL },
	.n_test = 150,
	.n_bench = 2048,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
