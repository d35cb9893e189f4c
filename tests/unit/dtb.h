/* SPDX-License-Identifier: MIT */
/* Unit tests: a compiled device tree (a test's DTS, built beside it) read into memory of its own,
 * checked to be one (the test stops, saying which file, when it is not). The last four loaded
 * stay valid (a ring of buffers: nothing to free). */
#pragma once
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

static inline void *unit_load_dtb(const char *path)
{
    enum { MAX = 65536, KEPT = 4 };
    static char buf[KEPT][MAX];
    static unsigned used;
    char *b = buf[used++ % KEPT];
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    size_t n = fread(b, 1, MAX, f);
    fclose(f);
    if (fdt_check_header(b) != 0 || fdt_totalsize(b) > n) {
        fprintf(stderr, "%s: not a device tree\n", path);
        exit(1);
    }
    return b;
}
