/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Barrier fission (parse.c): rewrite the body of a kernel whose
 * __syncthreads() calls are all in structured positions (top level of the
 * body, or top level of block-uniform for/while loops at top level) into
 * loops over the threads of a block, one per region between barriers.
 */
#ifndef VGPU_FISSION_H
#define VGPU_FISSION_H

#include "backend.h"

/*
 * vgpu_fission - transformed body of the kernel declared at @site
 * @src, @len: the whole source
 * @sig: its parse (extern __shared__ declarations)
 * @site: the kernel's declaration (must have a body)
 * @fname: file name for #line directives
 * @out: malloc()ed text replacing the body from its '{' to its '}' included
 * @body_end: index of the body's closing '}' in @src
 *
 * Return: 0 done; 1 the kernel is not in a shape this handles (run it on
 * fibers), *@why then says why; negative errno on failure.
 */
int vgpu_fission(const char *src, size_t len, const struct vgpu_ksig *sig,
		 const struct vgpu_ksite *site, const char *fname, char **out,
		 size_t *body_end, const char **why) VGPU_INTERNAL;

#endif
