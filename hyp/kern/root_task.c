// SPDX-License-Identifier: MIT
/*
 * The root task: loaded from the ELF file "root" in the initrd (cpio, newc format), given the
 * capabilities listed in uapi/keel/kobj.h (keel_root_cap), the KIP, and all physical memory the
 * kernel does not keep (by sigma0 mapping on fault).
 */
#include <keel/root_task.h>
#include <keel/task.h>
#include <keel/thread.h>
#include <keel/factory.h>
#include <keel/scheduler.h>
#include <keel/phys.h>
#include <keel/kmem.h>
#include <keel/printk.h>
#include <keel/percpu.h>
#include <keel/arch/timer.h>
#include <keel/arch/cpu.h>
#include <arch/mmu.h>
#include <uapi/keel/kip.h>
#include <uapi/keel/fpage.h>
#include <libfdt.h>
#include <string.h>
#include <cpio.h>
#include <elf.h>

extern struct kobj icu_object, vcon_object, platform_object;

/* Copies the loadable segments into fresh pages mapped in t; returns the entry point or 0. */
static uint64_t load_elf(struct task *t, const void *img, uint64_t size)
{
    uint64_t entry = elf_check(img, size, ARCH_ELF_MACHINE);
    struct elf_segment seg;
    int r;
    for (unsigned i = 0; entry && (r = elf_segment(img, size, i, &seg)) == 0; i++) {
        for (uint64_t va = seg.vaddr & ~(PAGE_SIZE - 1); va < seg.vaddr + seg.memsz; va += PAGE_SIZE) {
            struct mem_map *m = memspace_lookup(&t->mem, va_init(va));
            char *page = m ? kva_from_pa(pa_from_pfn(m->pfn)) : quota_alloc(&root_factory.quota, PAGE_SIZE);
            if (!page || memspace_map(&t->mem, va_init(va), pfn_from_pa(pa_from_kva(page)), 0,
                                      seg.rights | (m ? m->rights : 0), NULL)) {
                return 0;
            }
            /* The part of the file image that falls into this page. */
            uint64_t lo = va > seg.vaddr ? va : seg.vaddr;
            uint64_t hi = seg.vaddr + seg.filesz < va + PAGE_SIZE ? seg.vaddr + seg.filesz : va + PAGE_SIZE;
            if (lo < hi) {
                memcpy(page + (lo - va), (const char *)seg.data + (lo - seg.vaddr), hi - lo);
            }
        }
    }
    return entry && r == 1 ? entry : 0;
}

static void fill_kip(struct keel_kip *kip, const struct boot_info *bi)
{
    kip->magic = KEEL_KIP_MAGIC;
    kip->version = 1;
    kip->cpu_count = cpu_count;
    kip->timer_freq = arch_timer_freq();
    kip->kmem_total = root_factory.quota.limit;
    kip->initrd_base = pa_val(bi->initrd_start);
    kip->initrd_size = pa_val(bi->initrd_end) - pa_val(bi->initrd_start);
    if (bi->fdt) { /* none on x86_64 */
        kip->fdt_base = pa_val(pa_from_kva(bi->fdt));
        kip->fdt_size = fdt_totalsize(bi->fdt);
    }
    paddr_t base;
    uint64_t size;
    for (unsigned i = 0; i < KEEL_KIP_MAX_RANGES && phys_ram_range(i, &base, &size); i++) {
        kip->ram[i] = (struct keel_kip_range){ pa_val(base), size };
        kip->ram_count = i + 1;
    }
    for (unsigned i = 0; i < KEEL_KIP_MAX_RANGES && phys_reserved_range(i, &base, &size); i++) {
        kip->reserved[i] = (struct keel_kip_range){ pa_val(base), size };
        kip->reserved_count = i + 1;
    }
    strncpy(kip->arch, arch_name, sizeof(kip->arch) - 1);
    kip->user_va_bits = 63 - (uint64_t)__builtin_clzll(ARCH_USER_VA_LIMIT);
}

static void give(struct task *t, uint64_t idx, struct kobj *o)
{
    int err;
    struct cap *slot = objspace_slot(&t->caps, idx, &err);
    if (!slot) {
        panic("root task: no capability slot %lu", (unsigned long)idx);
    }
    cap_install(slot, o, KEEL_CAP_ALL);
}

void root_task_start(const struct boot_info *bi)
{
    uint64_t size = 0;
    const void *img = NULL;
    if (pa_val(bi->initrd_start)) {
        img = cpio_find(kva_from_pa(bi->initrd_start), kva_from_pa(bi->initrd_end), "root", &size);
    }
    if (!img) {
        printk("KEEL: no root task (no file \"root\" in the initrd); nothing to run\n");
        return;
    }
    int err;
    struct task *t = task_create(&root_factory.quota, va_init(KEEL_ROOT_UTCB_ADDR),
                                 KEEL_ROOT_UTCB_ORDER, false, &err);
    struct thread *th = t ? thread_create(&root_factory.quota, &err) : NULL;
    if (!th) {
        panic("cannot create the root task (%d)", err);
    }
    give(t, KEEL_ROOT_TASK, &t->obj);
    give(t, KEEL_ROOT_THREAD, &th->obj);
    give(t, KEEL_ROOT_FACTORY, &root_factory.obj);
    give(t, KEEL_ROOT_ICU, &icu_object);
    give(t, KEEL_ROOT_SCHEDULER, &scheduler_root.obj);
    give(t, KEEL_ROOT_VCON, &vcon_object);
    give(t, KEEL_ROOT_PLATFORM, &platform_object);

    uint64_t entry = load_elf(t, img, size);
    if (!entry) {
        panic("root task: bad ELF image");
    }
    struct keel_kip *kip = quota_alloc(&root_factory.quota, PAGE_SIZE);
    if (!kip || arch_pt_map(&t->mem.pt, &root_factory.quota, va_init(KEEL_KIP_ADDR),
                            pa_from_kva(kip), 0, KEEL_FP_R, false)) {
        panic("root task: no memory for the KIP");
    }
    fill_kip(kip, bi);
    if (thread_bind(th, t, va_init(KEEL_ROOT_UTCB_ADDR)) != 0) {
        panic("root task: UTCB");
    }
    th->kernel_pager = true;
    th->prio = 100;
    thread_set_regs(th, entry, 0);
    printk("root: %lu KiB image, entry 0x%lx\n", (unsigned long)(size >> 10), (unsigned long)entry);
}
