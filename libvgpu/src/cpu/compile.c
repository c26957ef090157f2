// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CPU backend compiler: CUDA-dialect source -> C++ (the prelude, a rewrite of
 * each kernel's head, barrier fission where it applies, generated wrappers)
 * -> the system C++ compiler -> an image (cpu.h) that runtime.c loads.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/env.h"
#include "core/io.h"
#include "core/sha256.h"
#include "cpu/cpu.h"
#include "cpu/fission.h"

extern char **environ;

/* ---- identity ----------------------------------------------------------- */

static const char *cxx(void)
{
	const char *e = getenv("VGPU_CXX");

	return e && *e ? e : "g++";
}

static const char *march(void)
{
	const char *e = getenv("VGPU_CPU_MARCH");

	return e && *e ? e : "native";
}

/* Run argv, capture stdout+stderr (malloc()ed, NUL-terminated). Exit status or -errno. */
int vgpu_cpu_run(char *const argv[], char **out)
{
	char path[] = "/tmp/vgpu-run-XXXXXX";
	posix_spawn_file_actions_t fa;
	int fd, status = 0, ret;
	pid_t pid;
	struct stat st;

	*out = NULL;
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	posix_spawn_file_actions_adddup2(&fa, fd, 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret) {
		close(fd);
		return -ret;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			close(fd);
			return -errno;
		}
	if (!fstat(fd, &st)) {
		*out = calloc(1, (size_t)st.st_size + 1);
		if (*out && st.st_size && pread(fd, *out, (size_t)st.st_size, 0) < 0)
			(*out)[0] = 0;
	}
	close(fd);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/*
 * Barrier fission (parse.c) on by default; VGPU_CPU_FISSION=0 turns it off
 * (read once: it is part of the target identity, hence of cache keys), and
 * the option -D__VGPU_NO_FISSION turns it off for one module. Bump
 * FISSION_VERSION when the transformation changes what it emits.
 */
#define FISSION_VERSION 3

static bool fission_on;		/* set by ident_init */

static bool fission_env(void)
{
	bool on;

	return vgpu_env_bool("VGPU_CPU_FISSION", &on) ? true : on;
}

/* the first 8 bytes of the SHA-256 of @n bytes at @p (cache keys); of string @s */
unsigned long long vgpu_cpu_hash_bytes(const void *p, size_t n)
{
	struct vgpu_sha256 c;
	uint8_t d[32];
	unsigned long long h = 0;

	vgpu_sha256_init(&c);
	vgpu_sha256_update(&c, p, n);
	vgpu_sha256_final(&c, d);
	for (int i = 0; i < 8; i++)
		h = h << 8 | d[i];
	return h;
}

unsigned long long vgpu_cpu_hash(const char *s)
{
	return vgpu_cpu_hash_bytes(s, strlen(s));
}

/* the first 8 bytes of the SHA-256 of the preludes and device headers (part of the cache key) */
static unsigned long long prelude_hash(void)
{
	uint8_t d[32];
	unsigned long long h = 0;

	struct vgpu_sha256 c;

	vgpu_sha256_init(&c);
	vgpu_sha256_update(&c, vgpu_cpu_prelude, strlen(vgpu_cpu_prelude));
	vgpu_sha256_update(&c, vgpu_devsig_prelude, strlen(vgpu_devsig_prelude));
	for (int i = 0; vgpu_devheaders[i].name; i++)
		if (vgpu_devheaders[i].cpu)
			vgpu_sha256_update(&c, vgpu_devheaders[i].cpu, strlen(vgpu_devheaders[i].cpu));
	vgpu_sha256_final(&c, d);
	for (int i = 0; i < 8; i++)
		h = h << 8 | d[i];
	return h;
}

static pthread_once_t ident_once = PTHREAD_ONCE_INIT;
static char ident[4096];

static void ident_init(void)
{
	char *ver, *mach;
	char *const a1[] = { (char *)cxx(), "-dumpfullversion", "-dumpversion", NULL };
	char *const a2[] = { (char *)cxx(), "-dumpmachine", NULL };
	char cpu[256] = "", flags[2048] = "";
	FILE *f;

	fission_on = fission_env();
	ver = vgpu_cpu_run_line(a1);
	mach = vgpu_cpu_run_line(a2);
	if (!strcmp(march(), "native") && (f = fopen("/proc/cpuinfo", "r"))) {
		char line[4096];

		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			if (!cpu[0] && !strncmp(line, "model name", 10))
				snprintf(cpu, sizeof(cpu), "%s", strchr(line, ':') ? strchr(line, ':') + 1 : "");
			if (!flags[0] && (!strncmp(line, "flags", 5) || !strncmp(line, "Features", 8)))
				snprintf(flags, sizeof(flags), "%s", strchr(line, ':') ? strchr(line, ':') + 1 : "");
		}
		fclose(f);
	}
	snprintf(ident, sizeof(ident), "%s %s-%s -O3 -fno-trapping-math -march=%s extra:%s cpu:%s flags:%s prelude:%016llx fission:%d",
		 mach ? mach : "?", cxx(), ver ? ver : "?", march(),
		 getenv("VGPU_CXXFLAGS") ? getenv("VGPU_CXXFLAGS") : "", cpu, flags,
		 prelude_hash(), fission_on ? FISSION_VERSION : 0);
	free(ver);
	free(mach);
}

int vgpu_cpu_target_id(void *ctx, char *buf, size_t len)
{
	(void)ctx;
	if (vgpu_cpu_use_clang())
		return vgpu_cpu_clang_target_id(buf, len);
	pthread_once(&ident_once, ident_init);
	return snprintf(buf, len, "%s", ident);
}

/* growable string */
static bool has_body(const char *src, size_t len, size_t rp)
{
	size_t i = rp + 1;

	while (i < len && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r'))
		i++;
	return i < len && src[i] == '{';
}

static int line_at(const char *src, size_t pos)
{
	int line = 1;

	for (size_t i = 0; i < pos; i++)
		line += src[i] == '\n';
	return line;
}

/* what building one translation unit holds */
struct tu_job {
	const struct vgpu_bk_source *s;
	const struct vgpu_ksig *sig;
	const char *fname;
	struct vgpu_sbuf *tu;
	bool *defined, *split;		/* per kernel: has a body here; rewritten by fission */
	bool fission;
	int nsplit;
	size_t pos;			/* of the source, copied up to here */
};

/* the prelude and the compiler's signatures (core/devsig.c) */
static void tu_head(struct tu_job *j)
{
	vgpu_sb_add(j->tu, vgpu_cpu_prelude, strlen(vgpu_cpu_prelude));
	/* kernels here take the builtins first */
	vgpu_sb_str(j->tu, vgpu_devsig_prelude);
	vgpu_sb_str(j->tu, "template <class... A> struct __vgpu_sigT<void (*)(__vgpu_idx3, __vgpu_idx3, "
		    "__vgpu_idx3, __vgpu_idx3, A...)> : __vgpu_sigT<void (*)(A...)> {};\n");
	vgpu_sb_printf(j->tu, "\n#line 1 \"%s\"\n", j->fname);
}

/* a kernel's head: its name, the builtins, then its own parameters, lines kept */
static void tu_kernel_head(struct tu_job *j, const struct vgpu_ksite *st, const struct vgpu_kinfo *k)
{
	const char *src = j->s->src;
	int nl = 0;

	vgpu_sb_add(j->tu, src + j->pos, st->begin - j->pos);
	for (size_t i = st->begin; i < st->lparen; i++)
		nl += src[i] == '\n';
	vgpu_sb_printf(j->tu, "__VGPU_KHEAD __vgpu_k_%s(__VGPU_KPARAMS", k->name);
	while (nl--)
		vgpu_sb_add(j->tu, "\n", 1);
	if (!st->void_params) {
		vgpu_sb_add(j->tu, ", ", 2);
		vgpu_sb_add(j->tu, src + st->lparen + 1, st->rparen - st->lparen - 1);
	} else {
		for (size_t i = st->lparen; i < st->rparen; i++)
			if (src[i] == '\n')
				vgpu_sb_add(j->tu, "\n", 1);
	}
	vgpu_sb_add(j->tu, ")", 1);
	j->pos = st->rparen + 1;
}

/* a kernel's body: rewritten into loops over threads where fission can (parse.c) */
static int tu_kernel_body(struct tu_job *j, const struct vgpu_ksite *st, const struct vgpu_kinfo *k)
{
	const char *src = j->s->src;
	char *body = NULL;
	const char *why = NULL;
	size_t end = 0, lb;
	int r = 1;

	j->defined[st->kernel] = true;
	if (j->fission && k->uses_barrier && !j->split[st->kernel])
		r = vgpu_fission(src, j->s->len, j->sig, st, j->fname, &body, &end, &why);
	if (r < 0)
		return r;
	if (r == 1 && why)	/* for VGPU_CPU_KEEP_TMP readers */
		vgpu_sb_printf(j->tu, " /* libvgpu: %s runs on fibers: %s */", k->name, why);
	if (r != 0)
		return 0;
	for (lb = j->pos; src[lb] != '{'; lb++)
		;
	vgpu_sb_add(j->tu, src + j->pos, lb - j->pos);
	vgpu_sb_add(j->tu, body, strlen(body));
	vgpu_sb_printf(j->tu, "\n#line %d \"%s\"\n", line_at(src, end), j->fname);
	free(body);
	j->pos = end + 1;
	j->split[st->kernel] = true;
	j->nsplit++;
	return 0;
}

/* extern __shared__ arrays: views of the dynamic shared memory */
static void tu_xshared(struct tu_job *j, const struct vgpu_xshared *x)
{
	vgpu_sb_add(j->tu, j->s->src + j->pos, x->begin - j->pos);
	if (x->depth > 0) {
		int nl = 0;

		for (size_t i = x->begin; i < x->end; i++)
			nl += j->s->src[i] == '\n';
		vgpu_sb_printf(j->tu, "%s *const %s = (%s *)__vgpu_dsmem;", x->type, x->name, x->type);
		while (nl--)
			vgpu_sb_add(j->tu, "\n", 1);
	} else {
		vgpu_sb_printf(j->tu, "\n#undef %s\n#define %s ((%s *)__vgpu_dsmem)\n#line %d \"%s\"\n",
			       x->name, x->name, x->type, x->line_after, j->fname);
	}
	j->pos = x->end;
}

/* the source, its kernel sites and extern __shared__ arrays rewritten */
static int tu_source(struct tu_job *j)
{
	const struct vgpu_ksig *sig = j->sig;
	int si = 0, xi = 0, r;

	/* sites and xshared are each sorted by position; merge them */
	while (si < sig->nsites || xi < sig->nxshared) {
		bool take_site = xi >= sig->nxshared ||
			(si < sig->nsites && sig->sites[si].begin < sig->xshared[xi].begin);

		if (take_site) {
			const struct vgpu_ksite *st = &sig->sites[si++];
			const struct vgpu_kinfo *k = &sig->kernels[st->kernel];

			if (st->begin < j->pos)
				continue;
			tu_kernel_head(j, st, k);
			r = has_body(j->s->src, j->s->len, st->rparen) ? tu_kernel_body(j, st, k) : 0;
			if (r < 0)
				return r;
		} else {
			const struct vgpu_xshared *x = &sig->xshared[xi++];

			if (x->begin >= j->pos)
				tu_xshared(j, x);
		}
	}
	vgpu_sb_add(j->tu, j->s->src + j->pos, j->s->len - j->pos);
	return 0;
}

/* the entry points: one wrapper per kernel defined here, one per name expression */
static void tu_wrappers(struct tu_job *j)
{
	const struct vgpu_ksig *sig = j->sig;
	const char *builtins = sig->helpers_use_builtins ? "true" : "false";

	vgpu_sb_add(j->tu, "\n\n/* libvgpu wrappers */\n", 24);
	for (int k = 0; k < sig->nkernels; k++) {
		const struct vgpu_kinfo *ki = &sig->kernels[k];

		/* templates and kernels in namespaces: by name expression below */
		if (!j->defined[k] || ki->is_template || (ki->qual[0] && strcmp(ki->qual, ki->name)))
			continue;
		vgpu_sb_printf(j->tu, "__VGPU_KERNEL_%s(%s, %s)\n", j->split[k] ? "SPLIT" :
			       ki->uses_barrier ? "THREAD" : "BLOCKS", ki->name, builtins);
	}
	/* every name expression (core: kernels by qualified name, the caller's
	 * template instantiations): wrappers numbered like s->names */
	for (int i = 0; i < j->s->nr_names; i++) {
		const char *e = j->s->names[i];
		size_t lt = strcspn(e, "<"), id = lt;
		const struct vgpu_kinfo *ki;
		char base[VGPU_KNAME_MAX];
		int k;

		while (id > 0 && (isalnum((unsigned char)e[id - 1]) || e[id - 1] == '_'))
			id--;
		snprintf(base, sizeof(base), "%.*s", (int)(lt - id), e + id);
		ki = vgpu_ksig_find(sig, base);
		k = ki ? (int)(ki - sig->kernels) : -1;
		vgpu_sb_printf(j->tu, "__VGPU_KERNEL_%s_X(%d, %s, %.*s__vgpu_k_%s)\n",
			       k >= 0 && j->split[k] ? "SPLIT" : ki && ki->uses_barrier ? "THREAD" : "BLOCKS",
			       i, builtins, (int)id, e, e + id);
	}
	vgpu_devsig_emit(j->tu, j->s->names, j->s->nr_names, "__attribute__((visibility(\"default\")))",
			 "__vgpu_k_");
}

/*
 * Build the C++ translation unit. With @fission, kernels with barriers in
 * structured positions are rewritten into loops over threads (parse.c);
 * *@nsplit counts them.
 */
static int make_tu(const struct vgpu_bk_source *s, struct vgpu_sbuf *tu, bool fission, int *nsplit)
{
	int n = s->sig->nkernels ? s->sig->nkernels : 1;
	struct tu_job j = { .s = s, .sig = s->sig, .fname = s->name ? s->name : "kernel.cu", .tu = tu,
			    .fission = fission };
	int ret;

	*nsplit = 0;
	j.defined = calloc(n, 2 * sizeof(bool));
	if (!j.defined)
		return -ENOMEM;
	j.split = j.defined + n;
	tu_head(&j);
	ret = tu_source(&j);
	if (!ret)
		tu_wrappers(&j);
	free(j.defined);
	*nsplit = j.nsplit;
	return ret ? ret : tu->oom ? -ENOMEM : 0;
}

char *vgpu_cpu_run_line(char *const argv[])
{
	char *out = NULL;

	if (vgpu_cpu_run(argv, &out) != 0) {
		free(out);
		return NULL;
	}
	if (out)
		out[strcspn(out, "\n")] = 0;
	return out;
}

int vgpu_cpu_tmpdir(char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	int ret;

	snprintf(dir, len, "%s/vgpu-cc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir))
		return 0;
	ret = -errno;
	vgpu_bk_seterr("cpu: cannot create a temporary directory: %s", strerror(errno));
	dir[0] = 0;
	return ret;
}

int vgpu_cpu_read_file(const char *path, void **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *p;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !(p = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	for (size_t got = 0; got < (size_t)st.st_size;) {
		ssize_t r = read(fd, p + got, (size_t)st.st_size - got);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			free(p);
			close(fd);
			return -EIO;
		}
		got += (size_t)r;
	}
	close(fd);
	*out = p;
	*len = (size_t)st.st_size;
	return 0;
}

/* The device headers the system does not have (<cuda_runtime.h>, ...) into @dir. */
static int write_headers(const char *dir)
{
	if (mkdir(dir, 0700))
		return -errno;
	for (int i = 0; vgpu_devheaders[i].name; i++) {
		const struct vgpu_devheader *h = &vgpu_devheaders[i];
		char path[4400];
		int fd, ret;

		if (!h->cpu)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, h->name);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		ret = vgpu_write_all(fd, h->cpu, strlen(h->cpu));
		close(fd);
		if (ret)
			return ret;
	}
	return 0;
}

int vgpu_cpu_blob(const struct vgpu_ksig *sig, const void *so, size_t solen,
		  const char *const *names, int nr_names, void **blob, size_t *blob_len)
{
	size_t kbytes = (size_t)sig->nkernels * sizeof(struct vgpu_kinfo);
	struct cpu_blob_hdr h = { 0 };
	char *b = malloc(sizeof(h) + kbytes + solen);
	int ret = 0;

	if (!b)
		return -ENOMEM;
	memcpy(h.magic, CPU_BLOB_MAGIC, 8);
	h.kinfo_size = sizeof(struct vgpu_kinfo);
	h.nkernels = (uint32_t)sig->nkernels;
	h.helpers_use_barrier = sig->helpers_use_barrier;
	h.helpers_use_builtins = sig->helpers_use_builtins;
	h.so_len = solen;
	memcpy(b, &h, sizeof(h));
	if (kbytes)
		memcpy(b + sizeof(h), sig->kernels, kbytes);
	memcpy(b + sizeof(h) + kbytes, so, solen);
	*blob = b;
	*blob_len = sizeof(h) + kbytes + solen;
	if (nr_names) {	/* the name expressions travel with the image: x<i> */
		struct vgpu_lowered *t = calloc(nr_names, sizeof(*t));
		char (*ids)[16] = calloc(nr_names, sizeof(*ids));
		void *packed = NULL;
		size_t plen = 0;

		ret = t && ids ? 0 : -ENOMEM;
		for (int i = 0; !ret && i < nr_names; i++) {
			snprintf(ids[i], sizeof(ids[i]), "x%d", i);
			t[i].expr = names[i];
			t[i].lowered = ids[i];
		}
		ret = ret ?: vgpu_names_pack(t, nr_names, *blob, *blob_len, &packed, &plen);
		free(t);
		free(ids);
		free(*blob);
		*blob = packed;
		*blob_len = plen;
	}
	return ret;
}

/* one compile with the system C++ compiler: its files and command line */
struct gxx_job {
	const struct vgpu_bk_source *s;
	char dir[4096], cpp[4200], so[4200], inc[4200], mflag[128];
	const char *argv[64 + 2 * 64];
	struct vgpu_sbuf ign;		/* the options it ignored, for the log */
};

/* a temporary directory with the device headers every backend has (devsig.c) */
static int gxx_dir(struct gxx_job *j)
{
	int ret = vgpu_cpu_tmpdir(j->dir, sizeof(j->dir));

	if (ret)
		return ret;
	snprintf(j->cpp, sizeof(j->cpp), "%s/k.cpp", j->dir);
	snprintf(j->so, sizeof(j->so), "%s/k.so", j->dir);
	snprintf(j->inc, sizeof(j->inc), "%s/inc", j->dir);
	ret = write_headers(j->inc);
	if (ret)
		vgpu_bk_seterr("cpu: cannot write the device headers into %s: %s", j->inc, strerror(-ret));
	return ret;
}

/* the files of @j gone, unless VGPU_CPU_KEEP_TMP (debugging: keep k.cpp and k.so) */
static void gxx_cleanup(struct gxx_job *j)
{
	bool keep;

	if (!j->dir[0] || (!vgpu_env_bool("VGPU_CPU_KEEP_TMP", &keep) && keep))
		return;
	unlink(j->cpp);
	unlink(j->so);
	for (int i = 0; vgpu_devheaders[i].name; i++) {
		char h[4400];

		snprintf(h, sizeof(h), "%s/%s", j->inc, vgpu_devheaders[i].name);
		unlink(h);
	}
	rmdir(j->inc);
	rmdir(j->dir);
}

/* fission unless off in the environment or by -D__VGPU_NO_FISSION */
static bool want_fission(const struct vgpu_bk_source *s)
{
	bool fission = fission_on;

	for (int i = 0; i < s->nr_options; i++)
		if (s->options[i] && (!strcmp(s->options[i], "-D__VGPU_NO_FISSION") ||
				      (!strcmp(s->options[i], "-D") && i + 1 < s->nr_options &&
				       s->options[i + 1] && !strcmp(s->options[i + 1], "__VGPU_NO_FISSION"))))
			fission = false;
	return fission;
}

/* the translation unit into k.cpp; *@nsplit kernels rewritten by fission */
static int gxx_write_tu(struct gxx_job *j, bool fission, int *nsplit)
{
	struct vgpu_sbuf tu = { 0 };
	int fd, ret = make_tu(j->s, &tu, fission, nsplit);

	if (ret)
		goto out;
	fd = open(j->cpp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = vgpu_write_all(fd, tu.p, tu.n);
	close(fd);
out:
	free(tu.p);
	return ret;
}

/*
 * The command line: fixed flags, VGPU_CXXFLAGS (part of the cache key), the
 * source's -D/-U/-I/-O and fast-math options (others ignored, said in the
 * log), the device headers.
 */
static void gxx_argv(struct gxx_job *j)
{
	static __thread char extra[1024];
	static const char *const fixed[] = {
		"-std=c++17", "-O3", NULL /* -march */, "-fPIC", "-shared", "-fvisibility=hidden",
		"-fno-exceptions", "-fno-rtti", "-fno-math-errno",
		"-fno-trapping-math",	/* GPUs do not trap: lets if-conversion vectorize */
		"-fno-plt",
	};
	const struct vgpu_bk_source *s = j->s;
	const char *e = getenv("VGPU_CXXFLAGS");
	char *save = NULL, *tok;
	int argc = 0;

	j->ign.n = 0;
	snprintf(j->mflag, sizeof(j->mflag), "-march=%s", march());
	j->argv[argc++] = cxx();
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		j->argv[argc++] = fixed[i] ? fixed[i] : j->mflag;
	snprintf(extra, sizeof(extra), "%s", e ? e : "");
	for (tok = strtok_r(extra, " \t", &save); tok && argc < 40; tok = strtok_r(NULL, " \t", &save))
		j->argv[argc++] = tok;
	for (int i = 0; i < s->nr_options && argc < 120; i++) {
		const char *o = s->options[i];

		if (!o)
			continue;
		if (!strncmp(o, "-D", 2) || !strncmp(o, "-U", 2) || !strncmp(o, "-I", 2) ||
		    !strncmp(o, "-O", 2)) {
			j->argv[argc++] = o;
			if ((!strcmp(o, "-D") || !strcmp(o, "-I") || !strcmp(o, "-U")) &&
			    i + 1 < s->nr_options)
				j->argv[argc++] = s->options[++i];
		} else if (!strcmp(o, "--use_fast_math") || !strcmp(o, "-use_fast_math")) {
			j->argv[argc++] = "-ffast-math";
		} else {
			vgpu_sb_printf(&j->ign, "cpu: ignored option %s\n", o);
		}
	}
	j->argv[argc++] = "-I";
	j->argv[argc++] = j->inc;
	j->argv[argc++] = "-o";
	j->argv[argc++] = j->so;
	j->argv[argc++] = j->cpp;
	j->argv[argc] = NULL;
}

/* run the compiler on k.cpp: its exit status (-ENODEV: not run), *@log what it and we said */
static int gxx_run(struct gxx_job *j, char **log)
{
	struct vgpu_sbuf l = { 0 };
	char *out = NULL;
	int ret;

	gxx_argv(j);
	ret = vgpu_cpu_run((char *const *)j->argv, &out);
	if (ret < 0) {
		vgpu_bk_seterr("cpu: cannot run the C++ compiler %s: %s", cxx(), strerror(-ret));
		free(out);
		return -ENODEV;
	}
	if (j->ign.p)
		vgpu_sb_add(&l, j->ign.p, j->ign.n);
	if (out)
		vgpu_sb_add(&l, out, strlen(out));
	free(out);
	*log = l.p;
	return ret;
}

/* k.so into an image */
static int gxx_image(struct gxx_job *j, void **blob, size_t *blob_len)
{
	void *sobytes = NULL;
	size_t solen = 0;
	int ret = vgpu_cpu_read_file(j->so, &sobytes, &solen);

	if (!ret)
		ret = vgpu_cpu_blob(j->s->sig, sobytes, solen, j->s->names, j->s->nr_names, blob,
				    blob_len);
	free(sobytes);
	return ret;
}

/* the g++ path: the kernels rewritten (fission) if the compiler takes them, else as written */
static int gxx_compile(const struct vgpu_bk_source *s, void **blob, size_t *blob_len, char **log)
{
	struct gxx_job *j = calloc(1, sizeof(*j));
	bool fission;
	int ret, nsplit = 0;

	if (!j)
		return -ENOMEM;
	j->s = s;
	ret = gxx_dir(j);
	if (ret)
		goto out;
	pthread_once(&ident_once, ident_init);
	for (fission = want_fission(s);; fission = false) {
		ret = gxx_write_tu(j, fission, &nsplit);
		if (!ret)
			ret = gxx_run(j, log);
		if (ret <= 0 || !nsplit || !fission)
			break;
		/* a rewrite the compiler refused: the kernels as written, on fibers */
		free(*log);
		*log = NULL;
	}
	if (ret > 0) {
		vgpu_bk_seterr("cpu: %s failed (exit %d)", cxx(), ret);
		ret = -ENOEXEC;
	}
	if (!ret)
		ret = gxx_image(j, blob, blob_len);
out:
	gxx_cleanup(j);
	free(j->ign.p);
	free(j);
	return ret;
}

int vgpu_cpu_compile(void *ctx, const struct vgpu_bk_source *s, void **blob, size_t *blob_len,
		     char **log)
{
	(void)ctx;
	if (vgpu_cpu_use_clang())
		return vgpu_cpu_clang_compile(s, blob, blob_len, log);
	*blob = NULL;
	*log = NULL;
	return gxx_compile(s, blob, blob_len, log);
}
