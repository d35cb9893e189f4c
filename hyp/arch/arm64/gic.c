// SPDX-License-Identifier: MIT
/*
 * The Arm Generic Interrupt Controller, version 2 or 3 (from the device tree's compatible).
 * The kernel keeps: SGI 0 as its reschedule IPI and the EL2 timer PPI; shared peripheral
 * interrupts (32 and up) are for user level through the Icu. A user line is masked when it fires
 * and unmasked by its Irq's UNMASK, so a level-triggered device cannot storm the kernel.
 *
 * Split EOI on GICv3 (EOImode 1: ICC_CTLR_EL1 bit 1): the end of an interrupt is two writes,
 * EOIR (priority drop: the CPU takes interrupts of its priority again) and DIR (deactivation:
 * the line may signal again). The kernel does both for everything it handles itself (never for
 * a spurious INTID, 1020-1023); a line it masks is deactivated only after the mask has taken
 * effect (GICD_CTLR.RWP clear), so the deactivation cannot let a level line signal once more.
 * Split EOI is what lets a guest deactivate a physical interrupt itself through a hardware list
 * register entry (direct delivery, GICv3's only). GICv2 keeps EOImode 0 (EOIR does both): it
 * has no direct delivery to gain from it, and on GIC-400 boards whose 4 KiB GICC pages alias
 * within 64 KiB, GICC_DIR (offset 0x1000) is not where the spec puts it (Linux checks that).
 */
#include <keel/arch/irqchip.h>
#include <keel/arch/cpu.h>
#include <keel/phys.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/irq.h>
#include <keel/sched.h>
#include <keel/mmio.h>
#include <keel/arch/timer.h>
#include <arch/sysreg.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <uapi/keel/err.h>
#include "vgic.h"
#include "internal.h"

#define IPI_RESCHED 0
/* What may end arch_cpu_sleep: the IPI, then the timer, above every other interrupt (0x80, 0xa0);
 * the IPI strictly first, so that the acknowledgement there returns it and nothing else. */
#define PRIO_IPI 0x40
#define PRIO_TIMER 0x50
#define PMR_WAKE 0x60 /* a priority mask that lets those two alone through */
#define FIRST_SPI 32

#define GICD_CTLR 0x0000
#define GICD_CTLR_RWP (1u << 31) /* register write pending (GICv3: ICENABLER's disables) */
#define GICD_TYPER 0x0004
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR 0x0800
#define GICD_ICFGR 0x0c00
#define GICD_SGIR 0x0f00
#define GICD_IROUTER 0x6000
#define GICD_IGROUPR 0x0080

#define GICC_CTLR 0x0000
#define GICC_PMR 0x0004
#define GICC_IAR 0x000c
#define GICC_EOIR 0x0010

#define GICR_CTLR 0x0000
#define GICR_CTLR_RWP (1u << 3) /* register write pending (ICENABLER0's disables) */
#define GICR_WAKER 0x0014
#define GICR_TYPER 0x0008
#define GICR_SGI 0x10000
#define GICR_STRIDE 0x20000

static unsigned version;

unsigned arch_gic_version(void)
{
    return version;
}
static uintptr_t gicd, gicc, gicr_base;
static uintptr_t gich; /* GICv2 virtual interface control (0: none) */
static uint64_t gicv;  /* GICv2 virtual CPU interface, physical (0: none) */

void arch_gic_v2_virt(uintptr_t *control, uint64_t *cpuif)
{
    *control = gich;
    *cpuif = gicv;
}
static uint64_t gicr_size;
static unsigned lines;
static unsigned timer_ppi = 26;
static unsigned vtimer_ppi = 27;
static uintptr_t gicr_of_cpu[KEEL_MAX_CPUS];
/* Per CPU: whether the guests' timer interrupt is disabled here (arch_gic_vtimer_mask). */
static bool vtimer_masked[KEEL_MAX_CPUS];
static uint8_t gicv2_cpu_mask[KEEL_MAX_CPUS];

static void reserve_regs(const void *fdt, int node)
{
    uint64_t base, size;
    for (int i = 0; fdt_util_reg(fdt, node, i, &base, &size); i++) {
        phys_reserve(pa_init(base), size);
    }
}

void arch_irq_init(const void *fdt)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");
    uint64_t base, size;
    if (node >= 0) {
        version = 3;
    } else {
        node = fdt_node_offset_by_compatible(fdt, -1, "arm,cortex-a15-gic");
        if (node < 0) {
            node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-400");
        }
        if (node < 0) {
            panic("no GICv2 or GICv3 in the device tree");
        }
        version = 2;
    }
    if (!fdt_util_reg(fdt, node, 0, &base, NULL)) {
        panic("GIC without registers");
    }
    gicd = (uintptr_t)base;
    if (!fdt_util_reg(fdt, node, 1, &base, &size)) {
        panic("GIC without CPU interface / redistributor registers");
    }
    if (version == 3) {
        gicr_base = (uintptr_t)base;
        gicr_size = size;
    } else {
        gicc = (uintptr_t)base;
        /* With the virtualization extensions: GICH (reg 2) and GICV (reg 3). */
        if (fdt_util_reg(fdt, node, 2, &base, NULL)) {
            gich = (uintptr_t)base;
        }
        if (gich && fdt_util_reg(fdt, node, 3, &base, &size) && size >= 0x2000) {
            gicv = base;
        } else {
            gich = 0;
        }
    }
    reserve_regs(fdt, node);

    int tnode = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer");
    int len;
    const fdt32_t *ints = tnode >= 0 ? fdt_getprop(fdt, tnode, "interrupts", &len) : NULL;
    if (ints && len >= 4 * 12) {
        timer_ppi = 16 + fdt32_ld(&ints[3 * 3 + 1]); /* 4th entry: the EL2 (hypervisor) timer */
        vtimer_ppi = 16 + fdt32_ld(&ints[2 * 3 + 1]); /* 3rd: the EL1 virtual timer (guests') */
    }

    lines = ((mmio_read32(gicd + GICD_TYPER) & 0x1f) + 1) * 32;
    if (lines > 1020) {
        lines = 1020;
    }
    mmio_write32(gicd + GICD_CTLR, 0);
    for (unsigned i = FIRST_SPI; i < lines; i += 32) {
        mmio_write32(gicd + GICD_ICENABLER + i / 8, 0xffffffff);
        mmio_write32(gicd + GICD_IGROUPR + i / 8, version == 3 ? 0xffffffff : 0);
    }
    for (unsigned i = FIRST_SPI; i < lines; i += 4) {
        mmio_write32(gicd + GICD_IPRIORITYR + i, 0xa0a0a0a0);
    }
    /* v3: affinity routing, non-secure group 1; v2: group 0 enable. */
    mmio_write32(gicd + GICD_CTLR, version == 3 ? (1u << 4) | (1u << 1) : 1u);
    printk("gic: GICv%u, %u lines, EL2 timer PPI %u%s\n", version, lines, timer_ppi,
           gich ? ", virtual interface" : "");
}

static uintptr_t find_redistributor(uint64_t mpidr)
{
    uint64_t aff = (mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000);
    for (uintptr_t r = gicr_base; r < gicr_base + gicr_size; r += GICR_STRIDE) {
        uint64_t typer = mmio_read32(r + GICR_TYPER) | ((uint64_t)mmio_read32(r + GICR_TYPER + 4) << 32);
        if ((typer >> 32) == aff) {
            return r;
        }
        if (typer & (1u << 4)) {
            break; /* Last */
        }
    }
    panic("no redistributor for MPIDR 0x%lx", (unsigned long)mpidr);
}

void arch_irq_init_cpu(void)
{
    struct percpu *c = this_cpu();
    /* The reschedule IPI, the kernel timer, and the guests' virtual timer (see
     * arch_gic_handle_from_guest). */
    uint32_t enable = (1u << IPI_RESCHED) | (1u << timer_ppi) | (1u << vtimer_ppi);
    if (version == 3 || gich) {
        enable |= 1u << VGIC_MAINTENANCE_PPI; /* list-register conditions a VMM asked for */
    }
    if (version == 3) {
        uintptr_t r = find_redistributor(sysreg_read(mpidr_el1));
        gicr_of_cpu[c->id] = r;
        vtimer_masked[c->id] = false; /* (enabled below, also when the CPU comes back online) */
        mmio_write32(r + GICR_WAKER, mmio_read32(r + GICR_WAKER) & ~(1u << 1));
        while (mmio_read32(r + GICR_WAKER) & (1u << 2)) {
        }
        uintptr_t sgi = r + GICR_SGI;
        mmio_write32(sgi + GICD_IGROUPR, 0xffffffff);
        mmio_write32(sgi + GICD_ICENABLER, 0xffffffff);
        for (unsigned i = 0; i < 32; i += 4) {
            mmio_write32(sgi + GICD_IPRIORITYR + i, 0x80808080);
        }
        mmio_write8(sgi + GICD_IPRIORITYR + IPI_RESCHED, PRIO_IPI);
        mmio_write8(sgi + GICD_IPRIORITYR + timer_ppi, PRIO_TIMER);
        mmio_write32(sgi + GICD_ISENABLER, enable);
        /* ICC_SRE_EL2: system register interface, and allow it for EL1 (guests). */
        __asm__ volatile("msr S3_4_C12_C9_5, %0\n isb" : : "r"(0xfull));
        __asm__ volatile("msr S3_0_C4_C6_0, %0" : : "r"(0xffull)); /* ICC_PMR_EL1 */
        __asm__ volatile("msr S3_0_C12_C12_7, %0" : : "r"(1ull));  /* ICC_IGRPEN1_EL1 */
        /* ICC_CTLR_EL1: EOImode 1 (split EOI: priority drop and deactivation apart) */
        __asm__ volatile("msr S3_0_C12_C12_4, %0\n isb" : : "r"(1ull << 1));
    } else {
        gicv2_cpu_mask[c->id] = (uint8_t)mmio_read32(gicd + GICD_ITARGETSR);
        vtimer_masked[c->id] = false;
        mmio_write32(gicd + GICD_ICENABLER, 0xffffffff);
        for (unsigned i = 0; i < 32; i += 4) {
            mmio_write32(gicd + GICD_IPRIORITYR + i, 0x80808080);
        }
        mmio_write32(gicd + GICD_ISENABLER, enable);
        mmio_write32(gicc + GICC_PMR, 0xff);
        mmio_write32(gicc + GICC_CTLR, 1); /* EOImode 0 */
    }
}

unsigned arch_irq_first_user_line(void)
{
    return FIRST_SPI;
}

unsigned arch_irq_line_count(void)
{
    return lines;
}

void arch_irq_line_mask(unsigned line)
{
    mmio_write32(gicd + GICD_ICENABLER + (line / 32) * 4, 1u << (line % 32));
}

/* Waits until the distributor's disables (arch_irq_line_mask) have taken effect. */
static void line_mask_wait(void)
{
    if (version == 3) {
        while (mmio_read32(gicd + GICD_CTLR) & GICD_CTLR_RWP) {
        }
    } else {
        (void)mmio_read32(gicd + GICD_CTLR); /* (GICv2: a read completes the write) */
    }
}

void arch_irq_line_unmask(unsigned line)
{
    mmio_write32(gicd + GICD_ISENABLER + (line / 32) * 4, 1u << (line % 32));
}

void arch_irq_line_route(unsigned line, unsigned cpu)
{
    if (version == 3) {
        uint64_t aff = cpus[cpu].hwid & 0xff00ffffffull; /* IROUTER uses MPIDR's layout */
        mmio_write32(gicd + GICD_IROUTER + line * 8, (uint32_t)aff);
        mmio_write32(gicd + GICD_IROUTER + line * 8 + 4, (uint32_t)(aff >> 32));
    } else {
        volatile uint8_t *t = (volatile uint8_t *)(gicd + GICD_ITARGETSR + line);
        *t = gicv2_cpu_mask[cpu];
    }
}

int arch_irq_line_set_mode(unsigned line, unsigned mode)
{
    uintptr_t reg = gicd + GICD_ICFGR + (line / 16) * 4;
    unsigned shift = (line % 16) * 2 + 1;
    uint32_t v = mmio_read32(reg) & ~(1u << shift);
    mmio_write32(reg, v | ((mode ? 1u : 0u) << shift));
    arch_irq_line_route(line, 0); /* the boot CPU */
    return 0;
}

void arch_irq_line_mask_sync(unsigned line)
{
    arch_irq_line_mask(line);
    line_mask_wait();
}

void arch_irq_line_deactivate(unsigned line)
{
    mmio_write32(gicd + GICD_ICACTIVER + (line / 32) * 4, 1u << (line % 32));
}

/* GICv3 only: GICv2 under QEMU before 9.1 keeps an SPI's active state per CPU, so a guest's
 * deactivation on another CPU than the one that acknowledged would leave it active; and one
 * list register must be left to the VMM besides the kernel's. */
int arch_irq_direct_check(unsigned vintid)
{
    if (version != 3 || !vgic_direct_available()) {
        return -KEEL_EPROTO;
    }
    return vintid >= FIRST_SPI && vintid < 1020 ? 0 : -KEEL_ERANGE;
}

void arch_irq_send_ipi(unsigned cpu)
{
    if (version == 3) {
        uint64_t mpidr = cpus[cpu].hwid;
        uint64_t v = ((mpidr >> 32) & 0xff) << 48 | ((mpidr >> 16) & 0xff) << 32 |
                     ((mpidr >> 8) & 0xff) << 16 | (uint64_t)IPI_RESCHED << 24 | (1u << (mpidr & 0xf));
        __asm__ volatile("dsb ishst\n msr S3_0_C12_C11_5, %0\n isb" : : "r"(v)); /* ICC_SGI1R_EL1 */
    } else {
        dsb(ishst);
        mmio_write32(gicd + GICD_SGIR, ((uint32_t)gicv2_cpu_mask[cpu] << 16) | IPI_RESCHED);
    }
}

static unsigned ack(void)
{
    if (version == 3) {
        uint64_t v;
        /* ICC_IAR1_EL1; the DSB orders the acknowledgement before what the handler does. */
        __asm__ volatile("mrs %0, S3_0_C12_C12_0\n dsb sy" : "=r"(v));
        return (unsigned)v & 0xffffff;
    }
    return mmio_read32(gicc + GICC_IAR);
}

/* Priority drop (EOIR) of the acknowledged iar: the interrupt stays active. */
static void priority_drop(unsigned iar)
{
    if (version == 3) {
        __asm__ volatile("msr S3_0_C12_C12_1, %0\n isb" : : "r"((uint64_t)iar)); /* ICC_EOIR1_EL1 */
    } else {
        mmio_write32(gicc + GICC_EOIR, iar);
    }
}

/* Deactivation (ICC_DIR_EL1) of iar, after its priority drop (GICv3: split EOI). */
static void deactivate(unsigned iar)
{
    __asm__ volatile("msr S3_0_C12_C11_1, %0\n isb" : : "r"((uint64_t)iar)); /* ICC_DIR_EL1 */
}

/* The whole end of an interrupt the kernel handled. */
static void eoi(unsigned iar)
{
    priority_drop(iar);
    if (version == 3) {
        deactivate(iar); /* (GICv2, EOImode 0: the priority drop deactivated it too) */
    }
}

static void handle(unsigned iar);

void arch_gic_vtimer_mask(bool masked)
{
    unsigned cpu = this_cpu()->id;
    if (vtimer_masked[cpu] == masked) {
        return;
    }
    vtimer_masked[cpu] = masked;
    uintptr_t base = version == 3 ? gicr_of_cpu[cpu] + GICR_SGI : gicd; /* (v2: banked) */
    mmio_write32(base + (masked ? GICD_ICENABLER : GICD_ISENABLER), 1u << vtimer_ppi);
    if (masked && version == 3) {
        while (mmio_read32(gicr_of_cpu[cpu] + GICR_CTLR) & GICR_CTLR_RWP) {
        } /* the disable has taken effect: no second interrupt after the EOI */
    } else if (masked) {
        (void)mmio_read32(base + GICD_ISENABLER); /* (GICv2: a read completes the write) */
    }
}

/* An interrupt that stopped a guest. Two are the guest's: its virtual timer, which stays
 * asserted while the timer condition holds, so it is disabled here at the GIC (never at the
 * timer: the guest's CNTV_CTL stays as the guest set it) until the guest has taken it
 * (vcpu_el2.c); and the vGIC maintenance interrupt, which ends when the caller saves the list
 * registers and disables the virtual interface. Everything else is the kernel's. */
enum guest_irq arch_gic_handle_from_guest(void)
{
    unsigned iar = ack();
    unsigned id = iar & 0x3ff;
    if (id == vtimer_ppi) {
        uint64_t ctl = sysreg_read(cntv_ctl_el0);
        if ((ctl & 7) != 5) { /* ENABLE and ISTATUS, not IMASK: else the level of the timer of */
            eoi(iar);         /* the guest before this one, gone meanwhile: nothing to deliver */
            return GUEST_IRQ_KERNEL;
        }
        arch_gic_vtimer_mask(true);
        eoi(iar);
        return GUEST_IRQ_VTIMER;
    }
    if (id == VGIC_MAINTENANCE_PPI && (version == 3 || gich)) {
        eoi(iar);
        return GUEST_IRQ_MAINTENANCE;
    }
    handle(iar);
    return GUEST_IRQ_KERNEL;
}

void arch_gic_handle(void)
{
    handle(ack());
}

static void handle(unsigned iar)
{
    unsigned id = iar & 0x3ff;
    if (id >= 1020) {
        return; /* spurious */
    }
    if (id == timer_ppi) {
        arch_timer_set_deadline(UINT64_MAX);
        eoi(iar);
        sched_timer_tick();
    } else if (id < 16) {
        eoi(iar); /* reschedule IPI */
        this_cpu()->need_resched = true;
    } else if (id < FIRST_SPI) {
        eoi(iar); /* a guest's PPI (timer, maintenance) that was late: its vCPU has left */
    } else {
        if (version == 3) {
            priority_drop(iar);
            if (irq_direct_fired(id)) {
                return; /* active until its guest deactivates it (irq_direct.c) */
            }
        }
        arch_irq_line_mask(id);
        line_mask_wait(); /* masked before deactivated: a level line signals no second time */
        if (version == 3) {
            deactivate(iar);
        } else {
            eoi(iar);
        }
        irq_line_fired(id);
    }
}

/* GICv3 only: GICv2's priority mask is an MMIO register of the CPU interface, and no board we
 * run needs it yet (those CPUs spin). */
bool arch_cpu_sleep_works(void)
{
    return version == 3;
}

void arch_cpu_sleep_prepare(void)
{
}

void arch_cpu_sleep(void)
{
    /* Only the IPI and the timer may end the WFI: another pending interrupt (a device's, a
     * guest's) would keep it from sleeping until this CPU unmasks them, after the lock. (Under
     * QEMU a guest's list registers, still loaded after an exit, end it too: it then spins.) */
    __asm__ volatile("msr S3_0_C4_C6_0, %0\n isb\n dsb sy\n wfi\n msr S3_0_C4_C6_0, %1\n isb"
                     :
                     : "r"((uint64_t)PMR_WAKE), "r"(0xffull)
                     : "memory"); /* ICC_PMR_EL1 */
    uint64_t v;
    __asm__ volatile("mrs %0, S3_0_C12_C12_2" : "=r"(v)); /* ICC_HPPIR1_EL1 */
    if ((v & 0xffffff) == IPI_RESCHED) {
        /* Taken here, or it would end every later sleep at once. (The timer's is left pending:
         * bkl_sleep's next deadline clears it, bkl_wait's last puts back the one due.) */
        unsigned iar = ack(); /* (the IPI: it outranks everything, and only this CPU takes it) */
        if (iar == IPI_RESCHED) {
            eoi(iar); /* (its sender wrote down why first: need_resched, asked, the lock) */
        } else if (iar < 1020) {
            panic("gic: acknowledged %u in place of the pending IPI", iar); /* (see PRIO_IPI) */
        }
    }
}
