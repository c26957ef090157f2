// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvgpu loaded by dlopen (as Python's ctypes, a plugin host or a language
 * binding load it), not linked: the load must succeed (a library whose
 * thread-local variables use the initial-exec model gets their storage only
 * from the few hundred bytes glibc keeps spare, and fails to load when it
 * asks for more: "cannot allocate memory in static TLS block"), the
 * thread-local error texts stay each thread's own, and dlclose leaves the
 * library mapped (-z nodelete: its CPU workers and the state they share
 * outlive any one caller). This program is not linked against libvgpu.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <vgpu/libvgpu.h>

#include "common/tap.h"

static __typeof__(vgpu_session_open) *p_open;
static __typeof__(vgpu_session_close) *p_close;
static __typeof__(vgpu_last_error) *p_last_error;
static __typeof__(vgpu_session_backend) *p_backend;

/* a failed open on this thread, and what vgpu_last_error(NULL) says then */
static void *fail_open(void *arg)
{
	static char text[256];
	vgpu_session *s;
	int ret = p_open(arg ? &s : NULL, NULL);

	snprintf(text, sizeof(text), "%d %s", ret, p_last_error(NULL));
	return text;
}

/* a CPU session opened and closed on this thread */
static void *cpu_session(void *arg)
{
	struct vgpu_session_opts o = { .size = sizeof(o), .guest = "dlopen",
				       .flags = VGPU_SESSION_NO_DEVICE_LEDGER,
				       .backend = VGPU_BACKEND_CPU };
	vgpu_session *s = NULL;
	int ret = p_open(&s, &o);

	(void)arg;
	if (!ret) {
		ret = p_backend(s) == VGPU_BACKEND_CPU ? 0 : -EIO;
		p_close(s);
	}
	return (void *)(intptr_t)ret;
}

int main(void)
{
	struct vgpu_session_opts bad = { .size = sizeof(bad), .flags = 1u << 30 };
	vgpu_session *s = NULL;
	pthread_t t;
	void *r;
	char main_text[256];
	int ret;
	void *h = dlopen(LIBVGPU_PATH, RTLD_NOW | RTLD_LOCAL);

	tap_ok(h != NULL, "dlopen(%s) (%s)", LIBVGPU_PATH, h ? "loaded" : dlerror());
	if (!h)
		return tap_done();
	p_open = (__typeof__(p_open))dlsym(h, "vgpu_session_open");
	p_close = (__typeof__(p_close))dlsym(h, "vgpu_session_close");
	p_last_error = (__typeof__(p_last_error))dlsym(h, "vgpu_last_error");
	p_backend = (__typeof__(p_backend))dlsym(h, "vgpu_session_backend");
	tap_ok(p_open && p_close && p_last_error && p_backend, "the entry points are there");
	if (!p_open || !p_close || !p_last_error || !p_backend)
		return tap_done();

	ret = p_open(&s, &bad);
	snprintf(main_text, sizeof(main_text), "%s", p_last_error(NULL));
	tap_ok(ret == -EINVAL && !s && strstr(main_text, "unknown bits"),
	       "a bad open on the main thread: EINVAL, the text names it (%d: %s)", ret, main_text);

	pthread_create(&t, NULL, fail_open, NULL);
	pthread_join(t, &r);
	tap_ok(strstr(r, "NULL session pointer") != NULL,
	       "another thread's failed open has its own text (%s)", (char *)r);
	tap_ok(!strcmp(p_last_error(NULL), main_text),
	       "the main thread's text is still its own (%s)", p_last_error(NULL));

	pthread_create(&t, NULL, cpu_session, NULL);
	pthread_join(t, &r);
	tap_ok(r == NULL, "a thread opens and closes a CPU session (%d)", (int)(intptr_t)r);

	dlclose(h);	/* linked -z nodelete: stays mapped (its threads' key destructors) */
	return tap_done();
}
