// Minimum-cost path down a grid of weights (Rodinia's pathfinder shape):
// row r's cost at column x is wall[r][x] plus the cheapest of the three
// cells above it (x-1, x, x+1; clamped at the edges). One launch advances
// `steps` rows: each block loads a BLOCK-wide slice of the previous row,
// including `steps` columns of halo on each side, and keeps recomputing in
// shared memory, the valid range shrinking by one column per side and row
// (a "pyramid"), so only the block's middle BLOCK - 2*steps columns are
// written. Neighbouring blocks recompute the overlap instead of talking.
#define BLOCK 256

__global__ void __launch_bounds__(BLOCK)
path_rows(const int *__restrict__ wall, const int *__restrict__ src, int *__restrict__ dst,
	  int cols, int first_row, int steps)
{
	__shared__ int prev[BLOCK];
	__shared__ int result[BLOCK];
	const int tx = threadIdx.x;
	const int owned = BLOCK - 2 * steps;
	const int x0 = owned * blockIdx.x - steps;	/* column of tx == 0 */
	const int x = x0 + tx;
	const bool in_grid = x >= 0 && x < cols;
	/* the block's columns inside the grid: [lo, hi] in thread numbers */
	const int lo = x0 < 0 ? -x0 : 0;
	const int hi = x0 + BLOCK > cols ? cols - 1 - x0 : BLOCK - 1;
	bool computed = false;

	if (in_grid)
		prev[tx] = src[x];
	__syncthreads();

	for (int i = 0; i < steps; i++) {
		computed = false;
		if (tx >= i + 1 && tx <= BLOCK - 2 - i && in_grid) {
			const int l = tx - 1 < lo ? tx : tx - 1;
			const int r = tx + 1 > hi ? tx : tx + 1;
			const int best = min(min(prev[l], prev[tx]), prev[r]);

			result[tx] = best + wall[(size_t)(first_row + i) * cols + x];
			computed = true;
		}
		__syncthreads();
		if (i == steps - 1)
			break;
		if (computed)
			prev[tx] = result[tx];
		__syncthreads();
	}
	if (computed && tx >= steps && tx < BLOCK - steps)
		dst[x] = result[tx];
}
