// SPDX-License-Identifier: MIT
/*
 * The attacker's CFI flash steps (see attack.c). Its VM has a "cfi-flash" node with arm64 virt's
 * geometry (vmm/dev/flash_vm.c, model vmm/dev/cfi_flash.c): bank width 4 made of two 16-bit
 * chips, 256 KiB erase blocks, a 4 KiB write buffer (2 KiB per chip), IDs 0x89/0x18. Bank A at
 * FLASH_A (256 KiB, one block) is read-only and holds the test disk (attack-disk.img, 64 KiB:
 * disk_byte()) with the rest erased; bank B at FLASH_B (768 KiB, three blocks) is writable and
 * erased. Commands go as EDK2 writes them: the byte on both chips' low lanes (cmd << 16 | cmd);
 * a chip's answer (status, ID, query byte) reads likewise, on both chips' lanes.
 *
 * In the VMM's memory the banks lie right behind the guest's RAM, A then B, and the writable
 * disk's copy (virtio_mmio@a000200) right behind B: a program or erase that strayed out of its
 * bank would show in the last bytes of RAM, in bank A or in the writable disk, which these steps
 * check after the attacks on bank B. A read-only bank must refuse every program and erase with
 * the status's error bits (0x10 program, 0x20 erase) and its contents unchanged; a bad sequence
 * (a buffer count over 1024 words, a confirm that is not 0xd0) sets both (0x30) and writes
 * nothing; a data write outside the buffer's aligned 4 KiB window is a program error (0x10).
 *
 * Whether a bank is mapped into the VM shows with a load pair (no syndrome): through the
 * mapping it reads the array; unmapped, it reaches the VMM, which cannot decode it and injects
 * a synchronous external abort. So each step checks that a command took its bank out of the
 * VM's memory (reads come from the model) and that read array (0xff) put it back.
 *
 * These steps come after the MMIO steps: their first bad access (a write just past bank B) is
 * the last line the VMM's report budget allows, and cmake/system_tests.cmake requires it, and
 * the VMM's count of each bank's switches out of read-array mode at the end: bank A 8, bank B
 * 26 (the tallies in the comments below).
 */
#include "attack.h"
#include <string.h>

#define FLASH_A_SIZE 0x40000ull
#define FLASH_B_SIZE 0xc0000ull
#define FLASH_END (FLASH_B + FLASH_B_SIZE)
#define FLASH_BUFFER_WORDS 1024 /* 4 KiB of 4-byte bank words */
#define MODULE_SIZE (DISK_SECTORS * 512ull)

/* Commands (vmm/dev/cfi_flash.h). */
#define PROGRAM_ALT 0x10
#define ERASE 0x20
#define PROGRAM 0x40
#define CLEAR_STATUS 0x50
#define LOCK_SETUP 0x60
#define READ_STATUS 0x70
#define READ_ID 0x90
#define QUERY 0x98
#define CONFIRM 0xd0
#define BUFFER 0xe8
#define READ_ARRAY 0xff
/* The status byte's error bits. */
#define PROGRAM_ERROR 0x10
#define ERASE_ERROR 0x20
#define SEQUENCE_ERROR 0x30

static uint8_t disk_ring[VDEV_MEM] __attribute__((aligned(4096)));
static uint8_t disk_data[4096] __attribute__((aligned(4096)));
static struct vdev blk_rw = { BLK_RW, VIRTIO_ID_BLOCK, 1, disk_ring, { { 0 } } };
static const uint64_t canary = 0x5eedf1a5c0ffee00ull;
#define CANARY_WORDS 8 /* in the last bytes of RAM, right before bank A in the VMM's memory */

/* A chip's 16-bit value as the 4-byte bank word shows it: on both chips' lanes. */
static uint32_t both(uint32_t v)
{
    return v << 16 | v;
}

/* The status as a 4-byte read shows it: ready, with these error bits. */
static uint32_t status_word(uint32_t errors)
{
    return both(0x80 | errors);
}

static void cmd(uint64_t a, uint8_t c)
{
    mmio_w32(a, both(c));
}

/* Word program of v at a (0x40, then the data): leaves the bank in read status. */
static void program(uint64_t a, uint32_t v)
{
    cmd(a, PROGRAM);
    mmio_w32(a, v);
}

/* The word at off of bank A as its boot module and the erased rest make it. */
static uint32_t a_word(uint64_t off)
{
    if (off >= MODULE_SIZE) {
        return 0xffffffff;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++) {
        v |= (uint32_t)disk_byte((off + i) / 512, (unsigned)((off + i) % 512)) << (8 * i);
    }
    return v;
}

/* Bank A whole, read through its mapping (in read array): the module, then 0xff. */
static bool bank_a_intact(void)
{
    for (uint64_t off = 0; off < FLASH_A_SIZE; off += 4) {
        if (mmio_r32(FLASH_A + off) != a_word(off)) {
            say("attack: bank A's word at 0x%lx is 0x%x, not 0x%x\n", (unsigned long)off,
                mmio_r32(FLASH_A + off), a_word(off));
            return false;
        }
    }
    return true;
}

/* len bytes at a all 0xff (in read array). */
static bool erased(uint64_t a, uint64_t len)
{
    for (uint64_t off = 0; off < len; off += 8) {
        if (mmio_r64(a + off) != ~0ull) {
            say("attack: flash at 0x%lx is not erased\n", (unsigned long)(a + off));
            return false;
        }
    }
    return true;
}

/*
 * A load pair at a: true with the two words when it read them (the bank is mapped), false when
 * it took the abort the VMM injects for an access it cannot decode (unmapped: the access reached
 * the VMM), whose syndrome must then say so.
 */
static bool load_pair(uint64_t a, uint32_t *lo, uint32_t *hi)
{
    guest_traps.expecting = true;
    unsigned traps = guest_traps.count;
    uint32_t x = 0, y = 0;
    __asm__ volatile("ldp %w0, %w1, [%2]" : "=r"(x), "=r"(y) : "r"(a) : "memory");
    guest_traps.expecting = false;
    if (guest_traps.count == traps) {
        *lo = x;
        *hi = y;
        return true;
    }
    step_want("exceptions taken by the load pair", guest_traps.count - traps, 1);
    step_want("its exception class (data abort)", guest_traps.esr >> 26, 0x25);
    step_want("its fault status (synchronous external abort)", guest_traps.esr & 0x3f, 0x10);
    step_want("its fault address", guest_traps.far, a);
    return false;
}

/* Whether the bank at a is mapped (read array) or not (a command mode), as `mapped` says. */
static void want_mapped(uint64_t a, bool mapped)
{
    uint32_t lo, hi;
    bool read = load_pair(a, &lo, &hi);
    if (read != mapped) {
        step_fail("a load pair at 0x%lx %s: the bank is %s", (unsigned long)a,
                  read ? "read memory" : "took an abort",
                  mapped ? "in read array, it must be mapped" : "in a command mode, it must not");
    }
}

/* All 128 sectors of the writable disk, whose copy lies right behind bank B in the VMM. */
static bool disk_copy_intact(void)
{
    bool ok = vd_setup(&blk_rw, F_V1, 8);
    for (uint64_t s = 0; ok && s < DISK_SECTORS; s += sizeof(disk_data) / 512) {
        memset(disk_data, 0, sizeof(disk_data));
        ok = blk_request(&blk_rw, VIRTIO_BLK_T_IN, s, (uint64_t)(uintptr_t)disk_data,
                         sizeof(disk_data)) == VIRTIO_BLK_S_OK;
        for (unsigned i = 0; ok && i < sizeof(disk_data); i++) {
            ok = disk_data[i] == disk_byte(s + i / 512, i % 512);
        }
    }
    vd_reset(&blk_rw);
    return ok;
}

static bool canary_intact(void)
{
    volatile uint64_t *tail = (volatile uint64_t *)(uintptr_t)(RAM_END - 8 * CANARY_WORDS);
    bool ok = true;
    for (unsigned i = 0; i < CANARY_WORDS; i++) {
        ok &= tail[i] == (canary ^ i);
    }
    return ok;
}

/* ---- reading: the array, the model's tables and status ---- */

static void flash_reads(void)
{
    step_begin("flash-read-array");
    volatile uint64_t *tail = (volatile uint64_t *)(uintptr_t)(RAM_END - 8 * CANARY_WORDS);
    for (unsigned i = 0; i < CANARY_WORDS; i++) {
        tail[i] = canary ^ i;
    }
    step_want("bank A (the module, then erased)", bank_a_intact(), 1);
    step_want("bank B erased", erased(FLASH_B, FLASH_B_SIZE), 1);
    step_want("bank A's byte 1", mmio_r8(FLASH_A + 1), disk_byte(0, 1));
    step_want("bank A's 2 bytes at 0x202", mmio_r16(FLASH_A + 0x202), a_word(0x200) >> 16);
    step_want("bank A's 8 bytes at 0x8", mmio_r64(FLASH_A + 8),
              (uint64_t)a_word(0xc) << 32 | a_word(8));
    uint32_t lo = 0, hi = 0;
    step_want("a load pair from bank A (mapped)", load_pair(FLASH_A + 0x10, &lo, &hi), 1);
    step_want("its words", (uint64_t)hi << 32 | lo, (uint64_t)a_word(0x14) << 32 | a_word(0x10));
    want_mapped(FLASH_END - 8, true);
    step_end();

    /* Nothing is there: the VMM reports the write (the line cmake requires) and reads 0; the
     * banks on either side see nothing of it. */
    step_begin("flash-past-the-end");
    cmd(FLASH_END, PROGRAM);
    step_want("the word past bank B", mmio_r32(FLASH_END), 0);
    cmd(FLASH_A - 4, PROGRAM);
    mmio_w32(FLASH_A - 4, 0);
    step_want("the word before bank A", mmio_r32(FLASH_A - 4), 0);
    step_want("bank B's last word", mmio_r32(FLASH_END - 4), 0xffffffff);
    want_mapped(FLASH_END - 8, true);
    want_mapped(FLASH_A, true);
    step_end();

    /* EDK2's probe: 0x98 at word 0x55, "QRY" at words 0x10-0x12; the geometry of region 1. */
    step_begin("flash-cfi-query");
    cmd(FLASH_B + 0x55 * 4, QUERY); /* B: 1 */
    want_mapped(FLASH_B, false);
    step_want("word 0x10", mmio_r32(FLASH_B + 0x10 * 4), both('Q'));
    step_want("word 0x11", mmio_r32(FLASH_B + 0x11 * 4), both('R'));
    step_want("word 0x12", mmio_r32(FLASH_B + 0x12 * 4), both('Y'));
    step_want("word 0x13 (Intel command set)", mmio_r32(FLASH_B + 0x13 * 4), both(1));
    step_want("word 0x2a (2^11 bytes of buffer per chip)", mmio_r32(FLASH_B + 0x2a * 4), both(11));
    step_want("word 0x2d (bank B: 3 blocks - 1)", mmio_r32(FLASH_B + 0x2d * 4), both(2));
    step_want("word 0x2e", mmio_r32(FLASH_B + 0x2e * 4), 0);
    step_want("word 0x2f", mmio_r32(FLASH_B + 0x2f * 4), 0);
    step_want("word 0x30 (0x200 * 256 bytes per chip)", mmio_r32(FLASH_B + 0x30 * 4), both(2));
    step_want("word 0x52 (past the table)", mmio_r32(FLASH_B + 0x52 * 4), 0);
    step_want("word 0x110 (the table does not repeat)", mmio_r32(FLASH_B + 0x110 * 4), 0);
    step_want("byte 0x40 (chip 0)", mmio_r8(FLASH_B + 0x40), 'Q');
    step_want("byte 0x41 (chip 0's high byte)", mmio_r8(FLASH_B + 0x41), 0);
    step_want("byte 0x42 (chip 1)", mmio_r8(FLASH_B + 0x42), 'Q');
    step_want("2 bytes at 0x46", mmio_r16(FLASH_B + 0x46), 'R');
    step_want("8 bytes at 0x40", mmio_r64(FLASH_B + 0x40), (uint64_t)both('R') << 32 | both('Q'));
    cmd(FLASH_B, READ_ARRAY);
    step_want("word 0x10 in read array", mmio_r32(FLASH_B + 0x10 * 4), 0xffffffff);
    want_mapped(FLASH_B, true);
    /* Commands of 1 and 2 bytes on bank A (the low byte counts). */
    mmio_w8(FLASH_A + 0x55 * 4, QUERY); /* A: 1 */
    want_mapped(FLASH_A, false);
    step_want("bank A's word 0x10", mmio_r32(FLASH_A + 0x10 * 4), both('Q'));
    step_want("bank A's word 0x2d (1 block - 1)", mmio_r32(FLASH_A + 0x2d * 4), 0);
    step_want("bank A's word 0x30", mmio_r32(FLASH_A + 0x30 * 4), both(2));
    mmio_w16(FLASH_A, READ_ARRAY);
    step_want("bank A's word 0x10 in read array", mmio_r32(FLASH_A + 0x10 * 4), a_word(0x40));
    want_mapped(FLASH_A, true);
    step_end();

    step_begin("flash-read-id");
    cmd(FLASH_A + 0x1234, READ_ID); /* A: 2 */
    want_mapped(FLASH_A, false);
    step_want("word 0 (manufacturer)", mmio_r32(FLASH_A), both(0x89));
    step_want("word 1 (device)", mmio_r32(FLASH_A + 4), both(0x18));
    step_want("word 2 (block not locked)", mmio_r32(FLASH_A + 8), 0);
    step_want("word 256 (manufacturer again)", mmio_r32(FLASH_A + 0x400), both(0x89));
    step_want("8 bytes at 0", mmio_r64(FLASH_A), (uint64_t)both(0x18) << 32 | both(0x89));
    /* 8 bytes are two commands, the low word first: query, then read status. */
    mmio_w64(FLASH_A, (uint64_t)both(READ_STATUS) << 32 | both(QUERY));
    step_want("the status after 0x98, 0x70 in one write", mmio_r32(FLASH_A), status_word(0));
    cmd(FLASH_A, READ_ARRAY);
    step_want("word 0 in read array", mmio_r32(FLASH_A), a_word(0));
    want_mapped(FLASH_A, true);
    step_end();

    step_begin("flash-status-reads");
    cmd(FLASH_B + 0x2000, READ_STATUS); /* B: 2 */
    step_want("word 0", mmio_r32(FLASH_B), status_word(0));
    step_want("the last word", mmio_r32(FLASH_END - 4), status_word(0));
    step_want("byte 0", mmio_r8(FLASH_B), 0x80);
    step_want("byte 1", mmio_r8(FLASH_B + 1), 0);
    step_want("byte 2 (chip 1)", mmio_r8(FLASH_B + 2), 0x80);
    step_want("2 bytes at 2", mmio_r16(FLASH_B + 2), 0x80);
    step_want("8 bytes at 0x1000", mmio_r64(FLASH_B + 0x1000), 0x0080008000800080ull);
    /* A load pair has no syndrome: the VMM must inject an abort, not guess or stop. */
    want_mapped(FLASH_B + 0x100, false);
    step_want("the status after the abort", mmio_r32(FLASH_B), status_word(0));
    mmio_w8(FLASH_B, READ_ARRAY);
    step_want("word 0 in read array", mmio_r32(FLASH_B), 0xffffffff);
    want_mapped(FLASH_B, true);
    step_end();

    /* A store pair to a bank in read array: a write the VMM cannot decode, an abort. */
    step_begin("flash-store-pair");
    guest_traps.expecting = true;
    unsigned traps = guest_traps.count;
    __asm__ volatile("stp %w0, %w1, [%2]"
                     :
                     : "r"(both(PROGRAM)), "r"(0u), "r"(FLASH_B + 0x80)
                     : "memory");
    guest_traps.expecting = false;
    step_want("exceptions taken", guest_traps.count - traps, 1);
    step_want("exception class (data abort)", guest_traps.esr >> 26, 0x25);
    step_want("fault status (synchronous external abort)", guest_traps.esr & 0x3f, 0x10);
    step_want("a write (WnR)", (guest_traps.esr >> 6) & 1, 1);
    step_want("fault address", guest_traps.far, FLASH_B + 0x80);
    step_want("the words", mmio_r64(FLASH_B + 0x80), ~0ull);
    want_mapped(FLASH_B, true);
    step_end();
}

/* ---- the read-only bank: every program and erase refused, nothing changed ---- */

static void flash_read_only(void)
{
    step_begin("flash-read-only-program");
    program(FLASH_A + 0x100, 0); /* A: 3 */
    want_mapped(FLASH_A, false);
    step_want("the status after 0x40", mmio_r32(FLASH_A), status_word(PROGRAM_ERROR));
    mmio_w16(FLASH_A + 0x104, PROGRAM_ALT);
    mmio_w16(FLASH_A + 0x104, 0);
    step_want("the status after 0x10 and 2 bytes", mmio_r32(FLASH_A), status_word(PROGRAM_ERROR));
    mmio_w8(FLASH_A + 0x109, PROGRAM);
    mmio_w8(FLASH_A + 0x109, 0);
    step_want("the status after 1 byte", mmio_r32(FLASH_A), status_word(PROGRAM_ERROR));
    cmd(FLASH_A + 0x110, PROGRAM);
    mmio_w64(FLASH_A + 0x110, (uint64_t)both(READ_STATUS) << 32);
    step_want("the status after 8 bytes", mmio_r32(FLASH_A), status_word(PROGRAM_ERROR));
    cmd(FLASH_A, CLEAR_STATUS); /* back to read array, the status 0 (ready too, as QEMU) */
    step_want("the word programmed, after 0x50", mmio_r32(FLASH_A + 0x100), a_word(0x100));
    want_mapped(FLASH_A, true);
    cmd(FLASH_A, READ_STATUS); /* A: 4 */
    step_want("the status after 0x50", mmio_r32(FLASH_A), 0);
    cmd(FLASH_A, READ_ARRAY);
    step_want("bank A", bank_a_intact(), 1);
    step_end();

    step_begin("flash-read-only-erase");
    cmd(FLASH_A + 0x30000, ERASE); /* A: 5 */
    cmd(FLASH_A, CONFIRM);
    step_want("the status after 0x20, 0xd0", mmio_r32(FLASH_A), status_word(ERASE_ERROR));
    mmio_w8(FLASH_A + 0x1000, ERASE);
    mmio_w8(FLASH_A + 0x1000, CONFIRM);
    step_want("the status after 1-byte commands", mmio_r32(FLASH_A), status_word(ERASE_ERROR));
    cmd(FLASH_A, READ_ARRAY);
    step_want("bank A", bank_a_intact(), 1);
    cmd(FLASH_A, READ_STATUS); /* A: 6 */
    step_want("the error bits stay until 0x50", mmio_r32(FLASH_A), status_word(ERASE_ERROR));
    cmd(FLASH_A, CLEAR_STATUS);
    cmd(FLASH_A, READ_STATUS); /* A: 7 */
    step_want("the status after 0x50", mmio_r32(FLASH_A), 0);
    cmd(FLASH_A, READ_ARRAY);
    step_end();

    step_begin("flash-read-only-buffer");
    cmd(FLASH_A + 0x200, BUFFER); /* A: 8 */
    step_want("the status after 0xe8 (buffer free)", mmio_r32(FLASH_A), status_word(0));
    mmio_w32(FLASH_A + 0x200, both(3));
    for (unsigned i = 0; i < 4; i++) {
        mmio_w32(FLASH_A + 0x200 + 4 * i, 0);
    }
    cmd(FLASH_A + 0x200, CONFIRM);
    step_want("the status after 0xd0", mmio_r32(FLASH_A), status_word(PROGRAM_ERROR));
    cmd(FLASH_A, READ_ARRAY);
    step_want("bank A", bank_a_intact(), 1);
    cmd(FLASH_A, CLEAR_STATUS);
    step_end();
}

/* ---- the writable bank: bad buffer sequences write nothing ---- */

static void flash_bad_sequences(void)
{
    step_begin("flash-buffer-count-too-large");
    cmd(FLASH_B + 0x1000, BUFFER);                        /* B: 3 */
    mmio_w32(FLASH_B + 0x1000, both(FLASH_BUFFER_WORDS)); /* 1025 words */
    step_want("the status", mmio_r32(FLASH_B), status_word(SEQUENCE_ERROR));
    /* The attacker's data now are commands: 0 is none (read array, no error). */
    mmio_w32(FLASH_B + 0x1000, 0);
    mmio_w32(FLASH_B + 0x1004, 0);
    want_mapped(FLASH_B, true);
    step_want("the buffer's window", erased(FLASH_B + 0x1000, 0x1000), 1);
    cmd(FLASH_B, READ_STATUS); /* B: 4 */
    step_want("the status", mmio_r32(FLASH_B), status_word(SEQUENCE_ERROR));
    cmd(FLASH_B, CLEAR_STATUS);
    /* 1024 words fit; 0xff instead of the confirm drops them. */
    cmd(FLASH_B + 0x1000, BUFFER); /* B: 5 */
    mmio_w32(FLASH_B + 0x1000, both(FLASH_BUFFER_WORDS - 1));
    step_want("the status after a count of 1024", mmio_r32(FLASH_B), status_word(0));
    for (unsigned i = 0; i < FLASH_BUFFER_WORDS / 2; i++) {
        mmio_w64(FLASH_B + 0x1000 + 8 * i, 0);
    }
    want_mapped(FLASH_B, false);
    cmd(FLASH_B + 0x1000, READ_ARRAY);
    want_mapped(FLASH_B, true);
    step_want("the buffer's window", erased(FLASH_B + 0x1000, 0x1000), 1);
    cmd(FLASH_B, READ_STATUS); /* B: 6 */
    step_want("the status", mmio_r32(FLASH_B), status_word(0));
    cmd(FLASH_B, READ_ARRAY);
    step_end();

    step_begin("flash-buffer-outside-window");
    cmd(FLASH_B + 0x40000, BUFFER); /* B: 7 */
    mmio_w32(FLASH_B + 0x40000, both(2));
    mmio_w32(FLASH_B + 0x40800, 0x11111111); /* the window: 0x40000-0x40fff of the bank */
    step_want("the status after a write in the window", mmio_r32(FLASH_B), status_word(0));
    mmio_w32(FLASH_B + 0x41000, 0x22222222);
    step_want("the status after one past it", mmio_r32(FLASH_B), status_word(PROGRAM_ERROR));
    mmio_w32(FLASH_B + 0x3fffc, 0x33333333);
    cmd(FLASH_B + 0x40000, CONFIRM);
    step_want("the status after 0xd0", mmio_r32(FLASH_B), status_word(PROGRAM_ERROR));
    cmd(FLASH_B, READ_ARRAY);
    step_want("around the window", erased(FLASH_B + 0x3f000, 0x3000), 1);
    cmd(FLASH_B, CLEAR_STATUS);
    step_end();

    step_begin("flash-buffer-bad-confirm");
    cmd(FLASH_B + 0x80000, BUFFER); /* B: 8 */
    mmio_w32(FLASH_B + 0x80000, both(0));
    mmio_w32(FLASH_B + 0x80000, 0x12345678);
    cmd(FLASH_B + 0x80000, PROGRAM);
    step_want("the status after 0x40 as the confirm", mmio_r32(FLASH_B),
              status_word(SEQUENCE_ERROR));
    cmd(FLASH_B, READ_ARRAY);
    step_want("the word", mmio_r32(FLASH_B + 0x80000), 0xffffffff);
    cmd(FLASH_B, CLEAR_STATUS);
    cmd(FLASH_B + 0x80000, BUFFER); /* B: 9 */
    mmio_w32(FLASH_B + 0x80000, both(0));
    mmio_w32(FLASH_B + 0x80000, 0x12345678);
    cmd(FLASH_B + 0x80000, READ_ARRAY);
    want_mapped(FLASH_B, true);
    step_want("the word after 0xff as the confirm", mmio_r32(FLASH_B + 0x80000), 0xffffffff);
    cmd(FLASH_B, READ_STATUS); /* B: 10 */
    step_want("the status (no error)", mmio_r32(FLASH_B), status_word(0));
    cmd(FLASH_B, READ_ARRAY);
    step_end();
}

/* ---- the writable bank: what works, and stays inside its bank ---- */

static void flash_program_erase(void)
{
    step_begin("flash-program");
    program(FLASH_B + 0x10, 0x5a5aa5a5); /* B: 11 */
    step_want("the status", mmio_r32(FLASH_B), status_word(0));
    cmd(FLASH_B, READ_ARRAY);
    step_want("the word", mmio_r32(FLASH_B + 0x10), 0x5a5aa5a5);
    step_want("its neighbours", mmio_r32(FLASH_B + 0xc) & mmio_r32(FLASH_B + 0x14), 0xffffffff);
    mmio_w8(FLASH_B + 0x21, PROGRAM_ALT); /* B: 12 */
    mmio_w8(FLASH_B + 0x21, 0x3c);
    cmd(FLASH_B, READ_ARRAY);
    step_want("a byte programmed", mmio_r32(FLASH_B + 0x20), 0xffff3cff);
    mmio_w16(FLASH_B + 0x32, PROGRAM); /* B: 13 */
    mmio_w16(FLASH_B + 0x32, 0x1234);
    cmd(FLASH_B, READ_ARRAY);
    step_want("2 bytes programmed", mmio_r32(FLASH_B + 0x30), 0x1234ffff);
    /* 8 bytes are two cycles: the data, then 0xff (read array) as a command, not data. */
    cmd(FLASH_B + 0x40, PROGRAM); /* B: 14 */
    mmio_w64(FLASH_B + 0x40, (uint64_t)both(READ_ARRAY) << 32 | 0x0badf00d);
    want_mapped(FLASH_B, true);
    step_want("8 bytes: the data", mmio_r32(FLASH_B + 0x40), 0x0badf00d);
    step_want("8 bytes: not the command", mmio_r32(FLASH_B + 0x44), 0xffffffff);
    program(FLASH_B + 0x10, 0xffffffff); /* B: 15 (stored as written, as QEMU) */
    cmd(FLASH_B, READ_ARRAY);
    step_want("a word programmed back to 0xff", mmio_r32(FLASH_B + 0x10), 0xffffffff);
    step_end();

    step_begin("flash-buffered-program");
    cmd(FLASH_B + 0x100, BUFFER); /* B: 16 */
    mmio_w32(FLASH_B + 0x100, both(1));
    mmio_w64(FLASH_B + 0x100, 0x2222222211111111ull); /* two data cycles */
    cmd(FLASH_B + 0x100, CONFIRM);
    step_want("the status (two words in one write)", mmio_r32(FLASH_B), status_word(0));
    cmd(FLASH_B, READ_ARRAY);
    step_want("the two words", mmio_r64(FLASH_B + 0x100), 0x2222222211111111ull);
    cmd(FLASH_B + 0x110, BUFFER);          /* B: 17 */
    mmio_w32(FLASH_B + 0x110, 0xffff0000); /* 1 word: chip 1's lanes ignored */
    mmio_w64(FLASH_B + 0x110, (uint64_t)both(CONFIRM) << 32 | 0x33333333); /* data, confirm */
    step_want("the status (data and confirm in one write)", mmio_r32(FLASH_B), status_word(0));
    cmd(FLASH_B, READ_ARRAY);
    step_want("the word", mmio_r32(FLASH_B + 0x110), 0x33333333);
    step_want("not the confirm", mmio_r32(FLASH_B + 0x114), 0xffffffff);
    /* As EDK2's VirtNorFlash: 32 words. */
    cmd(FLASH_B + 0x3000, BUFFER); /* B: 18 */
    mmio_w32(FLASH_B + 0x3000, both(31));
    for (uint32_t i = 0; i < 32; i++) {
        mmio_w32(FLASH_B + 0x3000 + 4 * i, 0xa5a5a5a5 ^ (i * 0x01010101));
    }
    cmd(FLASH_B + 0x3000, CONFIRM);
    step_want("the status after 32 words", mmio_r32(FLASH_B), status_word(0));
    cmd(FLASH_B, READ_ARRAY);
    bool ok = true;
    for (uint32_t i = 0; i < 32; i++) {
        ok &= mmio_r32(FLASH_B + 0x3000 + 4 * i) == (0xa5a5a5a5 ^ (i * 0x01010101));
    }
    step_want("the 32 words", ok, 1);
    step_want("the words around them", mmio_r32(FLASH_B + 0x2ffc) & mmio_r32(FLASH_B + 0x3080),
              0xffffffff);
    /* Out of order: the word between keeps the array's bytes, not the buffer's old ones. */
    cmd(FLASH_B + 0x3088, BUFFER); /* B: 19 */
    mmio_w32(FLASH_B + 0x3088, both(1));
    mmio_w32(FLASH_B + 0x3088, 0x44444444);
    mmio_w32(FLASH_B + 0x3080, 0x55555555);
    cmd(FLASH_B + 0x3080, CONFIRM);
    cmd(FLASH_B, READ_ARRAY);
    step_want("the first word", mmio_r32(FLASH_B + 0x3088), 0x44444444);
    step_want("the second word", mmio_r32(FLASH_B + 0x3080), 0x55555555);
    step_want("the word between", mmio_r32(FLASH_B + 0x3084), 0xffffffff);
    step_end();

    /* The last block of B, then the first: nothing outside them changes, in the VM or behind
     * the banks in the VMM (the end of RAM, bank A, the writable disk's copy). */
    step_begin("flash-erase");
    program(FLASH_B + 0x7fffc, 0x77777777); /* B: 20 */
    program(FLASH_B + 0x40000, 0x66666666);
    program(FLASH_B + 0x80000, 0x88888888);
    program(FLASH_END - 4, 0x99999999);
    cmd(FLASH_B, READ_ARRAY);
    step_want("the last word before it", mmio_r32(FLASH_END - 4), 0x99999999);
    cmd(FLASH_END - 0x10, ERASE); /* B: 21 */
    want_mapped(FLASH_B, false);
    cmd(FLASH_B + 0x80000, CONFIRM);
    step_want("the status", mmio_r32(FLASH_B), status_word(0));
    cmd(FLASH_B, READ_ARRAY);
    step_want("the last block", erased(FLASH_B + 0x80000, 0x40000), 1);
    step_want("the word before it", mmio_r32(FLASH_B + 0x7fffc), 0x77777777);
    step_want("block 0's words", mmio_r64(FLASH_B + 0x100), 0x2222222211111111ull);
    step_want("past bank B (no device)", mmio_r32(FLASH_END), 0);
    step_want("the writable disk (behind bank B)", disk_copy_intact(), 1);
    cmd(FLASH_B + 0x3ff00, ERASE); /* B: 22 */
    cmd(FLASH_B, CONFIRM);
    cmd(FLASH_B, READ_ARRAY);
    step_want("the first block", erased(FLASH_B, 0x40000), 1);
    step_want("the word after it", mmio_r32(FLASH_B + 0x40000), 0x66666666);
    step_want("the word before the last block", mmio_r32(FLASH_B + 0x7fffc), 0x77777777);
    step_want("bank A (before bank B)", bank_a_intact(), 1);
    step_want("the end of RAM (before bank A)", canary_intact(), 1);
    step_end();

    step_begin("flash-erase-sequences");
    program(FLASH_B + 0x40000, 0x12121212); /* B: 23 */
    cmd(FLASH_B + 0x40000, ERASE);
    cmd(FLASH_B + 0x40000, PROGRAM); /* not a confirm */
    step_want("the status after 0x20, 0x40", mmio_r32(FLASH_B), status_word(SEQUENCE_ERROR));
    cmd(FLASH_B, READ_ARRAY);
    step_want("the word", mmio_r32(FLASH_B + 0x40000), 0x12121212);
    cmd(FLASH_B, CLEAR_STATUS);
    program(FLASH_B + 0x40004, 0x34343434); /* B: 24 */
    cmd(FLASH_B + 0x40000, ERASE);
    cmd(FLASH_B + 0x40000, READ_ARRAY); /* drops the erase */
    want_mapped(FLASH_B, true);
    step_want("the words after 0x20, 0xff", mmio_r64(FLASH_B + 0x40000), 0x3434343412121212ull);
    cmd(FLASH_B, READ_STATUS); /* B: 25 */
    step_want("the status (no error)", mmio_r32(FLASH_B), status_word(0));
    /* Lock commands are accepted and ignored: no block is ever locked. */
    cmd(FLASH_B + 0x40000, LOCK_SETUP);
    cmd(FLASH_B + 0x40000, 0x01);
    step_want("the status after 0x60, 0x01", mmio_r32(FLASH_B), status_word(0));
    program(FLASH_B + 0x40008, 0x56565656);
    step_want("the status after a program of a locked block", mmio_r32(FLASH_B), status_word(0));
    cmd(FLASH_B + 0x40000, LOCK_SETUP);
    cmd(FLASH_B + 0x40000, 0x55);
    step_want("the status after 0x60, 0x55", mmio_r32(FLASH_B), status_word(SEQUENCE_ERROR));
    cmd(FLASH_B, READ_ARRAY);
    step_want("the word programmed", mmio_r32(FLASH_B + 0x40008), 0x56565656);
    step_end();

    /* Linux's probe writes AMD's commands: read array, no error, the bank stays mapped. */
    step_begin("flash-unknown-commands");
    cmd(FLASH_B, CLEAR_STATUS);
    cmd(FLASH_B + 0x5555 * 4, 0xaa);
    cmd(FLASH_B + 0x2aaa * 4, 0x55);
    cmd(FLASH_B, 0xf0);
    mmio_w8(FLASH_B + 0x40008, 0x00);
    want_mapped(FLASH_B, true);
    step_want("the word", mmio_r32(FLASH_B + 0x40008), 0x56565656);
    cmd(FLASH_B, READ_STATUS); /* B: 26 */
    step_want("the status (no error bits)", mmio_r32(FLASH_B), 0);
    cmd(FLASH_B, 0x00);
    want_mapped(FLASH_B, true);
    step_end();
}

void attack_flash(void)
{
    flash_reads();
    flash_read_only();
    flash_bad_sequences();
    flash_program_erase();
}
