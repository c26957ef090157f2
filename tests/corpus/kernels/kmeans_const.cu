// The assignment step of k-means (Rodinia's kmeans shape): the centroids
// live in __constant__ memory (every thread of a warp reads the same
// centroid value at the same time, the case constant memory broadcasts),
// the points are stored feature-major (feature f of point p at
// features[f * npoints + p]) so that a warp's loads are coalesced. Each
// thread finds its point's nearest centroid (squared Euclidean distance,
// first one wins a tie) and counts, per block, how many points changed
// cluster; the host adds the per-block counts to decide convergence.
#define NFEATURES 8
#define NCLUSTERS 16
#define THREADS 256

__constant__ float c_centroids[NCLUSTERS * NFEATURES];

__global__ void __launch_bounds__(THREADS)
kmeans_assign(const float *__restrict__ features, int npoints, const int *__restrict__ old_member,
	      int *__restrict__ member, int *__restrict__ block_changes)
{
	__shared__ int changes[THREADS];
	const int p = blockIdx.x * blockDim.x + threadIdx.x;
	int changed = 0;

	if (p < npoints) {
		float pt[NFEATURES];
		int best = 0;
		float best_d = 3.402823466e38f;

#pragma unroll
		for (int f = 0; f < NFEATURES; f++)
			pt[f] = features[(size_t)f * npoints + p];
		for (int c = 0; c < NCLUSTERS; c++) {
			float d = 0.0f;

#pragma unroll
			for (int f = 0; f < NFEATURES; f++) {
				const float diff = pt[f] - c_centroids[c * NFEATURES + f];
				d += diff * diff;
			}
			if (d < best_d) {
				best_d = d;
				best = c;
			}
		}
		member[p] = best;
		changed = best != old_member[p];
	}

	changes[threadIdx.x] = changed;
	__syncthreads();
	for (int s = blockDim.x / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s)
			changes[threadIdx.x] += changes[threadIdx.x + s];
		__syncthreads();
	}
	if (threadIdx.x == 0)
		block_changes[blockIdx.x] = changes[0];
}
