// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The CUDA dialect on the CPU backend's clang path (VGPU_CPU_CC=clang), each
 * kernel checked against plain C: warp functions (32 lanes in step),
 * cooperative-groups tiles of 1..32, atomics, fast-math and rounding
 * intrinsics, integer intrinsics, __syncthreads_count/and/or, clock64,
 * printf/assert, vector types, __CUDACC__, `extern T __shared__ x[]`,
 * __launch_bounds__ after void, template kernels by name, barriers in
 * helpers / after an early return / between breaks / with a modified
 * parameter; and what is refused at compile time, by construct and line.
 * Skipped (with the reason) on the g++ path.
 */
#define _GNU_SOURCE
#include <fenv.h>
#include <math.h>

#include "common.h"
#include "../../tests/gpu/convert.h"
#include "../../tests/gpu/cucomplex.h"
#include "../../tests/gpu/cvtdot.h"
#include "../../tests/gpu/mathx.h"
#include "../../tests/gpu/cudastd.h"
#include "../../tests/gpu/half.h"

static const char src[] =
"#include <cooperative_groups.h>\n"
"#include <stdio.h>\n"
"#include <assert.h>\n"
"namespace cg = cooperative_groups;\n"
"\n"
"extern \"C\" __global__ void shfl(const int *in, int *out)\n"
"{\n"
"	int t = threadIdx.x, v = in[t];\n"
"	out[6 * t + 0] = __shfl_sync(0xffffffff, v, (t + 3) % 32);\n"
"	out[6 * t + 1] = __shfl_up_sync(0xffffffff, v, 2);\n"
"	out[6 * t + 2] = __shfl_down_sync(0xffffffff, v, 5, 16);\n"
"	out[6 * t + 3] = __shfl_xor_sync(0xffffffff, v, 7);\n"
"	out[6 * t + 4] = __shfl_xor_sync(0xffffffff, v, 4);\n"
"	/* a lane of an earlier group of 16 is read, a later one is not */\n"
"	out[6 * t + 5] = __shfl_xor_sync(0xffffffff, v, 16, 16) + 7 * __shfl_xor_sync(0xffffffff, v, 24, 8);\n"
"}\n"
"\n"
"/* bools live across barriers and a ballot (frame slots of bytes), 2-D block */\n"
"extern \"C\" __global__ void boolslot(const int *in, int *out)\n"
"{\n"
"	__shared__ int s[128];\n"
"	const int t = threadIdx.y * blockDim.x + threadIdx.x, n = blockDim.x * blockDim.y;\n"
"	const bool odd = in[t] & 1, big = in[t] > 300;\n"
"	s[t] = in[t];\n"
"	__syncthreads();\n"
"	const int v = s[(t + 1) % n];\n"
"	__syncthreads();\n"
"	const unsigned b = __ballot_sync(0xffffffffu, big != odd);\n"
"	out[t] = (odd ? 1 : 0) + (big ? 2 : 0) + (v & 1 ? 4 : 0) + (__popc(b) << 3);\n"
"}\n"
"\n"
"/* values of 8 bytes (both words of the exchange) and of 2 */\n"
"extern \"C\" __global__ void shflwide(const int *in, double *od, long long *ol, int *oi)\n"
"{\n"
"	int t = threadIdx.x, lane = t & 31;\n"
"	double d = in[t] * 0.5 + 1e10;\n"
"	long long l = ((long long)in[t] << 33) | lane;\n"
"	short h = (short)(in[t] & 0x7fff);\n"
"	od[t] = __shfl_xor_sync(0xffffffffu, d, 5);\n"
"	ol[t] = __shfl_down_sync(0xffffffffu, l, 3);\n"
"	oi[2 * t] = __shfl_sync(0xffffffffu, h, (lane + 7) & 31);\n"
"	oi[2 * t + 1] = (int)__match_any_sync(0xffffffffu, (long long)(in[t] & 3) << 40);\n"
"}\n"
"\n"
"/* loops of shuffles (one warp sync each, the driver runs their steps) over a\n"
" * block of 48: a partial warp, lanes past it give their own values */\n"
"extern \"C\" __global__ void shflloops(const int *in, float *of, double *od, long long *ol, unsigned *ou)\n"
"{\n"
"	const int t = threadIdx.x;\n"
"	float f = in[t] * 0.37f;\n"
"	double d = in[t] * 0.5 - 3.0;\n"
"	long long l = ((long long)in[t] << 33) + t;\n"
"	unsigned u = ~(1u << (t & 31)) ^ (unsigned)in[t] << 20;\n"
"	for (int o = 16; o > 0; o >>= 1)\n"
"		f += __shfl_down_sync(0xffffffffu, f, o);\n"
"	for (int o = 16; o > 0; o /= 2)\n"
"		d = fmax(d, __shfl_xor_sync(0xffffffffu, d, o));\n"
"	for (unsigned o = 8; o != 0; o >>= 1)\n"
"		l += __shfl_down_sync(0xffffffffu, l, o);\n"
"	for (int o = 1; o < 32; o <<= 1)\n"
"		u &= __shfl_xor_sync(0xffffffffu, u, o);\n"
"	of[t] = f;\n"
"	od[t] = d;\n"
"	ol[t] = l;\n"
"	ou[t] = u;\n"
"}\n"
"\n"
"/* loops of shuffles taking a minimum or a maximum of integers: cuda.h's\n"
" * max and min, and the user's own conditional expression (a compare and\n"
" * a branch where the pass finds them); blocks of 48 */\n"
"extern \"C\" __global__ void shflimax(const int *in, int *out)\n"
"{\n"
"	int v = in[threadIdx.x] * 37 - 900;\n"
"	for (int o = 16; o > 0; o >>= 1)\n"
"		v = max(v, __shfl_xor_sync(0xffffffffu, v, o));\n"
"	out[threadIdx.x] = v;\n"
"}\n"
"extern \"C\" __global__ void shflumin(const int *in, unsigned *out)\n"
"{\n"
"	unsigned v = (unsigned)in[threadIdx.x] * 2654435761u;\n"
"	for (int o = 16; o > 0; o >>= 1)\n"
"		v = min(__shfl_down_sync(0xffffffffu, v, o), v);\n"
"	out[threadIdx.x] = v;\n"
"}\n"
"extern \"C\" __global__ void shfllmax(const int *in, long long *out)\n"
"{\n"
"	long long v = in[threadIdx.x] * 4294967296ll - threadIdx.x * 5;\n"
"	for (int o = 1; o < 32; o <<= 1) {\n"
"		const long long w = __shfl_xor_sync(0xffffffffu, v, o);\n"
"		v = w > v ? w : v;\n"
"	}\n"
"	out[threadIdx.x] = v;\n"
"}\n"
"/* barriers that order nothing go (the last one here: only global memory\n"
" * after it), the others stay; blocks of 64 */\n"
"extern \"C\" __global__ void idlebar(const int *in, int *out)\n"
"{\n"
"	__shared__ int s[64];\n"
"	const int t = threadIdx.x;\n"
"	int v = in[t];\n"
"	for (int i = 1; i < (int)(blockDim.x >> 4); i++) {\n"
"		s[t] = v;\n"
"		__syncthreads();\n"
"		v += s[(t + i) & 63];\n"
"		__syncthreads();	/* the next trip's store */\n"
"	}\n"
"	s[t] = v;\n"
"	__syncthreads();\n"
"	v = s[63 - t];\n"
"	__syncthreads();	/* idle */\n"
"	out[t] = v * 3 + in[(t + 1) & 63];\n"
"}\n"
"/* barriers that order what threads that do not reach them did: a warp's\n"
" * branch with a warp sync, an early return (blocks of 64, n = 32) */\n"
"extern \"C\" __global__ void keepws(int *out, int n)\n"
"{\n"
"	__shared__ int s[32];\n"
"	const int t = threadIdx.x;\n"
"	if (t >= n) {\n"
"		s[t - n] = t * 7 + (int)blockIdx.x;\n"
"		__syncwarp();\n"
"	}\n"
"	__syncthreads();\n"
"	if (t < 32)\n"
"		out[blockIdx.x * 32 + t] = s[t];\n"
"}\n"
"extern \"C\" __global__ void keepret(int *out, int n)\n"
"{\n"
"	__shared__ int s[32];\n"
"	const int t = threadIdx.x;\n"
"	if (t >= n) {\n"
"		s[t - n] = t * 5 + (int)blockIdx.x;\n"
"		return;\n"
"	}\n"
"	__syncthreads();\n"
"	out[blockIdx.x * 32 + t] = s[t];\n"
"}\n"
"/* each of these stays but one of the two in a row: a vote's, the store\n"
" * to one dynamic shared array and the read of another (the same memory),\n"
" * global memory written and read by another thread */\n"
"extern \"C\" __global__ void keepbar(const int *in, int *out)\n"
"{\n"
"	extern __shared__ int da[];\n"
"	extern __shared__ int db[];\n"
"	__shared__ int s[64];\n"
"	const int t = threadIdx.x;\n"
"	const int n = __syncthreads_count(in[t] > 0);\n"
"	s[t] = in[t] + n;\n"
"	__syncthreads();\n"
"	__syncthreads();\n"
"	int v = s[63 - t];\n"
"	da[t] = v;\n"
"	__syncthreads();\n"
"	v += db[(t + 1) & 63];\n"
"	out[t] = v;\n"
"	__syncthreads();\n"
"	v += out[(t + 5) & 63];\n"
"	out[64 + t] = v;\n"
"}\n"
"/* a warp's running maximum: the scan's step under the lane's test */\n"
"extern \"C\" __global__ void shflsmax(const int *in, int *out)\n"
"{\n"
"	const int lane = threadIdx.x & 31;\n"
"	int v = in[threadIdx.x] * 41 - 1000;\n"
"	for (int d = 1; d < 32; d <<= 1) {\n"
"		const int t = __shfl_up_sync(0xffffffffu, v, d);\n"
"		if (lane >= d)\n"
"			v = max(v, t);\n"
"	}\n"
"	out[threadIdx.x] = v;\n"
"}\n"
"\n"
"/* warp scans by __shfl_up_sync under the lane's test (one warp sync each,\n"
" * the driver runs their steps): the lane as threadIdx.x & 31 or % 32, the test\n"
" * as an if, a conditional expression, reversed; +, fmax, ^; 5 and 3\n"
" * steps. Launched 1-D (48: a partial warp) and 2-D (rows of 32, and rows of\n"
" * 12, where threadIdx.x & 31 is not the lane) */\n"
"extern \"C\" __global__ void shflscan(const int *in, unsigned *ou, float *of, double *od, int *oi, long long *ol)\n"
"{\n"
"	const int t = threadIdx.y * blockDim.x + threadIdx.x;\n"
"	const unsigned lane = threadIdx.x & 31;\n"
"	unsigned u = (unsigned)in[t] * 2654435761u;\n"
"	float f = in[t] * 0.37f;\n"
"	double d = in[t] * 0.5 - 3.0;\n"
"	int i = in[t] ^ t;\n"
"	long long l = ((long long)in[t] << 33) + t;\n"
"	for (unsigned o = 1; o < 32; o <<= 1) {\n"
"		const unsigned up = __shfl_up_sync(0xffffffffu, u, o);\n"
"		if (lane >= o)\n"
"			u += up;\n"
"	}\n"
"	for (int o = 1; o <= 16; o *= 2) {\n"
"		const float up = __shfl_up_sync(0xffffffffu, f, o);\n"
"		f = (int)(threadIdx.x % 32) >= o ? f + up : f;\n"
"	}\n"
"	for (int o = 1; o < 32; o <<= 1) {\n"
"		double up = __shfl_up_sync(0xffffffffu, d, o);\n"
"		if (o <= (int)lane)\n"
"			d = fmax(d, up);\n"
"	}\n"
"	for (int o = 1; o < 8; o <<= 1) {\n"
"		int up = __shfl_up_sync(0xffffffffu, i, o);\n"
"		if (lane >= o)\n"
"			i ^= up;\n"
"	}\n"
"	for (int o = 1; o < 32; o <<= 1) {\n"
"		long long up = __shfl_up_sync(0xffffffffu, l, o);\n"
"		if (lane >= o)\n"
"			l += up;\n"
"	}\n"
"	ou[t] = u;\n"
"	of[t] = f;\n"
"	od[t] = d;\n"
"	oi[t] = i;\n"
"	ol[t] = l;\n"
"}\n"
"\n"
"/* the same steps on what is not the lane, without a test, and past a\n"
" * continue (cleanup code): no warp scan (a shuffle a step) */\n"
"extern \"C\" __global__ void shflscan2(const int *in, unsigned *ou)\n"
"{\n"
"	const int t = threadIdx.x;\n"
"	const unsigned lane = threadIdx.x & 31;\n"
"	unsigned u = (unsigned)in[t], w = u ^ 0x5555u;\n"
"	int i = in[t] ^ t;\n"
"	for (int o = 1; o < 8; o <<= 1) {\n"
"		const int up = __shfl_up_sync(0xffffffffu, i, o);\n"
"		if (lane < o)\n"
"			continue;\n"
"		i = max(i, up);\n"
"	}\n"
"	for (int o = 1; o < 32; o <<= 1) {\n"
"		const unsigned up = __shfl_up_sync(0xffffffffu, u, o);\n"
"		if (t >= o)\n"
"			u += up;\n"
"	}\n"
"	for (int o = 1; o < 32; o <<= 1)\n"
"		w += __shfl_up_sync(0xffffffffu, w, o);\n"
"	ou[3 * t] = u;\n"
"	ou[3 * t + 1] = w;\n"
"	ou[3 * t + 2] = (unsigned)i;\n"
"}\n"
"\n"
"extern \"C\" __global__ void vote(const int *in, int *out)\n"
"{\n"
"	int t = threadIdx.x, v = in[t];\n"
"	out[5 * t + 0] = (int)__ballot_sync(0xffffffff, v > 0);\n"
"	out[5 * t + 1] = __any_sync(0xffffffff, v > 900);\n"
"	out[5 * t + 2] = __all_sync(0xffffffff, v > -2000);\n"
"	out[5 * t + 3] = t % 3 ? (int)__activemask() : -1;\n"
"	out[5 * t + 4] = __popc(__ballot_sync(0xffffffff, v & 1));\n"
"}\n"
"\n"
"extern \"C\" __global__ void wred(const int *in, int *out)\n"
"{\n"
"	int t = threadIdx.x, v = in[t];\n"
"	out[4 * t + 0] = __reduce_add_sync(0xffffffff, v);\n"
"	out[4 * t + 1] = __reduce_min_sync(0xffffffff, v);\n"
"	out[4 * t + 2] = __reduce_max_sync(0xffffffff, v);\n"
"	out[4 * t + 3] = (int)__match_any_sync(0xffffffff, v & 3);\n"
"}\n"
"\n"
"template <unsigned N> __device__ void tile_case(const int *in, int *out, int k)\n"
"{\n"
"	cg::thread_block b = cg::this_thread_block();\n"
"	cg::thread_block_tile<N> g = cg::tiled_partition<N>(b);\n"
"	int t = b.thread_rank(), v = in[t];\n"
"	out[(k * 64 + t) * 3 + 0] = cg::reduce(g, v, cg::plus<int>());\n"
"	out[(k * 64 + t) * 3 + 1] = g.shfl(v, 0) + 1000 * (int)g.meta_group_rank();\n"
"	out[(k * 64 + t) * 3 + 2] = cg::inclusive_scan(g, v);\n"
"}\n"
"\n"
"extern \"C\" __global__ void tiles(const int *in, int *out)\n"
"{\n"
"	tile_case<1>(in, out, 0);\n"
"	tile_case<2>(in, out, 1);\n"
"	tile_case<4>(in, out, 2);\n"
"	tile_case<8>(in, out, 3);\n"
"	tile_case<16>(in, out, 4);\n"
"	tile_case<32>(in, out, 5);\n"
"}\n"
"\n"
"/* cg::reduce of each kind the driver reduces: a partial last warp (48\n"
" * threads), signed zeros under less, two warps at reduce syncs of their own */\n"
"extern \"C\" __global__ void cgred(const int *in, int *oi, long long *ol, float *of, double *od)\n"
"{\n"
"	cg::thread_block b = cg::this_thread_block();\n"
"	cg::thread_block_tile<32> g = cg::tiled_partition<32>(b);\n"
"	cg::thread_block_tile<8> g8 = cg::tiled_partition<8>(b);\n"
"	int t = b.thread_rank(), v = in[t];\n"
"	float f = t % 5 ? (float)v * 0.37f : (t & 1) ? -0.0f : 0.0f;\n"
"	oi[6 * t + 0] = (int)cg::reduce(g, (unsigned)v, cg::bit_xor<unsigned>());\n"
"	oi[6 * t + 1] = cg::reduce(g8, v, cg::less<int>());\n"
"	oi[6 * t + 2] = cg::reduce(g, v, cg::greater<int>());\n"
"	oi[6 * t + 3] = (int)cg::reduce(g8, (unsigned)v, cg::bit_or<unsigned>());\n"
"	ol[2 * t + 0] = cg::reduce(g, (long long)v << 33, cg::plus<long long>());\n"
"	ol[2 * t + 1] = (long long)cg::reduce(g, (unsigned long long)v * 3, cg::bit_and<unsigned long long>());\n"
"	of[2 * t + 0] = cg::reduce(g, f, cg::plus<float>());\n"
"	of[2 * t + 1] = cg::reduce(g, f, cg::less<float>());\n"
"	od[t] = cg::reduce(g, (double)f, cg::greater<double>());\n"
"	if (g.meta_group_rank() == 0)\n"
"		oi[6 * t + 4] = cg::reduce(g, v, cg::plus<int>());\n"
"	else\n"
"		oi[6 * t + 4] = cg::reduce(g, v, cg::greater<int>());\n"
"	oi[6 * t + 5] = cg::reduce(g, v + 1, cg::plus<int>());\n"
"}\n"
"\n"
"extern \"C\" __global__ void atomics(const int *in, int *out, unsigned long long *u64,\n"
"                                    double *d, unsigned short *h)\n"
"{\n"
"	int t = threadIdx.x;\n"
"	atomicAdd_block(&out[0], in[t]);\n"
"	atomicMax_system(&out[1], in[t]);\n"
"	atomicMin(&out[2], in[t]);\n"
"	atomicInc((unsigned *)&out[3], 9u);\n"
"	atomicDec((unsigned *)&out[4], 1000u);\n"
"	atomicOr(&u64[0], 1ull << (t % 64));\n"
"	atomicXor(&u64[1], (unsigned long long)in[t]);\n"
"	atomicAdd(&d[0], 0.5);\n"
"	unsigned short o = h[0], n;\n"
"	do { n = o + 1; } while ((o = atomicCAS(&h[0], o, n)) != (unsigned short)(n - 1));\n"
"	atomicExch((float *)&out[5], 2.5f);\n"
"	atomicSub(&out[6], 2);\n"
"}\n"
"\n"
"extern \"C\" __global__ void synccount(const int *in, int *out)\n"
"{\n"
"	int t = threadIdx.x;\n"
"	int c = __syncthreads_count(in[t] > 0);\n"
"	int a = __syncthreads_and(in[t] > -2000);\n"
"	int o = __syncthreads_or(in[t] > 900);\n"
"	out[t] = c * 4 + a * 2 + o;\n"
"}\n"
"\n"
"extern \"C\" __global__ void fastmath(const float *x, float *out)\n"
"{\n"
"	int t = threadIdx.x;\n"
"	float v = x[t], s, c;\n"
"	__sincosf(v, &s, &c);\n"
"	out[10 * t + 0] = __expf(v);\n"
"	out[10 * t + 1] = __logf(fabsf(v) + 1.f);\n"
"	out[10 * t + 2] = __log2f(fabsf(v) + 1.f);\n"
"	out[10 * t + 3] = __powf(fabsf(v) + 1.f, 1.5f);\n"
"	out[10 * t + 4] = __sinf(v) + __cosf(v);\n"
"	out[10 * t + 5] = s * c;\n"
"	out[10 * t + 6] = __fdividef(v, 3.f);\n"
"	out[10 * t + 7] = rsqrtf(fabsf(v) + 1.f);\n"
"	out[10 * t + 8] = __exp10f(v);\n"
"	out[10 * t + 9] = __saturatef(v);\n"
"}\n"
"\n"
"/* the C library's math in a thread loop the vectoriser widens (libmvec),\n"
"   a block size that leaves a remainder, special values among the inputs */\n"
"extern \"C\" __global__ void puremath(const float *x, float *out, int n)\n"
"{\n"
"	int t = blockIdx.x * blockDim.x + threadIdx.x;\n"
"	if (t >= n)\n"
"		return;\n"
"	float v = x[t];\n"
"	out[8 * t + 0] = sqrtf(v);\n"
"	out[8 * t + 1] = expf(v);\n"
"	out[8 * t + 2] = logf(v);\n"
"	out[8 * t + 3] = sinf(v) * cosf(v);\n"
"	out[8 * t + 4] = powf(fabsf(v), 0.75f);\n"
"	out[8 * t + 5] = tanhf(v) + erff(v);\n"
"	out[8 * t + 6] = atan2f(v, 3.f) + fmodf(v, 7.f);\n"
"	out[8 * t + 7] = (float)sqrt((double)v) + ldexpf(v, 3);\n"
"}\n"
"\n"
"extern \"C\" __global__ void rounding(const float *a, const float *b, float *out)\n"
"{\n"
"	int t = threadIdx.x;\n"
"	float x = a[t], y = b[t];\n"
"	out[10 * t + 0] = __fadd_rd(x, y);\n"
"	out[10 * t + 1] = __fadd_ru(x, y);\n"
"	out[10 * t + 2] = __fmul_rd(x, y);\n"
"	out[10 * t + 3] = __fmul_ru(x, y);\n"
"	out[10 * t + 4] = __fdiv_rd(x, y);\n"
"	out[10 * t + 5] = __fdiv_ru(x, y);\n"
"	out[10 * t + 6] = __fsqrt_rd(fabsf(x));\n"
"	out[10 * t + 7] = __fsqrt_ru(fabsf(x));\n"
"	out[10 * t + 8] = __fadd_rz(x, y);\n"
"	out[10 * t + 9] = __frcp_rn(y);\n"
"}\n"
"\n"
"/* calls through function pointers (a variable, a __device__ table) beside a barrier */\n"
"__device__ float fp_twice(float x) { return 2.f * x; }\n"
"__device__ float fp_neg(float x) { return -x; }\n"
"typedef float (*fp_op)(float);\n"
"__device__ fp_op fp_table[2] = { fp_twice, fp_neg };\n"
"extern \"C\" __global__ void fnptr(const float *in, float *out, int w)\n"
"{\n"
"	__shared__ float s[64];\n"
"	const int t = threadIdx.x;\n"
"	const fp_op f = w ? fp_twice : fp_neg;\n"
"	s[t] = f(in[t]) + 10.f * fp_table[t & 1](in[t]);\n"
"	__syncthreads();\n"
"	out[t] = s[63 - t];\n"
"}\n"
"\n"
"/* copies into shared memory: cooperative_groups/memcpy_async.h, cuda_pipeline.h */\n"
"#include <cooperative_groups/memcpy_async.h>\n"
"#include <cuda_pipeline.h>\n"
"extern \"C\" __global__ void cgcopy(const int *in, int *out)\n"
"{\n"
"	namespace cg = cooperative_groups;\n"
"	__shared__ int s[256], p[256];\n"
"	__shared__ int4 q[64];\n"
"	const cg::thread_block b = cg::this_thread_block();\n"
"	const cg::thread_block_tile<32> w = cg::tiled_partition<32>(b);\n"
"	const int t = threadIdx.x, base = blockIdx.x * 256;\n"
"	p[t] = -1;\n"
"	__syncthreads();\n"
"	cg::memcpy_async(b, s, in + base, 256 * sizeof(int));\n"
"	cg::memcpy_async(w, p + (t & ~31), 32, in + base + (t & ~31), 16);\n"
"	cg::wait(b);\n"
"	cg::wait_prior<0>(w);\n"
"	if (t % 4 == 0)\n"
"		__pipeline_memcpy_async(&q[t / 4], in + base + t, 16, t % 8 ? 0 : 4);\n"
"	__pipeline_commit();\n"
"	__pipeline_wait_prior(0);\n"
"	__syncthreads();\n"
"	out[base + t] = s[255 - t] * 1000000 + p[t] * 1000 + ((const int *)q)[t];\n"
"}\n"
"\n"
"/* a warp split by a predicate and by a label (cooperative groups of CUDA 11) */\n"
"extern \"C\" __global__ void cgpart(const int *in, int *out)\n"
"{\n"
"	namespace cg = cooperative_groups;\n"
"	const cg::thread_block_tile<32> w = cg::tiled_partition<32>(cg::this_thread_block());\n"
"	const int v = in[threadIdx.x];\n"
"	const cg::coalesced_group g = cg::binary_partition(w, v & 1);\n"
"	const cg::coalesced_group h = cg::labeled_partition(w, v & 3);\n"
"	out[threadIdx.x] = g.size() * 1000000 + g.thread_rank() * 10000 + h.size() * 100 + h.thread_rank();\n"
"	out[64 + threadIdx.x] = g.shfl(v, 0);\n"
"}\n"
"\n"
"extern \"C\" __global__ void intrin(const unsigned *in, unsigned *out)\n"
"{\n"
"	int t = threadIdx.x;\n"
"	unsigned x = in[t], y = in[(t + 1) % 64];\n"
"	unsigned long long w = ((unsigned long long)x << 32) | y;\n"
"	out[12 * t + 0] = __umul24(x, y);\n"
"	out[12 * t + 1] = __usad(x, y, 7u);\n"
"	out[12 * t + 2] = __byte_perm(x, y, 0x5140);\n"
"	out[12 * t + 3] = __popcll(w);\n"
"	out[12 * t + 4] = __clzll((long long)(w >> (t % 60)));\n"
"	out[12 * t + 5] = __ffsll((long long)(w << (t % 60)));\n"
"	out[12 * t + 6] = (unsigned)(__brevll(w) >> 17);\n"
"	out[12 * t + 7] = __umulhi(x, y);\n"
"	out[12 * t + 8] = (unsigned)__umul64hi(w, w ^ 0x9e3779b97f4a7c15ull);\n"
"	out[12 * t + 9] = __uhadd(x, y);\n"
"	out[12 * t + 10] = __funnelshift_l(x, y, t);\n"
"	out[12 * t + 11] = (unsigned)__sad((int)x, (int)y, 3u);\n"
"}\n"
"\n"
"extern \"C\" __global__ void misc(const uint4 *in, uint4 *out, double2 *d, long long *c)\n"
"{\n"
"	int t = threadIdx.x;\n"
"	uint4 v = in[t];\n"
"	out[t] = make_uint4(v.w, v.z + 1, v.y, v.x);\n"
"	d[t] = make_double2(v.x * 0.5, (double)sizeof(uint4) + alignof(double2));\n"
"	long long c0 = clock64();\n"
"	char4 ch = make_char4(1, 2, 3, 4);\n"
"#ifdef __CUDACC__\n"
"	int cc = 1;\n"
"#else\n"
"	int cc = 0;\n"
"#endif\n"
"	if (t == 0)\n"
"		printf(\"# device printf: block %d, %d threads\\n\", (int)blockIdx.x, (int)blockDim.x);\n"
"	assert(v.x == in[t].x);\n"
"	c[t] = (clock64() >= c0) + 2 * cc + 4 * (ch.w == 4) + 8 * (sizeof(longlong2) == 16);\n"
"}\n"
"\n"
"extern \"C\" __global__ void __launch_bounds__(128, 2) dynshm(const int *in, int *out)\n"
"{\n"
"	extern int __shared__ s[];\n"
"	int t = threadIdx.x;\n"
"	s[t] = in[t];\n"
"	__syncthreads();\n"
"	out[t] = s[blockDim.x - 1 - t];\n"
"}\n"
"\n"
"template <typename T, int K> __global__ void tscale(const T *in, T *out)\n"
"{\n"
"	out[threadIdx.x] = in[threadIdx.x] * (T)K;\n"
"}\n"
"template __global__ void tscale<int, 3>(const int *, int *);\n"
"template <typename T> __global__ void never_used(T *p) { p[threadIdx.x] = T(7); }\n"
"\n"
"/* a helper with a barrier, a modified parameter, an early return, break between barriers */\n"
"__device__ int block_sum(int *s, int v)\n"
"{\n"
"	s[threadIdx.x] = v;\n"
"	__syncthreads();\n"
"	for (int k = blockDim.x / 2; k > 0; k >>= 1) {\n"
"		if (threadIdx.x < k)\n"
"			s[threadIdx.x] += s[threadIdx.x + k];\n"
"		__syncthreads();\n"
"	}\n"
"	int r = s[0];\n"
"	__syncthreads();\n"
"	return r;\n"
"}\n"
"\n"
"/* a loop every thread runs m times (after an early return): one region an\n"
" * iteration, a per-thread array across them; a loop whose trips differ per\n"
" * thread stays whole; atomics on shared memory */\n"
"extern \"C\" __global__ void uloop(const int *in, int *out, int m, int n)\n"
"{\n"
"	__shared__ int hist[8];\n"
"	int t = threadIdx.x;\n"
"	if (t < 8)\n"
"		hist[t] = 0;\n"
"	__syncthreads();\n"
"	if (t >= n)\n"
"		return;\n"
"	int acc[4] = { 0, 0, 0, 0 };\n"
"	for (int k = 0; k < m; k++) {\n"
"		int v = in[(t + k) % blockDim.x];\n"
"		acc[k & 3] += v;\n"
"		atomicAdd(&hist[v & 7], 1);\n"
"	}\n"
"	int d = 0;\n"
"	for (int i = t; i < 1000; i += 37 + t)\n"
"		d++;\n"
"	for (int j = 0; j < 4; j++)\n"
"		out[t * 5 + j] = acc[j];\n"
"	out[t * 5 + 4] = d;\n"
"	__syncthreads();\n"
"	if (t < 8)\n"
"		out[5 * n + t] = hist[t];\n"
"}\n"
"\n"
"/* a tiled product with register blocking (sgemm_tile's shape, unsigned, in\n"
" * an order the result depends on): the k loop's 24 constant trips under\n"
" * `#pragma unroll 4` are unrolled whole, not cut into regions; a divergent\n"
" * test in it; rows of 24 threads (not whole warps), blocks of 192 */\n"
"extern \"C\" __global__ void ktile(const unsigned *a, const unsigned *b, unsigned *d, int n)\n"
"{\n"
"	__shared__ unsigned As[24][25];\n"
"	__shared__ unsigned Bs[24][24];\n"
"	const int gx = (n + 23) / 24;\n"
"	const int tx = threadIdx.x, ty = threadIdx.y;\n"
"	const int col = blockIdx.x % gx * 24 + tx, row0 = blockIdx.x / gx * 24;\n"
"	unsigned acc[3];\n"
"#pragma unroll\n"
"	for (int r = 0; r < 3; r++)\n"
"		acc[r] = r;\n"
"	for (int k0 = 0; k0 < n; k0 += 24) {\n"
"#pragma unroll\n"
"		for (int r = 0; r < 3; r++) {\n"
"			const int lr = ty + r * 8;\n"
"			As[lr][tx] = row0 + lr < n && k0 + tx < n ? a[(row0 + lr) * n + k0 + tx] : 0u;\n"
"			Bs[lr][tx] = k0 + lr < n && col < n ? b[(k0 + lr) * n + col] : 0u;\n"
"		}\n"
"		__syncthreads();\n"
"#pragma unroll 4\n"
"		for (int k = 0; k < 24; k++) {\n"
"			const unsigned bv = Bs[k][tx];\n"
"#pragma unroll\n"
"			for (int r = 0; r < 3; r++) {\n"
"				acc[r] = acc[r] * 3u + As[ty + r * 8][k] * bv;\n"
"				if ((tx + k) % 5 == 0)\n"
"					acc[r] ^= bv >> 3;\n"
"			}\n"
"		}\n"
"		__syncthreads();\n"
"	}\n"
"#pragma unroll\n"
"	for (int r = 0; r < 3; r++) {\n"
"		const int row = row0 + ty + r * 8;\n"
"		if (row < n && col < n)\n"
"			d[row * n + col] = acc[r];\n"
"	}\n"
"}\n"
"\n"
"/* after the block's last barrier one thread sums the tile alone (the\n"
"   others return): its loop is not a loop every thread runs */\n"
"/* regions with work for a row's leading threads only (run for those and\n"
" * the last thread): a tree loop, work on a test's false side, a negative\n"
" * bound, t <= k, t == last; and two whose other threads write too */\n"
"extern \"C\" __global__ void narrow(const int *in, int *out, int neg, int k)\n"
"{\n"
"	__shared__ int s[256], hits;\n"
"	const int t = threadIdx.x;\n"
"	s[t] = in[t % 128] + t;\n"
"	if (t == 0)\n"
"		hits = 0;\n"
"	__syncthreads();\n"
"	for (int d = blockDim.x / 2; d > 0; d >>= 1) {\n"
"		if (t < d)\n"
"			s[t] += s[t + d];\n"
"		__syncthreads();\n"
"	}\n"
"	const int total = s[0];\n"
"	__syncthreads();\n"
"	if (t > 2)\n"
"		;\n"
"	else\n"
"		atomicAdd(&hits, t + 1);\n"
"	__syncthreads();\n"
"	if (t < neg)\n"
"		atomicAdd(&hits, 1000);\n"
"	__syncthreads();\n"
"	if (t <= k)\n"
"		atomicAdd(&hits, 1);\n"
"	__syncthreads();\n"
"	if (t == blockDim.x - 1)\n"
"		atomicAdd(&hits, 100);\n"
"	__syncthreads();\n"
"	if (t < 4)\n"
"		s[t] = t;\n"
"	else\n"
"		s[t] = 1;\n"
"	__syncthreads();\n"
"	if (t < 4)\n"
"		s[t] += 10;\n"
"	else\n"
"		atomicAdd(&hits, 1);\n"
"	__syncthreads();\n"
"	if (t == 0) {\n"
"		int z = 0;\n"
"		for (int i = 0; i < blockDim.x; i++)\n"
"			z += s[i];\n"
"		out[2 * blockIdx.x] = total;\n"
"		out[2 * blockIdx.x + 1] = z + hits;\n"
"	}\n"
"}\n"
"\n"
"/* regions with work for a warp's (a tile's) first lane only: `(x & 31) ==\n"
" * 0`, `x % 16 != 0` on its false side, a tile's thread_rank() == 0 (the\n"
" * linear index) beside a bound test (run for every 32nd or 16th thread of\n"
" * a row, the leading ones and the block's last; atomics count twice a\n"
" * thread run twice) */\n"
"extern \"C\" __global__ void lanes0(const int *in, int *out)\n"
"{\n"
"	__shared__ int hits[4];\n"
"	cg::thread_block_tile<32> tile = cg::tiled_partition<32>(cg::this_thread_block());\n"
"	const int t = threadIdx.y * blockDim.x + threadIdx.x;\n"
"	if (t < 4)\n"
"		hits[t] = 0;\n"
"	__syncthreads();\n"
"	if ((threadIdx.x & 31) == 0)\n"
"		atomicAdd(&hits[0], in[t % 128] + t);\n"
"	__syncthreads();\n"
"	if ((int)threadIdx.x % 16 != 0)\n"
"		;\n"
"	else\n"
"		atomicAdd(&hits[1], 1 + t);\n"
"	__syncthreads();\n"
"	if (tile.thread_rank() == 0)\n"
"		atomicAdd(&hits[2], t + 3);\n"
"	if (threadIdx.x < 3)\n"
"		atomicAdd(&hits[3], 1);\n"
"	__syncthreads();\n"
"	if (t < 4)\n"
"		out[4 * blockIdx.x + t] = hits[t];\n"
"}\n"
"\n"
"/* work under a conjunction of tests, one of them on the thread (a bound,\n"
" * a warp's first lane), or under its negation taken to skip: as a\n"
" * predicated warp branch leaves `if (warp == 0 && lane == 0)` */\n"
"extern \"C\" __global__ void narrowand(const int *in, int *out, int k)\n"
"{\n"
"	__shared__ int s[4];\n"
"	const int t = threadIdx.x;\n"
"	const bool first = (t & 31) == 0, low = t < 64;\n"
"	if (t < 4)\n"
"		s[t] = 0;\n"
"	__syncthreads();\n"
"	if (t < k && in[t % 128] > 0)\n"
"		atomicAdd(&s[1], 1);\n"
"	__syncthreads();\n"
"	if (!first || !low)\n"
"		;\n"
"	else\n"
"		atomicAdd(&s[2], t + 1);\n"
"	__syncthreads();\n"
"	if (first && in[t % 128] < 0)\n"
"		atomicAdd(&s[3], t);\n"
"	__syncthreads();\n"
"	if (t == 0)\n"
"		for (int i = 1; i < 4; i++)\n"
"			out[blockIdx.x * 3 + i - 1] = s[i];\n"
"}\n"
"\n"
"/* the same per row of a 2-D block */\n"
"extern \"C\" __global__ void narrow2d(int *out)\n"
"{\n"
"	__shared__ int c;\n"
"	if (threadIdx.x == 0 && threadIdx.y == 0)\n"
"		c = 0;\n"
"	__syncthreads();\n"
"	if (threadIdx.x < 2)\n"
"		atomicAdd(&c, threadIdx.y + 1);\n"
"	__syncthreads();\n"
"	if (threadIdx.x == 0 && threadIdx.y == 0)\n"
"		out[blockIdx.x] = c;\n"
"}\n"
"\n"
"/* the same by the linear index: block.thread_rank() (<, ==, <=) and\n"
" * threadIdx.x + blockDim.x * threadIdx.y written out; x <= that index, so\n"
" * each row's leading threads hold the working ones (37 is in row 0 or\n"
" * past it: then all run) */\n"
"extern \"C\" __global__ void narrowlin(const int *in, int *out)\n"
"{\n"
"	__shared__ int s[4];\n"
"	cg::thread_block b = cg::this_thread_block();\n"
"	const unsigned r = b.thread_rank();\n"
"	if (threadIdx.x + blockDim.x * threadIdx.y < 4)\n"
"		s[threadIdx.x + blockDim.x * threadIdx.y] = 0;\n"
"	b.sync();\n"
"	if (r == 0)\n"
"		atomicAdd(&s[0], in[0] + 1);\n"
"	if (r < 5)\n"
"		atomicAdd(&s[1], (int)r + in[r]);\n"
"	b.sync();\n"
"	if (r == 37)\n"
"		atomicAdd(&s[2], 37 + in[3]);\n"
"	if (r <= 9)\n"
"		atomicAdd(&s[3], 1);\n"
"	b.sync();\n"
"	if (r < 4)\n"
"		out[4 * blockIdx.x + r] = s[r];\n"
"}\n"
"\n"
"/* a halo tile: the apron loaded by the tile's edge threads (tx == 0,\n"
" * tx == 15, ty == 0, ty == 15); with 17 columns tx == 15 is inside a row */\n"
"extern \"C\" __global__ void halo(const int *in, int *out)\n"
"{\n"
"	__shared__ int t[18][18];\n"
"	const int tx = threadIdx.x, ty = threadIdx.y;\n"
"	if (tx < 16)\n"
"		t[ty + 1][tx + 1] = in[(ty * 16 + tx) % 128];\n"
"	if (tx == 0)\n"
"		t[ty + 1][0] = -1 - ty;\n"
"	if (tx == 15)\n"
"		t[ty + 1][17] = 100 + ty;\n"
"	if (ty == 0 && tx < 16)\n"
"		t[0][tx + 1] = 200 + tx;\n"
"	if (ty == 15 && tx < 16)\n"
"		t[17][tx + 1] = 300 + tx;\n"
"	__syncthreads();\n"
"	if (tx < 16)\n"
"		out[blockIdx.x * 256 + ty * 16 + tx] = t[ty][tx + 1] + 2 * t[ty + 2][tx + 1] +\n"
"						 3 * t[ty + 1][tx] + 5 * t[ty + 1][tx + 2];\n"
"}\n"
"\n"
"/* the same in a loop, with 5 values the same in every thread live across\n"
" * its barriers (the block's last thread keeps them: the edge threads apart\n"
" * must not lose them) */\n"
"extern \"C\" __global__ void halou(const int *in, int *out, int rounds)\n"
"{\n"
"	__shared__ int t[18][18], base[4];\n"
"	const int tx = threadIdx.x, ty = threadIdx.y;\n"
"	if (tx < 4 && ty == 0)\n"
"		base[tx] = in[tx] & 15;\n"
"	__syncthreads();\n"
"	const int b0 = base[0], b1 = base[1], b2 = base[2], b3 = base[3];\n"
"	int acc = 0;\n"
"	for (int r = 0; r < rounds; r++) {\n"
"		if (tx < 16)\n"
"			t[ty + 1][tx + 1] = in[(ty * 16 + tx + r) % 128] + b0;\n"
"		if (tx == 0)\n"
"			t[ty + 1][0] = b1 - ty;\n"
"		if (tx == 15)\n"
"			t[ty + 1][17] = b2 + ty;\n"
"		if (ty == 0 && tx < 16)\n"
"			t[0][tx + 1] = b3 + tx;\n"
"		if (ty == 15 && tx < 16)\n"
"			t[17][tx + 1] = b0 * tx;\n"
"		__syncthreads();\n"
"		if (tx < 16)\n"
"			acc += t[ty][tx + 1] + 2 * t[ty + 2][tx + 1] + 3 * t[ty + 1][tx] + 5 * t[ty + 1][tx + 2];\n"
"		__syncthreads();\n"
"	}\n"
"	if (tx < 16)\n"
"		out[blockIdx.x * 256 + ty * 16 + tx] = acc + b1 + b2 + b3;\n"
"}\n"
"\n"
"/* a 2.5-D stencil's tile of 32 x 4 threads, nx not a multiple of 32 and\n"
" * ny short of the tile (a partial tile at the grid's edge): rows 1 and 2\n"
" * run threads 1 .. 30 as one masked vector loop, their first and last\n"
" * threads once every row has run, with the values kept per thread across\n"
" * the barriers (below, cur, above) */\n"
"extern \"C\" __global__ void halo32(const int *in, int *out, int nx, int ny, int nz)\n"
"{\n"
"	__shared__ int t[6][34];\n"
"	const int tx = threadIdx.x, ty = threadIdx.y;\n"
"	const int x = blockIdx.x * 32 + tx, y = ty;\n"
"	const bool inside = x < nx && y < ny;\n"
"	const int xy = y * nx + x, slice = nx * ny;\n"
"	int below = 0, cur = inside ? in[xy] : 0, above = inside && nz > 1 ? in[slice + xy] : 0;\n"
"	for (int z = 0; z < nz; z++) {\n"
"		const int *p = in + z * slice;\n"
"		t[ty + 1][tx + 1] = cur;\n"
"		if (tx == 0)\n"
"			t[ty + 1][0] = x > 0 && y < ny ? p[xy - 1] : -7;\n"
"		if (tx == 31)\n"
"			t[ty + 1][33] = x + 1 < nx && y < ny ? p[xy + 1] : -9;\n"
"		if (ty == 0)\n"
"			t[0][tx + 1] = -3 * tx;\n"
"		if (ty == 3)\n"
"			t[5][tx + 1] = 11 + x;\n"
"		__syncthreads();\n"
"		if (inside)\n"
"			out[z * slice + xy] = 3 * cur + t[ty + 1][tx] + 2 * t[ty + 1][tx + 2] + 5 * t[ty][tx + 1] +\n"
"					      7 * t[ty + 2][tx + 1] + 13 * below + 17 * above;\n"
"		__syncthreads();\n"
"		below = cur;\n"
"		cur = above;\n"
"		above = inside && z + 2 < nz ? in[(z + 2) * slice + xy] : 0;\n"
"	}\n"
"}\n"
"\n"
"/* a column of a 2.5-D stencil marched along z: each trip reads the plane\n"
" * above and writes one, `plane` ints apart (the pass prefetches a trip\n"
" * ahead: past the buffers' ends on the last trips, and before their start\n"
" * for the halo at x - 1 of the first block) */\n"
"extern \"C\" __global__ void march(const int *in, int *out, int plane, int nz)\n"
"{\n"
"	__shared__ int t[4][18];\n"
"	const int tx = threadIdx.x, ty = threadIdx.y;\n"
"	const int xy = blockIdx.x * 64 + ty * 16 + tx;\n"
"	int below = 0, cur = in[xy];\n"
"	for (int z = 0; z < nz; z++) {\n"
"		const int above = z + 1 < nz ? in[(z + 1) * plane + xy] : 0;\n"
"		t[ty][tx + 1] = cur;\n"
"		if (tx == 0)\n"
"			t[ty][0] = xy > 0 ? in[z * plane + xy - 1] : 0;\n"
"		if (tx == 15)\n"
"			t[ty][17] = xy + 1 < plane ? in[z * plane + xy + 1] : 0;\n"
"		__syncthreads();\n"
"		out[z * plane + xy] = below + 2 * cur + 3 * above + 5 * t[ty][tx] + 7 * t[ty][tx + 2] +\n"
"				      11 * t[(ty + 1) % 4][tx + 1];\n"
"		__syncthreads();\n"
"		below = cur;\n"
"		cur = above;\n"
"	}\n"
"}\n"
"\n"
"/* a region left two ways, chosen by a loop's count (a phi) that differs\n"
" * per thread: some threads return, the others meet at a barrier */\n"
"extern \"C\" __global__ void phiexit(const int *in, int *out)\n"
"{\n"
"	__shared__ int s[64], r[64];\n"
"	const int t = threadIdx.x;\n"
"	s[t] = in[t];\n"
"	r[t] = -7;\n"
"	__syncthreads();\n"
"	int k = 0;\n"
"	while (k < (s[t] & 3))\n"
"		k++;\n"
"	if (k == 2) {\n"
"		out[blockIdx.x * 64 + t] = 1000 + t;\n"
"		return;\n"
"	}\n"
"	r[t] = s[t] / 2 + k;\n"
"	__syncthreads();\n"
"	out[blockIdx.x * 64 + t] = r[t] + r[(t + 1) % 64];\n"
"}\n"
"\n"
"/* a warp per row: a warp-stride loop (trips differ by lane), then a\n"
" * shuffle loop whose counter is the same in every thread */\n"
"extern \"C\" __global__ void wrows(const int *in, int *out, int len)\n"
"{\n"
"	const int lane = threadIdx.x & 31, row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;\n"
"	int s = 0;\n"
"	for (int k = lane; k < len + row; k += 32)\n"
"		s += in[k % 128] * (k + 1);\n"
"	for (int off = 16; off > 0; off >>= 1)\n"
"		s += __shfl_down_sync(0xffffffffu, s, off);\n"
"	if (lane == 0)\n"
"		out[row] = s;\n"
"}\n"
"\n"
"/* float4 and int4 per thread, two, three and four components of each\n"
" * used (the vectoriser's loads of 16 threads' vectors, taken apart) */\n"
"extern \"C\" __global__ void aos4(const float4 *a, const int4 *b, float *o0, int *o1, float *o2)\n"
"{\n"
"	const int t = blockIdx.x * blockDim.x + threadIdx.x;\n"
"	const float4 u = a[t];\n"
"	const int4 v = b[t];\n"
"	o0[t] = u.x * 3.0f - u.w;\n"
"	o1[t] = v.y - v.z * 7 + v.w;\n"
"	o2[t] = u.x * v.x + u.y * v.y + u.z * v.z + u.w * v.w;\n"
"}\n"
"\n"
"/* interleaved stores with gaps in __shared__ memory, the gaps read\n"
" * before: s2[2t + 1] += s2[2t] (a Blelloch level) and a stride of 3 with\n"
" * two gaps; h's gap is written (as a short) between its load and the\n"
" * group's store, and w's by an 8-byte store from the slot below: their\n"
" * values are not the ones loaded */\n"
"extern \"C\" __global__ void gapfill(const int *in, int *out)\n"
"{\n"
"	__shared__ int s2[512], s3[768], h[512];\n"
"	__shared__ __align__(8) int w[512];\n"
"	const int t = threadIdx.x;\n"
"	for (int i = t; i < 768; i += 256)\n"
"		s3[i] = in[(i * 7) % 128] + i;\n"
"	for (int i = t; i < 512; i += 256) {\n"
"		s2[i] = in[i % 128] - i;\n"
"		h[i] = in[(i * 3) % 128] * 65536 + i;\n"
"		w[i] = in[(i * 5) % 128] - 7 * i;\n"
"	}\n"
"	__syncthreads();\n"
"	s2[2 * t + 1] += s2[2 * t];\n"
"	s3[3 * t + 2] = s3[3 * t] * 2 - s3[3 * t + 1];\n"
"	__syncthreads();\n"
"	const int a = h[2 * t];\n"
"	((short *)h)[4 * t] = (short)(t * 3);\n"
"	h[2 * t + 1] = a + 1;\n"
"	__syncthreads();\n"
"	const int b = w[2 * t + 1];\n"
"	*(long long *)&w[2 * t] = (long long)(t * 3);\n"
"	w[2 * t] = b + 1;\n"
"	__syncthreads();\n"
"	for (int i = t; i < 768; i += 256)\n"
"		out[i] = s3[i];\n"
"	for (int i = t; i < 512; i += 256) {\n"
"		out[768 + i] = s2[i];\n"
"		out[1280 + i] = h[i];\n"
"		out[1792 + i] = w[i];\n"
"	}\n"
"}\n"
"\n"
"/* values the same in every thread, each thread loading them from\n"
" * __shared__ memory, live across barriers: one, then five (the\n"
" * lowering keeps them per block, not per thread); threads past n leave\n"
" * first and store none */\n"
"extern \"C\" __global__ void unishared(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int s[256];\n"
"	const int t = threadIdx.x;\n"
"	if (t >= n)\n"
"		return;\n"
"	s[t] = in[t % 128] * (t + 1);\n"
"	__syncthreads();\n"
"	const int last = s[n - 1];\n"
"	__syncthreads();\n"
"	s[t] += last;\n"
"	__syncthreads();\n"
"	const int a = s[0], b = s[n / 2], c = s[n - 1], d = s[1], e = s[n - 2];\n"
"	__syncthreads();\n"
"	s[t] = a - b + c * 3 - d + e + last - t;\n"
"	__syncthreads();\n"
"	out[blockIdx.x * 256 + t] = s[n - 1 - t] + (int)blockIdx.x;\n"
"}\n"
"\n"
"/* a block scan whose second warp scan (of the warp totals, 8-byte sums)\n"
" * sits under a branch on the thread: warp 0's alone */\n"
"extern \"C\" __global__ void wscan0(const int *in, long long *out)\n"
"{\n"
"	__shared__ long long part[32];\n"
"	const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;\n"
"	long long v = (long long)in[threadIdx.x % 128] << 20 | threadIdx.x;\n"
"	for (unsigned d = 1; d < 32; d <<= 1) {\n"
"		const long long up = __shfl_up_sync(0xffffffffu, v, d);\n"
"		if (lane >= d)\n"
"			v += up;\n"
"	}\n"
"	if (lane == 31)\n"
"		part[warp] = v;\n"
"	__syncthreads();\n"
"	if (warp == 0) {\n"
"		long long t = lane < blockDim.x / 32 ? part[lane] : 0;\n"
"		for (unsigned d = 1; d < 32; d <<= 1) {\n"
"			const long long up = __shfl_up_sync(0xffffffffu, t, d);\n"
"			if (lane >= d)\n"
"				t += up;\n"
"		}\n"
"		part[lane] = t;\n"
"	}\n"
"	__syncthreads();\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] = v + (warp ? part[warp - 1] : 0);\n"
"}\n"
"\n"
"extern \"C\" __global__ void tailloop(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int tile[256];\n"
"	tile[threadIdx.x] = in[threadIdx.x] * 3;\n"
"	__syncthreads();\n"
"	if (threadIdx.x == 0) {\n"
"		int s = 0;\n"
"		for (int i = 0; i < n; i++)\n"
"			s += tile[i] ^ i;\n"
"		out[blockIdx.x] = s;\n"
"	}\n"
"}\n"
"\n"
"/* a pointer to a per-thread array kept in a variable (ping-pong buffers\n"
" * swapped in a loop): what is loaded through it differs per thread, and a\n"
" * loop bounded by it is not one every thread runs alike */\n"
"extern \"C\" __global__ void privptr(const int *in, int *out, int rounds, int j)\n"
"{\n"
"	int t = threadIdx.x, a[8], b[8];\n"
"	int *cur = a, *nxt = b;\n"
"	for (int i = 0; i < 8; i++)\n"
"		a[i] = in[(t * 8 + i) % 128] & 15;\n"
"	for (int r = 0; r < rounds; r++) {\n"
"		for (int i = 0; i < 8; i++)\n"
"			nxt[i] = cur[(i + 1) & 7] + r;\n"
"		int *tmp = cur;\n"
"		cur = nxt;\n"
"		nxt = tmp;\n"
"	}\n"
"	int v = cur[j & 7], s = 0, k;\n"
"	for (k = 0; k < cur[(j + 1) & 7]; k++)\n"
"		s += in[k] ^ t;\n"
"	__syncthreads();\n"
"	out[3 * t] = v;\n"
"	out[3 * t + 1] = s;\n"
"	out[3 * t + 2] = k;\n"
"}\n"
"\n"
"/* the warp exchange's halves: shuffles of 4 and 8 bytes that the whole block\n"
" * passes (the halves swap), then one warp's alone in a branch while the\n"
" * others wait at a barrier (its slots copied), then the whole block again */\n"
"extern \"C\" __global__ void xhalves(const int *in, long long *out)\n"
"{\n"
"	const int t = threadIdx.x, lane = t & 31, warp = t >> 5;\n"
"	const long long v = in[t & 127] + 1000LL * t;\n"
"	const unsigned a = __shfl_down_sync(0xffffffffu, (unsigned)v, 1);\n"
"	const long long b = __shfl_xor_sync(0xffffffffu, v << 20, 3);\n"
"	__syncthreads();\n"
"	long long c = b;\n"
"	if (warp == 1) {\n"
"		c = __shfl_up_sync(0xffffffffu, b + a, 2);\n"
"		c += __shfl_sync(0xffffffffu, (unsigned)c * 3u, (lane + 5) & 31);\n"
"	}\n"
"	__syncthreads();\n"
"	const unsigned d = __shfl_sync(0xffffffffu, a + (unsigned)c, (lane + 9) & 31);\n"
"	out[2 * (blockIdx.x * blockDim.x + t)] = d;\n"
"	out[2 * (blockIdx.x * blockDim.x + t) + 1] = __shfl_down_sync(0xffffffffu, c - d, 4);\n"
"}\n"
"\n"
"/* padded indices (x + (x >> 5)) and other shifts of the thread's x added to\n"
" * it, in rows of 48 and 100 threads: only shifts by 5 or more of x plus a\n"
" * multiple of 32 are the same for 32 threads at a time */\n"
"extern \"C\" __global__ void padidx(const int *in, int *out)\n"
"{\n"
"	__shared__ int s[2][4 + 128], u[2][8 + 160], q[256];\n"
"	const int x = threadIdx.x, y = threadIdx.y, g = (blockIdx.x * blockDim.y + y) * blockDim.x + x;\n"
"	s[y][x + (x >> 5)] = in[(x + 7 * y) & 127];\n"
"	u[y][(x + 32) + ((x + 32) >> 5)] = x;\n"
"	if (x == 0 && y == 0)\n"
"		for (int i = 0; i < 256; i++)\n"
"			q[i] = 3 * i + 1;\n"
"	__syncthreads();\n"
"	int *o = out + 6 * g;\n"
"	o[0] = s[y][x + (x >> 5)] + 1000 * u[y][(x + 32) + ((x + 32) >> 5)];\n"
"	o[1] = q[x + ((x + 16) >> 5)];\n"
"	o[2] = q[x + (x >> 4)];\n"
"	o[3] = q[x + 64 + ((x - 64) >> 6)];\n"
"	o[4] = q[x + (unsigned)(x + 32) / 64u + ((x + 96) >> 5)];\n"
"	o[5] = q[x + (x + 3) / 32];\n"
"}\n"
"\n"
"/* a Blelloch scan of n elements (padded indices; strides that change every\n"
" * step: the sweeps' thread loops narrowed to the guard's bound, their\n"
" * accesses not affine in the thread) in a block of n / 2 to n threads (odd\n"
" * sizes, partial warps), then a stride given at launch under a divergent\n"
" * test */\n"
"#define VP(i) ((i) + ((i) >> 5))\n"
"extern \"C\" __global__ void vstride(const int *in, int *out, int n, int k)\n"
"{\n"
"	__shared__ int s[512 + 16], r[4 * 256];\n"
"	const int t = threadIdx.x, b = blockDim.x;\n"
"	for (int i = t; i < n; i += b)\n"
"		s[VP(i)] = in[(i + 7 * blockIdx.x) & 127];\n"
"	for (int i = t; i < 4 * b; i += b)\n"
"		r[i] = -1;\n"
"	int off = 1;\n"
"	for (int d = n >> 1; d > 0; d >>= 1) {\n"
"		__syncthreads();\n"
"		if (t < d) {\n"
"			int ai = off * (2 * t + 1) - 1, bi = off * (2 * t + 2) - 1;\n"
"			s[VP(bi)] += s[VP(ai)];\n"
"		}\n"
"		off *= 2;\n"
"	}\n"
"	__syncthreads();\n"
"	if (t == 0)\n"
"		s[VP(n - 1)] = 0;\n"
"	for (int d = 1; d < n; d *= 2) {\n"
"		off >>= 1;\n"
"		__syncthreads();\n"
"		if (t < d) {\n"
"			int ai = off * (2 * t + 1) - 1, bi = off * (2 * t + 2) - 1;\n"
"			int v = s[VP(ai)];\n"
"			s[VP(ai)] = s[VP(bi)];\n"
"			s[VP(bi)] += v;\n"
"		}\n"
"	}\n"
"	__syncthreads();\n"
"	if (t % 3 != 1)\n"
"		r[t * k] = 2 * s[VP(t)] + t;\n"
"	__syncthreads();\n"
"	for (int i = t; i < n; i += b)\n"
"		out[2 * 512 * blockIdx.x + i] = s[VP(i)];\n"
"	out[2 * 512 * blockIdx.x + 512 + t] = r[t * k];\n"
"}\n"
"\n"
"/* the same scan over a constant 256 elements (n / 2 = 128 threads' work):\n"
" * loops with barriers and constant trips, unrolled whole before they are\n"
" * cut (each level's offset a constant), in blocks of 128, 200 (threads past\n"
" * every level's bound), 100 and 37 (partial levels: the threads the bound\n"
" * names but the block lacks) threads; a second up-sweep counts with a shift\n"
" * by 4 of the padded index */\n"
"#define VP4(i) ((i) + ((i) >> 4))\n"
"extern \"C\" __global__ void vconst(const int *in, int *out)\n"
"{\n"
"	__shared__ int s[256 + 8], q[256 + 16];\n"
"	const int t = threadIdx.x, b = blockDim.x;\n"
"	for (int i = t; i < 256; i += b) {\n"
"		s[VP(i)] = in[(i + 5 * blockIdx.x) & 127];\n"
"		q[VP4(i)] = in[(i + 3 * blockIdx.x) & 127] - i;\n"
"	}\n"
"	int off = 1;\n"
"	for (int d = 256 >> 1; d > 0; d >>= 1) {\n"
"		__syncthreads();\n"
"		if (t < d) {\n"
"			int ai = off * (2 * t + 1) - 1, bi = off * (2 * t + 2) - 1;\n"
"			s[VP(bi)] += s[VP(ai)];\n"
"			q[VP4(bi)] += q[VP4(ai)] ^ t;\n"
"		}\n"
"		off *= 2;\n"
"	}\n"
"	__syncthreads();\n"
"	if (t == 0)\n"
"		s[VP(255)] = 0;\n"
"	for (int d = 1; d < 256; d *= 2) {\n"
"		off >>= 1;\n"
"		__syncthreads();\n"
"		if (t < d) {\n"
"			int ai = off * (2 * t + 1) - 1, bi = off * (2 * t + 2) - 1;\n"
"			int v = s[VP(ai)];\n"
"			s[VP(ai)] = s[VP(bi)];\n"
"			s[VP(bi)] += v;\n"
"		}\n"
"	}\n"
"	__syncthreads();\n"
"	for (int i = t; i < 256; i += b) {\n"
"		out[512 * blockIdx.x + i] = s[VP(i)];\n"
"		out[512 * blockIdx.x + 256 + i] = q[VP4(i)];\n"
"	}\n"
"}\n"
"\n"
"/* scan_blelloch's shape over 8-byte values: a helper with barriers scans 512\n"
" * padded elements of a block of 256 in place; each level's pair s[VP(lo)],\n"
" * s[VP(lo + off)] a constant apart in its thread loop (rebaseSiblings) */\n"
"__device__ long long vpscan(long long *s)\n"
"{\n"
"	const int t = threadIdx.x;\n"
"	for (int off = 1; off < 512; off *= 2) {\n"
"		__syncthreads();\n"
"		if (t < 256 / off) {\n"
"			const int lo = off * (2 * t + 1) - 1;\n"
"			s[VP(lo + off)] += s[VP(lo)];\n"
"		}\n"
"	}\n"
"	__syncthreads();\n"
"	const long long total = s[VP(511)];\n"
"	__syncthreads();\n"
"	if (t == 0)\n"
"		s[VP(511)] = 0;\n"
"	for (int off = 256; off > 0; off /= 2) {\n"
"		__syncthreads();\n"
"		if (t < 256 / off) {\n"
"			const int lo = off * (2 * t + 1) - 1;\n"
"			const long long v = s[VP(lo)];\n"
"			s[VP(lo)] = s[VP(lo + off)];\n"
"			s[VP(lo + off)] += v;\n"
"		}\n"
"	}\n"
"	__syncthreads();\n"
"	return total;\n"
"}\n"
"extern \"C\" __global__ void vpairs(const int *in, int *out)\n"
"{\n"
"	__shared__ long long s[VP(512)];\n"
"	const int t = threadIdx.x;\n"
"	s[VP(t)] = in[(t + 3 * blockIdx.x) & 127] * 3000000019LL;\n"
"	s[VP(t + 256)] = in[(t + 256 + 3 * blockIdx.x) & 127] * 3000000019LL - t;\n"
"	const long long total = vpscan(s);\n"
"	out[600 * blockIdx.x + t] = (int)(s[VP(t)] % 1000003);\n"
"	out[600 * blockIdx.x + 256 + t] = (int)(s[VP(t + 256)] % 1000003);\n"
"	if (t == 0)\n"
"		out[600 * blockIdx.x + 512] = (int)(total % 1000003);\n"
"}\n"
"\n"
"/* a warp's last lane, or one lane of 32, stores its value; threads read the\n"
" * value of their warp, of the warp before, of their eight, under tests that\n"
" * differ between them, and one lane of 16 reads the input (vectorised: loads\n"
" * and stores of one address, or of one lane, among those of several) */\n"
"extern \"C\" __global__ void vlanes(const int *in, int *out)\n"
"{\n"
"	__shared__ unsigned w[64], q[64];\n"
"	const int t = threadIdx.x, warp = t >> 5;\n"
"	unsigned *o = (unsigned *)out + 400 * blockIdx.x;\n"
"	const unsigned v = in[(t + 7 * blockIdx.x) & 127] + t;\n"
"	for (int i = t; i < 64; i += blockDim.x) {\n"
"		w[i] = 1000 + i;\n"
"		q[i] = 2000 + i;\n"
"	}\n"
"	__syncthreads();\n"
"	if ((t & 31) == 31)\n"
"		w[warp] = v;\n"
"	if (((t + 5) & 31) == 0)\n"
"		w[32 + warp] = 3 * v;\n"
"	if ((t & 7) == 3)\n"
"		q[t >> 3] = 5 * v;\n"
"	__syncthreads();\n"
"	const unsigned a = warp ? w[warp - 1] : 0;\n"
"	const unsigned b = t % 3 ? w[32 + (t >> 4) / 2] : 1;\n"
"	const unsigned c = t % 5 ? q[t >> 3] : 2;\n"
"	const unsigned d = (t & 15) == 9 ? in[t * 5 & 127] : 3;\n"
"	const unsigned e = t & 1 ? q[(t + 5) >> 4] : 4;\n"
"	o[128 + t] = a + 3 * b + 5 * c + 7 * d + 11 * e;\n"
"	for (int i = t; i < 64; i += blockDim.x) {\n"
"		o[i] = w[i];\n"
"		o[64 + i] = q[i];\n"
"	}\n"
"}\n"
"\n"
"/* loops that read and write __shared__ memory only at addresses that do not\n"
" * step with the thread (a permutation, a compare-exchange of padded indices\n"
" * with the partner t ^ j) under divergent tests, in blocks of odd sizes: such\n"
" * thread loops stay scalar */\n"
"extern \"C\" __global__ void shscatter(const int *in, int *out)\n"
"{\n"
"	__shared__ int s[2 * 544];\n"
"	const int t = threadIdx.x, b = blockDim.x;\n"
"	for (int i = t; i < 2 * b; i += b)\n"
"		s[VP(i)] = in[(i + 3 * blockIdx.x) & 127];\n"
"	__syncthreads();\n"
"	if (t % 5 != 2)\n"
"		s[VP(t * 7 % b + b)] += 3 * s[VP(t * 3 % b)] + t;\n"
"	for (int j = 1; j < b; j <<= 1) {\n"
"		__syncthreads();\n"
"		const int p = t ^ j;\n"
"		if (p > t && p < b && s[VP(t)] > s[VP(p)]) {\n"
"			const int v = s[VP(t)];\n"
"			s[VP(t)] = s[VP(p)];\n"
"			s[VP(p)] = v;\n"
"		}\n"
"	}\n"
"	__syncthreads();\n"
"	for (int i = t; i < 2 * b; i += b)\n"
"		out[2 * 512 * blockIdx.x + i] = s[VP(i)];\n"
"}\n"
"\n"
"/* the halves of each warp shuffling in the two sides of a branch, in a loop\n"
" * every thread runs alike: the groups run apart, each with its own counter */\n"
"extern \"C\" __global__ void halfwarps(const int *in, int *out, int m)\n"
"{\n"
"	int t = threadIdx.x, lane = t & 31, v = in[t], acc = 0;\n"
"	for (int k = 0; k < m; k++) {\n"
"		int x;\n"
"		if (lane < 16)\n"
"			x = __shfl_sync(0x0000ffffu, v, (lane + k) & 15);\n"
"		else\n"
"			x = __shfl_sync(0xffff0000u, v, 16 + ((lane + 2 * k) & 15));\n"
"		acc += x * (k + 1);\n"
"	}\n"
"	__syncthreads();\n"
"	out[t] = acc;\n"
"}\n"
"\n"
"/* a tile's halves pass a warp sync apart, then vote together; a coalesced\n"
" * group in a divergent branch; __match_all_sync over groups of 4 */\n"
"extern \"C\" __global__ void tilevote(const int *in, int *out)\n"
"{\n"
"	int t = threadIdx.x, lane = t & 31, v = in[t], *o = out + 8 * t, pred;\n"
"	cg::thread_block_tile<16> g = cg::tiled_partition<16>(cg::this_thread_block());\n"
"	if ((lane & 15) < 8)\n"
"		__syncwarp(0xffu << (lane & 16));\n"
"	else\n"
"		__syncwarp(0xff00u << (lane & 16));\n"
"	o[0] = g.all(v > -1001) + 2 * g.all(v > -280);\n"
"	o[1] = g.any(v > 600);\n"
"	o[2] = (int)g.ballot(v > 0);\n"
"	if (v & 1) {\n"
"		cg::coalesced_group c = cg::coalesced_threads();\n"
"		o[3] = (int)c.size() * 1000 + (int)c.thread_rank();\n"
"		o[4] = c.shfl(v, 0);\n"
"		o[5] = (int)c.ballot(v > 0);\n"
"	}\n"
"	o[6] = (int)__match_all_sync(0xfu << (lane & 28), (v >> 31) + 1, &pred) + pred * 7;\n"
"}\n"
"\n"
"/* a grid-stride loop: trips differ between threads (run as a loop every\n"
" * thread of the block runs alike, each thread's body only in range) */\n"
"extern \"C\" __global__ void gstride(const int *in, int *out, int n)\n"
"{\n"
"	int acc = 0, cnt = 0;\n"
"	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {\n"
"		acc += in[i % 128] * (i & 7);\n"
"		cnt++;\n"
"	}\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] = acc * 1000 + cnt;\n"
"}\n"
"\n"
"/* a grid-stride loop streaming through memory (its trips prefetched four\n"
" * ahead, every line of a row: past the buffers' ends on the last trips):\n"
" * each thread's sum in its own order, odd values only, and a store a trip */\n"
"extern \"C\" __global__ void gsum(const unsigned *in, unsigned *copy, unsigned *out, int n)\n"
"{\n"
"	unsigned acc = 7;\n"
"	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {\n"
"		const unsigned v = in[i];\n"
"		if (v & 1)\n"
"			acc = acc * 31 + v;\n"
"		copy[i] = v ^ acc;\n"
"	}\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] = acc;\n"
"}\n"
"\n"
"/* a block-stride loop over a row whose body calls expf (run as a block-\n"
"   uniform loop: the calls vectorise across the threads) */\n"
"extern \"C\" __global__ void bstride(const float *x, float *out, int h)\n"
"{\n"
"	const float *row = x + blockIdx.x * h;\n"
"	float s = 0.f;\n"
"	int cnt = 0;\n"
"	for (int c = threadIdx.x; c < h; c += blockDim.x) {\n"
"		s += expf(row[c] - 1.f);\n"
"		cnt++;\n"
"	}\n"
"	out[blockIdx.x * blockDim.x + threadIdx.x] = s + 1000.f * cnt;\n"
"}\n"
"\n"
"/* layernorm_cg's shape: block-stride loops around barriers, with uniform\n"
"   values enough that the block's last thread keeps them for all; a trip\n"
"   region's last thread runs in the vector loop with the others, a copy of\n"
"   the region storing those values after it. Per-thread float sums in\n"
"   order, a count under a divergent test, the block's sum by thread 0 in\n"
"   thread order, a second loop using it, the row's end missing threads */\n"
"extern \"C\" __global__ void lnstride(const float *x, float *y, float *st, int *cn, int h, float eps)\n"
"{\n"
"	__shared__ float sh[512], tot[2];\n"
"	const float *row = x + (size_t)blockIdx.x * h;\n"
"	float s = 0.f;\n"
"	int cnt = 0;\n"
"	for (int c = threadIdx.x; c < h; c += blockDim.x) {\n"
"		s += row[c];\n"
"		if (row[c] > 2.f)\n"
"			cnt += c;\n"
"	}\n"
"	sh[threadIdx.x] = s;\n"
"	__syncthreads();\n"
"	if (threadIdx.x == 0) {\n"
"		float t = 0.f;\n"
"		for (unsigned i = 0; i < blockDim.x; i++)\n"
"			t += sh[i];\n"
"		tot[0] = t / h;\n"
"	}\n"
"	__syncthreads();\n"
"	const float mean = tot[0];\n"
"	float sq = 0.f;\n"
"	for (int c = threadIdx.x; c < h; c += blockDim.x) {\n"
"		const float d = row[c] - mean;\n"
"		sq += d * d;\n"
"	}\n"
"	sh[threadIdx.x] = sq;\n"
"	__syncthreads();\n"
"	if (threadIdx.x == 0) {\n"
"		float t = 0.f;\n"
"		for (unsigned i = 0; i < blockDim.x; i++)\n"
"			t += sh[i];\n"
"		tot[1] = 1.f / sqrtf(t / h + eps);\n"
"	}\n"
"	__syncthreads();\n"
"	const float r = tot[1];\n"
"	for (int c = threadIdx.x; c < h; c += blockDim.x)\n"
"		y[(size_t)blockIdx.x * h + c] = (row[c] - mean) * r;\n"
"	st[blockIdx.x * blockDim.x + threadIdx.x] = s + sq;\n"
"	cn[blockIdx.x * blockDim.x + threadIdx.x] = cnt;\n"
"}\n"
"\n"
"/* block-stride loops of cheap arithmetic, also run as block-uniform loops:\n"
"   one starting at the block's end (the first thread has the fewest trips,\n"
"   the block's most not its), one whose index is read after it, a\n"
"   warp-stride one bounded by a value computed in its head, one after some\n"
"   threads returned */\n"
"extern \"C\" __global__ void rstride(const int *in, int *out, int n)\n"
"{\n"
"	int acc = 0, i, j, cnt = 0;\n"
"	for (i = (int)blockDim.x - 1 - (int)threadIdx.x; i < n; i += blockDim.x)\n"
"		acc += in[i % 128] + i;\n"
"	for (j = threadIdx.x + 3; j < n; j += blockDim.x)\n"
"		cnt++;\n"
"	out[2 * threadIdx.x] = acc;\n"
"	out[2 * threadIdx.x + 1] = j * 100 + cnt;\n"
"	acc = 0;\n"
"	for (int q = threadIdx.x & 31; q < n / 3; q += 32)\n"
"		acc += in[q % 128] * (q & 3);\n"
"	out[2 * blockDim.x + n + threadIdx.x] = acc;\n"
"	if (threadIdx.x < 5)\n"
"		return;\n"
"	for (int k = threadIdx.x; k < n; k += blockDim.x)\n"
"		out[2 * blockDim.x + k] = in[k % 128] * 2;\n"
"}\n"
"\n"
"/* strided loops whose distance to the bound passes 2^31 and 2^32 in few\n"
"   trips (large steps): the block's most trips bound every thread's (64-bit\n"
"   and 32-bit indices; a start that is not the thread's index plus a block\n"
"   value: a vote; one that is: the first thread's own count) */\n"
"extern \"C\" __global__ void wstride(unsigned long long n, int lo, long long b, int *out)\n"
"{\n"
"	const unsigned t = threadIdx.x;\n"
"	int c1 = 0, c2 = 0, c3 = 0, s1 = 0;\n"
"	for (unsigned long long i = t * 977ull; i < n; i += (1ull << 36) + 3) {\n"
"		c1++;\n"
"		s1 += (int)(i & 0xff);\n"
"	}\n"
"	for (int i = lo + (int)(t * 5); i < 2000000000; i += 1 << 27)\n"
"		c2 += 1 + (i & 1);\n"
"	for (long long i = b + threadIdx.x; i < (long long)n; i += 1ll << 35)\n"
"		c3++;\n"
"	out[4 * t] = c1;\n"
"	out[4 * t + 1] = s1;\n"
"	out[4 * t + 2] = c2;\n"
"	out[4 * t + 3] = c3;\n"
"}\n"
"\n"
"/* a strided loop that ends near the index type's end: the block's trips\n"
"   give threads 2 and 3 one past their last, whose index is past the bound;\n"
"   one trip more (a count rounded up) would wrap it into range */\n"
"extern \"C\" __global__ void wrapstride(unsigned long long n, unsigned long long s, int *out)\n"
"{\n"
"	int c = 0, z = 0;\n"
"	for (unsigned long long i = threadIdx.x; i < n; i += s) {\n"
"		c++;\n"
"		z += i < 4;\n"
"	}\n"
"	out[2 * threadIdx.x] = c;\n"
"	out[2 * threadIdx.x + 1] = z;\n"
"}\n"
"\n"
"/* several values the same in every thread live across barriers (loop\n"
"   counters, values read from memory): the block's last thread keeps\n"
"   them for all; blocks of one thread, one column, odd rows */\n"
"extern \"C\" __global__ void uniforms(const int *in, int *out, int m, int q)\n"
"{\n"
"	__shared__ int s[64];\n"
"	const int t = threadIdx.y * blockDim.x + threadIdx.x, n = blockDim.x * blockDim.y;\n"
"	int acc = 0;\n"
"	const int a = in[m] * 3 + q, b = q - in[q], c = m ^ in[m + q], d = a + b * c;\n"
"	for (int i = 0; i < m; i++) {\n"
"		for (int j = 0; j < q; j++) {\n"
"			s[t] = in[(t + i + j) % 128] + a;\n"
"			__syncthreads();\n"
"			acc += s[(t + 1) % n] * (j + 1) + b - c + d;\n"
"			__syncthreads();\n"
"		}\n"
"	}\n"
"	out[blockIdx.x * n + t] = acc + a + b + c + d;\n"
"}\n"
"\n"
"/* a 1-D block with 4 or more uniform values and bounds tests on the\n"
"   thread's element (`if (i < n)`) in regions between barriers: the driver\n"
"   runs the block's last row (threads up to the last, the last on its\n"
"   own) as a thread loop of its own, which gets the copy without the\n"
"   tests where they hold for all its threads; odd blocks, a partial last\n"
"   block */\n"
"extern \"C\" __global__ void lastrow(const int *x, int *y, int n, int m, int q)\n"
"{\n"
"	__shared__ int s[256];\n"
"	const int t = threadIdx.x, i = blockIdx.x * blockDim.x + t;\n"
"	const int a = x[m] * 3 + q, b = q - x[q], c = m ^ x[m + q], d = a + b * c;\n"
"	const int v = i < n ? x[i] : -1;\n"
"	s[t] = v;\n"
"	__syncthreads();\n"
"	const int w = s[(t + 1) % blockDim.x];\n"
"	__syncthreads();\n"
"	if (i < n)\n"
"		y[i] = v * a + w * b - c + d;\n"
"	s[t] = w ^ a;\n"
"	__syncthreads();\n"
"	if (i < n)\n"
"		y[i] += s[blockDim.x - 1 - t] * d + c;\n"
"}\n"
"\n"
"/* warps of a block in branches of their own, each with its ballots, a\n"
" * __syncthreads after: odd warps a ballot and an __any_sync, even warps a\n"
" * loop as long as any lane still has a bit to count (trips per warp); then\n"
" * a warp's halves each a ballot of their own lanes. A ballot's bits must\n"
" * reach its lanes whichever group passes its warp sync first */\n"
"extern \"C\" __global__ void divballot(const int *in, int *out)\n"
"{\n"
"	__shared__ int s[128];\n"
"	int t = threadIdx.x, lane = t & 31, v = in[(t + blockIdx.x * 37) % 128], r = 0;\n"
"	unsigned h;\n"
"	if (t & 32) {\n"
"		r = __popc(__ballot_sync(0xffffffffu, v & 1)) * 100 + __any_sync(0xffffffffu, v > 900);\n"
"	} else {\n"
"		for (int k = 0; __any_sync(0xffffffffu, k < (v & 7)); k++)\n"
"			r += __popc(__ballot_sync(0xffffffffu, (v >> k) & 1)) << (4 * k);\n"
"	}\n"
"	s[t] = r;\n"
"	__syncthreads();\n"
"	if (lane < 16) {\n"
"		h = __ballot_sync(0x0000ffffu, v > 0);\n"
"	} else {\n"
"		h = __ballot_sync(0xffff0000u, v < -300) >> 16;\n"
"		h |= (unsigned)__any_sync(0xffff0000u, v > 500) << 16;\n"
"	}\n"
"	int *o = out + 3 * (blockIdx.x * blockDim.x + t);\n"
"	o[0] = r;\n"
"	o[1] = s[t ^ 32];\n"
"	o[2] = (int)h;\n"
"}\n"
"\n"
"/* warp 0 takes a ballot and leaves while the other warps vote in a\n"
"   __syncthreads_count: neither's count may swallow the other's */\n"
"extern \"C\" __global__ void ballotvote(const int *in, int *out)\n"
"{\n"
"	int t = threadIdx.x, v = in[t];\n"
"	if (t < 32) {\n"
"		unsigned b = __ballot_sync(0xffffffffu, v & 1);\n"
"		out[t] = __popc(b) * 1000 + __popc(__ballot_sync(0xffffffffu, v > 0));\n"
"		return;\n"
"	}\n"
"	out[t] = __syncthreads_count(v > 0);\n"
"}\n"
"\n"
"/* neighbours chosen by tests (pathfinder's clamped l and r; each a load at\n"
" * t + sext or zext of an i1, made two masked loads and a blend), lanes that\n"
" * skip the work in a pattern, a pyramid shrinking by one a step */\n"
"extern \"C\" __global__ void chosen(const int *in, int *out, int lo, int hi, int steps)\n"
"{\n"
"	__shared__ int p[256], q[256];\n"
"	int t = threadIdx.x;\n"
"	p[t] = in[(blockIdx.x * blockDim.x + t) % 128] & 0xffff;\n"
"	__syncthreads();\n"
"	for (int i = 0; i < steps; i++) {\n"
"		int v = p[t];\n"
"		if ((t & 3) != 1 && t >= i) {\n"
"			int l = t - 1 < lo ? t : t - 1;\n"
"			int r = t + 1 > hi ? t : t + 1;\n"
"			v = min(min(p[l], p[t]), p[r]) + (t ^ i) + p[t + (t < hi)] % 7;\n"
"		}\n"
"		q[t] = v;\n"
"		__syncthreads();\n"
"		p[t] = q[t];\n"
"		__syncthreads();\n"
"	}\n"
"	out[blockIdx.x * blockDim.x + t] = p[t];\n"
"}\n"
"\n"
"/* loops of a few trips a thread, as few as __launch_bounds__' block size\n"
" * makes them (unrolled whole, each trip behind its test), after a barrier;\n"
" * a launch of more threads than the bound is refused */\n"
"/* CUDA 12's three-argument form (the third: blocks of a cluster) */\n"
"extern \"C\" __global__ void __launch_bounds__(64, 2, 1) bounds3(int *out)\n"
"{\n"
"	out[threadIdx.x] = threadIdx.x * 3;\n"
"}\n"
"\n"
"extern \"C\" __global__ void __launch_bounds__(128) boundloop(const int *in, int *out)\n"
"{\n"
"	__shared__ int s[128];\n"
"	int t = threadIdx.x, acc = 0, w, k = 0;\n"
"	s[t] = in[t];\n"
"	__syncthreads();\n"
"	for (w = 0; w < t / 32; w++)\n"
"		acc += s[w * 32 + (t & 31)] * (w + 1);\n"
"	for (int j = t & 3; j > 0; j--)\n"
"		k = k * 3 + j;\n"
"	out[t] = acc * 100 + w * 10 + k;\n"
"}\n"
"\n"
"/* per-thread arrays of sizes no multiple of 16 (clang aligns them to 16),\n"
" * one set by a memset, indexed by data in a loop every thread runs alike */\n"
"extern \"C\" __global__ void oddarrays(const int *in, int *out, int m)\n"
"{\n"
"	int t = threadIdx.x, a[5] = { 0, 0, 0, 0, 0 }, b[3];\n"
"	for (int i = 0; i < 3; i++)\n"
"		b[i] = t + i;\n"
"	for (int k = 0; k < m; k++) {\n"
"		int v = in[(t * 3 + k * 17) % 128];\n"
"		a[(v & 0x7fff) % 5] += v;\n"
"		b[k % 3] ^= v;\n"
"	}\n"
"	__syncthreads();\n"
"	for (int i = 0; i < 5; i++)\n"
"		out[t * 8 + i] = a[i];\n"
"	for (int i = 0; i < 3; i++)\n"
"		out[t * 8 + 5 + i] = b[i];\n"
"}\n"
"\n"
"/* shared atomics whose results are used: a ticket by atomicCAS, a chain by\n"
" * atomicExch; block votes in a loop and in a helper after an early return */\n"
"__device__ int votes_or(int v) { return __syncthreads_or(v); }\n"
"extern \"C\" __global__ void shvotes(const int *in, int *out, int m, int n)\n"
"{\n"
"	__shared__ int ctr, last;\n"
"	int t = threadIdx.x, old, acc = 0;\n"
"	if (t == 0)\n"
"		ctr = 0, last = -1;\n"
"	__syncthreads();\n"
"	do\n"
"		old = ctr;\n"
"	while (atomicCAS(&ctr, old, old + 1) != old);\n"
"	int prev = atomicExch(&last, t);\n"
"	__syncthreads();\n"
"	out[4 * t] = old;\n"
"	out[4 * t + 1] = prev;\n"
"	if (t == 0)\n"
"		out[4 * blockDim.x] = last;\n"
"	if (t >= n)\n"
"		return;\n"
"	for (int k = 0; k < m; k++) {\n"
"		acc += __syncthreads_count(in[t] > k * 100) * (k + 1);\n"
"		acc += votes_or(in[t] == k * 3) * 1000;\n"
"		acc += __syncthreads_and(in[t] > -900 + k * 10) * 100000;\n"
"	}\n"
"	out[4 * t + 2] = acc;\n"
"}\n"
"\n"
"extern \"C\" __global__ void shapes(const int *in, int *out, int n, int rounds)\n"
"{\n"
"	__shared__ int s[128];\n"
"	in += blockIdx.x * blockDim.x;\n"
"	out += blockIdx.x * 4;\n"
"	int total = block_sum(s, in[threadIdx.x]);\n"
"	int r = 0;\n"
"	while (true) {\n"
"		s[threadIdx.x] = in[(threadIdx.x + r) % blockDim.x];\n"
"		__syncthreads();\n"
"		if (s[0] > 900 || ++r >= rounds)\n"
"			break;\n"
"		__syncthreads();\n"
"	}\n"
"	if (threadIdx.x == 0) {\n"
"		out[0] = total;\n"
"		out[1] = r;\n"
"	}\n"
"	if (threadIdx.x >= 64)\n"
"		return;\n"
"	int w = __reduce_add_sync(0xffffffff, in[threadIdx.x]);\n"
"	if (threadIdx.x % 32 == 0)\n"
"		atomicAdd(&out[2], w);\n"
"}\n"
"\n"
"/* vote_ballot's shape: a warp-stride loop over a grid (its index kept per\n"
" * thread: warp syncs in it) with a ballot, an __any_sync skip and, in the\n"
" * lanes' divergent branch, an __activemask-aggregated atomic handing out\n"
" * list slots; partial warps name only their lanes. The lanes of a branch\n"
" * run 32 at a time after a warp sync */\n"
"extern \"C\" __global__ void warpsel(const int *in, int n, unsigned *bits, int *rank, int *list, int *count)\n"
"{\n"
"	const int lin = threadIdx.y * blockDim.x + threadIdx.x, lane = lin & 31;\n"
"	const int per = blockDim.x * blockDim.y, wpb = (per + 31) >> 5;\n"
"	const int lanes = per - (lin & ~31) < 32 ? per - (lin & ~31) : 32;\n"
"	const unsigned full = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;\n"
"	const int warp = blockIdx.x * wpb + (lin >> 5), warps = gridDim.x * wpb;\n"
"	for (int base = warp * 32; base < n; base += warps * 32) {\n"
"		const int i = base + lane;\n"
"		const bool hit = i < n && in[i] % 3 == 1;\n"
"		const unsigned b = __ballot_sync(full, hit);\n"
"		if (lane == 0)\n"
"			bits[base / 32] = b;\n"
"		if (!__any_sync(full, hit))\n"
"			continue;\n"
"		if (hit) {\n"
"			const unsigned active = __activemask();\n"
"			const int leader = __ffs(active) - 1;\n"
"			int slot = 0;\n"
"			if (lane == leader)\n"
"				slot = atomicAdd(count, __popc(active));\n"
"			slot = __shfl_sync(active, slot, leader);\n"
"			const int r = __popc(active & ((1u << lane) - 1));\n"
"			rank[i] = r + 100 * __popc(active);\n"
"			list[slot + r] = i;\n"
"		}\n"
"	}\n"
"}\n"
"\n"
"/* backprop_layer's shapes, whose blocks' rows the drivers prefetch a block\n"
" * ahead: an element-wise update over a 2-D index with an early return on\n"
" * both dimensions, and a tile's products reduced down its rows (a barrier\n"
" * per step) with partial tiles at the grid's edges */\n"
"extern \"C\" __global__ void tileupd(const int *a, const int *b, const int *c, int *o, int *o2, int rows, int cols)\n"
"{\n"
"	const int j = blockIdx.x * blockDim.x + threadIdx.x;\n"
"	const int i = blockIdx.y * blockDim.y + threadIdx.y;\n"
"	if (i >= rows || j >= cols)\n"
"		return;\n"
"	const size_t k = (size_t)i * cols + j;\n"
"	const int step = 3 * (b[j] * c[i]) + a[k];\n"
"	o[k] = a[k] + step;\n"
"	o2[k] = step;\n"
"}\n"
"\n"
"extern \"C\" __global__ void tilecols(const int *w, const int *x, int *part, int rows, int cols)\n"
"{\n"
"	__shared__ int x_s[16];\n"
"	__shared__ int prod[16][33];\n"
"	const int tx = threadIdx.x, ty = threadIdx.y;\n"
"	const int j = blockIdx.x * blockDim.x + tx, i = blockIdx.y * blockDim.y + ty;\n"
"	if (tx == 0)\n"
"		x_s[ty] = i < rows ? x[i] : 0;\n"
"	__syncthreads();\n"
"	prod[ty][tx] = i < rows && j < cols ? w[(size_t)i * cols + j] * x_s[ty] : 0;\n"
"	__syncthreads();\n"
"	for (int step = 1; step < blockDim.y; step <<= 1) {\n"
"		if (ty % (2 * step) == 0 && ty + step < blockDim.y)\n"
"			prod[ty][tx] += prod[ty + step][tx];\n"
"		__syncthreads();\n"
"	}\n"
"	if (ty == 0 && j < cols)\n"
"		part[(size_t)blockIdx.y * cols + j] = prod[0][tx] + 1;\n"
"}\n"
"\n"
"/* a block sum whose last step is one warp's: shuffles in a branch whole warps\n"
" * take or skip (threadIdx.x < 32: whole warps only where warps lie in one\n"
" * row), a value set in it, a divisor and an atomic only its threads may touch */\n"
"extern \"C\" __global__ void wbranch(const int *in, const int *div, int *out, int *count, int *wsum)\n"
"{\n"
"	__shared__ int part[32];\n"
"	const unsigned n = blockDim.x * blockDim.y, t = threadIdx.x + blockDim.x * threadIdx.y;\n"
"	const unsigned lane = t & 31, warp = t >> 5, nw = (n + 31) / 32;\n"
"	const int *blk = in + blockIdx.x * n;\n"
"	int v = blk[t];\n"
"	for (int o = 16; o > 0; o >>= 1)\n"
"		v += __shfl_xor_sync(0xffffffffu, v, o);\n"
"	if (lane == 0)\n"
"		part[warp] = v;\n"
"	__syncthreads();\n"
"	int r = (int)t;\n"
"	if (threadIdx.x < 32) {\n"
"		int w = lane < nw ? part[lane] : 0;\n"
"		w += blk[t] / div[blockIdx.x * n + t];\n"
"		for (int o = 16; o > 0; o >>= 1)\n"
"			w += __shfl_xor_sync(0xffffffffu, w, o);\n"
"		r = w;\n"
"		if (lane == 0) {\n"
"			atomicAdd(count, 1);\n"
"			wsum[blockIdx.x * nw + warp] = w;\n"
"		}\n"
"	}\n"
"	out[blockIdx.x * n + t] = r;\n"
"}\n"
"\n"
"/* the same with cooperative groups: the first tile reduces the tiles' sums */\n"
"extern \"C\" __global__ void wbranch_cg(const int *in, int *out, int *count)\n"
"{\n"
"	__shared__ int part[33];\n"
"	cg::thread_block b = cg::this_thread_block();\n"
"	cg::thread_block_tile<32> tile = cg::tiled_partition<32>(b);\n"
"	const unsigned t = b.thread_rank(), n = b.size();\n"
"	int v = cg::reduce(tile, in[blockIdx.x * n + t], cg::plus<int>());\n"
"	if (tile.thread_rank() == 0)\n"
"		part[tile.meta_group_rank()] = v;\n"
"	b.sync();\n"
"	int r = -(int)t;\n"
"	if (tile.meta_group_rank() == 0) {\n"
"		int w = tile.thread_rank() < tile.meta_group_size() ? part[tile.thread_rank()] : 0;\n"
"		w = cg::reduce(tile, w, cg::plus<int>());\n"
"		if (tile.thread_rank() == 0) {\n"
"			part[32] = w;\n"
"			atomicAdd(count, 1);\n"
"		}\n"
"		r = w + (int)tile.thread_rank();\n"
"	}\n"
"	b.sync();\n"
"	out[blockIdx.x * n + t] = r + part[32];\n"
"}\n"
"\n"
"/* the same by hand in a 2-D block: the first warp of x + blockDim.x * y */\n"
"extern \"C\" __global__ void wbranch2d(const int *in, int *out, int *count)\n"
"{\n"
"	__shared__ int part[33];\n"
"	const unsigned t = threadIdx.x + blockDim.x * threadIdx.y, n = blockDim.x * blockDim.y;\n"
"	int v = in[blockIdx.x * n + t];\n"
"	for (int o = 16; o > 0; o >>= 1)\n"
"		v += __shfl_xor_sync(0xffffffffu, v, o);\n"
"	if ((t & 31) == 0)\n"
"		part[t >> 5] = v;\n"
"	__syncthreads();\n"
"	int r = -(int)t;\n"
"	if (t >> 5 == 0) {\n"
"		int w = t < (n + 31) / 32 ? part[t] : 0;\n"
"		for (int o = 16; o > 0; o >>= 1)\n"
"			w += __shfl_xor_sync(0xffffffffu, w, o);\n"
"		if (t == 0) {\n"
"			part[32] = w;\n"
"			atomicAdd(count, 1);\n"
"		}\n"
"		r = w + (int)t;\n"
"	}\n"
"	__syncthreads();\n"
"	out[blockIdx.x * n + t] = r + part[32];\n"
"}\n"
"\n"
"/* warps 1 and 2 alone reduce their own values, a cg::reduce and a loop of\n"
" * shuffles (a sum, an xor): every warp runs the branch, the others'\n"
" * results discarded */\n"
"extern \"C\" __global__ void wbranch_mid(const int *in, int *out)\n"
"{\n"
"	cg::thread_block b = cg::this_thread_block();\n"
"	cg::thread_block_tile<32> tile = cg::tiled_partition<32>(b);\n"
"	const unsigned t = b.thread_rank(), n = b.size(), w = tile.meta_group_rank();\n"
"	const int x = in[blockIdx.x * n + t];\n"
"	int r = -(int)t;\n"
"	if (w - 1 < 2) {	/* warps 1 and 2 */\n"
"		const int s = cg::reduce(tile, x, cg::plus<int>());\n"
"		int m = x;\n"
"		for (int o = 16; o > 0; o >>= 1)\n"
"			m ^= __shfl_xor_sync(0xffffffffu, m, o);\n"
"		r = s * 3 + m;\n"
"	}\n"
"	out[blockIdx.x * n + t] = r;\n"
"}\n"
"\n"
"/* two elements a thread a block apart, an offset every thread reads\n"
" * (scan_blelloch's add_offsets): a loop per stream */\n"
"extern \"C\" __global__ void streams(int *out, const int *sums, int n)\n"
"{\n"
"	const int i = blockIdx.x * 512 + threadIdx.x;\n"
"	const int off = sums[blockIdx.x];\n"
"	if (i < n)\n"
"		out[i] += off;\n"
"	if (i + 256 < n)\n"
"		out[i + 256] += off;\n"
"}\n"
"\n"
"/* the second stream written first and read back for the first (d = 256,\n"
" * unknown to the compiler): one loop */\n"
"extern \"C\" __global__ void streams_back(const int *in, int *out, int d)\n"
"{\n"
"	const int i = blockIdx.x * 512 + threadIdx.x;\n"
"	out[i + 256] = in[i] * 3;\n"
"	out[i] = out[i + d] + 1;\n"
"}\n"
"\n"
"/* four items a thread staged in shared memory (warp_scan's tiles) */\n"
"extern \"C\" __global__ void streams4(const int *in, int *out)\n"
"{\n"
"	__shared__ int tile[4 * 128];\n"
"	const int base = blockIdx.x * 512, t = threadIdx.x;\n"
"	for (int j = 0; j < 4; j++)\n"
"		tile[j * 128 + t] = in[base + j * 128 + t];\n"
"	__syncthreads();\n"
"	for (int j = 0; j < 4; j++)\n"
"		out[base + j * 128 + t] = tile[(j * 128 + t + 1) % 512] - j;\n"
"}\n";

static vgpu_session *s;
static vgpu_module *m;

/* kernel @k on @grid blocks of @bx x @by threads */
/* kernel @k of module @mod over @grid blocks of @bx x @by threads */
static int launch_in(vgpu_module *mod, const char *k, unsigned grid, unsigned bx, unsigned by, unsigned shm,
		     struct vgpu_arg *a, int n)
{
	struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { grid, 1, 1 },
				     .block = { bx, by, 1 }, .shared_bytes = shm };
	vgpu_kernel *kk;
	int ret = vgpu_kernel_get(mod, k, &kk);

	if (!ret)
		ret = vgpu_launch(kk, &c, a, n);
	if (ret)
		tap_diag("%s: %s", k, vgpu_last_error(s));
	return ret;
}

static int launch2(const char *k, unsigned grid, unsigned bx, unsigned by, unsigned shm, struct vgpu_arg *a, int n)
{
	return launch_in(m, k, grid, bx, by, shm, a, n);
}

static int launch(const char *k, unsigned grid, unsigned block, unsigned shm, struct vgpu_arg *a, int n)
{
	return launch2(k, grid, block, 1, shm, a, n);
}

/* a buffer holding n bytes of p (zeros if p is NULL) */
static vgpu_buffer *buf(const void *p, size_t n)
{
	vgpu_buffer *b = NULL;
	void *z = NULL;

	if (vgpu_buffer_alloc(s, n, &b))
		return NULL;
	if (!p)
		p = z = calloc(1, n);
	vgpu_buffer_write(b, 0, p, n);
	free(z);
	return b;
}

static int get(vgpu_buffer *b, void *p, size_t n)
{
	return vgpu_buffer_read(b, 0, p, n);
}

/* lane l's value after the step "v = op(v, shuffle by m)" on one warp of
 * @lanes lanes (xor: lane l ^ m; down: lane l + m; past the warp: its own) */
#define SHFL_STEP(T, v, lanes, m, down, op)					\
	do {									\
		T n_[32];							\
		for (int j_ = 0; j_ < (lanes); j_++) {				\
			const int s_ = (down) ? j_ + (m) : j_ ^ (m);		\
			const T a = v[j_], b = v[s_ < (lanes) ? s_ : j_];	\
			n_[j_] = (op);						\
		}								\
		memcpy(v, n_, sizeof(T) * (lanes));				\
	} while (0)

static void lowering(const char *name, char how[128]);

/* integer minima and maxima by loops of shuffles: one warp sync each (no
 * value kept across it: the counter's loop gone), bit for bit */
static void t_shflminmax(const int *in)
{
	enum { B = 48 };
	int oi[B], vi[B], os[B], vs[B];
	unsigned ou[B], vu[B];
	long long ol[B], vl[B];
	char hi[128], hu[128], hl[128], hs[128];
	int bad = 0;
	vgpu_buffer *I = buf(in, B * 4), *OI = buf(NULL, sizeof(oi)), *OU = buf(NULL, sizeof(ou)),
		    *OL = buf(NULL, sizeof(ol)), *OS = buf(NULL, sizeof(os));
	struct vgpu_arg ai[] = { vgpu_arg_buf(I), vgpu_arg_buf(OI) }, au[] = { vgpu_arg_buf(I), vgpu_arg_buf(OU) },
			al[] = { vgpu_arg_buf(I), vgpu_arg_buf(OL) }, as[] = { vgpu_arg_buf(I), vgpu_arg_buf(OS) };

	if (launch("shflimax", 1, B, 0, ai, 2) || launch("shflumin", 1, B, 0, au, 2) ||
	    launch("shfllmax", 1, B, 0, al, 2) || launch("shflsmax", 1, B, 0, as, 2) || get(OI, oi, sizeof(oi)) ||
	    get(OU, ou, sizeof(ou)) || get(OL, ol, sizeof(ol)) || get(OS, os, sizeof(os)))
		bad = 1;
	for (int w = 0; w < B && !bad; w += 32) {
		const int n = B - w < 32 ? B - w : 32;

		for (int j = 0; j < n; j++) {
			vi[j] = in[w + j] * 37 - 900;
			vu[j] = (unsigned)in[w + j] * 2654435761u;
			vl[j] = in[w + j] * 4294967296ll - (w + j) * 5;
			vs[j] = in[w + j] * 41 - 1000;
		}
		for (int d = 1; d < 32; d <<= 1)
			for (int j = n - 1; j >= d; j--)	/* from the top: lane j - d still holds the step's input */
				vs[j] = vs[j - d] > vs[j] ? vs[j - d] : vs[j];
		for (int m = 16; m > 0; m >>= 1) {
			SHFL_STEP(int, vi, n, m, 0, a < b ? b : a);
			SHFL_STEP(unsigned, vu, n, m, 1, b < a ? b : a);
		}
		for (int m = 1; m < 32; m <<= 1)
			SHFL_STEP(long long, vl, n, m, 0, b > a ? b : a);
		for (int j = 0; j < n && !bad; j++)
			if (oi[w + j] != vi[j] || ou[w + j] != vu[j] || ol[w + j] != vl[j] || os[w + j] != vs[j]) {
				tap_diag("shflminmax thread %d: %d %#x %lld %d vs %d %#x %lld %d", w + j, oi[w + j], ou[w + j],
					 ol[w + j], os[w + j], vi[j], vu[j], vl[j], vs[j]);
				bad = 1;
			}
	}
	lowering("shflimax", hi);
	lowering("shflumin", hu);
	lowering("shfllmax", hl);
	lowering("shflsmax", hs);
	tap_ok(!bad, "dialect: loops of shuffles with max() of int, min() of unsigned, a conditional expression of "
		     "long long, a running max() by __shfl_up_sync, over a warp and a partial one");
	const char *lw[] = { hi, hu, hl, hs }, *ln[] = { "shflimax", "shflumin", "shfllmax", "shflsmax" };

	bad = 0;
	for (int i = 0; i < 4; i++)
		if (!strstr(lw[i], "1 warp syncs), 0 bytes per thread and 0 uniform")) {
			tap_diag("%s lowering: %s", ln[i], lw[i]);
			bad = 1;
		}
	tap_ok(!bad, "dialect: each of those loops is one warp sync whose steps the driver runs (lowering: %s)", hi);
	vgpu_buffer_free(I);
	vgpu_buffer_free(OI);
	vgpu_buffer_free(OU);
	vgpu_buffer_free(OL);
	vgpu_buffer_free(OS);
}

static void t_shflloops(const int *in)
{
	enum { B = 48 };
	float of[B];
	double od[B];
	long long ol[B];
	unsigned ou[B];
	int bad = 0;
	vgpu_buffer *I = buf(in, B * 4), *F = buf(NULL, sizeof(of)), *D = buf(NULL, sizeof(od)),
		    *L = buf(NULL, sizeof(ol)), *U = buf(NULL, sizeof(ou));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(F), vgpu_arg_buf(D), vgpu_arg_buf(L), vgpu_arg_buf(U) };

	if (launch("shflloops", 1, B, 0, a, 5) || get(F, of, sizeof(of)) || get(D, od, sizeof(od)) ||
	    get(L, ol, sizeof(ol)) || get(U, ou, sizeof(ou)))
		bad = 1;
	for (int w = 0; w < B && !bad; w += 32) {
		const int n = B - w < 32 ? B - w : 32;
		float f[32];
		double d[32];
		long long l[32];
		unsigned u[32];

		for (int j = 0; j < n; j++) {
			f[j] = in[w + j] * 0.37f;
			d[j] = in[w + j] * 0.5 - 3.0;
			l[j] = ((long long)in[w + j] << 33) + w + j;
			u[j] = ~(1u << j) ^ (unsigned)in[w + j] << 20;
		}
		for (int m = 16; m > 0; m >>= 1) {
			SHFL_STEP(float, f, n, m, 1, a + b);
			SHFL_STEP(double, d, n, m, 0, fmax(a, b));
		}
		for (int m = 8; m > 0; m >>= 1)
			SHFL_STEP(long long, l, n, m, 1, a + b);
		for (int m = 1; m < 32; m <<= 1)
			SHFL_STEP(unsigned, u, n, m, 0, a & b);
		for (int j = 0; j < n && !bad; j++)
			if (memcmp(&of[w + j], &f[j], 4) || od[w + j] != d[j] || ol[w + j] != l[j] || ou[w + j] != u[j]) {
				tap_diag("shflloops thread %d: %a %g %lld %#x vs %a %g %lld %#x", w + j, of[w + j], od[w + j],
					 ol[w + j], ou[w + j], f[j], d[j], l[j], u[j]);
				bad = 1;
			}
	}
	tap_ok(!bad, "dialect: loops of __shfl_down_sync and __shfl_xor_sync (float +, double fmax, long long +, "
		     "unsigned &; 16 down, 8 down, 1 up) over a warp and a partial one, bit for bit");
	vgpu_buffer_free(I);
	vgpu_buffer_free(F);
	vgpu_buffer_free(D);
	vgpu_buffer_free(L);
	vgpu_buffer_free(U);
}

/* a warp scan's step "if (g >= m) v = op(v, __shfl_up_sync(mask, v, m))" on the
 * warp of @lanes lanes from thread @base, g of thread lin being @gexp (the
 * shuffle gives lane l the value of lane l - m, or its own below m) */
#define SCAN_STEP(T, v, base, lanes, m, gexp, op)				\
	do {									\
		T n_[32];							\
		for (int j_ = 0; j_ < (lanes); j_++) {				\
			const long long lin = (base) + j_;			\
			const T a = v[j_], b = v[j_ >= (m) ? j_ - (m) : j_];	\
			(void)lin;						\
			n_[j_] = (gexp) >= (m) ? (op) : a;			\
		}								\
		memcpy(v, n_, sizeof(T) * (lanes));				\
	} while (0)


static void t_shflscan(const int *in)
{
	enum { N = 64 };
	static const unsigned shapes[3][2] = { { 48, 1 }, { 32, 2 }, { 12, 4 } };
	unsigned ou[N], uu[3 * N];
	float of[N];
	double od[N];
	int oi[N], bad = 0;
	long long ol[N];
	char how[128];
	vgpu_buffer *I = buf(in, N * 4), *U = buf(NULL, sizeof(uu)), *F = buf(NULL, sizeof(of)),
		    *D = buf(NULL, sizeof(od)), *Ii = buf(NULL, sizeof(oi)), *L = buf(NULL, sizeof(ol));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(U), vgpu_arg_buf(F), vgpu_arg_buf(D), vgpu_arg_buf(Ii),
				vgpu_arg_buf(L) };

	for (int k = 0; k < 3 && !bad; k++) {
		const unsigned bx = shapes[k][0], by = shapes[k][1], n = bx * by;

		if (launch2("shflscan", 1, bx, by, 0, a, 6) || get(U, ou, sizeof(ou)) || get(F, of, sizeof(of)) ||
		    get(D, od, sizeof(od)) || get(Ii, oi, sizeof(oi)) || get(L, ol, sizeof(ol))) {
			bad = 1;
			break;
		}
		for (unsigned w = 0; w < n && !bad; w += 32) {
			const int c = n - w < 32 ? (int)(n - w) : 32;
			unsigned u[32];
			float f[32];
			double d[32];
			int i[32];
			long long l[32];

			for (int j = 0; j < c; j++) {
				const int t = (int)w + j;

				u[j] = (unsigned)in[t] * 2654435761u;
				f[j] = in[t] * 0.37f;
				d[j] = in[t] * 0.5 - 3.0;
				i[j] = in[t] ^ t;
				l[j] = ((long long)in[t] << 33) + t;
			}
			/* g: threadIdx.x & 31 */
			for (int m = 1; m < 32; m <<= 1) {
				SCAN_STEP(unsigned, u, w, c, m, (int)(lin % bx & 31), a + b);
				SCAN_STEP(float, f, w, c, m, (int)(lin % bx & 31), a + b);
				SCAN_STEP(double, d, w, c, m, (int)(lin % bx & 31), fmax(a, b));
				SCAN_STEP(long long, l, w, c, m, (int)(lin % bx & 31), a + b);
			}
			for (int m = 1; m < 8; m <<= 1)
				SCAN_STEP(int, i, w, c, m, (int)(lin % bx & 31), a ^ b);
			for (int j = 0; j < c && !bad; j++) {
				const int t = (int)w + j;

				if (ou[t] != u[j] || memcmp(&of[t], &f[j], 4) || od[t] != d[j] || oi[t] != i[j] ||
				    ol[t] != l[j]) {
					tap_diag("shflscan %ux%u thread %d: %#x %a %g %d %lld vs %#x %a %g %d %lld", bx, by, t,
						 ou[t], of[t], od[t], oi[t], ol[t], u[j], f[j], d[j], i[j], l[j]);
					bad = 1;
				}
			}
		}
	}
	tap_ok(!bad, "dialect: warp scans by __shfl_up_sync under the lane's test (unsigned +, float +, double fmax, "
		     "int ^ over 3 steps, long long +) in blocks of 48, 32x2 and 12x4, bit for bit");
	lowering("shflscan", how);
	/* (as shuffles: 9 regions, 8 warp syncs) */
	tap_ok(strstr(how, "regions: 6 (0 barriers, 5 warp syncs)") != NULL,
	       "dialect: vgpu_kernel_info: each scan one warp sync: \"%s\"", how);
	bad = launch("shflscan2", 1, 48, 0, a, 2) || get(U, uu, sizeof(uu));
	for (unsigned w = 0; w < 48 && !bad; w += 32) {
		const int c = 48 - w < 32 ? (int)(48 - w) : 32;
		unsigned u[32], v[32];
		int i[32];

		for (int j = 0; j < c; j++)
			u[j] = (unsigned)in[w + j], v[j] = u[j] ^ 0x5555u, i[j] = in[w + j] ^ (int)(w + j);
		for (int m = 1; m < 32; m <<= 1) {
			SCAN_STEP(unsigned, u, w, c, m, lin, a + b);
			SCAN_STEP(unsigned, v, w, c, m, 32, a + b);
		}
		for (int m = 1; m < 8; m <<= 1)
			SCAN_STEP(int, i, w, c, m, (int)(lin & 31), a > b ? a : b);
		for (int j = 0; j < c && !bad; j++)
			if (uu[3 * (w + j)] != u[j] || uu[3 * (w + j) + 1] != v[j] || uu[3 * (w + j) + 2] != (unsigned)i[j]) {
				tap_diag("shflscan2 thread %d: %#x %#x %d vs %#x %#x %d", w + j, uu[3 * (w + j)],
					 uu[3 * (w + j) + 1], (int)uu[3 * (w + j) + 2], u[j], v[j], i[j]);
				bad = 1;
			}
	}
	tap_ok(!bad, "dialect: the same steps under a test of threadIdx.x, without a test, and an int max "
		     "past a continue, shuffle by shuffle");
	vgpu_buffer_free(I);
	vgpu_buffer_free(U);
	vgpu_buffer_free(F);
	vgpu_buffer_free(D);
	vgpu_buffer_free(Ii);
	vgpu_buffer_free(L);
}

static void t_shflwide(const int *in)
{
	enum { B = 64 };
	double od[B];
	long long ol[B];
	int oi[2 * B], bad = 0;
	vgpu_buffer *I = buf(in, B * 4), *D = buf(NULL, sizeof(od)), *L = buf(NULL, sizeof(ol)), *O = buf(NULL, sizeof(oi));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(D), vgpu_arg_buf(L), vgpu_arg_buf(O) };

	if (launch("shflwide", 1, B, 0, a, 4) || get(D, od, sizeof(od)) || get(L, ol, sizeof(ol)) || get(O, oi, sizeof(oi)))
		bad = 1;
	for (int t = 0; t < B && !bad; t++) {
		const int w = t & ~31, lane = t & 31, dn = lane + 3 < 32 ? t + 3 : t;
		unsigned match = 0;

		for (int j = 0; j < 32; j++)
			match |= (unsigned)((in[w + j] & 3) == (in[t] & 3)) << j;
		if (od[t] != in[w + (lane ^ 5)] * 0.5 + 1e10 || ol[t] != ((((long long)in[dn]) << 33) | (dn & 31)) ||
		    oi[2 * t] != (short)(in[w + ((lane + 7) & 31)] & 0x7fff) || (unsigned)oi[2 * t + 1] != match) {
			tap_diag("shflwide thread %d: %g %lld %d %#x", t, od[t], ol[t], oi[2 * t], (unsigned)oi[2 * t + 1]);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: shuffles of double, long long and short, __match_any_sync on long long, over 2 warps");
	vgpu_buffer_free(I);
	vgpu_buffer_free(D);
	vgpu_buffer_free(L);
	vgpu_buffer_free(O);
}

static void t_boolslot(const int *in)
{
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, 128 * 4);
	int out[128], bad = 0;
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch2("boolslot", 1, 32, 4, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < 128 && !bad; t++) {
		int w = t & ~31, pop = 0, e;

		for (int j = 0; j < 32; j++)
			pop += ((in[w + j] > 300) != (in[w + j] & 1));
		e = (in[t] & 1) + (in[t] > 300 ? 2 : 0) + (in[(t + 1) % 128] & 1 ? 4 : 0) + (pop << 3);
		if (out[t] != e) {
			tap_diag("boolslot thread %d: %d, expected %d", t, out[t], e);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: bools live across barriers and a ballot, block 32x4");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_shfl(const int *in)
{
	vgpu_buffer *I = buf(in, 64 * 4), *O = buf(NULL, 64 * 24);
	int out[64 * 6], bad = 0;
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("shfl", 1, 64, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < 64 && !bad; t++) {
		int l = t % 32, w = t - l;
		int e0 = in[w + (t + 3) % 32], e1 = l >= 2 ? in[t - 2] : in[t];
		int e2 = (l % 16) + 5 < 16 ? in[t + 5] : in[t], e3 = in[w + (l ^ 7)];
		int e4 = in[w + (l ^ 4)], e5 = l >= 16 ? in[t - 16] : in[t];

		e5 += 7 * (((l ^ 24) & 24) <= (l & 24) ? in[w + (l ^ 24)] : in[t]);

		bad |= out[6 * t] != e0 || out[6 * t + 1] != e1 || out[6 * t + 2] != e2 || out[6 * t + 3] != e3 ||
		       out[6 * t + 4] != e4 || out[6 * t + 5] != e5;
	}
	tap_ok(!bad, "dialect: __shfl_sync, _up (2), _down (5, width 16), _xor (7, 4; 16 width 16, 24 width 8) over 2 warps");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_vote(const int *in)
{
	vgpu_buffer *I = buf(in, 64 * 4), *O = buf(NULL, 64 * 20);
	int out[320], bad = 0;
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("vote", 1, 64, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < 64 && !bad; t++) {
		unsigned b = 0, any = 0, all = 1, act = 0, odd = 0;
		int w = t - t % 32;

		for (int j = 0; j < 32; j++) {
			b |= (unsigned)(in[w + j] > 0) << j;
			any |= in[w + j] > 900;
			all &= in[w + j] > -2000;
			act |= (unsigned)(((w + j) % 3) != 0) << j;
			odd += in[w + j] & 1;
		}
		bad |= out[5 * t] != (int)b || out[5 * t + 1] != (int)any || out[5 * t + 2] != (int)all ||
		       out[5 * t + 3] != (t % 3 ? (int)act : -1) || out[5 * t + 4] != (int)odd;
	}
	tap_ok(!bad, "dialect: __ballot_sync, __any_sync, __all_sync, __activemask in a divergent branch");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_wred(const int *in)
{
	vgpu_buffer *I = buf(in, 64 * 4), *O = buf(NULL, 64 * 24);
	int out[64 * 6], bad = 0;
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("wred", 1, 64, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < 64 && !bad; t++) {
		int w = t - t % 32, sum = 0, mn = in[w], mx = in[w];
		unsigned match = 0;

		for (int j = 0; j < 32; j++) {
			sum += in[w + j];
			mn = in[w + j] < mn ? in[w + j] : mn;
			mx = in[w + j] > mx ? in[w + j] : mx;
			match |= (unsigned)((in[w + j] & 3) == (in[t] & 3)) << j;
		}
		bad |= out[4 * t] != sum || out[4 * t + 1] != mn || out[4 * t + 2] != mx ||
		       out[4 * t + 3] != (int)match;
	}
	tap_ok(!bad, "dialect: __reduce_add/min/max_sync, __match_any_sync");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

/* the butterfly of cg::reduce (step m: v = op(v, v of lane ^ m), a lane past
 * the block's last giving the caller's own value) over @n threads, tiles of
 * @tile; op 0 plus, 1 less, 2 greater, 3 and, 4 or, 5 xor */
#define CGRED_SIM(T, name)								\
static void name(T *v, int n, int tile, int op)						\
{											\
	T o[64];									\
	for (int m = 1; m < tile; m <<= 1) {						\
		for (int l = 0; l < n; l++) {						\
			int p = (l ^ m) < n ? l ^ m : l;				\
			T a = v[l], b = v[p];						\
			o[l] = op == 0 ? a + b : op == 1 ? (a < b ? a : b) : op == 2 ? (a < b ? b : a) : 0; \
		}									\
		memcpy(v, o, sizeof(T) * n);						\
	}										\
}
CGRED_SIM(long long, cgred_ll)
CGRED_SIM(float, cgred_f)
CGRED_SIM(double, cgred_d)
static void cgred_bits(unsigned long long *v, int n, int tile, int op)
{
	unsigned long long o[64];

	for (int m = 1; m < tile; m <<= 1) {
		for (int l = 0; l < n; l++) {
			unsigned long long a = v[l], b = v[(l ^ m) < n ? l ^ m : l];

			o[l] = op == 3 ? a & b : op == 4 ? a | b : a ^ b;
		}
		memcpy(v, o, sizeof(o[0]) * n);
	}
}

/* @e: what the kernel's int outputs hold after cg::reduce by bit operation
 * @op of @in's values as unsigned, over tiles of @tile */
static void cgred_bits_u32(long long *e, const int *in, int n, int tile, int op)
{
	unsigned long long b[64];

	for (int t = 0; t < n; t++)
		b[t] = (unsigned)in[t];
	cgred_bits(b, n, tile, op);
	for (int t = 0; t < n; t++)
		e[t] = (int)(unsigned)b[t];
}

static void t_cgred(const int *in)
{
	enum { N = 48 };
	vgpu_buffer *I = buf(in, N * 4), *OI = buf(NULL, N * 24), *OL = buf(NULL, N * 16), *OF = buf(NULL, N * 8),
		    *OD = buf(NULL, N * 8);
	int oi[N * 6], bad = 0;
	long long ol[N * 2], e[N];
	float of[N * 2], ef[N];
	double od[N], ed[N];
	unsigned long long eb[N];
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(OI), vgpu_arg_buf(OL), vgpu_arg_buf(OF), vgpu_arg_buf(OD) };

	if (launch("cgred", 1, N, 0, a, 5) || get(OI, oi, sizeof(oi)) || get(OL, ol, sizeof(ol)) ||
	    get(OF, of, sizeof(of)) || get(OD, od, sizeof(od)))
		bad = 1;
#define EXPECT(out, stride, off, exp)							\
	for (int t = 0; t < N; t++)							\
		if (out[(stride) * t + (off)] != (exp)[t]) {				\
			tap_diag("cgred: out %d thread %d", (off), t);			\
			bad = 1;							\
			break;								\
		}
	cgred_bits_u32(e, in, N, 32, 5);
	EXPECT(oi, 6, 0, e)
	for (int t = 0; t < N; t++)
		e[t] = in[t];
	cgred_ll(e, N, 8, 1);
	EXPECT(oi, 6, 1, e)
	for (int t = 0; t < N; t++)
		e[t] = in[t];
	cgred_ll(e, N, 32, 2);
	EXPECT(oi, 6, 2, e)
	/* warp 1 at a reduce sync of its own (warp 0 at another, below) */
	for (int t = 32; t < N; t++)
		bad |= oi[6 * t + 4] != e[t];
	cgred_bits_u32(e, in, N, 8, 4);
	EXPECT(oi, 6, 3, e)
	for (int t = 0; t < N; t++)
		e[t] = (long long)in[t] << 33;
	cgred_ll(e, N, 32, 0);
	EXPECT(ol, 2, 0, e)
	for (int t = 0; t < N; t++)
		eb[t] = (unsigned long long)(long long)in[t] * 3;
	cgred_bits(eb, N, 32, 3);
	for (int t = 0; t < N; t++)
		e[t] = (long long)eb[t];
	EXPECT(ol, 2, 1, e)
	for (int t = 0; t < N; t++)
		ef[t] = t % 5 ? (float)in[t] * 0.37f : (t & 1) ? -0.0f : 0.0f;
	for (int t = 0; t < N; t++)
		ed[t] = ef[t];
	cgred_f(ef, N, 32, 0);
	EXPECT(of, 2, 0, ef)
	for (int t = 0; t < N; t++)
		ef[t] = t % 5 ? (float)in[t] * 0.37f : (t & 1) ? -0.0f : 0.0f;
	cgred_f(ef, N, 32, 1);
	for (int t = 0; t < N && !bad; t++)	/* the zero's sign too */
		bad |= memcmp(&of[2 * t + 1], &ef[t], sizeof(float)) != 0;
	cgred_d(ed, N, 32, 2);
	EXPECT(od, 1, 0, ed)
	for (int t = 0; t < N; t++)
		e[t] = in[t] + 1;
	cgred_ll(e, N, 32, 0);
	for (int t = 0; t < N; t++)
		if (t < 32) {
			long long s0 = 0;

			for (int j = 0; j < 32; j++)
				s0 += in[j];
			bad |= oi[6 * t + 4] != s0;
		}
	EXPECT(oi, 6, 5, e)
#undef EXPECT
	tap_ok(!bad, "dialect: cg::reduce of every kind at one warp sync: plus/less/greater/bit ops on int, "
		     "unsigned, 64-bit, float, double; a partial warp, signed zeros, warps at reduce syncs of their own");
	vgpu_buffer_free(I);
	vgpu_buffer_free(OI);
	vgpu_buffer_free(OL);
	vgpu_buffer_free(OF);
	vgpu_buffer_free(OD);
}

static void t_tiles(const int *in)
{
	vgpu_buffer *I = buf(in, 64 * 4), *O = buf(NULL, 6 * 64 * 12);
	int out[6 * 64 * 3], bad = 0;
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("tiles", 1, 64, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int k = 0; k < 6 && !bad; k++) {
		int N = 1 << k;

		for (int t = 0; t < 64; t++) {
			int base = t - t % N, sum = 0, scan = 0;

			for (int j = 0; j < N; j++)
				sum += in[base + j];
			for (int j = base; j <= t; j++)
				scan += in[j];
			bad |= out[(k * 64 + t) * 3] != sum ||
			       out[(k * 64 + t) * 3 + 1] != in[base] + 1000 * (t / N) ||
			       out[(k * 64 + t) * 3 + 2] != scan;
		}
	}
	tap_ok(!bad, "dialect: cooperative groups: tiled_partition<1..32>, cg::reduce, shfl, meta_group_rank, inclusive_scan");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_atomics(const int *in)
{
	int o0[8] = { 0, -100000, 100000, 0, 0, 0, 50, 0 }, out[8];
	unsigned long long u[2] = { 0, 0 }, uo[2];
	double d = 1.0, dd;
	unsigned short h[2] = { 65530, 0 }, hh[2];
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(o0, sizeof(o0)), *U = buf(u, sizeof(u)),
		    *D = buf(&d, sizeof(d)), *H = buf(h, sizeof(h));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_buf(U), vgpu_arg_buf(D),
				vgpu_arg_buf(H) };
	int bad = 0, sum = 0, mx = -100000, mn = 100000;
	unsigned long long x = 0;
	float f;

	if (launch("atomics", 1, 128, 0, a, 5) || get(O, out, sizeof(out)) || get(U, uo, sizeof(uo)) ||
	    get(D, &dd, sizeof(dd)) || get(H, hh, sizeof(hh)))
		bad = 1;
	for (int t = 0; t < 128; t++) {
		sum += in[t];
		mx = in[t] > mx ? in[t] : mx;
		mn = in[t] < mn ? in[t] : mn;
		x ^= (unsigned long long)in[t];
	}
	memcpy(&f, &out[5], 4);
	/* atomicInc wraps at 9: 128 incs from 0 end at 128 % 10; atomicDec from 0 wraps to 1000 */
	bad |= out[0] != sum || out[1] != mx || out[2] != mn || out[3] != 128 % 10 ||
	       out[4] != 1000 - 127 || f != 2.5f || out[6] != 50 - 256;
	bad |= uo[0] != ~0ull || uo[1] != x || dd != 1.0 + 64.0 || hh[0] != (unsigned short)(65530 + 128);
	tap_ok(!bad, "dialect: atomics: _block/_system, Inc, Dec, 16-bit CAS, 64-bit Or/Xor, double Add, float Exch");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
	vgpu_buffer_free(U);
	vgpu_buffer_free(D);
	vgpu_buffer_free(H);
}

static void t_synccount(const int *in)
{
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, 128 * 4);
	int out[128], bad = 0, c = 0, all = 1, any = 0;
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("synccount", 1, 128, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < 128; t++) {
		c += in[t] > 0;
		all &= in[t] > -2000;
		any |= in[t] > 900;
	}
	for (int t = 0; t < 128 && !bad; t++)
		bad |= out[t] != c * 4 + all * 2 + any;
	tap_ok(!bad, "dialect: __syncthreads_count/and/or (%d positive of 128)", c);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static int close_to(float a, float b, float rel)
{
	return fabsf(a - b) <= rel * (fabsf(b) + 1e-6f) || (isnan(a) && isnan(b));
}

/* math functions are pure to the compiler (vectorised through libmvec): the
   same answers as the host's libm, special values included */
static void t_puremath(void)
{
	enum { N = 1000 };
	static float x[N], out[8 * N];
	static const float special[] = { 0.f, -0.f, -1.f, 1e-30f, 100.f, -100.f, 1.f / 0.f, -1.f / 0.f };
	int bad = -1;

	for (int t = 0; t < N; t++)
		x[t] = t < 8 ? special[t] : (t_frand() - 0.5f) * 40.f;
	x[500] = 0.f / 0.f;
	vgpu_buffer *X = buf(x, sizeof(x)), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(X), vgpu_arg_buf(O), vgpu_arg_i32(N) };

	if (!launch("puremath", 4, 256, 0, a, 3) && !get(O, out, sizeof(out)))
		for (int t = 0, k = 0; t < N && bad < 0; t++) {
			float v = x[t], e[8] = { sqrtf(v), expf(v), logf(v), sinf(v) * cosf(v), powf(fabsf(v), 0.75f),
						 tanhf(v) + erff(v), atan2f(v, 3.f) + fmodf(v, 7.f),
						 (float)sqrt((double)v) + ldexpf(v, 3) };

			for (k = 0; k < 8 && bad < 0; k++)
				if (!(close_to(out[8 * t + k], e[k], 1e-5f) || fabsf(out[8 * t + k] - e[k]) <= 1e-6f ||
				      (isinf(e[k]) && out[8 * t + k] == e[k])))
					bad = 8 * t + k;
		}
	else
		bad = 0;
	if (bad >= 0)
		tap_diag("puremath: out[%d] (x = %g, function %d) = %g, libm says otherwise", bad, x[bad / 8], bad % 8,
			 out[bad]);
	tap_ok(bad < 0, "dialect: C math functions in a vectorised thread loop (1000 threads, special values) == libm");
	vgpu_buffer_free(X);
	vgpu_buffer_free(O);
}

static void t_fastmath(void)
{
	float x[64], out[640];
	int bad = 0;

	for (int t = 0; t < 64; t++)
		x[t] = t_frand() * 4.f;
	vgpu_buffer *X = buf(x, sizeof(x)), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(X), vgpu_arg_buf(O) };

	if (launch("fastmath", 1, 64, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < 64 && !bad; t++) {
		float v = x[t], e[10] = { expf(v), logf(fabsf(v) + 1.f), log2f(fabsf(v) + 1.f),
					  powf(fabsf(v) + 1.f, 1.5f), sinf(v) + cosf(v), sinf(v) * cosf(v),
					  v / 3.f, 1.f / sqrtf(fabsf(v) + 1.f), powf(10.f, v),
					  v < 0 ? 0.f : v > 1 ? 1.f : v };

		for (int k = 0; k < 10; k++)
			if (!close_to(out[10 * t + k], e[k], 2e-5f) && fabsf(out[10 * t + k] - e[k]) > 2e-6f)
				bad = 1;
	}
	tap_ok(!bad, "dialect: fast-math intrinsics (__expf, __logf, __log2f, __powf, __sinf, __cosf, __sincosf, __fdividef, rsqrtf, __exp10f, __saturatef)");
	vgpu_buffer_free(X);
	vgpu_buffer_free(O);
}

static float rnd(int mode, int op, float x, float y)
{
	volatile float a = x, b = y, r;

	fesetround(mode);
	switch (op) {
	case 0: r = a + b; break;
	case 1: r = a * b; break;
	case 2: r = a / b; break;
	default: r = sqrtf(fabsf(a)); break;
	}
	fesetround(FE_TONEAREST);
	return r;
}

static void t_rounding(void)
{
	float x[64], y[64], out[640];
	int bad = 0;

	for (int t = 0; t < 64; t++) {
		x[t] = t_frand() * 1000.f;
		y[t] = t_frand() * 0.001f + (t_rand() % 2 ? 1e-7f : -3.3f);
	}
	vgpu_buffer *X = buf(x, sizeof(x)), *Y = buf(y, sizeof(y)), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(X), vgpu_arg_buf(Y), vgpu_arg_buf(O) };

	if (launch("rounding", 1, 64, 0, a, 3) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < 64 && !bad; t++) {
		float e[10] = { rnd(FE_DOWNWARD, 0, x[t], y[t]), rnd(FE_UPWARD, 0, x[t], y[t]),
				rnd(FE_DOWNWARD, 1, x[t], y[t]), rnd(FE_UPWARD, 1, x[t], y[t]),
				rnd(FE_DOWNWARD, 2, x[t], y[t]), rnd(FE_UPWARD, 2, x[t], y[t]),
				rnd(FE_DOWNWARD, 3, x[t], 0), rnd(FE_UPWARD, 3, x[t], 0),
				rnd(FE_TOWARDZERO, 0, x[t], y[t]), rnd(FE_TONEAREST, 2, 1.f, y[t]) };

		for (int k = 0; k < 10; k++)
			if (memcmp(&out[10 * t + k], &e[k], 4)) {
				tap_diag("rounding t=%d k=%d: %a vs %a", t, k, out[10 * t + k], e[k]);
				bad = 1;
			}
	}
	tap_ok(!bad, "dialect: rounding intrinsics (__fadd/__fmul/__fdiv/__fsqrt _rd/_ru, __fadd_rz, __frcp_rn) bit-exact against fesetround");
	vgpu_buffer_free(X);
	vgpu_buffer_free(Y);
	vgpu_buffer_free(O);
}

/*
 * Kernel @k of @src (module name @file) on one block of @threads, its
 * arguments @n buffers made from @arg[i] (@len[i] bytes; NULL: zeroed), the
 * last read back into @out: 0 or -errno, what went wrong in @why. The
 * CPU side of test_gpu's cuda_one_block, for the files both runners share.
 */
static int one_block(const char *src, const char *file, const char *k, unsigned threads, int n,
		     const void *const *arg, const size_t *len, void *out, char *why, size_t wlen)
{
	struct vgpu_compile_opts o = { .size = sizeof(o), .name = file };
	struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { 1, 1, 1 }, .block = { threads, 1, 1 } };
	struct vgpu_arg a[4];
	vgpu_buffer *b[4] = { NULL };
	vgpu_module *m = NULL;
	vgpu_kernel *kk = NULL;
	int ret = n <= 4 ? vgpu_module_compile(s, src, 0, &o, &m) : -EINVAL;

	ret = ret ?: vgpu_kernel_get(m, k, &kk);
	for (int i = 0; !ret && i < n; i++) {
		if (!(b[i] = buf(arg[i], len[i])))
			ret = -ENOMEM;
		a[i] = vgpu_arg_buf(b[i]);
	}
	ret = ret ?: vgpu_launch(kk, &c, a, n);
	ret = ret ?: get(b[n - 1], out, len[n - 1]);
	if (ret)
		snprintf(why, wlen, "%d: %.150s", ret, vgpu_last_error(s));
	for (int i = 0; i < n; i++)
		if (b[i])
			vgpu_buffer_free(b[i]);
	if (m)
		vgpu_module_unload(m);
	return ret;
}

/* float and double to integers (tests/gpu/convert.h: the same kernel and reference on CUDA) */
static void t_conv(void)
{
	float f[CONV_THREADS];
	double d[CONV_THREADS];
	unsigned long long out[CONV_THREADS * CONV_OUT];
	char why[200] = "";
	int ret;

	conv_inputs(f, d);
	ret = one_block(conv_src, "convert.cu", "convs", CONV_THREADS, 3, (const void *[]){ f, d, NULL },
			(const size_t[]){ sizeof(f), sizeof(d), sizeof(out) }, out, why, sizeof(why));
	tap_ok(!ret && !conv_check(f, d, out, why, sizeof(why)),
	       "dialect: __float2int_rn ... __double2ull_ru round as asked, clamp to the target's range, give NaN as the GPU's cvt does");
	if (why[0])
		tap_diag("convs: %s", why);
}

/* libcu++ (tests/gpu/cudastd.h: the same kernel and reference on CUDA) */
static void t_cudastd(void)
{
	float x[CSTD_THREADS];
	long long out[CSTD_THREADS * CSTD_OUT];
	char why[200] = "";
	vgpu_module *m = NULL;
	int ret;

	cstd_inputs(x);
	ret = one_block(cstd_src, "cudastd.cu", "cstd", CSTD_THREADS, 2, (const void *[]){ x, NULL },
			(const size_t[]){ sizeof(x), sizeof(out) }, out, why, sizeof(why));
	tap_ok(!ret && !cstd_check(x, out, why, sizeof(why)),
	       "dialect: <cuda/std/...> and <cuda/atomic>: limits, type traits, pair, bit, array, function objects, "
	       "cmath, atomic_ref with a thread scope, as on CUDA");
	if (why[0])
		tap_diag("cstd: %s", why);
	/* a libcu++ header this path lacks: refused, naming it and the user's line */
	static const char other[] = "#include <cuda/std/complex>\nextern \"C\" __global__ void k(float *o) { o[0] = 1; }\n";
	struct vgpu_compile_opts o = { .size = sizeof(o), .name = "complex.cu" };

	ret = vgpu_module_compile(s, other, 0, &o, &m);
	tap_ok(ret < 0 && strstr(vgpu_last_error(s), "complex.cu:1") && !strstr(vgpu_last_error(s), "vgpu-cc-") &&
	       strstr(vgpu_last_error(s), "<cuda/std/complex> is not provided by libvgpu's CPU backend"),
	       "dialect: <cuda/std/complex> is refused by name, at the user's line (%d)", ret);
	if (ret >= 0 || strstr(vgpu_last_error(s), "vgpu-cc-"))
		tap_diag("%.300s", vgpu_last_error(s));
	if (m)
		vgpu_module_unload(m);
}

/* CUDA's math past the C library's (tests/gpu/mathx.h: the same kernel and reference on CUDA) */
static void t_mathx(void)
{
	double in[5 * MX_THREADS], out[MX_THREADS * MX_OUT];
	char why[200] = "";
	int ret;

	mx_inputs(in);
	ret = one_block(mx_src, "mathx.cu", "mathx", MX_THREADS, 2, (const void *[]){ in, NULL },
			(const size_t[]){ sizeof(in), sizeof(out) }, out, why, sizeof(why));
	tap_ok(!ret && !mx_check(in, out, why, sizeof(why)),
	       "dialect: erfinv, erfcinv, normcdfinv; sinpi/cospi exact at integers and halves; norm3d, rnorm3d, norm4d, "
	       "rnorm, rhypot past float's and double's range; j0, y1, jn, ilogb, scalbn, remquo, llrint");
	if (why[0])
		tap_diag("mathx: %s", why);
}

/* rounded conversions to float and double, __dp4a/__dp2a (tests/gpu/cvtdot.h: the same on CUDA) */
static void t_cvtdot(void)
{
	long long v[CVT_THREADS];
	double d[CVT_THREADS];
	unsigned long long out[CVT_THREADS * CVT_OUT];
	char why[200] = "";
	int ret;

	cvt_inputs(v, d);
	ret = one_block(cvt_src, "cvtdot.cu", "cvtdot", CVT_THREADS, 3, (const void *[]){ v, d, NULL },
			(const size_t[]){ sizeof(v), sizeof(d), sizeof(out) }, out, why, sizeof(why));
	tap_ok(!ret && !cvt_check(v, d, out, why, sizeof(why)),
	       "dialect: __int2float_rz ... __ull2double_ru, __double2float_rd/ru/rz round as asked; __dp4a, __dp2a_lo/_hi "
	       "(signed, unsigned, vectors)");
	if (why[0])
		tap_diag("cvtdot: %s", why);
}

/* cuComplex.h (tests/gpu/cucomplex.h: the same kernel and reference on CUDA) */
static void t_cplx(void)
{
	float x[4 * CPLX_THREADS];
	double y[4 * CPLX_THREADS], out[CPLX_THREADS * CPLX_OUT];
	char why[200] = "";
	int ret;

	cplx_inputs(x, y);
	ret = one_block(cplx_src, "cucomplex.cu", "cplx", CPLX_THREADS, 3, (const void *[]){ x, y, NULL },
			(const size_t[]){ sizeof(x), sizeof(y), sizeof(out) }, out, why, sizeof(why));
	tap_ok(!ret && !cplx_check(x, y, out, why, sizeof(why)),
	       "dialect: <cuComplex.h>: float and double complex arithmetic, quotients and magnitudes without "
	       "overflow or underflow at the range's ends, the complex fma");
	if (why[0])
		tap_diag("cplx: %s", why);
}

/* half precision (tests/gpu/half.h: the same kernel and reference on CUDA) */
static void t_half(void)
{
	float a[HALF_THREADS], b[HALF_THREADS];
	unsigned short out[HALF_THREADS * HALF_OUT];
	char why[200] = "";
	int ret;

	half_inputs(a, b);
	ret = one_block(half_src, "half.cu", "halfops", HALF_THREADS, 3, (const void *[]){ a, b, NULL },
			(const size_t[]){ sizeof(a), sizeof(b), sizeof(out) }, out, why, sizeof(why));
	tap_ok(!ret && !half_check(a, b, out, why, sizeof(why)),
	       "dialect: half precision (cuda_fp16.h, cuda_bf16.h): arithmetic, fma, sqrt, directed and integer conversions, "
	       "pairs and their operators, a shuffle of a half2, a shared atomicAdd, bit-exact against rounding by search");
	if (why[0])
		tap_diag("halfops: %s", why);
	/* every name of both headers' families, compiled (the arithmetic above checks their values) */
	static const char names[] =
		"#include <cuda_fp16.h>\n"
		"#include <cuda_bf16.h>\n"
		"template <class H> __device__ float all1(H a, H b)\n"
		"{\n"
		"	H r = __hadd(a, b) + __hsub(a, b) + __hmul(a, b) + __hdiv(a, b) + __hadd_rn(a, b) + __hsub_rn(a, b) +\n"
		"		__hmul_rn(a, b) + __hadd_sat(a, b) + __hsub_sat(a, b) + __hmul_sat(a, b) + __hmax(a, b) + __hmin(a, b) +\n"
		"		__hmax_nan(a, b) + __hmin_nan(a, b) + __hfma(a, b, a) + __hfma_sat(a, b, a) + __hneg(a) + __habs(a) + hsqrt(a)\n"
		"		+ hrsqrt(a) + hrcp(a) + hexp(a) + hexp2(a) + hexp10(a) + hlog(a) + hlog2(a) + hlog10(a) + hsin(a) + hcos(a) +\n"
		"		htanh(a) + hceil(a) + hfloor(a) + htrunc(a) + hrint(a);\n"
		"	r++; ++r; r--; --r; r += a; r -= a; r *= b; r /= b; r = -r + +r;\n"
		"	return (float)r + (__heq(a, b) + __hne(a, b) + __hlt(a, b) + __hle(a, b) + __hgt(a, b) + __hge(a, b) +\n"
		"		__hequ(a, b) + __hneu(a, b) + __hltu(a, b) + __hleu(a, b) + __hgtu(a, b) + __hgeu(a, b) + __hisnan(a) +\n"
		"		__hisinf(a) + (a == b) + (a != b) + (a < b) + (a <= b) + (a > b) + (a >= b));\n"
		"}\n"
		"template <class H2> __device__ float all2(H2 a, H2 b)\n"
		"{\n"
		"	H2 r = __hadd2(a, b) + __hsub2(a, b) + __hmul2(a, b) + __h2div(a, b) + __hadd2_rn(a, b) + __hsub2_rn(a, b) + __hmul2_rn(a, b)\n"
		"		+ __hfma2(a, b, a) + __hneg2(a) + __habs2(a) + __hadd2_sat(a, b) + __hsub2_sat(a, b) + __hmul2_sat(a, b)\n"
		"		+ __hfma2_sat(a, b, a) + __hmax2(a, b) + __hmin2(a, b) + __hmax2_nan(a, b) + __hmin2_nan(a, b)\n"
		"		+ __heq2(a, b) + __hne2(a, b) + __hlt2(a, b) + __hle2(a, b) + __hgt2(a, b) + __hge2(a, b) + __hisnan2(a);\n"
		"	r = h2sqrt(r) + h2rsqrt(r) + h2rcp(r) + h2exp(r) + h2exp2(r) + h2exp10(r) + h2log(r) + h2log2(r);\n"
		"	r = h2log10(r) + h2sin(r) + h2cos(r) + h2tanh(r) + h2ceil(r) + h2floor(r) + h2trunc(r) + h2rint(r);\n"
		"	r += a; r -= a; r *= b; r /= b; r = -r + +r;\n"
		"	return (float)r.x + (__hbeq2(a, b) + __hbne2(a, b) + __hblt2(a, b) + __hble2(a, b) + __hbgt2(a, b) + __hbge2(a, b)\n"
		"		+ __hbequ2(a, b) + __hbneu2(a, b) + __hbltu2(a, b) + __hbleu2(a, b) + __hbgtu2(a, b) + __hbgeu2(a, b));\n"
		"}\n"
		"__device__ float pairs_all(float *o)\n"
		"{\n"
		"	return all2(__floats2half2_rn(o[1], o[2]), __floats2half2_rn(o[3], o[4])) + all2(__floats2bfloat162_rn(o[1], o[2]), __floats2bfloat162_rn(o[3], o[4]))\n"
		"		+ all1(__float2half(o[1]), __float2half(o[2])) + all1(__float2bfloat16(o[1]), __float2bfloat16(o[2]));\n"
		"}\n"
		"extern \"C\" __global__ void names(float *o)\n"
		"{\n"
		"	__half h = __float2half(1.f) + __double2half(2.0) + __short_as_half(__half_as_short(__ushort_as_half(__half_as_ushort(__float2half_rz(3.f)))));\n"
		"	half2 p = make_half2(h, h) + __halves2half2(h, h) + __half2half2(h) + __float2half2_rn(1.f) + __floats2half2_rn(1.f, 2.f) + __float22half2_rn(make_float2(1.f, 2.f));\n"
		"	p = __low2half2(p) + __high2half2(p) + __lowhigh2highlow(p) + __lows2half2(p, p) + __highs2half2(p, p);\n"
		"	float2 f = __half22float2(p);\n"
		"	o[0] = __half2float(h) + __low2float(p) + __high2float(p) + f.x + __half2float(__low2half(p)) + __half2float(__high2half(p));\n"
		"	__nv_bfloat16 b = __float2bfloat16(1.f) + __double2bfloat16(2.0) + __short_as_bfloat16(__bfloat16_as_short(__ushort_as_bfloat16(__bfloat16_as_ushort(__float2bfloat16_ru(3.f)))));\n"
		"	__nv_bfloat162 q = make_bfloat162(b, b) + __halves2bfloat162(b, b) + __bfloat162bfloat162(b) + __float2bfloat162_rn(1.f) + __floats2bfloat162_rn(1.f, 2.f) + __float22bfloat162_rn(make_float2(1.f, 2.f));\n"
		"	q = __low2bfloat162(q) + __high2bfloat162(q) + __lowhigh2highlow(q) + __lows2bfloat162(q, q) + __highs2bfloat162(q, q);\n"
		"	float2 g = __bfloat1622float2(q);\n"
		"	o[1] = __bfloat162float(b) + __low2float(q) + __high2float(q) + g.y + __bfloat162float(__low2bfloat16(q)) + __bfloat162float(__high2bfloat16(q));\n"
		"	atomicAdd((__half2 *)o + 4, p);\n"
		"	atomicAdd((__nv_bfloat16 *)o + 10, b);\n"
		"	atomicAdd((__nv_bfloat162 *)o + 6, q);\n"
		"	o[2] = pairs_all(o) + (float)__half2int_rz(h) + __half2float(__int2half_rd(3)) + (float)__bfloat162uint_ru(b) + __bfloat162float(__ull2bfloat16_rn(5ull)) + __half2float(hexp(h)) + __bfloat162float(h2sqrt(q).x);\n"
		"}\n";
	struct vgpu_compile_opts o = { .size = sizeof(o), .name = "half.cu" };
	vgpu_module *nm = NULL;

	ret = vgpu_module_compile(s, names, 0, &o, &nm);
	tap_ok(ret == 0, "dialect: cuda_fp16.h and cuda_bf16.h: the arithmetic, comparisons, math functions and operators of both "
	       "formats and their pairs, atomicAdd, the conversions (a sample of the integer ones), bit casts and pair "
	       "functions compile");
	if (ret)
		tap_diag("%.400s", vgpu_last_error(s));
	if (nm)
		vgpu_module_unload(nm);
}

static void t_fnptr(const int *in)
{
	float x[64], out[64];
	int bad = 0;

	for (int t = 0; t < 64; t++)
		x[t] = (float)in[t];
	vgpu_buffer *X = buf(x, sizeof(x)), *O = buf(NULL, sizeof(out));

	for (int w = 0; w < 2 && !bad; w++) {
		struct vgpu_arg a[] = { vgpu_arg_buf(X), vgpu_arg_buf(O), vgpu_arg_i32(w) };

		if (launch("fnptr", 1, 64, 0, a, 3) || get(O, out, sizeof(out))) {
			bad = 1;
			break;
		}
		for (int t = 0; t < 64; t++) {
			const float v = x[63 - t], e = (w ? 2.f * v : -v) + 10.f * ((63 - t) & 1 ? -v : 2.f * v);

			if (out[t] != e && !bad++)
				tap_diag("fnptr w=%d t=%d: %g, want %g", w, t, out[t], e);
		}
	}
	tap_ok(!bad, "dialect: calls through function pointers (a variable, a __device__ table) beside a barrier");
	vgpu_buffer_free(X);
	vgpu_buffer_free(O);
}

static void t_cgcopy(void)
{
	int in[512], out[512], bad = 0;

	for (int i = 0; i < 512; i++)
		in[i] = (int)(t_rand() % 1999) - 999;
	vgpu_buffer *I = buf(in, sizeof(in)), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("cgcopy", 2, 256, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int i = 0; i < 512 && !bad; i++) {
		const int base = i / 256 * 256, t = i % 256;
		const int p = (t & 31) < 16 ? in[i] : -1, q = (t / 4) % 2 == 0 && t % 4 == 3 ? 0 : in[i];
		const int e = in[base + 255 - t] * 1000000 + p * 1000 + q;

		if (out[i] != e) {
			tap_diag("cgcopy %d: %d, want %d", i, out[i], e);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: cg::memcpy_async by a block and by tiles (bytes, counts), cg::wait, wait_prior, "
	       "__pipeline_memcpy_async with zero fill");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_cgpart(const int *in)
{
	int out[128], bad = 0;
	vgpu_buffer *I = buf(in, 64 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("cgpart", 1, 64, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < 64 && !bad; t++) {
		int gs = 0, gr = 0, hs = 0, hr = 0, first = 0;

		for (int l = t & ~31; l < (t & ~31) + 32; l++) {
			const int same = (in[l] & 1) == (in[t] & 1), label = (in[l] & 3) == (in[t] & 3);

			gs += same;
			gr += same && l < t;
			hs += label;
			hr += label && l < t;
			if (same && gs == 1)	/* the part's lowest lane */
				first = in[l];
		}
		if (out[t] != gs * 1000000 + gr * 10000 + hs * 100 + hr || out[64 + t] != first) {
			tap_diag("cgpart thread %d: %d %d, want %d %d", t, out[t], out[64 + t],
				 gs * 1000000 + gr * 10000 + hs * 100 + hr, first);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: cg::binary_partition and cg::labeled_partition of a warp tile: sizes, ranks, a shuffle in the part");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_intrin(void)
{
	unsigned in[64], out[768];
	int bad = 0;

	for (int t = 0; t < 64; t++)
		in[t] = t_rand() ^ (t_rand() << 16);
	vgpu_buffer *I = buf(in, sizeof(in)), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("intrin", 1, 64, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < 64 && !bad; t++) {
		unsigned x = in[t], y = in[(t + 1) % 64];
		unsigned long long w = ((unsigned long long)x << 32) | y, ww = w ^ 0x9e3779b97f4a7c15ull;
		unsigned long long sh = w >> (t % 60), sl = w << (t % 60), rev = 0;
		unsigned char by[8];
		unsigned e[12];

		for (int i = 0; i < 64; i++)
			rev |= ((w >> i) & 1) << (63 - i);
		memcpy(by, &x, 4);
		memcpy(by + 4, &y, 4);
		e[0] = (x & 0xffffff) * (y & 0xffffff);
		e[1] = (x > y ? x - y : y - x) + 7;
		e[2] = by[0] | by[4] << 8 | (unsigned)by[1] << 16 | (unsigned)by[5] << 24;
		e[3] = (unsigned)__builtin_popcountll(w);
		e[4] = sh ? (unsigned)__builtin_clzll(sh) : 64;
		e[5] = (unsigned)__builtin_ffsll((long long)sl);
		e[6] = (unsigned)(rev >> 17);
		e[7] = (unsigned)(((unsigned long long)x * y) >> 32);
		e[8] = (unsigned)(unsigned long long)(((unsigned __int128)w * ww) >> 64);
		e[9] = (unsigned)(((unsigned long long)x + y) >> 1);
		e[10] = (unsigned)(((((unsigned long long)y << 32) | x) << (t & 31)) >> 32);
		e[11] = ((int)x > (int)y ? (unsigned)((int)x - (int)y) : (unsigned)((int)y - (int)x)) + 3;
		for (int k = 0; k < 12; k++)
			if (out[12 * t + k] != e[k]) {
				tap_diag("intrin t=%d k=%d: %08x vs %08x", t, k, out[12 * t + k], e[k]);
				bad = 1;
			}
	}
	tap_ok(!bad, "dialect: integer intrinsics (__umul24, __usad, __sad, __byte_perm, __popcll, __clzll, __ffsll, __brevll, __umulhi, __umul64hi, __uhadd, __funnelshift_l)");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_misc(void)
{
	unsigned in[64 * 4], out[64 * 4];
	double d[64 * 2];
	long long c[64];
	int bad = 0;

	for (int i = 0; i < 256; i++)
		in[i] = t_rand();
	vgpu_buffer *I = buf(in, sizeof(in)), *O = buf(NULL, sizeof(out)), *D = buf(NULL, sizeof(d)),
		    *C = buf(NULL, sizeof(c));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_buf(D), vgpu_arg_buf(C) };

	fflush(stdout);
	if (launch("misc", 1, 64, 0, a, 4) || get(O, out, sizeof(out)) || get(D, d, sizeof(d)) ||
	    get(C, c, sizeof(c)))
		bad = 1;
	for (int t = 0; t < 64 && !bad; t++)
		bad |= out[4 * t] != in[4 * t + 3] || out[4 * t + 1] != in[4 * t + 2] + 1 ||
		       out[4 * t + 2] != in[4 * t + 1] || out[4 * t + 3] != in[4 * t] ||
		       d[2 * t] != in[4 * t] * 0.5 || d[2 * t + 1] != 32.0 || c[t] != 15;
	tap_ok(!bad, "dialect: uint4/double2/char4/longlong2, __CUDACC__, clock64, device printf and assert");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
	vgpu_buffer_free(D);
	vgpu_buffer_free(C);
}

static void t_dynshm_template(const int *in)
{
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, 128 * 4);
	int out[128], bad = 0;
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("dynshm", 1, 128, 128 * 4, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < 128 && !bad; t++)
		bad |= out[t] != in[127 - t];
	tap_ok(!bad, "dialect: `extern int __shared__ s[]`, __launch_bounds__ after void");
	bad = launch("tscale<int, 3>", 1, 128, 0, a, 2) || get(O, out, sizeof(out));
	for (int t = 0; t < 128 && !bad; t++)
		bad |= out[t] != 3 * in[t];
	tap_ok(!bad, "dialect: a template kernel instantiated explicitly, found by name \"tscale<int, 3>\" (an unused template beside it)");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

/* how kernel @name was lowered (vgpu_kernel_info's text; empty if it cannot say) */
static void lowering(const char *name, char how[128])
{
	struct vgpu_kernel_info ki = { .size = sizeof(ki) };
	vgpu_kernel *k = NULL;

	how[0] = 0;
	if (!vgpu_kernel_get(m, name, &k) && !vgpu_kernel_info(k, &ki))
		snprintf(how, 128, "%s", ki.lowering);
}

/* idle barriers dropped, bit for bit; the ones that order an access kept */
static void t_idlebar(const int *in)
{
	vgpu_buffer *I = buf(in, 64 * 4), *O = buf(NULL, 64 * 4), *K = buf(NULL, 128 * 4);
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) }, ak[] = { vgpu_arg_buf(I), vgpu_arg_buf(K) };
	int out[64], ko[128], v[64], w[64], sh[64], n = 0, bad = 0;
	char hi[128], hk[128];

	if (launch("idlebar", 1, 64, 0, a, 2) || launch("keepbar", 1, 64, 64 * 4, ak, 2) || get(O, out, sizeof(out)) ||
	    get(K, ko, sizeof(ko)))
		bad = 1;
	for (int t = 0; t < 64; t++)
		v[t] = in[t];
	for (int i = 1; i < 4; i++) {
		memcpy(sh, v, sizeof(sh));
		for (int t = 0; t < 64; t++)
			v[t] += sh[(t + i) & 63];
	}
	for (int t = 0; t < 64 && !bad; t++)
		bad |= out[t] != v[63 - t] * 3 + in[(t + 1) & 63];
	for (int t = 0; t < 64; t++)
		n += in[t] > 0;
	for (int t = 0; t < 64; t++)
		w[t] = in[63 - t] + n + in[63 - ((t + 1) & 63)] + n;
	for (int t = 0; t < 64 && !bad; t++)
		bad |= ko[t] != w[t] || ko[64 + t] != w[t] + w[(t + 5) & 63];
	{	/* 4 blocks: __shared__ memory outlives a block on its worker */
		vgpu_buffer *W = buf(NULL, 4 * 32 * 4), *R = buf(NULL, 4 * 32 * 4);
		struct vgpu_arg aw[] = { vgpu_arg_buf(W), vgpu_arg_i32(32) }, ar[] = { vgpu_arg_buf(R), vgpu_arg_i32(32) };
		int ow[128], orr[128];

		if (launch("keepws", 4, 64, 0, aw, 2) || launch("keepret", 4, 64, 0, ar, 2) || get(W, ow, sizeof(ow)) ||
		    get(R, orr, sizeof(orr)))
			bad = 1;
		for (int b = 0; b < 4 && !bad; b++)
			for (int t = 0; t < 32; t++)
				bad |= ow[b * 32 + t] != (t + 32) * 7 + b || orr[b * 32 + t] != (t + 32) * 5 + b;
		vgpu_buffer_free(W);
		vgpu_buffer_free(R);
	}
	lowering("idlebar", hi);
	lowering("keepbar", hk);
	tap_ok(!bad, "dialect: barriers that order nothing dropped, those that order shared, dynamic shared or global "
		     "memory, count a vote, or follow a warp's branch with a warp sync or an early return kept: results "
		     "bit for bit");
	bad = !strstr(hi, "(3 barriers") || !strstr(hk, "(4 barriers");
	if (bad)
		tap_diag("idlebar: %s; keepbar: %s", hi, hk);
	tap_ok(!bad, "dialect: of idlebar's 4 barriers 3 stay, of keepbar's 5 (one a vote's) 4 (lowering: %s)", hk);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
	vgpu_buffer_free(K);
}

/* kernel @name's strided loop ran as a block-uniform loop (its lowering line says so) */
static void strided_loop(const char *name)
{
	char how[128];

	lowering(name, how);
	tap_ok(strstr(how, "1 at strided loops") != NULL,
	       "dialect: vgpu_kernel_info says it ran as a block-uniform loop: \"%s\"", how);
}

/* thread @t's @n results against the expected ones: a diagnostic naming @what for each that differs; 1 if any did */
static int expect_row(const char *what, int t, const int *got, const int *want, int n)
{
	int bad = 0;

	for (int i = 0; i < n; i++)
		if (got[i] != want[i]) {
			tap_diag("%s thread %d, %d: %d vs %d", what, t, i, got[i], want[i]);
			bad = 1;
		}
	return bad;
}

static void t_shapes(const int *in)
{
	enum { G = 3, B = 128 };
	int *data = malloc(G * B * 4), out[G * 4], bad = 0;
	const int rounds = 5;

	for (int i = 0; i < G * B; i++)
		data[i] = in[i % 128] % 900;
	data[B + 3] = 950;		/* block 1 stops at round 3 */
	vgpu_buffer *I = buf(data, G * B * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(G * B), vgpu_arg_i32(rounds) };

	if (launch("shapes", G, B, 0, a, 4) || get(O, out, sizeof(out)))
		bad = 1;
	for (int g = 0; g < G && !bad; g++) {
		int sum = 0, r = 0, w = 0;

		for (int t = 0; t < B; t++)
			sum += data[g * B + t];
		for (int t = 0; t < 64; t++)
			w += data[g * B + t];
		while (!(data[g * B + r % B] > 900 || ++r >= rounds))
			;
		if (out[4 * g] != sum || out[4 * g + 1] != r || out[4 * g + 2] != w) {
			tap_diag("shapes block %d: %d %d %d vs %d %d %d", g, out[4 * g], out[4 * g + 1],
			       out[4 * g + 2], sum, r, w);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: barriers in a helper, a modified parameter, break between barriers, warp functions after an early return");
	{	/* which lowering each took, and why: vgpu_kernel_info */
		char how1[128], how2[128];

		lowering("shapes", how1);
		lowering("intrin", how2);
		tap_ok(!strncmp(how1, "regions: ", 9) && strstr(how1, "barriers") && strstr(how1, "warp syncs"),
		       "dialect: vgpu_kernel_info says how shapes runs: \"%s\"", how1);
		tap_ok(!strncmp(how2, "loops", 5) && !strstr(how2, "regions"),
		       "dialect: ... and intrin (no barrier): \"%s\"", how2);
	}
	free(data);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_uloop(const int *in)
{
	enum { B = 128, N = 100, M = 13 };
	int out[5 * N + 8], hist[8] = { 0 }, bad = 0;
	vgpu_buffer *I = buf(in, B * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(M), vgpu_arg_i32(N) };
	char how[128];

	if (launch("uloop", 1, B, 0, a, 4) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < N && !bad; t++) {
		int acc[4] = { 0 }, d = 0;

		for (int j = 0; j < M; j++) {
			acc[j & 3] += in[(t + j) % B];
			hist[in[(t + j) % B] & 7]++;
		}
		for (int i = t; i < 1000; i += 37 + t)
			d++;
		for (int j = 0; j < 4; j++)
			bad |= out[5 * t + j] != acc[j];
		bad |= out[5 * t + 4] != d;
		if (bad)
			tap_diag("uloop thread %d: %d %d %d %d %d", t, out[5 * t], out[5 * t + 1], out[5 * t + 2],
				 out[5 * t + 3], out[5 * t + 4]);
	}
	for (int b = 0; b < 8 && !bad; b++)
		bad |= out[5 * N + b] != hist[b];
	tap_ok(!bad, "dialect: a uniform loop after an early return (a per-thread array across it, shared atomics), a divergent loop");
	lowering("uloop", how);
	tap_ok(strstr(how, "1 at uniform loops") != NULL,
	       "dialect: vgpu_kernel_info says the uniform loop was cut, the divergent one not: \"%s\"", how);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_ktile(void)
{
	enum { NMAX = 61 };
	static unsigned a[NMAX * NMAX], b[NMAX * NMAX], d[NMAX * NMAX];
	const int sizes[] = { 37, 61 };
	int bad = 0;
	char how[128];

	for (int i = 0; i < NMAX * NMAX; i++)
		a[i] = t_rand(), b[i] = t_rand();
	for (int si = 0; si < 2 && !bad; si++) {
		const int n = sizes[si], gx = (n + 23) / 24;
		vgpu_buffer *A = buf(a, sizeof(a)), *B = buf(b, sizeof(b)), *D = buf(NULL, sizeof(d));
		struct vgpu_arg arg[] = { vgpu_arg_buf(A), vgpu_arg_buf(B), vgpu_arg_buf(D), vgpu_arg_i32(n) };

		if (launch2("ktile", gx * gx, 24, 8, 0, arg, 4) || get(D, d, sizeof(d)))
			bad = 1;
		for (int row = 0; row < n && !bad; row++)
			for (int col = 0; col < n && !bad; col++) {
				const int tx = col % 24;
				unsigned acc = row % 24 / 8;

				for (int k0 = 0; k0 < n; k0 += 24)
					for (int k = 0; k < 24; k++) {
						const unsigned av = k0 + k < n ? a[row * n + k0 + k] : 0u;
						const unsigned bv = k0 + k < n ? b[(k0 + k) * n + col] : 0u;

						acc = acc * 3u + av * bv;
						if ((tx + k) % 5 == 0)
							acc ^= bv >> 3;
					}
				if (d[row * n + col] != acc) {
					tap_diag("ktile n %d (%d, %d): %u, want %u", n, row, col, d[row * n + col], acc);
					bad = 1;
				}
			}
		vgpu_buffer_free(A);
		vgpu_buffer_free(B);
		vgpu_buffer_free(D);
	}
	tap_ok(!bad, "dialect: a tiled product with register blocking, its k loop of 24 trips unrolled whole (n 37, 61; rows of 24 threads, a divergent test)");
	lowering("ktile", how);
	tap_ok(strstr(how, "uniform loops") == NULL,
	       "dialect: vgpu_kernel_info: the k loop of constant trips is unrolled whole, not cut: \"%s\"", how);
}

static void t_tailloop(const int *in)
{
	enum { B = 128, G = 3 };
	int out[G], want = 0, bad = 0;
	vgpu_buffer *I = buf(in, B * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(B) };
	char how[128];

	for (int i = 0; i < B; i++)
		want += (in[i] * 3) ^ i;
	if (launch("tailloop", G, B, 0, a, 3) || get(O, out, sizeof(out)))
		bad = 1;
	for (int g = 0; g < G && !bad; g++)
		if (out[g] != want) {
			tap_diag("tailloop block %d: %d, want %d", g, out[g], want);
			bad = 1;
		}
	tap_ok(!bad, "dialect: one thread's loop after the last barrier (the others returned)");
	lowering("tailloop", how);
	tap_ok(strstr(how, "uniform loops") == NULL,
	       "dialect: vgpu_kernel_info: a loop only thread 0 runs is not cut as the block's: \"%s\"", how);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_narrow(const int *in)
{
	enum { B = 256, G = 3, NEG = -5, K = 7 };
	int out[2 * G], out2[G], total = 0, bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out)), *O2 = buf(NULL, sizeof(out2));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(NEG), vgpu_arg_i32(K) };
	struct vgpu_arg a2[] = { vgpu_arg_buf(O2) };
	char how[128];

	for (int t = 0; t < B; t++)
		total += in[t % 128] + t;
	/* hits: 1 + 2 + 3, none below -5, K + 1 at t <= K, 100 at the last, 1 at t >= 4; s: 10 + 11 + 12 + 13 and ones */
	const int want = 6 + (K + 1) + 100 + (B - 4) + 46 + (B - 4);
	if (launch("narrow", G, B, 0, a, 4) || get(O, out, sizeof(out)))
		bad = 1;
	for (int g = 0; g < G && !bad; g++)
		if (out[2 * g] != total || out[2 * g + 1] != want) {
			tap_diag("narrow block %d: %d %d, want %d %d", g, out[2 * g], out[2 * g + 1], total, want);
			bad = 1;
		}
	tap_ok(!bad, "dialect: regions with work for the leading threads only (tree loop, false side, bounds)");
	lowering("narrow", how);
	tap_ok(strstr(how, "narrowed") != NULL,
	       "dialect: vgpu_kernel_info: those regions run the leading threads only: \"%s\"", how);
	bad = launch2("narrow2d", G, 16, 4, 0, a2, 1) || get(O2, out2, sizeof(out2));
	for (int g = 0; g < G && !bad; g++)
		if (out2[g] != 2 * (1 + 2 + 3 + 4)) {
			tap_diag("narrow2d block %d: %d, want %d", g, out2[g], 2 * (1 + 2 + 3 + 4));
			bad = 1;
		}
	tap_ok(!bad, "dialect: the leading threads of each row of a 2-D block");
	lowering("narrow2d", how);
	tap_ok(strstr(how, "narrowed") != NULL,
	       "dialect: vgpu_kernel_info: per row: \"%s\"", how);
	int out3[3 * G], w3[3] = { 0, 0, 0 }, nar = 0;
	const int k3 = 100;
	vgpu_buffer *O3 = buf(NULL, sizeof(out3));
	struct vgpu_arg a3[] = { vgpu_arg_buf(I), vgpu_arg_buf(O3), vgpu_arg_i32(k3) };

	for (int t = 0; t < B; t++) {
		w3[0] += t < k3 && in[t % 128] > 0;
		w3[1] += (t & 31) == 0 && t < 64 ? t + 1 : 0;
		w3[2] += (t & 31) == 0 && in[t % 128] < 0 ? t : 0;
	}
	bad = launch("narrowand", G, B, 0, a3, 3) || get(O3, out3, sizeof(out3));
	for (int g = 0; g < G && !bad; g++)
		bad = expect_row("narrowand block", g, out3 + 3 * g, w3, 3);
	tap_ok(!bad, "dialect: work under a conjunction with a test on the thread, or skipped under its negation");
	lowering("narrowand", how);
	const char *nw = strstr(how, " narrowed");
	while (nw && nw > how && nw[-1] >= '0' && nw[-1] <= '9')
		nw--;
	nar = nw ? atoi(nw) : 0;
	tap_ok(nar == 5, "dialect: vgpu_kernel_info: each of the five regions narrowed: \"%s\"", how);
	vgpu_buffer_free(O3);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
	vgpu_buffer_free(O2);
}

/* the expected four values of lanes0 and narrowlin for a bx x by block */
static void want_lanes0(const int *in, unsigned bx, unsigned by, int want[4])
{
	for (int t = 0; t < (int)(bx * by); t++) {
		const int x = t % (int)bx;
		want[0] += (x & 31) == 0 ? in[t % 128] + t : 0;
		want[1] += x % 16 == 0 ? 1 + t : 0;
		want[2] += t % 32 == 0 ? t + 3 : 0;
		want[3] += x < 3;
	}
}

static void want_narrowlin(const int *in, unsigned bx, unsigned by, int want[4])
{
	const int n = (int)(bx * by);

	want[0] = in[0] + 1;
	for (int r = 0; r < 5 && r < n; r++)
		want[1] += r + in[r];
	want[2] = n > 37 ? 37 + in[3] : 0;
	want[3] = n < 10 ? n : 10;
}

/*
 * Kernel @name(in, out), four values a block, in blocks of each of @nshapes
 * shapes against @want's; 0 when all equal. @how: its lowering.
 */
static int four_by_shape(const char *name, const int *in, const unsigned (*shape)[2], size_t nshapes,
			 void (*want_fn)(const int *, unsigned, unsigned, int[4]), char how[128])
{
	enum { G = 3 };
	int out[4 * G], bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	for (size_t k = 0; k < nshapes && !bad; k++) {
		const unsigned bx = shape[k][0], by = shape[k][1];
		int want[4] = { 0 };

		want_fn(in, bx, by, want);
		if (launch2(name, G, bx, by, 0, a, 2) || get(O, out, sizeof(out)))
			bad = 1;
		for (int g = 0; g < G && !bad; g++)
			for (int i = 0; i < 4; i++)
				if (out[4 * g + i] != want[i]) {
					tap_diag("%s %ux%u block %d value %d: %d, want %d", name, bx, by, g, i,
						 out[4 * g + i], want[i]);
					bad = 1;
				}
	}
	lowering(name, how);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
	return bad;
}

static void t_lanes0(const int *in)
{
	static const unsigned shape[][2] = { { 256, 1 }, { 100, 1 }, { 65, 1 }, { 33, 1 }, { 64, 2 }, { 48, 2 }, { 96, 3 } };
	char how[128];

	tap_ok(!four_by_shape("lanes0", in, shape, sizeof(shape) / sizeof(shape[0]), want_lanes0, how),
	       "dialect: regions with work for a warp's first lane only (x & 31, x %% 16 on the false side, a tile's rank beside a bound; partial warps, rows not whole warps)");
	/* and the two of `t < 4`, t = threadIdx.y * blockDim.x + threadIdx.x */
	tap_ok(strstr(how, "5 narrowed") != NULL,
	       "dialect: vgpu_kernel_info: those regions run every 32nd or 16th thread: \"%s\"", how);
}

static void t_narrowlin(const int *in)
{
	static const unsigned shape[][2] = { { 256, 1 }, { 64, 4 }, { 16, 8 }, { 48, 3 }, { 8, 2 } };
	char how[128];

	tap_ok(!four_by_shape("narrowlin", in, shape, sizeof(shape) / sizeof(shape[0]), want_narrowlin, how),
	       "dialect: regions with work for the leading threads by the linear index (thread_rank() <, ==, <=; x + blockDim.x * y), 1-D and 2-D blocks");
	tap_ok(strstr(how, "4 narrowed") != NULL,
	       "dialect: vgpu_kernel_info: those regions run each row's leading threads: \"%s\"", how);
}

/* vgpu_kernel_lowering: the whole text, where vgpu_kernel_info's field cuts it */
static void t_lowering_text(void)
{
	struct vgpu_kernel_info ki = { .size = sizeof(ki) };
	vgpu_kernel *k = NULL;
	char full[1024], small[8];
	int n = -1, n2 = -1, bad;

	bad = vgpu_kernel_get(m, "halo", &k) || vgpu_kernel_info(k, &ki);
	if (!bad) {
		n = vgpu_kernel_lowering(k, NULL, 0);
		n2 = vgpu_kernel_lowering(k, full, sizeof(full));
		bad = n < (int)sizeof(ki.lowering) || n2 != n || (int)strlen(full) != n ||
		      strncmp(full, ki.lowering, sizeof(ki.lowering) - 1) || strlen(ki.lowering) != sizeof(ki.lowering) - 1 ||
		      !strstr(full, "peeled, block prefetch");
	}
	tap_ok(!bad, "api: vgpu_kernel_lowering gives the whole text (%d characters: \"%s\"), vgpu_kernel_info its first 127",
	       n, bad ? "" : full);
	bad = !k || vgpu_kernel_lowering(k, small, sizeof(small)) != n || strlen(small) != sizeof(small) - 1 ||
	      strncmp(small, full, sizeof(small) - 1) || vgpu_kernel_lowering(k, NULL, 4) != -EINVAL ||
	      vgpu_kernel_lowering(NULL, full, sizeof(full)) != -EINVAL;
	tap_ok(!bad, "api: vgpu_kernel_lowering cuts to the buffer as snprintf does; -EINVAL for no kernel or a NULL buffer");
}

/* the region profile source: its barriers' lines are what the profile names */
static const char prof_src[] =
	"extern \"C\" __global__ void prof3(const int *in, int *out)\n"	/* line 1 */
	"{\n"
	"	__shared__ int s[128];\n"
	"	const int t = threadIdx.x;\n"
	"	s[t] = in[t];\n"
	"	__syncthreads();\n"						/* 6 */
	"	int v = s[127 - t];\n"
	"	__syncthreads();\n"						/* 8 */
	"	s[t] = v + 1;\n"
	"	__syncthreads();\n"						/* 10 */
	"	out[blockIdx.x * 128 + t] = s[(t + 1) % 128] * 2;\n"
	"}\n"
	"extern \"C\" __global__ void prof0(int *out) { out[blockIdx.x * 128 + threadIdx.x] = 7; }\n";

/* 70 barriers, more regions than the profile has slots, each ordering an
 * access to s (the last one: the store to s after it; without, it orders
 * nothing and the pass drops it) */
static const char prof_many_src[] =
	"#define B2 s[threadIdx.x] = v; __syncthreads(); v += s[63 - threadIdx.x]; __syncthreads();\n"
	"#define B10 B2 B2 B2 B2 B2\n"
	"extern \"C\" __global__ void many(int *out)\n"
	"{\n"
	"	__shared__ int s[64];\n"
	"	int v = threadIdx.x;\n"
	"	B10 B10 B10 B10 B10 B10 B10\n"
	"	s[threadIdx.x] = v;\n"
	"	out[threadIdx.x] = v;\n"
	"}\n";

/* the runs and share of the line of profile @text that starts with @head; 0 when it parses */
static int prof_line(const char *text, const char *head, unsigned long long *runs, double *share)
{
	const char *l = strstr(text, head);
	double cyc;

	return !l || sscanf(l + strlen(head), " %llu runs, %lf cycles a run, %lf %%", runs, &cyc, share) != 3;
}

/* the share of the blocks' own line of profile @text (-1: none) */
static double prof_own(const char *text)
{
	const char *l = strstr(text, "the blocks' own");
	double cyc, share;

	return l && sscanf(strchr(l, ':') + 1, " %lf cycles a block, %lf %%", &cyc, &share) == 2 ? share : -1;
}

/* vgpu_kernel_profile: per region (labelled by the user's lines) its runs, cycles, share */
static void t_profile(const int *in)
{
	static const char *const popt[] = { "-D__VGPU_PROFILE" };
	struct vgpu_compile_opts co = { .size = sizeof(co), .name = "prof.cu" },
				 cp = { .size = sizeof(cp), .name = "prof.cu", .options = popt, .nr_options = 1 };
	struct vgpu_launch_cfg c = { .size = sizeof(c), .grid = { 5, 1, 1 }, .block = { 128, 1, 1 } };
	vgpu_module *pm = NULL, *pm2 = NULL;
	vgpu_kernel *k3 = NULL, *k0 = NULL, *kn = NULL;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, 5 * 128 * 4);
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };
	char text[4096], err[512] = "";
	int out[5 * 128], bad, n = -1;
	unsigned long long runs[4] = { 0 }, r0 = 0;
	double share[4] = { 0 }, s0 = 0, sum = 0;

#if !defined(__x86_64__)
	tap_skip("the region profile counts the TSC: x86-64 only", "api: vgpu_kernel_profile");
	return;
#endif
	bad = vgpu_module_compile(s, prof_src, 0, &cp, &pm) || vgpu_kernel_get(pm, "prof3", &k3) ||
	      vgpu_kernel_get(pm, "prof0", &k0);
	for (int i = 0; i < 3 && !bad; i++)
		bad = vgpu_launch(k3, &c, a, 2);
	bad = bad || get(O, out, sizeof(out));
	for (int b = 0; b < 5 && !bad; b++)
		for (int t = 0; t < 128; t++)
			bad |= out[b * 128 + t] != (in[127 - (t + 1) % 128] + 1) * 2;
	if (!bad) {
		n = vgpu_kernel_profile(k3, text, sizeof(text));
		bad = n <= 0 || (int)strlen(text) != n || !strstr(text, "3 launches, 15 blocks") ||
		      prof_line(text, "region 0 prof.cu:1 the kernel's start:", &runs[0], &share[0]) ||
		      prof_line(text, "region 1 prof.cu:6 after a barrier:", &runs[1], &share[1]) ||
		      prof_line(text, "region 2 prof.cu:8 after a barrier:", &runs[2], &share[2]) ||
		      prof_line(text, "region 3 prof.cu:10 after a barrier:", &runs[3], &share[3]) ||
		      strstr(text, "region 4");
		for (int i = 0; i < 4 && !bad; i++) {
			bad |= runs[i] != 15;
			sum += share[i];
		}
		sum += prof_own(text);	/* a 1-D block: no prefetch line */
		bad |= prof_own(text) < 0 || sum < 99.5 || sum > 100.5 || strstr(text, "prefetched") != NULL;
	}
	tap_ok(!bad, "api: vgpu_kernel_profile: four regions named by the source's lines, 15 runs each over 3 launches of 5 blocks, shares adding to 100 %% with the blocks' own");
	for (const char *l = n > 0 ? text : vgpu_last_error(s); *l;) {
		const size_t k = strcspn(l, "\n");

		tap_diag("%.*s", (int)k, l);
		l += k + (l[k] != 0);
	}
	a[0] = vgpu_arg_buf(O);
	c.grid.x = 4;
	bad = !k0 || vgpu_launch(k0, &c, a, 1) || vgpu_kernel_profile(k0, text, sizeof(text)) <= 0 ||
	      !strstr(text, "1 launches, 4 blocks") || prof_line(text, "region 0:", &r0, &s0) || r0 != 4 ||
	      prof_own(text) < 0 || s0 + prof_own(text) < 99.5 || s0 + prof_own(text) > 100.5 || strstr(text, "region 1");
	tap_ok(!bad, "api: vgpu_kernel_profile of a kernel without barriers: one region, the whole block, 4 runs");
	{	/* 71 regions, labels longer than the library's first buffer */
		char name[160], head[200], *big = NULL;
		struct vgpu_compile_opts cm = cp;
		struct vgpu_launch_cfg c1 = { .size = sizeof(c1), .grid = { 3, 1, 1 }, .block = { 64, 1, 1 } };
		vgpu_module *mm = NULL;
		vgpu_kernel *km = NULL;
		int nm = -1, want[64];
		unsigned long long rn = 0;
		double sh;

		memset(name, 'n', 120);
		snprintf(name + 120, sizeof(name) - 120, ".cu");
		cm.name = name;
		snprintf(head, sizeof(head), "region 63 %s:7 after a barrier:", name);
		bad = vgpu_module_compile(s, prof_many_src, 0, &cm, &mm) || vgpu_kernel_get(mm, "many", &km) ||
		      vgpu_launch(km, &c1, a, 1) || get(O, out, 64 * 4);
		for (int t = 0; t < 64; t++) {	/* v += v of thread 63 - t, 35 times */
			int v = t, w = 63 - t;

			for (int r = 0; r < 35; r++) {
				const int nv = v + w, nw = w + v;

				v = nv;
				w = nw;
			}
			want[t] = v;
			bad |= !bad && out[t] != want[t];
		}
		if (!bad) {
			nm = vgpu_kernel_profile(km, NULL, 0);
			big = nm > 0 ? malloc((size_t)nm + 1) : NULL;
			bad = nm <= 4096 || !big || vgpu_kernel_profile(km, big, (size_t)nm + 1) != nm ||
			      (int)strlen(big) != nm || prof_line(big, head, &rn, &sh) || rn != 3 * 8 ||
			      !strstr(big, "(the regions past it count in it)") || strstr(big, "region 64");
		}
		tap_ok(!bad, "api: vgpu_kernel_profile of 71 regions: %d characters whole, the 64th slot counting the last 8 (24 runs)", nm);
		free(big);
		if (mm)
			vgpu_module_unload(mm);
	}
	/* compiled without it: nothing counted, and the error says how to get it */
	bad = vgpu_module_compile(s, prof_src, 0, &co, &pm2) || vgpu_kernel_get(pm2, "prof3", &kn) ||
	      vgpu_launch(kn, &c, a, 2);
	if (!bad) {
		bad = vgpu_kernel_profile(kn, text, sizeof(text)) != -ENODATA;
		snprintf(err, sizeof(err), "%s", vgpu_last_error(s));
		bad |= !strstr(err, "prof3") || !strstr(err, "VGPU_CPU_PROFILE=1") || !strstr(err, "-D__VGPU_PROFILE");
	}
	bad |= vgpu_kernel_profile(NULL, text, sizeof(text)) != -EINVAL || (k3 && vgpu_kernel_profile(k3, NULL, 4) != -EINVAL) ||
	       (k3 && vgpu_kernel_profile(k3, NULL, 0) != n);
	tap_ok(!bad, "api: vgpu_kernel_profile: -ENODATA for a module compiled without the profile (\"%s\"), -EINVAL for no kernel or a NULL buffer", err);
	if (pm)
		vgpu_module_unload(pm);
	if (pm2)
		vgpu_module_unload(pm2);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_halo(const int *in)
{
	enum { G = 2 };
	int out[G * 256], t[18][18], bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };
	char how[128];

	for (int y = 0; y < 16; y++) {
		for (int x = 0; x < 16; x++)
			t[y + 1][x + 1] = in[(y * 16 + x) % 128];
		t[y + 1][0] = -1 - y;
		t[y + 1][17] = 100 + y;
		t[0][y + 1] = 200 + y;
		t[17][y + 1] = 300 + y;
	}
	/* 16 columns: the first and last of a row apart; 17: the last named inside the row */
	for (unsigned bx = 16; bx <= 17 && !bad; bx++) {
		if (launch2("halo", G, bx, 16, 0, a, 2) || get(O, out, sizeof(out)))
			bad = 1;
		for (int i = 0; i < G * 256 && !bad; i++) {
			const int x = i % 16, y = i / 16 % 16;
			const int want = t[y][x + 1] + 2 * t[y + 2][x + 1] + 3 * t[y + 1][x] + 5 * t[y + 1][x + 2];

			if (out[i] != want) {
				tap_diag("halo, %u columns: thread (%d, %d) of block %d: %d, want %d", bx, x, y, i / 256,
					 out[i], want);
				bad = 1;
			}
		}
	}
	tap_ok(!bad, "dialect: a halo tile loaded by its edge threads (16 and 17 columns)");
	lowering("halo", how);
	tap_ok(strstr(how, " peeled") != NULL,
	       "dialect: vgpu_kernel_info: the edge threads run apart: \"%s\"", how);

	/* halou: 3 rounds, the tile shifted by the round, base values from in[0..3] */
	enum { ROUNDS = 3 };
	const int b0 = in[0] & 15, b1 = in[1] & 15, b2 = in[2] & 15, b3 = in[3] & 15;
	int acc[256] = { 0 };
	struct vgpu_arg au[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(ROUNDS) };

	for (int r = 0; r < ROUNDS; r++) {
		for (int y = 0; y < 16; y++) {
			for (int x = 0; x < 16; x++)
				t[y + 1][x + 1] = in[(y * 16 + x + r) % 128] + b0;
			t[y + 1][0] = b1 - y;
			t[y + 1][17] = b2 + y;
			t[0][y + 1] = b3 + y;
			t[17][y + 1] = b0 * y;
		}
		for (int i = 0; i < 256; i++) {
			const int x = i % 16, y = i / 16;

			acc[i] += t[y][x + 1] + 2 * t[y + 2][x + 1] + 3 * t[y + 1][x] + 5 * t[y + 1][x + 2];
		}
	}
	for (unsigned bx = 16; bx <= 17 && !bad; bx++) {
		if (launch2("halou", G, bx, 16, 0, au, 3) || get(O, out, sizeof(out)))
			bad = 1;
		for (int i = 0; i < G * 256 && !bad; i++)
			if (out[i] != acc[i % 256] + b1 + b2 + b3) {
				tap_diag("halou, %u columns: thread (%d, %d) of block %d: %d, want %d", bx, i % 16,
					 i / 16 % 16, i / 256, out[i], acc[i % 256] + b1 + b2 + b3);
				bad = 1;
			}
	}
	tap_ok(!bad, "dialect: a halo tile in a loop, values the same in every thread kept by the last one");
	lowering("halou", how);
	tap_ok(strstr(how, " peeled") != NULL && strstr(how, "5 uniform values") != NULL,
	       "dialect: vgpu_kernel_info: edge threads apart beside 5 uniform values: \"%s\"", how);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

/* halo32's output for the grid nx x ny x nz of @u, in plain C */
static int halo32_want(const int *u, int nx, int ny, int nz, int x, int y, int z)
{
	const int slice = nx * ny, x0 = x / 32 * 32, tx = x - x0;
#define U(xx, yy, zz) u[(zz) * slice + (yy) * nx + (xx)]
	const int cur = U(x, y, z), below = z > 0 ? U(x, y, z - 1) : 0, above = z + 1 < nz ? U(x, y, z + 1) : 0;
	/* the tile's cell at column c (0 .. 33) of row r (0 .. 5) */
	int t[3][3];
	for (int dy = -1; dy <= 1; dy++)
		for (int dx = -1; dx <= 1; dx++) {
			const int r = y + 1 + dy, c = tx + 1 + dx, xc = x0 + c - 1, yr = r - 1;
			int v;
			if (r == 0)
				v = -3 * (c - 1);
			else if (r == 5)
				v = 11 + xc;
			else if (c == 0)
				v = x0 > 0 && yr < ny ? U(x0 - 1, yr, z) : -7;
			else if (c == 33)
				v = x0 + 32 < nx && yr < ny ? U(x0 + 32, yr, z) : -9;
			else
				v = xc < nx && yr < ny ? U(xc, yr, z) : 0;
			t[dy + 1][dx + 1] = v;
		}
#undef U
	return 3 * cur + t[1][0] + 2 * t[1][2] + 5 * t[0][1] + 7 * t[2][1] + 13 * below + 17 * above;
}

static void t_halo32(const int *in)
{
	/* two blocks, the second 13 columns inside; one block of 31; 3 rows of 4 */
	static const int shapes[2][3] = { { 45, 3, 5 }, { 31, 3, 2 } };
	enum { MAXN = 45 * 3 * 5 };
	int u[MAXN], out[MAXN], bad = 0;
	char how[128];

	for (int i = 0; i < MAXN; i++)
		u[i] = in[i % 128] + i;
	for (int k = 0; k < 2 && !bad; k++) {
		const int nx = shapes[k][0], ny = shapes[k][1], nz = shapes[k][2], n = nx * ny * nz;
		vgpu_buffer *I = buf(u, n * 4), *O = buf(NULL, n * 4);
		struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(nx), vgpu_arg_i32(ny),
					vgpu_arg_i32(nz) };

		if (launch2("halo32", (nx + 31) / 32, 32, 4, 0, a, 5) || get(O, out, n * 4))
			bad = 1;
		for (int i = 0; i < n && !bad; i++) {
			const int x = i % nx, y = i / nx % ny, z = i / (nx * ny);
			const int want = halo32_want(u, nx, ny, nz, x, y, z);

			if (out[i] != want) {
				tap_diag("halo32 %dx%dx%d: cell (%d, %d, %d): %d, want %d", nx, ny, nz, x, y, z, out[i],
					 want);
				bad = 1;
			}
		}
		vgpu_buffer_free(I);
		vgpu_buffer_free(O);
	}
	tap_ok(!bad, "dialect: a 2.5-D halo tile of 32 x 4, partial at the grid's edge, values per thread across its barriers");
	lowering("halo32", how);
	tap_ok(strstr(how, " peeled") != NULL, "dialect: vgpu_kernel_info: halo32's edge threads run apart: \"%s\"", how);
}

static void t_march(const int *in)
{
	enum { G = 2, P = G * 64, NZ = 6 };
	int u[NZ * P], out[NZ * P], bad = 0;
	vgpu_buffer *I, *O;
	char how[128];

	for (int i = 0; i < NZ * P; i++)
		u[i] = in[i % 128] + i / 128;
	I = buf(u, sizeof(u));
	O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(P), vgpu_arg_i32(NZ) };

	if (launch2("march", G, 16, 4, 0, a, 4) || get(O, out, sizeof(out)))
		bad = 1;
	for (int z = 0; z < NZ && !bad; z++)
		for (int xy = 0; xy < P && !bad; xy++) {
			const int x = xy % 16, y = xy / 16 % 4, b = xy / 64 * 64;
			const int at = z * P, below = z ? u[at - P + xy] : 0, above = z + 1 < NZ ? u[at + P + xy] : 0;
			const int left = x ? u[at + xy - 1] : xy > 0 ? u[at + xy - 1] : 0;
			const int right = x < 15 ? u[at + xy + 1] : xy + 1 < P ? u[at + xy + 1] : 0;
			const int want = below + 2 * u[at + xy] + 3 * above + 5 * left + 7 * right +
					 11 * u[at + b + (y + 1) % 4 * 16 + x];

			if (out[at + xy] != want) {
				tap_diag("march: plane %d, cell %d: %d, want %d", z, xy, out[at + xy], want);
				bad = 1;
			}
		}
	tap_ok(!bad, "dialect: a column marched along z, its planes prefetched a loop trip ahead");
	lowering("march", how);
	tap_ok(strstr(how, " prefetching") != NULL, "dialect: vgpu_kernel_info: regions that prefetch: \"%s\"", how);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_phiexit(const int *in)
{
	enum { B = 64, G = 2 };
	int out[G * B], r[B], bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	for (int t = 0; t < B; t++)
		r[t] = (in[t] & 3) == 2 ? -7 : in[t] / 2 + (in[t] & 3);
	if (launch("phiexit", G, B, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int i = 0; i < G * B && !bad; i++) {
		const int t = i % B, want = (in[t] & 3) == 2 ? 1000 + t : r[t] + r[(t + 1) % B];

		if (out[i] != want) {
			tap_diag("phiexit thread %d of block %d: %d, want %d", t, i / B, out[i], want);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: threads leave a region by a loop count of their own (some return)");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_aos4(const int *in)
{
	enum { B = 256, G = 2, N = B * G };
	float a[4 * N], o0[N], o2[N];
	int b[4 * N], o1[N], bad = 0;

	/* small integers: every product and sum exact, fused or not */
	for (int i = 0; i < 4 * N; i++) {
		a[i] = (float)(in[i % 128] / 10 + i % 7);
		b[i] = in[(i * 5 + 3) % 128] / 20 - i % 5;
	}
	vgpu_buffer *A = buf(a, sizeof(a)), *Bb = buf(b, sizeof(b)), *O0 = buf(NULL, sizeof(o0)),
		    *O1 = buf(NULL, sizeof(o1)), *O2 = buf(NULL, sizeof(o2));
	vgpu_buffer *bufs[] = { A, Bb, O0, O1, O2 };
	struct vgpu_arg args[] = { vgpu_arg_buf(A), vgpu_arg_buf(Bb), vgpu_arg_buf(O0), vgpu_arg_buf(O1),
				   vgpu_arg_buf(O2) };

	if (launch("aos4", G, B, 0, args, 5) || get(O0, o0, sizeof(o0)) || get(O1, o1, sizeof(o1)) ||
	    get(O2, o2, sizeof(o2)))
		bad = 1;
	for (int t = 0; t < N && !bad; t++) {
		const float *u = a + 4 * t;
		const int *v = b + 4 * t;
		const float w0 = u[0] * 3.0f - u[3], w2 = u[0] * v[0] + u[1] * v[1] + u[2] * v[2] + u[3] * v[3];
		const int w1 = v[1] - v[2] * 7 + v[3];

		if (o0[t] != w0 || o1[t] != w1 || o2[t] != w2) {
			tap_diag("aos4 thread %d: %g %d %g, want %g %d %g", t, o0[t], o1[t], o2[t], w0, w1, w2);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: float4 and int4 loads per thread, two, three and four components used");
	for (unsigned i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		vgpu_buffer_free(bufs[i]);
}

/* unishared for n threads of 256 against the same steps in C */
static void t_unishared(const int *in)
{
	enum { B = 256, G = 2 };
	static const int ns[] = { 256, 200 };
	int bad = 0;

	for (unsigned k = 0; k < sizeof(ns) / sizeof(ns[0]) && !bad; k++) {
		const int n = ns[k];
		int out[G * B], want[B], s[B];
		vgpu_buffer *I = buf(in, 128 * sizeof(int)), *O = buf(NULL, sizeof(out));
		struct vgpu_arg args[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(n) };

		for (int t = 0; t < n; t++)
			s[t] = in[t % 128] * (t + 1);
		const int last = s[n - 1];
		for (int t = 0; t < n; t++)
			s[t] += last;
		const int a = s[0], b = s[n / 2], c = s[n - 1], d = s[1], e = s[n - 2];
		for (int t = 0; t < n; t++)
			s[t] = a - b + c * 3 - d + e + last - t;
		bad = launch("unishared", G, B, 0, args, 3) || get(O, out, sizeof(out));
		for (int g = 0; g < G && !bad; g++) {
			for (int t = 0; t < n; t++)
				want[t] = s[n - 1 - t] + g;
			bad = expect_row("unishared block", g, out + g * B, want, n);
		}
		vgpu_buffer_free(I);
		vgpu_buffer_free(O);
	}
	tap_ok(!bad, "dialect: values every thread loads from __shared__ live across barriers (one, five; threads leaving first)");
	char how[128];
	lowering("unishared", how);
	tap_ok(strstr(how, " 0 bytes per thread and ") != NULL,
	       "dialect: vgpu_kernel_info: those values kept once per block: \"%s\"", how);
}

/* gapfill's three arrays against the same steps in C */
static void t_gapfill(const int *in)
{
	enum { B = 256, N = 768 + 512 + 512 + 512 };
	int out[N], s2[512], s3[768], h[512], w[512], bad = 0;

	for (int i = 0; i < 768; i++)
		s3[i] = in[(i * 7) % 128] + i;
	for (int i = 0; i < 512; i++) {
		s2[i] = in[i % 128] - i;
		h[i] = (int)((unsigned)in[(i * 3) % 128] * 65536u + (unsigned)i);
		w[i] = in[(i * 5) % 128] - 7 * i;
	}
	for (int t = 0; t < B; t++) {
		const int a = h[2 * t];
		const short lo = (short)(t * 3);

		s2[2 * t + 1] += s2[2 * t];
		s3[3 * t + 2] = s3[3 * t] * 2 - s3[3 * t + 1];
		memcpy(&h[2 * t], &lo, sizeof(lo));
		h[2 * t + 1] = a + 1;
	}
	for (int t = 0; t < B; t++) {
		const int b = w[2 * t + 1];
		const long long q = (long long)(t * 3);

		memcpy(&w[2 * t], &q, sizeof(q));
		w[2 * t] = b + 1;
	}
	vgpu_buffer *I = buf(in, 128 * sizeof(int)), *O = buf(NULL, sizeof(out));
	struct vgpu_arg args[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	int want[N];

	memcpy(want, s3, sizeof(s3));
	memcpy(want + 768, s2, sizeof(s2));
	memcpy(want + 1280, h, sizeof(h));
	memcpy(want + 1792, w, sizeof(w));
	bad = launch("gapfill", 1, B, 0, args, 2) || get(O, out, sizeof(out)) || expect_row("gapfill", 0, out, want, N);
	tap_ok(!bad, "dialect: strided __shared__ stores with gaps, the gaps loaded before or written between (2 or 8 bytes)");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

/* inclusive scan of the block: the values and their sums as wscan0 makes them */
static void t_wscan0(const int *in)
{
	enum { B = 256, G = 2 };
	long long out[G * B], run = 0;
	int bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };
	char how[128];

	if (launch("wscan0", G, B, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int i = 0; i < G * B && !bad; i++) {
		const int t = i % B;

		run = (t ? run : 0) + ((long long)in[t % 128] * (1 << 20) | t);
		if (out[i] != run) {
			tap_diag("wscan0 thread %d of block %d: %lld, want %lld", t, i / B, out[i], run);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: a block scan, its second warp scan (8-byte) under a branch on the thread");
	/* kept per thread: v and t (8 bytes each), not the exchange's half
	 * (read after the scan's sync, it made every lane's result a gather:
	 * 32 bytes per thread) */
	lowering("wscan0", how);
	const char *bp = strstr(how, "), ");
	int bytes = -1;

	tap_ok(bp && sscanf(bp + 3, "%d bytes per thread", &bytes) == 1 && bytes >= 0 && bytes <= 16,
	       "dialect: vgpu_kernel_info: the warp scans' values alone kept per thread (16 bytes): \"%s\"", how);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_wrows(const int *in)
{
	enum { B = 128, G = 2, L = 70 };
	int out[G * B / 32], bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(L) };
	char how[128];

	if (launch("wrows", G, B, 0, a, 3) || get(O, out, sizeof(out)))
		bad = 1;
	for (int r = 0; r < G * B / 32 && !bad; r++) {
		int p[32], want;

		for (int l = 0; l < 32; l++) {
			p[l] = 0;
			for (int k = l; k < L + r; k += 32)
				p[l] += in[k % 128] * (k + 1);
		}
		for (int off = 16; off > 0; off >>= 1)	/* lane 0 of a down-shuffle tree */
			for (int l = 0; l < 32; l++)
				p[l] += l + off < 32 ? p[l + off] : p[l];
		want = p[0];
		if (out[r] != want) {
			tap_diag("wrows row %d: %d, want %d", r, out[r], want);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: a warp per row: warp-stride loop, then a shuffle tree");
	lowering("wrows", how);
	tap_ok(strstr(how, "1 warp syncs), 0 bytes per thread") != NULL,
	       "dialect: vgpu_kernel_info: the shuffle loop after a warp-stride loop is one warp sync, nothing kept per thread: \"%s\"",
	       how);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_privptr(const int *in)
{
	enum { B = 64, R = 3, J = 2 };
	int out[3 * B], bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(R), vgpu_arg_i32(J) };

	if (launch("privptr", 1, B, 0, a, 4) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < B && !bad; t++) {
		int x[2][8], c = 0, s = 0, k;

		for (int i = 0; i < 8; i++)
			x[0][i] = in[(t * 8 + i) % 128] & 15;
		for (int r = 0; r < R; r++, c ^= 1)
			for (int i = 0; i < 8; i++)
				x[c ^ 1][i] = x[c][(i + 1) & 7] + r;
		for (k = 0; k < x[c][(J + 1) & 7]; k++)
			s += in[k] ^ t;
		if (out[3 * t] != x[c][J & 7] || out[3 * t + 1] != s || out[3 * t + 2] != k) {
			tap_diag("privptr thread %d: %d %d %d vs %d %d %d", t, out[3 * t], out[3 * t + 1],
				 out[3 * t + 2], x[c][J & 7], s, k);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: a pointer to a per-thread array swapped in a loop: loads through it and a loop it bounds stay per thread");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_xhalves(const int *in)
{
	enum { B = 128, G = 2, N = B * G };
	long long out[2 * N], v[N], c[N];
	unsigned a[N];
	int bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg args[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("xhalves", G, B, 0, args, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int i = 0; i < N; i++) {
		int t = i % B;

		v[i] = in[t & 127] + 1000LL * t;
	}
	for (int i = 0; i < N; i++) {
		int t = i % B, lane = t & 31;

		a[i] = (unsigned)v[lane < 31 ? i + 1 : i];
		c[i] = v[i - lane + (lane ^ 3)] << 20;	/* b */
	}
	for (int w = 0; w < N / 32; w++) {
		long long b[32], up[32];
		int base = w * 32;

		if ((w % (B / 32)) != 1)
			continue;
		for (int l = 0; l < 32; l++)
			b[l] = c[base + l];
		for (int l = 0; l < 32; l++)
			up[l] = b[l < 2 ? l : l - 2] + a[base + (l < 2 ? l : l - 2)];
		for (int l = 0; l < 32; l++)
			c[base + l] = up[l] + ((unsigned)up[(l + 5) & 31] * 3u);
	}
	for (int i = 0; i < N && !bad; i++) {
		int lane = i & 31, j = i - lane + ((lane + 9) & 31), k = lane < 28 ? i + 4 : i;
		unsigned d = a[j] + (unsigned)c[j], dk = a[i - lane + ((((k & 31) + 9) & 31))] +
			(unsigned)c[i - lane + ((((k & 31) + 9) & 31))];
		long long e = c[k] - dk;

		if (out[2 * i] != d || out[2 * i + 1] != e) {
			tap_diag("xhalves thread %d: %lld %lld vs %u %lld", i, out[2 * i], out[2 * i + 1], d, e);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: shuffles of 4 and 8 bytes by the whole block, one warp's in a branch, the whole block again");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_padidx(const int *in)
{
	static const unsigned shape[2][2] = { { 48, 2 }, { 100, 1 } };
	int out[6 * 2 * 100], bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	for (int k = 0; k < 2 && !bad; k++) {
		const unsigned bx = shape[k][0], by = shape[k][1];

		if (launch2("padidx", 2, bx, by, 0, a, 2) || get(O, out, sizeof(out))) {
			bad = 1;
			break;
		}
		for (unsigned g = 0; g < 2 * bx * by && !bad; g++) {
			const int x = (int)(g % bx), y = (int)(g / bx % by);
			const int want[6] = { in[(x + 7 * y) & 127] + 1000 * x, 3 * (x + ((x + 16) >> 5)) + 1,
					      3 * (x + (x >> 4)) + 1, 3 * (x + 64 + ((x - 64) >> 6)) + 1,
					      3 * (x + (int)((unsigned)(x + 32) / 64u) + ((x + 96) >> 5)) + 1,
					      3 * (x + (x + 3) / 32) + 1 };

			for (int j = 0; j < 6; j++)
				if (out[6 * g + j] != want[j]) {
					tap_diag("padidx %ux%u thread %u value %d: %d vs %d", bx, by, g, j, out[6 * g + j],
						 want[j]);
					bad = 1;
				}
		}
	}
	tap_ok(!bad, "dialect: padded shared indices x + (x >> 5) and shifts of x by 4, 5, 6 (rows of 48 and 100)");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_vstride(const int *in)
{
	/* n, threads, k */
	static const int shape[][3] = { { 512, 256, 1 }, { 128, 100, 3 }, { 64, 37, 2 }, { 32, 16, 4 }, { 256, 200, 4 } };
	enum { G = 3 };
	static int out[G * 2 * 512];
	int bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));

	for (unsigned c = 0; c < sizeof(shape) / sizeof(shape[0]) && !bad; c++) {
		const int n = shape[c][0], b = shape[c][1], k = shape[c][2];
		struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(n), vgpu_arg_i32(k) };

		if (launch("vstride", G, (unsigned)b, 0, a, 4) || get(O, out, sizeof(out))) {
			bad = 1;
			break;
		}
		for (int g = 0; g < G && !bad; g++) {
			int scan[512], acc = 0;

			for (int i = 0; i < n; i++) {
				scan[i] = acc;
				acc += in[(i + 7 * g) & 127];
			}
			for (int i = 0; i < n && !bad; i++)
				if (out[2 * 512 * g + i] != scan[i]) {
					tap_diag("vstride n %d block %d element %d: %d, want %d", n, g, i,
						 out[2 * 512 * g + i], scan[i]);
					bad = 1;
				}
			for (int t = 0; t < b && !bad; t++) {
				/* r[t * k] is thread t's, written where t % 3 != 1 */
				const int w = t % 3 != 1 ? 2 * scan[t] + t : -1;

				if (out[2 * 512 * g + 512 + t] != w) {
					tap_diag("vstride n %d block %d thread %d: %d, want %d", n, g, t,
						 out[2 * 512 * g + 512 + t], w);
					bad = 1;
				}
			}
		}
	}
	tap_ok(!bad, "dialect: a padded Blelloch scan (strides changing every step) in blocks of 256, 100, 37, 16, 200 threads, "
	       "and a stride given at launch under a divergent test");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

/*
 * Kernel @k (in, out) on @G blocks of each of the @n block sizes in @shape,
 * every block writing @len ints: @want fills what block @g of @b threads
 * must write and says how many of them to compare. Nonzero, with a
 * diagnostic, at the first wrong one.
 */
static int blocks_check(const char *k, const int *in, const int *shape, unsigned n, int G, int len,
			int (*want)(const int *in, int b, int g, int *w))
{
	const size_t bytes = (size_t)G * (size_t)len * sizeof(int);
	int *out = malloc(bytes), *w = malloc((size_t)len * sizeof(int)), bad = !out || !w;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, bytes);
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	for (unsigned c = 0; c < n && !bad; c++) {
		if (launch(k, (unsigned)G, (unsigned)shape[c], 0, a, 2) || get(O, out, bytes)) {
			bad = 1;
			break;
		}
		for (int g = 0; g < G && !bad; g++) {
			const int m = want(in, shape[c], g, w);

			for (int i = 0; i < m && !bad; i++)
				if (out[len * g + i] != w[i]) {
					tap_diag("%s: block of %d threads, block %d element %d: %d, want %d", k, shape[c], g, i,
						 out[len * g + i], w[i]);
					bad = 1;
				}
		}
	}
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
	free(out);
	free(w);
	return bad;
}

/* the block's threads run each level (a level's threads touch disjoint elements) */
static int vconst_want(const int *in, int b, int g, int *w)
{
	int *s = w, *q = w + 256, off = 1;

	for (int i = 0; i < 256; i++) {
		s[i] = in[(i + 5 * g) & 127];
		q[i] = in[(i + 3 * g) & 127] - i;
	}
	for (int d = 128; d > 0; d >>= 1, off *= 2)
		for (int t = 0; t < d && t < b; t++) {
			const int ai = off * (2 * t + 1) - 1, bi = off * (2 * t + 2) - 1;

			s[bi] += s[ai];
			q[bi] += q[ai] ^ t;
		}
	s[255] = 0;
	for (int d = 1; d < 256; d *= 2) {
		off >>= 1;
		for (int t = 0; t < d && t < b; t++) {
			const int ai = off * (2 * t + 1) - 1, bi = off * (2 * t + 2) - 1, v = s[ai];

			s[ai] = s[bi];
			s[bi] += v;
		}
	}
	return 512;
}

static void t_vconst(const int *in)
{
	static const int shape[] = { 128, 200, 100, 37 };

	tap_ok(!blocks_check("vconst", in, shape, 4, 3, 512, vconst_want),
	       "dialect: a padded Blelloch scan of constant size (loops with barriers unrolled whole; shifts by 5 "
	       "and 4) in blocks of 128, 200, 100, 37 threads");
}

/* vpairs: the exclusive scan of block @g's 512 values, mod 1000003, and their total */
static int vpairs_want(const int *in, int b, int g, int *w)
{
	long long acc = 0;

	(void)b;
	for (int i = 0; i < 512; i++) {
		const long long v = in[(i + 3 * g) & 127] * 3000000019LL - (i >= 256 ? i - 256 : 0);

		w[i] = (int)(acc % 1000003);
		acc += v;
	}
	w[512] = (int)(acc % 1000003);
	return 513;
}

static void t_vpairs(const int *in)
{
	static const int shape[] = { 256 };

	tap_ok(!blocks_check("vpairs", in, shape, 1, 5, 600, vpairs_want),
	       "dialect: scan_blelloch's shape over 8-byte values (a helper with barriers, padded pairs a constant "
	       "apart) in blocks of 256 threads");
}

/* vlanes: the warps' and eights' stored values (as the kernel's w and q), then each thread's sum */
static int vlanes_want(const int *in, int b, int g, int *o)
{
	unsigned w[64], q[64], v[256], *r = (unsigned *)o;

	for (int i = 0; i < 64; i++) {
		w[i] = 1000 + (unsigned)i;
		q[i] = 2000 + (unsigned)i;
	}
	for (int t = 0; t < b; t++) {
		v[t] = (unsigned)in[(t + 7 * g) & 127] + (unsigned)t;
		if ((t & 31) == 31)
			w[t >> 5] = v[t];
		if (((t + 5) & 31) == 0)
			w[32 + (t >> 5)] = 3 * v[t];
		if ((t & 7) == 3)
			q[t >> 3] = 5 * v[t];
	}
	for (int t = 0; t < b; t++) {
		const unsigned a = t >> 5 ? w[(t >> 5) - 1] : 0, bb = t % 3 ? w[32 + (t >> 5)] : 1,
			       c = t % 5 ? q[t >> 3] : 2, d = (t & 15) == 9 ? (unsigned)in[t * 5 & 127] : 3,
			       e = t & 1 ? q[(t + 5) >> 4] : 4;

		r[128 + t] = a + 3 * bb + 5 * c + 7 * d + 11 * e;
	}
	for (int i = 0; i < 64; i++) {
		r[i] = w[i];
		r[64 + i] = q[i];
	}
	return 128 + b;
}

static void t_vlanes(const int *in)
{
	static const int shape[] = { 256, 200, 96, 37, 19 };

	tap_ok(!blocks_check("vlanes", in, shape, 5, 3, 400, vlanes_want),
	       "dialect: one lane of 32 stores, threads read their warp's value and their eight's under "
	       "divergent tests, one lane of 16 reads, in blocks of 256, 200, 96, 37, 19 threads");
}

static int shscatter_want(const int *in, int b, int g, int *sh)
{
	for (int i = 0; i < 2 * b; i++)
		sh[i] = in[(i + 3 * g) & 127];
	for (int t = 0; t < b; t++)
		if (t % 5 != 2)
			sh[t * 7 % b + b] += 3 * sh[t * 3 % b] + t;
	for (int j = 1; j < b; j <<= 1)
		for (int t = 0; t < b; t++) {
			const int p = t ^ j;

			if (p > t && p < b && sh[t] > sh[p]) {
				const int v = sh[t];

				sh[t] = sh[p];
				sh[p] = v;
			}
		}
	return 2 * b;
}

static void t_shscatter(const int *in)
{
	/* block sizes: none a multiple of 3 or 7, so t * 3 % b and t * 7 % b permute the threads */
	static const int shape[] = { 256, 100, 37, 34, 250 };

	tap_ok(!blocks_check("shscatter", in, shape, 5, 3, 2 * 512, shscatter_want),
	       "dialect: stores to shared memory at addresses not stepping with the thread (a permutation, "
	       "t ^ j exchanges) under divergent tests, blocks of 256, 100, 37, 34, 250 threads");
}

static void t_halfwarps(const int *in)
{
	enum { B = 64, M = 5 };
	int out[B], bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(M) };

	if (launch("halfwarps", 1, B, 0, a, 3) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < B && !bad; t++) {
		int lane = t & 31, w = t - lane, acc = 0;

		for (int k = 0; k < M; k++)
			acc += (lane < 16 ? in[w + ((lane + k) & 15)] : in[w + 16 + ((lane + 2 * k) & 15)]) * (k + 1);
		if (out[t] != acc) {
			tap_diag("halfwarps thread %d: %d vs %d", t, out[t], acc);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: a warp's halves shuffle in the two sides of a branch in a loop (groups apart, a counter each)");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_tilevote(const int *in)
{
	enum { B = 64 };
	int out[8 * B], bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("tilevote", 1, B, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < B && !bad; t++) {
		int lane = t & 31, w = t - lane, b = t - t % 16, v = in[t], e[7] = { 0 }, all = 1, same = 1;
		unsigned bal = 0, cb = 0, rank = 0, size = 0, first = 32;

		for (int j = 0; j < 16; j++) {
			all &= in[b + j] > -280;
			e[1] |= in[b + j] > 600;
			bal |= (unsigned)(in[b + j] > 0) << j;
		}
		e[0] = 1 + 2 * all;
		e[2] = (int)bal;
		for (int j = 0; j < 32; j++)
			if (in[w + j] & 1) {
				first = first < 32 ? first : (unsigned)j;
				cb |= (unsigned)(in[w + j] > 0) << size;
				rank += j < lane;
				size++;
			}
		if (v & 1) {
			e[3] = (int)(size * 1000 + rank);
			e[4] = in[w + first];
			e[5] = (int)cb;
		}
		for (int j = lane & 28; j < (lane & 28) + 4; j++)
			same &= (in[w + j] < 0) == (v < 0);
		e[6] = same ? (int)(0xfu << (lane & 28)) + 7 : 0;
		bad |= expect_row("tilevote", t, &out[8 * t], e, 7);
	}
	tap_ok(!bad, "dialect: tile<16> all/any/ballot after its halves passed a __syncwarp apart, coalesced_threads in a branch, __match_all_sync");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_gstride(const int *in)
{
	enum { G = 3, B = 64, N = 1000 };
	int out[G * B], bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(N) };

	if (launch("gstride", G, B, 0, a, 3) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < G * B && !bad; t++) {
		int acc = 0, cnt = 0;

		for (int i = t; i < N; i += G * B) {
			acc += in[i % 128] * (i & 7);
			cnt++;
		}
		if (out[t] != acc * 1000 + cnt) {
			tap_diag("gstride thread %d: %d, want %d", t, out[t], acc * 1000 + cnt);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: a grid-stride loop whose trips differ between threads");
	strided_loop("gstride");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_gsum(void)
{
	static const struct { unsigned g, b; int n; } cf[] = {
		{ 3, 48, 3 * 48 * 7 + 17 },	/* odd block, last trip partial */
		{ 2, 256, 300 },		/* most threads one trip or none */
		{ 5, 33, 4099 },		/* a partial warp, 25 trips */
	};
	enum { NMAX = 4099, TMAX = 512 };
	static unsigned in[NMAX], copy[NMAX], out[TMAX];
	int bad = 0;
	char how[128];
	vgpu_buffer *I, *Y, *O;

	for (int i = 0; i < NMAX; i++)
		in[i] = (unsigned)t_rand();
	I = buf(in, sizeof(in));
	Y = buf(NULL, sizeof(copy));
	O = buf(NULL, sizeof(out));
	for (size_t c = 0; c < sizeof(cf) / sizeof(cf[0]) && !bad; c++) {
		const unsigned T = cf[c].g * cf[c].b;
		struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(Y), vgpu_arg_buf(O), vgpu_arg_i32(cf[c].n) };

		if (launch("gsum", cf[c].g, cf[c].b, 0, a, 4) || get(O, out, sizeof(out)) || get(Y, copy, sizeof(copy)))
			bad = 1;
		for (unsigned t = 0; t < T && !bad; t++) {
			unsigned acc = 7;

			for (int i = (int)t; i < cf[c].n && !bad; i += (int)T) {
				if (in[i] & 1)
					acc = acc * 31 + in[i];
				if (copy[i] != (in[i] ^ acc)) {
					tap_diag("gsum %ux%u: element %d: %u, want %u", cf[c].g, cf[c].b, i, copy[i],
						 in[i] ^ acc);
					bad = 1;
				}
			}
			if (out[t] != acc) {
				tap_diag("gsum %ux%u: thread %u: %u, want %u", cf[c].g, cf[c].b, t, out[t], acc);
				bad = 1;
			}
		}
	}
	tap_ok(!bad, "dialect: a grid-stride loop streaming through memory (odd blocks, partial warps, divergent lanes)");
	lowering("gsum", how);
	/* (its text is 131 bytes: vgpu_kernel_info keeps 127) */
	tap_ok(strstr(how, "1 at strided loops") != NULL && strstr(how, ", 1 prefetc") != NULL,
	       "dialect: vgpu_kernel_info: a grid-stride loop that prefetches: \"%s\"", how);
	lowering("bstride", how);
	tap_ok(strstr(how, " prefetching") == NULL,
	       "dialect: vgpu_kernel_info: a block-stride loop left to the hardware's prefetchers: \"%s\"", how);
	vgpu_buffer_free(I);
	vgpu_buffer_free(Y);
	vgpu_buffer_free(O);
}

static void t_bstride(void)
{
	enum { G = 2, B = 96, H = 250 };
	static float x[G * H], out[G * B];
	int bad = 0;
	vgpu_buffer *X, *O;

	for (int i = 0; i < G * H; i++)
		x[i] = t_frand() * 4.f;
	X = buf(x, sizeof(x));
	O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(X), vgpu_arg_buf(O), vgpu_arg_i32(H) };

	if (launch("bstride", G, B, 0, a, 3) || get(O, out, sizeof(out)))
		bad = 1;
	for (int g = 0; g < G && !bad; g++)
		for (int t = 0; t < B && !bad; t++) {
			float s = 0.f;
			int cnt = 0;

			for (int c = t; c < H; c += B) {
				s += expf(x[g * H + c] - 1.f);
				cnt++;
			}
			if (!close_to(out[g * B + t], s + 1000.f * cnt, 1e-5f)) {
				tap_diag("bstride block %d thread %d: %g, want %g", g, t, out[g * B + t], s + 1000.f * cnt);
				bad = 1;
			}
		}
	tap_ok(!bad, "dialect: a block-stride loop calling expf, trips differing between threads (250 over 96)");
	strided_loop("bstride");
	vgpu_buffer_free(X);
	vgpu_buffer_free(O);
}

static void t_lnstride(void)
{
	enum { G = 3, HM = 800, BM = 512 };
	static const int cf[][2] = { { 256, 700 }, { 256, 768 }, { 255, 700 }, { 37, 300 }, { 96, 250 },
				     { 33, 40 }, { 100, 7 }, { 512, 513 } };
	static float x[G * HM], y[G * HM], st[G * BM];
	static int cn[G * BM];
	int bad = 0;

	for (int i = 0; i < G * HM; i++)
		x[i] = t_frand() * 4.f;
	vgpu_buffer *X = buf(x, sizeof(x)), *Y = buf(NULL, sizeof(y)), *S = buf(NULL, sizeof(st)),
		    *N = buf(NULL, sizeof(cn));
	for (unsigned k = 0; k < sizeof(cf) / sizeof(cf[0]) && !bad; k++) {
		const int B = cf[k][0], H = cf[k][1];
		const float eps = 1e-5f;
		struct vgpu_arg a[] = { vgpu_arg_buf(X), vgpu_arg_buf(Y), vgpu_arg_buf(S), vgpu_arg_buf(N),
					vgpu_arg_i32(H), vgpu_arg_f32(eps) };

		if (launch("lnstride", G, (unsigned)B, 0, a, 6) || get(Y, y, sizeof(y)) || get(S, st, sizeof(st)) ||
		    get(N, cn, sizeof(cn))) {
			bad = 1;
			break;
		}
		for (int g = 0; g < G && !bad; g++) {
			const float *row = x + g * H;
			float s[BM], sq[BM], t = 0.f;
			int cnt[BM];
			for (int i = 0; i < B; i++) {
				s[i] = 0.f;
				cnt[i] = 0;
				for (int c = i; c < H; c += B) {
					s[i] += row[c];
					if (row[c] > 2.f)
						cnt[i] += c;
				}
				t += s[i];
			}
			const float mean = t / H;
			t = 0.f;
			for (int i = 0; i < B; i++) {
				sq[i] = 0.f;
				for (int c = i; c < H; c += B) {
					const float d = row[c] - mean;
					sq[i] = fmaf(d, d, sq[i]);	/* contracted, as nvcc's default */
				}
				t += sq[i];
			}
			const float r = 1.f / sqrtf(t / H + eps);
			for (int c = 0; c < H && !bad; c++)
				if (memcmp(&y[g * H + c], &(float){ (row[c] - mean) * r }, 4)) {
					tap_diag("lnstride %dx%d h %d: y[%d] %a, want %a", G, B, H, c, y[g * H + c],
						 (row[c] - mean) * r);
					bad = 1;
				}
			for (int i = 0; i < B && !bad; i++)
				if (memcmp(&st[g * B + i], &(float){ s[i] + sq[i] }, 4) || cn[g * B + i] != cnt[i]) {
					tap_diag("lnstride %dx%d h %d: thread %d: %a %d, want %a %d", G, B, H, i, st[g * B + i],
						 cn[g * B + i], s[i] + sq[i], cnt[i]);
					bad = 1;
				}
		}
	}
	tap_ok(!bad, "dialect: layernorm-shaped block-stride loops around barriers, bit for bit (blocks of 256, 255, "
		     "37, 96, 33, 100, 512 threads; rows not a multiple of the block, shorter than it; a divergent count)");
	char how[128];
	lowering("lnstride", how);
	tap_ok(strstr(how, "3 at strided loops") != NULL,
	       "dialect: vgpu_kernel_info: layernorm's three block-stride loops block-uniform: \"%s\"", how);
	vgpu_buffer_free(X);
	vgpu_buffer_free(Y);
	vgpu_buffer_free(S);
	vgpu_buffer_free(N);
}

static void t_wstride(void)
{
	enum { B = 40 };
	const unsigned long long n = (1ull << 40) + 5;
	const int lo = -2147483000;
	const long long b0 = -(1ll << 34);
	int out[4 * B], bad = 0;
	char how[128];
	vgpu_buffer *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_u64(n), vgpu_arg_i32(lo), vgpu_arg_i64(b0), vgpu_arg_buf(O) };

	if (launch("wstride", 1, B, 0, a, 4) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < B && !bad; t++) {
		int want[4] = { 0, 0, 0, 0 };

		for (unsigned long long i = t * 977ull; i < n; i += (1ull << 36) + 3) {
			want[0]++;
			want[1] += (int)(i & 0xff);
		}
		for (long long i = lo + t * 5; i < 2000000000; i += 1 << 27)
			want[2] += 1 + (int)(i & 1);
		for (long long i = b0 + t; i < (long long)n; i += 1ll << 35)
			want[3]++;
		bad = expect_row("wstride", t, &out[4 * t], want, 4);
	}
	tap_ok(!bad, "dialect: strided loops whose distances pass 2^31 and 2^32 (64-bit and 32-bit indices, large steps)");
	lowering("wstride", how);
	tap_ok(strstr(how, "3 at strided loops") != NULL,
	       "dialect: vgpu_kernel_info says the three ran as block-uniform loops: \"%s\"", how);
	vgpu_buffer_free(O);
}

static void t_wrapstride(void)
{
	/* 43740578 trips (a count coded in 32 bits with 24 significant ones
	 * would round up); s divides 2^64 - 2, so threads 2 and 3 end a trip
	 * before threads 0 and 1 */
	const unsigned long long s = (0ull - 2) / 43740578ull, n = 0ull - s;
	int out[8], bad = 0;
	vgpu_buffer *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_u64(n), vgpu_arg_u64(s), vgpu_arg_buf(O) };

	if (launch("wrapstride", 1, 4, 0, a, 3) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < 4 && !bad; t++) {
		int want[2] = { (int)((n - t - 1) / s + 1), 1 };

		bad = expect_row("wrapstride", t, &out[2 * t], want, 2);
	}
	tap_ok(!bad, "dialect: a strided loop ending near 2^64: no thread runs a trip whose index wrapped");
	vgpu_buffer_free(O);
}

static void t_rstride(const int *in)
{
	enum { B = 64, N = 150 };
	int out[3 * B + N], bad = 0;
	char how[128];
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(N) };

	memset(out, 0, sizeof(out));
	if (!O || vgpu_buffer_write(O, 0, out, sizeof(out)) || launch("rstride", 1, B, 0, a, 3) ||
	    get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < B && !bad; t++) {
		int acc = 0, i, j, cnt = 0;

		for (i = B - 1 - t; i < N; i += B)
			acc += in[i % 128] + i;
		for (j = t + 3; j < N; j += B)
			cnt++;
		if (out[2 * t] != acc || out[2 * t + 1] != j * 100 + cnt) {
			tap_diag("rstride thread %d: %d %d, want %d %d", t, out[2 * t], out[2 * t + 1], acc, j * 100 + cnt);
			bad = 1;
		}
		acc = 0;
		for (int q = t & 31; q < N / 3; q += 32)
			acc += in[q % 128] * (q & 3);
		if (out[2 * B + N + t] != acc) {
			tap_diag("rstride thread %d: warp-stride %d, want %d", t, out[2 * B + N + t], acc);
			bad = 1;
		}
	}
	for (int k = 0; k < N && !bad; k++)
		if (out[2 * B + k] != (k % B < 5 ? 0 : in[k % 128] * 2)) {
			tap_diag("rstride element %d: %d", k, out[2 * B + k]);
			bad = 1;
		}
	lowering("rstride", how);
	tap_ok(!bad && strstr(how, "4 at strided loops"),
	       "dialect: block-stride loops as block-uniform loops: the first thread with the fewest trips, "
	       "the index read after the loop, a bound computed in the loop's head, threads returned before it "
	       "(\"%s\")", how);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_uniforms(const int *in)
{
	static const unsigned shapes[][2] = { { 1, 1 }, { 1, 7 }, { 5, 3 }, { 32, 2 } };
	enum { G = 2, M = 3, Q = 4 };
	char how[128];

	for (unsigned k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		const unsigned bx = shapes[k][0], by = shapes[k][1], n = bx * by;
		int out[G * 64], bad = 0;
		vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
		struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(M), vgpu_arg_i32(Q) };

		if (launch2("uniforms", G, bx, by, 0, a, 4) || get(O, out, G * n * 4))
			bad = 1;
		for (unsigned g = 0; g < G && !bad; g++)
			for (unsigned t = 0; t < n && !bad; t++) {
				const int ua = in[M] * 3 + Q, ub = Q - in[Q], uc = M ^ in[M + Q], ud = ua + ub * uc;
				int acc = 0;

				for (int i = 0; i < M; i++)
					for (int j = 0; j < Q; j++)
						acc += (in[((t + 1) % n + i + j) % 128] + ua) * (j + 1) + ub - uc + ud;
				if (out[g * n + t] != acc + ua + ub + uc + ud) {
					tap_diag("uniforms %ux%u block %u thread %u: %d, want %d", bx, by, g, t, out[g * n + t],
						 acc + ua + ub + uc + ud);
					bad = 1;
				}
			}
		tap_ok(!bad, "dialect: values the same in every thread across barriers, block %ux%u", bx, by);
		vgpu_buffer_free(I);
		vgpu_buffer_free(O);
	}
	lowering("uniforms", how);
	tap_ok(strstr(how, "4 uniform values") || strstr(how, "5 uniform values") || strstr(how, "6 uniform values") ||
		       strstr(how, "7 uniform values") || strstr(how, "8 uniform values"),
	       "dialect: vgpu_kernel_info: at least 4 uniform values live across the barriers: \"%s\"", how);
}

/* lastrow's answer for element @i of a launch of blocks of @bx threads */
static int lastrow_ref(const int *x, unsigned bx, int n, int m, int q, int i)
{
	const int a = x[m] * 3 + q, b = q - x[q], c = m ^ x[m + q], d = a + b * c;
	const int t = i % (int)bx, g = i - t;
	const int t1 = (t + 1) % (int)bx, tr = (int)bx - 1 - t, tr1 = (tr + 1) % (int)bx;
	const int w = g + t1 < n ? x[g + t1] : -1, wr = g + tr1 < n ? x[g + tr1] : -1;

	return x[i] * a + w * b - c + d + (wr ^ a) * d + c;
}

static void t_lastrow(void)
{
	static const unsigned shapes[] = { 97, 255, 33, 256 };
	enum { G = 3, M = 5, Q = 9 };
	int x[3 * 256], y[3 * 256];

	for (int i = 0; i < 3 * 256; i++)
		x[i] = (int)((i * 2654435761u) >> 20) % 2001 - 1000;
	for (unsigned k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		const unsigned bx = shapes[k];
		const int n = (int)(G * bx) - (int)(bx / 3) - 1;
		vgpu_buffer *X = buf(x, sizeof(x)), *Y = buf(NULL, sizeof(y));
		struct vgpu_arg a[] = { vgpu_arg_buf(X), vgpu_arg_buf(Y), vgpu_arg_i32(n), vgpu_arg_i32(M),
					vgpu_arg_i32(Q) };
		int bad = 0;

		if (launch("lastrow", G, bx, 0, a, 5) || get(Y, y, sizeof(y)))
			bad = 1;
		for (int i = 0; i < (int)(G * bx) && !bad; i++) {
			const int want = i < n ? lastrow_ref(x, bx, n, M, Q, i) : 0;

			if (y[i] != want) {
				tap_diag("lastrow block of %u, element %d: %d, want %d", bx, i, y[i], want);
				bad = 1;
			}
		}
		tap_ok(!bad, "dialect: uniform values, `if (i < n)` between barriers, 1-D block of %u, partial last block", bx);
		vgpu_buffer_free(X);
		vgpu_buffer_free(Y);
	}
	{
		char how[128];

		lowering("lastrow", how);
		tap_ok(strstr(how, "4 uniform values") || strstr(how, "5 uniform values") ||
			       strstr(how, "6 uniform values") || strstr(how, "7 uniform values"),
		       "dialect: vgpu_kernel_info: lastrow keeps 4 or more uniform values: \"%s\"", how);
	}
}

/* the ballots of divballot for thread @t of block @b (inputs as it reads them) */
static void divballot_ref(const int *in, int b, int t, int o[3])
{
	int w = t & ~31, lane = t & 31, v[32], r = 0, r2 = 0;
	unsigned h = 0;

	for (int j = 0; j < 32; j++)
		v[j] = in[(w + j + b * 37) % 128];
	for (int x = 0; x < 2; x++) {
		/* x 0: this warp, x 1: the warp at t ^ 32 */
		int u[32], acc = 0;

		for (int j = 0; j < 32; j++)
			u[j] = in[((w ^ (x * 32)) + j + b * 37) % 128];
		if ((w ^ (x * 32)) & 32) {
			int odd = 0, big = 0;

			for (int j = 0; j < 32; j++) {
				odd += u[j] & 1;
				big |= u[j] > 900;
			}
			acc = odd * 100 + big;
		} else {
			int trips = 0;

			for (int j = 0; j < 32; j++)
				trips = (u[j] & 7) > trips ? (u[j] & 7) : trips;
			for (int k = 0; k < trips; k++) {
				int n = 0;

				for (int j = 0; j < 32; j++)
					n += (u[j] >> k) & 1;
				acc += n << (4 * k);
			}
		}
		if (x)
			r2 = acc;
		else
			r = acc;
	}
	if (lane < 16) {
		for (int j = 0; j < 16; j++)
			h |= (unsigned)(v[j] > 0) << j;
	} else {
		int big = 0;

		for (int j = 16; j < 32; j++) {
			h |= (unsigned)(v[j] < -300) << (j - 16);
			big |= v[j] > 500;
		}
		h |= (unsigned)big << 16;
	}
	o[0] = r;
	o[1] = r2;
	o[2] = (int)h;
}

static void t_divballot(const int *in)
{
	enum { B = 128, G = 3 };
	int out[3 * G * B], bad = 0;
	vgpu_buffer *I = buf(in, B * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("divballot", G, B, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int b = 0; b < G && !bad; b++)
		for (int t = 0; t < B && !bad; t++) {
			int want[3];
			const int *got = out + 3 * (b * B + t);

			divballot_ref(in, b, t, want);
			if (got[0] != want[0] || got[1] != want[1] || got[2] != want[2]) {
				tap_diag("divballot block %d thread %d: %d %d %#x, want %d %d %#x", b, t, got[0], got[1],
					 (unsigned)got[2], want[0], want[1], (unsigned)want[2]);
				bad = 1;
			}
		}
	tap_ok(!bad, "dialect: warps in branches of their own with ballots (a warp-divergent loop), then half-warps' ballots");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_ballotvote(const int *in)
{
	enum { B = 128 };
	int out[B], odd = 0, pos0 = 0, pos = 0, bad = 0;
	vgpu_buffer *I = buf(in, B * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	for (int t = 0; t < B; t++) {
		if (t < 32) {
			odd += in[t] & 1;
			pos0 += in[t] > 0;
		} else {
			pos += in[t] > 0;
		}
	}
	if (launch("ballotvote", 1, B, 0, a, 2) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < B && !bad; t++)
		if (out[t] != (t < 32 ? odd * 1000 + pos0 : pos)) {
			tap_diag("ballotvote thread %d: %d, want %d", t, out[t], t < 32 ? odd * 1000 + pos0 : pos);
			bad = 1;
		}
	tap_ok(!bad, "dialect: a warp's ballots then return beside the other warps' __syncthreads_count");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static int cmp_int(const void *a, const void *b)
{
	const int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* warpsel on @G blocks of @bx x @by threads over @n samples: the bitmap, each
 * hit's rank among its warp's hits (and their count), the list as a set */
static int warpsel_run(const int *in, unsigned G, unsigned bx, unsigned by, int n)
{
	const int per = (int)(bx * by), wpb = (per + 31) / 32, warps = (int)G * wpb;
	const int words = (n + 31) / 32;
	unsigned *bits = calloc(words, 4), *wbits = calloc(words, 4);
	int *rank = malloc(n * 4), *wrank = malloc(n * 4), *list = malloc(n * 4), *wlist = malloc(n * 4);
	int count = 0, nw = 0, bad = 0, *data = malloc(n * 4);
	vgpu_buffer *I, *B = buf(NULL, words * 4), *R, *L = buf(NULL, n * 4), *C = buf(NULL, 4);

	for (int i = 0; i < n; i++) {
		rank[i] = wrank[i] = -1;
		data[i] = in[i % 128] + i;
	}
	I = buf(data, n * 4);
	R = buf(rank, n * 4);
	/* the reference: each warp's existing lanes, trip by trip */
	for (int w = 0; w < warps; w++) {
		const int lanes = per - (w % wpb) * 32 < 32 ? per - (w % wpb) * 32 : 32;
		for (int base = w * 32; base < n; base += warps * 32) {
			unsigned b = 0;
			for (int l = 0; l < lanes; l++) {
				const int i = base + l;
				b |= (unsigned)(i < n && data[i] % 3 == 1) << l;
			}
			wbits[base / 32] = b;
			for (int l = 0, r = 0; l < lanes; l++)
				if (b >> l & 1) {
					wrank[base + l] = r++ + 100 * __builtin_popcount(b);
					wlist[nw++] = base + l;
				}
		}
	}
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_i32(n), vgpu_arg_buf(B), vgpu_arg_buf(R),
				vgpu_arg_buf(L), vgpu_arg_buf(C) };
	if (launch2("warpsel", G, bx, by, 0, a, 6) || get(B, bits, words * 4) || get(R, rank, n * 4) ||
	    get(C, &count, 4))
		bad = 1;
	if (!bad && (count != nw || (count > 0 && get(L, list, count * 4)))) {
		tap_diag("warpsel %ux%u: %d listed, want %d", bx, by, count, nw);
		bad = 1;
	}
	for (int i = 0; i < words && !bad; i++)
		if (bits[i] != wbits[i]) {
			tap_diag("warpsel %ux%u: word %d %#x, want %#x", bx, by, i, bits[i], wbits[i]);
			bad = 1;
		}
	for (int i = 0; i < n && !bad; i++)
		if (rank[i] != wrank[i]) {
			tap_diag("warpsel %ux%u: sample %d rank %d, want %d", bx, by, i, rank[i], wrank[i]);
			bad = 1;
		}
	if (!bad) {
		qsort(list, count, 4, cmp_int);
		qsort(wlist, nw, 4, cmp_int);
		for (int k = 0; k < count && !bad; k++)
			if (list[k] != wlist[k]) {
				tap_diag("warpsel %ux%u: list[%d] %d, want %d", bx, by, k, list[k], wlist[k]);
				bad = 1;
			}
	}
	vgpu_buffer_free(I);
	vgpu_buffer_free(B);
	vgpu_buffer_free(R);
	vgpu_buffer_free(L);
	vgpu_buffer_free(C);
	free(bits);
	free(wbits);
	free(rank);
	free(wrank);
	free(list);
	free(wlist);
	free(data);
	return bad;
}

static void t_warpsel(const int *in)
{
	/* whole warps in a row (32 at a time), a partial last warp (80 threads:
	 * lane by lane), rows of one warp in a 2-D block; n no multiple of 32.
	 * (Its stride, through (per + 31) >> 5, is not one the pass marks:
	 * vote_ballot's, gridDim.x * blockDim.x, is: "3 prefetching") */
	tap_ok(!warpsel_run(in, 5, 96, 1, 50000 + 13), "dialect: a warp-stride loop of ballots with an __activemask-aggregated atomic, blocks of 96");
	tap_ok(!warpsel_run(in, 3, 80, 1, 9000 + 7), "dialect: the same, blocks of 80 (a partial warp)");
	tap_ok(!warpsel_run(in, 4, 32, 3, 20000 + 29), "dialect: the same, blocks of 32x3");
}

static void t_boundloop(const int *in)
{
	enum { B = 128 };
	int out[2 * B], bad = 0;
	vgpu_buffer *I = buf(in, B * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O) };

	if (launch("boundloop", 1, B, 0, a, 2) || get(O, out, B * 4))
		bad = 1;
	for (int t = 0; t < B && !bad; t++) {
		int acc = 0, k = 0;

		for (int w = 0; w < t / 32; w++)
			acc += in[w * 32 + (t & 31)] * (w + 1);
		for (int j = t & 3; j > 0; j--)
			k = k * 3 + j;
		if (out[t] != acc * 100 + t / 32 * 10 + k) {
			tap_diag("boundloop thread %d: %d, want %d", t, out[t], acc * 100 + t / 32 * 10 + k);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: loops of at most 3 and 7 trips a thread under __launch_bounds__(128)");
	tap_ok(launch("boundloop", 1, 2 * B, 0, a, 2) == -EINVAL,
	       "dialect: a block of 256 threads for __launch_bounds__(128) is refused (-EINVAL)");
	struct vgpu_arg a3[] = { vgpu_arg_buf(O) };

	bad = launch("bounds3", 1, 64, 0, a3, 1) || get(O, out, 64 * 4);
	for (int t = 0; t < 64 && !bad; t++)
		bad = out[t] != 3 * t;
	tap_ok(!bad && launch("bounds3", 1, 128, 0, a3, 1) == -EINVAL,
	       "dialect: __launch_bounds__(64, 2, 1) (CUDA 12's three arguments): 64 threads run, 128 are refused");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_oddarrays(const int *in)
{
	enum { B = 64, M = 7 };
	int out[8 * B], bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(M) };

	if (launch("oddarrays", 1, B, 0, a, 3) || get(O, out, sizeof(out)))
		bad = 1;
	for (int t = 0; t < B && !bad; t++) {
		int e[8] = { 0, 0, 0, 0, 0, t, t + 1, t + 2 };

		for (int k = 0; k < M; k++) {
			int v = in[(t * 3 + k * 17) % 128];

			e[(v & 0x7fff) % 5] += v;
			e[5 + k % 3] ^= v;
		}
		bad |= expect_row("oddarrays", t, &out[8 * t], e, 8);
	}
	tap_ok(!bad, "dialect: per-thread int[5] (memset) and int[3] indexed by data across a barrier (slots as aligned as the arrays)");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

static void t_shvotes(const int *in)
{
	enum { B = 64, M = 6, N = 50 };
	int out[4 * B + 1], bad = 0, seen[B + 1] = { 0 }, acc = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, sizeof(out));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(M), vgpu_arg_i32(N) };

	if (launch("shvotes", 1, B, 0, a, 4) || get(O, out, sizeof(out)))
		bad = 1;
	/* tickets: 0..B-1 once each; the exchanges' previous values and the
	 * last one: -1..B-1 once each */
	for (int t = 0; t < B && !bad; t++) {
		bad |= out[4 * t] < 0 || out[4 * t] >= B || (seen[out[4 * t]] & 1);
		if (!bad)
			seen[out[4 * t]] |= 1;
		bad |= out[4 * t + 1] < -1 || out[4 * t + 1] >= B || (seen[out[4 * t + 1] + 1] & 2);
		if (!bad)
			seen[out[4 * t + 1] + 1] |= 2;
	}
	bad |= out[4 * B] < 0 || out[4 * B] >= B || (seen[out[4 * B] + 1] & 2);
	for (int k = 0; k < M; k++) {
		int c = 0, any = 0, all = 1;

		for (int t = 0; t < N; t++) {
			c += in[t] > k * 100;
			any |= in[t] == k * 3;
			all &= in[t] > -900 + k * 10;
		}
		acc += c * (k + 1) + any * 1000 + all * 100000;
	}
	for (int t = 0; t < B && !bad; t++)
		if (out[4 * t + 2] != (t < N ? acc : 0)) {
			tap_diag("shvotes thread %d: %d vs %d", t, out[4 * t + 2], t < N ? acc : 0);
			bad = 1;
		}
	tap_ok(!bad, "dialect: shared atomicCAS tickets and atomicExch chain (results used), block votes in a loop and a helper after an early return");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
}

/* what the CPU backend refuses, at compile time, naming the construct and the user's line */
/* tileupd and tilecols on a @rows x @cols matrix (neither a multiple of 16)
 * in blocks of @bx x @by threads, a 2-D grid: partial tiles at its edges */
static int tile_run(const int *in, unsigned bx, unsigned by, int rows, int cols)
{
	const unsigned gx = (unsigned)(cols + (int)bx - 1) / bx, gy = (unsigned)(rows + (int)by - 1) / by;
	const size_t n = (size_t)rows * cols;
	int *a = malloc(n * 4), *o = malloc(n * 4), *o2 = malloc(n * 4), *part = malloc((size_t)gy * cols * 4);
	int b[64], c[64], bad = 0;
	vgpu_buffer *A = NULL, *B = NULL, *Cb = NULL, *O = NULL, *O2 = NULL, *P = NULL;
	vgpu_kernel *ku = NULL, *kc = NULL;
	struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = { gx, gy, 1 }, .block = { bx, by, 1 } };

	if (!a || !o || !o2 || !part || rows > 64 || cols > 64)
		goto out;
	for (size_t k = 0; k < n; k++)
		a[k] = in[(k * 7 + 3) % 128];
	for (int k = 0; k < 64; k++) {
		b[k] = in[(k + 5) % 128] % 37;
		c[k] = in[(k * 3) % 128] % 41;
	}
	for (size_t k = 0; k < n; k++)
		o[k] = o2[k] = -7;
	A = buf(a, n * 4), B = buf(b, sizeof(b)), Cb = buf(c, sizeof(c));
	O = buf(o, n * 4), O2 = buf(o2, n * 4), P = buf(NULL, (size_t)gy * cols * 4);
	struct vgpu_arg au[] = { vgpu_arg_buf(A), vgpu_arg_buf(B), vgpu_arg_buf(Cb), vgpu_arg_buf(O),
				 vgpu_arg_buf(O2), vgpu_arg_i32(rows), vgpu_arg_i32(cols) };
	struct vgpu_arg ac[] = { vgpu_arg_buf(A), vgpu_arg_buf(Cb), vgpu_arg_buf(P), vgpu_arg_i32(rows),
				 vgpu_arg_i32(cols) };
	if (!A || !B || !Cb || !O || !O2 || !P || vgpu_kernel_get(m, "tileupd", &ku) ||
	    vgpu_kernel_get(m, "tilecols", &kc) || vgpu_launch(ku, &cfg, au, 7) || vgpu_launch(kc, &cfg, ac, 5) ||
	    get(O, o, n * 4) || get(O2, o2, n * 4) || get(P, part, (size_t)gy * cols * 4)) {
		tap_diag("tiles %ux%u: %s", bx, by, vgpu_last_error(s));
		bad = 1;
		goto out;
	}
	for (int i = 0; i < rows && !bad; i++)
		for (int j = 0; j < cols && !bad; j++) {
			const size_t k = (size_t)i * cols + j;
			const int step = 3 * (b[j] * c[i]) + a[k];

			if (o[k] != a[k] + step || o2[k] != step) {
				tap_diag("tileupd %ux%u: (%d, %d): %d %d, want %d %d", bx, by, i, j, o[k], o2[k],
					 a[k] + step, step);
				bad = 1;
			}
		}
	for (unsigned t = 0; t < gy && !bad; t++)
		for (int j = 0; j < cols && !bad; j++) {
			/* the tree's order: sums of ints, any order gives the same */
			int want = 1;

			for (int i = (int)(t * by); i < (int)((t + 1) * by) && i < rows; i++)
				want += a[(size_t)i * cols + j] * c[i];
			if (part[(size_t)t * cols + j] != want) {
				tap_diag("tilecols %ux%u: tile row %u, column %d: %d, want %d", bx, by, t, j,
					 part[(size_t)t * cols + j], want);
				bad = 1;
			}
		}
out:
	vgpu_buffer_free(A);
	vgpu_buffer_free(B);
	vgpu_buffer_free(Cb);
	vgpu_buffer_free(O);
	vgpu_buffer_free(O2);
	vgpu_buffer_free(P);
	free(a);
	free(o);
	free(o2);
	free(part);
	return bad || !a || !o || !o2 || !part;
}

static void t_tileahead(const int *in)
{
	/* 16x16 (backprop_layer's), odd sizes, a partial warp, rows of two
	 * cache lines and more, 1-D blocks; 37 x 45 and
	 * 61 x 50 elements */
	static const unsigned shapes[][2] = { { 16, 16 }, { 17, 5 }, { 8, 3 }, { 33, 2 }, { 32, 16 }, { 3, 7 }, { 16, 1 } };
	int bad = 0;
	char hu[128], hc[128];

	for (unsigned k = 0; k < sizeof(shapes) / sizeof(shapes[0]) && !bad; k++)
		bad = tile_run(in, shapes[k][0], shapes[k][1], 37, 45) || tile_run(in, shapes[k][0], shapes[k][1], 61, 50);
	tap_ok(!bad, "dialect: 2-D tiles (16x16, 17x5, 8x3, 33x2, 32x16, 3x7, 16x1) with partial tiles at the grid's edges, "
	       "an early return on both indices, a reduction down the rows: the block ahead prefetched");
	lowering("tileupd", hu);
	lowering("tilecols", hc);
	tap_ok(strstr(hu, "block prefetch") && strstr(hc, "block prefetch"),
	       "dialect: vgpu_kernel_info: \"%s\", \"%s\"", hu, hc);
}

/* 1-D blocks whose next block the drivers prefetch too (t_rowahead) */
static const char rowahead_src[] =
"/* 1-D blocks whose next block the drivers prefetch too: a row of 256\n"
" * threads reading and writing one element each (a call per cache line of\n"
" * the row), and a block reading and writing one element at its index only\n"
" * (one call a row) */\n"
"extern \"C\" __global__ void rowrev(const int *in, int *out, int n)\n"
"{\n"
"	__shared__ int t[256];\n"
"	const int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
"	t[threadIdx.x] = i < n ? in[i] : -1;\n"
"	__syncthreads();\n"
"	if (i < n)\n"
"		out[i] = t[blockDim.x - 1 - threadIdx.x] + (int)blockIdx.x;\n"
"}\n"
"\n"
"extern \"C\" __global__ void blockone(const int *in, int *out)\n"
"{\n"
"	__shared__ int v;\n"
"	if (threadIdx.x == 0)\n"
"		v = in[blockIdx.x];\n"
"	__syncthreads();\n"
"	if (threadIdx.x == blockDim.x - 1)\n"
"		out[blockIdx.x] = v + (int)blockDim.x;\n"
"}\n"
"\n"
"/* a digit count's layout, a line a thread (not prefetched for 1-D blocks) */\n"
"extern \"C\" __global__ void spreadst(const int *in, int *out)\n"
"{\n"
"	if (threadIdx.x < 16)\n"
"		out[threadIdx.x * gridDim.x + blockIdx.x] = in[blockIdx.x * blockDim.x + threadIdx.x];\n"
"}\n";

/* the times profile @text says the next block's lines were prefetched (0: no such line) */
static unsigned long long prof_ahead(const char *text)
{
	const char *l = strstr(text, "the next block's lines prefetched:");
	unsigned long long n = 0;

	return l && sscanf(strchr(l, ':') + 1, " %llu times", &n) == 1 ? n : 0;
}

/* rowrev, blockone and spreadst over 4096 blocks (a partial last one for
 * rowrev), compiled as the tree runs them and again with the region profile.
 * In a worker's chunk of blocks (1/16 of its share, at least one block)
 * each block but the last prefetches the next: with chunks of two or more
 * blocks (up to 128 workers) the profile counts from half the blocks to all
 * but one for rowrev and blockone, none for spreadst */
static void t_rowahead(const int *in)
{
	static const char *const popt[] = { "-D__VGPU_PROFILE" };
	static const char *const names[] = { "rowrev", "blockone", "spreadst" };
	enum { G = 4096, N = G * 256 - 100 };
	int *x = malloc(N * sizeof(int)), *o = malloc(N * sizeof(int)), *ob = malloc(G * sizeof(int)),
	    *os = malloc(16 * G * sizeof(int)), bad = !x || !o || !ob || !os;
	vgpu_buffer *I = buf(NULL, N * sizeof(int));
	char how[3][512] = { "", "", "" }, text[4096];
	unsigned long long ahead[3] = { 0, 0, 0 };

	for (int i = 0; i < N && !bad; i++)
		x[i] = in[i % 128] ^ i;
	if (!bad && vgpu_buffer_write(I, 0, x, N * sizeof(int)))
		bad = 1;
	for (int pass = 0; pass < 2; pass++) {
		struct vgpu_compile_opts co = { .size = sizeof(co), .name = "rowahead.cu",
						.options = pass ? popt : NULL, .nr_options = (unsigned)pass };
		const char *what = pass ? "with the region profile" : "as the tree runs them";
		vgpu_buffer *O = buf(NULL, N * sizeof(int)), *OB = buf(NULL, G * sizeof(int)),
			    *OS = buf(NULL, 16 * G * sizeof(int));
		struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(N) };
		struct vgpu_arg ab[] = { vgpu_arg_buf(I), vgpu_arg_buf(OB) }, as[] = { vgpu_arg_buf(I), vgpu_arg_buf(OS) };
		vgpu_module *rm = NULL;
		vgpu_kernel *k = NULL;
		int pbad = bad;

#if !defined(__x86_64__)
		if (pass) {
			tap_skip("the region profile counts the TSC: x86-64 only",
				 "dialect: 1-D blocks: the next block's lines prefetched at run time");
			vgpu_buffer_free(O);
			vgpu_buffer_free(OB);
			vgpu_buffer_free(OS);
			break;
		}
#endif
		if (!pbad && vgpu_module_compile(s, rowahead_src, 0, &co, &rm)) {
			tap_diag("rowahead.cu %s: %s", what, vgpu_last_error(s));
			pbad = 1;
		}
		if (pbad || launch_in(rm, "rowrev", G, 256, 1, 0, a, 3) || launch_in(rm, "blockone", G, 128, 1, 0, ab, 2) ||
		    launch_in(rm, "spreadst", G, 64, 1, 0, as, 2) || get(O, o, N * sizeof(int)) ||
		    get(OB, ob, G * sizeof(int)) || get(OS, os, 16 * G * sizeof(int)))
			pbad = 1;
		for (int i = 0; i < N && !pbad; i++) {
			const int b = i / 256, src = b * 256 + 255 - i % 256;
			const int want = (src < N ? x[src] : -1) + b;

			if (o[i] != want) {
				tap_diag("rowrev %s: out[%d] = %d, want %d", what, i, o[i], want);
				pbad = 1;
			}
		}
		for (int b = 0; b < G && !pbad; b++)
			if (ob[b] != x[b] + 128) {
				tap_diag("blockone %s: out[%d] = %d, want %d", what, b, ob[b], x[b] + 128);
				pbad = 1;
			}
		for (int t = 0; t < 16 && !pbad; t++)
			for (int b = 0; b < G && !pbad; b++)
				if (os[t * G + b] != x[b * 64 + t]) {
					tap_diag("spreadst %s: out[%d] = %d, want %d", what, t * G + b, os[t * G + b],
						 x[b * 64 + t]);
					pbad = 1;
				}
		if (!pass) {
			tap_ok(!pbad, "dialect: 1-D blocks with the block ahead prefetched: a row of elements reversed "
			       "through __shared__ memory, a partial last block; one element a block, read by one thread, "
			       "written by another; a line a thread");
			for (int i = 0; i < 3 && rm; i++)
				if (vgpu_kernel_get(rm, names[i], &k) || vgpu_kernel_lowering(k, how[i], sizeof(how[i])) <= 0)
					how[i][0] = 0;
			tap_ok(strstr(how[0], "block prefetch") && !strstr(how[0], "prefetch (") &&
			       strstr(how[1], "block prefetch (once a row)") &&
			       strstr(how[2], "block prefetch (blocks of rows)"),
			       "dialect: vgpu_kernel_lowering: \"%s\", \"%s\", \"%s\"", how[0], how[1], how[2]);
		} else {
			for (int i = 0; i < 3 && !pbad; i++) {
				int n = vgpu_kernel_get(rm, names[i], &k) ? -1 : vgpu_kernel_profile(k, text, sizeof(text));

				if (n <= 0 || !strstr(text, "1 launches, 4096 blocks")) {
					tap_diag("%s: profile %d: %s", names[i], n, n > 0 ? text : vgpu_last_error(s));
					pbad = 1;
				}
				ahead[i] = prof_ahead(text);
			}
			tap_ok(!pbad && ahead[0] >= G / 2 && ahead[0] <= G - 1 && ahead[1] >= G / 2 &&
			       ahead[1] <= G - 1 && ahead[2] == 0,
			       "dialect: 1-D blocks: the next block's lines prefetched at run time: rowrev %llu and "
			       "blockone %llu times of 4096 blocks, spreadst %llu", ahead[0], ahead[1], ahead[2]);
		}
		if (rm)
			vgpu_module_unload(rm);
		vgpu_buffer_free(O);
		vgpu_buffer_free(OB);
		vgpu_buffer_free(OS);
	}
	vgpu_buffer_free(I);
	free(x);
	free(o);
	free(ob);
	free(os);
}

static int chosen_run(const int *in, unsigned G, unsigned B, int lo, int hi, int steps)
{
	int *o = malloc(G * B * sizeof(int)), p[256], q[256], bad = 0;
	vgpu_buffer *I = buf(in, 128 * 4), *O = buf(NULL, G * B * sizeof(int));
	struct vgpu_arg a[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(lo), vgpu_arg_i32(hi),
				vgpu_arg_i32(steps) };

	if (!o || launch("chosen", G, B, 0, a, 5) || get(O, o, G * B * sizeof(int)))
		bad = 1;
	for (unsigned g = 0; g < G && !bad; g++) {
		for (int t = 0; t < (int)B; t++)
			p[t] = in[(g * B + t) % 128] & 0xffff;
		for (int i = 0; i < steps; i++) {
			for (int t = 0; t < (int)B; t++) {
				int v = p[t];

				if ((t & 3) != 1 && t >= i) {
					int l = t - 1 < lo ? t : t - 1, r = t + 1 > hi ? t : t + 1;
					int m = p[l] < p[t] ? p[l] : p[t];

					v = (m < p[r] ? m : p[r]) + (t ^ i) + p[t + (t < hi)] % 7;
				}
				q[t] = v;
			}
			memcpy(p, q, B * sizeof(int));
		}
		for (int t = 0; t < (int)B && !bad; t++)
			if (o[g * B + t] != p[t]) {
				tap_diag("chosen %u threads, lo %d hi %d: block %u thread %d: %d, want %d", B, lo, hi, g, t,
					 o[g * B + t], p[t]);
				bad = 1;
			}
	}
	free(o);
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
	return bad;
}

static void t_chosen(const int *in)
{
	/* the whole block, a narrower range, odd sizes and a partial warp */
	int bad = chosen_run(in, 2, 256, 0, 255, 20) || chosen_run(in, 3, 256, 5, 250, 9) ||
		  chosen_run(in, 2, 37, 0, 36, 6) || chosen_run(in, 3, 100, 3, 64, 11) || chosen_run(in, 1, 7, 2, 4, 3);

	tap_ok(!bad, "dialect: loads at neighbours chosen by tests (t - 1 < lo ? t : t - 1, t + (t < hi)), "
	       "divergent lanes, blocks of 256, 37, 100 and 7 threads");
}

/* wbranch on @G blocks of @bx x @by (whole warps: threadIdx.x < 32 splits
 * none); the divisor is 0 for the threads that skip the branch */
static int wbranch_run(const int *in, unsigned G, unsigned bx, unsigned by)
{
	const int n = (int)(bx * by), tot = (int)G * n, nw = (n + 31) / 32;
	int *x = malloc(tot * 4), *d = malloc(tot * 4), *o = malloc(tot * 4), count = 0, want = 0, bad = 0;
	int *ws = malloc(G * nw * 4);
	vgpu_buffer *X, *D, *O = buf(NULL, tot * 4), *C = buf(&count, 4), *W;

	for (unsigned i = 0; i < G * nw; i++)
		ws[i] = -1;
	W = buf(ws, G * nw * 4);

	for (int i = 0; i < tot; i++) {
		x[i] = in[i % 128] + i % 7;
		d[i] = (i % n) % (int)bx < 32 ? 1 + i % 5 : 0;
	}
	X = buf(x, tot * 4);
	D = buf(d, tot * 4);
	struct vgpu_arg a[] = { vgpu_arg_buf(X), vgpu_arg_buf(D), vgpu_arg_buf(O), vgpu_arg_buf(C), vgpu_arg_buf(W) };
	if (launch2("wbranch", G, bx, by, 0, a, 5) || get(O, o, tot * 4) || get(C, &count, 4) ||
	    get(W, ws, G * nw * 4))
		bad = 1;
	for (unsigned g = 0; g < G && !bad; g++) {
		const int *bk = x + g * n, *dk = d + g * n;
		int sum = 0;
		for (int t = 0; t < n; t++)
			sum += bk[t];
		for (int w = 0; w < nw && !bad; w++) {
			const int first = w * 32;
			int quot = 0;
			if (first % (int)bx >= 32) {
				if (ws[g * nw + w] != -1) {
					tap_diag("wbranch %ux%u: block %u warp %d skips the branch but stored %d", bx, by, g, w,
						 ws[g * nw + w]);
					bad = 1;
				}
				continue;
			}
			want++;
			for (int l = 0; l < 32; l++)
				quot += bk[first + l] / dk[first + l];
			if (ws[g * nw + w] != sum + quot) {
				tap_diag("wbranch %ux%u: block %u warp %d stored %d, want %d", bx, by, g, w, ws[g * nw + w],
					 sum + quot);
				bad = 1;
			}
			for (int l = 0; l < 32 && !bad; l++)
				if (o[g * n + first + l] != sum + quot) {
					tap_diag("wbranch %ux%u: block %u thread %d: %d, want %d", bx, by, g, first + l,
						 o[g * n + first + l], sum + quot);
					bad = 1;
				}
		}
		for (int t = 0; t < n && !bad; t++)
			if (t % (int)bx >= 32 && o[g * n + t] != t) {
				tap_diag("wbranch %ux%u: block %u thread %d (skips): %d", bx, by, g, t, o[g * n + t]);
				bad = 1;
			}
	}
	if (!bad && count != want) {
		tap_diag("wbranch %ux%u: the atomic counted %d warps, want %d", bx, by, count, want);
		bad = 1;
	}
	vgpu_buffer_free(X);
	vgpu_buffer_free(D);
	vgpu_buffer_free(O);
	vgpu_buffer_free(C);
	vgpu_buffer_free(W);
	free(x);
	free(d);
	free(o);
	free(ws);
	return bad;
}

static int wbranch_cg_run(const int *in, const char *k, unsigned G, unsigned bx, unsigned by)
{
	const int n = (int)(bx * by), tot = (int)G * n;
	int *o = malloc(tot * 4), *x = malloc(tot * 4), count = 0, bad = 0;
	vgpu_buffer *X, *O = buf(NULL, tot * 4), *C = buf(&count, 4);

	for (int i = 0; i < tot; i++)
		x[i] = in[(i * 5) % 128] - i % 11;
	X = buf(x, tot * 4);
	struct vgpu_arg a[] = { vgpu_arg_buf(X), vgpu_arg_buf(O), vgpu_arg_buf(C) };
	if (launch2(k, G, bx, by, 0, a, 3) || get(O, o, tot * 4) || get(C, &count, 4))
		bad = 1;
	for (unsigned g = 0; g < G && !bad; g++) {
		int sum = 0;
		for (int t = 0; t < n; t++)
			sum += x[g * n + t];
		for (int t = 0; t < n && !bad; t++) {
			const int want = (t < 32 ? sum + t : -t) + sum;
			if (o[g * n + t] != want) {
				tap_diag("%s %ux%u: block %u thread %d: %d, want %d", k, bx, by, g, t, o[g * n + t], want);
				bad = 1;
			}
		}
	}
	if (!bad && count != (int)G) {
		tap_diag("%s %ux%u: the atomic counted %d, want %u", k, bx, by, count, G);
		bad = 1;
	}
	vgpu_buffer_free(X);
	vgpu_buffer_free(O);
	vgpu_buffer_free(C);
	free(x);
	free(o);
	return bad;
}

/* wbranch_mid in @G blocks of @n threads against the host's sums and xors */
static int wbranch_mid_run(const int *in, unsigned G, unsigned n)
{
	const int tot = (int)(G * n);
	int *o = malloc(tot * 4), *x = malloc(tot * 4), bad = 0;
	vgpu_buffer *X, *O = buf(NULL, tot * 4);

	for (int i = 0; i < tot; i++)
		x[i] = in[(i * 7) % 128] - i % 13;
	X = buf(x, tot * 4);
	struct vgpu_arg a[] = { vgpu_arg_buf(X), vgpu_arg_buf(O) };
	if (launch("wbranch_mid", G, n, 0, a, 2) || get(O, o, tot * 4))
		bad = 1;
	for (unsigned g = 0; g < G && !bad; g++)
		for (unsigned t = 0; t < n && !bad; t++) {
			const unsigned w = t / 32, first = g * n + w * 32;
			int want = -(int)t;
			if (w == 1 || w == 2) {
				int s = 0, m = 0;
				for (unsigned l = 0; l < 32; l++) {
					s += x[first + l];
					m ^= x[first + l];
				}
				want = s * 3 + m;
			}
			if (o[g * n + t] != want) {
				tap_diag("wbranch_mid %u threads: block %u thread %u: %d, want %d", n, g, t, o[g * n + t], want);
				bad = 1;
			}
		}
	vgpu_buffer_free(X);
	vgpu_buffer_free(O);
	free(x);
	free(o);
	return bad;
}

static void t_wbranch(const int *in)
{
	char how[128], how_cg[128];

	lowering("wbranch", how);
	lowering("wbranch_cg", how_cg);
	tap_ok(strstr(how, "1 warp branch for all") && strstr(how_cg, "1 warp branch for all"),
	       "dialect: a warp's branch around shuffles is run by every warp (lowering: %s; %s)", how, how_cg);
	tap_ok(!wbranch_run(in, 7, 256, 1) && !wbranch_run(in, 5, 64, 2) && !wbranch_run(in, 4, 96, 1),
	       "dialect: warp 0's shuffles, the divisor, the value and the atomic of its branch alone (blocks of 256, 64x2, 96)");
	tap_ok(!wbranch_run(in, 5, 16, 4), "dialect: the same branch in blocks of 16x4 (warps over two rows: taken as before)");
	tap_ok(!wbranch_cg_run(in, "wbranch_cg", 6, 256, 1) && !wbranch_cg_run(in, "wbranch_cg", 3, 64, 1) &&
	       !wbranch_cg_run(in, "wbranch_cg", 2, 32, 1) && !wbranch_cg_run(in, "wbranch_cg", 3, 16, 8),
	       "dialect: the first tile's cg::reduce of the tiles' sums (blocks of 256, 64, 32, 16x8)");
	lowering("wbranch2d", how);
	tap_ok(strstr(how, "1 warp branch for all") && !wbranch_cg_run(in, "wbranch2d", 4, 16, 4) &&
	       !wbranch_cg_run(in, "wbranch2d", 3, 8, 8) && !wbranch_cg_run(in, "wbranch2d", 2, 128, 1),
	       "dialect: warp 0 of x + blockDim.x * y, blocks of 16x4, 8x8, 128 (lowering: %s)", how);
	lowering("wbranch_mid", how);
	tap_ok(strstr(how, "1 warp branch for all") && !wbranch_mid_run(in, 5, 256) && !wbranch_mid_run(in, 3, 64) &&
	       !wbranch_mid_run(in, 4, 96) && !wbranch_mid_run(in, 2, 32),
	       "dialect: warps 1 and 2 reduce in a branch every warp runs (blocks of 256, 64, 96, 32; lowering: %s)",
	       how);
}

/*
 * Thread loops split per stream (VgpuThreadLoopPass::splitStreams): the
 * offsets added in blocks of 256 and in blocks of one thread whose offset
 * array is the output itself (thread 0 reads out[b] before adding it to
 * out[b] and out[b + 256]: a second loop that read it again would add
 * twice its first sum); a thread reading back its second stream's store
 * for its first; four items staged in shared memory.
 */
static void t_streams(void)
{
	enum { G = 6, N = G * 512 - 100 };
	int *o = malloc(G * 512 * sizeof(int)), *want = malloc(N * sizeof(int)), *in = malloc(G * 512 * sizeof(int));
	int sums[G], bad = 0;
	vgpu_buffer *O, *S, *I;

	for (int i = 0; i < G * 512; i++)
		in[i] = (i * 7919) % 1000 - 500;
	O = buf(in, N * sizeof(int));
	for (int g = 0; g < G; g++)
		sums[g] = 1000 * (g + 1);
	S = buf(sums, sizeof(sums));
	struct vgpu_arg a[] = { vgpu_arg_buf(O), vgpu_arg_buf(S), vgpu_arg_i32(N) };
	bad = launch("streams", G, 256, 0, a, 3) || get(O, o, N * sizeof(int));
	for (int i = 0; i < N && !bad; i++)
		if (o[i] != in[i] + sums[i / 512]) {
			tap_diag("streams: out[%d] = %d, want %d", i, o[i], in[i] + sums[i / 512]);
			bad = 1;
		}
	tap_ok(!bad, "dialect: two elements a thread a block apart plus the block's offset (a loop per stream)");
	/* one thread a block, the offsets being the output: out[b] is read first */
	memcpy(want, in, N * sizeof(int));
	for (int g = 0; g < G; g++) {
		const int b = g * 512, off = want[g];
		want[b] += off;
		if (b + 256 < N)
			want[b + 256] += off;
	}
	vgpu_buffer_free(O);
	O = buf(in, N * sizeof(int));
	struct vgpu_arg a1[] = { vgpu_arg_buf(O), vgpu_arg_buf(O), vgpu_arg_i32(N) };
	bad = launch("streams", G, 1, 0, a1, 3) || get(O, o, N * sizeof(int));
	for (int i = 0; i < N && !bad; i++)
		if (o[i] != want[i]) {
			tap_diag("streams, offsets in the output: out[%d] = %d, want %d", i, o[i], want[i]);
			bad = 1;
		}
	tap_ok(!bad, "dialect: the same in blocks of one thread whose offsets are the output (read once, before its stores)");
	I = buf(in, G * 512 * sizeof(int));
	vgpu_buffer_free(O);
	O = buf(NULL, G * 512 * sizeof(int));
	struct vgpu_arg a2[] = { vgpu_arg_buf(I), vgpu_arg_buf(O), vgpu_arg_i32(256) };
	bad = launch("streams_back", G, 256, 0, a2, 3) || get(O, o, N * sizeof(int));
	for (int i = 0; i < N && !bad; i++) {
		const int x = i % 512 < 256 ? in[i] * 3 + 1 : in[i - 256] * 3;
		if (o[i] != x) {
			tap_diag("streams_back: out[%d] = %d, want %d", i, o[i], x);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: a thread's first stream read back from its second (no split)");
	bad = launch("streams4", G, 128, 0, a2, 2) || get(O, o, N * sizeof(int));
	for (int i = 0; i < N && !bad; i++) {
		const int b = i / 512 * 512, k = i % 512, x = in[b + (k + 1) % 512] - k / 128;
		if (o[i] != x) {
			tap_diag("streams4: out[%d] = %d, want %d", i, o[i], x);
			bad = 1;
		}
	}
	tap_ok(!bad, "dialect: four items a thread staged in shared memory, 128 apart");
	vgpu_buffer_free(I);
	vgpu_buffer_free(O);
	vgpu_buffer_free(S);
	free(o);
	free(want);
	free(in);
}

static void t_refused(void)
{
	static const struct {
		const char *what, *src, *want;
	} cases[] = {
		{ "atomicMax on float (CUDA has none)",
		  "extern \"C\" __global__ void k(float *p)\n{\n\tatomicMax(p, 1.f);\n}\n", "atomicMax" },
		{ "textures",
		  "extern \"C\" __global__ void k(float *p, cudaTextureObject_t t)\n{\n\tp[0] = tex1Dfetch<float>(t, 0);\n}\n",
		  "tex1Dfetch (textures) is not supported" },
		{ "grid-wide sync",
		  "#include <cooperative_groups.h>\nextern \"C\" __global__ void k(float *p)\n{\n\tcooperative_groups::this_grid().sync();\n}\n",
		  "grid-wide synchronisation" },
		{ "dynamic parallelism",
		  "__global__ void c(float *p) {}\nextern \"C\" __global__ void k(float *p)\n{\n\tc<<<1, 1>>>(p);\n}\n",
		  "__global__ function" },
		/* refused by the lowering pass (pass.cpp), located through line tables */
		{ "inline PTX assembly",
		  "extern \"C\" __global__ void k(unsigned *p)\n{\n\tunsigned l;\n\tasm volatile(\"mov.u32 %0, %%laneid;\" : \"=r\"(l));\n\tp[0] = l;\n}\n",
		  "inline assembly (asm) is not supported" },
		{ "a helper that reads threadIdx called through a pointer",
		  "__device__ float f(float x) { return x + threadIdx.x; }\n"
		  "extern \"C\" __global__ void k(float *p)\n{\n\tfloat (*g)(float) = f;\n\tp[0] = g(p[0]);\n}\n",
		  "'f(float)' uses threadIdx, a barrier or a warp function and is taken by address" },
		{ "recursion through a helper with a barrier",
		  "__device__ int rec(int n)\n{\n\t__syncthreads();\n\treturn n ? rec(n - 1) + 1 : 0;\n}\n"
		  "extern \"C\" __global__ void k(int *p)\n{\n\tp[threadIdx.x] = rec(p[0]);\n}\n",
		  "recursion through 'rec(int)'" },
		{ "a variable-length array live across a barrier",
		  "extern \"C\" __global__ void k(int *p, int n)\n{\n\tint a[n];\n"
		  "\tfor (int i = 0; i < n; i++)\n\t\ta[i] = p[i * threadIdx.x];\n"
		  "\t__syncthreads();\n\tp[threadIdx.x] = a[n - 1];\n}\n",
		  "variable-length array lives across a barrier" },
		{ "a __device__ function declared, never defined",
		  "extern __device__ float helper(float);\n__device__ float twice(float v)\n{\n\treturn 2 * helper(v);\n}\n"
		  "extern \"C\" __global__ void k(float *p)\n{\n\tp[threadIdx.x] = twice(p[threadIdx.x]);\n}\n",
		  "'helper(float)' is declared but not defined" },
	};
	static const int line[] = { 3, 3, 4, 4, 4, 4, 4, 3, 4 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vgpu_compile_opts o = { .size = sizeof(o), .name = "user_kernels.cu" };
		vgpu_module *mm = NULL;
		int ret = vgpu_module_compile(s, cases[i].src, 0, &o, &mm);
		const char *log = vgpu_last_error(s);
		char at[64];

		snprintf(at, sizeof(at), "user_kernels.cu:%d:", line[i]);
		tap_ok(ret == -ENOEXEC && strstr(log, cases[i].want) && strstr(log, at),
		   "dialect: refused at compile time: %s (\"%s\" at %s)", cases[i].what, cases[i].want, at);
		if (ret != -ENOEXEC || !strstr(log, at))
			tap_diag("%d: %.600s", ret, log);
		if (mm)
			vgpu_module_unload(mm);
	}
}

int main(void)
{
	int in[128];
	struct vgpu_compile_opts co = { .size = sizeof(co), .name = "dialect.cu" };
	int ret, clang;
	char *img = NULL;
	long il;

	s = t_session("dialect", 0);
	tap_ok(s != NULL, "dialect: session open on the CPU backend");
	if (!s)
		return tap_done();
	/* which compiler: clang path images list their kernels in __vgpu_kernel_table */
	ret = vgpu_module_compile(s, "extern \"C\" __global__ void probe(int *p) { p[0] = 1; }\n", 0, NULL, &m);
	il = ret ? -1 : vgpu_module_image(m, NULL, 0);
	img = il > 0 ? malloc((size_t)il) : NULL;
	clang = img && vgpu_module_image(m, img, (size_t)il) == il &&
		memmem(img, (size_t)il, "__vgpu_kernel_table", 20);
	free(img);
	if (!ret)
		vgpu_module_unload(m);
	if (!clang) {
		tap_skip("the CPU backend uses the g++ path (VGPU_CPU_CC=g++, or clang-16 or libvgpu-cpu-pass.so not installed)",
			 "dialect: the clang path's corpus");
		vgpu_session_close(s);
		return tap_done();
	}
	ret = vgpu_module_compile(s, src, 0, &co, &m);
	tap_ok(ret == 0, "dialect: compile the dialect corpus");
	if (ret) {
		tap_diag("%s", vgpu_last_error(s));
		vgpu_session_close(s);
		return tap_done();
	}
	for (int i = 0; i < 128; i++)
		in[i] = (int)(t_rand() % 2001) - 1000;
	in[77] = 950;
	t_shfl(in);
	t_boolslot(in);
	t_wrows(in);
	t_wscan0(in);
	t_aos4(in);
	t_gapfill(in);
	t_unishared(in);
	t_narrow(in);
	t_lanes0(in);
	t_narrowlin(in);
	t_halo(in);
	t_lowering_text();
	t_profile(in);
	t_halo32(in);
	t_march(in);
	t_phiexit(in);
	t_shflwide(in);
	t_shflloops(in);
	t_shflminmax(in);
	t_idlebar(in);
	t_shflscan(in);
	t_vote(in);
	t_wred(in);
	t_tiles(in);
	t_cgred(in);
	t_atomics(in);
	t_synccount(in);
	t_fastmath();
	t_puremath();
	t_rounding();
	t_half();
	t_conv();
	t_cudastd();
	t_cplx();
	t_cvtdot();
	t_mathx();
	t_fnptr(in);
	t_cgcopy();
	t_cgpart(in);
	t_intrin();
	t_misc();
	t_dynshm_template(in);
	t_shapes(in);
	t_uloop(in);
	t_tailloop(in);
	t_ktile();
	t_privptr(in);
	t_halfwarps(in);
	t_xhalves(in);
	t_padidx(in);
	t_vstride(in);
	t_vconst(in);
	t_vpairs(in);
	t_vlanes(in);
	t_shscatter(in);
	t_tilevote(in);
	t_gstride(in);
	t_bstride();
	t_lnstride();
	t_gsum();
	t_rstride(in);
	t_wstride();
	t_wrapstride();
	t_uniforms(in);
	t_lastrow();
	t_ballotvote(in);
	t_divballot(in);
	t_warpsel(in);
	t_boundloop(in);
	t_oddarrays(in);
	t_shvotes(in);
	t_tileahead(in);
	t_rowahead(in);
	t_chosen(in);
	t_wbranch(in);
	t_streams();
	t_refused();
	vgpu_module_unload(m);
	vgpu_session_close(s);
	return tap_done();
}
