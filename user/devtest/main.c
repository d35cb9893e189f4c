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
#include <virtio/uapi.h>
#include <format.h>
#include <string.h>

#define DISK_TEXT "KEEL devtest disk, sector 0"
#define QUEUE_SIZE 8
#define IRQ_LABEL 0x44
#define WAIT_US 3000000

/* The DMA memory's layout (one page each): the queue's three parts, then the request. */
enum { DMA_DESC, DMA_AVAIL, DMA_USED, DMA_REQ, DMA_PAGES };
#define REQ_DATA 64    /* the sector's 512 bytes, after the header */
#define REQ_STATUS 600 /* the status byte */

static const char *name;
static uintptr_t regs;
static uint16_t posted; /* requests made available so far */

static int fail(const char *what, uint64_t got, uint64_t want)
{
    printf("%s: FAIL: %s: 0x%lx, expected 0x%lx\n", name, what, (unsigned long)got,
           (unsigned long)want);
    return 1;
}

/* Orders the CPU's writes to memory (the rings) before its next access to the device, and the
 * device's answer before what the CPU reads after. */
static void io_barrier(void)
{
#if defined(__aarch64__)
    __asm__ volatile("dsb sy" ::: "memory");
#elif defined(__riscv)
    __asm__ volatile("fence iorw, iorw" ::: "memory");
#else
    __asm__ volatile("mfence" ::: "memory");
#endif
}

static uint32_t rd(uint32_t off)
{
    return *(volatile uint32_t *)(regs + off);
}

static void wr(uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(regs + off) = v;
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

/* Sets the virtio-blk up (virtio 1.2, 3.1.1 and 4.2.3) with queue 0 in the DMA memory. */
static int blk_init(const struct keel_progenv *env)
{
    wr(VIRTIO_MMIO_STATUS, 0); /* reset: whatever a run before this one left */
    if (rd(VIRTIO_MMIO_STATUS) != 0) {
        return fail("status after reset", rd(VIRTIO_MMIO_STATUS), 0);
    }
    wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    if (!(rd(VIRTIO_MMIO_DEVICE_FEATURES) & (1u << (VIRTIO_F_VERSION_1 - 32)))) {
        return fail("VIRTIO_F_VERSION_1 offered", 0, 1);
    }
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, 1u << (VIRTIO_F_VERSION_1 - 32));
    uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK;
    wr(VIRTIO_MMIO_STATUS, s);
    if (!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK)) {
        return fail("FEATURES_OK kept", rd(VIRTIO_MMIO_STATUS), s);
    }
    wr(VIRTIO_MMIO_QUEUE_SEL, 0);
    if (rd(VIRTIO_MMIO_QUEUE_NUM_MAX) < QUEUE_SIZE) {
        return fail("queue size", rd(VIRTIO_MMIO_QUEUE_NUM_MAX), QUEUE_SIZE);
    }
    wr(VIRTIO_MMIO_QUEUE_NUM, QUEUE_SIZE);
    uint64_t pa = env->dma_pa;
    uint64_t desc = pa + DMA_DESC * KEEL_PAGE_SIZE, avail = pa + DMA_AVAIL * KEEL_PAGE_SIZE,
             used = pa + DMA_USED * KEEL_PAGE_SIZE;
    wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
    wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
    wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
    wr(VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
    wr(VIRTIO_MMIO_QUEUE_READY, 1);
    wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_DRIVER_OK);
    return 0;
}

/* Reads sector 0 into data (at physical address data_pa) and waits for the interrupt that says
 * it is there; the request's header and status are in the DMA memory. */
static int blk_read_sector0(const struct keel_progenv *env, const struct keel_prog_device *d,
                            uint8_t *data, uint64_t data_pa, const char *where)
{
    uint8_t *va = (uint8_t *)(uintptr_t)env->dma_va;
    uint64_t pa = env->dma_pa;
    struct vring_desc *desc = (struct vring_desc *)(va + DMA_DESC * KEEL_PAGE_SIZE);
    struct vring_avail *avail = (struct vring_avail *)(va + DMA_AVAIL * KEEL_PAGE_SIZE);
    volatile struct vring_used *used = (struct vring_used *)(va + DMA_USED * KEEL_PAGE_SIZE);
    uint8_t *req = va + DMA_REQ * KEEL_PAGE_SIZE;
    uint64_t req_pa = pa + DMA_REQ * KEEL_PAGE_SIZE;
    struct virtio_blk_outhdr *hdr = (struct virtio_blk_outhdr *)req;
    memset(data, 0, 512); /* (what is there after comes from the device) */
    hdr->type = VIRTIO_BLK_T_IN;
    hdr->sector = 0;
    req[REQ_STATUS] = 0xff;
    desc[0] = (struct vring_desc){ req_pa, sizeof(*hdr), VRING_DESC_F_NEXT, 1 };
    desc[1] = (struct vring_desc){ data_pa, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
    desc[2] = (struct vring_desc){ req_pa + REQ_STATUS, 1, VRING_DESC_F_WRITE, 0 };
    avail->ring[posted % QUEUE_SIZE] = 0;
    io_barrier();
    avail->idx = ++posted;
    io_barrier();
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    uint64_t label = 0;
    uint64_t tag = keel_receive(d->irq, WAIT_US, &label);
    if (keel_tag_is_error(tag) || label != IRQ_LABEL) {
        printf("%s: FAIL: no interrupt from the device (%s)\n", name,
               keel_strerror(keel_tag_is_error(tag) ? keel_ipc_error() : 0));
        return 1;
    }
    uint32_t isr = rd(VIRTIO_MMIO_INTERRUPT_STATUS);
    wr(VIRTIO_MMIO_INTERRUPT_ACK, isr);
    KOBJ(d->irq, KEEL_IRQ_UNMASK);
    io_barrier();
    if (!(isr & VIRTIO_MMIO_INT_VRING)) {
        return fail("interrupt status (used buffer)", isr, VIRTIO_MMIO_INT_VRING);
    }
    if (used->idx != posted || used->ring[(posted - 1) % QUEUE_SIZE].id != 0) {
        return fail("used ring index", used->idx, posted);
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
    regs = (uintptr_t)d->va;
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
    uint32_t magic = rd(VIRTIO_MMIO_MAGIC_VALUE), version = rd(VIRTIO_MMIO_VERSION),
             id = rd(VIRTIO_MMIO_DEVICE_ID);
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
    wr(VIRTIO_MMIO_STATUS, 0); /* the device quiet again */
    printf("%s: done\n", name);
    return 0;
}
