// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu-charge - test helper: attach to a guest by name and charge device
 * memory through /dev/vgpu, reporting each result.
 *
 *   vgpu-charge [--hold] GUEST BYTES...
 *
 * Prints one line per charge: "charge BYTES ok handle H" or
 * "charge BYTES ERRNAME" (EDQUOT, ...). With --hold, prints "holding" and
 * keeps the session (and its charges) until SIGTERM or SIGINT.
 * Exit: 0 all charges ok, 3 some charge refused, 1 open/attach failed,
 * 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vgpu.h>

static const char *errname(int e)
{
	switch (e) {
	case EDQUOT: return "EDQUOT";
	case ENOSPC: return "ENOSPC";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOTCONN: return "ENOTCONN";
	case ENOTTY: return "ENOTTY";
	case E2BIG: return "E2BIG";
	case EFAULT: return "EFAULT";
	default: return strerror(e);
	}
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct vgpu_attach at;
	int fd, i = 1, hold = 0, refused = 0;

	if (argc > 1 && !strcmp(argv[1], "--hold")) {
		hold = 1;
		i++;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: vgpu-charge [--hold] GUEST BYTES...\n");
		return 2;
	}
	fd = open("/dev/vgpu", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("open %s\n", errname(errno));
		return 1;
	}
	memset(&at, 0, sizeof(at));
	at.size = sizeof(at);
	at.flags = VGPU_ATTACH_BY_NAME;
	if (strlen(argv[i]) >= sizeof(at.name)) {
		fprintf(stderr, "vgpu-charge: name too long\n");
		return 2;
	}
	strcpy(at.name, argv[i]);
	if (ioctl(fd, VGPU_IOC_ATTACH, &at)) {
		printf("attach %s\n", errname(errno));
		return 1;
	}
	printf("attached guest %u\n", at.guest_id);
	for (i++; i < argc; i++) {
		struct vgpu_mem_charge mc;

		memset(&mc, 0, sizeof(mc));
		mc.size = sizeof(mc);
		mc.bytes = strtoull(argv[i], NULL, 0);
		if (ioctl(fd, VGPU_IOC_MEM_CHARGE, &mc)) {
			printf("charge %llu %s\n", (unsigned long long)mc.bytes,
			       errname(errno));
			refused = 1;
		} else {
			printf("charge %llu ok handle %u\n",
			       (unsigned long long)mc.bytes, mc.handle);
		}
	}
	fflush(stdout);
	if (hold) {
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		printf("holding\n");
		fflush(stdout);
		while (!got_signal)
			pause();
	}
	close(fd);
	return refused ? 3 : 0;
}
