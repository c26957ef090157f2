// Layer normalisation of a rows x H activation matrix (transformer
// inference), written with cooperative groups: one block per row, the
// block split into warp tiles (tiled_partition<32>). Two block reductions
// (the mean, then the variance around it: the stable two-pass form), each
// a cg::reduce inside every tile, tile results through shared memory and
// block.sync(), the first tile reducing those. Then every thread writes
// (x - mean) * rstd * gamma + beta for its columns, and thread 0 keeps the
// row's mean and 1/stddev for the backward pass.
#include <cooperative_groups.h>
#include <cooperative_groups/reduce.h>
namespace cg = cooperative_groups;

#define THREADS 256
#define TILES (THREADS / 32)

__device__ float block_sum(cg::thread_block block, cg::thread_block_tile<32> tile, float v, float *scratch)
{
	v = cg::reduce(tile, v, cg::plus<float>());
	if (tile.thread_rank() == 0)
		scratch[tile.meta_group_rank()] = v;
	block.sync();
	if (tile.meta_group_rank() == 0) {
		v = tile.thread_rank() < TILES ? scratch[tile.thread_rank()] : 0.0f;
		v = cg::reduce(tile, v, cg::plus<float>());
		if (tile.thread_rank() == 0)
			scratch[TILES] = v;
	}
	block.sync();
	v = scratch[TILES];
	block.sync();	/* scratch is reused by the next reduction */
	return v;
}

__global__ void __launch_bounds__(THREADS)
layernorm(const float *__restrict__ x, const float *__restrict__ gamma, const float *__restrict__ beta,
	  float *__restrict__ y, float *__restrict__ mean_out, float *__restrict__ rstd_out, int h, float eps)
{
	__shared__ float scratch[TILES + 1];
	cg::thread_block block = cg::this_thread_block();
	cg::thread_block_tile<32> tile = cg::tiled_partition<32>(block);
	const float *row = x + (size_t)blockIdx.x * h;
	float *out = y + (size_t)blockIdx.x * h;
	float s = 0.0f;

	for (int c = block.thread_rank(); c < h; c += block.size())
		s += row[c];
	const float mean = block_sum(block, tile, s, scratch) / h;

	float sq = 0.0f;
	for (int c = block.thread_rank(); c < h; c += block.size()) {
		const float d = row[c] - mean;
		sq += d * d;
	}
	const float rstd = rsqrtf(block_sum(block, tile, sq, scratch) / h + eps);

	for (int c = block.thread_rank(); c < h; c += block.size())
		out[c] = (row[c] - mean) * rstd * gamma[c] + beta[c];
	if (block.thread_rank() == 0) {
		mean_out[blockIdx.x] = mean;
		rstd_out[blockIdx.x] = rstd;
	}
}
