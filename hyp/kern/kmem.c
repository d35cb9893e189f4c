// SPDX-License-Identifier: MIT
// The kernel page pool: a free list threaded through the free pages themselves.
#include <keel/kmem.h>
#include <string.h>

struct free_page {
    struct free_page *next;
};

static struct free_page *free_list;
static uint64_t free_pages, total_pages;

void kmem_add(void *start, uint64_t size)
{
    char *p = start;
    for (uint64_t off = 0; off + PAGE_SIZE <= size; off += PAGE_SIZE) {
        struct free_page *fp = (struct free_page *)(p + off);
        fp->next = free_list;
        free_list = fp;
        free_pages++;
        total_pages++;
    }
}

void *kmem_page_alloc(void)
{
    struct free_page *fp = free_list;
    if (!fp) {
        return NULL;
    }
    free_list = fp->next;
    free_pages--;
    memset(fp, 0, PAGE_SIZE);
    return fp;
}

void kmem_page_free(void *page)
{
    struct free_page *fp = page;
    fp->next = free_list;
    free_list = fp;
    free_pages++;
}

uint64_t kmem_free_bytes(void)
{
    return free_pages * PAGE_SIZE;
}

uint64_t kmem_total_bytes(void)
{
    return total_pages * PAGE_SIZE;
}
