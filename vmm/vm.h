/* SPDX-License-Identifier: MIT */
/*
 * The VM as the VMM sees it: its Task (the guest-physical address space), its RAM (backed by the
 * VMM's own memory and mapped into the VM), and the MMIO devices of its device tree.
 * guest_mem_ptr() is the only way VMM code reaches guest memory: every guest-physical range is
 * checked against the RAM map first.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <uapi/keel/addr.h>
#include <uapi/keel/vcpu.h>
#include "lock.h"
#include "entropy.h"
#include "guest_mem.h" /* vcpu/ */
#include <vm_arch.h> /* vmm/arch/<arch>/: struct vcpu_arch, struct vm_arch */

#define VM_MAX_DEVICES 48
#define VM_MAX_ROMS 4 /* read-only memory the guest runs from (guest_code_ptr) */
#define VM_MAX_VCPUS 8
#define VM_MAX_PASSTHROUGH 2 /* board devices passed through (dev/passthrough.c, docs/vmm.md) */
/* Lines a guest's misuse of its platform (bad MMIO, aborts) may make the VMM print, in all. */
#define VM_REPORT_BUDGET 64

struct vm;

/* A guest CPU: a thread of the VMM in extended vCPU mode, with an Irq attached to it that other
 * threads trigger to make it leave the guest (a "kick") when they have something for it. */
enum vcpu_power { VCPU_OFF, VCPU_ON_PENDING, VCPU_ON };

struct vcpu {
    struct vm *vm;
    unsigned id;
    uint64_t mpidr;           /* the affinity the guest sees (its DT cpu reg) */
    uint64_t thread, kick;    /* capabilities */
    uint64_t utcb;
    struct keel_vcpu_state *state;
    unsigned pcpu;            /* the physical CPU it runs on */
    enum vcpu_power power;    /* atomic: PSCI CPU_ON/OFF, AFFINITY_INFO */
    uint64_t start_pc, start_ctx;
    bool thread_started;
    uint64_t exits[8];        /* by KEEL_VCPU_EXIT_* reason (statistics) */
    uint64_t wfi_sleeps;      /* WFI exits on which the vCPU thread slept */
    unsigned parked_gen;      /* reset_gen + 1 once parked for that reset (atomic; vcpu.c) */
    struct vcpu_arch arch;    /* the interrupt-controller model's per-vCPU part */
};

struct mmio_device {
    const char *name;
    gpa_t base;
    uint64_t size;
    /* Reads or writes `width` bytes (1, 2, 4, 8) at offset; a read fills *value. Returns false
     * for an access the device does not support (the VMM reports it and the guest goes on). */
    bool (*access)(struct mmio_device *d, uint64_t offset, unsigned width, bool write, uint64_t *value);
    void *state;
    /* Puts the device back in its power-on state at a reset of the VM (vm_reset), under its
     * lock; what it keeps across (a flash's contents, a disk's) is the device's to say. May be
     * NULL: nothing to reset. */
    void (*reset)(struct mmio_device *d);
    /* What serializes its accesses: its own lock (vm_device_add), or the one it shares (the
     * interrupt controller's windows: vm->irq_lock). A device that raises a line takes the
     * interrupt controller's lock inside its own (vm_irq_set), never the other way round. */
    struct vm_lock *lock;
    struct vm_lock own;
};

struct vm {
    uint64_t task;         /* capability of the VM task */
    struct vm_lock irq_lock; /* the interrupt controller model (lock.h; devices have their own) */
    struct vcpu vcpus[VM_MAX_VCPUS];
    unsigned vcpu_count;
    struct vm_arch arch;   /* the interrupt controller model, if the VM has one */
    gpa_t ram_base;
    uint64_t ram_size;
    char *ram;             /* the VMM's view of guest RAM */
    uint64_t heap_used;    /* of our heap, after guest RAM (vm_heap_alloc) */
    struct mmio_device devices[VM_MAX_DEVICES];
    unsigned device_count;
    struct vm_rom {
        gpa_t base;
        uint64_t size;
        const uint8_t *data;
        bool
            readable; /* (atomic) what the guest reads there is data (a flash in read-array mode) */
    } roms[VM_MAX_ROMS];
    unsigned rom_count;
    const char *name;
    bool firmware;         /* vCPU 0 starts in firmware (keel,firmware): the CPU's reset state */
    bool off;              /* the guest powered off, or was stopped (atomic) */
    /* A reset the guest asked for (vm_reset; atomic): vCPU 0 carries it out once the others
     * have parked (vcpu.c). restart puts the guest back into RAM (main.c): 0 with where vCPU 0
     * starts, or -1 (said why: the VM stops). */
    bool reset_pending;
    unsigned reset_gen; /* resets done (atomic) */
    int (*restart)(struct vm *vm, uint64_t *entry, uint64_t *ctx);
    bool broken;           /* stopped because a vCPU could not go on */
    /* Console input for the guest (the first UART takes it; called with console_lock, the
     * UART's, held): bytes taken. */
    size_t (*console_input)(struct vm *vm, const char *buf, size_t n);
    struct vm_lock *console_lock;
    uint64_t vtimer_exits;
    int64_t exit_status;
    struct entropy entropy; /* the seeds in the guest's /chosen (loaders; vCPU 0's thread) */
    unsigned reports; /* distinct vm_report() lines so far (atomic; under report_lock) */
    struct vm_lock report_lock; /* innermost: held for the hash table only, nothing called */
    uint32_t report_seen[VM_REPORT_BUDGET]; /* their hashes */
    uint64_t reports_repeated;              /* lines not said again (atomic) */
    uint64_t reports_dropped;               /* lines after the budget ran out (atomic) */
};

/* guest_mem_ptr(vm, gpa, size): the VMM's pointer for [gpa, gpa + size) of guest RAM, or NULL
 * when any of it is not RAM (declared in vcpu/guest_mem.h, for the vCPU library too). */
/* Backs and maps guest RAM [base, base + size) into the VM task. Returns 0 or -err. */
int64_t vm_ram_create(struct vm *vm, gpa_t base, uint64_t size);
/* Maps size bytes of our memory at src (page-aligned, already touched: our pager filled it) at
 * gpa in the VM with rights (KEEL_FP_R/W/X): what the guest may do there without an exit; an
 * access beyond them is an MMIO exit at that address. 0 or -err. */
int64_t vm_map(struct vm *vm, void *src, gpa_t gpa, uint64_t size, unsigned rights);
/* Takes what vm_map() mapped from [src, src + size) back out of the VM. 0 or -err. */
int64_t vm_unmap(void *src, uint64_t size);
/* Registers [base, base + size) as memory the guest may run code from, read-only, whose bytes
 * are data[] while the returned entry is readable (guest_code_ptr); NULL when there are too many. */
struct vm_rom *vm_rom_add(struct vm *vm, gpa_t base, uint64_t size, const uint8_t *data);
/* Memory of our heap after guest RAM (page-aligned, never freed: device buffers, disk copies),
 * or NULL when the heap (the system tree's memory for this program) is too small. */
void *vm_heap_alloc(struct vm *vm, uint64_t size);
/*
 * Reports the guest's misuse of its platform: one line "vmm: <vm>: <message>", once: a line
 * said before is only counted (vcpu_print_stats says how many). A guest can make the VMM say at
 * most VM_REPORT_BUDGET distinct lines; then one more says the rest is dropped. Any thread may
 * call it.
 */
void vm_report(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The boot module (a file of the initrd this VMM was given, keel,boot-modules) called name, or
 * NULL. Read-only; its data is only 4-byte aligned. */
const void *vm_boot_module(const char *name, uint64_t *size);
/* A thread of this VMM (I/O or vCPU) at capability cap with its UTCB at utcb; its page faults go
 * to our pager like the first thread's. 0 or -err. */
int64_t vm_thread_create(uint64_t cap, uint64_t utcb);
/* What to add to a kernel call's error in a message: for ENOMEM, that the VMM's own quota (the
 * system tree's kernel-memory) is used up; else nothing. */
const char *vm_kmem_note(int64_t err);
/* Starts it at fn on stack_top, placed on physical CPU cpu at our priority when the system gave
 * us a Scheduler (keel,scheduler; *placed says whether); else it stays where threads start. */
int64_t vm_thread_start(uint64_t cap, void (*fn)(void), void *stack_top, unsigned cpu, bool *placed);
/* An I/O thread that waits on irq (attached with label 0, before it starts: a link's doorbell):
 * created, attached and started at fn on the VMM's first CPU. 0 or -err. */
int64_t vm_irq_thread_start(uint64_t cap, uint64_t utcb, uint64_t irq, void (*fn)(void),
                            void *stack_top);
/* The device at gpa, or NULL. */
struct mmio_device *vm_device_at(struct vm *vm, gpa_t gpa);
/* One access at off in d's window under d's lock: false for no device, an access past the end of
 * its window, or one the device refuses. (Inline: it is on every MMIO exit's path.) */
static inline bool vm_device_access(struct mmio_device *d, uint64_t off, unsigned width, bool write,
                                    uint64_t *value)
{
    /* An access that runs past the end of its device's window is none of the device's. */
    if (!d || width > d->size - off) {
        return false;
    }
    vm_lock(d->lock);
    bool ok = d->access(d, off, width, write, value);
    vm_unlock(d->lock);
    return ok;
}
struct mmio_device *vm_device_add(struct vm *vm, const char *name, gpa_t base, uint64_t size);
/* Every device's reset hook, each under its lock (vm_reset, with the vCPUs parked). */
void vm_devices_reset(struct vm *vm);

/* The vCPU the calling thread runs, or NULL (an I/O thread). */
struct vcpu *vcpu_self(struct vm *vm);
/* Makes v leave its guest (or its wait) to look at its interrupts; nothing when v is the caller. */
void vcpu_kick(struct vcpu *v);
/* Raises (level true) or lowers the VM's interrupt line intid (an SPI, 32 and up); for an edge
 * line, a rise is one interrupt. Takes the interrupt controller's lock (vm->irq_lock): a device
 * calls it with its own lock held, the interrupt controller's code never does. */
void vm_irq_set(struct vm *vm, unsigned intid, bool level);
/* A passthrough line (dev/passthrough.c): when the guest has finished intid (its deactivation of
 * the level interrupt), the interrupt controller model lowers the line and calls eoi(ctx) (from a
 * vCPU thread, under vm->irq_lock). Each line has its own hook, for up to VM_MAX_PASSTHROUGH
 * lines. 0, or -1 where the model has no such hook, intid is no line of it, is a passthrough line
 * already, or there are VM_MAX_PASSTHROUGH. */
int arch_vm_irq_passthrough(struct vm *vm, unsigned intid, void (*eoi)(void *ctx), void *ctx);
/* intid is delivered by the kernel to vCPU 0 (Irq DIRECT): the model tells the kernel before each
 * of that vCPU's resumes whether the guest may take it (arm64: vgic_direct). */
void arch_vm_irq_direct(struct vm *vm, unsigned intid);
