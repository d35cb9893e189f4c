/* SPDX-License-Identifier: MIT */
/* Guest-physical addresses at user level (a distinct type, as in the kernel's keel/addr.h). */
#pragma once
#include <stdint.h>

typedef struct { uint64_t v; } gpa_t;

static inline gpa_t gpa_init(uint64_t v) { return (gpa_t){ v }; }
static inline uint64_t gpa_val(gpa_t a) { return a.v; }
