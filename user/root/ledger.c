// SPDX-License-Identifier: MIT
// What the root task gave a program of its memory (see ledger.h).
#include "ledger.h"
#include <keel/rt.h>
#include <keel/sys.h>

#define PER_PAGE (KEEL_PAGE_SIZE / sizeof(uint64_t))

void ledger_add(struct ledger *l, const void *mem, enum ledger_kind kind)
{
    uint64_t i = l->count / PER_PAGE, j = l->count % PER_PAGE;
    if (!l->dir) {
        l->dir = rt_page_alloc();
        l->bytes += l->dir ? KEEL_PAGE_SIZE : 0;
    }
    if (l->dir && i < PER_PAGE && !l->dir[i]) {
        l->dir[i] = (uint64_t)(uintptr_t)rt_page_alloc();
        l->bytes += l->dir[i] ? KEEL_PAGE_SIZE : 0;
    }
    if (!l->dir || i >= PER_PAGE || !l->dir[i]) {
        if (!l->full_said) {
            printf("root: the ledger of a program's memory is full: what it gets from now on is "
                   "not given back when it ends\n");
            l->full_said = true;
        }
        return;
    }
    ((uint64_t *)(uintptr_t)l->dir[i])[j] = (uint64_t)(uintptr_t)mem | kind;
    l->count++;
    l->bytes += kind == LEDGER_GIB     ? 1ull << 30
                : kind == LEDGER_BLOCK ? 1ull << 21
                                       : KEEL_PAGE_SIZE;
}

void ledger_give_back(struct ledger *l)
{
    static const unsigned order[] = { [LEDGER_PAGE] = 12, [LEDGER_BLOCK] = 21, [LEDGER_GIB] = 30 };
    for (uint64_t n = 0; n < l->count; n++) {
        uint64_t e = ((uint64_t *)(uintptr_t)l->dir[n / PER_PAGE])[n % PER_PAGE];
        void *mem = (void *)(uintptr_t)(e & ~3ull);
        /* Whatever was made of it goes first, wherever it went: the program may have granted
         * it on to a task of its own that outlives it (the kernel revokes the whole subtree of
         * the root task's mapping; the root task keeps its own). */
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP,
             keel_fpage_mem((uint64_t)(uintptr_t)mem, order[e & 3], KEEL_FP_RWX), 0);
        switch ((enum ledger_kind)(e & 3)) {
        case LEDGER_PAGE:
            rt_page_free(mem);
            break;
        case LEDGER_BLOCK:
            rt_block_free(mem);
            break;
        case LEDGER_GIB:
            rt_gib_free(mem);
            break;
        }
    }
    for (uint64_t i = 0; l->dir && i < PER_PAGE && l->dir[i]; i++) {
        rt_page_free((void *)(uintptr_t)l->dir[i]);
    }
    if (l->dir) {
        rt_page_free(l->dir);
    }
    *l = (struct ledger){ 0 };
}
