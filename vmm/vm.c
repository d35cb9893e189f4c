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
    /* A GiB at a time where both sides are aligned to it (the kernel maps it as one where its
     * tables and our own mapping allow), else 2 MiB. */
    for (uint64_t off = 0, step; off < size; off += step) {
        const uint64_t gib = 1ull << 30;
        unsigned order = (((uint64_t)(uintptr_t)vm->ram + off) | (gpa_val(base) + off)) &
                                     (gib - 1) ||
                                 size - off < gib
                             ? 21
                             : 30;
        step = 1ull << order;
        int64_t r = KOBJ(vm->task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                         keel_fpage_mem((uint64_t)(uintptr_t)vm->ram + off, order, KEEL_FP_RWX),
                         gpa_val(base) + off);
        if (r < 0) {
            return r;
        }
    }
    return 0;
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

const void *vm_boot_module(const char *name, uint64_t *size)
{
    const struct keel_progenv *env = rt_progenv();
    if (!env || !env->modules_size) {
        return NULL;
    }
    const char *base = (const char *)(uintptr_t)KEEL_PROG_MODULES_BASE + env->modules_offset;
    return cpio_find(base, base + env->modules_size - env->modules_offset, name, size);
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
