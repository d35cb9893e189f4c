// SPDX-License-Identifier: MIT
// A driver's side of virtio-mmio (see keel/virtio_mmio_drv.h).
#include <keel/virtio_mmio_drv.h>
#include <keel/rt.h>
#include <keel/sys.h>
#include <string.h>

#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt" */

uint32_t vmmio_rd(const struct vmmio_dev *d, uint32_t off)
{
    return *(volatile uint32_t *)(d->regs + off);
}

void vmmio_wr(const struct vmmio_dev *d, uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(d->regs + off) = v;
}

void vmmio_barrier(void)
{
#if defined(__aarch64__)
    __asm__ volatile("dsb sy" ::: "memory");
#elif defined(__riscv)
    __asm__ volatile("fence iorw, iorw" ::: "memory");
#else
    __asm__ volatile("mfence" ::: "memory");
#endif
}

const char *vmmio_reset(const struct vmmio_dev *d, uint32_t device_id)
{
    vmmio_wr(d, VIRTIO_MMIO_STATUS, 0);
    if (vmmio_rd(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC ||
        vmmio_rd(d, VIRTIO_MMIO_VERSION) != 2) {
        return "not a virtio-mmio transport of version 2";
    }
    if (vmmio_rd(d, VIRTIO_MMIO_DEVICE_ID) != device_id) {
        return "not the device expected (device ID)";
    }
    if (vmmio_rd(d, VIRTIO_MMIO_STATUS) != 0) {
        return "status not 0 after reset";
    }
    return NULL;
}

const char *vmmio_negotiate(const struct vmmio_dev *d, uint32_t want, uint32_t *got)
{
    vmmio_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    vmmio_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    vmmio_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    *got = vmmio_rd(d, VIRTIO_MMIO_DEVICE_FEATURES) & want;
    vmmio_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    if (!(vmmio_rd(d, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << (VIRTIO_F_VERSION_1 - 32)))) {
        return "VIRTIO_F_VERSION_1 not offered";
    }
    vmmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    vmmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, *got);
    vmmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    vmmio_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1u << (VIRTIO_F_VERSION_1 - 32));
    uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK;
    vmmio_wr(d, VIRTIO_MMIO_STATUS, s);
    if (!(vmmio_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK)) {
        return "FEATURES_OK not kept";
    }
    return NULL;
}

const char *vmmio_queue_setup(const struct vmmio_dev *d, struct vmmio_queue *q, uint16_t index,
                              uint16_t size, void *va, uint64_t pa)
{
    if (size == 0 || size > VMMIO_QUEUE_MAX || (size & (size - 1))) {
        return "queue size not a power of two up to 256";
    }
    vmmio_wr(d, VIRTIO_MMIO_QUEUE_SEL, index);
    if (vmmio_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX) < size) {
        return "queue smaller than asked";
    }
    memset(va, 0, VMMIO_QUEUE_PAGES * KEEL_PAGE_SIZE);
    uint8_t *base = va;
    *q = (struct vmmio_queue){ .index = index,
                               .size = size,
                               .desc = (struct vring_desc *)base,
                               .avail = (struct vring_avail *)(base + KEEL_PAGE_SIZE),
                               .used = (struct vring_used *)(base + 2 * KEEL_PAGE_SIZE) };
    uint64_t desc = pa, avail = pa + KEEL_PAGE_SIZE, used = pa + 2 * KEEL_PAGE_SIZE;
    vmmio_wr(d, VIRTIO_MMIO_QUEUE_NUM, size);
    vmmio_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    vmmio_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    vmmio_wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
    vmmio_wr(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
    vmmio_wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
    vmmio_wr(d, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
    vmmio_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    return NULL;
}

void vmmio_driver_ok(const struct vmmio_dev *d)
{
    vmmio_wr(d, VIRTIO_MMIO_STATUS, vmmio_rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
}

void vmmio_post(struct vmmio_queue *q, uint16_t head)
{
    q->avail->ring[q->avail_idx % q->size] = head;
    vmmio_barrier(); /* the descriptors and the entry before the index */
    q->avail_idx++;
    __atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

void vmmio_notify(const struct vmmio_dev *d, const struct vmmio_queue *q)
{
    vmmio_barrier(); /* the index before the notification */
    vmmio_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}

bool vmmio_used_next(struct vmmio_queue *q, uint32_t *id, uint32_t *len)
{
    if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) == q->used_idx) {
        return false;
    }
    vmmio_barrier();
    volatile struct vring_used_elem *e = &q->used->ring[q->used_idx % q->size];
    *id = e->id;
    *len = e->len;
    if (*id >= q->size) {
        *id = UINT32_MAX;
    }
    q->used_idx++;
    return true;
}

void vmmio_irq_taken(const struct vmmio_dev *d)
{
    vmmio_wr(d, VIRTIO_MMIO_INTERRUPT_ACK, vmmio_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS));
    KOBJ(d->irq, KEEL_IRQ_UNMASK);
    vmmio_barrier();
}

bool vmmio_wait_used(const struct vmmio_dev *d, const struct vmmio_queue *q, uint32_t timeout_us)
{
    /* The device may be done before its interrupt is taken: that one then comes to a later wait
     * (here, or a program's open wait, which takes it too). */
    while (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->avail_idx) {
        uint64_t label = 0;
        if (keel_tag_is_error(keel_receive(d->irq, timeout_us, &label))) {
            return false;
        }
        vmmio_irq_taken(d);
    }
    vmmio_wr(d, VIRTIO_MMIO_INTERRUPT_ACK, vmmio_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS));
    vmmio_barrier();
    return true;
}
