/* SPDX-License-Identifier: MIT */
/*
 * What the root task gives each program it starts (a user-level protocol, not kernel ABI): a
 * read-only environment page at KEEL_KIP_ADDR (where the root task itself finds the KIP) and
 * these capabilities:
 *   1 its Task, 2 its Thread, 3 its own Factory (its kernel-memory budget), 6 the Vcon,
 *   8 the parent gate: page faults (it is the thread's pager), KEEL_PROTO_READY, KEEL_PROTO_EXIT,
 *   5 with the node property keel,scheduler: a Scheduler (rights R and W: RUN, INFO, IDLE) whose
 *     priority ceiling is the program's priority (env->priority); the slot the root task has its
 *     own in, so rt_thread_run() works in both.
 * Memory: the ELF image, a heap at KEEL_PROG_HEAP_BASE filled on first touch up to
 * env->heap_size bytes, and with the node property keel,boot-modules the initrd (cpio) read-only
 * at KEEL_PROG_MODULES_BASE.
 */
#pragma once
#include <stdint.h>

#define KEEL_PROGENV_MAGIC 0x31564e454c45454bull /* "KEELENV1" */
#define KEEL_PROG_PARENT 8
#define KEEL_PROG_SCHEDULER 5 /* with keel,scheduler (the slot of KEEL_ROOT_SCHEDULER) */
#define KEEL_PROG_HEAP_BASE 0x2000000000ull
#define KEEL_PROTO_EXIT 0x45584954  /* MR0: exit status */
#define KEEL_PROTO_READY 0x52454459 /* set up: timers the system keeps for it start now */

#define KEEL_PROG_MODULES_BASE 0x3000000000ull /* the initrd, read-only, with keel,boot-modules */

struct keel_progenv {
    uint64_t magic;
    uint64_t heap_size;
    uint64_t modules_size;   /* bytes mapped at KEEL_PROG_MODULES_BASE (0: not given) */
    uint64_t modules_offset; /* where the cpio archive starts in them */
    uint64_t cpu;            /* where the root task placed its first thread (node: cpu) */
    uint64_t priority;       /* and at which priority (node: priority) */
    char name[32];
    char args[192];
};
