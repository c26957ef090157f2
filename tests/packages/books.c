// SPDX-License-Identifier: GPL-2.0
/*
 * books.c: the smallest libvgpu program of tests/packages: built against the
 * installed libvgpu-dev with "pkg-config --cflags --libs libvgpu", it opens a
 * session for guest argv[1] on the CPU backend (no GPU, no kernel to
 * compile), allocates 1 MiB of device memory and prints whose books carry
 * it: "ledger /dev/vgpu guest ID memory BYTES" (or "ledger in-process ...").
 */
#include <stdio.h>
#include <string.h>
#include <vgpu/libvgpu.h>

int main(int argc, char **argv)
{
	struct vgpu_session_opts o = { .size = sizeof(o), .backend = VGPU_BACKEND_CPU };
	struct vgpu_ledger_usage u = { .size = sizeof(u) };
	vgpu_session *s;
	vgpu_buffer *b;
	int e;

	if (argc != 2) {
		fprintf(stderr, "usage: %s GUEST\n", argv[0]);
		return 2;
	}
	o.guest = argv[1];
	e = vgpu_session_open(&s, &o);
	if (e) {
		fprintf(stderr, "vgpu_session_open(%s): %s: %s\n", argv[1], strerror(-e),
			vgpu_last_error(NULL));
		return 1;
	}
	e = vgpu_buffer_alloc(s, 1 << 20, &b);
	if (!e)
		e = vgpu_ledger_usage(s, &u);
	if (e) {
		fprintf(stderr, "vgpu_buffer_alloc/vgpu_ledger_usage: %s: %s\n", strerror(-e),
			vgpu_last_error(s));
		vgpu_session_close(s);
		return 1;
	}
	printf("ledger %s guest %u memory %llu\n", u.kernel ? "/dev/vgpu" : "in-process",
	       u.guest_id, (unsigned long long)u.used[VGPU_LIB_RES_MEMORY]);
	vgpu_buffer_free(b);
	return vgpu_session_close(s) ? 1 : 0;
}
