// Stream compaction (keep the samples above a threshold, in order), the
// three-kernel shape of a scan-based filter:
//   count_kept	   each block counts the kept values of its tile (THREADS x
//		   ITEMS values) and reduces the counts in shared memory
//   scan_counts   one block turns the tile counts into tile offsets (an
//		   exclusive scan, in chunks with a carry) and the total
//   scatter_kept  each block walks its tile again chunk by chunk: a block
//		   scan of the keep flags gives every kept value its place
// The block scan is a Hillis-Steele scan in a double shared buffer, a
// __device__ helper with barriers in its loop, called in a loop.
#define THREADS 256
#define ITEMS 8
#define TILE (THREADS * ITEMS)

__device__ int block_exclusive_scan(int v, int *buf, int *total)
{
	const int tid = threadIdx.x;
	int out = 0;

	buf[tid] = v;
	__syncthreads();
	for (int off = 1; off < THREADS; off *= 2) {
		const int in = out;

		out = 1 - out;
		int x = buf[in * THREADS + tid];
		if (tid >= off)
			x += buf[in * THREADS + tid - off];
		buf[out * THREADS + tid] = x;
		__syncthreads();
	}
	const int incl = buf[out * THREADS + tid];
	*total = buf[out * THREADS + THREADS - 1];
	__syncthreads();
	return incl - v;
}

__global__ void __launch_bounds__(THREADS)
count_kept(const float *__restrict__ in, int n, float threshold, int *__restrict__ tile_counts)
{
	__shared__ int part[THREADS];
	const size_t base = (size_t)blockIdx.x * TILE;
	int c = 0;

	for (int j = 0; j < ITEMS; j++) {
		const size_t i = base + j * THREADS + threadIdx.x;
		c += i < (size_t)n && in[i] > threshold;
	}
	part[threadIdx.x] = c;
	__syncthreads();
	for (int s = THREADS / 2; s > 0; s /= 2) {
		if (threadIdx.x < s)
			part[threadIdx.x] += part[threadIdx.x + s];
		__syncthreads();
	}
	if (threadIdx.x == 0)
		tile_counts[blockIdx.x] = part[0];
}

__global__ void __launch_bounds__(THREADS) scan_counts(int *counts, int tiles, int *total)
{
	__shared__ int buf[2 * THREADS];
	int carry = 0;

	for (int base = 0; base < tiles; base += THREADS) {
		const int t = base + threadIdx.x;
		int chunk;
		const int ex = block_exclusive_scan(t < tiles ? counts[t] : 0, buf, &chunk);

		if (t < tiles)
			counts[t] = carry + ex;
		carry += chunk;
	}
	if (threadIdx.x == 0)
		*total = carry;
}

__global__ void __launch_bounds__(THREADS)
scatter_kept(const float *__restrict__ in, int n, float threshold, const int *__restrict__ tile_offsets,
	     float *__restrict__ out)
{
	__shared__ int buf[2 * THREADS];
	const size_t base = (size_t)blockIdx.x * TILE;
	int dst = tile_offsets[blockIdx.x];

	for (int j = 0; j < ITEMS; j++) {
		const size_t i = base + j * THREADS + threadIdx.x;
		const float v = i < (size_t)n ? in[i] : 0.0f;
		const int keep = i < (size_t)n && v > threshold;
		int chunk;
		const int pos = block_exclusive_scan(keep, buf, &chunk);

		if (keep)
			out[dst + pos] = v;
		dst += chunk;
	}
}
