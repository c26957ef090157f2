/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel corpus of vgpu: one CUDA-dialect source holding the kernels
 * that libvgpu's tests (libvgpu/tests/test_corpus.c), the GPU tests
 * (tests/gpu), the benchmarks and the example run. The same text is compiled
 * by NVRTC, hiprtc and the CPU backend, and each user checks the results
 * against plain C. Signatures, in the order the arguments are passed:
 *
 *	vadd(a, b, c, int n)			c = a + b
 *	saxpy(int n, float a, x, y)		y = a x + y, grid-stride
 *	reduce_sum(in, out, int n)		out[block] = sum of the block's 2 x
 *						blockDim elements; dynamic shared
 *						memory of blockDim floats
 *	matmul(A, B, C, int M, int N, int K)	C (MxN) = A (MxK) B (KxN), 16x16 tiles
 *	histogram(const unsigned *d, bins, n)	256 bins of d[i] & 255, shared atomics
 *	stencil2d(in, out, int W, int H)	5-point stencil through a __device__
 *						helper, borders copied
 *	scan_block(in, out, sums, int n)	inclusive scan of each block, its total
 *						in sums[block]; blockDim ints shared
 *	scan_add(out, scanned_sums, int n)	adds the earlier blocks' totals
 *	index3(unsigned *out)			3-D grid and block indices
 *	daxpy(double a, x, y, long long n,	64-bit and double arguments
 *	      unsigned long long stride, unsigned tag)
 */
#ifndef VGPU_COMMON_CORPUS_H
#define VGPU_COMMON_CORPUS_H

#define VGPU_CORPUS_SRC								\
"extern \"C\" __global__ void vadd(const float *a, const float *b, float *c, int n)\n" \
"{\n"									\
"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"		\
"	if (i < n)\n"							\
"		c[i] = a[i] + b[i];\n"					\
"}\n"									\
"\n"									\
"extern \"C\" __global__ void saxpy(int n, float a, const float *x, float *y)\n" \
"{\n"									\
"	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)\n" \
"		y[i] = a * x[i] + y[i];\n"				\
"}\n"									\
"\n"									\
"/* sum of each block's slice into out[blockIdx.x]; dynamic shared memory */\n" \
"extern \"C\" __global__ void reduce_sum(const float *in, float *out, int n)\n" \
"{\n"									\
"	extern __shared__ float s[];\n"					\
"	unsigned t = threadIdx.x;\n"					\
"	int i = blockIdx.x * blockDim.x * 2 + threadIdx.x;\n"		\
"	float v = 0.0f;\n"						\
"	if (i < n)\n"							\
"		v = in[i];\n"						\
"	if (i + (int)blockDim.x < n)\n"					\
"		v += in[i + blockDim.x];\n"				\
"	s[t] = v;\n"							\
"	__syncthreads();\n"						\
"	for (unsigned k = blockDim.x / 2; k > 0; k >>= 1) {\n"		\
"		if (t < k)\n"						\
"			s[t] += s[t + k];\n"				\
"		__syncthreads();\n"					\
"	}\n"								\
"	if (t == 0)\n"							\
"		out[blockIdx.x] = s[0];\n"				\
"}\n"									\
"\n"									\
"#define TILE 16\n"							\
"extern \"C\" __global__ void matmul(const float *A, const float *B, float *C, int M, int N, int K)\n" \
"{\n"									\
"	__shared__ float As[TILE][TILE];\n"				\
"	__shared__ float Bs[TILE][TILE];\n"				\
"	int row = blockIdx.y * TILE + threadIdx.y;\n"			\
"	int col = blockIdx.x * TILE + threadIdx.x;\n"			\
"	float acc = 0.0f;\n"						\
"	for (int t = 0; t < (K + TILE - 1) / TILE; t++) {\n"		\
"		int ka = t * TILE + threadIdx.x, kb = t * TILE + threadIdx.y;\n" \
"		As[threadIdx.y][threadIdx.x] = (row < M && ka < K) ? A[row * K + ka] : 0.0f;\n" \
"		Bs[threadIdx.y][threadIdx.x] = (kb < K && col < N) ? B[kb * N + col] : 0.0f;\n" \
"		__syncthreads();\n"					\
"		for (int k = 0; k < TILE; k++)\n"			\
"			acc += As[threadIdx.y][k] * Bs[k][threadIdx.x];\n" \
"		__syncthreads();\n"					\
"	}\n"								\
"	if (row < M && col < N)\n"					\
"		C[row * N + col] = acc;\n"				\
"}\n"									\
"\n"									\
"/* 256-bin histogram of bytes (given as unsigned ints 0..255) */\n"	\
"extern \"C\" __global__ void histogram(const unsigned *data, unsigned *bins, int n)\n" \
"{\n"									\
"	__shared__ unsigned local[256];\n"				\
"	for (int b = threadIdx.x; b < 256; b += blockDim.x)\n"		\
"		local[b] = 0;\n"					\
"	__syncthreads();\n"						\
"	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)\n" \
"		atomicAdd(&local[data[i] & 255u], 1u);\n"		\
"	__syncthreads();\n"						\
"	for (int b = threadIdx.x; b < 256; b += blockDim.x)\n"		\
"		if (local[b])\n"					\
"			atomicAdd(&bins[b], local[b]);\n"		\
"}\n"									\
"\n"									\
"/* 5-point stencil on a W x H grid, borders copied */\n"		\
"__device__ float cross5(const float *g, int i, int W)\n"		\
"{\n"									\
"	return 0.5f * g[i] + 0.125f * (g[i - 1] + g[i + 1] + g[i - W] + g[i + W]);\n" \
"}\n"									\
"\n"									\
"extern \"C\" __global__ void stencil2d(const float *in, float *out, int W, int H)\n" \
"{\n"									\
"	int x = blockIdx.x * blockDim.x + threadIdx.x;\n"		\
"	int y = blockIdx.y * blockDim.y + threadIdx.y;\n"		\
"	if (x >= W || y >= H)\n"					\
"		return;\n"						\
"	int i = y * W + x;\n"						\
"	if (x == 0 || y == 0 || x == W - 1 || y == H - 1) {\n"		\
"		out[i] = in[i];\n"					\
"		return;\n"						\
"	}\n"								\
"	out[i] = cross5(in, i, W);\n"					\
"}\n"									\
"\n"									\
"/* inclusive scan of ints: per block (Hillis-Steele), block sums, offsets */\n" \
"extern \"C\" __global__ void scan_block(const int *in, int *out, int *sums, int n)\n" \
"{\n"									\
"	extern __shared__ int sh[];\n"					\
"	int t = threadIdx.x;\n"						\
"	int i = blockIdx.x * blockDim.x + t;\n"				\
"	sh[t] = i < n ? in[i] : 0;\n"					\
"	__syncthreads();\n"						\
"	for (int d = 1; d < (int)blockDim.x; d <<= 1) {\n"		\
"		int v = t >= d ? sh[t - d] : 0;\n"			\
"		__syncthreads();\n"					\
"		sh[t] += v;\n"						\
"		__syncthreads();\n"					\
"	}\n"								\
"	if (i < n)\n"							\
"		out[i] = sh[t];\n"					\
"	if (t == (int)blockDim.x - 1)\n"				\
"		sums[blockIdx.x] = sh[t];\n"				\
"}\n"									\
"\n"									\
"extern \"C\" __global__ void scan_add(int *out, const int *scanned_sums, int n)\n" \
"{\n"									\
"	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"		\
"	if (blockIdx.x > 0 && i < n)\n"					\
"		out[i] += scanned_sums[blockIdx.x - 1];\n"		\
"}\n"									\
"\n"									\
"extern \"C\" __global__ void index3(unsigned *out)\n"		\
"{\n"									\
"	unsigned bx = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);\n" \
"	unsigned tx = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);\n" \
"	unsigned nt = blockDim.x * blockDim.y * blockDim.z;\n"		\
"	out[bx * nt + tx] = bx * 1000 + tx;\n"				\
"}\n"									\
"\n"									\
"extern \"C\" __global__ void daxpy(double a, const double *x, double *y, long long n,\n" \
"                                  unsigned long long stride, unsigned tag)\n" \
"{\n"									\
"	long long i = (long long)(blockIdx.x * blockDim.x + threadIdx.x) * (long long)stride;\n" \
"	if (i < n)\n"							\
"		y[i] = a * x[i] + y[i] + (double)tag;\n"		\
"}\n"

#endif /* VGPU_COMMON_CORPUS_H */
