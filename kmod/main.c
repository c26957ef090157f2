// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu: per-guest accounting of GPU contexts, device memory, long-term pinned
 * host memory and GPU time. Module setup: /dev/vgpu and the "vgpu" generic
 * netlink family. See Documentation/userspace-api/vgpu.rst.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "vgpu.h"

unsigned int vgpu_max_contexts = 64;
module_param_named(max_contexts, vgpu_max_contexts, uint, 0444);
MODULE_PARM_DESC(max_contexts, "contexts one session may hold (default 64)");

unsigned int vgpu_max_charges = 4096;
module_param_named(max_charges, vgpu_max_charges, uint, 0444);
MODULE_PARM_DESC(max_charges,
		 "memory charges one session may hold (default 4096)");

unsigned int vgpu_max_pins = 1024;
module_param_named(max_pins, vgpu_max_pins, uint, 0444);
MODULE_PARM_DESC(max_pins, "pins one session may hold (default 1024)");

atomic_t vgpu_nr_sessions = ATOMIC_INIT(0);
atomic64_t vgpu_nr_limit_hits = ATOMIC64_INIT(0);
atomic64_t vgpu_nr_events = ATOMIC64_INIT(0);
atomic64_t vgpu_nr_events_dropped = ATOMIC64_INIT(0);

/*
 * root:root 0660: only whom the administrator lets in may open it (the
 * packaged udev rule gives it to group "vgpu"); access to a guest is then
 * checked at attach. An open file blocks rmmod and counts as a session.
 */
static struct miscdevice vgpu_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vgpu",
	.fops = &vgpu_fops,
	.mode = 0660,
};

/*
 * The device node comes last: once it exists, a process may open it and
 * hold the module, so nothing after it may fail.
 */
static int __init vgpu_init(void)
{
	int ret;

	ret = vgpu_session_cache_init();
	if (ret)
		return ret;
	ret = vgpu_nl_register();
	if (ret)
		goto destroy_cache;
	ret = misc_register(&vgpu_misc);
	if (ret)
		goto unregister_nl;
	return 0;

unregister_nl:
	vgpu_nl_unregister();
destroy_cache:
	vgpu_session_cache_exit();
	return ret;
}

static void __exit vgpu_exit(void)
{
	misc_deregister(&vgpu_misc);
	vgpu_nl_unregister();
	/* open files pin the module: no session is left */
	vgpu_guests_free_all();
	vgpu_session_cache_exit();
}

module_init(vgpu_init);
module_exit(vgpu_exit);

MODULE_DESCRIPTION("vgpu: per-guest GPU resource accounting");
MODULE_AUTHOR("vgpu developers");
MODULE_LICENSE("GPL");
