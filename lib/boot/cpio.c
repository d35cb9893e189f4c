// SPDX-License-Identifier: MIT
// newc cpio reader (see cpio.h): headers are "070701" and thirteen 8-digit hex fields.
#include "cpio.h"
#include <string.h>

static int hex8(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            d = (unsigned)(c - 'A' + 10);
        } else {
            return -1;
        }
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

const void *cpio_find(const void *start, const void *end, const char *name, uint64_t *size)
{
    const char *p = start, *e = end;
    while (e - p >= 110 && memcmp(p, "070701", 6) == 0) {
        uint64_t fsize, nsize;
        if (hex8(p + 54, &fsize) || hex8(p + 94, &nsize) || nsize == 0 ||
            nsize > (uint64_t)(e - p) - 110) {
            return NULL;
        }
        const char *fname = p + 110;
        if (fname[nsize - 1] != '\0') {
            return NULL;
        }
        const char *data = p + ((110 + nsize + 3) & ~3ull);
        if (data > e || fsize > (uint64_t)(e - data)) {
            return NULL;
        }
        if (strcmp(fname, "TRAILER!!!") == 0) {
            return NULL;
        }
        if (strcmp(fname, name) == 0 || (fname[0] == '.' && fname[1] == '/' && !strcmp(fname + 2, name))) {
            *size = fsize;
            return data;
        }
        uint64_t skip = (fsize + 3) & ~3ull;
        if (skip > (uint64_t)(e - data)) {
            return NULL;
        }
        p = data + skip;
    }
    return NULL;
}
