// SPDX-License-Identifier: MIT
/*
 * Loading an x86 Linux bzImage (bzimage.h: the boot protocol's 32-bit entry) with its initrd and
 * command line, and the ACPI tables (acpi_tables.h) built from the VM's platform: its vCPUs, the
 * local APIC and I/O APIC pages, the keel,acpi-pm ports. vCPU 0 then starts at the kernel's
 * 32-bit entry with esi at the zero page (arch_vcpu_reset: flat 32-bit protected mode).
 */
#include "linux_x86.h"
#include "bzimage.h"
#include "acpi_tables.h"
#include "acpi_vm.h"
#include <keel/rt.h>
#include <string.h>

/* The command line the guest gets: the tree's, with the TSC's rate (tsc_early_khz=, Linux 5.5+)
 * unless it names one. Linux calibrates the TSC against the PIT and a reference timer whose reads
 * must each take less than 50 000 TSC cycles (an SMI, else); every PM timer read is a VM exit to
 * the VMM, which under load took longer: "could not calculate TSC khz", and the TSC-deadline
 * timers then never fired. The VMM knows the rate: it is the kernel's timer. */
static bool names(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++) {
        if (strncmp(s, word, n) == 0) {
            return true;
        }
    }
    return false;
}

static const char *guest_cmdline(const char *tree, char *buf, uint64_t size)
{
    if (names(tree, "tsc_early_khz=") || strlen(tree) + 40 > size) {
        return tree;
    }
    char digits[24];
    unsigned n = 0;
    for (uint64_t khz = rt_timer_freq() / 1000; n == 0 || khz; khz /= 10) {
        digits[n++] = (char)('0' + khz % 10);
    }
    size_t len = strlen(tree);
    memcpy(buf, tree, len);
    if (len) {
        buf[len++] = ' ';
    }
    memcpy(buf + len, "tsc_early_khz=", 14);
    len += 14;
    while (n) {
        buf[len++] = digits[--n];
    }
    buf[len] = '\0';
    return buf;
}

int x86_linux_load(struct vm *vm, const void *image, uint64_t size, const void *initrd,
                   uint64_t initrd_size, const char *tree_cmdline, struct linux_boot *out)
{
    struct bz_layout l;
    static char buf[BZ_CMDLINE_MAX];
    const char *cmdline = guest_cmdline(tree_cmdline, buf, sizeof(buf));
    uint64_t cmdline_len = strlen(cmdline);
    enum bz_result r = bz_plan(image, size, initrd ? initrd_size : 0, cmdline_len,
                               gpa_val(vm->ram_base), vm->ram_size, &l);
    if (r != BZ_OK) {
        printf("vmm: %s: bzImage (%lu bytes), initrd %lu bytes, RAM 0x%lx + 0x%lx: %s\n", vm->name,
               (unsigned long)size, (unsigned long)initrd_size,
               (unsigned long)gpa_val(vm->ram_base), (unsigned long)vm->ram_size, bz_strerror(r));
        return -1;
    }
    if (!vm->arch.acpi_pm_base || !vm->arch.lapic_base || !vm->arch.ioapic_base) {
        printf("vmm: %s: a Linux guest needs the LAPIC, the I/O APIC and keel,acpi-pm in its "
               "device tree (the ACPI tables name them)\n",
               vm->name);
        return -1;
    }
    uint8_t *zp = guest_mem_ptr(vm, gpa_init(BZ_ZERO_PAGE), 4096);
    char *cl = guest_mem_ptr(vm, gpa_init(BZ_CMDLINE), cmdline_len + 1);
    uint8_t *acpi = guest_mem_ptr(vm, gpa_init(BZ_ACPI), BZ_ACPI_SIZE);
    void *k = guest_mem_ptr(vm, gpa_init(l.kernel), l.kernel_size);
    void *rd = l.initrd_size ? guest_mem_ptr(vm, gpa_init(l.initrd), l.initrd_size) : NULL;
    if (!zp || !cl || !acpi || !k || (l.initrd_size && !rd)) {
        return -1; /* bz_plan() placed all of them in RAM: not reached */
    }
    if (vm->arch.lapic_base != 0xfee00000u || vm->arch.ioapic_base >= (1ull << 32)) {
        printf("vmm: %s: a Linux guest's LAPIC is at 0xfee00000 (IA32_APIC_BASE says so) and its "
               "I/O APIC below 4 GiB\n",
               vm->name);
        return -1;
    }
    uint8_t ids[VM_MAX_VCPUS];
    struct acpi_config ac;
    x86_acpi_config(vm, &ac, ids);
    uint64_t rsdp = acpi_build(acpi, BZ_ACPI_SIZE, BZ_ACPI, &ac);
    uint8_t *legacy = guest_mem_ptr(vm, gpa_init(BZ_RSDP_LEGACY), 36);
    if (!rsdp || !legacy) {
        printf("vmm: %s: no ACPI tables for %u vCPUs (their local APIC ids must differ and not be "
               "0xff; the PCI ECAM window below 4 GiB, 1 MiB-aligned, apart from the others)\n",
               vm->name, vm->vcpu_count);
        return -1;
    }
    /* Where OSes that do not read boot_params' acpi_rsdp_addr (Linux before 5.0) search. */
    memcpy(legacy, acpi, 36);
    /* The 32-bit entry wants a GDT with flat code and data at __BOOT_CS (0x10) and __BOOT_DS
     * (0x18) (boot.rst): the reset state's GDTR is base 0, so they go at 0x10 and 0x18 (Linux
     * loads its own before it reloads a segment since 5.7; older ones reload these). */
    uint64_t *gdt = guest_mem_ptr(vm, gpa_init(0), 32);
    if (!gdt) {
        return -1;
    }
    gdt[2] = 0x00cf9b000000ffffull;
    gdt[3] = 0x00cf93000000ffffull;
    memcpy(k, (const uint8_t *)image + l.setup_size, l.kernel_size);
    if (rd) {
        memcpy(rd, initrd, l.initrd_size);
    }
    memcpy(cl, cmdline, cmdline_len + 1);
    memset(zp, 0, 4096);
    bz_zero_page(zp, image, &l, rsdp);
    out->entry = l.kernel;
    out->dtb = BZ_ZERO_PAGE; /* (esi at the entry) */
    printf("vmm: %s: bzImage protocol %u.%02u at 0x%lx (%lu KiB to decompress in), initrd at "
           "0x%lx, ACPI at 0x%lx\n",
           vm->name, l.version >> 8, l.version & 0xff, (unsigned long)l.kernel,
           (unsigned long)(l.init_size >> 10), (unsigned long)l.initrd, (unsigned long)rsdp);
    return 0;
}
