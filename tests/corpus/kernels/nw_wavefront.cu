// Needleman-Wunsch global alignment score matrix, (n+1) x (n+1) ints, by
// wavefronts at two levels: the host launches one kernel per anti-diagonal
// of 16 x 16 tiles (tiles of a diagonal are independent), and inside a tile
// the 16 threads sweep its 31 anti-diagonals in shared memory, one barrier
// per step. Substitution scores come from a 4 x 4 table (DNA letters).
#define T 16

__global__ void nw_tiles(int *score, const unsigned char *a, const unsigned char *b,
			 const int *sub, int n, int diag, int penalty)
{
	__shared__ int s[T + 1][T + 1];
	__shared__ int table[16];
	__shared__ unsigned char sa[T], sb[T];
	const int tiles = n / T;
	const int first = diag < tiles ? 0 : diag - tiles + 1;
	const int ti = first + blockIdx.x;	/* tile row */
	const int tj = diag - ti;		/* tile column */
	const int tx = threadIdx.x;
	const int w = n + 1;
	const int r0 = ti * T, c0 = tj * T;	/* cell (r0, c0) is the tile's top-left neighbour */

	if (tx < 16)
		table[tx] = sub[tx];
	sa[tx] = a[r0 + tx];
	sb[tx] = b[c0 + tx];
	s[0][tx + 1] = score[r0 * w + c0 + tx + 1];
	s[tx + 1][0] = score[(r0 + tx + 1) * w + c0];
	if (tx == 0)
		s[0][0] = score[r0 * w + c0];
	__syncthreads();

	for (int step = 0; step < 2 * T - 1; step++) {
		const int i = tx + 1, j = step - tx + 1;

		if (j >= 1 && j <= T) {
			int best = s[i - 1][j - 1] + table[sa[i - 1] * 4 + sb[j - 1]];
			best = max(best, s[i - 1][j] - penalty);
			best = max(best, s[i][j - 1] - penalty);
			s[i][j] = best;
		}
		__syncthreads();
	}
	for (int j = 1; j <= T; j++)
		score[(r0 + tx + 1) * w + c0 + j] = s[tx + 1][j];
}
