// Counting keys in a GPU hash table (open addressing, linear probing), the
// shape of hash joins, group-by and k-mer counting: slots claim a key with
// atomicCAS on the key array (EMPTY = 0 is free; a CAS that finds the same
// key already there counts as found), the count is an atomicAdd on the
// slot's value. A lookup kernel probes the same way, read-only, and
// answers 0 for absent keys. The table is cleared by a kernel of its own.
#define EMPTY 0u

__device__ __forceinline__ unsigned hash_slot(unsigned key, unsigned mask)
{
	key ^= key >> 16;	/* murmur3's finaliser */
	key *= 0x85ebca6bu;
	key ^= key >> 13;
	key *= 0xc2b2ae35u;
	key ^= key >> 16;
	return key & mask;
}

__global__ void table_clear(unsigned *keys, unsigned *counts, unsigned capacity)
{
	for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < capacity; i += blockDim.x * gridDim.x) {
		keys[i] = EMPTY;
		counts[i] = 0;
	}
}

__global__ void table_count(const unsigned *__restrict__ in, int n, unsigned *keys, unsigned *counts,
			    unsigned mask)
{
	const int i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= n)
		return;
	const unsigned key = in[i];
	unsigned slot = hash_slot(key, mask);

	while (true) {
		const unsigned prev = atomicCAS(&keys[slot], EMPTY, key);

		if (prev == EMPTY || prev == key) {
			atomicAdd(&counts[slot], 1u);
			return;
		}
		slot = (slot + 1) & mask;
	}
}

__global__ void table_lookup(const unsigned *__restrict__ query, int n, const unsigned *__restrict__ keys,
			     const unsigned *__restrict__ counts, unsigned mask, unsigned *__restrict__ found)
{
	const int i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= n)
		return;
	const unsigned key = query[i];
	unsigned slot = hash_slot(key, mask);
	unsigned k;

	while ((k = keys[slot]) != key && k != EMPTY)
		slot = (slot + 1) & mask;
	found[i] = k == key ? counts[slot] : 0;
}
