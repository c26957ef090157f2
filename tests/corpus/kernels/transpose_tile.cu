// Out-of-place transpose of a rows x cols matrix through a padded 32 x 32
// shared tile (the padding column keeps the column reads conflict-free on a
// GPU); 32 x 8 threads move a tile, four rows each.
#define TILE_DIM 32
#define BLOCK_ROWS 8

extern "C" __global__ void transpose(float *out, const float *in, int rows, int cols)
{
	__shared__ float tile[TILE_DIM][TILE_DIM + 1];
	int x = blockIdx.x * TILE_DIM + threadIdx.x;
	int y = blockIdx.y * TILE_DIM + threadIdx.y;

	for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS)
		if (x < cols && y + j < rows)
			tile[threadIdx.y + j][threadIdx.x] = in[(size_t)(y + j) * cols + x];
	__syncthreads();
	x = blockIdx.y * TILE_DIM + threadIdx.x;	/* now a column of in = a row of out */
	y = blockIdx.x * TILE_DIM + threadIdx.y;
	for (int j = 0; j < TILE_DIM; j += BLOCK_ROWS)
		if (x < rows && y + j < cols)
			out[(size_t)(y + j) * rows + x] = tile[threadIdx.x][threadIdx.y + j];
}
