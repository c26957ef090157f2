/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mathx.h - the CUDA math functions past the C library's common ones: the
 * inverse error functions (erfinv, erfcinv, normcdfinv), sinpi/cospi where
 * they are exactly 0 or +-1 (integers and halves, however large), the
 * Euclidean norms (norm3d, rnorm3d, norm4d, norm, rnorm, rhypot) at the ends
 * of the range, Bessel functions of the first and second kind, ilogb,
 * scalbn, remquo, llrint; float and double; one kernel and its reference.
 *
 * The reference is plain C in long double: the inverse error functions by
 * bisection on erfl/erfcl, sin(pi x) after an exact reduction of x, norms
 * from long double squares, the Bessel functions from the C library's long
 * double ones. Tolerances are in units of the last place of the result's
 * type (CUDA's documented bounds are 2-8 ulps for these), absolute for the
 * Bessel functions (as CUDA documents them); a result that should be 0 must
 * be 0.
 *
 * One file for both runners: libvgpu/tests/test_clang.c (the CPU backend's
 * clang path, CI) and tests/gpu/test_gpu.c (CUDA, `make check-gpu`).
 */
#ifndef VGPU_TESTS_MATHX_H
#define VGPU_TESTS_MATHX_H

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MX_THREADS 32
#define MX_OUT 26	/* doubles a thread (float results converted) */
#define MX_EDGE 28	/* threads from here: norms of values at the range's ends */

static const char mx_src[] =
"extern \"C\" __global__ void mathx(const double *in, double *o)\n"
"{\n"
"	const int t = threadIdx.x;\n"
"	const double u = in[5 * t], X = in[5 * t + 1], A = in[5 * t + 2], S = in[5 * t + 3], SD = in[5 * t + 4];\n"
"	const float uf = (float)u, Xf = (float)X, Af = (float)A;\n"
"	const double a = A * SD, b = (2 * A - 1) * SD, c = (0.5 * A + 3) * SD, d = -A * SD;\n"
"	const float fa = Af * (float)S, fb = (2 * Af - 1) * (float)S, fc = (0.5f * Af + 3) * (float)S, fd = -Af * (float)S;\n"
"	double *p = o + 26 * t;\n"
"	int q = 0;\n"
"	p[0] = erfinvf(uf);\n"
"	p[1] = erfcinvf(1.0f - uf);\n"
"	p[2] = normcdfinvf(0.5f + 0.5f * uf);\n"
"	p[3] = sinpif(Xf);\n"
"	p[4] = cospif(Xf);\n"
"	p[5] = norm3df(fa, fb, fc);\n"
"	p[6] = rnorm3df(fa, fb, fc);\n"
"	p[7] = rhypotf(fa, fb);\n"
"	p[8] = norm4df(fa, fb, fc, fd);\n"
"	p[9] = j0f(Af);\n"
"	p[10] = y1f(fabsf(Af) + 0.5f);\n"
"	p[11] = jnf(3, Af);\n"
"	p[12] = ilogbf(fa) + 1000.0 * ilogb(a);\n"
"	p[13] = scalbnf(Af, 5) + scalbn(A, -3);\n"
"	p[14] = remquof(Af, 0.75f, &q);\n"
"	p[15] = (q < 0 ? -1 : 1) * (abs(q) & 7);\n"
"	p[16] = erfinv(u);\n"
"	p[17] = erfcinv(1.0 - u);\n"
"	p[18] = normcdfinv(0.5 + 0.5 * u);\n"
"	double s, co;\n"
"	sincospi(X, &s, &co);\n"
"	p[19] = s;\n"
"	p[20] = co;\n"
"	p[21] = norm3d(a, b, c);\n"
"	const double v[4] = { a, b, c, d };\n"
"	p[22] = rnorm(4, v);\n"
"	p[23] = j1(A);\n"
"	p[24] = yn(2, fabs(A) + 0.5);\n"
"	p[25] = (double)llrint(A * 1000.25);\n"
"}\n";

/* per thread: u in (-1, 1), X for sinpi/cospi, A, and the norms' scales S
 * (float) and SD (double): 1e29 and 1e290 square past the range, 1e-31 and
 * 1e-300 below it */
static void mx_inputs(double *in)
{
	static const double u[MX_THREADS] = {
		0, 1e-10, -1e-10, 0.1, -0.1, 0.25, 0.5, -0.5, 0.75, -0.75, 0.9, -0.9, 0.99, -0.99, 0.999, 0.9999,
		0.99999, -0.99999, 0.999999, 0.3, -0.3, 0.6, 0.45, 0.55, -0.55, 0.123456, 0.654321, -0.876543,
		0.2, 0.8, -0.2, 0.05,
	};
	static const double X[MX_THREADS] = {
		0, 0.5, 1, 1.5, 2, -0.5, -1, 1e6, 1e6 + 0.5, 123456.25, 0.25, 1.0 / 3, -2.75, 7.125, 1e-5, 3e7,
		16777215.0, 4503599627370497.0, 1e20, 0.125, -0.0, 10.1, 0.75, 2.5, 5.5, -7.5, 0.1, 0.9, 100.3,
		1e8 + 1, 0.4999, 0.5001,
	};
	static const double S[MX_THREADS - MX_EDGE][2] = { { 1e29, 1e290 }, { 1e-31, 1e-300 }, { 0.0, 0.0 }, { 1.0, 1.0 } };

	for (int t = 0; t < MX_THREADS; t++) {
		in[5 * t] = u[t];
		in[5 * t + 1] = X[t];
		in[5 * t + 2] = t < MX_EDGE ? (t - 13.5) * 0.37 + 0.01 * (t % 3) : t == MX_THREADS - 1 ? 2.5 : 10.0;
		in[5 * t + 3] = t < MX_EDGE ? 1.0 : S[t - MX_EDGE][0];
		in[5 * t + 4] = t < MX_EDGE ? 1.0 : S[t - MX_EDGE][1];
	}
}

typedef long double mx_ld;

/* y = erf(x) (@c 0) or erfc(x) (1), solved by bisection in long double:
 * on erf near 0 and on erfc in the tails, the operand moved there exactly
 * (1 - y, 2 - y), as near 1 the functions' absolute error is the result's */
static mx_ld mx_inverse(mx_ld y, int c)
{
	mx_ld lo = -120, hi = 120;

	if (!c && (y <= -1 || y >= 1))
		return y == 1 ? INFINITY : y == -1 ? -INFINITY : NAN;
	if (y == (c ? 1 : 0))
		return 0;	/* bisection would end some 1e-119 away */
	if (c && y > 0.5 && y < 1.5)
		return mx_inverse(1 - y, 0);
	if (c && y >= 1.5)
		return -mx_inverse(2 - y, 1);
	if (!c && fabsl(y) >= 0.5)
		return y > 0 ? mx_inverse(1 - y, 1) : -mx_inverse(1 + y, 1);
	for (int i = 0; i < 400; i++) {
		const mx_ld mid = (lo + hi) / 2, v = c ? erfcl(mid) : erfl(mid);

		if (c ? v > y : v < y)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* sin(pi x) (@cs 0) or cos(pi x) (1), x reduced exactly */
static mx_ld mx_sinpi(mx_ld x, int cs)
{
	const mx_ld r = fmodl(x, 2);	/* exact */
	const mx_ld h = 2 * r;

	if (h == floorl(h)) {	/* a multiple of 1/2: exact values */
		const long k = ((long)h % 4 + 4) % 4;	/* r = k / 2 (mod 2) */
		static const int sn[4] = { 0, 1, 0, -1 }, cn[4] = { 1, 0, -1, 0 };

		return cs ? cn[k] : sn[k];
	}
	return cs ? cosl(3.14159265358979323846264338327950288L * r) : sinl(3.14159265358979323846264338327950288L * r);
}

/* @got within @ulps of @want in a type of epsilon @eps, or within @abs; 0 must be 0 */
static int mx_near(double got, mx_ld want, double eps, double ulps, double abs)
{
	if (isnan((double)want))
		return isnan(got);
	if (isinf((double)want) || want == 0)
		return (mx_ld)got == want;
	return fabsl((mx_ld)got - want) <= (mx_ld)ulps * eps * fabsl(want) + abs;
}

/* 0 when @o (MX_OUT a thread) holds what the reference gives; else the first difference in @why */
static int mx_check(const double *in, const double *o, char *why, size_t len)
{
	for (int t = 0; t < MX_THREADS; t++) {
		const double u = in[5 * t], X = in[5 * t + 1], A = in[5 * t + 2], S = in[5 * t + 3], SD = in[5 * t + 4];
		const float uf = (float)u, Xf = (float)X, Af = (float)A, Sf = (float)S;
		const float fa = Af * Sf, fb = (2 * Af - 1) * Sf, fc = (0.5f * Af + 3) * Sf, fd = -Af * Sf;
		const double a = A * SD, b = (2 * A - 1) * SD, c = (0.5 * A + 3) * SD, d = -A * SD;
		const mx_ld n3f = sqrtl((mx_ld)fa * fa + (mx_ld)fb * fb + (mx_ld)fc * fc);
		const mx_ld n4f = sqrtl((mx_ld)fa * fa + (mx_ld)fb * fb + (mx_ld)fc * fc + (mx_ld)fd * fd);
		const mx_ld n3 = sqrtl((mx_ld)a * a + (mx_ld)b * b + (mx_ld)c * c);
		const mx_ld n4 = sqrtl((mx_ld)a * a + (mx_ld)b * b + (mx_ld)c * c + (mx_ld)d * d);
		const int body = t < MX_EDGE;
		int q;
		const float rq = remquof(Af, 0.75f, &q);
		const double F = FLT_EPSILON, D = DBL_EPSILON;
		const struct {
			mx_ld want;
			double eps, ulps, abs;
			int check;
		} e[MX_OUT] = {
			{ mx_inverse(uf, 0), F, 4, 0, 1 },
			{ mx_inverse(1.0f - uf, 1), F, 6, 0, 1 },
			{ -sqrtl(2) * mx_inverse(2 * (mx_ld)(0.5f + 0.5f * uf), 1), F, 8, 0, 1 },
			{ mx_sinpi(Xf, 0), F, 2, 0, 1 },
			{ mx_sinpi(Xf, 1), F, 2, 0, 1 },
			{ n3f, F, 4, 0, 1 },
			{ 1 / n3f, F, 4, 0, 1 },
			{ 1 / sqrtl((mx_ld)fa * fa + (mx_ld)fb * fb), F, 4, 0, 1 },
			{ n4f, F, 4, 0, 1 },
			{ j0l(Af), F, 16, 1e-5, body },
			{ y1l(fabsf(Af) + 0.5f), F, 16, 1e-5, body },
			{ jnl(3, Af), F, 16, 1e-5, body },
			{ ilogbf(fa) + 1000.0 * ilogb(a), 0, 0, 0, fa != 0 },
			{ scalbnf(Af, 5) + scalbn(A, -3), 0, 0, 0, 1 },
			{ rq, 0, 0, 0, 1 },
			{ (q < 0 ? -1 : 1) * (abs(q) & 7), 0, 0, 0, 1 },
			{ mx_inverse(u, 0), D, 8, 0, 1 },
			{ mx_inverse(1.0 - u, 1), D, 8, 0, 1 },
			{ -sqrtl(2) * mx_inverse(2 * (mx_ld)(0.5 + 0.5 * u), 1), D, 16, 0, 1 },
			{ mx_sinpi(X, 0), D, 2, 0, 1 },
			{ mx_sinpi(X, 1), D, 2, 0, 1 },
			{ n3, D, 4, 0, 1 },
			{ 1 / n4, D, 4, 0, 1 },
			{ j1l(A), D, 16, 1e-11, body },
			{ ynl(2, fabs(A) + 0.5), D, 16, 1e-11, body },
			{ llrint(A * 1000.25), 0, 0, 0, 1 },
		};

		for (int k = 0; k < MX_OUT; k++) {
			const double g = o[MX_OUT * t + k];

			if (e[k].check && !(e[k].ulps == 0 && e[k].abs == 0 ? (mx_ld)g == e[k].want || (isnan(g) && isnan((double)e[k].want))
							    : mx_near(g, e[k].want, e[k].eps, e[k].ulps, e[k].abs))) {
				snprintf(why, len, "thread %d, value %d: %.17g, expected %.17Lg", t, k, g, e[k].want);
				return -1;
			}
		}
	}
	return 0;
}

#endif /* VGPU_TESTS_MATHX_H */
