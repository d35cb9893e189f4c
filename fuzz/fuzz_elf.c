// SPDX-License-Identifier: MIT
/*
 * Fuzz target elf: the ELF64 reader (lib/boot/elf.c) with which the kernel loads the root task
 * and the root task its programs: the header checks, then every loadable segment. The input is
 * the executable; the machine is arm64's, riscv64's or x86_64's as the input's EI_PAD byte 15
 * says (the checks are the same for each).
 *
 * Checked besides the sanitizers: the segments of an accepted image lie inside it, with no more
 * file bytes than memory bytes and no address range that wraps around.
 */
#include "fuzz.h"
#include <elf.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned machines[3] = { ELF_EM_AARCH64, ELF_EM_RISCV, ELF_EM_X86_64 };
    unsigned machine = machines[(size > 15 ? data[15] : 0) % 3];
    uint8_t *img = malloc(size ? size : 1);
    memcpy(img, data, size);
    if (elf_check(img, size, machine) != 0) {
        struct elf_segment seg;
        int r;
        for (unsigned i = 0; (r = elf_segment(img, size, i, &seg)) == 0; i++) {
            const uint8_t *p = seg.data;
            FUZZ_CHECK(p >= img && seg.filesz <= size - (size_t)(p - img));
            FUZZ_CHECK(seg.filesz <= seg.memsz);
            FUZZ_CHECK(seg.vaddr + seg.memsz >= seg.vaddr);
            FUZZ_CHECK((seg.rights & ~7u) == 0);
            FUZZ_CHECK(i < 0x10000); /* phnum is 16 bits */
        }
        FUZZ_CHECK(r == 1 || r == -1);
    }
    free(img);
    return 0;
}
