/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VGPU_SHA256_H
#define VGPU_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4), internal to libvgpu. */
#define VGPU_SHA256_API __attribute__((visibility("hidden")))

struct vgpu_sha256 {
	uint32_t h[8];
	uint64_t nbytes;
	uint8_t buf[64];
	size_t nbuf;
};
void vgpu_sha256_init(struct vgpu_sha256 *s) VGPU_SHA256_API;
void vgpu_sha256_update(struct vgpu_sha256 *s, const void *data, size_t len) VGPU_SHA256_API;
void vgpu_sha256_final(struct vgpu_sha256 *s, uint8_t out[32]) VGPU_SHA256_API;
void vgpu_sha256(const void *data, size_t len, uint8_t out[32]) VGPU_SHA256_API;

#endif /* VGPU_SHA256_H */
