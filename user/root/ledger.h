/* SPDX-License-Identifier: MIT */
/*
 * What the root task gave a program of its own memory (ledger.c): the pages of its image and
 * environment, and its heap's pages, 2 MiB blocks and GiBs. All of it comes back when the
 * program ends, after its task is gone and after everything mapped or granted from the root
 * task's own mapping of it is revoked (a program may grant memory on to a task of its own that
 * outlives it): a program restarted a hundred times takes no more memory than once, and no
 * page given back is still reachable by anyone but the root task.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

enum ledger_kind { LEDGER_PAGE, LEDGER_BLOCK, LEDGER_GIB };

struct ledger {
    uint64_t *dir; /* a page of pointers to pages of entries (address | kind) */
    uint64_t count;
    uint64_t bytes; /* of the root task's memory it holds, its own pages included */
    bool full_said; /* more than it can hold: said once (those are not given back) */
};

void ledger_add(struct ledger *l, const void *mem, enum ledger_kind kind);
/* Gives everything back (and the ledger's own pages): the ledger is empty again. */
void ledger_give_back(struct ledger *l);
