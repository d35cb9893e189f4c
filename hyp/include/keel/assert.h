/* SPDX-License-Identifier: MIT */
/*
 * KASSERT(cond): an invariant of the kernel's own (never a check of user input: those return an
 * error). A false one stops the machine with where and what. On in every build today (the checks
 * are cheap); a build defining KEEL_NO_ASSERT drops them.
 */
#pragma once
#include <keel/printk.h>

#ifdef KEEL_NO_ASSERT
#define KASSERT(cond) ((void)0)
#else
#define KASSERT(cond) \
    ((cond) ? (void)0 : panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__))
#endif
