// SPDX-License-Identifier: MIT
/*
 * The attacker of the isolation test: a bare-metal guest that attacks its own VMM. As a
 * malicious driver it gives its MMIO space, its GIC, its PSCI and its virtio-mmio devices every
 * bad input we could think of, one named step at a time (step.h), and checks after each what a
 * correct VMM must show: a refused register reads as zero and changes nothing, a broken queue
 * sets DEVICE_NEEDS_RESET and uses nothing, a bad block request answers IOERR... At the end it
 * resets its devices and does one good read of sector 0 (the VMM still works), then powers off
 * with status 0 (1 if any step failed). This file: main, MMIO, GIC, PSCI, system registers;
 * attack_virtio.c: the virtio devices; attack_pci.c: the PCI host bridge and its virtio-pci
 * functions (BARs, MSI-X); attack_fwcfg.c: the fw_cfg device (items, files, DMA);
 * attack_flash.c: the CFI flash (a read-only and a writable bank).
 *
 * Its VM (dts/vms/attack-arm64.dts): 16 MiB of RAM at 0x40000000, a GICv3, a PL011 and five
 * virtio-mmio devices: a read-only disk (the test disk, disk.S), a writable copy of it, an rng,
 * a console, and a network link to the well-behaved VM beside it (worker.c), which it tells
 * when it starts and when it is done, so that the neighbour reads its own disk the whole time;
 * a PCI host bridge with a virtio-pci rng and disk; QEMU's fw_cfg, with the test disk as a
 * file; and a CFI flash of two banks (the test disk in the read-only one).
 * The VMM's side of the steps (the lines it logs) is checked by cmake/system_tests.cmake
 * (vm/arm64-isolation).
 */
#include "attack.h"

/* ---- MMIO: registers, widths, places with no device ---- */

/* A write to a read-only register is refused and changes nothing. */
static void read_only_register(const char *name, uint32_t off, uint32_t expected)
{
    step_begin(name);
    uint32_t before = mmio_r32(BLK_RO + off);
    mmio_w32(BLK_RO + off, ~before);
    step_want("the register after the write", mmio_r32(BLK_RO + off), before);
    if (expected) {
        step_want("the register", before, expected);
    }
    step_end();
}

/* The read-only disk's registers (no queues: nothing here gets that far). */
static struct vdev blk_ro = { BLK_RO, VIRTIO_ID_BLOCK, 0, NULL, { { 0 } } };

static void mmio_registers(void)
{
    vd_reset(&blk_ro);
    read_only_register("mmio-write-magic-value", VIRTIO_MMIO_MAGIC_VALUE, MAGIC);
    read_only_register("mmio-write-version", VIRTIO_MMIO_VERSION, 2);
    read_only_register("mmio-write-device-id", VIRTIO_MMIO_DEVICE_ID, VIRTIO_ID_BLOCK);
    read_only_register("mmio-write-vendor-id", VIRTIO_MMIO_VENDOR_ID, 0);
    read_only_register("mmio-write-device-features", VIRTIO_MMIO_DEVICE_FEATURES, 0);
    read_only_register("mmio-write-queue-num-max", VIRTIO_MMIO_QUEUE_NUM_MAX, 0);
    read_only_register("mmio-write-interrupt-status", VIRTIO_MMIO_INTERRUPT_STATUS, 0);
    read_only_register("mmio-write-config-generation", VIRTIO_MMIO_CONFIG_GENERATION, 0);

    step_begin("mmio-read-write-only-registers");
    static const uint32_t write_only[] = {
        VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_DRIVER_FEATURES,
        VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_MMIO_QUEUE_NUM,
        VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_QUEUE_DESC_LOW,
    };
    for (unsigned i = 0; i < sizeof(write_only) / sizeof(write_only[0]); i++) {
        step_want("a write-only register", mmio_r32(BLK_RO + write_only[i]), 0);
    }
    step_end();

    step_begin("mmio-wrong-widths");
    step_want("MagicValue read with 1 byte", mmio_r8(BLK_RO), 0);
    step_want("MagicValue read with 2 bytes", mmio_r16(BLK_RO), 0);
    step_want("MagicValue read with 8 bytes", mmio_r64(BLK_RO), 0);
    mmio_w8(BLK_RO + VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    mmio_w16(BLK_RO + VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    mmio_w64(BLK_RO + VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    step_want("Status after writes of 1, 2 and 8 bytes", vd_status(&blk_ro), 0);
    step_want("MagicValue read with 4 bytes", mmio_r32(BLK_RO), MAGIC);
    step_end();

    step_begin("mmio-configuration-space");
    step_want("the disk's capacity (8 bytes at 0x100)", mmio_r64(BLK_RO + 0x100), DISK_SECTORS);
    mmio_w32(BLK_RO + 0x100, 0xffffffff);
    step_want("the capacity after a write", mmio_r64(BLK_RO + 0x100), DISK_SECTORS);
    step_want("the rng's configuration space (none)", mmio_r32(RNG + 0x100), 0);
    step_want("beyond the disk's configuration space", mmio_r32(BLK_RO + 0x1fc), 0);
    step_end();

    /* Through the Normal-memory alias the CPU lets unaligned accesses through to the VMM. */
    step_begin("mmio-unaligned");
    guest_traps.expecting = true;
    unsigned traps = guest_traps.count;
    step_want("MagicValue + 2", mmio_r32(GUEST_NORMAL_ALIAS + BLK_RO + 2), 0);
    step_want("Status + 1", mmio_r32(GUEST_NORMAL_ALIAS + BLK_RO + VIRTIO_MMIO_STATUS + 1), 0);
    mmio_w32(GUEST_NORMAL_ALIAS + BLK_RO + VIRTIO_MMIO_STATUS + 2, 0xffffffff);
    step_want("8 bytes across the end of the window",
              mmio_r64(GUEST_NORMAL_ALIAS + BLK_RO + 0x1fc), 0);
    guest_traps.expecting = false;
    step_want("exceptions taken", guest_traps.count - traps, 0);
    step_want("Status", vd_status(&blk_ro), 0);
    step_end();

    step_begin("mmio-no-device");
    step_want("a read between devices", mmio_r32(NO_DEVICE), 0);
    mmio_w32(NO_DEVICE + 0x100, 0x12345678);
    step_want("a read at 0", mmio_r64(0), 0);
    mmio_w32(RAM_BASE - 4, 0xdeadbeef);
    step_end();

    step_begin("mmio-beyond-ram");
    step_want("the first byte after RAM", mmio_r8(RAM_END), 0);
    mmio_w64(RAM_END, ~0ull);
    step_want("the last word of the first GiB", mmio_r32(0x7ffffffcull), 0);
    step_end();

    /* A load pair has no syndrome the VMM could decode: it must answer with an abort. */
    step_begin("mmio-without-syndrome");
    guest_traps.expecting = true;
    traps = guest_traps.count;
    uint32_t a, b;
    __asm__ volatile("ldp %w0, %w1, [%2]" : "=r"(a), "=r"(b) : "r"(BLK_RO) : "memory");
    guest_traps.expecting = false;
    step_want("exceptions taken", guest_traps.count - traps, 1);
    step_want("exception class (data abort)", guest_traps.esr >> 26, 0x25);
    step_want("fault status (synchronous external abort)", guest_traps.esr & 0x3f, 0x10);
    step_want("fault address", guest_traps.far, BLK_RO);
    step_end();

    /* Running code where there is no RAM: the same, as an instruction abort. */
    step_begin("execute-outside-ram");
    guest_traps.expecting = true;
    traps = guest_traps.count;
    __asm__ volatile("adr x9, 1f\n\t"
                     "str x9, %0\n\t"
                     "br %1\n"
                     "1:"
                     : "=m"(guest_traps.resume)
                     : "r"(RAM_END)
                     : "x9", "memory");
    guest_traps.expecting = false;
    step_want("exceptions taken", guest_traps.count - traps, 1);
    step_want("exception class (instruction abort)", guest_traps.esr >> 26, 0x21);
    step_want("fault address", guest_traps.far, RAM_END);
    step_end();
}

/* More bad accesses than the VMM will report: it must say so once and then keep quiet. */
static void mmio_flood(void)
{
    step_begin("mmio-flood");
    for (uint32_t i = 0; i < 1000; i++) {
        mmio_w32(NO_DEVICE, i);
    }
    step_want("a register after the flood", mmio_r32(BLK_RO), MAGIC);
    step_end();
}

/* ---- the interrupt controller, PSCI, trapped system registers ---- */

static void gic_garbage(void)
{
    step_begin("gic-garbage");
    uint32_t typer = mmio_r32(GICD + 0x4), rtyper = mmio_r32(GICR + 0x8);
    for (uint64_t off = 0; off < 0x1000; off += 4) {
        mmio_w32(GICD + off, 0xffffffff);
    }
    for (uint64_t off = 0x420; off < 0x480; off++) {
        mmio_w8(GICD + off, 0xff); /* IPRIORITYR, byte by byte */
    }
    for (uint64_t off = 0x6100; off < 0x6400; off += 8) {
        mmio_w64(GICD + off, ~0ull); /* IROUTER */
    }
    for (uint64_t off = 0xffd0; off < 0x10000; off += 2) {
        mmio_w16(GICD + off, 0xffff);
    }
    for (uint64_t off = 0; off < 0x100; off += 4) {
        mmio_w32(GICR + off, 0xffffffff);
    }
    for (uint64_t off = 0x10000; off < 0x10d00; off += 4) {
        mmio_w32(GICR + off, 0xffffffff);
    }
    mmio_w32(GICR + 0x20000, 0xffffffff); /* the redistributor of a CPU the VM does not have */
    step_want("GICD_TYPER", mmio_r32(GICD + 0x4), typer);
    step_want("GICD_PIDR2", mmio_r32(GICD + 0xffe8), 0x3b);
    step_want("GICR_TYPER", mmio_r32(GICR + 0x8), rtyper);
    step_want("GICD_CTLR (ARE, DS and both groups on)", mmio_r32(GICD), 0x53);
    /* Quiet again: the groups off, everything disabled and not pending. */
    mmio_w32(GICD, 0);
    for (uint64_t off = 0; off < 0x80; off += 4) {
        mmio_w32(GICD + 0x180 + off, 0xffffffff);
        mmio_w32(GICD + 0x280 + off, 0xffffffff);
    }
    mmio_w32(GICR + 0x10180, 0xffffffff);
    mmio_w32(GICR + 0x10280, 0xffffffff);
    step_want("GICD_CTLR", mmio_r32(GICD), 0x50);
    /* SGIs to everyone and to CPUs that do not exist, through the CPU interface. */
    __asm__ volatile("msr S3_0_C12_C12_5, %0; isb" : : "r"(1ull)); /* ICC_SRE_EL1.SRE */
    __asm__ volatile("msr S3_0_C12_C11_5, %0" : : "r"(~0ull));     /* ICC_SGI1R_EL1 */
    __asm__ volatile("msr S3_0_C12_C11_5, %0" : : "r"(0x00ff00ff00ffffffull));
    step_end();
}

static void psci_abuse(void)
{
    const uint64_t not_supported = (uint64_t)PSCI_NOT_SUPPORTED;
    const uint64_t invalid = (uint64_t)PSCI_INVALID_PARAMETERS;
    step_begin("psci-unknown-functions");
    step_want("HVC 0xdeadbeef", (uint64_t)psci_hvc(0xdeadbeef, 1, 2, 3), not_supported);
    step_want("SMC 0xc4000099", (uint64_t)psci_smc(0xc4000099, 1, 2, 3), not_supported);
    step_want("FEATURES of 0xdeadbeef", (uint64_t)psci_hvc(PSCI_FEATURES, 0xdeadbeef, 0, 0),
              not_supported);
    step_end();

    /* PSCI 1.1 and SMCCC 1.1 as a real board's firmware answers them (DEN 0022, DEN 0028). */
    step_begin("psci-smccc-1.1");
    const uint64_t junk = 0xa5a5a5a500000000ull;
    step_want("PSCI_VERSION (SMC)", (uint64_t)psci_smc(PSCI_VERSION, 0, 0, 0), 0x10001);
    step_want("SMCCC_VERSION", (uint64_t)psci_hvc(SMCCC_VERSION, 0, 0, 0), 0x10001);
    step_want("FEATURES of SMCCC_VERSION", (uint64_t)psci_hvc(PSCI_FEATURES, SMCCC_VERSION, 0, 0),
              0);
    step_want("FEATURES of CPU_SUSPEND", (uint64_t)psci_smc(PSCI_FEATURES, PSCI_CPU_SUSPEND, 0, 0),
              0);
    step_want("FEATURES of SYSTEM_SUSPEND", (uint64_t)psci_hvc(PSCI_FEATURES, 0xc400000e, 0, 0),
              not_supported);
    step_want("ARCH_FEATURES of WORKAROUND_1",
              (uint64_t)psci_hvc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_1, 0, 0),
              (uint64_t)SMCCC_NOT_SUPPORTED);
    step_want("MIGRATE_INFO_TYPE", (uint64_t)psci_hvc(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
    step_want("CPU_SUSPEND to standby", (uint64_t)psci_smc(PSCI_CPU_SUSPEND, 0, 0, 0), 0);
    step_want("CPU_SUSPEND with reserved bits",
              (uint64_t)psci_hvc(PSCI_CPU_SUSPEND32, 1u << 31, 0, 0), invalid);
    step_want("SMC32 CPU_ON of itself, upper halves set",
              (uint64_t)psci_hvc(PSCI_CPU_ON32, junk, FREE_AREA | junk, junk),
              (uint64_t)PSCI_ALREADY_ON);
    step_want("SMC32 AFFINITY_INFO of itself, upper halves set",
              (uint64_t)psci_smc(PSCI_AFFINITY_INFO32, junk, junk, 0), 0);
    step_end();

    step_begin("psci-bad-cpus");
    step_want("CPU_ON of a CPU that does not exist",
              (uint64_t)psci_hvc(PSCI_CPU_ON, 0x12345, RAM_END, 0), invalid);
    step_want("CPU_ON of itself", (uint64_t)psci_hvc(PSCI_CPU_ON, 0, FREE_AREA, 0),
              (uint64_t)PSCI_ALREADY_ON);
    /* An entry outside RAM is INVALID_ADDRESS before the target's state is looked at (PSCI 1.0
     * 5.6; the order of Arm's Trusted Firmware, the reference implementation). */
    step_want("CPU_ON of itself at an entry outside RAM",
              (uint64_t)psci_hvc(PSCI_CPU_ON, 0, RAM_END, 0), (uint64_t)PSCI_INVALID_ADDRESS);
    step_want("CPU_ON of itself at a misaligned entry",
              (uint64_t)psci_hvc(PSCI_CPU_ON, 0, FREE_AREA + 2, 0), (uint64_t)PSCI_INVALID_ADDRESS);
    step_want("AFFINITY_INFO of a CPU that does not exist",
              (uint64_t)psci_hvc(PSCI_AFFINITY_INFO, 0x777, 0, 0), invalid);
    step_want("AFFINITY_INFO at level 3", (uint64_t)psci_hvc(PSCI_AFFINITY_INFO, 0, 3, 0), invalid);
    step_end();

    /* CPU_ON's context argument reaches the new CPU's x0 (PSCI 1.0 5.6); AFFINITY_INFO says OFF
     * before and ON after (5.7: ON 0, OFF 1, ON_PENDING 2). */
    step_begin("psci-cpu-on-context");
    const uint64_t context = 0x5eed0001beef0002ull;
    step_want("AFFINITY_INFO of CPU 1: off", (uint64_t)psci_hvc(PSCI_AFFINITY_INFO, 1, 0, 0), 1);
    __asm__ volatile("dc civac, %0\n dsb sy" : : "r"(&secondary_context) : "memory");
    step_want("CPU_ON of CPU 1 with a context",
              (uint64_t)psci_hvc(PSCI_CPU_ON, 1, (uint64_t)(uintptr_t)secondary_entry, context), 0);
    uint64_t got = 0;
    for (unsigned i = 0; i < 200 && got != context; i++) {
        guest_sleep(counter_freq() / 1000); /* 1 ms: the other vCPU may run */
        __asm__ volatile("dc ivac, %0\n dsb sy" : : "r"(&secondary_context) : "memory");
        got = *(volatile uint64_t *)&secondary_context; /* (it writes with its MMU off) */
    }
    step_want("the context in the new CPU's x0", got, context);
    step_want("AFFINITY_INFO of CPU 1: on", (uint64_t)psci_hvc(PSCI_AFFINITY_INFO, 1, 0, 0), 0);
    step_end();

    step_begin("sysreg-trapped");
    uint64_t v;
    __asm__ volatile("msr dbgbvr0_el1, %1; mrs %0, dbgbvr0_el1" : "=r"(v) : "r"(~0ull));
    step_want("DBGBVR0_EL1 (read as zero)", v, 0);
    step_end();
}

int main(void)
{
    uint64_t start = counter();
    say("attack: giving the VMM bad input\n");
    if (!attack_virtio_signal("start")) {
        say("FAIL: attack: cannot tell the neighbour that the attack starts\n");
        return 1;
    }
    attack_pci(); /* first: the VMM's report budget is spent by the MMIO steps */
    attack_fwcfg(); /* (one report) */
    mmio_registers();
    attack_flash(); /* (its first bad access takes the report budget's last line) */
    mmio_flood();
    gic_garbage();
    psci_abuse();
    attack_timers();
    attack_virtio();
    if (!attack_virtio_signal("done")) {
        say("FAIL: attack: cannot tell the neighbour that the attack is done\n");
        step_failures++;
    }
    if (guest_traps.unexpected) {
        say("FAIL: attack: %u unexpected exceptions\n", guest_traps.unexpected);
        step_failures++;
    }
    if (step_failures) {
        say("FAIL: attack: %u of %u steps failed\n", step_failures, step_count);
        return 1;
    }
    say("attack: all %u steps passed (%lu ms)\n", step_count,
        (unsigned long)((counter() - start) * 1000 / counter_freq()));
    return 0;
}
