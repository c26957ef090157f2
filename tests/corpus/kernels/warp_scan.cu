// Inclusive prefix sum of unsigned ints in three passes, built on a warp
// scan with __shfl_up_sync (the Kogge-Stone ladder in registers):
//   scan_tiles	each block scans a tile of THREADS * ITEMS values: staged in
//		shared memory for coalesced loads, each thread scans its
//		ITEMS consecutive values serially, the thread totals are
//		scanned warp by warp, warp totals by the first warp; the
//		tile's total goes to tile_sums
//   scan_sums	one block scans tile_sums (exclusive) in chunks with a carry
//   add_offsets	each tile adds its offset
#define THREADS 256
#define ITEMS 4
#define TILE (THREADS * ITEMS)
#define WARPS (THREADS / 32)

__device__ __forceinline__ unsigned warp_inclusive(unsigned v)
{
	const unsigned lane = threadIdx.x & 31;

#pragma unroll
	for (unsigned d = 1; d < 32; d <<= 1) {
		const unsigned up = __shfl_up_sync(0xffffffffu, v, d);
		if (lane >= d)
			v += up;
	}
	return v;
}

// exclusive scan of one value per thread over the block; *total gets the sum
__device__ unsigned block_exclusive(unsigned v, unsigned *total)
{
	__shared__ unsigned warp_total[WARPS];
	const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const unsigned incl = warp_inclusive(v);

	if (lane == 31)
		warp_total[warp] = incl;
	__syncthreads();
	if (warp == 0) {
		unsigned t = lane < WARPS ? warp_total[lane] : 0;

		t = warp_inclusive(t);
		if (lane < WARPS)
			warp_total[lane] = t;
	}
	__syncthreads();
	const unsigned before = warp ? warp_total[warp - 1] : 0;
	*total = warp_total[WARPS - 1];
	__syncthreads();	/* warp_total is reused by the next call */
	return before + incl - v;
}

__global__ void __launch_bounds__(THREADS)
scan_tiles(const unsigned *__restrict__ in, unsigned *__restrict__ out, unsigned *__restrict__ tile_sums,
	   int n)
{
	__shared__ unsigned tile[TILE];
	const size_t base = (size_t)blockIdx.x * TILE;
	unsigned run = 0, total;

	for (int j = 0; j < ITEMS; j++) {
		const size_t i = base + j * THREADS + threadIdx.x;
		tile[j * THREADS + threadIdx.x] = i < (size_t)n ? in[i] : 0;
	}
	__syncthreads();
	for (int j = 0; j < ITEMS; j++)
		run += tile[threadIdx.x * ITEMS + j];
	unsigned prefix = block_exclusive(run, &total);
	for (int j = 0; j < ITEMS; j++) {
		prefix += tile[threadIdx.x * ITEMS + j];
		tile[threadIdx.x * ITEMS + j] = prefix;
	}
	__syncthreads();
	for (int j = 0; j < ITEMS; j++) {
		const size_t i = base + j * THREADS + threadIdx.x;
		if (i < (size_t)n)
			out[i] = tile[j * THREADS + threadIdx.x];
	}
	if (threadIdx.x == 0)
		tile_sums[blockIdx.x] = total;
}

__global__ void __launch_bounds__(THREADS) scan_sums(unsigned *sums, int m)
{
	unsigned carry = 0;

	for (int base = 0; base < m; base += THREADS) {
		const int i = base + threadIdx.x;
		const unsigned v = i < m ? sums[i] : 0;
		unsigned total;
		const unsigned ex = block_exclusive(v, &total);

		if (i < m)
			sums[i] = carry + ex;
		carry += total;
	}
}

__global__ void __launch_bounds__(THREADS)
add_offsets(unsigned *__restrict__ out, const unsigned *__restrict__ offsets, int n)
{
	const unsigned off = offsets[blockIdx.x];
	const size_t base = (size_t)blockIdx.x * TILE;

	for (int j = 0; j < ITEMS; j++) {
		const size_t i = base + j * THREADS + threadIdx.x;
		if (i < (size_t)n)
			out[i] += off;
	}
}
