// Level-synchronous breadth-first search over a CSR graph whose nodes are
// structs (first edge, degree), in the shape of the classic GPU BFS: one
// thread per node; a node in the frontier marks its unvisited neighbours for
// the next level, a second kernel turns the marks into the next frontier and
// raises a flag the host polls between levels.
struct Node {
	int first_edge;
	int degree;
};

__global__ void bfs_init(bool *frontier, bool *next, bool *visited, int *cost, int n, int source)
{
	int id = blockIdx.x * blockDim.x + threadIdx.x;

	if (id >= n)
		return;
	frontier[id] = id == source;
	visited[id] = id == source;
	next[id] = false;
	cost[id] = id == source ? 0 : -1;
}

__global__ void bfs_expand(const Node *nodes, const int *edges, bool *frontier, bool *next,
			   const bool *visited, int *cost, int n)
{
	int id = blockIdx.x * blockDim.x + threadIdx.x;

	if (id >= n || !frontier[id])
		return;
	frontier[id] = false;
	const Node nd = nodes[id];
	for (int e = nd.first_edge; e < nd.first_edge + nd.degree; e++) {
		int to = edges[e];

		if (!visited[to]) {
			cost[to] = cost[id] + 1;
			next[to] = true;
		}
	}
}

__global__ void bfs_advance(bool *frontier, bool *next, bool *visited, int *more, int n)
{
	int id = blockIdx.x * blockDim.x + threadIdx.x;

	if (id >= n || !next[id])
		return;
	frontier[id] = true;
	visited[id] = true;
	next[id] = false;
	*more = 1;
}
