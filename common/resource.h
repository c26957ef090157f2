/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The names of the ledger's resources, as every userspace part of vgpu
 * prints them (vgpuctl, the exporter, libvgpu's statistics, the preload,
 * the examples). Indexed by enum vgpu_resource of <linux/vgpu.h>; libvgpu's
 * VGPU_LIB_RES_* have the same order.
 */
#ifndef VGPU_COMMON_RESOURCE_H
#define VGPU_COMMON_RESOURCE_H

#include <linux/vgpu.h>

/* vgpu_res_name - "memory", "pinned", "contexts", "compute"; "?" if unknown */
static inline const char *vgpu_res_name(unsigned int res)
{
	static const char *const names[VGPU_RES_NR] = {
		[VGPU_RES_MEMORY] = "memory",
		[VGPU_RES_PINNED] = "pinned",
		[VGPU_RES_CONTEXTS] = "contexts",
		[VGPU_RES_COMPUTE] = "compute",
	};

	return res < VGPU_RES_NR && names[res] ? names[res] : "?";
}

#endif /* VGPU_COMMON_RESOURCE_H */
