// SPDX-License-Identifier: GPL-2.0
/* bfs_frontier: BFS levels from node 0 of a random directed graph of n nodes */
#include <stdbool.h>

#include "corpus.h"

#define BLOCK 256

struct node {
	int32_t first_edge, degree;
};

struct st {
	int n;
	struct node *nodes;
	int32_t *edges, *ref, *omp, *out;
	bool *frontier, *next, *visited;
	vgpu_buffer *dnodes, *dedges, *dfront, *dnext, *dvis, *dcost, *dmore;
};

static int setup(struct corpus_run *r)
{
	struct st *s = corpus_alloc(r, sizeof(*s));
	uint32_t seed = 71;
	size_t m = 0;

	if (!s || !(s->nodes = corpus_alloc(r, r->n * sizeof(struct node))) ||
	    !(s->edges = corpus_alloc(r, r->n * 10 * sizeof(int32_t))) ||
	    !(s->ref = corpus_alloc(r, r->n * 4)) || !(s->omp = corpus_alloc(r, r->n * 4)) ||
	    !(s->out = corpus_alloc(r, r->n * 4)) || !(s->frontier = corpus_alloc(r, r->n)) ||
	    !(s->next = corpus_alloc(r, r->n)) || !(s->visited = corpus_alloc(r, r->n)))
		return -1;
	s->n = (int)r->n;
	/* 1 to 9 edges per node: mostly to nearby nodes (locality as in meshes
	 * and road networks), some anywhere */
	for (int i = 0; i < s->n; i++) {
		int d = 1 + (int)(corpus_rand(&seed) % 9);

		s->nodes[i].first_edge = (int32_t)m;
		s->nodes[i].degree = d;
		for (int k = 0; k < d; k++) {
			uint32_t v = corpus_rand(&seed);
			long to = v % 4 ? i + (long)(v >> 8) % 64 - 24 : (long)((v >> 4) % (uint32_t)s->n);

			s->edges[m++] = (int32_t)((to % s->n + s->n) % s->n);
		}
	}
	r->st = s;
	return 0;
}

static void ref(struct corpus_run *r)
{
	struct st *s = r->st;
	int32_t *queue = corpus_alloc(r, r->n * 4);
	int head = 0, tail = 0;

	if (!queue)
		return;
	for (int i = 0; i < s->n; i++)
		s->ref[i] = -1;
	s->ref[0] = 0;
	queue[tail++] = 0;
	while (head < tail) {
		int u = queue[head++];

		for (int e = s->nodes[u].first_edge; e < s->nodes[u].first_edge + s->nodes[u].degree; e++) {
			int v = s->edges[e];

			if (s->ref[v] < 0) {
				s->ref[v] = s->ref[u] + 1;
				queue[tail++] = v;
			}
		}
	}
}

/* the same level-synchronous algorithm, one parallel loop per phase */
static void omp(struct corpus_run *r)
{
	struct st *s = r->st;
	int n = s->n;
	bool more = true;

#pragma omp parallel for schedule(static)
	for (int i = 0; i < n; i++) {
		s->frontier[i] = s->visited[i] = i == 0;
		s->next[i] = false;
		s->omp[i] = i == 0 ? 0 : -1;
	}
	while (more) {
		more = false;
#pragma omp parallel for schedule(dynamic, 1024)
		for (int i = 0; i < n; i++) {
			if (!s->frontier[i])
				continue;
			s->frontier[i] = false;
			for (int e = s->nodes[i].first_edge; e < s->nodes[i].first_edge + s->nodes[i].degree; e++) {
				int to = s->edges[e];

				if (!s->visited[to]) {
					s->omp[to] = s->omp[i] + 1;
					s->next[to] = true;
				}
			}
		}
#pragma omp parallel for schedule(static) reduction(|| : more)
		for (int i = 0; i < n; i++)
			if (s->next[i]) {
				s->frontier[i] = s->visited[i] = true;
				s->next[i] = false;
				more = true;
			}
	}
}

static int upload(struct corpus_run *r)
{
	struct st *s = r->st;
	size_t m = (size_t)(s->nodes[s->n - 1].first_edge + s->nodes[s->n - 1].degree);

	CORPUS_TRY(r, corpus_buf_in(r, s->nodes, r->n * sizeof(struct node), &s->dnodes));
	CORPUS_TRY(r, corpus_buf_in(r, s->edges, m * 4, &s->dedges));
	CORPUS_TRY(r, corpus_buf(r, r->n, &s->dfront));
	CORPUS_TRY(r, corpus_buf(r, r->n, &s->dnext));
	CORPUS_TRY(r, corpus_buf(r, r->n, &s->dvis));
	CORPUS_TRY(r, corpus_buf(r, r->n * 4, &s->dcost));
	CORPUS_TRY(r, corpus_buf(r, 4, &s->dmore));
	return 0;
}

static int launch(struct corpus_run *r)
{
	struct st *s = r->st;
	struct vgpu_dim3 grid = CORPUS_DIM(corpus_div_up(r->n, BLOCK), 1, 1), block = CORPUS_DIM(BLOCK, 1, 1);
	int32_t more = 1, zero = 0;

	CORPUS_TRY(r, corpus_launch(r, 0, grid, block, 0,
				    CORPUS_ARGS(vgpu_arg_buf(s->dfront), vgpu_arg_buf(s->dnext),
						vgpu_arg_buf(s->dvis), vgpu_arg_buf(s->dcost),
						vgpu_arg_i32(s->n), vgpu_arg_i32(0))));
	while (more) {
		CORPUS_TRY(r, vgpu_buffer_write(s->dmore, 0, &zero, 4));
		CORPUS_TRY(r, corpus_launch(r, 1, grid, block, 0,
					    CORPUS_ARGS(vgpu_arg_buf(s->dnodes), vgpu_arg_buf(s->dedges),
							vgpu_arg_buf(s->dfront), vgpu_arg_buf(s->dnext),
							vgpu_arg_buf(s->dvis), vgpu_arg_buf(s->dcost),
							vgpu_arg_i32(s->n))));
		CORPUS_TRY(r, corpus_launch(r, 2, grid, block, 0,
					    CORPUS_ARGS(vgpu_arg_buf(s->dfront), vgpu_arg_buf(s->dnext),
							vgpu_arg_buf(s->dvis), vgpu_arg_buf(s->dmore),
							vgpu_arg_i32(s->n))));
		CORPUS_TRY(r, corpus_read(r, s->dmore, &more, 4));
	}
	return 0;
}

static int download(struct corpus_run *r)
{
	struct st *s = r->st;

	return corpus_read(r, s->dcost, s->out, r->n * 4);
}

static const char *check(struct corpus_run *r, int is_omp)
{
	struct st *s = r->st;

	return corpus_cmp_i32(r, is_omp ? s->omp : s->out, s->ref, r->n);
}

CORPUS_CASE(bfs_frontier) = {
	.name = "bfs_frontier",
	.shape = "graph frontier: node structs, host-polled levels",
	.src = corpus_src_bfs_frontier,
	.names = (const char *const[]){ "bfs_init", "bfs_expand", "bfs_advance", NULL },
	.n_test = 20000,
	.n_bench = 1 << 18,
	.setup = setup, .ref = ref, .omp = omp,
	.upload = upload, .launch = launch, .download = download, .check = check,
};
