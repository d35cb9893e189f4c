// SPDX-License-Identifier: MIT
/*
 * The Arm SBSA Generic Watchdog (see sbsa_gwdt.h): the model, then the VMM's device from the VM
 * device tree.
 *
 *   watchdog@9030000 {
 *       compatible = "arm,sbsa-gwdt";
 *       reg = <0x0 0x9030000 0x0 0x1000>,   // the control frame
 *             <0x0 0x9040000 0x0 0x1000>;   // the refresh frame
 *       interrupts = <0 3 4>;               // WS0 (level, active high)
 *       timeout-sec = <30>;                 // (for the guest's driver)
 *   };
 *
 * (The binding, Linux's Documentation/devicetree/bindings/watchdog/arm,sbsa-gwdt.yaml: the
 * control frame first, then the refresh frame; Linux's driver maps them in that order.)
 *
 * Registers (32 bits each; offsets in each 4 KiB frame):
 *
 *   control frame  0x000 WCS     bit 0 EN (RW), bit 1 WS0 (RO), bit 2 WS1 (RO); [31:3] RAZ/WI
 *                  0x008 WOR     the offset, bits [31:0]
 *                  0x00C WOR     bits [47:32] of it (revision 1); [63:48] RAZ/WI
 *                  0x010 WCV     the compare value, bits [31:0]
 *                  0x014 WCV     bits [63:32]
 *                  0xFCC W_IIDR  SBSA_GWDT_IIDR (RO)
 *   refresh frame  0x000 WRR     write: an explicit refresh; reads 0
 *                  0xFCC W_IIDR  the same value
 *
 * Every other offset of a frame is reserved: RAZ/WI. The rules, from the SBSA (DEN0029) and BSA
 * (DEN0094) as the public sources read them (Linux's drivers/watchdog/sbsa_gwdt.c and its
 * binding, QEMU's hw/watchdog/sbsa_gwdt.c and its review on qemu-devel, Arm's BSA ACS val/src/
 * avs_wd.c; the specs' own text was not at hand):
 * - An explicit refresh (a write to WRR, to WOR or to WCS) sets WCV = counter + WOR and clears
 *   WS0 and WS1.
 * - With EN set, the counter reaching WCV is a timeout: with WS0 clear, WS0 rises and a timeout
 *   refresh sets WCV = counter + WOR; with WS0 set, WS1 rises and WCV stays (the SBSA's rule
 *   from level 2 up, which levels 0 and 1 may follow too).
 * - WCV is also written directly; that is no refresh (WS0/WS1 stay), only a new compare value,
 *   which may be in the past: then the timeout comes at once.
 * - W_IIDR, readable in both frames, says the architecture revision in [19:16]: 1 here, so WOR
 *   has 48 bits, its upper 16 at 0x00C (BSA 1.0, for a 1 GHz counter; revision 0 had 32). Linux
 *   reads it to pick 32- or 48-bit WOR accesses. [11:0] is the implementer's JEP106 code.
 *
 * Where Keel and QEMU's model differ, Keel follows the spec's meaning: QEMU keeps WCV in
 * nanoseconds of its own clock rather than in counter ticks (Linux's time-left reads WCV -
 * counter), and a write of WCV there changes nothing until the next refresh. Both take 32-bit
 * accesses only (QEMU's valid sizes; Linux makes 64-bit values of two, low half first).
 *
 * The timeouts are worked out from the counter (catch_up): the compare "counter >= WCV with EN"
 * became true at max(WCV, the counter of the last write), so each signal is placed where it
 * came, however late the VMM looks.
 *
 * The device: one per VM, in this file's state; both frames share the control frame's lock. The
 * counter is the system counter the guest sees (ARCH_SYSTEM_COUNTER_HZ, vm_arch.h: arm64
 * CNTVCT, riscv64 time, x86_64 a 62.5 MHz timebase from the TSC). The WS0 line follows the
 * model after each access, at its deadlines (a device timer, vm_timer.h) and at a reset; WS1
 * resets the VM (vm_reset: arm64 and x86_64 restart it in place, riscv64 stops it with status
 * SBSA_GWDT_RESET_STATUS), after the line "watchdog expired (WS1): resetting the VM". A reset
 * of the VM puts the device back in its reset state (the watchdog off).
 */
#include "sbsa_gwdt.h"
#include "../vm.h"
#include "../vcpu.h" /* vm_reset */
#include "../vm_timer.h"
#include "../platform.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <fdt_util.h>
#include <libfdt.h>

enum {
    WCS = 0x000,
    WOR = 0x008,
    WORU = 0x00c,
    WCV = 0x010,
    WCVU = 0x014,
    WRR = 0x000, /* (refresh frame) */
    W_IIDR = 0xfcc,
};
#define WCS_EN 1u
#define WCS_WS0 2u
#define WCS_WS1 4u
#define WOR_MASK ((1ull << SBSA_GWDT_WOR_BITS) - 1)
#define LOW32 0xffffffffull

void sbsa_gwdt_reset(struct sbsa_gwdt *w, uint64_t now)
{
    *w = (struct sbsa_gwdt){ .since = now };
}

/* The timeouts up to now, each where it came (above). */
static void catch_up(struct sbsa_gwdt *w, uint64_t now)
{
    if (!w->en || w->ws1) {
        return;
    }
    uint64_t at = w->wcv > w->since ? w->wcv : w->since;
    if (now < at) {
        return;
    }
    if (!w->ws0) {
        w->ws0 = true;
        w->wcv = at + w->wor; /* the timeout refresh (modulo 2^64, as the hardware's adder) */
        w->since = at;
        at = w->wcv > at ? w->wcv : at;
        if (now < at) {
            return;
        }
    }
    w->ws1 = true;
    w->ws1_fired = true;
}

static void refresh(struct sbsa_gwdt *w, uint64_t now)
{
    w->ws0 = false;
    w->ws1 = false;
    w->wcv = now + w->wor;
}

static uint32_t read_reg(const struct sbsa_gwdt *w, enum sbsa_gwdt_frame frame, uint64_t offset)
{
    if (offset == W_IIDR) {
        return SBSA_GWDT_IIDR; /* (in both frames) */
    }
    if (frame == SBSA_GWDT_REFRESH) {
        return 0; /* WRR reads 0; the rest is reserved */
    }
    switch (offset) {
    case WCS:
        return (w->en ? WCS_EN : 0) | (w->ws0 ? WCS_WS0 : 0) | (w->ws1 ? WCS_WS1 : 0);
    case WOR:
        return (uint32_t)w->wor;
    case WORU:
        return (uint32_t)(w->wor >> 32);
    case WCV:
        return (uint32_t)w->wcv;
    case WCVU:
        return (uint32_t)(w->wcv >> 32);
    default:
        return 0; /* reserved: RAZ */
    }
}

static void write_reg(struct sbsa_gwdt *w, enum sbsa_gwdt_frame frame, uint64_t offset, uint32_t v,
                      uint64_t now)
{
    if (frame == SBSA_GWDT_REFRESH) {
        if (offset == WRR) {
            refresh(w, now); /* whatever the value */
        }
        return; /* W_IIDR and the reserved offsets: WI */
    }
    switch (offset) {
    case WCS:
        w->en = (v & WCS_EN) != 0; /* (WS0 and WS1 are read-only) */
        refresh(w, now);
        break;
    case WOR:
        w->wor = (w->wor & ~LOW32) | v;
        refresh(w, now);
        break;
    case WORU:
        w->wor = ((w->wor & LOW32) | (uint64_t)v << 32) & WOR_MASK;
        refresh(w, now);
        break;
    case WCV:
        w->wcv = (w->wcv & ~LOW32) | v;
        break;
    case WCVU:
        w->wcv = (w->wcv & LOW32) | (uint64_t)v << 32;
        break;
    default:
        break; /* W_IIDR and the reserved offsets: WI */
    }
}

bool sbsa_gwdt_access(struct sbsa_gwdt *w, enum sbsa_gwdt_frame frame, uint64_t offset,
                      unsigned width, bool write, uint64_t *value, uint64_t now)
{
    if (width != 4 || offset % 4 != 0 || offset > SBSA_GWDT_FRAME_SIZE - 4) {
        return false;
    }
    /* The timeouts up to now, with the registers as they were until now. */
    catch_up(w, now);
    if (write) {
        write_reg(w, frame, offset, (uint32_t)*value, now);
        w->since = now; /* (a compare that comes true by this write comes true now) */
    } else {
        *value = read_reg(w, frame, offset);
    }
    return true;
}

unsigned sbsa_gwdt_poll(struct sbsa_gwdt *w, uint64_t now, uint64_t *next)
{
    catch_up(w, now);
    *next = UINT64_MAX;
    if (w->en && !w->ws1) {
        *next = w->wcv > w->since ? w->wcv : w->since;
    }
    return (w->ws0 ? SBSA_GWDT_WS0 : 0) | (w->ws1_fired ? SBSA_GWDT_WS1 : 0);
}

/* (No 128-bit division: riscv64's libgcc is hard-float, the VMM soft-float. Exact with
 * cycles = q * freq + r: floor(cycles * hz / freq) = q * hz + floor(r * hz / freq).) */
uint64_t sbsa_gwdt_counter(uint64_t cycles, uint64_t freq, uint64_t hz)
{
    if (hz == 0) {
        return cycles;
    }
    return cycles / freq * hz + cycles % freq * hz / freq;
}

uint64_t sbsa_gwdt_cycles_at(uint64_t count, uint64_t freq, uint64_t hz)
{
    if (hz == 0 || count == UINT64_MAX) {
        return count;
    }
    /* The least c with floor(c * hz / freq) >= count: ceil(count * freq / hz), by parts. */
    uint64_t q = count / hz, part = (count % hz * freq + hz - 1) / hz;
    if (q > (UINT64_MAX - part) / freq) {
        return UINT64_MAX;
    }
    return q * freq + part;
}

/* The VM's watchdog: one per VM. */
static struct sbsa_gwdt gwdt;
static struct vm *gwdt_vm;
static struct vm_lock *gwdt_lock; /* both frames' (the control frame's own) */
static struct vm_timer gwdt_timer;
static uint64_t gwdt_freq;     /* rt_timer_freq() */
static unsigned gwdt_irq;      /* WS0's line (0: none) */
static bool gwdt_level;        /* what the line was last set to */
static bool gwdt_expired;      /* WS1 acted on (until the VM's reset) */
static unsigned gwdt_expiries; /* WS1s over the VMM's life (the line's rate) */
static bool gwdt_made;

static uint64_t counter_now(void)
{
    return sbsa_gwdt_counter(keel_cycles(), gwdt_freq, ARCH_SYSTEM_COUNTER_HZ);
}

/* With the device's lock held: the line, WS1's reset and the next deadline at counter now. */
static void gwdt_update(uint64_t now)
{
    uint64_t next;
    unsigned signals = sbsa_gwdt_poll(&gwdt, now, &next);
    bool level = (signals & SBSA_GWDT_WS0) != 0;
    if (gwdt_irq && level != gwdt_level) {
        gwdt_level = level;
        vm_irq_set(gwdt_vm, gwdt_irq, level);
    }
    if ((signals & SBSA_GWDT_WS1) && !gwdt_expired) {
        gwdt_expired = true;
        unsigned n = ++gwdt_expiries;
        if (n <= 8 || (n & (n - 1)) == 0) { /* (a guest that expires in a loop: fewer) */
            printf("vmm: %s: watchdog expired (WS1): resetting the VM\n", gwdt_vm->name);
        }
        vm_reset(gwdt_vm, SBSA_GWDT_RESET_STATUS);
    }
    vm_timer_set(&gwdt_timer, sbsa_gwdt_cycles_at(next, gwdt_freq, ARCH_SYSTEM_COUNTER_HZ));
}

static bool gwdt_access(enum sbsa_gwdt_frame frame, uint64_t offset, unsigned width, bool write,
                        uint64_t *value)
{
    uint64_t now = counter_now(); /* (one time: the access and the signals after it agree) */
    bool ok = sbsa_gwdt_access(&gwdt, frame, offset, width, write, value, now);
    gwdt_update(now);
    return ok;
}

static bool gwdt_control_access(struct mmio_device *d, uint64_t offset, unsigned width, bool write,
                                uint64_t *value)
{
    (void)d;
    return gwdt_access(SBSA_GWDT_CONTROL, offset, width, write, value);
}

static bool gwdt_refresh_access(struct mmio_device *d, uint64_t offset, unsigned width, bool write,
                                uint64_t *value)
{
    (void)d;
    return gwdt_access(SBSA_GWDT_REFRESH, offset, width, write, value);
}

static void gwdt_reset(struct mmio_device *d)
{
    (void)d;
    uint64_t now = counter_now();
    sbsa_gwdt_reset(&gwdt, now);
    gwdt_expired = false;
    gwdt_update(now); /* (the line falls) */
}

/* On the device timer thread, at the next timeout's deadline. */
static void gwdt_timer_expired(struct vm_timer *t, uint64_t cycles)
{
    (void)t, (void)cycles;
    vm_lock(gwdt_lock);
    gwdt_update(counter_now());
    vm_unlock(gwdt_lock);
}

int sbsa_gwdt_from_dt(struct vm *vm, const void *fdt, int node)
{
    const char *where = fdt_get_name(fdt, node, NULL);
    uint64_t cbase, csize, rbase, rsize;
    unsigned irq = 0;
    if (gwdt_made) {
        printf("vmm: %s: %s: one arm,sbsa-gwdt per VM\n", vm->name, where);
        return -1;
    }
    bool frames = fdt_util_reg(fdt, node, 0, &cbase, &csize) &&
                  fdt_util_reg(fdt, node, 1, &rbase, &rsize);
    if (!frames || csize != SBSA_GWDT_FRAME_SIZE || rsize != SBSA_GWDT_FRAME_SIZE ||
        (cbase > rbase ? cbase - rbase : rbase - cbase) < SBSA_GWDT_FRAME_SIZE) {
        printf("vmm: %s: %s: reg must be the control frame then the refresh frame, 0x%x bytes "
               "each, apart\n",
               vm->name, where, SBSA_GWDT_FRAME_SIZE);
        return -1;
    }
    if (fdt_getprop(fdt, node, "interrupts", NULL) && !arch_device_irq(fdt, node, &irq)) {
        printf("vmm: %s: %s: interrupts must name a line of the interrupt controller\n", vm->name,
               where);
        return -1;
    }
    uint64_t freq = rt_timer_freq();
    if (freq == 0 || (ARCH_SYSTEM_COUNTER_HZ && freq > UINT64_MAX / ARCH_SYSTEM_COUNTER_HZ - 1)) {
        printf("vmm: %s: %s: no timer frequency, or one too high to scale\n", vm->name, where);
        return -1;
    }
    if (vm->device_count + 2 > VM_MAX_DEVICES) {
        printf("vmm: %s: too many devices\n", vm->name);
        return -1;
    }
    struct mmio_device *c = vm_device_add(vm, "sbsa-gwdt control", gpa_init(cbase), csize);
    struct mmio_device *r = vm_device_add(vm, "sbsa-gwdt refresh", gpa_init(rbase), rsize);
    gwdt_made = true;
    gwdt_vm = vm;
    gwdt_lock = c->lock;
    gwdt_freq = freq;
    gwdt_irq = irq;
    gwdt_level = false;
    gwdt_expired = false;
    sbsa_gwdt_reset(&gwdt, counter_now());
    c->access = gwdt_control_access;
    c->reset = gwdt_reset; /* (one hook for both frames) */
    c->state = &gwdt;
    r->access = gwdt_refresh_access;
    r->lock = gwdt_lock;
    r->state = &gwdt;
    /* Its deadlines: none until the guest enables it. */
    gwdt_timer.expired = gwdt_timer_expired;
    if (vm_timer_add(vm, &gwdt_timer) != 0) {
        return -1; /* (it said why) */
    }
    return 0;
}
