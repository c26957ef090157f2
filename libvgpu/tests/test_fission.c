// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Barrier fission of the CPU backend: kernels whose barriers are in
 * structured positions run as loops over threads (split path), the others
 * on fibers (fallback path). Every kernel runs on both paths (the same source
 * compiled with -D__VGPU_NO_FISSION gives the fibers) and the outputs must
 * be identical; the path taken is read from the module image (the symbol
 * __vgpu_split_<name> of the CPU image), and must be the expected one.
 */
#define _GNU_SOURCE
#include <string.h>

#include "common.h"

static const char src[] =
"#define STEPS 4\n"
"#define TID threadIdx.x\n"
"/* 2-D block, locals live across barriers (promoted and recomputed), nested uniform loops */\n"
"extern \"C\" __global__ void live2d(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int sh[4][8];\n"
"	int tx = threadIdx.x, ty = threadIdx.y;\n"
"	int gid = (blockIdx.x * blockDim.y + ty) * blockDim.x + tx;\n"
"	int acc = in[gid % n];\n"
"	int cnt = 0;\n"
"	__syncthreads();\n"
"	for (int i = 0; i < 3; i++) {\n"
"		for (int j = 0; j < n % 3 + 1; j++) {\n"
"			sh[ty][tx] = acc + j;\n"
"			__syncthreads();\n"
"			int nb = sh[(ty + 1) % blockDim.y][(tx + 1) % blockDim.x];\n"
"			acc = acc * 3 + nb + i;\n"
"			cnt++;\n"
"			__syncthreads();\n"
"		}\n"
"	}\n"
"	out[gid] = acc + cnt;\n"
"}\n"
"\n"
"/* a barrier inside a thread-dependent if: fibers */\n"
"extern \"C\" __global__ void ifbar(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[64];\n"
"	int t = threadIdx.x;\n"
"	if (t < (int)blockDim.x) {\n"
"		s[t] = in[t % n] * 2;\n"
"		__syncthreads();\n"
"	}\n"
"	out[blockIdx.x * blockDim.x + t] = s[(t + 1) % blockDim.x];\n"
"}\n"
"\n"
"/* return after the last barrier: split */\n"
"extern \"C\" __global__ void tailret(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[128];\n"
"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
"	s[threadIdx.x] = i < n ? in[i] : 0;\n"
"	__syncthreads();\n"
"	if (i >= n - 5)\n"
"		return;\n"
"	for (int k = 0; k < 4; k++) {\n"
"		if (k == 2) break;\n"
"		out[i] += s[threadIdx.x] + s[(threadIdx.x + k + 1) % blockDim.x];\n"
"	}\n"
"}\n"
"\n"
"/* return before a barrier: fibers */\n"
"extern \"C\" __global__ void headret(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[128];\n"
"	if (n < 0)\n"
"		return;\n"
"	s[threadIdx.x] = in[threadIdx.x % n];\n"
"	__syncthreads();\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] = s[blockDim.x - 1 - threadIdx.x];\n"
"}\n"
"\n"
"/* a barrier in a loop with a thread-dependent condition (through a macro): fibers */\n"
"extern \"C\" __global__ void tdloop(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[64];\n"
"	int v = in[threadIdx.x % n];\n"
"	for (int k = TID * 0; k < 3; k++) {\n"
"		s[threadIdx.x] = v;\n"
"		__syncthreads();\n"
"		v += s[(threadIdx.x + 1) % blockDim.x];\n"
"		__syncthreads();\n"
"	}\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] = v;\n"
"}\n"
"\n"
"/* a parameter modified: fibers */\n"
"extern \"C\" __global__ void parmod(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[64];\n"
"	out += blockIdx.x * blockDim.x;\n"
"	s[threadIdx.x] = in[threadIdx.x % n] + 1;\n"
"	__syncthreads();\n"
"	out[threadIdx.x] = s[(threadIdx.x + 5) % blockDim.x];\n"
"}\n"
"\n"
"/* 3-D block, dynamic shared memory, float math, macro bound, pragma, comments */\n"
"extern \"C\" __global__ void blk3(const int *in, int *out, int n)\n"
"{\n"
"	extern __shared__ float dsm[];\n"
"	int t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);\n"
"	int nt = blockDim.x * blockDim.y * blockDim.z; // __syncthreads() in a comment\n"
"	float x = (float)in[(blockIdx.x * nt + t) % n]; /* return; */\n"
"#pragma unroll\n"
"	for (int r = 0; r < STEPS; ++r) {\n"
"		dsm[t] = x;\n"
"		__syncthreads();\n"
"		x = 0.5f * (x + dsm[(t + 1) % nt]) + 0.25f;\n"
"		__syncthreads();\n"
"	}\n"
"	out[blockIdx.x * nt + t] = (int)(x * 64.f);\n"
"}\n"
"\n"
"/* a promoted local shadowed in a nested block of a later region; a while loop */\n"
"extern \"C\" __global__ void shadow(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[64];\n"
"	int v = in[threadIdx.x % n];\n"
"	v += 7;\n"
"	s[threadIdx.x] = v;\n"
"	__syncthreads();\n"
"	while (n < 0) {\n"
"		__syncthreads();\n"
"	}\n"
"	{\n"
"		int v = s[(threadIdx.x + 2) % blockDim.x];\n"
"		out[blockIdx.x * blockDim.x + threadIdx.x] = v;\n"
"	}\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] += v * 1000;\n"
"}\n"
"\n"
"/* the benchmark's reduction: grid-stride partial sums, then a tree */\n"
"extern \"C\" __global__ void block_sum(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[256];\n"
"	int acc = 0;\n"
"	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)\n"
"		acc += in[i];\n"
"	s[threadIdx.x] = acc;\n"
"	__syncthreads();\n"
"	for (unsigned int k = blockDim.x / 2; k > 0; k >>= 1) {\n"
"		if (threadIdx.x < k)\n"
"			s[threadIdx.x] += s[threadIdx.x + k];\n"
"		__syncthreads();\n"
"	}\n"
"	if (threadIdx.x == 0)\n"
"		out[blockIdx.x] = s[0];\n"
"}\n"
"\n"
"/* a helper-free kernel with a local used across a barrier through its address */\n"
"extern \"C\" __global__ void addr(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[64];\n"
"	int v = in[threadIdx.x % n];\n"
"	int *p = &v;\n"
"	s[threadIdx.x] = v;\n"
"	__syncthreads();\n"
"	*p += s[(threadIdx.x + 1) % blockDim.x];\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] = v;\n"
"}\n"
"\n"
"/* a uniform loop variable named like a local of the body */\n"
"extern \"C\" __global__ void loopshadow(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[64];\n"
"	int k = threadIdx.x * 2;\n"
"	int acc = in[threadIdx.x % n];\n"
"	for (int k = 0; k < 3; k++) {\n"
"		s[threadIdx.x] = acc + k;\n"
"		__syncthreads();\n"
"		acc += s[(threadIdx.x + k + 1) % blockDim.x];\n"
"		__syncthreads();\n"
"	}\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] = acc + k;\n"
"}\n"
"\n"
"/* control flow inside regions: switch, do-while, continue, nested blocks, a\n"
"   pragma in a nested loop, return from a nested loop after the last barrier */\n"
"extern \"C\" __global__ void flow(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[96];\n"
"	int t = threadIdx.x, v = in[t % n], w = 0;\n"
"	switch (v & 3) {\n"
"	case 0: w = 1; break;\n"
"	case 1: w = v; /* fall through */\n"
"	default: w += 2;\n"
"	}\n"
"	do { w = w * 2 + 1; } while (w < 100);\n"
"	s[t] = w;\n"
"	__syncthreads();\n"
"	{\n"
"		int q = 0;\n"
"#pragma unroll\n"
"		for (int k = 0; k < 8; k++) {\n"
"			if (k == t % 8) continue;\n"
"			q += s[(t + k) % blockDim.x];\n"
"		}\n"
"		w ^= q;\n"
"	}\n"
"	__syncthreads();\n"
"	s[t] = w;\n"
"	__syncthreads();\n"
"	for (int k = 0; k < 4; k++) {\n"
"		if (t % 5 == k)\n"
"			return;\n"
"		out[blockIdx.x * blockDim.x + t] += s[(t + k + 1) % blockDim.x] - k;\n"
"	}\n"
"}\n"
"\n"
"/* register blocking: local arrays live across barriers (promoted) */\n"
"extern \"C\" __global__ void regblk(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[32][4];\n"
"	int acc[4] = { 1, 2 }, hist[2][3];\n"
"	char tag[4] = \"ab\";\n"
"	for (int j = 0; j < 3; j++)\n"
"		hist[1][j] = j;\n"
"	for (int r = 0; r < 3; r++) {\n"
"		for (int q = 0; q < 4; q++)\n"
"			s[threadIdx.x][q] = in[(threadIdx.x * 4 + q + r) % n];\n"
"		__syncthreads();\n"
"		for (int q = 0; q < 4; q++)\n"
"			acc[q] += s[(threadIdx.x + 1) % blockDim.x][q] * (q + 1) + hist[1][r] + tag[1];\n"
"		__syncthreads();\n"
"	}\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] = acc[0] - acc[1] + 3 * acc[2] + acc[3];\n"
"}\n"
"\n"
"/* a macro that assigns: fibers */\n"
"#define BUMP(v) ((v) <<= 1)\n"
"extern \"C\" __global__ void macroset(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[64];\n"
"	int v = threadIdx.x + n;\n"
"	BUMP(v);\n"
"	s[threadIdx.x] = in[threadIdx.x % n];\n"
"	__syncthreads();\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] = s[(threadIdx.x + 1) % blockDim.x] + v;\n"
"}\n"
"\n"
"/* a promoted pointer to const */\n"
"extern \"C\" __global__ void cptr(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[64];\n"
"	const int *p = in + (threadIdx.x % n);\n"
"	p += 1;\n"
"	s[threadIdx.x] = *p;\n"
"	__syncthreads();\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] = s[(threadIdx.x + 1) % blockDim.x] + p[1];\n"
"}\n"
"\n"
"/* block-contiguous chunks: block-uniform locals in a thread-strided loop */\n"
"extern \"C\" __global__ void chunk(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[256];\n"
"	int per = (n + gridDim.x - 1) / gridDim.x;\n"
"	int begin = blockIdx.x * per, end = min(n, begin + per);\n"
"	int acc = 0;\n"
"	for (int i = begin + threadIdx.x; i < end; i += blockDim.x)\n"
"		acc += in[i];\n"
"	s[threadIdx.x] = acc;\n"
"	__syncthreads();\n"
"	for (int k = blockDim.x / 2; k > 0; k /= 2) {\n"
"		if ((int)threadIdx.x < k)\n"
"			s[threadIdx.x] += s[threadIdx.x + k];\n"
"		__syncthreads();\n"
"	}\n"
"	if (threadIdx.x == 0)\n"
"		out[blockIdx.x] = s[0];\n"
"}\n"
"\n"
"/* thread-strided loops: 2-D block, unsigned index, a start below 0 at run time,\n"
"   a stride smaller than the block, a break (not interchanged); a uniform loop\n"
"   bounded by a block-uniform local */\n"
"extern \"C\" __global__ void gsmix(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[16][4];\n"
"	int a = 0, b = 0, c = 0, d = 0;\n"
"	int rounds = n % 3 + 2;\n"
"	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)\n"
"		a += in[i] * (threadIdx.y + 1);\n"
"	for (unsigned i = blockIdx.x * 7u + threadIdx.x; i < (unsigned)n; i += 64u)\n"
"		b ^= in[i] + (int)i;\n"
"	for (int i = (int)blockIdx.x - 40 + threadIdx.x; i < n; i += 5) {\n"
"		if (i >= 0)\n"
"			c += in[i] & 7;\n"
"	}\n"
"	for (int i = threadIdx.x; i < n; i += blockDim.x) {\n"
"		if (in[i] > 990)\n"
"			break;\n"
"		d++;\n"
"	}\n"
"	for (int r = 0; r < rounds; r++) {\n"
"		s[threadIdx.x][threadIdx.y] = a + b + c + d + r;\n"
"		__syncthreads();\n"
"		a += s[(threadIdx.x + 1) % blockDim.x][(threadIdx.y + 1) % blockDim.y];\n"
"		__syncthreads();\n"
"	}\n"
"	out[(blockIdx.x * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x] = a * 3 + b + c + d;\n"
"}\n";

struct kcase {
	const char *name;
	int split;			/* expected path */
	unsigned grid, bx, by, bz, shm;
	int n;				/* the int argument */
	int ref;			/* 1: one partial sum per block, check against C */
};

static const struct kcase cases[] = {
	{ "live2d", 1, 3, 8, 4, 1, 0, 40, 0 },
	{ "ifbar", 0, 2, 64, 1, 1, 0, 50, 0 },
	{ "tailret", 1, 3, 128, 1, 1, 0, 300, 0 },
	{ "headret", 0, 2, 128, 1, 1, 0, 77, 0 },
	{ "tdloop", 0, 2, 64, 1, 1, 0, 33, 0 },
	{ "parmod", 0, 2, 64, 1, 1, 0, 33, 0 },
	{ "blk3", 1, 2, 4, 3, 2, 24 * 4, 100, 0 },
	{ "shadow", 1, 2, 64, 1, 1, 0, 20, 0 },
	{ "block_sum", 1, 8, 256, 1, 1, 0, 100003, 1 },
	{ "addr", 1, 2, 64, 1, 1, 0, 64, 0 },
	{ "cptr", 1, 2, 64, 1, 1, 0, 70, 0 },
	{ "regblk", 1, 2, 32, 1, 1, 0, 70, 0 },
	{ "flow", 1, 2, 96, 1, 1, 0, 70, 0 },
	{ "loopshadow", 0, 2, 64, 1, 1, 0, 70, 0 },
	{ "macroset", 0, 2, 64, 1, 1, 0, 70, 0 },
	{ "chunk", 1, 7, 256, 1, 1, 0, 100003, 1 },
	{ "gsmix", 1, 3, 16, 4, 1, 0, 1001, 0 },
};

static vgpu_session *s;

static int is_split(const void *img, long len, const char *name)
{
	char sym[160];

	snprintf(sym, sizeof(sym), "__vgpu_split_%s", name);
	return memmem(img, (size_t)len, sym, strlen(sym) + 1) != NULL;
}

static int run(vgpu_module *m, const struct kcase *c, const int *in, int *out, size_t nout)
{
	vgpu_kernel *k;
	vgpu_buffer *I = NULL, *O = NULL;
	struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = { c->grid, 1, 1 },
				       .block = { c->bx, c->by, c->bz }, .shared_bytes = c->shm };
	int ret = vgpu_kernel_get(m, c->name, &k);

	if (!ret)
		ret = vgpu_buffer_alloc(s, (size_t)c->n * 4, &I);
	if (!ret)
		ret = vgpu_buffer_alloc(s, nout * 4, &O);
	if (!ret)
		ret = vgpu_buffer_write(I, 0, in, (size_t)c->n * 4);
	memset(out, 0, nout * 4);
	if (!ret)
		ret = vgpu_buffer_write(O, 0, out, nout * 4);
	if (!ret) {
		struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(c->n) };

		ret = vgpu_launch(k, &cfg, a, 3);
	}
	if (!ret)
		ret = vgpu_buffer_read(O, 0, out, nout * 4);
	if (ret)
		tap_diag("%s: %s", c->name, vgpu_last_error(s));
	if (I)
		vgpu_buffer_free(I);
	if (O)
		vgpu_buffer_free(O);
	return ret;
}

int main(void)
{
	struct vgpu_session_opts o = { .size = sizeof(o), .backend = VGPU_BACKEND_CPU,
				       .flags = VGPU_SESSION_NO_DEVICE_LEDGER | VGPU_SESSION_NO_CACHE,
				       .guest = "fission" };
	const char *nofis[] = { "-D__VGPU_NO_FISSION" };
	struct vgpu_compile_opts co = { .size = sizeof(co), .name = "fission.cu" };
	struct vgpu_compile_opts cf = { .size = sizeof(cf), .name = "fission.cu",
					.options = nofis, .nr_options = 1 };
	vgpu_module *ms = NULL, *mf = NULL;
	char *img = NULL, *imgf = NULL;
	long len = 0, lenf = 0;
	int ret, fission = !getenv("VGPU_CPU_FISSION") || strcmp(getenv("VGPU_CPU_FISSION"), "0");
	/* the clang path (the default where installed) cuts every barrier kernel,
	 * no fibers: its images list their kernels in __vgpu_kernel_table */
	int clang = 0;

	ret = vgpu_session_open(&s, &o);
	tap_ok(ret == 0, "fission: session open on the CPU backend");
	if (ret)
		return tap_done();
	ret = vgpu_module_compile(s, src, 0, &co, &ms);
	tap_ok(ret == 0, "fission: compile (split where possible)");
	if (ret)
		tap_diag("%s", vgpu_last_error(s));
	ret = ret ? ret : vgpu_module_compile(s, src, 0, &cf, &mf);
	tap_ok(ret == 0, "fission: compile with -D__VGPU_NO_FISSION (fibers)");
	if (ret) {
		tap_diag("%s", vgpu_last_error(s));
		vgpu_session_close(s);
		return tap_done();
	}
	len = vgpu_module_image(ms, NULL, 0);
	lenf = vgpu_module_image(mf, NULL, 0);
	img = len > 0 ? malloc((size_t)len) : NULL;
	imgf = lenf > 0 ? malloc((size_t)lenf) : NULL;
	if (!img || !imgf || vgpu_module_image(ms, img, (size_t)len) != len ||
	    vgpu_module_image(mf, imgf, (size_t)lenf) != lenf) {
		tap_ok(0, "fission: module images");
		vgpu_session_close(s);
		return tap_done();
	}
	clang = memmem(img, (size_t)len, "__vgpu_kernel_table", 20) != NULL;
	tap_diag("CPU compiler: the %s path", clang ? "clang" : "g++");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct kcase *c = &cases[i];
		size_t nout = (size_t)c->grid * c->bx * c->by * c->bz;
		int *in = malloc((size_t)c->n * 4), *a = malloc(nout * 4), *b = malloc(nout * 4);
		int want = clang || (c->split && fission), nz = 0;

		for (int k = 0; k < c->n; k++)
			in[k] = (int)(t_rand() % 2001) - 1000;
		tap_ok(is_split(img, len, c->name) == want && is_split(imgf, lenf, c->name) == clang,
		       "fission: %s runs %s", c->name, clang ? "as loops over threads (clang path)" :
		       want ? "split into loops over threads" : "on fibers");
		ret = run(ms, c, in, a, nout) || run(mf, c, in, b, nout);
		if (getenv("FX_DEBUG"))
			tap_diag("%s: %d %d %d / %d %d %d", c->name, a[0], a[1], a[2], b[0], b[1], b[2]);
		for (size_t k = 0; k < nout; k++)
			nz += a[k] != 0;
		tap_ok(!ret && !memcmp(a, b, nout * 4) && nz > 0,
		       "fission: %s: same output on both paths (grid %u, block %ux%ux%u)", c->name,
		       c->grid, c->bx, c->by, c->bz);
		if (c->ref) {
			long long want_sum = 0, got = 0;

			for (int k = 0; k < c->n; k++)
				want_sum += in[k];
			for (unsigned g = 0; g < c->grid; g++)
				got += a[g];
			tap_ok(!ret && got == want_sum, "fission: %s equals the C sum (%lld vs %lld)",
			       c->name, got, want_sum);
		}
		free(in);
		free(a);
		free(b);
	}
	free(img);
	free(imgf);
	vgpu_module_unload(ms);
	vgpu_module_unload(mf);
	{	/* too much per-thread state for the stack: the compiler refuses the split
		 * kernel (static_assert), the module is compiled again for fibers */
		static const char big[] =
			"extern \"C\" __global__ void bigstate(int *o)\n"
			"{\n"
			"	__shared__ int s[64];\n"
			"	int a[300];\n"
			"	for (int i = 0; i < 300; i++) a[i] = i * (int)threadIdx.x;\n"
			"	s[threadIdx.x] = a[299];\n"
			"	__syncthreads();\n"
			"	o[threadIdx.x] = s[(threadIdx.x + 1) % blockDim.x] + a[7];\n"
			"}\n";
		vgpu_module *mb = NULL;
		vgpu_kernel *kb = NULL;
		vgpu_buffer *B = NULL;
		struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = { 1, 1, 1 }, .block = { 64, 1, 1 } };
		int o[64] = { 0 }, good = 1;
		long il;
		char *im = NULL;

		ret = vgpu_module_compile(s, big, 0, NULL, &mb);
		il = ret ? -1 : vgpu_module_image(mb, NULL, 0);
		im = il > 0 ? malloc((size_t)il) : NULL;
		if (im && vgpu_module_image(mb, im, (size_t)il) == il && !vgpu_kernel_get(mb, "bigstate", &kb) &&
		    !vgpu_buffer_alloc(s, sizeof(o), &B)) {
			struct vgpu_arg a[] = { vgpu_arg_buf(B) };

			if (vgpu_launch(kb, &cfg, a, 1) || vgpu_buffer_read(B, 0, o, sizeof(o)))
				good = 0;
			for (int t = 0; t < 64; t++)
				good &= o[t] == 299 * ((t + 1) % 64) + 7 * t;
		} else {
			good = 0;
		}
		tap_ok(good && is_split(im, il, "bigstate") == clang,
		       "fission: %s", clang ? "1.2 KiB of per-thread state across a barrier (clang path: loops)" :
		       "a split kernel the compiler refuses (too much state) runs on fibers, right");
		free(im);
		if (B)
			vgpu_buffer_free(B);
		if (mb)
			vgpu_module_unload(mb);
	}
	{	/* a struct parameter by value whose member a thread changes is that
		 * thread's own, across barriers too (the g++ path once shared it: fibers) */
		static const char sv[] =
			"struct P { int a; int v[2]; };\n"
			"extern \"C\" __global__ void smember(P p, int *o)\n"
			"{\n"
			"	__shared__ int s[64];\n"
			"	p.a += threadIdx.x;\n"
			"	for (int i = 0; i < 3; i++) {\n"
			"		s[threadIdx.x] = p.a;\n"
			"		__syncthreads();\n"
			"		p.v[i & 1] += s[(threadIdx.x + 1) % blockDim.x];\n"
			"		__syncthreads();\n"
			"	}\n"
			"	o[blockIdx.x * blockDim.x + threadIdx.x] = p.a * 100000 + p.v[0] * 10 + p.v[1];\n"
			"}\n";
		struct { int a; int v[2]; } p = { 5, { 7, 1 } };
		vgpu_module *mp = NULL;
		vgpu_kernel *kp = NULL;
		vgpu_buffer *B = NULL;
		struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = { 2, 1, 1 }, .block = { 64, 1, 1 } };
		int o[128] = { 0 }, wrong = 128;

		if (!vgpu_module_compile(s, sv, 0, NULL, &mp) && !vgpu_kernel_get(mp, "smember", &kp) &&
		    !vgpu_buffer_alloc(s, sizeof(o), &B)) {
			struct vgpu_arg a[] = { vgpu_arg_bytes(&p, sizeof(p)), vgpu_arg_buf(B) };

			if (!vgpu_launch(kp, &cfg, a, 2) && !vgpu_buffer_read(B, 0, o, sizeof(o))) {
				wrong = 0;
				for (int t = 0; t < 128; t++) {
					int tx = t % 64, pa = 5 + tx, nb = 5 + (tx + 1) % 64;
					int v0 = 7 + 2 * nb, v1 = 1 + nb;

					wrong += o[t] != pa * 100000 + v0 * 10 + v1;
				}
			}
		}
		tap_ok(wrong == 0, "fission: a by-value struct's member changed by each thread stays its own "
		       "across barriers (%d of 128 wrong)", wrong);
		if (B)
			vgpu_buffer_free(B);
		if (mp)
			vgpu_module_unload(mp);
	}
	{	/* other ways a thread changes its by-value struct parameter: through
		 * parentheses, a reference helper taking a member, a member function,
		 * a local reference to it or to a member (the g++ path once missed
		 * them and shared one p across the block's threads) */
		static const char *const how[][2] = {
			{ "sparen", "(p).a += threadIdx.x;" },
			{ "srefarg", "addr(p.a, threadIdx.x);" },
			{ "smethod", "p.inc(threadIdx.x);" },
			{ "slocalref", "P &r = p; r.a += threadIdx.x;" },
			{ "smemberref", "int &r = p.a; r += threadIdx.x;" },
		};
		int bad = 0;

		for (unsigned k = 0; k < sizeof(how) / sizeof(how[0]); k++) {
			char sv[1024];
			struct { int a; int b; } p = { 5, 7 };
			vgpu_module *mp = NULL;
			vgpu_kernel *kp = NULL;
			vgpu_buffer *B = NULL;
			struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = { 2, 1, 1 }, .block = { 64, 1, 1 } };
			int o[128] = { 0 }, wrong = 128;

			snprintf(sv, sizeof(sv),
				 "struct P { int a; int b; __device__ void inc(int d) { a += d; } };\n"
				 "__device__ void addr(int &r, int d) { r += d; }\n"
				 "extern \"C\" __global__ void %s(P p, int *o)\n"
				 "{\n"
				 "	__shared__ int s[64];\n"
				 "	s[threadIdx.x] = p.b;\n"
				 "	__syncthreads();\n"
				 "	%s\n"
				 "	__syncthreads();\n"
				 "	o[blockIdx.x * blockDim.x + threadIdx.x] = p.a * 1000 + s[(threadIdx.x + 1) %% 64];\n"
				 "}\n", how[k][0], how[k][1]);
			if (!vgpu_module_compile(s, sv, 0, NULL, &mp) && !vgpu_kernel_get(mp, how[k][0], &kp) &&
			    !vgpu_buffer_alloc(s, sizeof(o), &B)) {
				struct vgpu_arg a[] = { vgpu_arg_bytes(&p, sizeof(p)), vgpu_arg_buf(B) };

				if (!vgpu_launch(kp, &cfg, a, 2) && !vgpu_buffer_read(B, 0, o, sizeof(o))) {
					wrong = 0;
					for (int t = 0; t < 128; t++)
						wrong += o[t] != (5 + t % 64) * 1000 + 7;
				}
			}
			if (wrong)
				tap_diag("%s: %d of 128 wrong", how[k][0], wrong);
			bad += wrong != 0;
			if (B)
				vgpu_buffer_free(B);
			if (mp)
				vgpu_module_unload(mp);
		}
		tap_ok(bad == 0, "fission: a by-value struct changed as (p).a, through a reference argument, a member "
		       "function, a local reference stays each thread's own (%d of 5 kernels wrong)", bad);
	}
	{	/* two modules loaded at once, a kernel of the same name: each its own code */
		static const char s1[] = "extern \"C\" __global__ void same(int *o) { o[0] = 1; }\n";
		static const char s2[] = "extern \"C\" __global__ void same(int *o) { o[0] = 2; }\n";
		vgpu_module *m1 = NULL, *m2 = NULL;
		vgpu_kernel *k1 = NULL, *k2 = NULL;
		vgpu_buffer *B = NULL;
		struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = { 1, 1, 1 }, .block = { 1, 1, 1 } };
		int got1 = 0, got2 = 0;

		if (!vgpu_module_compile(s, s1, 0, NULL, &m1) && !vgpu_module_compile(s, s2, 0, NULL, &m2) &&
		    !vgpu_kernel_get(m1, "same", &k1) && !vgpu_kernel_get(m2, "same", &k2) &&
		    !vgpu_buffer_alloc(s, 4, &B)) {
			struct vgpu_arg a[] = { vgpu_arg_buf(B) };

			if (!vgpu_launch(k1, &cfg, a, 1))
				vgpu_buffer_read(B, 0, &got1, 4);
			if (!vgpu_launch(k2, &cfg, a, 1))
				vgpu_buffer_read(B, 0, &got2, 4);
		}
		tap_ok(got1 == 1 && got2 == 2, "cpu: two loaded modules run their own code (%d, %d)", got1, got2);
		if (B)
			vgpu_buffer_free(B);
		if (m1)
			vgpu_module_unload(m1);
		if (m2)
			vgpu_module_unload(m2);
	}
	vgpu_session_close(s);
	return tap_done();
}
