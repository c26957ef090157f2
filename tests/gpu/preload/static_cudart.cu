// SPDX-License-Identifier: GPL-2.0
// An nvcc-built program (static cudart, the default): cudaMalloc, cudaMallocAsync,
// cudaMallocHost and cudaMemGetInfo as a vendor binary would use them.
#include <cstdio>
#include <cuda_runtime.h>

__global__ void fill(char *p, size_t n)
{
	for (size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
		p[i] = 1;
}

int main()
{
	size_t f, t;
	char *a, *b, *c, *h;
	cudaStream_t s;

	cudaStreamCreate(&s);
	cudaMemGetInfo(&f, &t);
	printf("{\"what\":\"meminfo\",\"free\":%zu,\"total\":%zu}\n", f, t);
	cudaError_t e1 = cudaMalloc(&a, 1ull << 30);
	fill<<<256, 256>>>(a, 1ull << 30);
	cudaError_t e2 = cudaMallocAsync(&b, 1ull << 30, s);
	cudaStreamSynchronize(s);
	cudaMemGetInfo(&f, &t);
	printf("{\"what\":\"after 2 GiB\",\"malloc\":%d,\"mallocasync\":%d,\"used\":%zu,\"total\":%zu}\n",
	       e1, e2, t - f, t);
	cudaError_t e3 = cudaMalloc(&c, 3ull << 30);
	printf("{\"what\":\"3 GiB more\",\"err\":%d}\n", e3);
	cudaGetLastError();
	cudaError_t e4 = cudaMallocHost(&h, 256ull << 20);
	printf("{\"what\":\"256 MiB pinned\",\"err\":%d}\n", e4);
	cudaGetLastError();
	cudaError_t e5 = cudaMallocHost(&h, 64ull << 20);
	printf("{\"what\":\"64 MiB pinned\",\"err\":%d}\n", e5);
	cudaFreeAsync(b, s);
	cudaFree(a);
	cudaStreamSynchronize(s);
	return 0;
}
