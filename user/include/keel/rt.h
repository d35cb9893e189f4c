/* SPDX-License-Identifier: MIT */
/* The user runtime: console output, the root task's physical page allocator, small helpers. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <uapi/keel/kip.h>

#define KEEL_PAGE_SIZE 4096ull

/* Where printf writes (a Vcon capability in this task). */
extern uint64_t rt_vcon_cap;
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_flush(void);

/* The kernel information page (root task only: a program finds its environment page there,
 * rt_progenv()). */
static inline const struct keel_kip *rt_kip(void)
{
    return (const struct keel_kip *)(uintptr_t)KEEL_KIP_ADDR;
}

/* The environment page of a program started by the root task, or NULL (in the root task). */
struct keel_progenv;
const struct keel_progenv *rt_progenv(void);
/* The link called name (its node under /links) of this program's keel,links, or NULL. */
struct keel_prog_link;
const struct keel_prog_link *rt_prog_link(const char *name);
/* keel_cycles() per second, in the root task (its KIP) and in the programs it starts (their
 * environment page, which lies where the root task has its KIP). */
uint64_t rt_timer_freq(void);

/* A zeroed page of physical memory at its own address (root task: sigma0 maps it on touch);
 * NULL when none is left. */
void *rt_page_alloc(void);
void rt_page_free(void *p);
/* count physically contiguous zeroed pages at their own address, or NULL. */
void *rt_pages_alloc(uint64_t count);
/* The same, starting at a multiple of align (a power of two, in bytes). */
void *rt_pages_alloc_aligned(uint64_t count, uint64_t align);
/* A zeroed GiB of physical memory at its own address, 1 GiB aligned (sigma0 maps it to the root
 * task as one mapping where the kernel's tables have them), from the top of RAM down, above what
 * the page allocator gave out (which passes over it later); NULL when no whole free GiB is left
 * (or 64 were given). */
void *rt_gib_alloc(void);
/* Gives back a 2 MiB block of rt_pages_alloc_aligned (the next 2 MiB-aligned block taken comes
 * from those given back first), and a GiB of rt_gib_alloc. */
void rt_block_free(void *b);
void rt_gib_free(void *g);
/* Free pages left (the blocks given back included; GiBs given back not). */
uint64_t rt_pages_free(void);
/* Free bytes: the free pages and the GiBs given back (which only rt_gib_alloc gives out again). */
uint64_t rt_mem_free(void);
/* Capability index allocator for this task (from KEEL_ROOT_FIRST_FREE up in a root task, from
 * KEEL_PROG_FIRST_FREE in a program the root task started). */
uint64_t rt_cap_alloc(void);

/* The number after the word `name` in args (space-separated words, e.g. env->args
 * "exit-after 12"): true with *value set when it is there, whole and decimal; false otherwise. */
bool rt_arg_u64(const char *args, const char *name, uint64_t *value);

/* Program entry after crt0: sets up the runtime and calls main(). */
int main(void);
/* What crt0 calls (start.c): main(), the console flushed, the parent told, the thread stopped. */
void keel_start(void);
