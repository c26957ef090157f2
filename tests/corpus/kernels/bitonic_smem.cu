// Sorts every segment of 1024 unsigned keys in shared memory with a bitonic
// network: 512 threads, each compares and swaps one pair per step; the
// nested stage/step loops put a barrier in the inner loop.
#define SEG 1024

__global__ void bitonic_sort_segments(const unsigned int *in, unsigned int *out)
{
	__shared__ unsigned int key[SEG];
	const unsigned int base = blockIdx.x * SEG, t = threadIdx.x;

	key[t] = in[base + t];
	key[t + SEG / 2] = in[base + t + SEG / 2];
	for (unsigned int size = 2; size <= SEG; size <<= 1) {
		/* ascending and descending halves alternate until the last stage */
		for (unsigned int stride = size >> 1; stride > 0; stride >>= 1) {
			__syncthreads();
			unsigned int pos = 2 * t - (t & (stride - 1));
			bool up = ((pos & size) == 0) || size == SEG;
			unsigned int a = key[pos], b = key[pos + stride];

			if ((a > b) == up) {
				key[pos] = b;
				key[pos + stride] = a;
			}
		}
	}
	__syncthreads();
	out[base + t] = key[t];
	out[base + t + SEG / 2] = key[t + SEG / 2];
}
