// LSD radix sort of 32-bit keys, 4 bits a pass, in the three kernels of a
// textbook GPU radix sort (no library):
//   digit_counts	  each block counts the 16 digit values in its tile
//			  (THREADS x ITEMS keys) with __syncthreads_count, one
//			  barrier-count per digit value and item row; thread d
//			  keeps digit d's count: counts[d * blocks + block]
//   scan_offsets	  one block makes those exclusive prefix sums (digit-
//			  major: all the 0s of every block first, then the 1s)
//   scatter_digits	  each block writes its tile stably: row by row, lanes
//			  with the same digit find each other with four
//			  __ballot_sync (one per bit), rank by popcount, and
//			  per-warp counts in shared memory order the warps
#define THREADS 256
#define ITEMS 4
#define TILE (THREADS * ITEMS)
#define RADIX 16
#define WARPS (THREADS / 32)
#define FULL 0xffffffffu

__global__ void __launch_bounds__(THREADS)
digit_counts(const unsigned *__restrict__ keys, int n, int shift, unsigned *__restrict__ counts)
{
	const size_t base = (size_t)blockIdx.x * TILE;
	int digit[ITEMS];
	unsigned mine = 0;

	for (int j = 0; j < ITEMS; j++) {
		const size_t i = base + j * THREADS + threadIdx.x;
		digit[j] = i < (size_t)n ? (keys[i] >> shift) & (RADIX - 1) : RADIX;	/* RADIX: no key */
	}
	for (int d = 0; d < RADIX; d++) {
		int c = 0;

		for (int j = 0; j < ITEMS; j++)
			c += __syncthreads_count(digit[j] == d);
		if (threadIdx.x == d)
			mine = c;
	}
	if (threadIdx.x < RADIX)
		counts[threadIdx.x * gridDim.x + blockIdx.x] = mine;
}

// one block: each thread sums a contiguous segment, the segment sums are
// scanned in shared memory, then each thread rewrites its segment
__global__ void __launch_bounds__(THREADS) scan_offsets(unsigned *counts, int m)
{
	__shared__ unsigned part[THREADS];
	const int per = (m + THREADS - 1) / THREADS;
	const int lo = min(threadIdx.x * per, m), hi = min(lo + per, m);
	unsigned sum = 0;

	for (int i = lo; i < hi; i++)
		sum += counts[i];
	part[threadIdx.x] = sum;
	__syncthreads();
	for (int off = 1; off < THREADS; off *= 2) {
		const unsigned add = threadIdx.x >= off ? part[threadIdx.x - off] : 0;
		__syncthreads();
		part[threadIdx.x] += add;
		__syncthreads();
	}
	unsigned run = part[threadIdx.x] - sum;
	for (int i = lo; i < hi; i++) {
		const unsigned c = counts[i];
		counts[i] = run;
		run += c;
	}
}

__global__ void __launch_bounds__(THREADS)
scatter_digits(const unsigned *__restrict__ keys, unsigned *__restrict__ out, int n, int shift,
	       const unsigned *__restrict__ offsets)
{
	__shared__ unsigned warp_count[RADIX][WARPS];
	__shared__ unsigned next[RADIX];
	const size_t base = (size_t)blockIdx.x * TILE;
	const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;

	if (threadIdx.x < RADIX)
		next[threadIdx.x] = offsets[threadIdx.x * gridDim.x + blockIdx.x];
	for (int j = 0; j < ITEMS; j++) {
		const size_t i = base + j * THREADS + threadIdx.x;
		const bool valid = i < (size_t)n;
		const unsigned key = valid ? keys[i] : 0;
		const unsigned d = (key >> shift) & (RADIX - 1);
		unsigned peers = __ballot_sync(FULL, valid);

#pragma unroll
		for (int b = 0; b < 4; b++) {
			const unsigned set = __ballot_sync(FULL, (d >> b) & 1);
			peers &= (d >> b) & 1 ? set : ~set;
		}
		const unsigned rank = __popc(peers & ((1u << lane) - 1));

		if (threadIdx.x < RADIX * WARPS)
			warp_count[threadIdx.x / WARPS][threadIdx.x % WARPS] = 0;
		__syncthreads();
		if (valid && rank == 0)
			warp_count[d][warp] = __popc(peers);
		__syncthreads();
		if (valid) {
			unsigned pos = next[d] + rank;

			for (unsigned w = 0; w < warp; w++)
				pos += warp_count[d][w];
			out[pos] = key;
		}
		__syncthreads();
		if (threadIdx.x < RADIX) {
			unsigned t = 0;

			for (int w = 0; w < WARPS; w++)
				t += warp_count[threadIdx.x][w];
			next[threadIdx.x] += t;
		}
		__syncthreads();
	}
}
