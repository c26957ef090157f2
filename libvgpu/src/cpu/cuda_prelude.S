/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Embed cuda.h (the clang path's device runtime) as a NUL-terminated string (hidden). */
	.section .rodata
	.globl vgpu_cpu_cuda_prelude
	.hidden vgpu_cpu_cuda_prelude
	.type vgpu_cpu_cuda_prelude, @object
vgpu_cpu_cuda_prelude:
	.incbin CUDA_PRELUDE_PATH
	.byte 0
	.size vgpu_cpu_cuda_prelude, .-vgpu_cpu_cuda_prelude
	.section .note.GNU-stack,"",@progbits
