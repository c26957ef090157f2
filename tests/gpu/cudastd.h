/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cudastd.h - libcu++ (<cuda/std/...>, <cuda/atomic>) in device code, the
 * way current CUDA code uses it: numeric_limits, type traits, pair and swap,
 * the <bit> functions, array, the function objects, min/max, cmath's
 * exact functions, atomic_ref with a thread scope on shared memory (int,
 * unsigned, float; fetch_max on cuda::atomic_ref, where NVRTC has it), and
 * <cstdint>'s std::int64_t, in one kernel and its reference.
 *
 * One file for both runners: libvgpu/tests/test_clang.c (the CPU backend's
 * clang path, CI) and tests/gpu/test_gpu.c (CUDA, `make check-gpu`, where
 * NVRTC reads the toolkit's libcu++): the same integers are expected.
 */
#ifndef VGPU_TESTS_CUDASTD_H
#define VGPU_TESTS_CUDASTD_H

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* one block; out: CSTD_OUT integers a thread */
#define CSTD_THREADS 32
#define CSTD_OUT 20
static const char cstd_src[] =
"#include <cstdint>\n"
"#include <cuda/std/cstdint>\n"
"#include <cuda/std/limits>\n"
"#include <cuda/std/type_traits>\n"
"#include <cuda/std/utility>\n"
"#include <cuda/std/functional>\n"
"#include <cuda/std/bit>\n"
"#include <cuda/std/array>\n"
"#include <cuda/std/cmath>\n"
"#include <cuda/std/atomic>\n"
"#include <cuda/atomic>\n"
"#include <cuda/functional>\n"
"template <class T> __device__ cuda::std::enable_if_t<cuda::std::is_integral_v<T>, T> twice(T v) { return 2 * v; }\n"
"extern \"C\" __global__ void cstd(const float *x, long long *o)\n"
"{\n"
"	__shared__ int hits;\n"
"	__shared__ unsigned top;\n"
"	__shared__ float half_sum;\n"
"	const int t = threadIdx.x;\n"
"	if (t == 0) {\n"
"		hits = 0;\n"
"		top = 0;\n"
"		half_sum = 0.0f;\n"
"	}\n"
"	__syncthreads();\n"
"	cuda::atomic_ref<int, cuda::thread_scope_block> h(hits);\n"
"	cuda::atomic_ref<unsigned, cuda::thread_scope_block> m(top);\n"
"	h.fetch_add(t);\n"
"	m.fetch_max((unsigned)(t * 7 % 32));\n"
"	cuda::atomic_ref<float, cuda::thread_scope_block>(half_sum) += 0.5f * t;\n"
"	__syncthreads();\n"
"	long long *p = o + 20 * t;\n"
"	p[0] = cuda::std::numeric_limits<int>::max();\n"
"	p[1] = cuda::std::numeric_limits<long long>::min();\n"
"	p[2] = cuda::std::numeric_limits<unsigned short>::max() + cuda::std::numeric_limits<unsigned char>::digits;\n"
"	p[3] = cuda::std::numeric_limits<float>::digits * 100 + cuda::std::numeric_limits<double>::digits10;\n"
"	p[4] = cuda::std::is_same_v<cuda::std::make_unsigned_t<int>, unsigned> +\n"
"	       2 * cuda::std::is_floating_point<float>::value + 4 * cuda::std::is_integral_v<float> +\n"
"	       8 * cuda::std::is_signed_v<int> + 16 * cuda::std::is_same_v<cuda::std::common_type_t<int, float>, float> +\n"
"	       32 * cuda::std::is_same_v<cuda::std::decay_t<const int &>, int> + 64 * cuda::std::is_unsigned<char>::value;\n"
"	cuda::std::pair<int, int> pr = cuda::std::make_pair(t, 2 * t);\n"
"	cuda::std::swap(pr.first, pr.second);\n"
"	p[5] = pr.first * 1000 + pr.second + twice((std::int64_t)t) * 1000000;\n"
"	p[6] = cuda::std::popcount((unsigned)t * 0x01010101u) + 100 * cuda::std::countl_zero((unsigned)t + 1) +\n"
"	       10000 * cuda::std::bit_width((unsigned)t) + 1000000 * cuda::std::countr_zero((unsigned)t | 64u);\n"
"	p[7] = cuda::std::bit_ceil((unsigned)t + 1) + 1000 * cuda::std::bit_floor((unsigned)t + 1) +\n"
"	       1000000 * cuda::std::has_single_bit((unsigned)t);\n"
"	p[8] = cuda::std::rotl(0x80000001u, t);\n"
"	cuda::std::array<int, 4> a = { t, t + 1, t + 2, t + 3 };\n"
"	int sum = 0;\n"
"	for (int v : a)\n"
"		sum += v;\n"
"	p[9] = sum + 100 * (int)a.size() + 10000 * a.back();\n"
"	p[10] = cuda::std::plus<int>()(t, 5) * cuda::std::multiplies<>()(2, 3) + 1000 * cuda::maximum<int>()(t, 10) +\n"
"		100000 * cuda::std::less<>()(t, 16);\n"
"	p[11] = cuda::std::min(t, 9) + 100 * cuda::std::max(t, 20) + 10000 * cuda::minimum<>()(t, 25);\n"
"	p[12] = h.load() + 1000 * (long long)cuda::std::atomic_ref<float>(half_sum).load();\n"
"	p[13] = m.load(cuda::std::memory_order_relaxed);\n"
"	p[14] = cuda::std::bit_cast<unsigned>(x[t]);\n"
"	p[15] = cuda::std::exchange(sum, 7) + 1000 * sum;\n"
"	p[16] = cuda::std::bit_cast<unsigned>(cuda::std::sqrt(cuda::std::fabs(x[t])));\n"
"	p[17] = cuda::std::bit_cast<unsigned>(cuda::std::fmax(cuda::std::floor(x[t]), cuda::std::fabs(x[t] - 3.0f)));\n"
"	p[18] = cuda::std::isnan(x[t]) + 2 * cuda::std::isfinite(x[t]) +\n"
"		4 * (x[t] < cuda::std::numeric_limits<float>::epsilon()) + 8 * (x[t] >= cuda::std::numeric_limits<float>::max());\n"
"	p[19] = (long long)(cuda::std::numeric_limits<float>::lowest() / 1e30f) + cuda::std::numeric_limits<cuda::std::uint8_t>::max();\n"
"}\n";

/* the inputs: ordinary values, 0, a subnormal, the largest float */
static void cstd_inputs(float *x)
{
	for (int t = 0; t < CSTD_THREADS; t++)
		x[t] = t == 0 ? 0.0f : t == 1 ? 1e-40f : t == 2 ? FLT_MAX : (float)t * 0.75f - 3.0f;
}

static uint32_t cstd_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static int cstd_popc(uint32_t v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

static int cstd_width(uint32_t v)
{
	int w = 0;

	for (; v; v >>= 1)
		w++;
	return w;
}

/* what thread @t stores (@x: its input), into @e */
static void cstd_expect(int t, float x, long long *e)
{
	const uint32_t u = (uint32_t)t, v = u + 1;
	int sum = 4 * t + 6, tz = 0;

	while (!((u | 64u) >> tz & 1))
		tz++;
	e[0] = INT_MAX;
	e[1] = LLONG_MIN;
	e[2] = 65535 + 8;
	e[3] = 24 * 100 + 15;
	e[4] = 1 + 2 + 0 + 8 + 16 + 32 + 0;
	e[5] = 2LL * t * 1000 + t + 2LL * t * 1000000;
	e[6] = cstd_popc(u * 0x01010101u) + 100 * (32 - cstd_width(v)) + 10000 * cstd_width(u) + 1000000LL * tz;
	e[7] = (v <= 1 ? 1 : 1u << cstd_width(v - 1)) + 1000LL * (1u << (cstd_width(v) - 1)) +
	       1000000LL * (u && !(u & (u - 1)));
	e[8] = t ? (uint32_t)(0x80000001u << t | 0x80000001u >> (32 - t)) : 0x80000001u;
	e[9] = sum + 100 * 4 + 10000 * (t + 3);
	e[10] = (t + 5) * 6 + 1000 * (t > 10 ? t : 10) + 100000 * (t < 16);
	e[11] = (t < 9 ? t : 9) + 100 * (t > 20 ? t : 20) + 10000 * (t < 25 ? t : 25);
	e[12] = CSTD_THREADS * (CSTD_THREADS - 1) / 2 + 1000 * (CSTD_THREADS * (CSTD_THREADS - 1) / 4);
	e[13] = 31;
	e[14] = cstd_bits(x);
	e[15] = sum + 1000 * 7;
	e[16] = cstd_bits(sqrtf(fabsf(x)));	/* (a NaN's bits differ: 0x7fffffff on the GPU) */
	e[17] = cstd_bits(fmaxf(floorf(x), fabsf(x - 3.0f)));
	e[18] = isnan(x) + 2 * !!isfinite(x) + 4 * (x < FLT_EPSILON) + 8 * (x >= FLT_MAX);
	e[19] = (long long)(-FLT_MAX / 1e30f) + 255;
}

/* 0 when @out (CSTD_THREADS * CSTD_OUT) holds what the reference gives;
 * else the first difference in @why */
static int cstd_check(const float *x, const long long *out, char *why, size_t len)
{
	long long e[CSTD_OUT];

	for (int t = 0; t < CSTD_THREADS; t++) {
		cstd_expect(t, x[t], e);
		for (int k = 0; k < CSTD_OUT; k++)
			if (out[t * CSTD_OUT + k] != e[k]) {
				snprintf(why, len, "thread %d, p[%d]: %lld, expected %lld", t, k, out[t * CSTD_OUT + k], e[k]);
				return -1;
			}
	}
	return 0;
}

#endif /* VGPU_TESTS_CUDASTD_H */
