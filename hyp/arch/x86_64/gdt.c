// SPDX-License-Identifier: MIT
/*
 * Per-CPU segment tables (x86_64): a GDT with flat ring-0 and ring-3 segments in the order
 * syscall/sysret need (asm.h), and a TSS whose RSP0 is the kernel stack of the thread that runs
 * (interrupts from user level land there) and whose IST entries are private stacks for the
 * exceptions that may come at any instruction: double fault (IST1), NMI (IST2) and machine check
 * (IST3) — even between `syscall` and the switch to the kernel stack.
 */
#include <keel/percpu.h>
#include <arch/x86.h>
#include <arch/asm.h>

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss) == 104, "hardware TSS layout");

struct cpu_tables {
    uint64_t gdt[7];
    struct tss tss;
    uint8_t ist_stacks[3][2048] __attribute__((aligned(16)));
};

static struct cpu_tables tables[KEEL_MAX_CPUS] __attribute__((aligned(64)));

void gdt_init_cpu(void)
{
    struct percpu *c = this_cpu();
    struct cpu_tables *t = &tables[c->id];
    uint64_t tss = (uint64_t)(uintptr_t)&t->tss, limit = sizeof(t->tss) - 1;
    t->gdt[0] = 0;
    t->gdt[GDT_KERNEL_CS / 8] = 0x00af9a000000ffff;
    t->gdt[GDT_KERNEL_DS / 8] = 0x00cf92000000ffff;
    t->gdt[GDT_USER_DS / 8] = 0x00cff2000000ffff;
    t->gdt[GDT_USER_CS / 8] = 0x00affa000000ffff;
    t->gdt[GDT_TSS / 8] = (limit & 0xffff) | (tss & 0xffffff) << 16 | 0x89ull << 40 |
                          (limit >> 16) << 48 | ((tss >> 24) & 0xff) << 56;
    t->gdt[GDT_TSS / 8 + 1] = tss >> 32;
    t->tss.iomap_base = sizeof(t->tss); /* no I/O bitmap: ring 3 has no ports */
    for (unsigned i = 0; i < 3; i++) {
        t->tss.ist[i] = (uint64_t)(uintptr_t)(t->ist_stacks[i] + sizeof(t->ist_stacks[i]));
    }
    c->arch.tss = &t->tss;
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = { sizeof(t->gdt) - 1, (uint64_t)(uintptr_t)t->gdt };
    /* New GDT, CS through a far return, data segments, task register (FS/GS keep their bases). */
    __asm__ volatile("lgdt %0\n"
                     "pushq %1\n"
                     "leaq 1f(%%rip), %%rax\n"
                     "pushq %%rax\n"
                     "lretq\n"
                     "1: movl %2, %%eax\n"
                     "movl %%eax, %%ds\n"
                     "movl %%eax, %%es\n"
                     "movl %%eax, %%ss\n"
                     "ltr %w3"
                     :
                     : "m"(ptr), "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS), "r"((uint16_t)GDT_TSS)
                     : "rax", "memory");
}

void gdt_set_kernel_stack(uint64_t top)
{
    this_cpu()->arch.tss->rsp[0] = top;
}
