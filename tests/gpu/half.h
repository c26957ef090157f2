/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * half.h - half precision (cuda_fp16.h, cuda_bf16.h) in one kernel and its
 * reference: arithmetic, fma, sqrt, directed and integer conversions, pairs
 * and their operators, a shuffle of a half2, a shared atomicAdd. The
 * reference rounds exact (double or long double) results to the 16-bit
 * formats by searching every code, independent of any compiler's half type.
 * No product is followed by a sum: CUDA may contract the two into an fma
 * (nvcc's default; the `_rn` forms say so), the CPU backend rounds each.
 *
 * One file for both runners: libvgpu/tests/test_clang.c (the CPU backend's
 * clang path, CI) and tests/gpu/test_gpu.c (CUDA, `make check-gpu`): the
 * same bits are expected from both.
 */
#ifndef VGPU_TESTS_HALF_H
#define VGPU_TESTS_HALF_H

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* 64 threads, one block; out: HALF_OUT codes a thread */
#define HALF_THREADS 64
#define HALF_OUT 24
static const char half_src[] =
"#include <cuda_fp16.h>\n"
"#include <cuda_bf16.h>\n"
"extern \"C\" __global__ void halfops(const float *a, const float *b, unsigned short *out)\n"
"{\n"
"	__shared__ __half acc;\n"
"	const int t = threadIdx.x;\n"
"	const __half x = __float2half(a[t]), y = __float2half(b[t]);\n"
"	unsigned short *o = out + 24 * t;\n"
"	if (t == 0)\n"
"		acc = __float2half(0.0f);\n"
"	o[0] = __half_as_ushort(__hadd(x, y));\n"
"	o[1] = __half_as_ushort(x - y);\n"
"	o[2] = __half_as_ushort(x * y);\n"
"	o[3] = __half_as_ushort(__hdiv(x, y));\n"
"	o[4] = __half_as_ushort(__hfma(x, y, x));\n"
"	o[5] = __half_as_ushort(hsqrt(__habs(x)));\n"
"	o[6] = __half_as_ushort(__float2half_rz(a[t]));\n"
"	o[7] = __half_as_ushort(__float2half_rd(a[t]));\n"
"	o[8] = __half_as_ushort(__float2half_ru(a[t]));\n"
"	const half2 p = __floats2half2_rn(a[t], b[t]), q = __halves2half2(y, x);\n"
"	half2 r = __hfma2(p, q, p);\n"
"	r += p;\n"
"	r = r * q;	/* (no add after it: CUDA may contract a product and a sum) */\n"
"	o[9] = __half_as_ushort(r.x);\n"
"	o[10] = __half_as_ushort(__high2half(r));\n"
"	o[11] = (x < y) | __hisnan(x) << 1 | __hbgt2(p, __hneg2(q)) << 2 | (x == y) << 3 | (__hisinf(x) + 1) << 4;\n"
"	const half2 s = __shfl_xor_sync(0xffffffffu, p, 1);\n"
"	o[12] = __half_as_ushort(__low2half(s));\n"
"	o[13] = __half_as_ushort(s.y);\n"
"	const __nv_bfloat16 u = __float2bfloat16(a[t]), v = __float2bfloat16(b[t]);\n"
"	o[14] = __bfloat16_as_ushort(u + v);\n"
"	o[15] = __bfloat16_as_ushort(__hmul(u, v));\n"
"	o[16] = __bfloat16_as_ushort(__hfma(u, v, u));\n"
"	o[17] = __bfloat16_as_ushort(__float2bfloat16_rz(a[t]));\n"
"	o[18] = (unsigned short)__half2int_rn(x);\n"
"	o[19] = __half_as_ushort(__int2half_rn(t * 1237 - 30000));\n"
"	__syncthreads();\n"
"	atomicAdd(&acc, __float2half(1.0f));\n"
"	__syncthreads();\n"
"	o[20] = __half_as_ushort(acc);\n"
"	o[21] = __bfloat16_as_ushort(__float2bfloat16(__half2float(x) + __bfloat162float(v)));\n"
"}\n";

/* the value of 16-bit code @c of binary16 (@bf 0) or bfloat16 (@bf 1) */
static inline double h16_value(int bf, unsigned c)
{
	if (bf) {
		unsigned u = c << 16;
		float f;

		memcpy(&f, &u, 4);
		return f;
	}
	const unsigned e = (c >> 10) & 31, m = c & 1023;
	const double v = e == 31 ? (m ? NAN : INFINITY) : e ? ldexp(1024 + m, (int)e - 25) : ldexp(m, -24);

	return c & 0x8000 ? -v : v;
}

/* @a rounded to the 16-bit format by search over every code (mode 0 to
 * nearest even, 1 toward zero, 2 down, 3 up): the reference the header's
 * float arithmetic is checked against */
static inline unsigned short h16_round(int bf, double a, int mode)
{
	const unsigned inf = bf ? 0x7f80 : 0x7c00, max = inf - 1;
	int lo = -1, hi = -1;	/* the codes just below and above (or at) @a */

	if (isnan(a))
		return (unsigned short)(inf | 1);
	for (unsigned c = 0; c < 0x10000; c++) {
		const double v = h16_value(bf, c);

		if (isnan(v))
			continue;
		if (v <= a && (lo < 0 || v > h16_value(bf, (unsigned)lo)))
			lo = (int)c;
		if (v >= a && (hi < 0 || v < h16_value(bf, (unsigned)hi)))
			hi = (int)c;
	}
	if (mode == 1)
		mode = a >= 0 ? 2 : 3;
	int c = mode == 2 ? lo : mode == 3 ? hi : -1;

	if (mode == 0) {
		const double vl = h16_value(bf, (unsigned)lo), vh = h16_value(bf, (unsigned)hi);
		/* past the largest finite value, infinity counts as the next step */
		const double step = h16_value(bf, max) - h16_value(bf, max - 1);
		const double dl = a - (isinf(vl) ? -h16_value(bf, max) - step : vl);
		const double dh = (isinf(vh) ? h16_value(bf, max) + step : vh) - a;

		c = dl < dh ? lo : dh < dl ? hi : (lo & 1) ? hi : lo;
	}
	if (h16_value(bf, (unsigned)c) == 0)	/* a zero keeps @a's sign */
		c = signbit(a) ? 0x8000 : 0;
	return (unsigned short)c;
}

/* the kernel's inputs: special values first (overflow, underflow, a
 * subnormal, NaN, the largest value rounding down, the first rounding to
 * infinity), then values from a fixed sequence */
static inline void half_inputs(float *a, float *b)
{
	static const float special[8] = { 70000.f, -70000.f, 1e-9f, -3e-5f, 0.1f, NAN, 65519.f, 65520.f };
	unsigned x = 12345;

	for (int t = 0; t < HALF_THREADS; t++) {
		x = x * 1103515245u + 12345u;
		const float r = (float)((x >> 8) & 0xffff) / 65536.f;	/* [0, 1) */
		x = x * 1103515245u + 12345u;
		const float r2 = (float)((x >> 8) & 0xffff) / 65536.f;

		a[t] = t < 8 ? special[t] : (r - 0.5f) * 200.f;
		b[t] = (r2 * 8.f + 0.5f) * (t % 2 ? -1.f : 1.f);
	}
}

/* the mismatches of the kernel's @out for inputs @a, @b; the first one in @why */
static inline int half_check(const float *a, const float *b, const unsigned short *out, char *why, size_t len)
{
	int bad = 0;

	for (int t = 0; t < HALF_THREADS; t++) {
		const unsigned short hx = h16_round(0, a[t], 0), hy = h16_round(0, b[t], 0);
		const double X = h16_value(0, hx), Y = h16_value(0, hy);
		const unsigned short bu = h16_round(1, a[t], 0), bv = h16_round(1, b[t], 0);
		const double U = h16_value(1, bu), V = h16_value(1, bv);
		/* the pairs: (x, y) and (y, x) */
		const double rx = h16_value(0, h16_round(0, h16_value(0, h16_round(0, (double)fmal(X, Y, X), 0)) + X, 0)) * Y;
		const double ry = h16_value(0, h16_round(0, h16_value(0, h16_round(0, (double)fmal(Y, X, Y), 0)) + Y, 0)) * X;
		const double i = isnan(X) ? 0 : rint(X) > INT_MAX ? INT_MAX : rint(X) < INT_MIN ? INT_MIN : rint(X);
		const unsigned short e[22] = {
			h16_round(0, X + Y, 0), h16_round(0, X - Y, 0), h16_round(0, X * Y, 0), h16_round(0, X / Y, 0),
			h16_round(0, (double)fmal(X, Y, X), 0), h16_round(0, sqrt(fabs(X)), 0),
			h16_round(0, a[t], 1), h16_round(0, a[t], 2), h16_round(0, a[t], 3),
			h16_round(0, rx, 0), h16_round(0, ry, 0),
			(unsigned short)((X < Y) | isnan(X) << 1 | (X > -Y && Y > -X) << 2 | (X == Y) << 3 |
					 (isinf(X) ? (X < 0 ? 0 : 2) : 1) << 4),
			h16_round(0, a[t ^ 1], 0), h16_round(0, b[t ^ 1], 0),
			h16_round(1, U + V, 0), h16_round(1, U * V, 0), h16_round(1, (double)fmal(U, V, U), 0),
			h16_round(1, a[t], 1), (unsigned short)(int)i, h16_round(0, t * 1237 - 30000, 0),
			0x5400 /* 64.0: every thread added 1 */, h16_round(1, X + V, 0),
		};
		for (int k = 0; k < 22; k++) {
			const int bf = k >= 14 && k != 18 && k != 19 && k != 20;
			const unsigned short g = out[HALF_OUT * t + k];

			/* a NaN is any NaN (a GPU gives its canonical one) */
			if (k != 11 && k != 18 && isnan(h16_value(bf, e[k])) && isnan(h16_value(bf, g)))
				continue;
			if (g != e[k] && !bad++)
				snprintf(why, len, "t=%d (a %a, b %a) result %d: %#06x, want %#06x", t, a[t], b[t], k, g, e[k]);
		}
	}
	return bad;
}

#endif
