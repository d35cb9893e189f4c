/* SPDX-License-Identifier: MIT */
/* Address kinds: the kernel uses the header it shares with user level (uapi/keel/addr.h). */
#pragma once
#include <uapi/keel/addr.h>
