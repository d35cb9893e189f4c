/* SPDX-License-Identifier: MIT */
/* Task: an address space (memspace) and an object space (capabilities), plus its UTCB area. */
#pragma once
#include <keel/kobj.h>
#include <keel/objspace.h>
#include <keel/memspace.h>

#define TASK_UTCB_MAX_PAGES 16

struct task {
    struct kobj obj;
    struct objspace caps;
    struct memspace mem;
    vaddr_t utcb_base;      /* UTCB area: kernel pages mapped here, not part of memspace */
    unsigned utcb_pages;
    void *utcb_page[TASK_UTCB_MAX_PAGES];
    struct list threads;    /* threads bound to it (thread.task_link) */
    struct list doomed;     /* teardown: those not killed yet (task_drain takes them from here) */
    bool vm;                /* a VM task (KEEL_TASK_VM): guest-physical space, no UTCB area */
    uint64_t drain_cap;     /* teardown: the slot and the address where emptying goes on */
    vaddr_t drain_va;
    uint64_t vcon_at;       /* Vcon writes: when its credit was last topped up (vcon.c) */
    uint32_t vcon_credit;   /* bytes it may write now */
    uint64_t vcon_dropped, vcon_dropped_unsaid; /* bytes dropped; not said yet */
    uint64_t vcon_full;    /* ... of them because the console's buffer was full */
    uint64_t vcon_said_at; /* when the kernel last said how many were dropped */
};

/* Creates a task with a UTCB area of 2^order bytes at base (order 0: none), or with vm a VM
 * task (no UTCB area: EINVAL with one). */
struct task *task_create(struct quota *q, vaddr_t utcb_base, unsigned utcb_order, bool vm,
                         int *err);
/* The kernel address of the UTCB at uva, or NULL when it is not a properly aligned UTCB slot. */
void *task_utcb_kva(struct task *t, vaddr_t uva);
/* Whether [va, va + size) overlaps the UTCB area. */
bool task_in_utcb_area(struct task *t, vaddr_t va, uint64_t size);
struct kobj_msg;
/* The Task protocol (task_ops.c), the object's invoke. */
int64_t task_invoke(struct kobj *o, unsigned rights, struct kobj_msg *m);
