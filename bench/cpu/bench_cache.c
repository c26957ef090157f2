// SPDX-License-Identifier: GPL-2.0
/*
 * Compile cache: cold compile (empty cache directory) vs cache hit, through
 * libvgpu's public API on the CPU backend.
 *  - process 1 compiles BENCH_CACHE_SOURCES distinct sources into an empty
 *    directory (every compile a miss: the system C++ compiler runs);
 *  - process 2 (a new process, new cache instance) compiles the same sources:
 *    disk hits; then compiles each again BENCH_REPS times: memory hits.
 * Each compile is timed as vgpu_module_compile() + vgpu_kernel_get(), i.e.
 * until the kernel is usable. Prints hit time as a percentage of compile time
 * (target: <= 1%).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vgpu/libvgpu.h>

#include "common.h"

#define MAXSRC 64
#define MAXREP 1000

struct shared {
	double cold[MAXSRC];
	double disk[MAXSRC];
	double mem[MAXSRC * MAXREP];
	int ncold, ndisk, nmem;
	uint64_t cold_misses, disk_hits, mem_hits;
	char backend[16];
};

static void make_src(char *buf, size_t len, int i, long tag)
{
	snprintf(buf, len,
		 "/* bench_cache source %d of run %ld */\n"
		 "#define SCALE %d.0f\n"
		 "__device__ float f(float v) { return v * SCALE + 1.0f; }\n"
		 "extern \"C\" __global__ void k%d(int n, const float *x, float *y)\n"
		 "{\n"
		 "	int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
		 "	if (i < n)\n"
		 "		y[i] = f(x[i]) + sqrtf(fabsf(x[i]));\n"
		 "}\n", i, tag, i + 1, i);
}

static vgpu_session *open_session(const char *dir)
{
	struct vgpu_session_opts so = { .size = sizeof(so), .backend = VGPU_BACKEND_CPU,
					.cache_dir = dir };
	vgpu_session *s = NULL;

	TRY(s, vgpu_session_open(&s, &so));
	return s;
}

static double compile_once(vgpu_session *s, const char *src, int i)
{
	char name[32];
	vgpu_module *m;
	vgpu_kernel *k;
	double t0 = now_s(), t;

	snprintf(name, sizeof(name), "k%d", i);
	TRY(s, vgpu_module_compile(s, src, 0, NULL, &m));
	TRY(s, vgpu_kernel_get(m, name, &k));
	t = now_s() - t0;
	vgpu_module_unload(m);
	return t;
}

static uint64_t stat_of(vgpu_session *s, int hits)
{
	struct vgpu_stats st = { .size = sizeof(st) };

	TRY(s, vgpu_stats_get(s, &st));
	return hits ? st.cache_hits : st.cache_misses;
}

static int run_child(void (*fn)(struct shared *, const char *, int, int, long),
		     struct shared *sh, const char *dir, int nsrc, int reps, long tag)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn(sh, dir, nsrc, reps, tag);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

static void phase_cold(struct shared *sh, const char *dir, int nsrc, int reps, long tag)
{
	vgpu_session *s = open_session(dir);
	char src[1024];
	uint64_t m0 = stat_of(s, 0);

	(void)reps;
	snprintf(sh->backend, sizeof(sh->backend), "%s",
		 vgpu_backend_name(vgpu_session_backend(s)));
	for (int i = 0; i < nsrc; i++) {
		make_src(src, sizeof(src), i, tag);
		sh->cold[sh->ncold++] = compile_once(s, src, i);
	}
	sh->cold_misses = stat_of(s, 0) - m0;
	vgpu_session_close(s);
}

static void phase_hit(struct shared *sh, const char *dir, int nsrc, int reps, long tag)
{
	vgpu_session *s = open_session(dir);
	char src[1024];
	uint64_t h0 = stat_of(s, 1), h1;

	for (int i = 0; i < nsrc; i++) {
		make_src(src, sizeof(src), i, tag);
		sh->disk[sh->ndisk++] = compile_once(s, src, i);
	}
	h1 = stat_of(s, 1);
	sh->disk_hits = h1 - h0;
	for (int r = 0; r < reps; r++)
		for (int i = 0; i < nsrc; i++) {
			make_src(src, sizeof(src), i, tag);
			sh->mem[sh->nmem++] = compile_once(s, src, i);
		}
	sh->mem_hits = stat_of(s, 1) - h1;
	vgpu_session_close(s);
}

int main(void)
{
	int nsrc = env_int("BENCH_CACHE_SOURCES", 5), reps = env_int("BENCH_REPS", 20);
	const char *tmp = getenv("TMPDIR");
	char dir[512], cmd[600];
	struct shared *sh;
	long tag = (long)getpid() ^ (long)(now_s() * 1e6);
	int bad = 0;

	if (nsrc < 1 || nsrc > MAXSRC || reps < 1 || reps > MAXREP)
		return 2;
	snprintf(dir, sizeof(dir), "%s/vgpu-bench-cache.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	unsetenv("VGPU_CACHE");
	if (run_child(phase_cold, sh, dir, nsrc, reps, tag) ||
	    run_child(phase_hit, sh, dir, nsrc, reps, tag)) {
		fprintf(stderr, "bench_cache: a phase failed\n");
		bad = 2;
		goto out;
	}
	double cold = median(sh->cold, sh->ncold), disk = median(sh->disk, sh->ndisk);
	double mem = median(sh->mem, sh->nmem);

	printf("# bench_cache: backend %s, %d sources, cold = empty cache dir (%llu misses), disk hit = new process (%llu hits), memory hit = same session, %d repeats (%llu hits); medians\n",
	       sh->backend, nsrc, (unsigned long long)sh->cold_misses,
	       (unsigned long long)sh->disk_hits, reps, (unsigned long long)sh->mem_hits);
	if (sh->cold_misses != (uint64_t)nsrc || sh->disk_hits != (uint64_t)nsrc ||
	    sh->mem_hits != (uint64_t)(nsrc * reps)) {
		printf("# bench_cache: WRONG hit/miss counts (want %d misses, %d disk hits, %d memory hits)\n",
		       nsrc, nsrc, nsrc * reps);
		bad = 1;
	}
	printf("cache: cold compile %.1f ms, disk hit %.3f ms (%.3f%% of compile), memory hit %.3f ms (%.3f%%) (target <= 1%%: %s)\n",
	       cold * 1e3, disk * 1e3, 100.0 * disk / cold, mem * 1e3, 100.0 * mem / cold,
	       disk <= 0.01 * cold && mem <= 0.01 * cold ? "meets target" : "ABOVE target");
out:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		bad = bad ? bad : 2;
	return bad;
}
