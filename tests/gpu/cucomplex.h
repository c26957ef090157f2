/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cucomplex.h - <cuComplex.h> in device code: cuFloatComplex and
 * cuDoubleComplex built, added, subtracted, multiplied, divided, their
 * magnitudes, the complex fma, conjugates and conversions; one kernel and
 * its plain C reference.
 *
 * Most threads take quarters of small integers, where every sum and product
 * is exact: those results must be equal. Division and the magnitude round
 * (and CUDA scales them its own way): within a few units in the last place
 * of a reference computed in long double (a quotient's parts: of its
 * magnitude, where one part may cancel). The last threads take values
 * near the ends of the range (1e30 and 1e-30 in float, 1e200 and 1e-200 in
 * double), where squaring a part overflows or underflows: a quotient or
 * magnitude computed that way would be inf, NaN or 0.
 *
 * One file for both runners: libvgpu/tests/test_clang.c (the CPU backend's
 * clang path, CI) and tests/gpu/test_gpu.c (CUDA, `make check-gpu`, where
 * NVRTC reads the toolkit's cuComplex.h).
 */
#ifndef VGPU_TESTS_CUCOMPLEX_H
#define VGPU_TESTS_CUCOMPLEX_H

#include <float.h>
#include <math.h>
#include <stdio.h>

#define CPLX_THREADS 32
#define CPLX_FOUT 12	/* float results a thread (stored as doubles) */
#define CPLX_DOUT 5	/* double results a thread, after them */
#define CPLX_OUT (CPLX_FOUT + CPLX_DOUT)
#define CPLX_EDGE 28	/* threads from here: values at the range's ends */

static const char cplx_src[] =
"#include <cuComplex.h>\n"
"extern \"C\" __global__ void cplx(const float *x, const double *y, double *o)\n"
"{\n"
"	const int t = threadIdx.x;\n"
"	const cuFloatComplex a = make_cuFloatComplex(x[4 * t], x[4 * t + 1]);\n"
"	const cuComplex b = make_cuComplex(x[4 * t + 2], x[4 * t + 3]);\n"
"	double *p = o + 17 * t;\n"
"	const cuFloatComplex s = cuCaddf(a, b), m = cuCmulf(a, b), q = cuCdivf(a, b), f = cuCfmaf(a, b, s);\n"
"	p[0] = cuCrealf(s);\n"
"	p[1] = cuCimagf(cuCsubf(a, b));\n"
"	p[2] = cuCrealf(m);\n"
"	p[3] = cuCimagf(m);\n"
"	p[4] = cuCrealf(q);\n"
"	p[5] = cuCimagf(q);\n"
"	p[6] = cuCabsf(a);\n"
"	p[7] = cuCrealf(f);\n"
"	p[8] = cuCimagf(f);\n"
"	p[9] = cuCimagf(cuConjf(b));\n"
"	p[10] = cuCrealf(cuComplexDoubleToFloat(cuComplexFloatToDouble(b)));\n"
"	p[11] = cuCabsf(b);\n"
"	const cuDoubleComplex u = make_cuDoubleComplex(y[4 * t], y[4 * t + 1]);\n"
"	const cuDoubleComplex v = make_cuDoubleComplex(y[4 * t + 2], y[4 * t + 3]);\n"
"	const cuDoubleComplex w = cuCmul(u, cuConj(v)), r = cuCdiv(u, v);\n"
"	p[12] = cuCreal(w);\n"
"	p[13] = cuCimag(cuCsub(w, cuCadd(u, v)));\n"
"	p[14] = cuCreal(r);\n"
"	p[15] = cuCimag(r);\n"
"	p[16] = cuCabs(cuCfma(u, v, u)) + cuCabs(v);\n"
"}\n";

/* x: 4 floats a thread (a.re, a.im, b.re, b.im), y: 4 doubles */
static void cplx_inputs(float *x, double *y)
{
	static const double edge[CPLX_THREADS - CPLX_EDGE][4] = {
		{ 1e30, 1e30, 3e30, -4e30 }, { 1e-30, 2e-30, 3e-30, 4e-30 },
		{ 3e20, -4e20, 2e25, 1e25 }, { 0.0, 0.0, 2e30, 2e30 },
	};

	for (int t = 0; t < CPLX_THREADS; t++)
		for (int i = 0; i < 4; i++) {
			double v = (double)((t * 37 + i * 11) % 41 - 20) / 4.0;

			if (i == 2 && v == 0.0)
				v = 0.75;	/* a divisor's real part, never 0 with its imaginary one */
			if (t >= CPLX_EDGE)
				v = edge[t - CPLX_EDGE][i];
			x[4 * t + i] = (float)v;
			/* doubles: the same, the ends of the range at 1e200 and 1e-200 */
			y[4 * t + i] = t < CPLX_EDGE ? v : v > 1.0 || v < -1.0 ? v * 1e170 : v * 1e-170;
		}
}

typedef long double cplx_ld;

/* |got - want| within @ulps units of @eps relative to @scale, or to |want|
 * where @scale is 0 (@ulps 0: exact) */
static int cplx_near(double got, cplx_ld want, double eps, double ulps, cplx_ld scale)
{
	const cplx_ld err = fabsl((cplx_ld)got - want);

	return ulps == 0.0 ? (cplx_ld)got == want : err <= (cplx_ld)ulps * eps * (scale > 0 ? scale : fabsl(want));
}

/* 0 when @o (CPLX_OUT a thread) holds what the reference gives; else the first difference in @why */
static int cplx_check(const float *x, const double *y, const double *o, char *why, size_t len)
{
	for (int t = 0; t < CPLX_THREADS; t++) {
		const float *in = x + 4 * t;
		const double *yn = y + 4 * t;
		const cplx_ld ar = in[0], ai = in[1], br = in[2], bi = in[3], nb = br * br + bi * bi;
		const cplx_ld sr = ar + br, si = ai + bi, mr = ar * br - ai * bi, mi = ar * bi + ai * br;
		const int exact = t < CPLX_EDGE;
		/* a quotient's parts: to within ulps of its magnitude (one part may cancel) */
		const cplx_ld qs = sqrtl((ar * ar + ai * ai) / nb);
		const cplx_ld ur = yn[0], ui = yn[1], vr = yn[2], vi = yn[3], nv = vr * vr + vi * vi;
		const cplx_ld wr = ur * vr + ui * vi, wi = ui * vr - ur * vi;
		const cplx_ld fr = ur * vr - ui * vi + ur, fi = ur * vi + ui * vr + ui;
		const cplx_ld rs = sqrtl((ur * ur + ui * ui) / nv);
		const double F = FLT_EPSILON, D = DBL_EPSILON;
		/* expected: exact (ulps 0), within ulps of the type's epsilon times
		 * scale (0: the value), or not checked (ulps -1); floats, then doubles */
		const struct {
			cplx_ld want;
			double eps, ulps;
			cplx_ld scale;
		} e[CPLX_OUT] = {
			{ sr, F, exact ? 0 : -1, 0 }, { ai - bi, F, exact ? 0 : -1, 0 }, { mr, F, exact ? 0 : -1, 0 },
			{ mi, F, exact ? 0 : -1, 0 }, { (ar * br + ai * bi) / nb, F, 4, qs },
			{ (ai * br - ar * bi) / nb, F, 4, qs }, { sqrtl(ar * ar + ai * ai), F, 3, 0 },
			{ mr + sr, F, exact ? 0 : -1, 0 }, { mi + si, F, exact ? 0 : -1, 0 }, { -bi, F, 0, 0 },
			{ br, F, 0, 0 }, { sqrtl(br * br + bi * bi), F, 3, 0 },
			{ wr, D, exact ? 0 : -1, 0 }, { wi - (ui + vi), D, exact ? 0 : -1, 0 }, { wr / nv, D, 4, rs },
			{ wi / nv, D, 4, rs }, { sqrtl(fr * fr + fi * fi) + sqrtl(nv), D, exact ? 4 : -1, 0 },
		};

		for (int k = 0; k < CPLX_OUT; k++) {
			const double g = o[CPLX_OUT * t + k];

			if (e[k].ulps >= 0 && !cplx_near(g, e[k].want, e[k].eps, e[k].ulps, e[k].scale)) {
				snprintf(why, len, "thread %d, value %d: %.17g, expected %.17Lg", t, k, g, e[k].want);
				return -1;
			}
		}
	}
	return 0;
}

#endif /* VGPU_TESTS_CUCOMPLEX_H */
