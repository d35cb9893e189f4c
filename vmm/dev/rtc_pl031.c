// SPDX-License-Identifier: MIT
/*
 * The Arm PL031 real-time clock (see rtc_pl031.h): the model, then the VMM's device from the VM
 * device tree.
 *
 *   pl031@9010000 {
 *       compatible = "arm,pl031", "arm,primecell";
 *       reg = <0x0 0x9010000 0x0 0x1000>;
 *       interrupts = <0 2 4>;
 *       clocks = <&apb_pclk>;
 *       clock-names = "apb_pclk";
 *       keel,epoch = <0 1767225600>;
 *   };
 *
 * (clocks and clock-names are for Linux's AMBA bus, which will not probe a PrimeCell without
 * its apb_pclk; the VMM does not read them.)
 *
 * Registers (32 bits each; offsets in the 4 KiB window):
 *
 *   0x000 RTCDR   read: the count            0x010 RTCIMSC  bit 0: interrupt enabled
 *   0x004 RTCMR   the match value            0x014 RTCRIS   bit 0: the count reached RTCMR
 *   0x008 RTCLR   write: loads the count     0x018 RTCMIS   RTCRIS & RTCIMSC
 *   0x00C RTCCR   bit 0: RTC start           0x01C RTCICR   write 1: clears RTCRIS
 *   0xFE0-0xFEC   RTCPeriphID0-3             0xFF0-0xFFC    RTCPCellID0-3
 *
 * The count: (the ticks' whole seconds + offset) modulo 2^32; a load moves the offset, so the
 * count's seconds keep the ticks' phase, as the hardware's counter keeps its 1 Hz clock's. A
 * match is the count becoming equal to RTCMR: by counting into it (looked for from `seen`, the
 * last second examined, up to now), or by a write of RTCMR or RTCLR that makes them equal.
 *
 * Where the TRM and QEMU's model differ (the TRM's register descriptions as rust-vmm's
 * vm-superio, VirtualBox's DevPL031 and Kernkonzept's uvmm quote them):
 * - RTCCR. The TRM: bit 0 "RTC start", 0 at reset; once software sets it, writes to it change
 *   nothing until a reset. QEMU: the clock runs from power on; RTCCR reads 1 and ignores
 *   writes. Keel does as QEMU: the VM's clock is a board's battery-backed one, started before
 *   the VM powers on and still running after a reset; writing 0 does not stop it, and writing 1
 *   does not touch the count (VirtualBox zeroes the count at every RTCCR write; Linux's probe
 *   writes RTCCR |= 1 at every boot). Guests start it themselves anyway (Linux always, EDK2
 *   when it reads 0), so they see no difference.
 * - RTCPeriphID2. QEMU: 0x14 (revision 1). The TRM's reset value: 0x04 (revision 0). Keel gives
 *   QEMU's, what guests on QEMU's virt board see; both pass Linux's AMBA match (0x00041031 under
 *   the mask 0x000fffff) and EDK2's IdentifyPL031 (the low nibble 4).
 * - The match. The TRM's comparator asserts the interrupt while the count equals RTCMR; QEMU
 *   raises RTCRIS once, when they become equal, so clearing it in that second does not raise
 *   it again. Keel does as QEMU.
 * - Reset. QEMU's model has none (RTCMR, RTCIMSC, RTCRIS survive a system reset); Keel puts
 *   them back to the TRM's reset values (0) and keeps the count.
 * - Widths. QEMU takes any width. Keel takes 32-bit accesses, and 1-byte reads of the ID
 *   registers because EDK2's IdentifyPL031 reads them with MmioRead8 (it would not find the RTC
 *   otherwise).
 * - Bad accesses (a write to a read-only register, a read of RTCICR, no register there). QEMU
 *   logs a guest error, reads 0 and ignores writes; Keel refuses them: the VMM reports the
 *   access and the guest reads 0, the same to the guest.
 *
 * The device: one per VM, in this file's state, serialised by its own lock (vm_device_access);
 * the count starts at keel,epoch when the VMM makes it, on the kernel's clock (keel_cycles() at
 * rt_timer_freq()). The line follows the level after each access and at a reset (rtc_pl031.h:
 * at accesses only: it does not use the device timer yet).
 */
#include "rtc_pl031.h"
#include "../vm.h"
#include "../platform.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <fdt_util.h>
#include <libfdt.h>

enum {
    RTCDR = 0x000,
    RTCMR = 0x004,
    RTCLR = 0x008,
    RTCCR = 0x00c,
    RTCIMSC = 0x010,
    RTCRIS = 0x014,
    RTCMIS = 0x018,
    RTCICR = 0x01c,
    RTC_ID_FIRST = 0xfe0, /* RTCPeriphID0 */
    RTC_ID_LAST = 0xffc,  /* RTCPCellID3 */
};
#define RTCCR_START 1u
#define RTCIMSC_MATCH 1u
#define RTCRIS_MATCH 1u
#define RTCICR_MATCH 1u

/* RTCPeriphID0-3 (part 0x031, designer 0x41 "A", revision 1, configuration 0) and RTCPCellID0-3
 * (the PrimeCell signature), one byte per register. */
static const uint8_t rtc_ids[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

/* The count at the ticks' second s. */
static uint32_t count_at(const struct rtc_pl031 *r, uint64_t s)
{
    return (uint32_t)s + r->offset;
}

uint32_t rtc_pl031_count(const struct rtc_pl031 *r, uint64_t now)
{
    return count_at(r, now / r->freq);
}

/* Looks for a match in the seconds after `seen` up to now's: the count passed through
 * count(seen) + 1 ... count(seen) + passed, all 2^32 values when passed is that many. */
static void catch_up(struct rtc_pl031 *r, uint64_t now)
{
    uint64_t s = now / r->freq;
    if (s <= r->seen) {
        return; /* (a clock that went back: nothing new) */
    }
    uint64_t passed = s - r->seen;
    uint32_t ahead = r->mr - count_at(r, r->seen); /* seconds from `seen` to the match */
    if (passed >= (1ull << 32) || (ahead != 0 && ahead <= passed)) {
        r->ris = true;
    }
    r->seen = s;
}

void rtc_pl031_init(struct rtc_pl031 *r, uint64_t freq, uint32_t count, uint64_t now)
{
    *r = (struct rtc_pl031){ .freq = freq };
    r->offset = count - (uint32_t)(now / freq);
    r->seen = now / freq;
}

void rtc_pl031_reset(struct rtc_pl031 *r, uint64_t now)
{
    catch_up(r, now); /* (moves `seen` to now: what came before the reset is forgotten) */
    r->mr = 0;
    r->lr = 0;
    r->imsc = false;
    r->ris = false;
}

static bool is_id(uint64_t offset)
{
    return offset >= RTC_ID_FIRST && offset <= RTC_ID_LAST;
}

static bool read_reg(struct rtc_pl031 *r, uint64_t offset, uint32_t *v, uint64_t now)
{
    switch (offset) {
    case RTCDR:
        *v = rtc_pl031_count(r, now);
        return true;
    case RTCMR:
        *v = r->mr;
        return true;
    case RTCLR:
        *v = r->lr;
        return true;
    case RTCCR:
        *v = RTCCR_START; /* started from power on (above) */
        return true;
    case RTCIMSC:
        *v = r->imsc ? RTCIMSC_MATCH : 0;
        return true;
    case RTCRIS:
        *v = r->ris ? RTCRIS_MATCH : 0;
        return true;
    case RTCMIS:
        *v = r->ris && r->imsc ? RTCRIS_MATCH : 0;
        return true;
    default:
        if (is_id(offset)) {
            *v = rtc_ids[(offset - RTC_ID_FIRST) / 4];
            return true;
        }
        return false; /* RTCICR (write-only), or no register */
    }
}

static bool write_reg(struct rtc_pl031 *r, uint64_t offset, uint32_t v, uint64_t now)
{
    switch (offset) {
    case RTCMR:
        r->mr = v;
        if (rtc_pl031_count(r, now) == v) {
            r->ris = true;
        }
        return true;
    case RTCLR:
        r->lr = v;
        r->offset = v - (uint32_t)(now / r->freq);
        if (r->mr == v) {
            r->ris = true;
        }
        return true;
    case RTCCR:
        return true; /* it runs, and cannot be stopped (above) */
    case RTCIMSC:
        r->imsc = (v & RTCIMSC_MATCH) != 0;
        return true;
    case RTCICR:
        if (v & RTCICR_MATCH) {
            r->ris = false;
        }
        return true;
    default:
        return false; /* RTCDR, RTCRIS, RTCMIS, the IDs (read-only), or no register */
    }
}

bool rtc_pl031_access(struct rtc_pl031 *r, uint64_t offset, unsigned width, bool write,
                      uint64_t *value, uint64_t now)
{
    bool id_byte = width == 1 && !write && is_id(offset);
    if ((width != 4 && !id_byte) || offset % 4 != 0) {
        return false;
    }
    /* Matches up to now, with the registers as they were until now. */
    catch_up(r, now);
    if (write) {
        return write_reg(r, offset, (uint32_t)*value, now);
    }
    uint32_t v;
    if (!read_reg(r, offset, &v, now)) {
        return false;
    }
    *value = v;
    return true;
}

bool rtc_pl031_poll(struct rtc_pl031 *r, uint64_t now, uint64_t *next)
{
    catch_up(r, now);
    *next = UINT64_MAX;
    if (!r->imsc) {
        return false;
    }
    if (r->ris) {
        return true;
    }
    /* The second the count next equals RTCMR: 2^32 seconds on if it does now (that match has
     * been had, or it was cleared). */
    uint64_t s = now / r->freq;
    uint32_t ahead = r->mr - count_at(r, s);
    uint64_t at = s + (ahead ? ahead : 1ull << 32);
    if (at <= UINT64_MAX / r->freq) {
        *next = at * r->freq;
    }
    return false;
}

/* The VM's PL031: one per VM. */
static struct rtc_pl031 rtc;
static struct vm *rtc_vm;
static unsigned rtc_irq; /* its line (0: none) */
static bool rtc_level;   /* what the line was last set to */
static bool rtc_made;

/* With the device's lock held: the line to the model's level at now. */
static void rtc_line(uint64_t now)
{
    uint64_t next;
    bool level = rtc_pl031_poll(&rtc, now, &next);
    if (rtc_irq && level != rtc_level) {
        rtc_level = level;
        vm_irq_set(rtc_vm, rtc_irq, level);
    }
}

static bool rtc_mmio_access(struct mmio_device *d, uint64_t offset, unsigned width, bool write,
                            uint64_t *value)
{
    (void)d;
    uint64_t now = keel_cycles(); /* (one time: the access and the level after it agree) */
    bool ok = rtc_pl031_access(&rtc, offset, width, write, value, now);
    rtc_line(now);
    return ok;
}

static void rtc_mmio_reset(struct mmio_device *d)
{
    (void)d;
    uint64_t now = keel_cycles();
    rtc_pl031_reset(&rtc, now);
    rtc_line(now);
}

int rtc_pl031_from_dt(struct vm *vm, const void *fdt, int node)
{
    const char *where = fdt_get_name(fdt, node, NULL);
    uint64_t base, size, epoch = 946684800; /* 2000-01-01 00:00 UTC */
    unsigned irq = 0;
    if (rtc_made) {
        printf("vmm: %s: %s: one arm,pl031 per VM\n", vm->name, where);
        return -1;
    }
    if (!fdt_util_reg(fdt, node, 0, &base, &size) || size != RTC_PL031_SIZE) {
        printf("vmm: %s: %s: reg must be the 0x%x-byte window\n", vm->name, where, RTC_PL031_SIZE);
        return -1;
    }
    if (fdt_getprop(fdt, node, "interrupts", NULL) && !arch_device_irq(fdt, node, &irq)) {
        printf("vmm: %s: %s: interrupts must name a line of the interrupt controller\n", vm->name,
               where);
        return -1;
    }
    if ((fdt_getprop(fdt, node, "keel,epoch", NULL) &&
         !fdt_util_u64(fdt, node, "keel,epoch", &epoch)) ||
        epoch > UINT32_MAX) {
        printf("vmm: %s: %s: keel,epoch must be seconds since 1970 below 2^32 (the PL031's "
               "count is 32 bits)\n",
               vm->name, where);
        return -1;
    }
    uint64_t freq = rt_timer_freq();
    if (freq == 0) {
        printf("vmm: %s: %s: no timer frequency\n", vm->name, where);
        return -1;
    }
    struct mmio_device *d = vm_device_add(vm, "pl031", gpa_init(base), size);
    if (!d) {
        printf("vmm: %s: too many devices\n", vm->name);
        return -1;
    }
    rtc_made = true;
    rtc_vm = vm;
    rtc_irq = irq;
    rtc_level = false;
    rtc_pl031_init(&rtc, freq, (uint32_t)epoch, keel_cycles());
    d->access = rtc_mmio_access;
    d->reset = rtc_mmio_reset;
    d->state = &rtc;
    return 0;
}
