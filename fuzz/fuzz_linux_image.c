// SPDX-License-Identifier: MIT
/*
 * Fuzz target linux_image: the VMM's Linux Image loader (vmm/loader_linux.c, built for arm64,
 * whose header differs from riscv64's only in its magic): the image header (text_offset,
 * image_size, magic) and the placement of the kernel, the initrd and the device tree in guest
 * RAM of a size and base from the input. Guest RAM ends at a guard page and everything before
 * its start is poisoned, so a copy outside it stops the run.
 *
 * Input: base (0: 0x40000000, 1: 0x80000000, 2: 0x40100000, 3: 0), MiB of RAM (1-16), initrd
 * size (32 bits, modulo 3 MiB), flags (bit 0: an initrd, bit 1: a VM tree without /chosen), then
 * the image file itself.
 *
 * Checked besides the sanitizers, for a loaded kernel: the kernel at text_offset above a 2 MiB
 * aligned base in RAM, the kernel, the initrd and the device tree inside RAM and apart from
 * each other, the tree one libfdt accepts with the initrd's start and end in /chosen (made when
 * the VM's tree has none; an empty initrd is none, and leaves nothing there), and a kaslr-seed
 * (8 bytes, not 0) and an rng-seed (64 bytes) there, whichever tree.
 */
#include "vmm_fuzz.h"
#include "loader_linux.h"
#include <libfdt.h>
#include <sanitizer/asan_interface.h>
#include <string.h>

#define MAX_RAM (16ull << 20)
#define MAX_INITRD (3u << 20)
#define DT_SPACE 0x200000ull

static uint8_t *ram_block, *initrd;
static struct vm vm;
static struct keel_vcpu_state states[1];
static uint64_t tree[2][64]; /* the VM's device tree, with and without /chosen */

static void build_tree(void *fdt, bool chosen)
{
    fdt_create(fdt, sizeof(tree[0]));
    fdt_finish_reservemap(fdt);
    fdt_begin_node(fdt, "");
    if (chosen) {
        fdt_begin_node(fdt, "chosen");
        fdt_property_string(fdt, "bootargs", "console=ttyAMA0");
        fdt_end_node(fdt);
    }
    fdt_end_node(fdt);
    fdt_finish(fdt);
}

static bool apart(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a + a_size <= b || b + b_size <= a;
}

static bool in_ram(uint64_t gpa, uint64_t size)
{
    return guest_mem_ptr(&vm, gpa_init(gpa), size) != NULL;
}

static uint64_t chosen_u64(const void *fdt, const char *name)
{
    int chosen = fdt_path_offset(fdt, "/chosen"), len;
    const fdt64_t *p = chosen >= 0 ? fdt_getprop(fdt, chosen, name, &len) : NULL;
    FUZZ_CHECK(p && len == 8);
    return fdt64_ld(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t bases[4] = { 0x40000000, 0x80000000, 0x40100000, 0 };
    static const uint64_t hart[1] = { 0 };
    struct fuzz_in in = fuzz_in_init(data, size);
    if (!ram_block) {
        ram_block = fuzz_guarded_alloc(MAX_RAM);
        initrd = fuzz_guarded_alloc(MAX_INITRD);
        build_tree(tree[0], true);
        build_tree(tree[1], false);
    }
    uint64_t base = bases[fuzz_u8(&in) % 4], ram_size = (1 + fuzz_u8(&in) % 16ull) << 20;
    uint32_t initrd_size = fuzz_u32(&in) % MAX_INITRD;
    uint8_t flags = fuzz_u8(&in);
    bool with_initrd = flags & 1;
    size_t image_size;
    const uint8_t *image = fuzz_bytes(&in, in.left, &image_size);

    /* The VM's RAM is the end of the block: the guard after it, the rest before it poisoned. */
    struct fuzz_ram ram = { .ram = ram_block + (MAX_RAM - ram_size), .base = base,
                            .size = ram_size };
    ASAN_UNPOISON_MEMORY_REGION(ram_block, MAX_RAM);
    ASAN_POISON_MEMORY_REGION(ram_block, MAX_RAM - ram_size);
    fuzz_vm_init(&vm, &ram, 1, hart, states);

    struct linux_boot boot;
    const void *vm_dt = tree[(flags >> 1) & 1];
    if (linux_load(&vm, image, image_size, with_initrd ? initrd : NULL, initrd_size, vm_dt,
                   &boot) != 0) {
        return 0;
    }
    uint64_t text_offset, kernel_size;
    memcpy(&text_offset, image + 8, 8);
    memcpy(&kernel_size, image + 16, 8);
    FUZZ_CHECK(boot.entry >= text_offset && (boot.entry - text_offset) % DT_SPACE == 0);
    FUZZ_CHECK(in_ram(boot.entry - text_offset, 1));
    FUZZ_CHECK(in_ram(boot.entry, kernel_size) && in_ram(boot.dtb, DT_SPACE));
    FUZZ_CHECK(apart(boot.entry, kernel_size, boot.dtb, DT_SPACE));
    const void *fdt = guest_mem_ptr(&vm, gpa_init(boot.dtb), DT_SPACE);
    FUZZ_CHECK(fdt_check_header(fdt) == 0 && fdt_totalsize(fdt) <= DT_SPACE);
    int chosen = fdt_path_offset(fdt, "/chosen");
    int len = 0;
    const void *kaslr = chosen >= 0 ? fdt_getprop(fdt, chosen, "kaslr-seed", &len) : NULL;
    FUZZ_CHECK(kaslr && len == 8 && fdt64_ld(kaslr) != 0);
    FUZZ_CHECK(fdt_getprop(fdt, chosen, "rng-seed", &len) && len == 64);
    if (!with_initrd || initrd_size == 0) {
        /* No initrd (an empty one is none): nothing about one in the tree. */
        FUZZ_CHECK(chosen < 0 || !fdt_getprop(fdt, chosen, "linux,initrd-start", NULL));
    } else {
        uint64_t start = chosen_u64(fdt, "linux,initrd-start");
        FUZZ_CHECK(chosen_u64(fdt, "linux,initrd-end") == start + initrd_size);
        FUZZ_CHECK(in_ram(start, initrd_size));
        FUZZ_CHECK(apart(start, initrd_size, boot.entry, kernel_size));
        FUZZ_CHECK(apart(start, initrd_size, boot.dtb, DT_SPACE));
    }
    return 0;
}
