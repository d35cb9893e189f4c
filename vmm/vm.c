// SPDX-License-Identifier: MIT
// Guest RAM and the device map of a VM (see vm.h).
#include "vm.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <format.h>
#include <stdarg.h>
#include <string.h>
#include <cpio.h>

void *guest_mem_ptr(struct vm *vm, gpa_t gpa, uint64_t size)
{
    uint64_t a = gpa_val(gpa), base = gpa_val(vm->ram_base);
    if (a < base || size > vm->ram_size || a - base > vm->ram_size - size) {
        return NULL;
    }
    return vm->ram + (a - base);
}

int64_t vm_ram_create(struct vm *vm, gpa_t base, uint64_t size)
{
    const uint64_t chunk = 1ull << 21;
    const struct keel_progenv *env = rt_progenv();
    if (!env || size > env->heap_size || (gpa_val(base) | size) & (chunk - 1)) {
        return -KEEL_EINVAL; /* RAM comes from our heap, in 2 MiB flexpages */
    }
    vm->ram = (char *)(uintptr_t)KEEL_PROG_HEAP_BASE;
    vm->ram_base = base;
    vm->ram_size = size;
    for (uint64_t off = 0; off < size; off += KEEL_PAGE_SIZE) {
        vm->ram[off] = 0; /* our pager gives us the page; the guest gets it through the map */
    }
    return vm_map(vm, vm->ram, base, size, KEEL_FP_RWX);
}

/* The flexpage order for the next step at a and b (both page-aligned) with left bytes to go: a
 * GiB or 2 MiB where both sides are aligned to it (the kernel maps those as one block where its
 * tables and our own mapping allow), else a page. */
static unsigned map_order(uint64_t a, uint64_t b, uint64_t left)
{
    static const unsigned orders[] = { 30, 21 };
    for (unsigned i = 0; i < 2; i++) {
        uint64_t step = 1ull << orders[i];
        if (!((a | b) & (step - 1)) && left >= step) {
            return orders[i];
        }
    }
    return 12;
}

int64_t vm_map(struct vm *vm, void *src, gpa_t gpa, uint64_t size, unsigned rights)
{
    uint64_t s = (uint64_t)(uintptr_t)src;
    if ((s | gpa_val(gpa) | size) & (KEEL_PAGE_SIZE - 1)) {
        return -KEEL_EINVAL;
    }
    for (uint64_t off = 0, step; off < size; off += step) {
        unsigned order = map_order(s + off, gpa_val(gpa) + off, size - off);
        step = 1ull << order;
        int64_t r = KOBJ(vm->task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                         keel_fpage_mem(s + off, order, rights), gpa_val(gpa) + off);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

int64_t vm_unmap(void *src, uint64_t size)
{
    uint64_t s = (uint64_t)(uintptr_t)src;
    if ((s | size) & (KEEL_PAGE_SIZE - 1)) {
        return -KEEL_EINVAL;
    }
    for (uint64_t off = 0, step; off < size; off += step) {
        unsigned order = map_order(s + off, s + off, size - off);
        step = 1ull << order;
        int64_t r = KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP,
                         keel_fpage_mem(s + off, order, KEEL_FP_RWX), 0);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

struct vm_rom *vm_rom_add(struct vm *vm, gpa_t base, uint64_t size, const uint8_t *data)
{
    if (vm->rom_count == VM_MAX_ROMS) {
        return NULL;
    }
    struct vm_rom *r = &vm->roms[vm->rom_count++];
    *r = (struct vm_rom){ .base = base, .size = size, .data = data };
    return r;
}

const void *guest_code_ptr(struct vm *vm, gpa_t gpa, uint64_t size)
{
    void *p = guest_mem_ptr(vm, gpa, size);
    uint64_t a = gpa_val(gpa);
    for (unsigned i = 0; !p && i < vm->rom_count; i++) {
        const struct vm_rom *r = &vm->roms[i];
        uint64_t base = gpa_val(r->base);
        if (__atomic_load_n(&r->readable, __ATOMIC_ACQUIRE) && a >= base && size <= r->size &&
            a - base <= r->size - size) {
            return r->data + (a - base);
        }
    }
    return p;
}

void *vm_heap_alloc(struct vm *vm, uint64_t size)
{
    const struct keel_progenv *env = rt_progenv();
    uint64_t start = vm->ram_size + vm->heap_used;
    size = (size + KEEL_PAGE_SIZE - 1) & ~(KEEL_PAGE_SIZE - 1);
    if (!env || start > env->heap_size || size > env->heap_size - start) {
        return NULL;
    }
    vm->heap_used += size;
    return (char *)(uintptr_t)KEEL_PROG_HEAP_BASE + start;
}

static uint32_t report_hash(const char *msg)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *msg; msg++) {
        h = (h ^ (uint8_t)*msg) * 16777619u;
    }
    return h;
}

void vm_report(struct vm *vm, const char *fmt, ...)
{
    char msg[160];
    if (__atomic_load_n(&vm->reports, __ATOMIC_RELAXED) > VM_REPORT_BUDGET) {
        __atomic_fetch_add(&vm->reports_dropped, 1, __ATOMIC_RELAXED);
        return; /* (the count stays bounded: no wrap-around after billions of accesses) */
    }
    va_list ap;
    va_start(ap, fmt);
    vsnformat(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* A line said before (a guest probing in a loop: the same access from the same place) is
     * counted, not said again: the console's time is the guest's too. */
    uint32_t h = report_hash(msg);
    vm_lock(&vm->report_lock);
    unsigned n = vm->reports;
    bool seen = false;
    for (unsigned i = 0; i < n && i < VM_REPORT_BUDGET && !seen; i++) {
        seen = vm->report_seen[i] == h;
    }
    if (seen) {
        __atomic_fetch_add(&vm->reports_repeated, 1, __ATOMIC_RELAXED);
    } else if (n <= VM_REPORT_BUDGET) {
        if (n < VM_REPORT_BUDGET) {
            vm->report_seen[n] = h;
        }
        __atomic_store_n(&vm->reports, n + 1, __ATOMIC_RELAXED);
    }
    vm_unlock(&vm->report_lock);
    if (!seen && n > VM_REPORT_BUDGET) {
        __atomic_fetch_add(&vm->reports_dropped, 1, __ATOMIC_RELAXED);
    }
    if (seen || n > VM_REPORT_BUDGET) {
        return;
    }
    if (n == VM_REPORT_BUDGET) {
        printf("vmm: %s: further reports of the guest's bad accesses suppressed\n", vm->name);
        return;
    }
    printf("vmm: %s: %s\n", vm->name, msg);
}

struct mmio_device *vm_device_at(struct vm *vm, gpa_t gpa)
{
    for (unsigned i = 0; i < vm->device_count; i++) {
        struct mmio_device *d = &vm->devices[i];
        if (gpa_val(gpa) >= gpa_val(d->base) && gpa_val(gpa) - gpa_val(d->base) < d->size) {
            return d;
        }
    }
    return NULL;
}

struct mmio_device *vm_device_add(struct vm *vm, const char *name, gpa_t base, uint64_t size)
{
    if (vm->device_count == VM_MAX_DEVICES) {
        return NULL;
    }
    struct mmio_device *d = &vm->devices[vm->device_count++];
    memset(d, 0, sizeof(*d));
    d->name = name;
    d->base = base;
    d->size = size;
    d->lock = &d->own;
    return d;
}

void vm_devices_reset(struct vm *vm)
{
    for (unsigned i = 0; i < vm->device_count; i++) {
        struct mmio_device *d = &vm->devices[i];
        if (d->reset) {
            vm_lock(d->lock);
            d->reset(d);
            vm_unlock(d->lock);
        }
    }
}

const void *vm_boot_module(const char *name, uint64_t *size)
{
    const struct keel_progenv *env = rt_progenv();
    if (!env || !env->modules_size) {
        return NULL;
    }
    const char *base = (const char *)(uintptr_t)KEEL_PROG_MODULES_BASE + env->modules_offset;
    return cpio_find(base, base + env->modules_size - env->modules_offset, name, size);
}

const char *vm_kmem_note(int64_t err)
{
    return err == -KEEL_ENOMEM ? ": its kernel-memory is used up" : "";
}

int64_t vm_thread_create(uint64_t cap, uint64_t utcb)
{
    int64_t r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, cap);
    return r < 0 ? r
                 : KOBJ(cap, KEEL_THREAD_CONTROL, KEEL_ROOT_TASK, utcb, KEEL_PROG_PARENT, KEEL_PROG_PARENT);
}

int64_t vm_thread_start(uint64_t cap, void (*fn)(void), void *stack_top, unsigned cpu, bool *placed)
{
    int64_t r = KOBJ(cap, KEEL_THREAD_EX_REGS, (uint64_t)(uintptr_t)fn, (uint64_t)(uintptr_t)stack_top, 0);
    *placed = r == 0 && KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, KEEL_PROG_SCHEDULER) == 1;
    if (*placed) {
        r = KOBJ(KEEL_PROG_SCHEDULER, KEEL_SCHED_RUN, cap, cpu, rt_progenv()->priority, 0);
    }
    return r;
}

int64_t vm_irq_thread_start(uint64_t cap, uint64_t utcb, uint64_t irq, void (*fn)(void),
                            void *stack_top)
{
    bool placed;
    int64_t r = vm_thread_create(cap, utcb);
    if (r == 0) {
        r = KOBJ(irq, KEEL_IRQ_ATTACH, cap, 0);
    }
    if (r == 0) {
        r = vm_thread_start(cap, fn, stack_top, (unsigned)rt_progenv()->cpu, &placed);
    }
    return r;
}
