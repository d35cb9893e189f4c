// SPDX-License-Identifier: MIT
// ELF64 executables (see elf.h). Every offset and size from the image is checked before use.
#include "elf.h"
#include <string.h>

struct ehdr {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

uint64_t elf_check(const void *img, uint64_t size, unsigned machine)
{
    struct ehdr eh;
    if (size < sizeof(eh)) {
        return 0;
    }
    memcpy(&eh, img, sizeof(eh));
    if (memcmp(eh.ident, "\177ELF", 4) || eh.ident[4] != 2 /* 64-bit */ || eh.ident[5] != 1 ||
        eh.type != 2 /* EXEC */ || eh.machine != machine || eh.phentsize != sizeof(struct phdr) ||
        eh.phoff > size || (uint64_t)eh.phnum * sizeof(struct phdr) > size - eh.phoff) {
        return 0;
    }
    return eh.entry;
}

int elf_segment(const void *img, uint64_t size, unsigned i, struct elf_segment *seg)
{
    struct ehdr eh;
    memcpy(&eh, img, sizeof(eh));
    for (unsigned n = 0, k = 0; n < eh.phnum; n++) {
        struct phdr ph;
        memcpy(&ph, (const char *)img + eh.phoff + n * sizeof(ph), sizeof(ph));
        if (ph.type != 1 /* LOAD */ || k++ != i) {
            continue;
        }
        if (ph.filesz > ph.memsz || ph.offset > size || ph.filesz > size - ph.offset ||
            ph.vaddr + ph.memsz < ph.vaddr) {
            return -1;
        }
        seg->vaddr = ph.vaddr;
        seg->memsz = ph.memsz;
        seg->data = (const char *)img + ph.offset;
        seg->filesz = ph.filesz;
        seg->rights = ((ph.flags & 4) ? 4u : 0) | ((ph.flags & 2) ? 2u : 0) | ((ph.flags & 1) ? 1u : 0);
        return 0;
    }
    return 1;
}
