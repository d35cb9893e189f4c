// SPDX-License-Identifier: MIT
/*
 * The host bridge: bus 0's 32 slots (function 0 each) reached through the ECAM window or the x86
 * CONFIG_ADDRESS/CONFIG_DATA ports, the BARs' windows, and the placement firmware would do.
 *
 * ECAM offset:      bits 27:20 bus, 19:15 slot, 14:12 function, 11:0 register.
 * CONFIG_ADDRESS:   bit 31 enable, 23:16 bus, 15:11 slot, 10:8 function, 7:2 register (dword),
 *                   27:24 register bits 11:8 (AMD's extended configuration space).
 * CONFIG_DATA (0xcfc-0xcff) is the addressed dword; 0xcfc + n is its byte n.
 *
 * Placement goes through the BARs largest first: each is naturally aligned and, its size
 * dividing all the larger ones, leaves no hole after them. It is checked whole before any BAR
 * is written (a dry run), so a failure changes nothing.
 */
#include "pci.h"
#include <string.h>

#define CF8_ENABLE (1u << 31)
#define CF8_WRITABLE 0x8ffffffcu /* enable, AMD's register bits 11:8, bus, slot, function, dword */
#define GiB4 (1ull << 32)

static uint64_t all_ones(unsigned width)
{
    return width >= 8 ? UINT64_MAX : (1ull << (8 * width)) - 1;
}

static void report(struct pci_host *h, const char *msg)
{
    if (h->report) {
        h->report(h->report_ctx, msg);
    }
}

void pci_host_init(struct pci_host *h)
{
    memset(h, 0, sizeof(*h));
}

static bool bar_valid(const struct pci_function *f, unsigned i)
{
    const struct pci_bar *b = &f->bar[i];
    uint64_t least = b->kind == PCI_BAR_IO ? 4 : 16;
    if (b->kind == PCI_BAR_NONE) {
        return true;
    }
    if (b->kind == PCI_BAR_MEM64) {
        return i + 1 < PCI_BARS && f->bar[i + 1].kind == PCI_BAR_NONE && b->size >= least &&
               (b->size & (b->size - 1)) == 0;
    }
    return b->size >= least && b->size <= GiB4 / 2 && (b->size & (b->size - 1)) == 0;
}

/* What the rest of the model relies on to stay inside f's arrays and its 256 bytes. */
static bool function_valid(const struct pci_function *f)
{
    for (unsigned i = 0; i < PCI_BARS; i++) {
        if (!bar_valid(f, i)) {
            return false;
        }
    }
    if (f->msix_vectors == 0) {
        return PCI_CAPS_BASE + f->caps_len <= PCI_CONFIG_SIZE;
    }
    const struct pci_bar *b = f->msix_bar < PCI_BARS ? &f->bar[f->msix_bar] : NULL;
    return f->msix_vectors <= PCI_MSIX_MAX && b &&
           (b->kind == PCI_BAR_MEM32 || b->kind == PCI_BAR_MEM64) && b->size >= PCI_MSIX_BAR_SIZE &&
           pci_msix_cap_offset(f) + PCI_MSIX_CAP_SIZE <= PCI_CONFIG_SIZE;
}

bool pci_host_attach(struct pci_host *h, unsigned slot, struct pci_function *f)
{
    if (slot >= PCI_SLOTS || h->slot[slot] || !function_valid(f)) {
        return false;
    }
    f->slot = slot;
    h->slot[slot] = f;
    return true;
}

/* A configuration access, once decoded; absent functions read all ones. */
static void config_access(struct pci_host *h, unsigned bus, unsigned slot, unsigned fn,
                          unsigned reg, unsigned width, bool write, uint64_t *value)
{
    struct pci_function *f = bus == 0 && fn == 0 && slot < PCI_SLOTS ? h->slot[slot] : NULL;
    if (f) {
        pci_config_access(f, reg, width, write, value);
    } else if (!write) {
        *value = all_ones(width);
    }
}

static bool access_valid(struct pci_host *h, uint64_t at, unsigned width, bool write,
                         uint64_t *value)
{
    if ((width == 1 || width == 2 || width == 4) && at % width == 0) {
        return true;
    }
    report(h, "PCI: configuration access of an odd width or misaligned, ignored");
    if (!write) {
        *value = all_ones(width);
    }
    return false;
}

void pci_host_ecam(struct pci_host *h, uint64_t off, unsigned width, bool write, uint64_t *value)
{
    if (access_valid(h, off, width, write, value)) {
        unsigned bus = off < 256 * PCI_ECAM_BUS_SIZE ? (unsigned)(off >> 20) : 256; /* none */
        config_access(h, bus, (unsigned)(off >> 15) & 0x1f, (unsigned)(off >> 12) & 7,
                      (unsigned)off & 0xfff, width, write, value);
    }
}

/* Only a 4-byte access at 0xcf8 is CONFIG_ADDRESS; the bytes of 0xcf8-0xcfb are others' (the
 * reset control register at 0xcf9). */
bool pci_host_io(struct pci_host *h, uint16_t port, unsigned width, bool write, uint64_t *value)
{
    if (port == 0xcf8 && width == 4) {
        if (write) {
            h->cf8 = (uint32_t)*value & CF8_WRITABLE;
        } else {
            *value = h->cf8;
        }
        return true;
    }
    if (port == 0xcfb && width == 1) {
        /* The PIIX's configuration mechanism select: OSes write 1 there before probing
         * mechanism #1 (which is all there is here); it reads 0. */
        if (!write) {
            *value = 0;
        }
        return true;
    }
    if (port < 0xcfc || port > 0xcff) {
        return false;
    }
    unsigned n = port - 0xcfcu;
    if (!access_valid(h, n, width, write, value)) {
        return true;
    }
    if (!(h->cf8 & CF8_ENABLE)) {
        if (!write) {
            *value = all_ones(width);
        }
        return true;
    }
    unsigned reg = (h->cf8 & 0xfc) | ((h->cf8 >> 16) & 0xf00);
    config_access(h, (h->cf8 >> 16) & 0xff, (h->cf8 >> 11) & 0x1f, (h->cf8 >> 8) & 7, reg + n,
                  width, write, value);
    return true;
}

static bool bar_is_io(const struct pci_bar *b)
{
    return b->kind == PCI_BAR_IO;
}

/* The function and BAR whose enabled decoding takes addr, or NULL. */
static struct pci_function *bar_claiming(struct pci_host *h, bool io, uint64_t addr, unsigned *bar)
{
    unsigned decode = io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
    for (unsigned s = 0; s < PCI_SLOTS; s++) {
        struct pci_function *f = h->slot[s];
        if (!f || !(f->command & decode)) {
            continue;
        }
        for (unsigned i = 0; i < PCI_BARS; i++) {
            const struct pci_bar *b = &f->bar[i];
            if (b->kind != PCI_BAR_NONE && bar_is_io(b) == io && b->base &&
                addr - b->base < b->size) {
                *bar = i;
                return f;
            }
        }
    }
    return NULL;
}

bool pci_host_bar_access(struct pci_host *h, bool io, uint64_t addr, unsigned width, bool write,
                         uint64_t *value, bool *ok)
{
    unsigned i;
    struct pci_function *f = bar_claiming(h, io, addr, &i);
    if (!f) {
        return false;
    }
    uint64_t off = addr - f->bar[i].base;
    *ok = false;
    if ((width == 1 || width == 2 || width == 4 || width == 8) && width <= f->bar[i].size - off) {
        if (f->msix_vectors && i == f->msix_bar) {
            *ok = pci_msix_bar_access(f, off, width, write, value);
        } else if (f->ops && f->ops->bar_access) {
            *ok = f->ops->bar_access(f, i, off, width, write, value);
        }
    }
    if (!*ok && !write) {
        *value = 0;
    }
    return true;
}

/* Where one kind of BAR goes: [base, base + size), the next free address at next. */
struct window {
    uint64_t base, size, next;
    bool below_4g; /* for 32-bit BARs */
};

static bool window_take(struct window *w, uint64_t size, uint64_t *at)
{
    if (w->next - w->base > w->size) {
        return false; /* an empty window at 0 */
    }
    uint64_t left = w->size - (w->next - w->base);
    uint64_t pad = (size - (w->next & (size - 1))) & (size - 1);
    if (pad > left || size > left - pad) {
        return false;
    }
    *at = w->next + pad;
    if (w->below_4g && (*at >= GiB4 || size > GiB4 - *at)) {
        return false;
    }
    w->next = *at + size;
    return true;
}

static void window_init(struct window *w, uint64_t base, uint64_t size, bool below_4g)
{
    /* Decoding ignores a BAR at 0: never hand that address out. */
    *w = (struct window){
        .base = base, .size = size, .next = base ? base : 1, .below_4g = below_4g
    };
}

static struct window *window_for(struct pci_host *h, const struct pci_bar *b, struct window *w)
{
    if (b->kind == PCI_BAR_IO) {
        return &w[2];
    }
    return b->kind == PCI_BAR_MEM64 && h->mem64_size ? &w[1] : &w[0];
}

/* Places every BAR (writing them only when commit), largest first; false when one does not
 * fit. */
static bool place_all(struct pci_host *h, bool commit)
{
    struct window w[3];
    window_init(&w[0], h->mem32_base, h->mem32_size, true);
    window_init(&w[1], h->mem64_base, h->mem64_size, false);
    window_init(&w[2], h->io_base, h->io_size, true);
    for (uint64_t size = 1ull << 63; size >= 4; size >>= 1) {
        for (unsigned s = 0; s < PCI_SLOTS; s++) {
            struct pci_function *f = h->slot[s];
            for (unsigned i = 0; f && i < PCI_BARS; i++) {
                struct pci_bar *b = &f->bar[i];
                uint64_t at;
                if (b->kind == PCI_BAR_NONE || b->size != size) {
                    continue;
                }
                if (!window_take(window_for(h, b, w), size, &at)) {
                    return false;
                }
                if (commit) {
                    b->base = at;
                    f->command |= bar_is_io(b) ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
                }
            }
        }
    }
    return true;
}

bool pci_host_place(struct pci_host *h)
{
    return place_all(h, false) && place_all(h, true);
}

void pci_host_reset(struct pci_host *h)
{
    h->cf8 = 0;
    for (unsigned s = 0; s < PCI_SLOTS; s++) {
        struct pci_function *f = h->slot[s];
        if (!f) {
            continue;
        }
        f->command = 0;
        f->latency_timer = 0;
        f->msix_control = 0;
        for (unsigned v = 0; v < PCI_MSIX_MAX; v++) {
            f->msix[v] = (struct pci_msix_entry){ .control = 1 }; /* masked, as at power on */
        }
        f->msix_pending = 0;
        for (unsigned i = 0; i < PCI_BARS; i++) {
            f->bar[i].base = 0;
        }
        if (f->ops && f->ops->reset) {
            f->ops->reset(f);
        }
        pci_intx_update(f);
    }
    pci_host_place(h); /* (they fitted before: they fit again) */
}
