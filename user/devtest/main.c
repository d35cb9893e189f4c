// SPDX-License-Identifier: MIT
/*
 * A driver test for board devices (user/root/devices.c) and DMA memory (user/root/dma.c): the
 * program the system tests dts/systems/devtest-<arch>.dts start.
 *
 * No args: its first device is a virtio-blk over virtio-mmio (version 2: QEMU's
 * force-legacy=false) whose disk's sector 0 starts with DISK_TEXT (cmake/system_tests.cmake writes it). It reads
 * the transport's magic, version and device ID through its window, sets the device up with one
 * queue in its DMA memory (the device is given the physical addresses env->dma_pa says), reads
 * sector 0 into the DMA memory and waits for the device's interrupt on its Irq: the sector
 * arriving proves the window, the physical address and the interrupt together. With a link, it
 * reads the sector again straight into the link's memory at the physical address its
 * environment gives (a driver's one copy, docs/devices.md). Then it looks at what it holds:
 * exactly the capabilities keel/progenv.h lists, no Icu (an Icu BIND through the root task's
 * slot fails), so it cannot bind another line.
 *
 * "peer": the other end of that link, without devices: it is not told the link's physical
 * address.
 *
 * "intruder <address>": reads the physical address (another device's registers, not given) as
 * its own address and must be stopped by the root task.
 *
 * Every failed check prints "FAIL:" and ends it with status 1.
 */
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <keel/virtio_mmio_drv.h>
#include <virtio/uapi.h>
#include <format.h>
#include <string.h>

#define DISK_TEXT "KEEL devtest disk, sector 0"
#define QUEUE_SIZE 8
#define IRQ_LABEL 0x44
#define WAIT_US 3000000

/* The DMA memory's layout: the queue (VMMIO_QUEUE_PAGES), then the request (a page). */
enum { DMA_REQ = VMMIO_QUEUE_PAGES, DMA_PAGES };
#define REQ_DATA 64    /* the sector's 512 bytes, after the header */
#define REQ_STATUS 600 /* the status byte */

static const char *name;
static struct vmmio_dev dev;
static struct vmmio_queue queue;

static int fail(const char *what, uint64_t got, uint64_t want)
{
    printf("%s: FAIL: %s: 0x%lx, expected 0x%lx\n", name, what, (unsigned long)got,
           (unsigned long)want);
    return 1;
}

static uint64_t parse_hex(const char *s)
{
    uint64_t v = 0;
    s += s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 2 : 0;
    for (; *s; s++) {
        unsigned d = *s >= '0' && *s <= '9'   ? (unsigned)(*s - '0')
                     : *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10)
                     : *s >= 'A' && *s <= 'F' ? (unsigned)(*s - 'A' + 10)
                                              : 16;
        if (d == 16) {
            break;
        }
        v = v << 4 | d;
    }
    return v;
}

static int intruder(const char *address)
{
    uint64_t pa = parse_hex(address);
    printf("%s: reading 0x%lx, a device's registers it was not given\n", name, (unsigned long)pa);
    rt_flush();
    uint32_t v = *(volatile uint32_t *)(uintptr_t)pa;
    printf("%s: FAIL: read 0x%x there\n", name, v);
    return 1;
}

/* Its capability slots below KEEL_PROG_FIRST_FREE: exactly those keel/progenv.h gives it (task,
 * thread, factory, Vcon, parent, link 0's two Irqs with a link, device 0's Irq), no Icu among
 * them. */
static int check_capabilities(const struct keel_progenv *env, const struct keel_prog_device *d)
{
    char list[96] = "";
    size_t used = 0;
    uint64_t held = 0;
    for (unsigned slot = 0; slot < KEEL_PROG_FIRST_FREE; slot++) {
        if (KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, slot) == 1) {
            held |= 1ull << slot;
            used += (size_t)snformat(list + used, sizeof(list) - used, " %u", slot);
        }
    }
    printf("%s: capabilities:%s\n", name, list);
    uint64_t want = 1ull << KEEL_ROOT_TASK | 1ull << KEEL_ROOT_THREAD | 1ull << KEEL_ROOT_FACTORY |
                    1ull << KEEL_ROOT_VCON | 1ull << KEEL_PROG_PARENT | 1ull << d->irq;
    if (env->link_count) {
        want |= 1ull << KEEL_PROG_LINK_IRQ(0) | 1ull << KEEL_PROG_LINK_PEER(0);
    }
    if (held != want) {
        return fail("capability slots held", held, want);
    }
    /* Where the root task has its Icu, it has nothing: a BIND of its own Irq to the next line
     * fails, and it has no other way to bind one. */
    int64_t r = KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, d->irq, d->line + 1, KEEL_IRQ_MODE_LEVEL_HIGH);
    printf("%s: Icu BIND of line %lu: %s\n", name, (unsigned long)d->line + 1, keel_strerror(r));
    return r == 0 ? fail("Icu BIND", 0, (uint64_t)-KEEL_ENOCAP) : 0;
}

/* Sets the virtio-blk up with queue 0 in the DMA memory (keel/virtio_mmio_drv.h). */
static int blk_init(const struct keel_progenv *env)
{
    uint32_t got;
    const char *why = vmmio_reset(&dev, VIRTIO_ID_BLOCK);
    if (!why) {
        why = vmmio_negotiate(&dev, 0, &got);
    }
    if (!why) {
        why = vmmio_queue_setup(&dev, &queue, 0, QUEUE_SIZE, (void *)(uintptr_t)env->dma_va,
                                env->dma_pa);
    }
    if (why) {
        printf("%s: FAIL: setting the device up: %s\n", name, why);
        return 1;
    }
    vmmio_driver_ok(&dev);
    return 0;
}

/* Reads sector 0 into data (at physical address data_pa) and waits for the interrupt that says
 * it is there; the request's header and status are in the DMA memory. */
static int blk_read_sector0(const struct keel_progenv *env, const struct keel_prog_device *d,
                            uint8_t *data, uint64_t data_pa, const char *where)
{
    uint8_t *req = (uint8_t *)(uintptr_t)env->dma_va + DMA_REQ * KEEL_PAGE_SIZE;
    uint64_t req_pa = env->dma_pa + DMA_REQ * KEEL_PAGE_SIZE;
    struct vring_desc *desc = queue.desc;
    struct virtio_blk_outhdr *hdr = (struct virtio_blk_outhdr *)req;
    memset(data, 0, 512); /* (what is there after comes from the device) */
    hdr->type = VIRTIO_BLK_T_IN;
    hdr->sector = 0;
    req[REQ_STATUS] = 0xff;
    desc[0] = (struct vring_desc){ req_pa, sizeof(*hdr), VRING_DESC_F_NEXT, 1 };
    desc[1] = (struct vring_desc){ data_pa, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
    desc[2] = (struct vring_desc){ req_pa + REQ_STATUS, 1, VRING_DESC_F_WRITE, 0 };
    vmmio_post(&queue, 0);
    vmmio_notify(&dev, &queue);
    uint64_t label = 0;
    uint64_t tag = keel_receive(d->irq, WAIT_US, &label);
    if (keel_tag_is_error(tag) || label != IRQ_LABEL) {
        printf("%s: FAIL: no interrupt from the device (%s)\n", name,
               keel_strerror(keel_tag_is_error(tag) ? keel_ipc_error() : 0));
        return 1;
    }
    uint32_t isr = vmmio_rd(&dev, VIRTIO_MMIO_INTERRUPT_STATUS);
    vmmio_irq_taken(&dev);
    if (!(isr & VIRTIO_MMIO_INT_VRING)) {
        return fail("interrupt status (used buffer)", isr, VIRTIO_MMIO_INT_VRING);
    }
    uint32_t id, len;
    if (!vmmio_used_next(&queue, &id, &len) || id != 0 || queue.used_idx != queue.avail_idx) {
        return fail("used ring index", queue.used->idx, queue.avail_idx);
    }
    if (req[REQ_STATUS] != VIRTIO_BLK_S_OK) {
        return fail("request status", req[REQ_STATUS], VIRTIO_BLK_S_OK);
    }
    char text[sizeof(DISK_TEXT)];
    memcpy(text, data, sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    if (strcmp(text, DISK_TEXT) != 0) {
        printf("%s: FAIL: sector 0 starts \"%s\", not \"%s\"\n", name, text, DISK_TEXT);
        return 1;
    }
    printf("%s: sector 0 read by DMA into %s, interrupt %lu: \"%s\"\n", name, where,
           (unsigned long)d->line, text);
    return 0;
}

/* The other end of dev's link: it has no devices, so no physical address of the link. */
static int peer(const struct keel_progenv *env)
{
    if (env->link_count != 1) {
        return fail("links", env->link_count, 1);
    }
    printf("%s: link %s: physical address %s\n", name, env->links[0].name,
           env->links[0].pa ? "given" : "not given (no keel,devices)");
    return env->links[0].pa ? 1 : 0;
}

int main(void)
{
    const struct keel_progenv *env = rt_progenv();
    if (!env) {
        return 1;
    }
    name = env->name;
    if (strncmp(env->args, "intruder ", 9) == 0) {
        return intruder(env->args + 9);
    }
    if (strcmp(env->args, "peer") == 0) {
        return peer(env);
    }
    if (env->device_count != 1) {
        return fail("devices", env->device_count, 1);
    }
    const struct keel_prog_device *d = &env->devices[0];
    dev = (struct vmmio_dev){ .regs = (uintptr_t)d->va, .irq = d->irq };
    printf("%s: device %s: 0x%lx (%lu bytes, %lu KiB mapped), line %lu\n", name, d->name,
           (unsigned long)d->pa, (unsigned long)d->size, (unsigned long)(d->map_size >> 10),
           (unsigned long)d->line);
    if (env->dma_size < DMA_PAGES * KEEL_PAGE_SIZE || env->dma_va != KEEL_PROG_DMA_VA ||
        (env->dma_pa & (KEEL_PAGE_SIZE - 1))) {
        return fail("DMA memory", env->dma_size, DMA_PAGES * KEEL_PAGE_SIZE);
    }
    printf("%s: DMA memory: %lu KiB at 0x%lx (physical 0x%lx)\n", name,
           (unsigned long)(env->dma_size >> 10), (unsigned long)env->dma_va,
           (unsigned long)env->dma_pa);
    uint32_t magic = vmmio_rd(&dev, VIRTIO_MMIO_MAGIC_VALUE),
             version = vmmio_rd(&dev, VIRTIO_MMIO_VERSION),
             id = vmmio_rd(&dev, VIRTIO_MMIO_DEVICE_ID);
    printf("%s: magic 0x%x, version %u, device ID %u\n", name, magic, version, id);
    if (magic != 0x74726976 || version != 2 || id != VIRTIO_ID_BLOCK) {
        return fail("virtio-mmio transport of a block device, version 2", id, VIRTIO_ID_BLOCK);
    }
    int64_t r = KOBJ(d->irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, IRQ_LABEL);
    if (r == 0) {
        r = KOBJ(d->irq, KEEL_IRQ_UNMASK); /* (a run before this one may have left it masked) */
    }
    if (r != 0) {
        printf("%s: FAIL: its Irq: %s\n", name, keel_strerror(r));
        return 1;
    }
    uint8_t *dma = (uint8_t *)(uintptr_t)env->dma_va;
    if (blk_init(env) != 0 ||
        blk_read_sector0(env, d, dma + DMA_REQ * KEEL_PAGE_SIZE + REQ_DATA,
                         env->dma_pa + DMA_REQ * KEEL_PAGE_SIZE + REQ_DATA, "its DMA memory")) {
        return 1;
    }
    if (env->link_count) {
        const struct keel_prog_link *l = &env->links[0];
        if (!l->pa || l->size < 2 * KEEL_PAGE_SIZE) {
            return fail("link's physical address", l->pa, 1);
        }
        /* (the second page: the first is the link's header in a real protocol) */
        if (blk_read_sector0(env, d, (uint8_t *)(uintptr_t)l->va + KEEL_PAGE_SIZE,
                             l->pa + KEEL_PAGE_SIZE, "its link") != 0) {
            return 1;
        }
    }
    if (check_capabilities(env, d) != 0) {
        return 1;
    }
    vmmio_wr(&dev, VIRTIO_MMIO_STATUS, 0); /* the device quiet again */
    printf("%s: done\n", name);
    return 0;
}
