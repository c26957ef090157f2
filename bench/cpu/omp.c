// SPDX-License-Identifier: GPL-2.0
/*
 * Hand-written OpenMP baselines, built with gcc -O3 -fopenmp -march=native
 * in their own object so that only these loops get those flags.
 */
#include <stddef.h>

void omp_saxpy(size_t n, float a, const float *restrict x, float *restrict y)
{
#pragma omp parallel for simd schedule(static)
	for (size_t i = 0; i < n; i++)
		y[i] = a * x[i] + y[i];
}

void omp_vadd(size_t n, const float *restrict a, const float *restrict b, float *restrict c)
{
#pragma omp parallel for simd schedule(static)
	for (size_t i = 0; i < n; i++)
		c[i] = a[i] + b[i];
}

float omp_sum(size_t n, const float *restrict x)
{
	float s = 0.0f;

#pragma omp parallel for simd schedule(static) reduction(+ : s)
	for (size_t i = 0; i < n; i++)
		s += x[i];
	return s;
}

/* First touch from the threads that will use the pages, as the loops do. */
void omp_fill(size_t n, float *x, float v)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		x[i] = v;
}
