// SPDX-License-Identifier: MIT
/*
 * Fuzz target virtq: the split virtqueue's device side (virtio/virtq.c, virtq_chain.c) without a
 * transport, so that every input goes straight at the ring walk: queue size and ring places,
 * EVENT_IDX and INDIRECT_DESC, descriptor tables (indirect ones included) and available rings
 * written by the input into 64 KiB of guest RAM between guard pages; chains popped, read,
 * written and pushed back with lengths and offsets from the input.
 *
 * Input: setup (flags byte: bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 ring offsets follow the
 * size as three 16-bit RAM offsets, else a fixed layout; size byte: 1 << (size % 9)), then
 * operations:
 *   0 off16 n bytes...      n bytes into RAM
 *   1 i mode addr len flags next   descriptor i of the table (as fuzz_virtio.c's op 3)
 *   2 head16 mode           an available entry (bit 0 NO_INTERRUPT, bit 1 used_event byte,
 *                           bit 2 a raw 16-bit index)
 *   3 roff16 rn16 woff16 wn16 written32   pop a chain, copy out of and into it, push it back
 *   4                       pop a chain and keep it (popped, never pushed: the next pop
 *                           invalidates it)
 *   5                       ask whether the driver wants an interrupt
 *   6 flags size            reset and enable again (as the setup)
 *
 * Checked besides the sanitizers: every segment of a chain inside guest RAM, the segment counts
 * and byte sums the chain reports, what copies into and out of a chain return, the used element
 * a push writes (id, length clipped to the writable part) and the used index.
 */
#include "fuzz.h"
#include <string.h>
#include <virtio/virtq.h>

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x10000ull

enum { OP_RAM, OP_DESC, OP_AVAIL, OP_POP_PUSH, OP_POP, OP_INTERRUPT, OP_REENABLE, OPS };

static struct fuzz_ram ram;
static struct virtio_env env;
static struct virtq q;
static uint8_t scratch[2 * 65536];

static void *gpa_ptr(void *ctx, uint64_t gpa, uint64_t size)
{
    return fuzz_ram_ptr(&ram, gpa, size);
}

static void log_line(void *ctx, const char *msg)
{
    FUZZ_CHECK(strlen(msg) < 160);
}

static void enable(struct fuzz_in *in, uint8_t flags)
{
    virtq_reset(&q);
    q.num = (uint16_t)(1u << (fuzz_u8(in) % 9));
    q.desc_gpa = RAM_BASE + 0x8000;
    q.avail_gpa = RAM_BASE + 0x9000;
    q.used_gpa = RAM_BASE + 0xa000;
    if (flags & 4) {
        q.desc_gpa = RAM_BASE + fuzz_u16(in);
        q.avail_gpa = RAM_BASE + fuzz_u16(in);
        q.used_gpa = RAM_BASE + fuzz_u16(in);
    }
    bool ok = virtq_enable(&q, flags & 1, flags & 2);
    FUZZ_CHECK(ok == q.ready && ok != q.broken);
}

static void descriptor(struct fuzz_in *in)
{
    uint8_t i = fuzz_u8(in), mode = fuzz_u8(in);
    struct vring_desc d;
    d.addr = (mode & 3) == 0 ? fuzz_u64(in) : RAM_BASE + fuzz_u16(in);
    d.len = (mode & 4) ? fuzz_u32(in) : fuzz_u16(in);
    d.flags = (mode & 8) ? fuzz_u16(in) : fuzz_u8(in) & 7;
    d.next = fuzz_u8(in);
    void *p = fuzz_ram_ptr(&ram, q.desc_gpa + 16ull * (i % q.num), 16);
    if (p) {
        memcpy(p, &d, sizeof(d));
    }
}

static void available(struct fuzz_in *in)
{
    uint16_t head = fuzz_u16(in);
    uint8_t mode = fuzz_u8(in);
    uint8_t used_event = (mode & 2) ? fuzz_u8(in) : 0;
    uint16_t raw_idx = (mode & 4) ? fuzz_u16(in) : 0;
    struct vring_avail *a = fuzz_ram_ptr(&ram, q.avail_gpa, 6 + 2ull * q.num);
    if (!a || ((uintptr_t)a & 1)) {
        return;
    }
    a->ring[a->idx % q.num] = head;
    a->idx = (mode & 4) ? raw_idx : (uint16_t)(a->idx + 1);
    a->flags = (mode & 1) ? VRING_AVAIL_F_NO_INTERRUPT : 0;
    if (mode & 2) {
        a->ring[q.num] = used_event;
    }
}

/* What a chain virtq_pop() gives must describe: buffers inside RAM, counted right. */
static void check_chain(const struct virtq_chain *c)
{
    uint64_t r = 0, w = 0;
    FUZZ_CHECK(c->head < q.num);
    FUZZ_CHECK(c->nr + c->nw <= VIRTQ_MAX_SEGS);
    FUZZ_CHECK(c->rlen + c->wlen <= UINT32_MAX);
    for (unsigned i = 0; i < c->nr + c->nw; i++) {
        FUZZ_CHECK(c->seg[i].len > 0);
        FUZZ_CHECK(fuzz_ram_holds(&ram, c->seg[i].ptr, c->seg[i].len));
        *(i < c->nr ? &r : &w) += c->seg[i].len;
    }
    FUZZ_CHECK(r == c->rlen && w == c->wlen);
}

/* A copy of n bytes from byte off of a part of len bytes copies what is there. */
static size_t expected_copy(uint64_t len, uint64_t off, size_t n)
{
    uint64_t there = off < len ? len - off : 0;
    return n < there ? n : (size_t)there;
}

static void pop_push(struct fuzz_in *in)
{
    uint16_t roff = fuzz_u16(in), rn = fuzz_u16(in), woff = fuzz_u16(in), wn = fuzz_u16(in);
    uint32_t written = fuzz_u32(in);
    struct virtq_chain c;
    uint16_t before = q.used_idx;
    if (!virtq_pop(&q, &c)) {
        return;
    }
    check_chain(&c);
    FUZZ_CHECK(virtq_chain_read(&c, roff, scratch, rn) == expected_copy(c.rlen, roff, rn));
    FUZZ_CHECK(virtq_chain_write(&c, woff, scratch, wn) == expected_copy(c.wlen, woff, wn));
    virtq_push(&q, &c, written);
    FUZZ_CHECK(q.used_idx == (uint16_t)(before + 1));
    /* The guest cannot have changed the used ring since the push: look at what it says. */
    const struct vring_used_elem *e = &q.used->ring[before % q.num];
    FUZZ_CHECK(q.used->idx == q.used_idx);
    FUZZ_CHECK(e->id == c.head);
    FUZZ_CHECK(e->len == (written < c.wlen ? written : c.wlen));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in_init(data, size);
    if (!ram.ram) {
        fuzz_ram_init(&ram, RAM_BASE, RAM_SIZE);
    }
    fuzz_ram_clear(&ram);
    env = (struct virtio_env){ .host = { .gpa_ptr = gpa_ptr, .log = log_line }, .name = "virtq" };
    virtq_init(&q, &env, 0);
    enable(&in, fuzz_u8(&in));
    while (!fuzz_done(&in)) {
        switch (fuzz_u8(&in) % OPS) {
        case OP_RAM: {
            uint16_t off = fuzz_u16(&in);
            fuzz_ram_fill(&ram, off, &in, fuzz_u8(&in));
            break;
        }
        case OP_DESC: descriptor(&in); break;
        case OP_AVAIL: available(&in); break;
        case OP_POP_PUSH: pop_push(&in); break;
        case OP_POP: {
            struct virtq_chain c;
            if (virtq_pop(&q, &c)) {
                check_chain(&c);
            }
            break;
        }
        case OP_INTERRUPT: virtq_need_interrupt(&q); break;
        default: enable(&in, fuzz_u8(&in)); break;
        }
        FUZZ_CHECK(!(q.ready && q.broken));
    }
    return 0;
}
