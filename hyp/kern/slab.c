// SPDX-License-Identifier: MIT
/*
 * Size-class allocator over kmem pages.
 *
 *   page: [ slab_page header | obj | obj | ... ]     header rounded up to the class size
 *   class cache: list of pages with at least one free object
 *
 * A page with no object in use goes back to kmem at once, so memory returns to the pool exactly
 * when the objects that took it are destroyed (the quota tests rely on this).
 */
#include <keel/slab.h>
#include <keel/kmem.h>
#include <keel/list.h>
#include <string.h>
#include <stdint.h>

#define SLAB_CLASSES 7 /* 32 .. 2048 */

struct slab_page {
    struct list link;   /* in the class's partial list while it has free objects */
    void *free;         /* free objects, linked through their first word */
    unsigned in_use;
    unsigned capacity;
};

static struct list partial[SLAB_CLASSES];
static int ready;

static unsigned class_of(size_t size)
{
    unsigned c = 0;
    while ((SLAB_MIN_SIZE << c) < size) {
        c++;
    }
    return c;
}

size_t slab_class_size(size_t size)
{
    if (size > (SLAB_MIN_SIZE << (SLAB_CLASSES - 1))) {
        return PAGE_SIZE;
    }
    return SLAB_MIN_SIZE << class_of(size);
}

static struct slab_page *page_of(void *p)
{
    return (struct slab_page *)((uintptr_t)p & ~(uintptr_t)(PAGE_SIZE - 1));
}

static struct slab_page *new_page(unsigned c)
{
    size_t osize = SLAB_MIN_SIZE << c;
    struct slab_page *sp = kmem_page_alloc();
    if (!sp) {
        return NULL;
    }
    size_t first = (sizeof(*sp) + osize - 1) / osize * osize;
    sp->capacity = (unsigned)((PAGE_SIZE - first) / osize);
    for (size_t off = PAGE_SIZE - osize; off >= first; off -= osize) {
        void **obj = (void **)((char *)sp + off);
        *obj = sp->free;
        sp->free = obj;
    }
    list_push_front(&partial[c], &sp->link);
    return sp;
}

void *slab_alloc(size_t size)
{
    if (size > (SLAB_MIN_SIZE << (SLAB_CLASSES - 1))) {
        return size <= PAGE_SIZE ? kmem_page_alloc() : NULL;
    }
    if (!ready) {
        for (unsigned i = 0; i < SLAB_CLASSES; i++) {
            list_init(&partial[i]);
        }
        ready = 1;
    }
    unsigned c = class_of(size);
    struct slab_page *sp = list_empty(&partial[c]) ? new_page(c)
                                                   : container_of(partial[c].next, struct slab_page, link);
    if (!sp) {
        return NULL;
    }
    void **obj = sp->free;
    sp->free = *obj;
    if (++sp->in_use == sp->capacity) {
        list_remove(&sp->link);
    }
    memset(obj, 0, SLAB_MIN_SIZE << c);
    return obj;
}

void slab_free(void *p, size_t size)
{
    if (!p) {
        return;
    }
    if (size > (SLAB_MIN_SIZE << (SLAB_CLASSES - 1))) {
        kmem_page_free(p);
        return;
    }
    unsigned c = class_of(size);
    struct slab_page *sp = page_of(p);
    if (sp->in_use == sp->capacity) {
        list_push_front(&partial[c], &sp->link);
    }
    *(void **)p = sp->free;
    sp->free = p;
    if (--sp->in_use == 0) {
        list_remove(&sp->link);
        kmem_page_free(sp);
    }
}
