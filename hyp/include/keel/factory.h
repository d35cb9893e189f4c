/* SPDX-License-Identifier: MIT */
/* Factory: creates kernel objects, charging them (and all their secondary memory) to its quota. */
#pragma once
#include <keel/kobj.h>
#include <keel/quota.h>

struct factory {
    struct kobj obj;
    struct quota quota;
};

/* The root factory: its quota is all kernel memory left after boot. */
extern struct factory root_factory;
