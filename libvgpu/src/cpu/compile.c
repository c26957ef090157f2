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

/* the first 8 bytes of the SHA-256 of @s (cache keys) */
unsigned long long vgpu_cpu_hash(const char *s)
{
	struct vgpu_sha256 c;
	uint8_t d[32];
	unsigned long long h = 0;

	vgpu_sha256_init(&c);
	vgpu_sha256_update(&c, s, strlen(s));
	vgpu_sha256_final(&c, d);
	for (int i = 0; i < 8; i++)
		h = h << 8 | d[i];
	return h;
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
	char *ver = NULL, *mach = NULL;
	char *const a1[] = { (char *)cxx(), "-dumpfullversion", "-dumpversion", NULL };
	char *const a2[] = { (char *)cxx(), "-dumpmachine", NULL };
	char cpu[256] = "", flags[2048] = "";
	FILE *f;

	fission_on = fission_env();
	if (vgpu_cpu_run(a1, &ver) != 0) {
		free(ver);
		ver = NULL;
	}
	if (vgpu_cpu_run(a2, &mach) != 0) {
		free(mach);
		mach = NULL;
	}
	if (ver)
		ver[strcspn(ver, "\n")] = 0;
	if (mach)
		mach[strcspn(mach, "\n")] = 0;
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

/*
 * Build the C++ translation unit. With @fission, kernels with barriers in
 * structured positions are rewritten into loops over threads (parse.c);
 * *@nsplit counts them.
 */
static int make_tu(const struct vgpu_bk_source *s, struct vgpu_sbuf *tu, bool fission, int *nsplit)
{
	const struct vgpu_ksig *sig = s->sig;
	const char *fname = s->name ? s->name : "kernel.cu";
	bool *defined = calloc(sig->nkernels ? sig->nkernels : 1, 2 * sizeof(bool));
	bool *split = defined + (sig->nkernels ? sig->nkernels : 1);
	size_t pos = 0;
	int si = 0, xi = 0;

	*nsplit = 0;
	if (!defined)
		return -ENOMEM;
	vgpu_sb_add(tu, vgpu_cpu_prelude, strlen(vgpu_cpu_prelude));
	/* the compiler's signatures (core/devsig.c); kernels here take the builtins first */
	vgpu_sb_str(tu, vgpu_devsig_prelude);
	vgpu_sb_str(tu, "template <class... A> struct __vgpu_sigT<void (*)(__vgpu_idx3, __vgpu_idx3, "
		    "__vgpu_idx3, __vgpu_idx3, A...)> : __vgpu_sigT<void (*)(A...)> {};\n");
	vgpu_sb_printf(tu, "\n#line 1 \"%s\"\n", fname);
	/* sites and xshared are each sorted by position; merge them */
	while (si < sig->nsites || xi < sig->nxshared) {
		bool take_site = xi >= sig->nxshared ||
			(si < sig->nsites && sig->sites[si].begin < sig->xshared[xi].begin);

		if (take_site) {
			const struct vgpu_ksite *st = &sig->sites[si++];
			const struct vgpu_kinfo *k = &sig->kernels[st->kernel];
			int nl = 0;

			if (st->begin < pos)
				continue;
			vgpu_sb_add(tu, s->src + pos, st->begin - pos);
			for (size_t i = st->begin; i < st->lparen; i++)
				nl += s->src[i] == '\n';
			vgpu_sb_printf(tu, "__VGPU_KHEAD __vgpu_k_%s(__VGPU_KPARAMS", k->name);
			while (nl--)
				vgpu_sb_add(tu, "\n", 1);
			if (!st->void_params) {
				vgpu_sb_add(tu, ", ", 2);
				vgpu_sb_add(tu, s->src + st->lparen + 1, st->rparen - st->lparen - 1);
			} else {
				for (size_t i = st->lparen; i < st->rparen; i++)
					if (s->src[i] == '\n')
						vgpu_sb_add(tu, "\n", 1);
			}
			vgpu_sb_add(tu, ")", 1);
			pos = st->rparen + 1;
			if (has_body(s->src, s->len, st->rparen)) {
				char *body = NULL;
				const char *why = NULL;
				size_t end = 0;
				int r = 1;

				defined[st->kernel] = true;
				if (fission && k->uses_barrier && !split[st->kernel])
					r = vgpu_fission(s->src, s->len, sig, st, fname, &body, &end, &why);
				if (r < 0) {
					free(defined);
					return r;
				}
				if (r == 1 && why)	/* for VGPU_CPU_KEEP_TMP readers */
					vgpu_sb_printf(tu, " /* libvgpu: %s runs on fibers: %s */", k->name, why);
				if (r == 0) {
					size_t lb = pos;

					while (s->src[lb] != '{')
						lb++;
					vgpu_sb_add(tu, s->src + pos, lb - pos);
					vgpu_sb_add(tu, body, strlen(body));
					vgpu_sb_printf(tu, "\n#line %d \"%s\"\n", line_at(s->src, end), fname);
					free(body);
					pos = end + 1;
					split[st->kernel] = true;
					(*nsplit)++;
				}
			}
		} else {
			const struct vgpu_xshared *x = &sig->xshared[xi++];

			if (x->begin < pos)
				continue;
			vgpu_sb_add(tu, s->src + pos, x->begin - pos);
			if (x->depth > 0) {
				int nl = 0;

				for (size_t i = x->begin; i < x->end; i++)
					nl += s->src[i] == '\n';
				vgpu_sb_printf(tu, "%s *const %s = (%s *)__vgpu_dsmem;", x->type, x->name,
					  x->type);
				while (nl--)
					vgpu_sb_add(tu, "\n", 1);
			} else {
				vgpu_sb_printf(tu, "\n#undef %s\n#define %s ((%s *)__vgpu_dsmem)\n#line %d \"%s\"\n",
					  x->name, x->name, x->type, x->line_after, fname);
			}
			pos = x->end;
		}
	}
	vgpu_sb_add(tu, s->src + pos, s->len - pos);
	vgpu_sb_add(tu, "\n\n/* libvgpu wrappers */\n", 24);
	for (int k = 0; k < sig->nkernels; k++) {
		const struct vgpu_kinfo *ki = &sig->kernels[k];

		/* templates and kernels in namespaces: by name expression below */
		if (!defined[k] || ki->is_template || (ki->qual[0] && strcmp(ki->qual, ki->name)))
			continue;
		if (split[k])
			vgpu_sb_printf(tu, "__VGPU_KERNEL_SPLIT(%s, %s)\n", ki->name,
				  sig->helpers_use_builtins ? "true" : "false");
		else if (ki->uses_barrier)
			vgpu_sb_printf(tu, "__VGPU_KERNEL_THREAD(%s, %s)\n", ki->name,
				  sig->helpers_use_builtins ? "true" : "false");
		else
			vgpu_sb_printf(tu, "__VGPU_KERNEL_BLOCKS(%s, %s)\n", ki->name,
				  sig->helpers_use_builtins ? "true" : "false");
	}
	/* every name expression (core: kernels by qualified name, the caller's
	 * template instantiations): wrappers numbered like s->names */
	for (int i = 0; i < s->nr_names; i++) {
		const char *e = s->names[i];
		size_t lt = strcspn(e, "<"), id = lt;
		const struct vgpu_kinfo *ki;
		char base[VGPU_KNAME_MAX];
		int k;

		while (id > 0 && (isalnum((unsigned char)e[id - 1]) || e[id - 1] == '_'))
			id--;
		snprintf(base, sizeof(base), "%.*s", (int)(lt - id), e + id);
		ki = vgpu_ksig_find(sig, base);
		k = ki ? (int)(ki - sig->kernels) : -1;
		vgpu_sb_printf(tu, "__VGPU_KERNEL_%s_X(%d, %s, %.*s__vgpu_k_%s)\n",
			       k >= 0 && split[k] ? "SPLIT" : ki && ki->uses_barrier ? "THREAD" : "BLOCKS",
			       i, sig->helpers_use_builtins ? "true" : "false", (int)id, e, e + id);
	}
	vgpu_devsig_emit(tu, s->names, s->nr_names, "__attribute__((visibility(\"default\")))",
			 "__vgpu_k_");
	free(defined);
	return tu->oom ? -ENOMEM : 0;
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

int vgpu_cpu_compile(void *ctx, const struct vgpu_bk_source *s, void **blob, size_t *blob_len,
		       char **log)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], cpp[4200], so[4200], inc[4200], mflag[128];
	const char *argv[64 + 2 * 64];
	struct vgpu_sbuf tu = { 0 }, ign = { 0 };
	int argc = 0, ret, fd, nsplit = 0;
	bool fission, keep;
	void *sobytes = NULL;
	size_t solen = 0;
	char *out = NULL;

	(void)ctx;
	if (vgpu_cpu_use_clang())
		return vgpu_cpu_clang_compile(s, blob, blob_len, log);
	*blob = NULL;
	*log = NULL;
	snprintf(dir, sizeof(dir), "%s/vgpu-cc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		ret = -errno;
		vgpu_bk_seterr("cpu: cannot create a temporary directory: %s", strerror(errno));
		return ret;
	}
	snprintf(cpp, sizeof(cpp), "%s/k.cpp", dir);
	snprintf(so, sizeof(so), "%s/k.so", dir);
	snprintf(inc, sizeof(inc), "%s/inc", dir);
	ret = write_headers(inc);
	if (ret) {
		vgpu_bk_seterr("cpu: cannot write the device headers into %s: %s", inc, strerror(-ret));
		goto out;
	}
	pthread_once(&ident_once, ident_init);
	fission = fission_on;
	for (int i = 0; i < s->nr_options; i++)
		if (s->options[i] && (!strcmp(s->options[i], "-D__VGPU_NO_FISSION") ||
				      (!strcmp(s->options[i], "-D") && i + 1 < s->nr_options &&
				       s->options[i + 1] && !strcmp(s->options[i + 1], "__VGPU_NO_FISSION"))))
			fission = false;
again:
	tu.n = 0;
	ret = make_tu(s, &tu, fission, &nsplit);
	if (ret)
		goto out;
	fd = open(cpp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = vgpu_write_all(fd, tu.p, tu.n);
	close(fd);
	if (ret)
		goto out;

	argc = 0;
	ign.n = 0;
	snprintf(mflag, sizeof(mflag), "-march=%s", march());
	argv[argc++] = cxx();
	argv[argc++] = "-std=c++17";
	argv[argc++] = "-O3";
	argv[argc++] = mflag;
	argv[argc++] = "-fPIC";
	argv[argc++] = "-shared";
	argv[argc++] = "-fvisibility=hidden";
	argv[argc++] = "-fno-exceptions";
	argv[argc++] = "-fno-rtti";
	argv[argc++] = "-fno-math-errno";
	argv[argc++] = "-fno-trapping-math";	/* GPUs do not trap: lets if-conversion vectorize */
	argv[argc++] = "-fno-plt";
	{	/* extra flags from the environment (part of the cache key) */
		static __thread char extra[1024];
		const char *e = getenv("VGPU_CXXFLAGS");
		char *save = NULL, *tok;

		snprintf(extra, sizeof(extra), "%s", e ? e : "");
		for (tok = strtok_r(extra, " \t", &save); tok && argc < 40;
		     tok = strtok_r(NULL, " \t", &save))
			argv[argc++] = tok;
	}
	for (int i = 0; i < s->nr_options && argc < 120; i++) {
		const char *o = s->options[i];

		if (!o)
			continue;
		if (!strncmp(o, "-D", 2) || !strncmp(o, "-U", 2) || !strncmp(o, "-I", 2) ||
		    !strncmp(o, "-O", 2)) {
			argv[argc++] = o;
			if ((!strcmp(o, "-D") || !strcmp(o, "-I") || !strcmp(o, "-U")) &&
			    i + 1 < s->nr_options)
				argv[argc++] = s->options[++i];
		} else if (!strcmp(o, "--use_fast_math") || !strcmp(o, "-use_fast_math")) {
			argv[argc++] = "-ffast-math";
		} else {
			vgpu_sb_printf(&ign, "cpu: ignored option %s\n", o);
		}
	}
	argv[argc++] = "-I";		/* the device headers every backend has (devsig.c) */
	argv[argc++] = inc;
	argv[argc++] = "-o";
	argv[argc++] = so;
	argv[argc++] = cpp;
	argv[argc] = NULL;
	ret = vgpu_cpu_run((char *const *)argv, &out);
	if (ret < 0) {
		vgpu_bk_seterr("cpu: cannot run the C++ compiler %s: %s", cxx(), strerror(-ret));
		ret = -ENODEV;
		goto out;
	}
	{
		struct vgpu_sbuf l = { 0 };

		if (ign.p)
			vgpu_sb_add(&l, ign.p, ign.n);
		if (out)
			vgpu_sb_add(&l, out, strlen(out));
		*log = l.p;
	}
	if (ret != 0 && nsplit) {
		/* a rewrite the compiler refused: the kernels as written, on fibers */
		free(out);
		out = NULL;
		free(*log);
		*log = NULL;
		fission = false;
		goto again;
	}
	if (ret != 0) {
		vgpu_bk_seterr("cpu: %s failed (exit %d)", cxx(), ret);
		ret = -ENOEXEC;
		goto out;
	}
	ret = vgpu_cpu_read_file(so, &sobytes, &solen);
	if (ret)
		goto out;
	ret = vgpu_cpu_blob(s->sig, sobytes, solen, s->names, s->nr_names, blob, blob_len);
	if (ret)
		goto out;
	ret = 0;
out:
	free(out);
	free(ign.p);
	free(tu.p);
	free(sobytes);
	if (vgpu_env_bool("VGPU_CPU_KEEP_TMP", &keep) || !keep) {	/* debugging: keep k.cpp and k.so */
		unlink(cpp);
		unlink(so);
		for (int i = 0; vgpu_devheaders[i].name; i++) {
			char h[4400];

			snprintf(h, sizeof(h), "%s/%s", inc, vgpu_devheaders[i].name);
			unlink(h);
		}
		rmdir(inc);
		rmdir(dir);
	}
	return ret;
}
