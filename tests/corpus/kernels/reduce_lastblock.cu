// Single-launch sum of doubles: every block reduces its grid-stride share
// with a shared-memory tree, thread 0 publishes the partial sum, fences, and
// takes a ticket; the block that draws the last ticket sums the partials and
// rewinds the counter for the next launch (no second kernel, no host step).
__device__ unsigned int blocks_done = 0;

__global__ void sum_lastblock(const double *in, double *partial, double *result, int n)
{
	extern __shared__ double sdata[];
	__shared__ bool last;
	const unsigned int t = threadIdx.x;
	double acc = 0.0;

	for (int i = blockIdx.x * blockDim.x + t; i < n; i += blockDim.x * gridDim.x)
		acc += in[i];
	sdata[t] = acc;
	__syncthreads();
	for (unsigned int s = blockDim.x / 2; s > 0; s >>= 1) {
		if (t < s)
			sdata[t] += sdata[t + s];
		__syncthreads();
	}
	if (t == 0) {
		partial[blockIdx.x] = sdata[0];
		__threadfence();
		unsigned int ticket = atomicInc(&blocks_done, gridDim.x);
		last = ticket == gridDim.x - 1;
	}
	__syncthreads();
	if (!last)
		return;
	acc = 0.0;
	for (unsigned int b = t; b < gridDim.x; b += blockDim.x)
		acc += ((volatile double *)partial)[b];
	sdata[t] = acc;
	__syncthreads();
	for (unsigned int s = blockDim.x / 2; s > 0; s >>= 1) {
		if (t < s)
			sdata[t] += sdata[t + s];
		__syncthreads();
	}
	if (t == 0) {
		*result = sdata[0];
		blocks_done = 0;
	}
}
