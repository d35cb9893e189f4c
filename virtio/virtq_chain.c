// SPDX-License-Identifier: MIT
/*
 * Copying between the VMM and a popped chain's buffers, which are scattered over guest RAM:
 * a byte offset into the readable (or writable) part is found segment by segment. The segments
 * were checked against guest RAM by virtq_pop(); the copies never go past them.
 */
#include <virtio/virtq.h>
#include <string.h>

/* Copies n bytes at `off` of segments seg[0..count), to (to_chain) or from buf; returns the count.
 */
static size_t copy(const struct virtq_seg *seg, unsigned count, uint64_t off, uint8_t *buf,
                   size_t n, bool to_chain)
{
    size_t done = 0;
    for (unsigned i = 0; i < count && done < n; i++) {
        if (off >= seg[i].len) {
            off -= seg[i].len;
            continue;
        }
        size_t part = seg[i].len - off;
        if (part > n - done) {
            part = n - done;
        }
        if (to_chain) {
            memcpy(seg[i].ptr + off, buf + done, part);
        } else {
            memcpy(buf + done, seg[i].ptr + off, part);
        }
        done += part;
        off = 0;
    }
    return done;
}

size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t n)
{
    return copy(c->seg, c->nr, off, dst, n, false);
}

size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src, size_t n)
{
    return copy(c->seg + c->nr, c->nw, off, (uint8_t *)src, n, true);
}
