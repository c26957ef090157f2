// 256-bin byte histogram, the two-kernel shape of image-processing code:
// every block counts its grid-stride share of the bytes in shared memory
// with atomicAdd (reading four bytes at a time through uchar4), writes its
// private histogram to partial[block][256]; a second kernel adds the
// partial histograms bin by bin, one thread per bin.
#define BINS 256

extern "C" __global__ void histogram_partial(const uchar4 *data, int n4, unsigned int *partial)
{
	__shared__ unsigned int hist[BINS];

	for (int b = threadIdx.x; b < BINS; b += blockDim.x)
		hist[b] = 0;
	__syncthreads();
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += blockDim.x * gridDim.x) {
		uchar4 v = data[i];

		atomicAdd(&hist[v.x], 1u);
		atomicAdd(&hist[v.y], 1u);
		atomicAdd(&hist[v.z], 1u);
		atomicAdd(&hist[v.w], 1u);
	}
	__syncthreads();
	for (int b = threadIdx.x; b < BINS; b += blockDim.x)
		partial[blockIdx.x * BINS + b] = hist[b];
}

extern "C" __global__ void histogram_merge(const unsigned int *partial, int blocks, unsigned int *hist)
{
	int b = blockIdx.x * blockDim.x + threadIdx.x;
	unsigned int sum = 0;

	if (b >= BINS)
		return;
	for (int k = 0; k < blocks; k++)
		sum += partial[k * BINS + b];
	hist[b] = sum;
}
