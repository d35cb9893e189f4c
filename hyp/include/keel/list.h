/* SPDX-License-Identifier: MIT */
/* Intrusive circular doubly linked lists. */
#pragma once
#include <stddef.h>
#include <stdbool.h>

struct list {
    struct list *next, *prev;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define LIST_INIT(name) { &(name), &(name) }

static inline void list_init(struct list *l) { l->next = l->prev = l; }
static inline bool list_empty(const struct list *l) { return l->next == l; }
static inline bool list_linked(const struct list *n) { return n->next != NULL && n->next != n; }

static inline void list_insert_after(struct list *pos, struct list *n)
{
    n->next = pos->next;
    n->prev = pos;
    pos->next->prev = n;
    pos->next = n;
}
static inline void list_push_back(struct list *l, struct list *n) { list_insert_after(l->prev, n); }
static inline void list_push_front(struct list *l, struct list *n) { list_insert_after(l, n); }

/* n takes old's place in its list; old is left alone in none. */
static inline void list_replace(struct list *old, struct list *n)
{
    n->next = old->next;
    n->prev = old->prev;
    n->next->prev = n;
    n->prev->next = n;
    old->next = old->prev = old;
}

static inline void list_remove(struct list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}

static inline struct list *list_pop_front(struct list *l)
{
    if (list_empty(l)) {
        return NULL;
    }
    struct list *n = l->next;
    list_remove(n);
    return n;
}

#define list_for_each(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
#define list_for_each_safe(pos, tmp, head)                                                  \
    for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); (pos) = (tmp), (tmp) = (pos)->next)
