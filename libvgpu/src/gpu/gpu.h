/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the two GPU backends (cuda/, hip/) share: their vendor libraries
 * opened with dlopen(), vendor status codes turned into errnos, waiting for
 * a stream or an event under a deadline, and the runtime compiler's log.
 * The vendor calls stay in each backend; a vendor is described to these
 * helpers by struct vgpu_gpu_vendor.
 */
#ifndef VGPU_GPU_H
#define VGPU_GPU_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/**
 * struct vgpu_gpu_vendor - a GPU runtime as the shared helpers see it
 * @name: "cuda", "hip" (starts the error texts)
 * @ok: the status of success (CUDA_SUCCESS, hipSuccess)
 * @not_ready: the status of a query whose work is still running
 * @fail: set the backend error text for a failed status (vgpu_bk_seterr)
 *	and return its negative errno
 */
struct vgpu_gpu_vendor {
	const char *name;
	int ok, not_ready;
	int (*fail)(int status, const char *what);
};

/** struct vgpu_gpu_errno - one vendor status and the errno it means */
struct vgpu_gpu_errno {
	int status, err;
};

/* vgpu_gpu_errno - the errno of @status in @map (ended by err 0), else -EIO */
int vgpu_gpu_errno(const struct vgpu_gpu_errno *map, int status) VGPU_INTERNAL;

/* vgpu_gpu_sym - dlsym(); the first name not found is kept in *@missing */
void *vgpu_gpu_sym(void *lib, const char *name, const char **missing) VGPU_INTERNAL;

/* vgpu_gpu_open_first - dlopen() the first of @names (NULL-ended) that loads;
 * its name into @path */
void *vgpu_gpu_open_first(const char *const *names, char *path, size_t len) VGPU_INTERNAL;

/*
 * vgpu_gpu_wait - wait for a stream or an event
 * @query: the vendor's non-blocking query of @obj (a status)
 * @block: its blocking wait, used when @timeout_ns < 0 (NULL: poll then too)
 * @timeout_ns: < 0 forever; else poll: spin ~20 us, then sleep from 2 us
 *	doubling up to 1 ms, never past the deadline
 * Return: 0; -ETIME at the deadline (the work still runs); the errno of a
 * failed status (text set by @v->fail, naming @what).
 */
int vgpu_gpu_wait(const struct vgpu_gpu_vendor *v, int (*query)(void *obj),
		  int (*block)(void *obj), void *obj, int64_t timeout_ns,
		  const char *what) VGPU_INTERNAL;

/*
 * vgpu_gpu_log - the runtime compiler's log of @prog, malloc()ed (NULL: none)
 * @size, @get: the vendor's GetProgramLogSize / GetProgramLog (0: success)
 */
char *vgpu_gpu_log(void *prog, int (*size)(void *prog, size_t *n),
		   int (*get)(void *prog, char *log)) VGPU_INTERNAL;

#endif /* VGPU_GPU_H */
