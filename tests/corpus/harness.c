// SPDX-License-Identifier: GPL-2.0
/*
 * The corpus harness (see corpus.h, README.md): one program, three uses.
 *
 *	corpus [--test] [NAME...]	TAP: every case (or those named) on the
 *					session's backend (CPU unless
 *					VGPU_BACKEND says otherwise) and its
 *					OpenMP baseline against the plain C
 *					reference, small sizes; each case in a
 *					child process (a crash or a hang fails
 *					that case only)
 *	corpus --bench [NAME...]	large sizes: cold compile, cache hit,
 *					OpenMP and libvgpu interleaved, medians,
 *					ratio = OpenMP time / libvgpu time;
 *					summary: geometric mean, minimum, the
 *					barrier-in-loop kernels
 *	corpus --list			names, shapes, flags
 * Options: --n N (problem size of every case), --reps N (bench repeats,
 * default 11; env BENCH_REPS), --warmup N (default 2), --rounds N (bench:
 * the whole sweep N times, each kernel's result the median of its rounds;
 * env BENCH_ROUNDS; default 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/cpu/common.h"	/* now_s, median */
#include "common/tap.h"
#include "corpus.h"

extern const struct corpus_case *const __start_corpus_cases[];
extern const struct corpus_case *const __stop_corpus_cases[];

static const struct corpus_case *cases[256];
static int nr_cases;
static size_t opt_n;
static int opt_reps = 11, opt_warmup = 2, opt_rounds = 1;
static int backend_kind = VGPU_BACKEND_CPU;

/* ------------------------------------------------------------ helpers */

struct arena_blk {
	struct arena_blk *next;
};

/*
 * The plain C and OpenMP sides' arrays: those of 2 MiB or more in
 * transparent huge pages, as the CPU backend's device memory is
 * (cpu/runtime.c's cpu_mem_alloc), so that a ratio compares the code and
 * not the page size (with 4 KiB pages under THP 'madvise' the OpenMP side
 * of layernorm_cg, black_scholes and reduce_shfl was 9-24 % slower on one
 * pinned thread on the benchmarks' EPYC: Documentation/benchmarks.md,
 * session 22)
 */
#define CORPUS_HUGE_PAGE ((size_t)2 << 20)

void *corpus_alloc(struct corpus_run *r, size_t bytes)
{
	size_t hdr = 64, total = hdr + ((bytes + 63) & ~(size_t)63);
	const bool huge = total >= CORPUS_HUGE_PAGE;
	struct arena_blk *b;

	if (huge)
		total = (total + CORPUS_HUGE_PAGE - 1) & ~(CORPUS_HUGE_PAGE - 1);
	b = aligned_alloc(huge ? CORPUS_HUGE_PAGE : 64, total);
	if (!b)
		return NULL;
	if (huge)
		(void)madvise(b, total, MADV_HUGEPAGE);
	memset(b, 0, total);
	b->next = r->arena;
	r->arena = b;
	return (char *)b + hdr;
}

static void arena_free(struct corpus_run *r)
{
	struct arena_blk *b = r->arena, *n;

	for (; b; b = n) {
		n = b->next;
		free(b);
	}
	r->arena = NULL;
}

uint32_t corpus_rand(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

void corpus_fill_f32(float *p, size_t n, uint32_t seed, float lo, float hi)
{
	uint32_t s = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++)
		p[i] = lo + (hi - lo) * (float)(corpus_rand(&s) >> 8) * (1.0f / 16777216.0f);
}

void corpus_fill_f64(double *p, size_t n, uint32_t seed, double lo, double hi)
{
	uint32_t s = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++)
		p[i] = lo + (hi - lo) * (double)corpus_rand(&s) * (1.0 / 4294967296.0);
}

void corpus_fill_u32(uint32_t *p, size_t n, uint32_t seed, uint32_t mod)
{
	uint32_t s = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++)
		p[i] = mod ? corpus_rand(&s) % mod : corpus_rand(&s);
}

int corpus_fail(struct corpus_run *r, int err, const char *what)
{
	snprintf(r->err, sizeof(r->err), "%s = %d (%s): %s", what, err, strerror(-err),
		 r->sess ? vgpu_last_error(r->sess) : "");
	return err;
}

static int add_buf(struct corpus_run *r, vgpu_buffer *b, vgpu_buffer **out)
{
	if (r->nr_bufs >= sizeof(r->bufs) / sizeof(r->bufs[0])) {
		vgpu_buffer_free(b);
		return corpus_fail(r, -ENOSPC, "more than 32 buffers in one case");
	}
	r->bufs[r->nr_bufs++] = b;
	*out = b;
	return 0;
}

int corpus_buf(struct corpus_run *r, size_t bytes, vgpu_buffer **out)
{
	vgpu_buffer *b;
	void *zero;
	int ret = vgpu_buffer_alloc(r->sess, bytes, &b);

	if (ret)
		return corpus_fail(r, ret, "vgpu_buffer_alloc");
	zero = calloc(1, bytes);
	if (!zero) {
		vgpu_buffer_free(b);
		return corpus_fail(r, -ENOMEM, "calloc");
	}
	ret = vgpu_buffer_write(b, 0, zero, bytes);
	free(zero);
	if (ret) {
		vgpu_buffer_free(b);
		return corpus_fail(r, ret, "vgpu_buffer_write (zeroes)");
	}
	return add_buf(r, b, out);
}

int corpus_buf_in(struct corpus_run *r, const void *host, size_t bytes, vgpu_buffer **out)
{
	vgpu_buffer *b;
	int ret = vgpu_buffer_alloc(r->sess, bytes, &b);

	if (ret)
		return corpus_fail(r, ret, "vgpu_buffer_alloc");
	ret = vgpu_buffer_write(b, 0, host, bytes);
	if (ret) {
		vgpu_buffer_free(b);
		return corpus_fail(r, ret, "vgpu_buffer_write");
	}
	return add_buf(r, b, out);
}

int corpus_read(struct corpus_run *r, vgpu_buffer *b, void *host, size_t bytes)
{
	int ret = vgpu_buffer_read(b, 0, host, bytes);

	return ret ? corpus_fail(r, ret, "vgpu_buffer_read") : 0;
}

int corpus_launch(struct corpus_run *r, int k, struct vgpu_dim3 grid, struct vgpu_dim3 block,
		  uint32_t shmem, const struct vgpu_arg *args, unsigned int nr_args)
{
	struct vgpu_launch_cfg cfg = { .size = sizeof(cfg), .grid = grid, .block = block,
				       .shared_bytes = shmem };
	int ret;

	if (k < 0 || k >= 8 || !r->kernels[k])
		return corpus_fail(r, -EINVAL, "corpus_launch: no such kernel index");
	ret = vgpu_launch(r->kernels[k], &cfg, args, nr_args);
	if (ret) {
		char what[160];

		snprintf(what, sizeof(what), "vgpu_launch(%s)", r->c->names[k]);
		return corpus_fail(r, ret, what);
	}
	return 0;
}

const char *corpus_msg(struct corpus_run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return r->err;
}

const char *corpus_cmp_f32(struct corpus_run *r, const float *got, const float *want, size_t n,
			   double rtol, double atol)
{
	for (size_t i = 0; i < n; i++) {
		double g = got[i], w = want[i];

		if (!(fabs(g - w) <= atol + rtol * fabs(w)))
			return corpus_msg(r, "element %zu of %zu: got %.9g, want %.9g (tolerance %g + %g|want|)",
					  i, n, g, w, atol, rtol);
	}
	return NULL;
}

const char *corpus_cmp_f64(struct corpus_run *r, const double *got, const double *want, size_t n,
			   double rtol, double atol)
{
	for (size_t i = 0; i < n; i++)
		if (!(fabs(got[i] - want[i]) <= atol + rtol * fabs(want[i])))
			return corpus_msg(r, "element %zu of %zu: got %.17g, want %.17g (tolerance %g + %g|want|)",
					  i, n, got[i], want[i], atol, rtol);
	return NULL;
}

const char *corpus_cmp_u32(struct corpus_run *r, const uint32_t *got, const uint32_t *want,
			   size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			return corpus_msg(r, "element %zu of %zu: got %u, want %u", i, n, got[i], want[i]);
	return NULL;
}

const char *corpus_cmp_i32(struct corpus_run *r, const int32_t *got, const int32_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			return corpus_msg(r, "element %zu of %zu: got %d, want %d", i, n, got[i], want[i]);
	return NULL;
}

/* ------------------------------------------------------------ one run */

static int run_open(struct corpus_run *r, const struct corpus_case *c, size_t n)
{
	struct vgpu_session_opts so = { .size = sizeof(so), .flags = VGPU_SESSION_NO_DEVICE_LEDGER,
					.backend = VGPU_BACKEND_CPU };
	struct vgpu_device_props props = { .size = sizeof(props) };
	unsigned long v;
	const char *e;
	int ret;

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->n = n;
	ret = vgpu_session_open(&r->sess, &so);
	if (ret) {
		snprintf(r->err, sizeof(r->err), "vgpu_session_open = %d: %s", ret,
			 vgpu_last_error(NULL));
		r->sess = NULL;
		return ret;
	}
	backend_kind = vgpu_session_backend(r->sess);
	if (backend_kind == VGPU_BACKEND_CPU && !vgpu_device_props(r->sess, 0, &props))
		r->threads = props.multiprocessors;
	/* the CPU backend's workers where VGPU_CPU_THREADS sets them: the
	 * device's multiprocessors are the cores, whatever the pool runs on */
	if (backend_kind == VGPU_BACKEND_CPU && (e = getenv("VGPU_CPU_THREADS")) && (v = strtoul(e, NULL, 10)) > 0)
		r->threads = v < 1024 ? (unsigned int)v : 1024;
	if (!r->threads) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		r->threads = cpus > 0 ? (unsigned int)cpus : 1;
	}
	omp_set_num_threads((int)r->threads);
	return 0;
}

static void run_close(struct corpus_run *r)
{
	for (unsigned int i = 0; i < r->nr_bufs; i++)
		vgpu_buffer_free(r->bufs[i]);
	r->nr_bufs = 0;
	if (r->mod)
		vgpu_module_unload(r->mod);
	r->mod = NULL;
	if (r->sess)
		vgpu_session_close(r->sess);
	r->sess = NULL;
	arena_free(r);
}

static int count_names(const struct corpus_case *c, int *templates)
{
	int n = 0;

	*templates = 0;
	for (; c->names && c->names[n]; n++)
		if (strchr(c->names[n], '<'))
			(*templates)++;
	return n;
}

/* compile @c's source; flags VGPU_COMPILE_NO_CACHE for a cold compile */
static int compile(struct corpus_run *r, uint32_t flags, vgpu_module **out)
{
	const struct corpus_case *c = r->c;
	const char *exprs[8];
	int templates, nn = count_names(c, &templates), ne = 0, nopt = 0;
	struct vgpu_compile_opts o = { .size = sizeof(o), .flags = flags };
	char name[96];
	int ret;

	for (int i = 0; i < nn && i < 8; i++)
		if (strchr(c->names[i], '<'))
			exprs[ne++] = c->names[i];
	while (c->options && c->options[nopt])
		nopt++;
	snprintf(name, sizeof(name), "%s.cu", c->name);
	o.name = name;
	o.options = c->options;
	o.nr_options = (uint32_t)nopt;
	o.names = ne ? exprs : NULL;
	o.nr_names = (uint32_t)ne;
	ret = vgpu_module_compile(r->sess, c->src, 0, &o, out);
	return ret ? corpus_fail(r, ret, "vgpu_module_compile") : 0;
}

static int get_kernels(struct corpus_run *r)
{
	int t, nn = count_names(r->c, &t);

	if (nn < 1 || nn > 8)
		return corpus_fail(r, -EINVAL, "a case names 1 to 8 kernels");
	for (int i = 0; i < nn; i++) {
		int ret = vgpu_kernel_get(r->mod, r->c->names[i], &r->kernels[i]);

		if (ret) {
			char what[160];

			snprintf(what, sizeof(what), "vgpu_kernel_get(\"%s\")", r->c->names[i]);
			return corpus_fail(r, ret, what);
		}
	}
	return 0;
}

/* ------------------------------------------------------------ test mode */

/* what a test child reports through its pipe */
struct test_result {
	int stage;		/* 0 all ran; else the stage that failed */
	int omp_ok, dev_ok;
	int backend;		/* enum vgpu_backend_kind the session got */
	char omp_msg[600], dev_msg[600];
	char lowering[640];
};

static const char *const stage_names[] = { "", "session", "setup", "compile", "kernel lookup",
					   "upload", "launch", "download" };

static void test_child(const struct corpus_case *c, size_t n, struct test_result *res)
{
	struct corpus_run r;
	const char *m;

	memset(res, 0, sizeof(*res));
	res->backend = -1;
	if (run_open(&r, c, n)) {
		res->stage = 1;
		goto out;
	}
	res->backend = backend_kind;
	if (c->setup(&r)) {
		res->stage = 2;
		goto out;
	}
	c->ref(&r);
	c->omp(&r);
	m = c->check(&r, 1);
	res->omp_ok = !m;
	if (m)
		snprintf(res->omp_msg, sizeof(res->omp_msg), "%s", m);
	if (compile(&r, 0, &r.mod)) {
		res->stage = 3;
		goto out;
	}
	if (get_kernels(&r)) {
		res->stage = 4;
		goto out;
	}
	for (int i = 0; r.kernels[i] && i < 8; i++) {
		char how[512];

		if (vgpu_kernel_lowering(r.kernels[i], how, sizeof(how)) > 0) {
			size_t len = strlen(res->lowering);

			snprintf(res->lowering + len, sizeof(res->lowering) - len, "%s%s",
				 len ? "; " : "", how);
		}
	}
	if (c->upload(&r)) {
		res->stage = 5;
		goto out;
	}
	if (c->launch(&r)) {
		res->stage = 6;
		goto out;
	}
	if (c->download(&r)) {
		res->stage = 7;
		goto out;
	}
	m = c->check(&r, 0);
	res->dev_ok = !m;
	if (m)
		snprintf(res->dev_msg, sizeof(res->dev_msg), "%s", m);
out:
	if (res->stage)
		snprintf(res->dev_msg, sizeof(res->dev_msg), "%s: %s", stage_names[res->stage], r.err);
	run_close(&r);
}

static const char *backend_word(int kind)
{
	return kind == VGPU_BACKEND_CUDA ? "cuda" : kind == VGPU_BACKEND_HIP ? "hip" : "cpu";
}

static void test_one(const struct corpus_case *c)
{
	struct test_result res;
	int fd[2], st = 0, got = 0;
	size_t n = opt_n ? opt_n : c->n_test;
	pid_t pid;

	memset(&res, 0, sizeof(res));
	res.backend = -1;	/* unknown unless the child reports it */
	fflush(stdout);
	if (pipe(fd) || (pid = fork()) < 0) {
		tap_ok(0, "%s: fork: %s", c->name, strerror(errno));
		return;
	}
	if (!pid) {
		close(fd[0]);
		alarm(120);	/* a hanging kernel fails its case only */
		test_child(c, n, &res);
		res.lowering[sizeof(res.lowering) - 1] = 0;
		if (write(fd[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(3);
		_exit(0);
	}
	close(fd[1]);
	for (ssize_t k; got < (int)sizeof(res); got += (int)k) {
		k = read(fd[0], (char *)&res + got, sizeof(res) - (size_t)got);
		if (k <= 0)
			break;
	}
	close(fd[0]);
	waitpid(pid, &st, 0);
	if (got != (int)sizeof(res)) {
		res.stage = -1;
		res.omp_ok = 0;
		if (WIFSIGNALED(st))
			snprintf(res.dev_msg, sizeof(res.dev_msg), "killed by signal %d (%s)%s",
				 WTERMSIG(st), strsignal(WTERMSIG(st)),
				 WTERMSIG(st) == SIGALRM ? ": timed out after 120 s" : "");
		else
			snprintf(res.dev_msg, sizeof(res.dev_msg), "exited with status %d, no result",
				 WEXITSTATUS(st));
	}
	if (res.stage == 0 || res.stage > 2) {	/* the OpenMP baseline ran */
		tap_ok(res.omp_ok, "%s: OpenMP baseline == plain C (n = %zu)", c->name, n);
		if (!res.omp_ok)
			tap_diag("%s", res.omp_msg);
	}
	const char *be = res.backend < 0 ? (getenv("VGPU_BACKEND") ? getenv("VGPU_BACKEND") : "cpu")
					  : backend_word(res.backend);
	int pass = res.stage == 0 && res.dev_ok;

	if (c->cpu_xfail && !strcmp(be, "cpu")) {
		if (pass)
			tap_ok(0, "%s: %s backend == plain C: passes, but is marked expected-to-fail (%s): remove the mark",
			       c->name, be, c->cpu_xfail);
		else
			tap_skip(c->cpu_xfail, "%s: %s backend == plain C: expected to fail; fails with: %s",
				 c->name, be, res.dev_msg);
		return;
	}
	tap_ok(pass, "%s: %s backend == plain C (%s)", c->name, be, c->shape);
	if (!pass)
		tap_diag("%s", res.dev_msg);
	else if (res.lowering[0])
		tap_diag("%s lowering: %s", c->name, res.lowering);
}

/* ------------------------------------------------------------ bench mode */

struct bench_row {
	const struct corpus_case *c;
	double omp_ms, vg_ms, ratio, cold_ms, hit_ms, disk_ms;
	int ok;
};

/* with VGPU_CPU_PROFILE=1: where each kernel's time went, region by region
 * (vgpu_kernel_profile), as comment lines */
static void print_profile(struct corpus_run *r)
{
	char text[8192];

	for (int i = 0; r->kernels[i] && i < 8; i++) {
		const char *l = text;

		if (vgpu_kernel_profile(r->kernels[i], text, sizeof(text)) <= 0)
			continue;
		printf("# %s kernel %d profile:\n", r->c->name, i);
		while (*l) {
			const size_t k = strcspn(l, "\n");

			printf("#   %.*s\n", (int)k, l);
			l += k + (l[k] != 0);
		}
	}
}

static int bench_one(const struct corpus_case *c, struct bench_row *row)
{
	size_t n = opt_n ? opt_n : c->n_bench;
	int reps = opt_reps, warm = opt_warmup;
	double *t_omp = calloc((size_t)reps, sizeof(double));
	double *t_vg = calloc((size_t)reps, sizeof(double));
	struct corpus_run r;
	vgpu_module *cold = NULL, *hit = NULL;
	const char *m1, *m2;
	double t0;
	int ret = -1;

	memset(row, 0, sizeof(*row));
	row->c = c;
	if (!t_omp || !t_vg)
		goto out_free;
	if (run_open(&r, c, n)) {
		printf("# %s: %s\n", c->name, r.err);
		goto out_free;
	}
	if (c->setup(&r)) {
		printf("# %s: setup failed: %s\n", c->name, r.err);
		goto out;
	}
	/* cold: without the cache; then the module used, then a (memory) cache hit */
	t0 = now_s();
	if (compile(&r, VGPU_COMPILE_NO_CACHE, &cold)) {
		printf("# %s: compile failed: %s\n", c->name, r.err);
		goto out;
	}
	row->cold_ms = (now_s() - t0) * 1e3;
	vgpu_module_unload(cold);
	if (compile(&r, 0, &r.mod))
		goto fail;
	t0 = now_s();
	if (compile(&r, 0, &hit))
		goto fail;
	row->hit_ms = (now_s() - t0) * 1e3;
	vgpu_module_unload(hit);
	{	/* a disk hit: a new session starts with an empty memory cache */
		struct corpus_run r2;

		if (run_open(&r2, c, n))
			goto fail;
		t0 = now_s();
		if (compile(&r2, 0, &r2.mod)) {
			printf("# %s: compile in a second session: %s\n", c->name, r2.err);
			run_close(&r2);
			goto out;
		}
		row->disk_ms = (now_s() - t0) * 1e3;
		run_close(&r2);
	}
	if (get_kernels(&r) || c->upload(&r))
		goto fail;
	c->ref(&r);
	for (int i = -warm; i < reps; i++) {
		double a = now_s();

		c->omp(&r);
		double b = now_s();

		if (c->launch(&r))
			goto fail;
		double e = now_s();

		if (i >= 0) {
			t_omp[i] = b - a;
			t_vg[i] = e - b;
		}
	}
	if (c->download(&r))
		goto fail;
	m1 = c->check(&r, 0);
	if (m1)
		printf("# %s: libvgpu WRONG: %s\n", c->name, m1);
	m2 = c->check(&r, 1);
	if (m2)
		printf("# %s: OpenMP WRONG: %s\n", c->name, m2);
	print_profile(&r);
	row->omp_ms = median(t_omp, reps) * 1e3;
	row->vg_ms = median(t_vg, reps) * 1e3;
	row->ratio = row->omp_ms / row->vg_ms;
	row->ok = !m1 && !m2;
	ret = row->ok ? 0 : -1;
	goto out;
fail:
	printf("# %s: %s\n", c->name, r.err);
out:
	run_close(&r);
out_free:
	free(t_omp);
	free(t_vg);
	return ret;
}

static void bench_line(const struct bench_row *row, size_t n)
{
	const struct corpus_case *c = row->c;

	if (!row->ok) {
		printf("%-22s %10zu %11s %11s %8s %10s %9s %9s  %s: FAILED\n", c->name, n, "-", "-", "-",
		       "-", "-", "-", c->shape);
		return;
	}
	printf("%-22s %10zu %11.3f %11.3f %7.2fx %10.1f %9.3f %9.3f  %s%s\n", c->name, n, row->omp_ms,
	       row->vg_ms, row->ratio, row->cold_ms, row->hit_ms, row->disk_ms, c->shape,
	       c->flags & CORPUS_BARRIER_LOOP ? " [barrier in loop]" : "");
	fflush(stdout);
}

static void bench_header(void)
{
	printf("%-22s %10s %11s %11s %8s %10s %9s %9s  %s\n", "kernel", "n", "openmp ms", "libvgpu ms",
	       "ratio", "cold ms", "mem hit", "disk hit", "shape");
}

#define MAX_ROUNDS 9

/* every kernel once per round (rounds interleave the kernels over time);
 * a kernel's result is the median of its rounds */
static int bench(void)
{
	static struct bench_row rows[256][MAX_ROUNDS];
	struct bench_row med[256];
	int bad = 0, nok = 0;
	double lg = 0, cold_total = 0, worst_hit = 0;
	const struct bench_row *min = NULL;

	printf("# corpus bench: %d kernels, %d round(s), each kernel %d repeats (median) after %d warm-up, each repeat OpenMP then libvgpu; ratio = OpenMP time / libvgpu time (higher is better for libvgpu)\n",
	       nr_cases, opt_rounds, opt_reps, opt_warmup);
	for (int round = 0; round < opt_rounds; round++) {
		if (opt_rounds > 1)
			printf("# round %d of %d\n", round + 1, opt_rounds);
		bench_header();
		for (int i = 0; i < nr_cases; i++) {
			bench_one(cases[i], &rows[i][round]);
			bench_line(&rows[i][round], opt_n ? opt_n : cases[i]->n_bench);
		}
	}
	if (opt_rounds > 1) {
		printf("# median of the %d rounds (ratio: the median of the rounds' ratios)\n", opt_rounds);
		bench_header();
	}
	for (int i = 0; i < nr_cases; i++) {
		double v[6][MAX_ROUNDS];
		struct bench_row *m = &med[i];

		memset(m, 0, sizeof(*m));
		m->c = cases[i];
		m->ok = 1;
		for (int k = 0; k < opt_rounds; k++) {
			const struct bench_row *r = &rows[i][k];

			m->ok &= r->ok;
			v[0][k] = r->omp_ms;
			v[1][k] = r->vg_ms;
			v[2][k] = r->ratio;
			v[3][k] = r->cold_ms;
			v[4][k] = r->hit_ms;
			v[5][k] = r->disk_ms;
			for (int h = 4; h < 6; h++)
				if (r->ok && r->cold_ms > 0 && v[h][k] / r->cold_ms > worst_hit)
					worst_hit = v[h][k] / r->cold_ms;
		}
		if (!m->ok) {
			bad = 1;
			if (opt_rounds > 1)
				bench_line(m, opt_n ? opt_n : cases[i]->n_bench);
			continue;
		}
		m->omp_ms = median(v[0], opt_rounds);
		m->vg_ms = median(v[1], opt_rounds);
		m->ratio = median(v[2], opt_rounds);
		m->cold_ms = median(v[3], opt_rounds);
		m->hit_ms = median(v[4], opt_rounds);
		m->disk_ms = median(v[5], opt_rounds);
		if (opt_rounds > 1)
			bench_line(m, opt_n ? opt_n : cases[i]->n_bench);
		nok++;
		lg += log(m->ratio);
		cold_total += m->cold_ms;
		if (!min || m->ratio < min->ratio)
			min = m;
	}
	if (!nok) {
		printf("corpus: no kernel ran\n");
		return 1;
	}
	double gm = exp(lg / nok);

	printf("corpus: geometric mean %.2fx OpenMP over %d kernels (goal >= 1.0x: %s)%s\n", gm, nok,
	       gm >= 1.0 ? "met" : "MISSED", bad ? "; FAILED kernels are left out" : "");
	printf("corpus: minimum %.2fx (%s) (goal >= 0.3x: %s)\n", min->ratio, min->c->name,
	       min->ratio >= 0.3 ? "met" : "MISSED");
	for (int i = 0; i < nr_cases; i++)
		if (med[i].ok && med[i].c->flags & CORPUS_BARRIER_LOOP)
			printf("corpus: barrier in loop: %s %.2fx (goal >= 0.7x: %s)\n", med[i].c->name,
			       med[i].ratio, med[i].ratio >= 0.7 ? "met" : "MISSED");
	for (int i = 0; i < nr_cases; i++)
		if (!med[i].ok)
			printf("corpus: FAILED: %s (wrong result or error: see above)\n", med[i].c->name);
	printf("corpus: cold compile %.0f ms total, %.0f ms mean per kernel; cache hit (memory or disk) at most %.3f%% of the cold compile (goal < 1%%: %s)\n",
	       cold_total, cold_total / nok, 100 * worst_hit, worst_hit < 0.01 ? "met" : "MISSED");
	return bad;
}

/* ------------------------------------------------------------ main */

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct corpus_case *const *)a)->name,
		      (*(const struct corpus_case *const *)b)->name);
}

static int usage(void)
{
	fprintf(stderr, "usage: corpus [--test|--bench|--list] [--n N] [--reps N] [--warmup N] [--rounds N (1-9)] [NAME...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *e = getenv("BENCH_REPS");
	int mode = 't', want_names = 0;
	char **names = calloc((size_t)argc, sizeof(char *));

	if (!names)
		return 2;
	if (e && *e)
		opt_reps = atoi(e);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--test"))
			mode = 't';
		else if (!strcmp(argv[i], "--bench"))
			mode = 'b';
		else if (!strcmp(argv[i], "--list"))
			mode = 'l';
		else if (!strcmp(argv[i], "--n") && i + 1 < argc)
			opt_n = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			opt_reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			opt_rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
			opt_warmup = atoi(argv[++i]);
		else if (argv[i][0] == '-')
			return usage();
		else
			names[want_names++] = argv[i];
	}
	e = getenv("BENCH_ROUNDS");
	if (e && *e && opt_rounds == 1)
		opt_rounds = atoi(e);
	if (opt_reps < 1 || opt_warmup < 0 || opt_rounds < 1 || opt_rounds > MAX_ROUNDS)
		return usage();
	for (const struct corpus_case *const *p = __start_corpus_cases; p < __stop_corpus_cases; p++) {
		int keep = !want_names;

		for (int i = 0; i < want_names && !keep; i++)
			keep = !strcmp(names[i], (*p)->name);
		if (keep && nr_cases < 256)
			cases[nr_cases++] = *p;
	}
	free(names);
	qsort(cases, (size_t)nr_cases, sizeof(cases[0]), by_name);
	if (want_names && nr_cases != want_names) {
		fprintf(stderr, "corpus: %d of the %d names given are not cases (--list)\n",
			want_names - nr_cases, want_names);
		return 2;
	}
	if (mode == 'l') {
		for (int i = 0; i < nr_cases; i++)
			printf("%-22s %s%s%s%s\n", cases[i]->name, cases[i]->shape,
			       cases[i]->flags & CORPUS_BARRIER_LOOP ? " [barrier in loop]" : "",
			       cases[i]->cpu_xfail ? " [CPU xfail: " : "",
			       cases[i]->cpu_xfail ? cases[i]->cpu_xfail : "");
		return 0;
	}
	if (mode == 'b')
		return bench();

	/* no session here: a GPU driver initialised before fork() is unusable
	 * in the children; each child reports the backend it got */
	e = getenv("VGPU_BACKEND");
	tap_diag("corpus: %d kernels on the %s backend, each against plain C (tests/corpus)", nr_cases,
		 e && *e ? e : "cpu");
	for (int i = 0; i < nr_cases; i++)
		test_one(cases[i]);
	return tap_done();
}
