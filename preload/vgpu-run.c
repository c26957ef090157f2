// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vgpu-run - run an unmodified CUDA program under a guest's books.
 *
 *   vgpu-run [--guest NAME] [--device-ledger|--in-process] [--mem SIZE]
 *            [--pinned SIZE] [--contexts N] [--stats FILE] [--log LEVEL]
 *            [--preload PATH] [--] CMD [ARGS...]
 *
 * Checks that the guest's ledger opens (libvgpu's ledger code: /dev/vgpu, or
 * the in-process ledger), then executes CMD with libvgpu-preload.so in
 * LD_PRELOAD and the guest in the environment. Exit status: CMD's, or 125
 * when vgpu-run itself fails, 126 when CMD cannot run, 127 when it is not
 * found (as env(1) and nice(1) do).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vgpu.h>

#include "common/size.h"
#include "core/internal.h"

static const char usage[] =
	"usage: vgpu-run [--guest NAME] [--device-ledger|--in-process] [--mem SIZE]\n"
	"                [--pinned SIZE] [--contexts N] [--compute PCT] [--stats FILE]\n"
	"                [--log LEVEL] [--preload PATH] [--] CMD [ARGS...]\n"
	"Runs CMD with libvgpu-preload.so: its CUDA contexts, device memory, pinned\n"
	"host memory and GPU time are charged to guest NAME (default: $VGPU_GUEST).\n"
	"  --device-ledger  the kernel's books (/dev/vgpu); limits are the guest's,\n"
	"                   set by the administrator (vgpuctl guest set)\n"
	"  --in-process     books kept in each process, limits from the options below\n"
	"  (neither: /dev/vgpu when present, else in-process; limits imply --in-process)\n"
	"  --mem SIZE       device memory limit (e.g. 4G, 512M, unlimited)\n"
	"  --pinned SIZE    pinned host memory limit\n"
	"  --contexts N     context limit\n"
	"  --compute PCT    GPU time cap, percent of each period (1-100)\n"
	"  --stats FILE     each process writes its guest's books to FILE as JSON at exit\n"
	"  --log LEVEL      error, info or debug, on stderr (default: nothing)\n"
	"  --preload PATH   the library (default: next to vgpu-run, or ../lib/vgpu/)\n";

static int die(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "vgpu-run: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return 125;
}

static bool usable(const char *p)
{
	return p && p[0] == '/' && !strpbrk(p, ": \t\n") && access(p, R_OK) == 0;
}

/* the library: --preload, $VGPU_PRELOAD_LIB, next to us, ../lib/vgpu/ */
static int find_lib(const char *opt, char *out, size_t len)
{
	static const char *const rel[] = { "libvgpu-preload.so", "../lib/vgpu/libvgpu-preload.so",
					   "../lib/libvgpu-preload.so" };
	char self[PATH_MAX], cand[PATH_MAX + 64], real[PATH_MAX];
	const char *env = getenv("VGPU_PRELOAD_LIB");
	const char *dir;
	ssize_t n;

	if (opt || (env && *env)) {
		const char *p = opt ? opt : env;

		if (!realpath(p, real) || !usable(real))
			return -ENOENT;
		snprintf(out, len, "%s", real);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -ENOENT;
	self[n] = 0;
	dir = dirname(self);	/* once: dirname() writes into self */
	for (unsigned i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(cand, sizeof(cand), "%s/%s", dir, rel[i]);
		if (realpath(cand, real) && usable(real)) {
			snprintf(out, len, "%s", real);
			return 0;
		}
	}
	return -ENOENT;
}

/* what the command line asks for */
struct run_opts {
	const char *guest, *stats, *log, *pre;
	uint64_t compute;		/* percent, 0: none */
	struct vgpu_ledger_limits lim;
	int mode;			/* 0 any ledger, 1 in-process, 2 /dev/vgpu */
};

static const struct option opts[] = {
	{ "guest", required_argument, NULL, 'g' },
	{ "device-ledger", no_argument, NULL, 'D' },
	{ "in-process", no_argument, NULL, 'I' },
	{ "mem", required_argument, NULL, 'm' },
	{ "pinned", required_argument, NULL, 'p' },
	{ "contexts", required_argument, NULL, 'c' },
	{ "compute", required_argument, NULL, 'C' },
	{ "stats", required_argument, NULL, 's' },
	{ "log", required_argument, NULL, 'l' },
	{ "preload", required_argument, NULL, 'P' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* --mem, --pinned, --contexts: a size or a count */
static int parse_limit(struct run_opts *o, int res, const char *arg)
{
	if ((res == VGPU_LIB_RES_CONTEXTS ? vgpu_parse_count(arg, &o->lim.limit[res]) :
	     vgpu_parse_size(arg, &o->lim.limit[res])) != VGPU_PARSE_OK)
		return die("%s: not a size or count: '%s'", opts[res + 3].name, arg);
	o->lim.set = true;
	return 0;
}

/* the options into @o; -1: go on, else the exit status */
static int parse_args(int argc, char **argv, struct run_opts *o)
{
	int c;

	o->guest = getenv("VGPU_GUEST");
	for (int r = 0; r < VGPU_LIB_RES_NR; r++)
		o->lim.limit[r] = VGPU_UNLIMITED;
	while ((c = getopt_long(argc, argv, "+g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'g': o->guest = optarg; break;
		case 'D': o->mode = 2; break;
		case 'I': o->mode = 1; break;
		case 'm': if (parse_limit(o, VGPU_LIB_RES_MEMORY, optarg)) return 125; break;
		case 'p': if (parse_limit(o, VGPU_LIB_RES_PINNED, optarg)) return 125; break;
		case 'c': if (parse_limit(o, VGPU_LIB_RES_CONTEXTS, optarg)) return 125; break;
		case 'C':
			if (vgpu_parse_count(optarg, &o->compute) != VGPU_PARSE_OK || !o->compute ||
			    o->compute > 100)
				return die("compute: not a percentage from 1 to 100: '%s'%s", optarg, "");
			o->lim.set = true;
			break;
		case 's': o->stats = optarg; break;
		case 'l': o->log = optarg; break;
		case 'P': o->pre = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 125;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 125;
	}
	return -1;
}

/* the options that do not go together; -1: fine, else the exit status */
static int check_args(struct run_opts *o)
{
	const char *log = o->log;

	if (!o->guest || !*o->guest)
		return die("no guest: give --guest NAME or set VGPU_GUEST%s%s", "", "");
	if (strlen(o->guest) >= VGPU_NAME_MAX)
		return die("guest name '%s' is too long%s", o->guest, "");
	if (log && strcmp(log, "error") && strcmp(log, "info") && strcmp(log, "debug"))
		return die("--log: '%s' is not error, info or debug%s", log, "");
	if (o->lim.set) {
		if (o->mode == 2)
			return die("limits of a /dev/vgpu guest are the administrator's "
				   "(vgpuctl guest set %s ...); drop --mem/--pinned/--contexts/--compute%s",
				   o->guest, "");
		o->mode = 1;
	}
	return -1;
}

/* the guest's ledger opened once now (else every allocation of CMD would be
 * refused), its kind and limits for the preload in the environment */
static int ledger_env(const struct run_opts *o)
{
	static const char *const lim_env[VGPU_LIB_RES_NR] = {
		"VGPU_MEM_LIMIT", "VGPU_PINNED_LIMIT", "VGPU_CONTEXT_LIMIT"
	};
	struct vgpu_lib_ledger *l;
	char why[256], num[32];
	int ret;

	if (o->compute) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)o->compute);
		setenv("VGPU_COMPUTE_LIMIT", num, 1);
	} else if (o->lim.set) {
		unsetenv("VGPU_COMPUTE_LIMIT");
	}
	unsetenv("VGPU_LEDGER");
	ret = vgpu_ledger_open(&l, o->guest, o->mode, &o->lim, why, sizeof(why));
	if (ret)
		return die("guest '%s': %s", o->guest, why[0] ? why : strerror(-ret));
	setenv("VGPU_LEDGER", vgpu_ledger_is_kernel(l) ? "device" : "inprocess", 1);
	vgpu_ledger_close(l);
	setenv("VGPU_GUEST", o->guest, 1);
	for (int r = 0; r < VGPU_LIB_RES_NR; r++) {
		if (!o->lim.set) {
			unsetenv(lim_env[r]);
			continue;
		}
		if (o->lim.limit[r] == VGPU_UNLIMITED)
			snprintf(num, sizeof(num), "unlimited");
		else
			snprintf(num, sizeof(num), "%llu", (unsigned long long)o->lim.limit[r]);
		setenv(lim_env[r], num, 1);
	}
	return -1;
}

/* @lib first in LD_PRELOAD; -1: done, else the exit status */
static int preload_env(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *ldp;

	if (!old || !*old) {
		setenv("LD_PRELOAD", lib, 1);
		return -1;
	}
	if (asprintf(&ldp, "%s:%s", lib, old) < 0)
		return die("out of memory%s%s", "", "");
	setenv("LD_PRELOAD", ldp, 1);
	free(ldp);
	return -1;
}

int main(int argc, char **argv)
{
	struct run_opts o = { .lim = { .set = false } };
	char lib[PATH_MAX];
	int ret = parse_args(argc, argv, &o);

	if (ret < 0)
		ret = check_args(&o);
	if (ret >= 0)
		return ret;
	if (find_lib(o.pre, lib, sizeof(lib)))
		return die("libvgpu-preload.so not found (%s); give --preload PATH",
			   o.pre ? o.pre : "next to vgpu-run or in ../lib/vgpu", "");
	ret = ledger_env(&o);
	if (ret >= 0)
		return ret;
	if (o.stats)
		setenv("VGPU_PRELOAD_STATS", o.stats, 1);
	if (o.log)
		setenv("VGPU_PRELOAD_LOG", o.log, 1);
	ret = preload_env(lib);
	if (ret >= 0)
		return ret;
	execvp(argv[optind], argv + optind);
	ret = errno;
	fprintf(stderr, "vgpu-run: %s: %s\n", argv[optind], strerror(ret));
	return ret == ENOENT ? 127 : 126;
}
