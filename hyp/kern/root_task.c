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

extern struct kobj icu_object, scheduler_object, vcon_object, platform_object;

static uint64_t hex8(const char *s)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        v = v * 16 + (uint64_t)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
    }
    return v;
}

/* Finds `name` in a newc cpio archive; returns its data or NULL. */
static const void *cpio_find(const char *p, const char *end, const char *name, uint64_t *size)
{
    while (p + 110 <= end && memcmp(p, "070701", 6) == 0) {
        uint64_t fsize = hex8(p + 54), nsize = hex8(p + 94);
        const char *fname = p + 110;
        const char *data = fname + ((110 + nsize + 3) & ~3ull) - 110;
        if (data > end || fsize > (uint64_t)(end - data)) {
            return NULL;
        }
        if (strcmp(fname, "TRAILER!!!") == 0) {
            return NULL;
        }
        if (strcmp(fname, name) == 0 || (fname[0] == '.' && fname[1] == '/' && !strcmp(fname + 2, name))) {
            *size = fsize;
            return data;
        }
        p = data + ((fsize + 3) & ~3ull);
    }
    return NULL;
}

struct elf64_ehdr {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* Copies the PT_LOAD segments into fresh pages mapped in t; returns the entry point or 0. */
static uint64_t load_elf(struct task *t, const char *img, uint64_t size)
{
    const struct elf64_ehdr *eh = (const void *)img;
    if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) || eh->ident[4] != 2 ||
        eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff + eh->phnum * sizeof(struct elf64_phdr) > size) {
        return 0;
    }
    for (unsigned i = 0; i < eh->phnum; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, img + eh->phoff + i * sizeof(ph), sizeof(ph));
        if (ph.type != 1) {
            continue;
        }
        if (ph.filesz > ph.memsz || ph.offset + ph.filesz > size) {
            return 0;
        }
        unsigned rights = ((ph.flags & 4) ? KEEL_FP_R : 0) | ((ph.flags & 2) ? KEEL_FP_W : 0) |
                          ((ph.flags & 1) ? KEEL_FP_X : 0);
        for (uint64_t va = ph.vaddr & ~(PAGE_SIZE - 1); va < ph.vaddr + ph.memsz; va += PAGE_SIZE) {
            struct mem_map *m = memspace_lookup(&t->mem, va_init(va));
            char *page;
            if (m) {
                page = kva_from_pa(pa_from_pfn(m->pfn));
            } else {
                page = quota_alloc(&root_factory.quota, PAGE_SIZE);
                if (!page) {
                    return 0;
                }
            }
            if (memspace_map(&t->mem, va_init(va), pfn_from_pa(pa_from_kva(page)),
                             rights | (m ? m->rights : 0), NULL)) {
                return 0;
            }
            /* Copy the part of the file image that falls into this page. */
            uint64_t lo = va > ph.vaddr ? va : ph.vaddr;
            uint64_t hi = ph.vaddr + ph.filesz < va + PAGE_SIZE ? ph.vaddr + ph.filesz : va + PAGE_SIZE;
            if (lo < hi) {
                memcpy(page + (lo - va), img + ph.offset + (lo - ph.vaddr), hi - lo);
            }
        }
    }
    return eh->entry;
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
    kip->fdt_base = pa_val(pa_from_kva(bi->fdt));
    kip->fdt_size = fdt_totalsize(bi->fdt);
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
    const char *img = NULL;
    if (pa_val(bi->initrd_start)) {
        img = cpio_find(kva_from_pa(bi->initrd_start), kva_from_pa(bi->initrd_end), "root", &size);
    }
    if (!img) {
        printk("KEEL: no root task (no file \"root\" in the initrd); nothing to run\n");
        return;
    }
    int err;
    struct task *t = task_create(&root_factory.quota, va_init(KEEL_ROOT_UTCB_ADDR),
                                 KEEL_ROOT_UTCB_ORDER, &err);
    struct thread *th = t ? thread_create(&root_factory.quota, &err) : NULL;
    if (!th) {
        panic("cannot create the root task (%d)", err);
    }
    give(t, KEEL_ROOT_TASK, &t->obj);
    give(t, KEEL_ROOT_THREAD, &th->obj);
    give(t, KEEL_ROOT_FACTORY, &root_factory.obj);
    give(t, KEEL_ROOT_ICU, &icu_object);
    give(t, KEEL_ROOT_SCHEDULER, &scheduler_object);
    give(t, KEEL_ROOT_VCON, &vcon_object);
    give(t, KEEL_ROOT_PLATFORM, &platform_object);

    uint64_t entry = load_elf(t, img, size);
    if (!entry) {
        panic("root task: bad ELF image");
    }
    struct keel_kip *kip = quota_alloc(&root_factory.quota, PAGE_SIZE);
    if (!kip || arch_pt_map(&t->mem.pt, &root_factory.quota, va_init(KEEL_KIP_ADDR),
                            pa_from_kva(kip), KEEL_FP_R, false)) {
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
