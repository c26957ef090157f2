// SPDX-License-Identifier: GPL-2.0
/*
 * Print the tables of common/vgpu_nl.c as "set NAME VALUE TYPE MAXLEN" lines
 * (and "enum resource NAME VALUE", "event NAME CMD"), for tests/nl-spec-check
 * to compare with the YNL spec.
 */
#include <stdio.h>

#include <netlink/attr.h>

#include "common/vgpu_nl.h"

static const char *type_name(int t)
{
	switch (t) {
	case NLA_U32: return "u32";
	case NLA_U64: return "u64";
	case NLA_STRING: return "string";
	case NLA_NESTED: return "nest";
	case NLA_UNSPEC: return "pad";
	default: return "?";
	}
}

static void set(const char *name, const struct vgpu_nl_attr_desc *a, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (a[i].name)
			printf("set %s %s %d %s %d\n", name, a[i].name, i,
			       type_name(a[i].type), a[i].maxlen);
}

int main(void)
{
	char buf[32];
	int i;

	set("vgpu", vgpu_nl_attrs, VGPU_A_MAX + 1);
	set("res", vgpu_nl_res_attrs, VGPU_A_RES_MAX + 1);
	for (i = 0; i < VGPU_RES_NR; i++)
		printf("enum resource %s %d\n", vgpu_nl_res_name(i, buf, sizeof(buf)), i);
	for (i = 0; i < VGPU_RES_NR; i++)
		printf("limit %s %s\n", vgpu_nl_res_name(i, buf, sizeof(buf)),
		       vgpu_nl_attrs[vgpu_nl_limit_attr[i]].name);
	for (i = 0; i <= VGPU_NL_CMD_MAX; i++)
		if (vgpu_nl_event_name(i))
			printf("event %s %d\n", vgpu_nl_event_name(i), i);
	return 0;
}
