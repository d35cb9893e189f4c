/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU fixed-priority round-robin scheduling. The running thread stays at the head of its
 * priority's queue; its quantum ends by the timer, and it then goes to the tail. A thread that
 * becomes ready on another CPU with a higher priority than what runs there gets that CPU an IPI.
 *
 * Invariant: no ready thread of a CPU has a higher priority than its current one, unless the
 * CPU's need_resched is set. schedule() makes it true, and whatever could break it (a thread
 * made ready, a priority changed, a migration, the end of a quantum) sets need_resched.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include <keel/percpu.h>
#include <keel/thread.h>
#include <keel/kobj.h>

struct thread;
struct percpu;

void sched_init_cpu(struct percpu *c);
/* Puts t in its home CPU's run queue (state READY) and preempts there if it should run now. */
void sched_ready(struct thread *t);
/* t has news while it may be running on another CPU (a vCPU thread in its guest): make that CPU
 * enter the kernel, so t looks. */
void sched_kick(struct thread *t);
/* Makes CPU c schedule before it leaves the kernel next: at once if it is this CPU, by an IPI
 * otherwise. The IPI counts as delivered only once c has scheduled. */
void sched_poke(struct percpu *c);
/* Sends again the IPIs that were not acted on for IPI_RETRY_US (timer interrupts call it); an
 * idle CPU with IPIs outstanding keeps its timer within that (sched_poke_watch). */
#define IPI_RETRY_US 1000
void sched_poke_retry(uint64_t now);
void sched_poke_watch(void);
/* c has done what it was poked for (it scheduled, or it stops). */
void sched_poke_done(struct percpu *c);
/* What the holder of the big lock may ask of other CPUs (sched_ask). */
#define SCHED_ASK_IN_KERNEL 1u /* be in the kernel: no more user level code until it has the lock */
#define SCHED_ASK_TLB_FLUSH 2u /* drop every translation it holds (arch_tlb_flush_all_local) */
/* The caller holds the big lock. Asks each CPU in mask for what, and waits until each has done
 * it: a CPU at user level, in a guest or idle comes in through the IPI (sent again every
 * IPI_RETRY_US), and every CPU in the kernel but the caller spins in bkl_wait(), which does it. */
void sched_ask(uint32_t mask, unsigned what);
/* Takes t out of its run queue (it stays current until schedule() switches away). */
void sched_remove(struct thread *t);
/* Switches to the best ready thread of this CPU (possibly the current one). */
void schedule(void);
/* IPC fast path: whether the current thread, about to block, may hand this CPU straight to the
 * blocked thread next: next is homed here, and no ready thread has a higher priority. By the
 * invariant above that is next being at least at the current thread's priority; when it is
 * below, or next has a budget (which may hold it: budget_admit), the general path decides. */
static inline __attribute__((always_inline)) bool sched_can_hand_over(struct thread *next)
{
    struct percpu *c = this_cpu();
    return next->cpu == c && !c->need_resched && next->prio >= c->current->prio && !next->budget;
}
/* Does it: prev (current, already in a blocked state) leaves the run queue, next becomes ready
 * and runs. Does not return: prev's kernel stack is dropped, and prev will continue by running
 * resume(frame) on it (thread.resume). A next that blocked the same way continues at its own
 * resume function: no kernel context switch. */
noreturn void sched_hand_over(struct thread *prev, struct thread *next, arch_resume_fn *resume);
/* On the way back to user level: frees what died, schedules only when something changed (a
 * thread became ready that may preempt, the current one blocked, the quantum ended), and applies
 * registers set while the thread ran elsewhere. The common case is a few tests, inline. */
void sched_exit_slow(void);
static inline void sched_exit_to_user(void)
{
    struct percpu *c = this_cpu();
    struct thread *t = c->current;
    if (c->need_resched || t->state != TS_READY || t->regs_pending || t->vcpu.event ||
        !list_empty(&t->zombies)) {
        sched_exit_slow();
    }
}
/* The CPU t is current on (running, or in the kernel for it), or NULL. Not t->cpu: a thread moved
 * to another CPU stays current where it ran until that CPU switches away. */
struct percpu *sched_running_on(const struct thread *t);
/* A preemption point of a long kernel operation (kobj.c: teardown in bounded steps): lets the big
 * lock go for a moment, so that pending interrupts are taken here and other CPUs waiting for the
 * lock get it, then schedules if this CPU must (unless the current thread was killed meanwhile:
 * it finishes the operation first). The caller's state must be consistent, and what it uses
 * referenced: anything may change meanwhile. */
void sched_preempt(void);
/* Timer interrupt work: expire timeouts, end the quantum. The caller then calls schedule()
 * (which programs the next timer interrupt) where switching threads is allowed. */
void sched_timer_tick(void);
/* Moves t to another CPU (explicit migration through the Scheduler object). */
void sched_migrate(struct thread *t, struct percpu *to);
/* Frees a thread whose memory had to wait until this CPU switched away from it. */
void sched_reap_slow(void);
static inline void sched_reap(void)
{
    if (this_cpu()->reap) {
        sched_reap_slow();
    }
}
/* Re-arms this CPU's timer for its next event (quantum end or timeout). */
void sched_program_timer(void);
/* What a thread does first when it runs again after a switch: free what died, re-arm the timer
 * if its new quantum or a timeout armed meanwhile (from another CPU, which poked this one) ends
 * first (rarely: the armed event normally comes first). */
static inline void sched_switched(void)
{
    sched_reap();
    struct percpu *c = this_cpu();
    if (c->slice_end < c->timer_armed || timeout_next(c) < c->timer_armed) {
        sched_program_timer();
    }
}
