// SPDX-License-Identifier: MIT
/*
 * Page faults and exceptions of user threads become IPC: a call through the thread's pager or
 * exception handler gate, with a message the kernel writes (keel/thread.h: kipc). The pager's
 * reply maps memory into the faulting task; the exception handler's reply may set pc and sp.
 * The root task has no pager: its faults are resolved from physical memory (sigma0). A vCPU
 * thread running in another task (plain vCPU mode's user_task) takes its faults at its entry.
 */
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/ipc.h>
#include <keel/ipc_gate.h>
#include <keel/phys.h>
#include <keel/pt_walk.h>
#include <uapi/keel/kip.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <keel/sched.h>
#include <keel/kobj_call.h>
#include <keel/vcpu_user.h>
#include <uapi/keel/vcpu_user.h>
#include <uapi/keel/fpage.h>

/* Stops a thread that cannot go on (no handler, handler gone); the kernel goes on. */
static void halt_thread(struct thread *t, const char *why, uint64_t a, uint64_t b)
{
    if (t->state == TS_DEAD) {
        return; /* killed meanwhile: it stays dead */
    }
    /* A notice, rate-limited: user level can cause any number of these (a fuzzer does). */
    static uint64_t count;
    if (++count <= 8 || count % 1024 == 0) {
        printk("KEEL: thread %p halted: %s (0x%lx, pc 0x%lx)%s\n", (void *)t, why,
               (unsigned long)a, (unsigned long)b, count == 8 ? "; further ones counted" : "");
    }
    sched_remove(t);
    t->state = TS_INACTIVE;
}

static int kernel_ipc(struct thread *self, uint64_t gate_cap, enum thread_kipc kind, int64_t proto,
                      unsigned words)
{
    int err;
    struct kobj *o = kobj_lookup(self, gate_cap, KEEL_OBJ_IPC_GATE, KEEL_CAP_R, &err);
    if (!o) {
        return err;
    }
    struct ipc_gate *g = container_of(o, struct ipc_gate, obj);
    struct thread *handler = ipc_gate_thread(g);
    if (!handler) {
        return -KEEL_ENOENT;
    }
    self->kipc = kind;
    err = ipc_send(self, handler, keel_tag(proto, words, 0), g->label, KEEL_TIMEOUT_NEVER, true,
                   KEEL_TIMEOUT_NEVER);
    self->kipc = KIPC_NONE;
    return err;
}

/* The root task's pager in the kernel (sigma0): a hole at addr is filled with the physical memory
 * at the same address, as the largest block (1 GiB, 2 MiB) around it that is all free RAM and
 * has nothing of it mapped yet, else the page. Only a hole: a fault on a page that is mapped (a
 * write to its own read-only text, say) must not replace that page; one that the mapping allows
 * came while another of its threads had the block mapped (it is tried again). */
static bool sigma0_map(struct task *t, uint64_t addr, unsigned access)
{
    vaddr_t page = va_init(addr & ~(PAGE_SIZE - 1));
    struct mem_map *m = memspace_lookup(&t->mem, page);
    if (m) {
        unsigned need = access & KEEL_PF_WRITE  ? KEEL_FP_W
                        : access & KEEL_PF_EXEC ? KEEL_FP_X
                                                : KEEL_FP_R;
        return (m->rights & need) != 0;
    }
    if (!phys_user_may_map(pfn_from_pa(pa_init(va_val(page)))) ||
        task_in_utcb_area(t, page, PAGE_SIZE)) {
        return false;
    }
    for (unsigned level = MEMSPACE_MAX_LEVEL; level > 0; level--) {
        uint64_t block_size = pt_level_size(level);
        vaddr_t block = va_init(addr & ~(block_size - 1));
        vaddr_t probe = block;
        if (memspace_level_ok(&t->mem, level) &&
            phys_block_user_ram(pa_init(va_val(block)), block_size) &&
            va_val(block) + block_size <= ARCH_USER_VA_LIMIT &&
            !task_in_utcb_area(t, block, block_size) &&
            (KEEL_KIP_ADDR & ~(block_size - 1)) != va_val(block) && /* (mapped past the memspace) */
            !memspace_next(&t->mem, &probe, va_add(block, block_size)) &&
            memspace_map(&t->mem, block, pfn_from_pa(pa_init(va_val(block))), level, KEEL_FP_RWX,
                         NULL) == 0) {
            return true;
        }
    }
    return memspace_map(&t->mem, page, pfn_from_pa(pa_init(va_val(page))), 0, KEEL_FP_RWX,
                        NULL) == 0;
}

void fault_page(struct arch_regs *r, uint64_t addr, unsigned access)
{
    struct thread *self = this_cpu()->current;
    uint64_t pc = arch_regs_pc(r);
    if (self->state != TS_READY) {
        return; /* killed by another CPU on its way in: the way out switches away from it */
    }
    if (vcpu_user_trap(self, KEEL_VCPU_USER_EV_PAGE_FAULT, addr, access)) {
        return; /* in user_task: the vCPU's entry handles it */
    }
    if (self->kernel_pager) {
        if (addr < ARCH_USER_VA_LIMIT && sigma0_map(self->task, addr, access)) {
            return;
        }
        halt_thread(self, "root task page fault outside its memory", addr, pc);
        return;
    }
    self->kipc_msg[0] = addr;
    self->kipc_msg[1] = access;
    self->kipc_msg[2] = pc;
    int err = kernel_ipc(self, self->pager_cap, KIPC_PAGE_FAULT, KEEL_PROTO_PAGE_FAULT, 3);
    if (err == -KEEL_ENOMEM) {
        /* The pager answered with a mapping its task's quota had no room for: the pager's
         * reply-and-wait fails with the same error, so it knows too. */
        halt_thread(self, "page fault: no kernel memory left in its quota for its pager's mapping",
                    addr, pc);
    } else if (err) {
        halt_thread(self, "page fault without a pager", addr, pc);
    } else if (keel_tag_label(self->rcv_tag) < 0) {
        halt_thread(self, "page fault refused by its pager", addr, pc);
    }
}

void fault_exception(struct arch_regs *r, uint64_t cause, uint64_t detail)
{
    struct thread *self = this_cpu()->current;
    if (self->state != TS_READY) {
        return; /* killed by another CPU on its way in */
    }
    if (vcpu_user_trap(self, KEEL_VCPU_USER_EV_EXCEPTION, cause, detail)) {
        return;
    }
    self->kipc_msg[0] = cause;
    self->kipc_msg[1] = arch_regs_pc(r);
    self->kipc_msg[2] = arch_regs_sp(r);
    self->kipc_msg[3] = detail;
    int err = kernel_ipc(self, self->exc_cap, KIPC_EXCEPTION, KEEL_PROTO_EXCEPTION, 4);
    if (err) {
        halt_thread(self, "exception without a handler", cause, arch_regs_pc(r));
    }
}
