/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dialect.c - what differs between the QEMU versions fakeqemu imitates (5.2, 7.2, 10.0) */
#include <string.h>

#include "dialect.h"

/* Every value below was probed from the real binary: see tests/conformance/README.md. */
static const struct fq_dialect dialects[] = {
    {
	.name = "5.2",
	.major = 5,
	.minor = 2,
	.micro = 0,
	.package = "Debian 1:5.2+dfsg-11+deb11u3",
	.prefer_sockets = true,
	.has_unplug_guest_error = false,
	.status_has_singlestep = true,
	.events_after_reply = true,
	.float_17g = false,
	.cpus_fast_has_arch = true,
	.smp_style = 0,
	.strict_device_props = false,
	.check_device_id = true,
	.repeat_unplug_ok = true,
	.node_active = false,
	.old_errors = true,
	.machine_suffix = "5.2",
    },
    {
	.name = "7.2",
	.major = 7,
	.minor = 2,
	.micro = 22,
	.package = "Debian 1:7.2+dfsg-7+deb12u18+b3",
	.prefer_sockets = false,
	.has_unplug_guest_error = true,
	.status_has_singlestep = true,
	.events_after_reply = false,
	.float_17g = true,
	.cpus_fast_has_arch = false,
	.smp_style = 1,
	.strict_device_props = false,
	.check_device_id = true,
	.repeat_unplug_ok = false,
	.node_active = false,
	.old_errors = false,
	.machine_suffix = "7.2",
    },
    {
	.name = "10.0",
	.major = 10,
	.minor = 0,
	.micro = 2,
	.package = "Debian 1:10.0.2+ds-2+deb13u1~bpo12+1",
	.prefer_sockets = false,
	.has_unplug_guest_error = true,
	.status_has_singlestep = false,
	.events_after_reply = false,
	.float_17g = true,
	.cpus_fast_has_arch = false,
	.smp_style = 2,
	.strict_device_props = true,
	.check_device_id = false,
	.repeat_unplug_ok = false,
	.node_active = true,
	.old_errors = false,
	.machine_suffix = "10.0",
    },
};

static const struct fq_version_data *version_data(const char *name)
{
	for (const struct fq_version_data *v = fq_version_data; v->name; v++)
		if (!strcmp(v->name, name))
			return v;
	return NULL;
}

const struct fq_dialect *fq_dialect_find(const char *name)
{
	static struct fq_dialect found[sizeof(dialects) / sizeof(dialects[0])];

	for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++)
		if (!strcmp(dialects[i].name, name)) {
			const struct fq_version_data *v = version_data(name);

			if (!v)
				return NULL;
			found[i] = dialects[i];
			found[i].data = v;
			return &found[i];
		}
	return NULL;
}

const char *fq_dialect_names(void)
{
	return "5.2, 7.2, 10.0";
}
