/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* File I/O helpers of libvgpu (no dependency on the rest of the core). */
#ifndef VGPU_IO_H
#define VGPU_IO_H

#include <stddef.h>

/** vgpu_write_all - write all @n bytes of @p to @fd (EINTR retried); 0 or -errno */
int vgpu_write_all(int fd, const void *p, size_t n) __attribute__((visibility("hidden")));

#endif /* VGPU_IO_H */
