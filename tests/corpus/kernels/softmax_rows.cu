// Row-wise softmax of a rows x cols matrix, one block of 256 threads per
// row, as in attention layers: block-wide maximum and sum, each by a warp
// shuffle reduction then one value per warp through shared memory; the
// exponentials use __expf (fast math).
#define THREADS 256
#define WARPS (THREADS / 32)

template <bool MAX>
__device__ float block_reduce(float v, float *shared)
{
	const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;

	for (int o = 16; o > 0; o >>= 1) {
		float other = __shfl_xor_sync(0xffffffffu, v, o);
		v = MAX ? fmaxf(v, other) : v + other;
	}
	if (lane == 0)
		shared[warp] = v;
	__syncthreads();
	/* every warp reduces the warp results, so every thread gets the total */
	v = lane < WARPS ? shared[lane] : (MAX ? -3.402823466e+38f : 0.0f);
	for (int o = 16; o > 0; o >>= 1) {
		float other = __shfl_xor_sync(0xffffffffu, v, o);
		v = MAX ? fmaxf(v, other) : v + other;
	}
	__syncthreads();	/* shared[] is reused by the next reduction */
	return v;
}

__global__ void __launch_bounds__(THREADS) softmax(const float *__restrict__ x, float *__restrict__ y, int cols)
{
	__shared__ float red[WARPS];
	const float *row = x + (size_t)blockIdx.x * cols;
	float *out = y + (size_t)blockIdx.x * cols;
	float m = -3.402823466e+38f;

	for (int c = threadIdx.x; c < cols; c += THREADS)
		m = fmaxf(m, row[c]);
	m = block_reduce<true>(m, red);
	float sum = 0.0f;
	for (int c = threadIdx.x; c < cols; c += THREADS)
		sum += __expf(row[c] - m);
	sum = block_reduce<false>(sum, red);
	const float inv = 1.0f / sum;
	for (int c = threadIdx.x; c < cols; c += THREADS)
		out[c] = __expf(row[c] - m) * inv;
}
