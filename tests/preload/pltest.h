/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The preload tests' view of the books (vgpu_preload_usage, looked up in the
 * preloaded library) and where a function lives. TAP: common/tap.h.
 */
#ifndef PLTEST_H
#define PLTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tap.h"

#define MiB (1ull << 20)

#define PLT_UNUSED __attribute__((unused))

struct books {
	uint64_t used[3], peak[3], limit[3], hits[3];
	int kernel;
};

/* the guest's books through the preload; exits when it is not loaded */
static struct books books(void)
{
	static int (*fn)(uint64_t *, uint64_t *, uint64_t *, uint64_t *, int *);
	struct books b;

	memset(&b, 0, sizeof(b));
	if (!fn)
		fn = (int (*)(uint64_t *, uint64_t *, uint64_t *, uint64_t *, int *))
			dlsym(RTLD_DEFAULT, "vgpu_preload_usage");
	if (!fn || fn(b.used, b.peak, b.limit, b.hits, &b.kernel)) {
		printf("Bail out! libvgpu-preload is not loaded or has no guest\n");
		exit(2);
	}
	return b;
}

/* the file of the shared object holding @p ("" if none) */
PLT_UNUSED static const char *lib_of(const void *p)
{
	Dl_info di;

	return p && dladdr(p, &di) && di.dli_fname ? di.dli_fname : "";
}

PLT_UNUSED static const char *sym_of(const void *p)
{
	Dl_info di;

	return p && dladdr(p, &di) && di.dli_sname ? di.dli_sname : "";
}

PLT_UNUSED static int in_preload(const void *p)
{
	return strstr(lib_of(p), "libvgpu-preload") != NULL;
}

#endif
