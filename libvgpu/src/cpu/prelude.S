/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Embed prelude.hpp as a NUL-terminated string (hidden). */
	.section .rodata
	.globl vgpu_cpu_prelude
	.hidden vgpu_cpu_prelude
	.type vgpu_cpu_prelude, @object
vgpu_cpu_prelude:
	.incbin PRELUDE_PATH
	.byte 0
	.size vgpu_cpu_prelude, .-vgpu_cpu_prelude
	.section .note.GNU-stack,"",@progbits
