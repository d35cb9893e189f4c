// SPDX-License-Identifier: MIT
/*
 * The VM's I/O-port space (x86): devices of the device tree's ISA bus, whose reg's first cell is
 * the address space (1: I/O ports, as in Linux's x86 device trees), and the port accesses of IOIO
 * exits. A device model is the same struct mmio_device as in the memory space, with base and
 * size counted in ports. One VM per VMM: the table is this file's.
 *
 *   isa {
 *       compatible = "isa"; #address-cells = <2>; #size-cells = <1>;
 *       serial@i3f8 { compatible = "ns16550a"; reg = <1 0x3f8 8>; interrupts = <4 1>; };
 *       exit@i501 { compatible = "keel,exit-port"; reg = <1 0x501 1>; };
 *       rtc@i70 { compatible = "motorola,mc146818"; reg = <1 0x70 2>; keel,epoch = <0 1767225600>; };
 *   };
 *
 * keel,exit-port: a byte written there powers the VM off with that byte as its exit status (a
 * test convention, like QEMU's isa-debug-exit).
 *
 * keel,fw-cfg: QEMU's fw_cfg at its ports, reg = <1 0x510 0xc> (dev/fw_cfg_vm.c has the rest of
 * the binding: the files, the boot order).
 */
#include "ports.h"
#include "acpi_tables.h"
#include "pit.h"
#include "rtc.h"
#include "../../dev/uart_ns16550.h"
#include "../../dev/pci_bus.h"
#include "../../dev/fw_cfg_vm.h"
#include "../../vcpu.h"
#include "../../platform.h"
#include <keel/rt.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

#define ISA_SPACE_IO 1

static struct mmio_device ports[VM_MAX_PORT_DEVICES];
static unsigned port_count;

static struct mmio_device *port_device_add(struct vm *vm, const char *name, uint64_t base,
                                           uint64_t size)
{
    if (port_count == VM_MAX_PORT_DEVICES || base > 0xffff || size == 0 || size > 0x10000 - base) {
        printf("vmm: %s: %s: too many port devices, or ports outside 0-0xffff\n", vm->name, name);
        return NULL;
    }
    struct mmio_device *d = &ports[port_count++];
    memset(d, 0, sizeof(*d));
    d->name = name;
    d->base = gpa_init(base);
    d->size = size;
    d->lock = &d->own;
    return d;
}

static bool exit_port_access(struct mmio_device *d, uint64_t offset, unsigned width, bool write,
                             uint64_t *value)
{
    struct vm *vm = d->state;
    if (offset != 0 || width != 1) {
        return false;
    }
    if (write) {
        vm->exit_status = (int64_t)(*value & 0xff);
        vm_stop(vm);
    } else {
        *value = 0;
    }
    return true;
}

/* keel,acpi-pm (acpi_pm.c): the FADT's PM1a blocks, and its PM timer when reg covers it, counting
 * at 3.579545 MHz from the kernel's clock. */
static struct acpi_pm acpi_pm;
static bool acpi_pm_created;

static bool acpi_pm_port_access(struct mmio_device *d, uint64_t offset, unsigned width, bool write,
                                uint64_t *value)
{
    struct vm *vm = d->state;
    uint64_t t = keel_cycles(), f = rt_timer_freq();
    uint32_t timer = (uint32_t)((unsigned __int128)t * ACPI_PM_TIMER_HZ / f);
    switch (acpi_pm_access(&acpi_pm, (unsigned)offset, width, write, value, timer)) {
    case ACPI_PM_POWER_OFF:
        vm->exit_status = 0;
        vm_stop(vm);
        return true;
    case ACPI_PM_DONE:
        return true;
    default:
        return false;
    }
}

/* The reset register (port 0xcf9, the FADT's; the PIIX/ICH reset control register): setting
 * RST_CPU (bit 2: 0x06 the FADT's value, 0x0e Linux's reboot=pci) resets the VM (vm_reset; where
 * it cannot restart, it ends with status 6). */
static bool reset_port_access(struct mmio_device *d, uint64_t offset, unsigned width, bool write,
                              uint64_t *value)
{
    struct vm *vm = d->state;
    if (offset != 0 || width != 1) {
        return false;
    }
    if (write && (*value & 0x04)) {
        vm_reset(vm, ACPI_RESET_VALUE);
    } else if (!write) {
        *value = 0;
    }
    return true;
}

/* intel,8254 (ports 0x40-0x43) and port 0x61 (pit.c), on the kernel's clock in PIT ticks. */
static struct pit pit;

static uint64_t pit_now(void)
{
    return (uint64_t)((unsigned __int128)keel_cycles() * PIT_HZ / rt_timer_freq());
}

/* A byte access of an 8-bit ISA device at offset, at now in the device's clock. */
typedef bool (*isa_byte_fn)(unsigned offset, bool write, uint8_t *b, uint64_t now);

/* An access to an 8-bit ISA device: a wider one is bytes at consecutive ports, as the bus splits
 * it (out 0x70, ax: the CMOS clock's index, then its data; out 0x40, ax: counter 0, then 1). */
static bool isa_bytes(isa_byte_fn byte, uint64_t now, uint64_t offset, unsigned width, bool write,
                      uint64_t *value)
{
    uint64_t in = 0;
    for (unsigned k = 0; k < width; k++) {
        uint8_t b = (uint8_t)(*value >> (8 * k));
        if (!byte((unsigned)offset + k, write, &b, now)) {
            return false;
        }
        in |= (uint64_t)b << (8 * k);
    }
    if (!write) {
        *value = in;
    }
    return true;
}

static bool pit_byte(unsigned offset, bool write, uint8_t *b, uint64_t now)
{
    return pit_access(&pit, offset, write, b, now);
}

/* motorola,mc146818 (ports 0x70-0x71, rtc.c), on the kernel's clock in 32768 Hz ticks. The wall
 * clock starts at keel,epoch (seconds since 1970-01-01 00:00 UTC; default 2000-01-01): nothing
 * below the VMM knows the time of day yet. */
static struct rtc rtc;
static bool rtc_created;

static uint64_t rtc_now(void)
{
    return (uint64_t)((unsigned __int128)keel_cycles() * RTC_HZ / rt_timer_freq());
}

/* The clock events of the 8254 (IRQ 0: the I/O APIC's line 2, as the MADT's override says) and
 * the CMOS clock (IRQ 8), when the VM has an I/O APIC. vCPU 0 raises what is due and sleeps or
 * runs no longer than to the next (ports_clock_events, at each of its resumes: its timer deadline
 * is the earlier of its local APIC's and these); an access that moves the next event kicks it. */
#define PIT_LINE 2
#define RTC_LINE 8
static struct mmio_device *pit_dev, *rtc_dev;
static uint64_t pit_next = UINT64_MAX, rtc_next = UINT64_MAX; /* kernel ticks */
static bool rtc_level;

static uint64_t ticks_at(uint64_t device_tick, uint64_t hz)
{
    if (device_tick == UINT64_MAX) {
        return UINT64_MAX;
    }
    unsigned __int128 t = ((unsigned __int128)device_tick * rt_timer_freq() + hz - 1) / hz;
    return t >= UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

/* With the device's lock held, at the device's time now: raises what is due, records when the next
 * event is (kernel ticks) and returns whether it came earlier. IRQ 0 comes at most every 10 us
 * (as the local APIC's timer: a period below an interrupt's cost would keep vCPU 0 in the VMM;
 * the edges in between are one interrupt, as pit_irq0 merges them). */
static bool pit_events(struct vm *vm, uint64_t now)
{
    uint64_t next, before = pit_next;
    if (pit_irq0(&pit, now, &next)) {
        vm_irq_set(vm, PIT_LINE, true); /* an edge (the output's low phase is not a level here) */
        vm_irq_set(vm, PIT_LINE, false);
    }
    uint64_t at = ticks_at(next, PIT_HZ), soonest = keel_cycles() + rt_timer_freq() / 100000 + 1;
    __atomic_store_n(&pit_next, at != UINT64_MAX && at < soonest ? soonest : at, __ATOMIC_RELAXED);
    return pit_next < before;
}

static bool rtc_events(struct vm *vm, uint64_t now)
{
    uint64_t next, before = rtc_next;
    bool level = rtc_poll(&rtc, now, &next);
    if (level != rtc_level) {
        rtc_level = level;
        vm_irq_set(vm, RTC_LINE, level);
    }
    __atomic_store_n(&rtc_next, ticks_at(next, RTC_HZ), __ATOMIC_RELAXED);
    return rtc_next < before;
}

/* After a guest's access that brought an event earlier: vCPU 0 looks again (unless it is us). */
static void clock_moved(struct vm *vm)
{
    if (vm->vcpu_count && vcpu_self(vm) != &vm->vcpus[0]) {
        vcpu_kick(&vm->vcpus[0]);
    }
}

uint64_t ports_clock_events(struct vm *vm)
{
    /* Nothing due yet: the devices change their next events only when the guest accesses them,
     * which works them out again (the common case on every resume: no lock, no model). */
    uint64_t pit_due = __atomic_load_n(&pit_next, __ATOMIC_RELAXED);
    uint64_t rtc_due = __atomic_load_n(&rtc_next, __ATOMIC_RELAXED);
    uint64_t due = pit_due < rtc_due ? pit_due : rtc_due;
    if (!vm->arch.ioapic_base || due == UINT64_MAX || keel_cycles() < due) {
        return due;
    }
    if (pit_dev) {
        vm_lock(pit_dev->lock);
        pit_events(vm, pit_now());
        pit_due = pit_next;
        vm_unlock(pit_dev->lock);
    }
    if (rtc_dev) {
        vm_lock(rtc_dev->lock);
        rtc_events(vm, rtc_now());
        rtc_due = rtc_next;
        vm_unlock(rtc_dev->lock);
    }
    return pit_due < rtc_due ? pit_due : rtc_due;
}

/* A write may program counter 0 (a control word, or a count; a 16-bit write at 0x42 reaches the
 * control word too): its old programming's edges are raised first, at the access's one time. */
static bool pit_port_access(struct mmio_device *d, uint64_t offset, unsigned width, bool write,
                            uint64_t *value)
{
    struct vm *vm = d->state;
    uint64_t now = pit_now();
    bool events = write && vm->arch.ioapic_base;
    if (events) {
        pit_events(vm, now);
    }
    bool ok = isa_bytes(pit_byte, now, offset, width, write, value);
    if (events && pit_events(vm, now)) {
        clock_moved(vm);
    }
    return ok;
}

static bool port61_access(struct mmio_device *d, uint64_t offset, unsigned width, bool write,
                          uint64_t *value)
{
    (void)d;
    uint8_t b = (uint8_t)*value;
    if (offset != 0 || width != 1) {
        return false;
    }
    pit_port61_access(&pit, write, &b, pit_now());
    *value = b;
    return true;
}

static bool rtc_byte(unsigned offset, bool write, uint8_t *b, uint64_t now)
{
    return rtc_access(&rtc, offset, write, b, now);
}

/* Every access may change IRQ 8 (reading register C lowers it; writing B or A may raise it, or
 * move the next event). */
static bool rtc_port_access(struct mmio_device *d, uint64_t offset, unsigned width, bool write,
                            uint64_t *value)
{
    struct vm *vm = d->state;
    uint64_t now = rtc_now(); /* (one time: a read of C and the poll after it must agree) */
    bool ok = isa_bytes(rtc_byte, now, offset, width, write, value);
    if (vm->arch.ioapic_base && rtc_events(vm, now)) {
        clock_moved(vm);
    }
    return ok;
}

uint64_t ports_wall_clock(uint64_t cycles, uint32_t *nsec)
{
    uint64_t f = rt_timer_freq();
    if (f == 0) {
        *nsec = 0;
        return 946684800;
    }
    *nsec = (uint32_t)((unsigned __int128)(cycles % f) * 1000000000u / f);
    if (!rtc_created) {
        static uint64_t start; /* the first call's: the VM's start, near enough */
        uint64_t zero = 0;
        __atomic_compare_exchange_n(&start, &zero, cycles / f, false, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);
        uint64_t first = __atomic_load_n(&start, __ATOMIC_RELAXED);
        return 946684800 + (cycles / f > first ? cycles / f - first : 0);
    }
    /* the clock's seconds are the ticks' seconds plus its offset (rtc.c) */
    vm_lock(rtc_dev->lock);
    int64_t offset = rtc.offset;
    vm_unlock(rtc_dev->lock);
    return (uint64_t)((int64_t)(cycles / f) + offset);
}

static int rtc_create(struct vm *vm, const void *fdt, int node, struct mmio_device *d)
{
    uint64_t epoch = 946684800, end = gpa_val(vm->ram_base) + vm->ram_size;
    const uint64_t four_g = 1ull << 32;
    if (rtc_created || d->size != 2 || rt_timer_freq() == 0 ||
        (fdt_getprop(fdt, node, "keel,epoch", NULL) &&
         !fdt_util_u64(fdt, node, "keel,epoch", &epoch)) ||
        epoch > (1ull << 40)) {
        printf("vmm: %s: one motorola,mc146818: reg = <1 0x70 2>, keel,epoch a 64-bit count of "
               "seconds\n",
               vm->name);
        return -1;
    }
    rtc_created = true;
    struct rtc_config c = { (int64_t)epoch, 0, 0, vm->vcpu_count };
    uint64_t base = gpa_val(vm->ram_base);
    c.ram_below_4g = base < four_g ? (end < four_g ? end : four_g) - base : 0;
    c.ram_above_4g = vm->ram_size - c.ram_below_4g;
    rtc_init(&rtc, &c, rtc_now());
    d->access = rtc_port_access;
    d->state = vm;
    rtc_dev = d;
    vm->arch.clock_devices = true;
    vm->arch.rtc = true;
    return 0;
}

/* A reset of the VM: the 8254 as at power on (no count loaded, gates low), the PM block's enable
 * and control bits clear; the CMOS clock keeps its time and its RAM (a battery's), as it is
 * (the guest sets its interrupt enables again); fw_cfg its selector (its own hook). */
static void pit_reset(struct mmio_device *d)
{
    (void)d;
    pit_init(&pit);
    __atomic_store_n(&pit_next, UINT64_MAX, __ATOMIC_RELAXED);
}

static void acpi_pm_reset(struct mmio_device *d)
{
    (void)d;
    acpi_pm.enable = acpi_pm.control = 0;
}

int ports_create_isa(struct vm *vm, const void *fdt, int isa)
{
    int node;
    fdt_for_each_subnode(node, fdt, isa) {
        uint64_t addr, size;
        unsigned irq = 0;
        bool uart = fdt_node_check_compatible(fdt, node, "ns16550a") == 0;
        bool exit = fdt_node_check_compatible(fdt, node, "keel,exit-port") == 0;
        bool pm = fdt_node_check_compatible(fdt, node, "keel,acpi-pm") == 0;
        bool pit8254 = fdt_node_check_compatible(fdt, node, "intel,8254") == 0;
        bool cmos = fdt_node_check_compatible(fdt, node, "motorola,mc146818") == 0;
        bool fw_cfg = fdt_node_check_compatible(fdt, node, "keel,fw-cfg") == 0;
        if (!uart && !exit && !pm && !pit8254 && !cmos && !fw_cfg) {
            continue;
        }
        if (!fdt_util_reg(fdt, node, 0, &addr, &size) || (addr >> 32) != ISA_SPACE_IO) {
            printf("vmm: %s: %s: reg must name I/O ports: <1 port count>\n", vm->name,
                   fdt_get_name(fdt, node, NULL));
            return -1;
        }
        const char *name = uart      ? "ns16550a"
                           : exit    ? "exit-port"
                           : pm      ? "acpi-pm"
                           : pit8254 ? "8254"
                           : fw_cfg  ? "fw-cfg"
                                     : "mc146818";
        struct mmio_device *d = port_device_add(vm, name, addr & 0xffffffffu, size);
        if (!d) {
            return -1;
        }
        if (cmos) {
            if (rtc_create(vm, fdt, node, d) != 0) {
                return -1;
            }
        } else if (fw_cfg) {
            if (fw_cfg_vm_ports(vm, fdt, node, d) != 0) {
                return -1;
            }
        } else if (pit8254) {
            struct mmio_device *p61 = pit_dev ? NULL : port_device_add(vm, "port61", 0x61, 1);
            if (size != 4 || !p61 || rt_timer_freq() == 0) {
                printf("vmm: %s: one intel,8254: reg = <1 port 4>\n", vm->name);
                return -1;
            }
            pit_init(&pit);
            d->access = pit_port_access;
            d->reset = pit_reset;
            d->state = vm;
            pit_dev = d;
            vm->arch.clock_devices = true;
            p61->access = port61_access;
            p61->lock = d->lock; /* (one timer: its counters and port 0x61 under one lock) */
        } else if (pm) {
            struct mmio_device *reset = port_device_add(vm, "reset", ACPI_RESET_PORT, 1);
            if ((size != ACPI_PM_PORTS && size != ACPI_PM_PORTS_NO_TIMER) || !reset ||
                rt_timer_freq() == 0 || acpi_pm_created) {
                printf("vmm: %s: one keel,acpi-pm: reg = <1 port 0x%x> (0x%x: no PM timer)\n",
                       vm->name, ACPI_PM_PORTS, ACPI_PM_PORTS_NO_TIMER);
                return -1;
            }
            acpi_pm = (struct acpi_pm){ .timer = size == ACPI_PM_PORTS };
            acpi_pm_created = true;
            d->access = acpi_pm_port_access;
            d->reset = acpi_pm_reset;
            d->state = vm;
            reset->access = reset_port_access;
            reset->state = vm;
            vm->arch.acpi_pm_base = (uint16_t)addr;
            vm->arch.acpi_pm_timer = acpi_pm.timer;
        } else if (exit) {
            d->access = exit_port_access;
            d->state = vm;
        } else if (uart_ns16550_create(d, vm, arch_device_irq(fdt, node, &irq) ? irq : 0, 0) != 0) {
            printf("vmm: %s: too many UARTs\n", vm->name);
            return -1;
        }
    }
    return 0;
}

void ports_reset(struct vm *vm)
{
    (void)vm;
    for (unsigned i = 0; i < port_count; i++) {
        struct mmio_device *d = &ports[i];
        if (d->reset) {
            vm_lock(d->lock);
            d->reset(d);
            vm_unlock(d->lock);
        }
    }
}

bool ports_access(struct vm *vm, unsigned port, unsigned width, bool write, uint64_t *value)
{
    struct pci_bus *pci = pci_bus_of(vm); /* 0xcf8's dword and 0xcfc-0xcff, before the reset port */
    if (pci && pci_bus_io(pci, port, width, write, value)) {
        return true;
    }
    for (unsigned i = 0; i < port_count; i++) {
        struct mmio_device *d = &ports[i];
        uint64_t base = gpa_val(d->base);
        if (port >= base && port + width <= base + d->size) {
            return vm_device_access(d, port - base, width, write, value);
        }
    }
    return false;
}
