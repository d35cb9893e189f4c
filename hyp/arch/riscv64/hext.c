// SPDX-License-Identifier: MIT
/*
 * The H extension: found in the device tree (a hart cannot read misa from S-mode; touching a
 * hypervisor CSR without H would be an illegal instruction), then configured once per hart.
 * Guests take their own page faults, breakpoints, illegal instructions, system calls of their
 * user mode and their VS-level interrupts; everything else they cause comes to the kernel and,
 * unless it is an interrupt of the kernel's own, to the VMM (vcpu_hext.c).
 */
#include "hext.h"
#include "gstage.h"
#include <keel/percpu.h>
#include <keel/printk.h>
#include <arch/csr.h>
#include <libfdt.h>
#include <string.h>

#define HEDELEG_GUEST                                                                  \
    ((1u << EXC_INST_MISALIGNED) | (1u << EXC_ILLEGAL) | (1u << EXC_BREAKPOINT) |      \
     (1u << EXC_ECALL_U) | (1u << EXC_INST_PAGE) | (1u << EXC_LOAD_PAGE) | (1u << EXC_STORE_PAGE))
#define HCOUNTEREN_GUEST 7u /* cycle, time, instret */
#define HGATP_VMID_MASK (0x3fffull << 44)

bool hext_present, hext_sstc;
uint64_t hext_host_scounteren, hext_host_senvcfg;
static bool dt_sstc; /* every hart's ISA string names Sstc */

/* "rv64imafdch_zicsr_..._sstc": single-letter extensions up to the first underscore. */
static bool isa_has_h(const char *isa)
{
    if (strncmp(isa, "rv64", 4) != 0) {
        return false;
    }
    for (isa += 4; *isa && *isa != '_'; isa++) {
        if (*isa == 'h') {
            return true;
        }
    }
    return false;
}

/* A multi-letter extension: "_name" followed by '_' or the end. */
static bool isa_has(const char *isa, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strchr(isa, '_'); p; p = strchr(p + 1, '_')) {
        if (strncmp(p + 1, name, n) == 0 && (p[1 + n] == '_' || p[1 + n] == '\0')) {
            return true;
        }
    }
    return false;
}

void hext_detect(const void *fdt)
{
    int parent = fdt ? fdt_path_offset(fdt, "/cpus") : -1, node, n = 0;
    bool all = parent >= 0, sstc = all;
    if (parent >= 0) {
        fdt_for_each_subnode(node, fdt, parent) {
            const char *type = fdt_getprop(fdt, node, "device_type", NULL);
            const char *isa = fdt_getprop(fdt, node, "riscv,isa", NULL);
            if (type && strcmp(type, "cpu") == 0) {
                all = all && isa && isa_has_h(isa);
                sstc = sstc && isa && isa_has(isa, "sstc");
                n++;
            }
        }
    }
    hext_present = all && n > 0;
    dt_sstc = sstc;
}

bool hext_dt_sstc(void)
{
    return dt_sstc;
}

void hext_init_cpu(void)
{
    if (!hext_present) {
        return;
    }
    csr_write(hedeleg, HEDELEG_GUEST);
    csr_write(hideleg, HIP_VS);
    csr_write(hcounteren, HCOUNTEREN_GUEST);
    csr_write(hvip, 0);
    csr_write(hie, 0); /* VS-level enables are the guest's own (vsie), SGEIE stays off */
    csr_write(htimedelta, 0);
    csr_write(hstatus, HSTATUS_VSXL_64);
    /* Sstc: named in the device tree, and STCE sticks. (QEMU 7.2 lets STCE stick without it,
     * and vstimecmp then does not exist: the device tree decides first.) */
    csr_write(henvcfg, dt_sstc ? HENVCFG_STCE : 0);
    bool sstc = dt_sstc && (csr_read(henvcfg) & HENVCFG_STCE) != 0;
    if (this_cpu()->id == 0) {
        hext_sstc = sstc;
        hext_host_scounteren = csr_read(scounteren);
        hext_host_senvcfg = csr_read(senvcfg);
        /* VMIDLEN: the VMID bits of hgatp that hold a one (with a paged mode: Bare wants the
         * other fields zero; nothing is translated while V=0). */
        csr_write(hgatp, (8ull << 60) | HGATP_VMID_MASK);
        unsigned bits = 0;
        for (uint64_t v = (csr_read(hgatp) & HGATP_VMID_MASK) >> 44; v & 1; v >>= 1) {
            bits++;
        }
        gstage_set_vmid_bits(bits);
        /* Sv48x4: hgatp's MODE is WARL, and a mode the hart lacks does not stick. */
        csr_write(hgatp, 9ull << 60);
        gstage_set_sv48x4((csr_read(hgatp) >> 60) == 9);
        printk("riscv: H extension, %u VMID bits%s, G-stage %s\n", bits, sstc ? ", Sstc" : "",
               gstage_sv48x4() ? "Sv48x4" : "Sv39x4");
    } else {
        hext_sstc = hext_sstc && sstc;
        csr_write(hgatp, 9ull << 60);
        if ((csr_read(hgatp) >> 60) != 9) {
            gstage_set_sv48x4(false); /* this hart lacks it: all VMs take Sv39x4 */
        }
    }
    csr_write(hgatp, 0);
}
