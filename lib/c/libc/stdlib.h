/* SPDX-License-Identifier: MIT */
/* Freestanding subset of <stdlib.h>: what libfdt and the runtime need. */
#pragma once
#include <stddef.h>

unsigned long strtoul(const char *s, char **end, int base);
