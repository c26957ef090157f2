/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * convert.h - the CUDA float and double to integer intrinsics
 * (__float2int_rn ... __double2ull_ru: four targets, four roundings) on
 * values in range, halfway cases, values past every target's range, the
 * infinities and NaN, in one kernel and its reference. The GPU's
 * conversions (cvt.rni/rzi/rmi/rpi) clamp to the target's range, where a C
 * cast is undefined, and give NaN as 0 from float to 32-bit targets, as the
 * target's sign bit alone from double or to 64-bit targets (an H200 with
 * CUDA 13 does so); the reference says so from the rounding functions of
 * <math.h> and the targets' limits.
 *
 * One file for both runners: libvgpu/tests/test_clang.c (the CPU backend's
 * clang path, CI) and tests/gpu/test_gpu.c (CUDA, `make check-gpu`): the
 * same integers are expected from both.
 */
#ifndef VGPU_TESTS_CONVERT_H
#define VGPU_TESTS_CONVERT_H

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* one block; out: CONV_OUT integers a thread (float's 16, then double's) */
#define CONV_THREADS 32
#define CONV_OUT 32
static const char conv_src[] =
"#define CONV(o, P, x)								\\\n"
"	o[0] = __##P##2int_rz(x);	o[1] = __##P##2int_rn(x);		\\\n"
"	o[2] = __##P##2int_rd(x);	o[3] = __##P##2int_ru(x);		\\\n"
"	o[4] = __##P##2uint_rz(x);	o[5] = __##P##2uint_rn(x);		\\\n"
"	o[6] = __##P##2uint_rd(x);	o[7] = __##P##2uint_ru(x);		\\\n"
"	o[8] = __##P##2ll_rz(x);	o[9] = __##P##2ll_rn(x);		\\\n"
"	o[10] = __##P##2ll_rd(x);	o[11] = __##P##2ll_ru(x);		\\\n"
"	o[12] = __##P##2ull_rz(x);	o[13] = __##P##2ull_rn(x);		\\\n"
"	o[14] = __##P##2ull_rd(x);	o[15] = __##P##2ull_ru(x);\n"
"extern \"C\" __global__ void convs(const float *f, const double *d, unsigned long long *out)\n"
"{\n"
"	unsigned long long *o = out + 32 * threadIdx.x;\n"
"	CONV(o, float, f[threadIdx.x])\n"
"	CONV((o + 16), double, d[threadIdx.x])\n"
"}\n";

/* the inputs: as floats and as doubles (the double list reaches the
 * limits that a float cannot hold: 2^31 - 0.5, 2^32 - 0.6, ...) */
static void conv_inputs(float *f, double *d)
{
	static const double v[CONV_THREADS] = {
		0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.7, 7.25, -7.75, 123456.789, -1e-30,
		2147483520.0, 2147483647.4, 2147483647.5, -2147483648.4, -2147483648.6, 3e9,
		4294967295.4, 4294967295.6, -3e9, 5e9, 9.2e18, 9.3e18, -9.3e18, 1.8e19, 2e19, -1e19,
		INFINITY, -INFINITY, NAN, 1e300,
	};

	for (int i = 0; i < CONV_THREADS; i++) {
		d[i] = v[i];
		f[i] = (float)v[i];
	}
}

/* x rounded by @mode (0 toward zero, 1 to nearest even, 2 down, 3 up) and
 * clamped to [lo, hi]; NaN @nan */
static long double conv_round(long double x, int mode, long double lo, long double hi, long double nan)
{
	long double r;

	if (isnan(x))
		return nan;
	r = mode == 0 ? truncl(x) : mode == 1 ? nearbyintl(x) : mode == 2 ? floorl(x) : ceill(x);
	return r < lo ? lo : r > hi ? hi : r;
}

/* what the 16 conversions of @x (a double: @dbl) give, as the kernel stores them */
static void conv_expect(long double x, int dbl, unsigned long long *e)
{
	/* each target's range, and its sign bit alone (NaN's value but from float to 32 bits) */
	static const long double lim[4][3] = {
		{ INT_MIN, INT_MAX, INT_MIN }, { 0, UINT_MAX, 0x80000000u },
		{ LLONG_MIN, LLONG_MAX, LLONG_MIN }, { 0, ULLONG_MAX, 0x8000000000000000ull },
	};

	for (int t = 0; t < 4; t++)
		for (int m = 0; m < 4; m++) {
			long double r = conv_round(x, m, lim[t][0], lim[t][1], dbl || t >= 2 ? lim[t][2] : 0);

			/* int and long long stored sign-extended, as the kernel's
			 * assignment to unsigned long long does */
			e[t * 4 + m] = t == 0 ? (unsigned long long)(long long)(int)r
				     : t == 1 ? (unsigned long long)(unsigned)r
				     : t == 2 ? (unsigned long long)(long long)r : (unsigned long long)r;
		}
}

/* 0 when @out (CONV_THREADS * CONV_OUT) holds what the reference gives;
 * else the first difference in @why */
static int conv_check(const float *f, const double *d, const unsigned long long *out, char *why, size_t len)
{
	static const char *const name[16] = {
		"int_rz", "int_rn", "int_rd", "int_ru", "uint_rz", "uint_rn", "uint_rd", "uint_ru",
		"ll_rz", "ll_rn", "ll_rd", "ll_ru", "ull_rz", "ull_rn", "ull_rd", "ull_ru",
	};
	unsigned long long e[CONV_OUT];

	for (int i = 0; i < CONV_THREADS; i++) {
		conv_expect(f[i], 0, e);
		conv_expect(d[i], 1, e + 16);
		for (int k = 0; k < CONV_OUT; k++)
			if (out[i * CONV_OUT + k] != e[k]) {
				snprintf(why, len, "__%s2%s(%.17g): %#llx, expected %#llx", k < 16 ? "float" : "double",
					 name[k % 16], k < 16 ? (double)f[i] : d[i], out[i * CONV_OUT + k], e[k]);
				return -1;
			}
	}
	return 0;
}

#endif /* VGPU_TESTS_CONVERT_H */
