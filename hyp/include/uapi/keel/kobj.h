/* SPDX-License-Identifier: MIT */
/*
 * Kernel object protocols. A message to a kernel object has label KEEL_PROTO_KOBJ, the opcode in
 * MR0 and arguments from MR1; the reply's label is a result >= 0 or -keel_err, results in MRs.
 * "cap" arguments are capability indexes in the invoker's object space. docs/abi.md has the tables.
 */
#pragma once

enum keel_kobj_type {
    KEEL_OBJ_NONE = 0,
    KEEL_OBJ_TASK,
    KEEL_OBJ_THREAD,
    KEEL_OBJ_IPC_GATE,
    KEEL_OBJ_IRQ,
    KEEL_OBJ_FACTORY,
    KEEL_OBJ_ICU,
    KEEL_OBJ_SCHEDULER,
    KEEL_OBJ_VCON,
    KEEL_OBJ_PLATFORM,
    KEEL_OBJ_TYPE_COUNT
};

/* Operations every capability answers (needs no right). */
enum keel_any_op {
    KEEL_ANY_TYPE = 0x7f00, /* -> label = keel_kobj_type */
};

enum keel_factory_op {
    KEEL_FACTORY_TASK = 1,      /* MR1 dest cap, MR2 UTCB area flexpage (memory), MR3 flags
                                 (KEEL_TASK_VM; optional) */
    KEEL_FACTORY_THREAD = 2,    /* MR1 dest cap. Homed on its creator's home CPU, it draws from the
                                   creator's budget (EBUSY: that has 256 threads already) */
    KEEL_FACTORY_GATE = 3,      /* MR1 dest cap, MR2 thread cap (or ~0: unbound), MR3 label */
    KEEL_FACTORY_IRQ = 4,       /* MR1 dest cap */
    KEEL_FACTORY_FACTORY = 5,   /* MR1 dest cap, MR2 quota bytes (taken from this factory's) */
    KEEL_FACTORY_INFO = 6,      /* -> MR0 limit, MR1 used, MR2 the most used
                                   at once (bytes) */
    KEEL_FACTORY_SCHEDULER = 7, /* MR1 dest cap, MR2 Scheduler cap (W), MR3 priority ceiling
                                   (1..that Scheduler's ceiling); optional: MR4 CPU mask (a
                                   subset of that Scheduler's with a CPU present; default: its
                                   mask), MR5 budget (us) and MR6 period (us) of a budget of its
                                   own (10 <= budget <= period, 1 ms <= period <= 10 s; MR5
                                   without MR6: EINVAL). Made from a Scheduler with a budget, it
                                   shares that budget and may not have its own (ERANGE) */
};

enum keel_task_op {
    KEEL_TASK_MAP = 1,     /* MR1 source task cap, MR2 send flexpage, MR3 destination base */
    KEEL_TASK_UNMAP = 2,   /* MR1 flexpage in this task, MR2 KEEL_UNMAP_* flags */
    KEEL_TASK_CAP_VALID = 3, /* MR1 cap index in this task -> label 1 valid, 0 empty */
    KEEL_TASK_RELEASE = 4, /* MR1 cap index in this task: empty the slot (children revoked) */
    KEEL_TASK_MEM_INFO = 5, /* MR1 address -> label 1 mapped, MR0 rights, MR2 order */
    KEEL_TASK_MAP_VIRT_CPUIF = 6, /* MR1 address: the interrupt controller's virtual CPU
                                     interface appears there (arm64 GICv2: GICV), for a VM */
};

enum keel_thread_op {
    KEEL_THREAD_CONTROL = 1, /* MR1 task cap (~0: keep), MR2 UTCB address, MR3 pager cap,
                                MR4 exception handler cap (~0: keep) */
    KEEL_THREAD_EX_REGS =
        2,                 /* MR1 pc, MR2 sp, MR3 flags (KEEL_EXREGS_*) -> MR0 old pc, MR1 old sp */
    KEEL_THREAD_STATS = 3, /* -> MR0 CPU time (ns), MR1 context switches in, MR2 cpu,
                                MR3 1 while it is on a CPU, MR4 1 if it draws from a budget,
                                MR5 1 while that budget holds it */
    KEEL_THREAD_STATE = 4, /* -> label: KEEL_THREAD_STATE_* */
    KEEL_THREAD_VCPU = 5,  /* MR1 VM task cap, MR2 state area address (a page of the thread's
                                task's UTCB area): extended vCPU mode (uapi/keel/vcpu.h) */
    KEEL_THREAD_VCPU_RESUME = 6,      /* on the calling thread itself: run the guest until an exit
                                    -> label keel_vcpu_exit */
    KEEL_THREAD_VCPU_USER = 7,        /* MR1 state area address (a page of the thread's task's UTCB
                                    area; 0: leave the mode), MR2 entry pc, MR3 entry sp: plain
                                    vCPU mode (uapi/keel/vcpu_user.h) */
    KEEL_THREAD_VCPU_USER_RESUME = 8, /* on the calling thread itself: continue with the frame
                                         and flag of its state area (no reply) */
    KEEL_THREAD_VCPU_SYNC = 9, /* on the calling thread itself, between resumes: every group of
                                  its vCPU state into the area (keel_vcpu_sync.valid) */
};

/* Thread STATE answers. */
enum {
    KEEL_THREAD_STATE_INACTIVE = 0, /* not started */
    KEEL_THREAD_STATE_READY = 1,    /* running or ready to */
    KEEL_THREAD_STATE_BLOCKED = 2,  /* in IPC */
    KEEL_THREAD_STATE_DEAD = 3,     /* killed: its last capability went, or its task died */
};

/* Factory TASK flags. A VM task is a guest-physical address space (its page table is the
 * hardware's nested format: riscv64 Sv39x4) for Thread VCPU: it has no UTCB area and so no
 * threads of its own. */
#define KEEL_TASK_VM 1u

#define KEEL_EXREGS_CANCEL 1u /* abort an IPC the thread is blocked in (ECANCELED) */
#define KEEL_EXREGS_KEEP_PC 2u
#define KEEL_EXREGS_KEEP_SP 4u

enum keel_gate_op {
    KEEL_GATE_BIND = 1, /* MR1 thread cap, MR2 label */
    KEEL_GATE_INFO = 2, /* -> MR0 label, MR1 1 when bound */
};

enum keel_irq_op {
    KEEL_IRQ_ATTACH = 1, /* MR1 thread cap, MR2 label */
    KEEL_IRQ_DETACH = 2,
    KEEL_IRQ_TRIGGER = 3, /* raise it by software */
    KEEL_IRQ_UNMASK = 4,  /* done handling: unmask the bound hardware line */
    KEEL_IRQ_DIRECT = 5,  /* MR1 vCPU thread cap (~0: end), MR2 the guest's INTID for it, MR3
                             kick Irq cap (~0 or absent: none): deliver the bound line to that
                             vCPU's guest directly (arm64 GICv3; docs/abi.md) */
};

enum keel_icu_op {
    KEEL_ICU_BIND = 1,   /* MR1 irq cap, MR2 line, MR3 mode (KEEL_IRQ_MODE_*) */
    KEEL_ICU_UNBIND = 2, /* MR1 irq cap */
    KEEL_ICU_MASK = 3,   /* MR1 line */
    KEEL_ICU_UNMASK = 4, /* MR1 line */
    KEEL_ICU_INFO = 5,   /* -> MR0 number of lines, MR1 first line user level may bind */
};

#define KEEL_IRQ_MODE_LEVEL_HIGH 0u
#define KEEL_IRQ_MODE_EDGE_RISING 1u

enum keel_sched_op {
    KEEL_SCHED_RUN = 1,    /* MR1 thread cap, MR2 cpu, MR3 priority (1..ceiling, the root task's
                             ceiling is 255), MR4 quantum (us). A cpu outside this Scheduler's
                             mask: EPERM. The thread draws from this Scheduler's budget from
                             then on (one without a budget: none; EBUSY: that budget has 256
                             threads already) */
    KEEL_SCHED_INFO = 2,   /* -> MR0 CPUs present, MR1 online mask, MR2 timer frequency (Hz),
                             MR3 this Scheduler's priority ceiling, MR4 its CPU mask, MR5 budget
                             (us), MR6 period (us) (0, 0: none) */
    KEEL_SCHED_IDLE = 3,   /* MR1 cpu -> MR0 idle time (ns) */
    KEEL_SCHED_BUDGET = 4, /* MR1 cpu -> MR0 times its budget was throttled there, MR1 1 if it
                              is now (ENOENT: this Scheduler has no budget; ERANGE: no such
                              CPU) */
};

enum keel_vcon_op {
    KEEL_VCON_WRITE = 1, /* MR1 length (<= 8 * (KEEL_MR_COUNT - 2)), MR2.. bytes -> label bytes
                            written (0: dropped, over the task's rate), MR0 bytes dropped so far */
    KEEL_VCON_READ = 2,  /* MR1 max length -> label length, MR0.. bytes */
};

enum keel_platform_op {
    KEEL_PLATFORM_POWER_OFF = 1,
    KEEL_PLATFORM_RESET = 2,
    KEEL_PLATFORM_CPU_ON = 3,  /* MR1 cpu: start it and let it schedule */
    KEEL_PLATFORM_CPU_OFF = 4, /* MR1 cpu (not the boot CPU): stop it after migrating threads */
    KEEL_PLATFORM_KMEM = 5,    /* -> MR0 kernel memory free, MR1 total (bytes) */
};

/* Capability slots the root task starts with. */
enum keel_root_cap {
    KEEL_ROOT_TASK = 1,
    KEEL_ROOT_THREAD = 2,
    KEEL_ROOT_FACTORY = 3,
    KEEL_ROOT_ICU = 4,
    KEEL_ROOT_SCHEDULER = 5,
    KEEL_ROOT_VCON = 6,
    KEEL_ROOT_PLATFORM = 7,
    KEEL_ROOT_FIRST_FREE = 16,
};
