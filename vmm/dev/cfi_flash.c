// SPDX-License-Identifier: MIT
/*
 * The CFI flash's command state machine (cfi_flash.h has the modes, the differences from QEMU and
 * the contract with the VMM). A write is a command in the read modes and the next cycle of its
 * sequence in the others:
 *
 *   read modes ──0x10/0x40──► PROGRAM ──data──────────────────────────────► read status
 *   (array,    ──0x20───────► ERASE ────0xd0──────────────────────────────► read status
 *    status,   ──0x60───────► LOCK ─────0x01/0xd0/0x2f/0x03───────────────► read status
 *    ID,       ──0xe8───────► BUF_COUNT ──N-1──► BUF_DATA ×N ──► BUF_CONFIRM ──0xd0──► read status
 *    query)    (unknown commands: read array; 0xff in ERASE, LOCK or BUF_CONFIRM: read array;
 *               another value there: sequence error)
 *
 * Reads in read array give the array; in read ID and query the tables; in every other mode the
 * status. A buffered program collects its data in f->buf, which holds the buffer's window from
 * buf_lo to buf_hi (the bytes written and the array's bytes between them), and stores it at the
 * confirm, so that an aborted or refused sequence leaves the array as it was.
 */
#include "cfi_flash.h"
#include <string.h>

enum {
    MODE_ARRAY,
    MODE_STATUS,
    MODE_ID,
    MODE_QUERY,
    MODE_PROGRAM,
    MODE_ERASE,
    MODE_LOCK,
    MODE_BUF_COUNT,
    MODE_BUF_DATA,
    MODE_BUF_CONFIRM,
};
enum {
    CMD_PROGRAM_ALT = 0x10,
    CMD_ERASE = 0x20,
    CMD_PROGRAM = 0x40,
    CMD_CLEAR_STATUS = 0x50,
    CMD_LOCK_SETUP = 0x60,
    CMD_READ_STATUS = 0x70,
    CMD_READ_ID = 0x90,
    CMD_QUERY = 0x98,
    CMD_CONFIRM = 0xd0, /* erase, buffer; unlock after 0x60 */
    CMD_BUFFER = 0xe8,
    CMD_READ_ARRAY = 0xff,
    LOCK_BLOCK = 0x01,
    LOCK_DOWN = 0x2f,
    LOCK_CONFIGURE = 0x03, /* 0x60 0x03: set the read configuration register */
};
#define SEQUENCE_ERROR (CFI_FLASH_ERASE_ERROR | CFI_FLASH_PROGRAM_ERROR)
#define NO_BUFFER UINT64_MAX

/*
 * The query table's fixed bytes (CFI, JESD68; values as QEMU's): "QRY"; primary command set
 * 0x0001 (Intel/Sharp extended) with its table at 0x31; Vcc 4.5-5.5 V, no Vpp; typical times
 * 2^n us for a word and a buffer, 2^n ms for a block erase, maximum 2^4 times those; interface
 * x8/x16; one erase block region; the extended table "PRI" 1.0 with one protection field.
 */
static const uint8_t query_fixed[CFI_FLASH_QUERY_SIZE] = {
    [0x10] = 'Q',  [0x11] = 'R',  [0x12] = 'Y',  [0x13] = 0x01, [0x15] = 0x31, [0x1b] = 0x45,
    [0x1c] = 0x55, [0x1f] = 0x07, [0x20] = 0x07, [0x21] = 0x0a, [0x23] = 0x04, [0x24] = 0x04,
    [0x25] = 0x04, [0x28] = 0x02, [0x2c] = 0x01, [0x31] = 'P',  [0x32] = 'R',  [0x33] = 'I',
    [0x34] = '1',  [0x35] = '0',  [0x3f] = 0x01,
};

static bool power_of_two(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

static bool width_ok(unsigned w)
{
    return w == 1 || w == 2 || w == 4;
}

bool cfi_flash_init(struct cfi_flash *f, const struct cfi_flash_config *cfg)
{
    memset(f, 0, sizeof(*f));
    f->cfg = *cfg;
    if (!cfg->data || !width_ok(cfg->bank_width) || !width_ok(cfg->device_width) ||
        cfg->bank_width % cfg->device_width != 0 || !power_of_two(cfg->block_size)) {
        return false;
    }
    unsigned chips = cfg->bank_width / cfg->device_width;
    uint64_t chip_block = cfg->block_size / chips, blocks = cfg->size / cfg->block_size;
    uint8_t buffer_log2 = cfg->bank_width == 1 ? 8 : 11; /* bytes per chip, as QEMU */
    f->buf_size = (uint32_t)chips << buffer_log2;
    if (chip_block < 256 || chip_block >> 8 > UINT16_MAX || cfg->block_size < f->buf_size ||
        cfg->size % cfg->block_size != 0 || blocks == 0 || blocks > 65536) {
        return false;
    }
    memcpy(f->query, query_fixed, sizeof(f->query));
    /* Each chip's size, 2^n bytes: QEMU's ctz, exact for power-of-two sizes (a loop: libgcc's
     * ctz helpers do not link into riscv64's soft-float programs). */
    uint8_t size_log2 = 0;
    for (uint64_t chip_size = cfg->size / chips; chip_size > 1 && !(chip_size & 1);
         chip_size >>= 1) {
        size_log2++;
    }
    f->query[0x27] = size_log2;
    f->query[0x2a] = buffer_log2;
    f->query[0x2d] = (uint8_t)(blocks - 1); /* region 1: blocks - 1, then chip_block / 256 */
    f->query[0x2e] = (uint8_t)((blocks - 1) >> 8);
    f->query[0x2f] = (uint8_t)(chip_block >> 8);
    f->query[0x30] = (uint8_t)(chip_block >> 16);
    f->mode = MODE_ARRAY;
    f->status = CFI_FLASH_READY;
    f->buf_base = NO_BUFFER;
    return true;
}

bool cfi_flash_read_array(const struct cfi_flash *f)
{
    return f->mode == MODE_ARRAY;
}

static void notify_mode(struct cfi_flash *f, bool was_array)
{
    bool now = cfi_flash_read_array(f);
    if (now != was_array && f->cfg.mode_changed) {
        f->cfg.mode_changed(f->cfg.ctx, now);
    }
}

void cfi_flash_reset(struct cfi_flash *f)
{
    bool was_array = cfi_flash_read_array(f);
    f->mode = MODE_ARRAY;
    f->status = CFI_FLASH_READY;
    f->buf_base = NO_BUFFER;
    notify_mode(f, was_array);
}

/* The byte at off as the bus shows it: the array's, or the byte lane of a chip's answer. */
static uint8_t read_byte(const struct cfi_flash *f, uint64_t off)
{
    uint64_t word = off / f->cfg.bank_width;
    unsigned lane = (unsigned)(off % f->cfg.bank_width) % f->cfg.device_width;
    uint32_t v;
    switch (f->mode) {
    case MODE_ARRAY:
        return f->cfg.data[off];
    case MODE_ID:
        v = (word & 0xff) == 0 ? f->cfg.manufacturer : (word & 0xff) == 1 ? f->cfg.device : 0;
        break;
    case MODE_QUERY:
        v = word < CFI_FLASH_QUERY_SIZE ? f->query[word] : 0;
        break;
    default:
        v = f->status;
        break;
    }
    return (uint8_t)(v >> (8 * lane));
}

static void store(uint8_t *p, unsigned width, uint64_t value)
{
    for (unsigned i = 0; i < width; i++) {
        p[i] = (uint8_t)(value >> (8 * i));
    }
}

static void changed(struct cfi_flash *f, uint64_t off, uint64_t len)
{
    if (f->cfg.dirty) {
        f->cfg.dirty(f->cfg.ctx, off, len);
    }
}

/* An operation ends (at once): ready, with the error bits given; reads give the status. */
static void done(struct cfi_flash *f, uint8_t errors)
{
    f->status |= CFI_FLASH_READY | errors;
    f->mode = MODE_STATUS;
}

static void command(struct cfi_flash *f, uint64_t off, uint8_t cmd)
{
    switch (cmd) {
    case CMD_PROGRAM_ALT:
    case CMD_PROGRAM:
        f->mode = MODE_PROGRAM;
        break;
    case CMD_ERASE:
        f->erase_block = off & ~(f->cfg.block_size - 1);
        f->mode = MODE_ERASE;
        break;
    case CMD_CLEAR_STATUS: /* all bits, ready too, as QEMU: OVMF's detection expects 0 */
        f->status = 0;
        f->mode = MODE_ARRAY;
        break;
    case CMD_LOCK_SETUP:
        f->mode = MODE_LOCK;
        break;
    case CMD_READ_STATUS:
        f->mode = MODE_STATUS;
        break;
    case CMD_READ_ID:
        f->mode = MODE_ID;
        break;
    case CMD_QUERY:
        f->mode = MODE_QUERY;
        break;
    case CMD_BUFFER: /* the buffer is free: ready */
        f->status |= CFI_FLASH_READY;
        f->mode = MODE_BUF_COUNT;
        break;
    default: /* unknown: read array, no error (Linux's probe sends 0xaa, 0x55), as QEMU */
        f->mode = MODE_ARRAY;
        break;
    }
}

/* The count: N-1 in the low chip's lanes; N data writes must fit in the buffer. */
static void buffer_count(struct cfi_flash *f, uint64_t value)
{
    unsigned bits = 8 * f->cfg.device_width;
    uint64_t n = (value & (((uint64_t)1 << bits) - 1)) + 1;
    if (n > f->buf_size / f->cfg.bank_width) {
        done(f, SEQUENCE_ERROR);
        return;
    }
    f->buf_left = (uint32_t)n;
    f->buf_base = NO_BUFFER;
    f->buf_error = false;
    f->mode = MODE_BUF_DATA;
}

/* A data write: the first one places the buffer's window; one outside it is a program error. */
static void buffer_data(struct cfi_flash *f, uint64_t off, unsigned width, uint64_t value)
{
    if (f->buf_base == NO_BUFFER) {
        f->buf_base = off & ~(uint64_t)(f->buf_size - 1);
        f->buf_lo = f->buf_hi = (uint32_t)(off - f->buf_base);
    }
    const uint8_t *array = f->cfg.data + f->buf_base;
    if (f->cfg.read_only || off < f->buf_base || off - f->buf_base + width > f->buf_size) {
        f->status |= CFI_FLASH_PROGRAM_ERROR;
        f->buf_error = true;
    } else {
        uint32_t lo = (uint32_t)(off - f->buf_base), hi = lo + width;
        if (lo < f->buf_lo) { /* keep buf_lo..buf_hi whole: the array's bytes in the gap */
            memcpy(f->buf + lo, array + lo, f->buf_lo - lo);
            f->buf_lo = lo;
        }
        if (hi > f->buf_hi) {
            memcpy(f->buf + f->buf_hi, array + f->buf_hi, hi - f->buf_hi);
            f->buf_hi = hi;
        }
        store(f->buf + lo, width, value);
    }
    if (--f->buf_left == 0) {
        f->mode = MODE_BUF_CONFIRM;
    }
}

static void buffer_confirm(struct cfi_flash *f, uint8_t cmd)
{
    if (cmd == CMD_CONFIRM && !f->buf_error) {
        memcpy(f->cfg.data + f->buf_base + f->buf_lo, f->buf + f->buf_lo, f->buf_hi - f->buf_lo);
        changed(f, f->buf_base + f->buf_lo, f->buf_hi - f->buf_lo);
        done(f, 0);
    } else if (cmd == CMD_CONFIRM) {
        done(f, CFI_FLASH_PROGRAM_ERROR);
    } else if (cmd == CMD_READ_ARRAY) {
        f->mode = MODE_ARRAY;
    } else {
        done(f, SEQUENCE_ERROR);
    }
    f->buf_base = NO_BUFFER;
}

static void write_cycle(struct cfi_flash *f, uint64_t off, unsigned width, uint64_t value)
{
    uint8_t cmd = (uint8_t)value;
    switch (f->mode) {
    case MODE_PROGRAM:
        if (f->cfg.read_only) {
            done(f, CFI_FLASH_PROGRAM_ERROR);
            return;
        }
        store(f->cfg.data + off, width, value);
        changed(f, off, width);
        done(f, 0);
        return;
    case MODE_ERASE:
        if (cmd == CMD_CONFIRM && f->cfg.read_only) {
            done(f, CFI_FLASH_ERASE_ERROR);
        } else if (cmd == CMD_CONFIRM) {
            memset(f->cfg.data + f->erase_block, 0xff, f->cfg.block_size);
            changed(f, f->erase_block, f->cfg.block_size);
            done(f, 0);
        } else if (cmd == CMD_READ_ARRAY) {
            f->mode = MODE_ARRAY;
        } else {
            done(f, SEQUENCE_ERROR);
        }
        return;
    case MODE_LOCK:
        if (cmd == LOCK_BLOCK || cmd == CMD_CONFIRM || cmd == LOCK_DOWN || cmd == LOCK_CONFIGURE) {
            done(f, 0);
        } else if (cmd == CMD_READ_ARRAY) {
            f->mode = MODE_ARRAY;
        } else {
            done(f, SEQUENCE_ERROR);
        }
        return;
    case MODE_BUF_COUNT:
        buffer_count(f, value);
        return;
    case MODE_BUF_DATA:
        buffer_data(f, off, width, value);
        return;
    case MODE_BUF_CONFIRM:
        buffer_confirm(f, cmd);
        return;
    default:
        command(f, off, cmd);
        return;
    }
}

static void access_one(struct cfi_flash *f, uint64_t off, unsigned width, bool write,
                       uint64_t *value)
{
    if (write) {
        write_cycle(f, off, width, *value);
        return;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++) {
        v |= (uint64_t)read_byte(f, off + i) << (8 * i);
    }
    *value = v;
}

bool cfi_flash_access(struct cfi_flash *f, uint64_t off, unsigned width, bool write,
                      uint64_t *value)
{
    if (!(width_ok(width) || width == 8) || off >= f->cfg.size || width > f->cfg.size - off) {
        if (!write) {
            *value = 0;
        }
        return false;
    }
    bool was_array = cfi_flash_read_array(f);
    if (width == 8) {
        uint64_t lo = write ? *value & UINT32_MAX : 0, hi = write ? *value >> 32 : 0;
        access_one(f, off, 4, write, &lo);
        access_one(f, off + 4, 4, write, &hi);
        if (!write) {
            *value = lo | hi << 32;
        }
    } else {
        access_one(f, off, width, write, value);
    }
    notify_mode(f, was_array);
    return true;
}
