// Single-launch sum of doubles: every block reduces its grid-stride share
// with a shared-memory tree, thread 0 publishes the partial sum, fences, and
// takes a ticket; the block that draws the last ticket sums the partials and
// rewinds the counter for the next launch (no second kernel, no host step).
// The tree is a __device__ helper with barriers inside, called twice.
__device__ unsigned int blocks_done = 0;

/* the block's sum of v (every thread gets it) through sdata[blockDim.x] */
__device__ double block_sum(double *sdata, double v)
{
	const unsigned int t = threadIdx.x;

	sdata[t] = v;
	__syncthreads();
	for (unsigned int s = blockDim.x / 2; s > 0; s >>= 1) {
		if (t < s)
			sdata[t] += sdata[t + s];
		__syncthreads();
	}
	v = sdata[0];
	__syncthreads();	/* sdata may be reused at once */
	return v;
}

__global__ void sum_lastblock(const double *in, double *partial, double *result, int n)
{
	extern __shared__ double sdata[];
	__shared__ bool last;
	const unsigned int t = threadIdx.x;
	double acc = 0.0;

	for (int i = blockIdx.x * blockDim.x + t; i < n; i += blockDim.x * gridDim.x)
		acc += in[i];
	acc = block_sum(sdata, acc);
	if (t == 0) {
		partial[blockIdx.x] = acc;
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
	acc = block_sum(sdata, acc);
	if (t == 0) {
		*result = acc;
		blocks_done = 0;
	}
}
