// Per-row statistics of a rows x 200 matrix with cooperative groups: the
// block is cut into 16-thread tiles (tiled_partition<16>), each tile owns a
// row and reduces its squared norm and maximum with tile.shfl_xor; tile
// leaders put the squared norms in shared memory, block.sync(), and the
// block's first tile adds them up for a per-block total.
#include <cooperative_groups.h>
namespace cg = cooperative_groups;

#define TILE 16
#define COLS 200

template <typename Group>
__device__ float tile_sum(Group g, float v)
{
	for (int m = g.size() / 2; m > 0; m /= 2)
		v += g.shfl_xor(v, m);
	return v;
}

template <typename Group>
__device__ float tile_max(Group g, float v)
{
	for (int m = g.size() / 2; m > 0; m /= 2)
		v = fmaxf(v, g.shfl_xor(v, m));
	return v;
}

__global__ void row_stats(const float *__restrict__ a, int rows, float *__restrict__ norm2,
			  float *__restrict__ rmax, float *__restrict__ block_total)
{
	extern __shared__ float row_sq[];
	cg::thread_block block = cg::this_thread_block();
	cg::thread_block_tile<TILE> tile = cg::tiled_partition<TILE>(block);
	const int row = blockIdx.x * tile.meta_group_size() + tile.meta_group_rank();
	float sq = 0.0f, mx = __int_as_float(0xff800000);	/* -inf */

	if (row < rows)
		for (int c = tile.thread_rank(); c < COLS; c += tile.size()) {
			float v = a[(size_t)row * COLS + c];

			sq += v * v;
			mx = fmaxf(mx, v);
		}
	sq = tile_sum(tile, sq);
	mx = tile_max(tile, mx);
	if (tile.thread_rank() == 0) {
		row_sq[tile.meta_group_rank()] = row < rows ? sq : 0.0f;
		if (row < rows) {
			norm2[row] = sq;
			rmax[row] = mx;
		}
	}
	block.sync();
	if (tile.meta_group_rank() == 0) {
		float t = 0.0f;

		for (int k = tile.thread_rank(); k < (int)tile.meta_group_size(); k += TILE)
			t += row_sq[k];
		t = tile_sum(tile, t);
		if (tile.thread_rank() == 0)
			block_total[blockIdx.x] = t;
	}
}
