/* SPDX-License-Identifier: MIT */
/*
 * What the root task gives each program it starts (a user-level protocol, not kernel ABI; the
 * system device tree's properties are in docs/system.md): a read-only environment page at
 * KEEL_KIP_ADDR (where the root task itself finds the KIP) and these capabilities:
 *   1 its Task, 2 its Thread, 3 its own Factory (its kernel-memory budget), 6 the Vcon,
 *   8 the parent gate: page faults (it is the thread's pager), KEEL_PROTO_READY,
 *     KEEL_PROTO_RUNNING, KEEL_PROTO_EXIT,
 *   5 with the node property keel,scheduler: a Scheduler (rights R and W: RUN, INFO, IDLE) whose
 *     priority ceiling is the program's priority (env->priority); the slot the root task has its
 *     own in, so rt_thread_run() works in both,
 *   16.. for link i (keel,links): 16 + 2i its own Irq, 17 + 2i the peer's (see below),
 *   24.. for board device i (keel,devices): 24 + i its Irq, bound to the device's line (R, W).
 * Slots from KEEL_PROG_FIRST_FREE up are the program's own (rt_cap_alloc() starts there).
 * Memory: the ELF image, a heap at KEEL_PROG_HEAP_BASE filled on first touch up to
 * env->heap_size bytes, with the node property keel,boot-modules the initrd (cpio) read-only
 * at KEEL_PROG_MODULES_BASE, the memory of its links, its board devices' pages (keel,devices)
 * and its DMA memory (keel,dma).
 *
 * Links: shared memory between exactly two programs, with a doorbell each way. Link i of a
 * program (the i-th phandle of its keel,links) is mapped read-write, zeroed, at
 * KEEL_PROG_LINK_VA(i) in both programs. Each end has an Irq: its own comes with rights R and W
 * (attach it to a thread of its choice with Irq ATTACH and a label of its choice; it is not
 * attached at start, and a trigger while it is not attached is lost, so check the memory after
 * attaching), the peer's with R alone (Irq TRIGGER rings the peer; it can neither attach nor
 * wait for it). env->links[i].end (0 or 1; 0 is the program that comes first under /programs)
 * lets both sides split the memory the same way without talking, e.g. end e sends in half e.
 * env->links[i].peer_epoch says whether the peer runs now and which of its runs it is: a side
 * learns that its peer died (and came back) without trusting anything the peer wrote.
 */
#pragma once
#include <stdint.h>

#define KEEL_PROGENV_MAGIC 0x31564e454c45454bull /* "KEELENV1" */
#define KEEL_PROG_PARENT 8
#define KEEL_PROG_SCHEDULER 5 /* with keel,scheduler (the slot of KEEL_ROOT_SCHEDULER) */
#define KEEL_PROG_FIRST_FREE 32 /* slots below are the root task's to fill */
#define KEEL_PROG_HEAP_BASE 0x2000000000ull
#define KEEL_PROTO_EXIT 0x45584954  /* MR0: exit status */
#define KEEL_PROTO_READY 0x52454459 /* set up: timers the system keeps for it start now */
/* Its work has visibly begun (a VMM: its guest's first console line), sent at most once; what
 * keel,stop-clock = "running" counts from. Programs that never send it are never stopped so. */
#define KEEL_PROTO_RUNNING 0x52554e4e

#define KEEL_PROG_MODULES_BASE 0x3000000000ull /* the initrd, read-only, with keel,boot-modules */

#define KEEL_PROG_MAX_LINKS 4
#define KEEL_PROG_LINKS_BASE 0x3800000000ull
#define KEEL_PROG_LINK_STRIDE 0x40000000ull /* 1 GiB: also the largest link */
#define KEEL_PROG_LINK_VA(i) (KEEL_PROG_LINKS_BASE + (uint64_t)(i) * KEEL_PROG_LINK_STRIDE)
#define KEEL_PROG_LINK_IRQ(i) (16u + 2u * (i))  /* its own Irq: R, W */
#define KEEL_PROG_LINK_PEER(i) (17u + 2u * (i)) /* the peer's Irq: R (trigger only) */

/* Board devices (keel,devices; user/root/devices.c): device i's MMIO window at
 * KEEL_PROG_DEVICE_VA(i) (device memory), its interrupt as an Irq bound to its line at slot
 * KEEL_PROG_DEVICE_IRQ(i), rights R and W (ATTACH, UNMASK, DIRECT; not attached at start). */
#define KEEL_PROG_MAX_DEVICES 4
#define KEEL_PROG_DEVICES_BASE 0x3400000000ull
#define KEEL_PROG_DEVICE_STRIDE 0x100000ull /* 1 MiB: also the largest window */
#define KEEL_PROG_DEVICE_VA(i) (KEEL_PROG_DEVICES_BASE + KEEL_PROG_DEVICE_STRIDE * (uint64_t)(i))
#define KEEL_PROG_DEVICE_IRQ(i) (24u + (i))

/* DMA memory (keel,dma; user/root/dma.c): physically contiguous RAM, zeroed at each start,
 * mapped read-write (cacheable) at KEEL_PROG_DMA_VA; env->dma_pa is its physical address. */
#define KEEL_PROG_DMA_VA 0x3600000000ull
#define KEEL_PROG_DMA_MAX 0x10000000ull /* 256 MiB */

struct keel_prog_device {
    char name[32];     /* the device node's name under /devices */
    uint64_t va;       /* its registers: KEEL_PROG_DEVICE_VA(i) + the window's offset in its
                        * first page (0 for a window of whole pages) */
    uint64_t pa;       /* its physical address (the board's) */
    uint64_t size;     /* bytes of its window (the board's reg) */
    uint64_t irq;      /* capability slot of its Irq, KEEL_PROG_DEVICE_IRQ(i) */
    uint64_t line;     /* the interrupt controller's line (GIC INTID, PLIC source) */
    uint64_t map_size; /* bytes mapped at KEEL_PROG_DEVICE_VA(i): the whole pages the window
                        * touches (other board nodes in them come with it) */
};

struct keel_prog_link {
    char name[32];     /* the link node's name under /links */
    uint64_t va;       /* KEEL_PROG_LINK_VA(i) */
    uint64_t size;     /* bytes: keel,size rounded up to whole pages */
    uint64_t irq;      /* capability slot of its own Irq, KEEL_PROG_LINK_IRQ(i) */
    uint64_t peer_irq; /* capability slot of the peer's Irq, KEEL_PROG_LINK_PEER(i) */
    uint64_t end;      /* 0 or 1 */
    uint64_t pa;       /* its physical address (contiguous), for a program with keel,devices:
                        * its device may DMA there (docs/devices.md); 0 for the others */
    uint64_t peer_epoch; /* the peer's runs: the root task adds 1 when the program at the other
                          * end starts and 1 when it ends, then rings this end's doorbell; odd:
                          * it runs. Changes while this program runs: read it atomically. */
    uint64_t own_epoch;  /* this run's epoch as the peer sees it (odd): a side that publishes a
                          * header in the link's memory puts it there, so that the peer can tell
                          * it from a header a dead run left (keel_peer_wrote()) */
};

/* Whether what the peer published with its own_epoch `header_epoch` is from the run that runs now
 * (peer_epoch, read after the header): a dead run's header, or a run's that has ended since, is
 * not. */
static inline int keel_peer_wrote(uint64_t header_epoch, uint64_t peer_epoch)
{
    return (peer_epoch & 1) && header_epoch == peer_epoch;
}

/* Whether a header the peer published is live: its magic word (at hdr_magic) is `magic` and it
 * carries (at hdr_epoch, put there before the magic) the epoch of the peer's run that runs now;
 * the header's epoch in *epoch. The header is read before the root task's word: a run that
 * started since then has written a newer epoch. */
static inline int keel_peer_header_live(const volatile uint64_t *hdr_magic, uint64_t magic,
                                        const volatile uint64_t *hdr_epoch,
                                        const uint64_t *peer_epoch, uint64_t *epoch)
{
    int ok = __atomic_load_n(hdr_magic, __ATOMIC_ACQUIRE) == magic;
    *epoch = *hdr_epoch;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return ok && keel_peer_wrote(*epoch, __atomic_load_n(peer_epoch, __ATOMIC_ACQUIRE));
}

struct keel_progenv {
    uint64_t magic;
    uint64_t heap_size;
    uint64_t modules_size;   /* bytes mapped at KEEL_PROG_MODULES_BASE (0: not given) */
    uint64_t modules_offset; /* where the cpio archive starts in them */
    uint64_t cpu;            /* where the root task placed its first thread (node: cpu) */
    uint64_t priority;       /* and at which priority (node: priority) */
    char name[32];
    char args[192];
    uint64_t link_count;     /* entries in links[] (its keel,links, in that order) */
    struct keel_prog_link links[KEEL_PROG_MAX_LINKS];
    uint64_t timer_freq;     /* keel_cycles() per second (the KIP's; programs have no KIP) */
    uint64_t device_count;   /* entries in devices[] (its keel,devices, in that order) */
    struct keel_prog_device devices[KEEL_PROG_MAX_DEVICES];
    uint64_t dma_va;   /* KEEL_PROG_DMA_VA with keel,dma, else 0 */
    uint64_t dma_pa;   /* its physical address: what a device is given */
    uint64_t dma_size; /* bytes, whole pages */
};
