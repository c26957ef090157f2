// Exclusive prefix sum of ints, work-efficient (Blelloch) in three kernels:
// every block scans 2 * BLOCK elements in shared memory (up-sweep, clear,
// down-sweep; indices padded against bank conflicts) and writes its total;
// one block scans the totals chunk by chunk with a running carry; a third
// kernel adds each block's offset. The in-block scan is a __device__ helper
// with barriers inside, used by two kernels.
#define BLOCK 256
#define ELEMS (2 * BLOCK)
#define LOG_BANKS 5
#define PAD(i) ((i) + ((i) >> LOG_BANKS))

/* exclusive scan of s[PAD(0 .. ELEMS-1)] in place; returns the total */
__device__ int block_scan(int *s)
{
	const int t = threadIdx.x;
	int offset = 1;

	for (int d = ELEMS >> 1; d > 0; d >>= 1) {
		__syncthreads();
		if (t < d) {
			int ai = offset * (2 * t + 1) - 1, bi = offset * (2 * t + 2) - 1;

			s[PAD(bi)] += s[PAD(ai)];
		}
		offset *= 2;
	}
	__syncthreads();
	const int total = s[PAD(ELEMS - 1)];
	__syncthreads();
	if (t == 0)
		s[PAD(ELEMS - 1)] = 0;
	for (int d = 1; d < ELEMS; d *= 2) {
		offset >>= 1;
		__syncthreads();
		if (t < d) {
			int ai = offset * (2 * t + 1) - 1, bi = offset * (2 * t + 2) - 1;
			int v = s[PAD(ai)];

			s[PAD(ai)] = s[PAD(bi)];
			s[PAD(bi)] += v;
		}
	}
	__syncthreads();
	return total;
}

__global__ void scan_blocks(const int *in, int *out, int *sums, int n)
{
	__shared__ int s[PAD(ELEMS)];
	const int base = blockIdx.x * ELEMS, t = threadIdx.x;

	s[PAD(t)] = base + t < n ? in[base + t] : 0;
	s[PAD(t + BLOCK)] = base + t + BLOCK < n ? in[base + t + BLOCK] : 0;
	int total = block_scan(s);
	if (base + t < n)
		out[base + t] = s[PAD(t)];
	if (base + t + BLOCK < n)
		out[base + t + BLOCK] = s[PAD(t + BLOCK)];
	if (t == 0)
		sums[blockIdx.x] = total;
}

/* one block: exclusive scan of sums[0 .. m-1] in place */
__global__ void scan_sums(int *sums, int m)
{
	__shared__ int s[PAD(ELEMS)];
	const int t = threadIdx.x;
	int carry = 0;

	for (int base = 0; base < m; base += ELEMS) {
		s[PAD(t)] = base + t < m ? sums[base + t] : 0;
		s[PAD(t + BLOCK)] = base + t + BLOCK < m ? sums[base + t + BLOCK] : 0;
		int total = block_scan(s);
		if (base + t < m)
			sums[base + t] = s[PAD(t)] + carry;
		if (base + t + BLOCK < m)
			sums[base + t + BLOCK] = s[PAD(t + BLOCK)] + carry;
		carry += total;
	}
}

__global__ void add_offsets(int *out, const int *sums, int n)
{
	const int i = blockIdx.x * ELEMS + threadIdx.x;
	const int off = sums[blockIdx.x];

	if (i < n)
		out[i] += off;
	if (i + BLOCK < n)
		out[i + BLOCK] += off;
}
