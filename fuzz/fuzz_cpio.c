// SPDX-License-Identifier: MIT
/*
 * Fuzz target cpio: the boot modules' archive reader (lib/boot/cpio.c: newc headers, names,
 * sizes, padding), which the kernel uses to find the root task and the root task and the VMMs
 * to find everything else. The input is the archive; the names looked for are the ones Keel
 * asks for and, from the input's first byte, one of its own entries.
 *
 * Checked besides the sanitizers: a file found lies inside the archive, 4-byte aligned from its
 * start, just after a header carrying the name asked for.
 */
#include "fuzz.h"
#include <cpio.h>
#include <string.h>

static void find(const char *start, size_t size, const char *name)
{
    uint64_t fsize = 0;
    const char *data = cpio_find(start, start + size, name, &fsize);
    if (!data) {
        return;
    }
    FUZZ_CHECK(data >= start + 110 && (size_t)(data - start) <= size);
    FUZZ_CHECK(fsize <= size - (size_t)(data - start));
    FUZZ_CHECK((data - start) % 4 == 0);
    /* A header with that name (its size unknown here: it pads the name) just before the data. */
    bool named = false;
    size_t at = (size_t)(data - start);
    for (size_t nsize = 1; !named && ((110 + nsize + 3) & ~(size_t)3) <= at; nsize++) {
        const char *h = data - ((110 + nsize + 3) & ~(size_t)3), *fname = h + 110;
        named = memcmp(h, "070701", 6) == 0 && fname[nsize - 1] == '\0' &&
                (strcmp(fname, name) == 0 ||
                 (strncmp(fname, "./", 2) == 0 && strcmp(fname + 2, name) == 0));
    }
    FUZZ_CHECK(named);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = { "root", "system.dtb", "vmm", "images/Image", "" };
    /* A copy of exactly the archive: AddressSanitizer sees any read past its end. */
    char *archive = malloc(size ? size : 1);
    memcpy(archive, data, size);
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        find(archive, size, names[i]);
    }
    /* One of its own names: the one in the first header, if it is there and terminated. */
    if (size > 110 && memchr(archive + 110, 0, size - 110)) {
        find(archive, size, archive + 110);
    }
    free(archive);
    return 0;
}
