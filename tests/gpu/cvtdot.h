/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cvtdot.h - integers and doubles to float and double with each rounding
 * (__int2float_rz ... __ull2double_ru, __double2float_rd ...) and the byte
 * dot products (__dp4a, __dp2a_lo/_hi, signed and unsigned, on words and on
 * char4/short2 vectors): one kernel and its plain C reference.
 *
 * The values are chosen where rounding shows: integers between floats
 * (2^24 + 1, 2^53 + 1, the 64-bit extremes), doubles between floats and past
 * float's range, halfway cases, signs. The reference converts through long
 * double (exact for every 64-bit integer) with fesetround, and sums the
 * byte products in plain C.
 *
 * One file for both runners: libvgpu/tests/test_clang.c (the CPU backend's
 * clang path, CI) and tests/gpu/test_gpu.c (CUDA, `make check-gpu`).
 */
#ifndef VGPU_TESTS_CVTDOT_H
#define VGPU_TESTS_CVTDOT_H

#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CVT_THREADS 32
#define CVT_OUT 36	/* bit patterns a thread */

/* the rounded conversions: 4 modes of int, uint, ll, ull -> float, ll, ull
 * -> double, double -> float; then the dot products */
#define CVT_M4(f, v) "	*p++ = B(" #f "_rz(" #v ")); *p++ = B(" #f "_rn(" #v ")); *p++ = B(" #f "_rd(" #v ")); *p++ = B(" #f "_ru(" #v "));\n"
static const char cvt_src[] =
"__device__ unsigned long long B(float f) { return __float_as_uint(f); }\n"
"__device__ unsigned long long B(double d) { return (unsigned long long)__double_as_longlong(d); }\n"
"__device__ unsigned long long B(int i) { return (unsigned)i; }\n"
"__device__ unsigned long long B(unsigned i) { return i; }\n"
"extern \"C\" __global__ void cvtdot(const long long *v, const double *d, unsigned long long *o)\n"
"{\n"
"	const int t = threadIdx.x;\n"
"	const long long l = v[t];\n"
"	const int i = (int)l;\n"
"	const unsigned u = (unsigned)l;\n"
"	const unsigned long long ul = (unsigned long long)l;\n"
"	unsigned long long *p = o + 36 * t;\n"
CVT_M4(__int2float, i)
CVT_M4(__uint2float, u)
CVT_M4(__ll2float, l)
CVT_M4(__ull2float, ul)
CVT_M4(__ll2double, l)
CVT_M4(__ull2double, ul)
CVT_M4(__double2float, d[t])
"	const int a = i, b = (int)((unsigned)(l >> 32) ^ ((unsigned)t * 0x1f2e3d4cu)), c = t * 1000 - 16000;\n"
"	*p++ = B(__dp4a(a, b, c));\n"
"	*p++ = B(__dp4a((unsigned)a, (unsigned)b, (unsigned)c));\n"
"	*p++ = B(__dp2a_lo(a, b, c));\n"
"	*p++ = B(__dp2a_hi(a, b, c));\n"
"	*p++ = B(__dp2a_lo((unsigned)a, (unsigned)b, (unsigned)c));\n"
"	*p++ = B(__dp2a_hi((unsigned)a, (unsigned)b, (unsigned)c));\n"
"	*p++ = B(__dp4a(make_char4(a, a >> 8, a >> 16, a >> 24), make_char4(b, b >> 8, b >> 16, b >> 24), c));\n"
"	*p++ = B(__dp2a_hi(make_ushort2(a, a >> 16), make_uchar4(b, b >> 8, b >> 16, b >> 24), (unsigned)c));\n"
"}\n";
#undef CVT_M4

static void cvt_inputs(long long *v, double *d)
{
	static const long long lv[CVT_THREADS] = {
		0, 1, -1, (1LL << 24) + 1, (1LL << 24) + 3, -((1LL << 24) + 1), 2147483647, -2147483647 - 1,
		(1LL << 53) + 1, -((1LL << 53) + 1), 9223372036854775807LL, -9223372036854775807LL - 1,
		-2 /* ull: 2^64 - 2 */, (long long)0x8000000000000001ULL, 123456789, -987654321,
		0x7fffffbfffffffffLL, 0x00000000ffffff7fLL, 0x1234567887654321LL, -0x0123456789abcdefLL,
		(1LL << 40) + 12345, 0x0000000100000001LL, 0x7f7f7f7f80808080LL, 0x00ff00ff7f017f01LL,
		33554435, -33554435, (1LL << 54) + 3, 4294967295LL, 0x00000000fffffe01LL, 0x4000000000000401LL,
		-0x4000000000000401LL, 77,
	};
	static const double dv[CVT_THREADS] = {
		0.0, -0.0, 1.0 / 3, -1.0 / 3, 0.1, -0.1, 3.4028235677973366e38, 3.5e38,
		-3.5e38, 3.4028234663852886e38, 1e-46, -1e-46, 1.4e-45, 7.006492321624085e-46, 1.0 + 0x1p-24,
		1.0 + 0x1p-23 + 0x1p-24, -(1.0 + 0x1p-24), 16777217.0, 1e300, -1e300, 0x1p-149 * 1.5, 2.5, -2.5,
		1e10 + 0.5, 123456.789, -9.87654321e-20, 6.02214076e23, 1.17549435e-38 * 0.75, 65504.0001,
		-0x1.fffffefffffffp127, 0x1.0000011p0, 1e-300,
	};

	memcpy(v, lv, sizeof(lv));
	memcpy(d, dv, sizeof(dv));
}

/* @x rounded to float (@dbl 0) or double (1) in rounding mode @m, as bits */
static unsigned long long cvt_round(long double x, int m, int dbl)
{
	volatile long double vx = x;
	unsigned long long r = 0;

	fesetround(m);
	if (dbl) {
		volatile double d = (double)vx;
		double dd = d;

		memcpy(&r, &dd, 8);
	} else {
		volatile float f = (float)vx;
		float ff = f;
		uint32_t u;

		memcpy(&u, &ff, 4);
		r = u;
	}
	fesetround(FE_TONEAREST);
	return r;
}

/* the sum of the products of @n pairs: signed or unsigned bytes of @b from
 * byte @b0 with bytes (@half 0) or 16-bit halves (1) of @a, plus @c */
static unsigned cvt_dot(uint32_t a, uint32_t b, uint32_t c, int n, int b0, int half, int sgn)
{
	uint32_t r = c;

	for (int k = 0; k < n; k++) {
		const uint32_t ea = half ? a >> 16 * k & 0xffff : a >> 8 * k & 0xff, eb = b >> 8 * (b0 + k) & 0xff;
		const int64_t x = sgn ? (half ? (int16_t)ea : (int8_t)ea) : (int64_t)ea;
		const int64_t y = sgn ? (int8_t)eb : (int64_t)eb;

		r += (uint32_t)(x * y);
	}
	return r;
}

/* what thread @t stores (@l, @d: its inputs), into @e */
static void cvt_expect(int t, long long l, double d, unsigned long long *e)
{
	static const int modes[4] = { FE_TOWARDZERO, FE_TONEAREST, FE_DOWNWARD, FE_UPWARD };
	const long double src[7] = { (long double)(int)l, (long double)(unsigned)l, (long double)l,
				     (long double)(unsigned long long)l, (long double)l,
				     (long double)(unsigned long long)l, (long double)d };
	const uint32_t a = (uint32_t)l, b = (uint32_t)(l >> 32) ^ ((uint32_t)t * 0x1f2e3d4cu), c = (uint32_t)(t * 1000 - 16000);

	for (int s = 0; s < 7; s++)
		for (int m = 0; m < 4; m++)
			e[4 * s + m] = cvt_round(src[s], modes[m], s == 4 || s == 5);
	e[28] = cvt_dot(a, b, c, 4, 0, 0, 1);
	e[29] = cvt_dot(a, b, c, 4, 0, 0, 0);
	e[30] = cvt_dot(a, b, c, 2, 0, 1, 1);
	e[31] = cvt_dot(a, b, c, 2, 2, 1, 1);
	e[32] = cvt_dot(a, b, c, 2, 0, 1, 0);
	e[33] = cvt_dot(a, b, c, 2, 2, 1, 0);
	e[34] = e[28];
	e[35] = e[33];
}

/* 0 when @out (CVT_THREADS * CVT_OUT) holds what the reference gives; else
 * the first difference in @why */
static int cvt_check(const long long *v, const double *d, const unsigned long long *out, char *why, size_t len)
{
	unsigned long long e[CVT_OUT];

	for (int t = 0; t < CVT_THREADS; t++) {
		cvt_expect(t, v[t], d[t], e);
		for (int k = 0; k < CVT_OUT; k++)
			if (out[t * CVT_OUT + k] != e[k]) {
				snprintf(why, len, "thread %d, value %d: %#llx, expected %#llx", t, k,
					 out[t * CVT_OUT + k], e[k]);
				return -1;
			}
	}
	return 0;
}

#endif /* VGPU_TESTS_CVTDOT_H */
