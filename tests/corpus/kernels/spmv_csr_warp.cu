// Sparse matrix times vector, CSR, the "vector kernel": one warp per row,
// lanes stride over the row's non-zeros, __shfl_down_sync sums the lanes,
// lane 0 writes y. Rows have 4 to 160 non-zeros.
extern "C" __global__ void spmv_csr_vector(int rows, const int *__restrict__ row_ptr,
					   const int *__restrict__ col, const float *__restrict__ val,
					   const float *__restrict__ x, float *__restrict__ y)
{
	const int lane = threadIdx.x & 31;
	const int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;

	if (row >= rows)
		return;	/* whole warps leave together: rows are per warp */
	const int begin = row_ptr[row], end = row_ptr[row + 1];
	float sum = 0.0f;

	for (int k = begin + lane; k < end; k += 32)
		sum += val[k] * __ldg(&x[col[k]]);
	for (int off = 16; off > 0; off >>= 1)
		sum += __shfl_down_sync(0xffffffff, sum, off);
	if (lane == 0)
		y[row] = sum;
}
