// SPDX-License-Identifier: GPL-2.0
/* sobel_uchar4: Sobel edge magnitude of an n x (n + 5) RGBA8 image */
#include <stdlib.h>

#include "corpus.h"

struct st {
	int w, h;
	uint8_t *img, *ref, *omp, *out;		/* RGBA, 4 bytes a pixel */
	vgpu_buffer *dimg, *dout;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	size_t bytes;
	uint32_t seed = 83;

	if (!s)
		return -1;
	s->w = (int)r->n;
	s->h = (int)r->n + 5;
	bytes = (size_t)s->w * s->h * 4;
	if (!(s->img = corpus_alloc(r, bytes)) || !(s->ref = corpus_alloc(r, bytes)) ||
	    !(s->omp = corpus_alloc(r, bytes)) || !(s->out = corpus_alloc(r, bytes)))
		return -1;
	/* soft shapes plus noise: edges of every strength */
	for (int y = 0; y < s->h; y++)
		for (int x = 0; x < s->w; x++) {
			uint8_t *p = s->img + ((size_t)y * s->w + x) * 4;
			int base = ((x / 24 + y / 16) % 3) * 80;

			for (int c = 0; c < 3; c++)
				p[c] = (uint8_t)(base + (int)(corpus_rand(&seed) % 48) + c * 10);
			p[3] = 255;
		}
	r->st = s;
	return 0;
}

static inline int luma_at(const struct st *s, int x, int y)
{
	const uint8_t *p;

	x = x < 0 ? 0 : (x >= s->w ? s->w - 1 : x);
	y = y < 0 ? 0 : (y >= s->h ? s->h - 1 : y);
	p = s->img + ((size_t)y * s->w + x) * 4;
	return (77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8;
}

static inline void sobel_row(const struct st *s, uint8_t *dst, int y)
{
	for (int x = 0; x < s->w; x++) {
		int gx = (luma_at(s, x + 1, y - 1) + 2 * luma_at(s, x + 1, y) + luma_at(s, x + 1, y + 1)) -
			 (luma_at(s, x - 1, y - 1) + 2 * luma_at(s, x - 1, y) + luma_at(s, x - 1, y + 1));
		int gy = (luma_at(s, x - 1, y + 1) + 2 * luma_at(s, x, y + 1) + luma_at(s, x + 1, y + 1)) -
			 (luma_at(s, x - 1, y - 1) + 2 * luma_at(s, x, y - 1) + luma_at(s, x + 1, y - 1));
		int m = abs(gx) + abs(gy);
		uint8_t *p = dst + ((size_t)y * s->w + x) * 4;

		p[0] = p[1] = p[2] = (uint8_t)(m < 255 ? m : 255);
		p[3] = 255;
	}
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;

	for (int y = 0; y < s->h; y++)
		sobel_row(s, s->ref, y);
}

static void omp(struct corpus_run *r)
{
	struct st *s = r->st;

#pragma omp parallel for schedule(static)
	for (int y = 0; y < s->h; y++)
		sobel_row(s, s->omp, y);
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t bytes = (size_t)s->w * s->h * 4;

	CORPUS_TRY(r, corpus_buf_in(r, s->img, bytes, &s->dimg));
	CORPUS_TRY(r, corpus_buf(r, bytes, &s->dout));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;

	CORPUS_TRY(r, corpus_launch(r, 0, CORPUS_DIM(corpus_div_up(s->w, 16), corpus_div_up(s->h, 16), 1),
				    CORPUS_DIM(16, 16, 1), 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dimg), vgpu_arg_buf(s->dout), vgpu_arg_i32(s->w),
						vgpu_arg_i32(s->h))));
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dout, s->out, (size_t)s->w * s->h * 4);
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	/* integer arithmetic: exact, compared a pixel (4 bytes) at a time */
	return corpus_cmp_u32(r, (const uint32_t *)(is_omp ? s->omp : s->out), (const uint32_t *)s->ref,
			      (size_t)s->w * s->h);
}

CORPUS_CASE(sobel_uchar4) = {
	.name = "sobel_uchar4",
	.shape = "image filter: uchar4 RGBA pixels, luma tile in shared memory, make_uchar4",
	.src = corpus_src_sobel_uchar4,
	.names = (const char *const[]){ "sobel_rgba", NULL },
	.n_test = 131,
	.n_bench = 2048,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
