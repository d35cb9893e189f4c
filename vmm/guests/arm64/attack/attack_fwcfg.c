// SPDX-License-Identifier: MIT
/*
 * The attacker's fw_cfg steps (see attack.c). Its VM has QEMU's firmware configuration device as
 * arm64's MMIO window at FW_CFG (vmm/dev/fw_cfg_vm.c): the data register at +0 (an N-byte read
 * gives the item's next N bytes in address order, zeros past its end), the selector at +8 (a
 * 16-bit big-endian write) and the DMA address at +0x10 (big-endian: 64 bits, or two 32-bit
 * halves, the low one starting the operation; it reads "QEMU CFG"). Its items: the vCPU count
 * (NB_CPUS, MAX_CPUS), the RAM size, and two files: "opt/keel/test", whose contents are the test
 * disk (the boot module attack-disk.img: disk_byte()), and "bootorder" (the VM tree's
 * keel,fw-cfg-bootorder).
 *
 * As firmware would, it checks the signature, the ID's DMA bit and the DMA register's signature,
 * finds the file in FILE_DIR and reads it through the data register and by DMA. As a hostile one
 * it gives DMA buffers and descriptors outside RAM, across its end and wrapping, writes a file by
 * DMA, reads past the end of items and selects items that do not exist; it checks that every
 * such operation answers as QEMU's device does (the ERROR bit, zeros) and changes nothing: the
 * item's offset, the guest's memory and the file stay as they were. One access the device
 * refuses (a read of the selector) is the only line these steps make the VMM report.
 */
#include "attack.h"
#include <string.h>

#define FW_DATA (FW_CFG + 0x00)
#define FW_SELECTOR (FW_CFG + 0x08)
#define FW_DMA (FW_CFG + 0x10)

/* Selectors, the ID's bits and the DMA control bits (QEMU docs/specs/fw_cfg.rst). */
#define SEL_SIGNATURE 0x00
#define SEL_ID 0x01
#define SEL_RAM_SIZE 0x03
#define SEL_NB_CPUS 0x05
#define SEL_MAX_CPUS 0x0f
#define SEL_FILE_DIR 0x19
#define SEL_FILE_FIRST 0x20
#define ID_TRADITIONAL 0x1
#define ID_DMA 0x2
#define CTL_ERROR 0x01
#define CTL_READ 0x02
#define CTL_SKIP 0x04
#define CTL_SELECT 0x08
#define CTL_WRITE 0x10
#define DMA_SIGNATURE 0x51454d5520434647ull /* "QEMU CFG", big-endian */
#define DIR_ENTRY 64                        /* be32 size, be16 select, be16 reserved, name[56] */
#define NAME_SIZE 56

/* What the VM device tree gives (dts/vms/attack-arm64.dts). */
#define TEST_FILE "opt/keel/test"
#define TEST_SIZE (DISK_SECTORS * 512u)
#define BOOTORDER "/virtio_mmio@a000000\n/pcie@20000000/virtio@2"
#define VCPUS 2

/* A DMA descriptor: all big-endian. */
struct fw_dma {
    uint32_t control, length;
    uint64_t address;
};

static volatile struct fw_dma desc __attribute__((aligned(16)));
static uint8_t fbuf[TEST_SIZE + 64] __attribute__((aligned(4096)));
static uint16_t test_sel, bootorder_sel;
static uint32_t bootorder_size;

static uint64_t addr(const volatile void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* Byte i of the test file (the disk's bytes in order). */
static uint8_t file_byte(uint32_t i)
{
    return disk_byte(i / 512, i % 512);
}

static void fw_select(uint16_t sel)
{
    mmio_w16(FW_SELECTOR, __builtin_bswap16(sel));
}

/* The DMA descriptor at a: its address into the DMA register, 64 bits at once. */
static void fw_dma_start(uint64_t a)
{
    barrier(); /* the descriptor before the register write that makes the device read it */
    mmio_w64(FW_DMA, __builtin_bswap64(a));
    barrier();
}

/* One DMA operation through desc: its control word afterwards (0, or CTL_ERROR). */
static uint32_t fw_dma(uint32_t control, uint32_t length, uint64_t address)
{
    desc.control = __builtin_bswap32(control);
    desc.length = __builtin_bswap32(length);
    desc.address = __builtin_bswap64(address);
    fw_dma_start(addr(&desc));
    return __builtin_bswap32(desc.control);
}

static uint32_t select_ctl(uint16_t sel)
{
    return (uint32_t)sel << 16 | CTL_SELECT;
}

/* Whether len bytes at p are the test file's from offset at. */
static bool file_bytes_ok(const uint8_t *p, uint32_t at, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        if (p[i] != file_byte(at + i)) {
            say("attack: byte 0x%x of the file is 0x%x, not 0x%x\n", at + i, p[i],
                file_byte(at + i));
            return false;
        }
    }
    return true;
}

static bool all_bytes(const uint8_t *p, uint32_t len, uint8_t v)
{
    for (uint32_t i = 0; i < len; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

/* ---- what firmware does ---- */

static void fw_identify(void)
{
    step_begin("fwcfg-signature");
    fw_select(SEL_SIGNATURE);
    const char *qemu = "QEMU";
    for (unsigned i = 0; i < 4; i++) {
        step_want("a signature byte", mmio_r8(FW_DATA), (uint8_t)qemu[i]);
    }
    step_want("the byte after the signature", mmio_r8(FW_DATA), 0);
    fw_select(SEL_SIGNATURE);
    step_want("the signature in one 4-byte read", mmio_r32(FW_DATA), 0x554d4551); /* "QEMU" */
    step_end();

    step_begin("fwcfg-id");
    fw_select(SEL_ID);
    uint32_t id = mmio_r32(FW_DATA);
    step_want("ID (traditional interface and DMA)", id, ID_TRADITIONAL | ID_DMA);
    step_end();

    step_begin("fwcfg-dma-register-signature");
    step_want("8 bytes of the DMA register", __builtin_bswap64(mmio_r64(FW_DMA)), DMA_SIGNATURE);
    step_want("its high half", __builtin_bswap32(mmio_r32(FW_DMA)), DMA_SIGNATURE >> 32);
    step_want("its low half", __builtin_bswap32(mmio_r32(FW_DMA + 4)), (uint32_t)DMA_SIGNATURE);
    step_end();

    step_begin("fwcfg-numbers");
    fw_select(SEL_NB_CPUS);
    step_want("NB_CPUS", mmio_r16(FW_DATA), VCPUS);
    fw_select(SEL_MAX_CPUS);
    step_want("MAX_CPUS", mmio_r16(FW_DATA), VCPUS);
    fw_select(SEL_RAM_SIZE);
    step_want("RAM_SIZE", mmio_r64(FW_DATA), RAM_SIZE);
    step_end();
}

/* Reads FILE_DIR through the data register; false when the files are not there to read. */
static bool fw_file_dir(void)
{
    step_begin("fwcfg-file-dir");
    fw_select(SEL_FILE_DIR);
    uint32_t count = __builtin_bswap32(mmio_r32(FW_DATA));
    step_want("files", count, 2);
    for (uint32_t i = 0; i < count && i < 8; i++) {
        uint32_t size = __builtin_bswap32(mmio_r32(FW_DATA));
        uint16_t sel = __builtin_bswap16(mmio_r16(FW_DATA));
        step_want("an entry's reserved field", mmio_r16(FW_DATA), 0);
        char name[NAME_SIZE];
        for (unsigned k = 0; k < NAME_SIZE; k += 8) {
            uint64_t v = mmio_r64(FW_DATA);
            memcpy(name + k, &v, 8);
        }
        name[NAME_SIZE - 1] = 0;
        step_want("an entry's selector (a file's)", sel >= SEL_FILE_FIRST, 1);
        if (i == 0) {
            step_want("the first file (sorted by name) is bootorder", strcmp(name, "bootorder"), 0);
            step_want("bootorder's size", size, sizeof(BOOTORDER));
            bootorder_sel = sel;
            bootorder_size = size;
        } else if (i == 1) {
            step_want("the second file is " TEST_FILE, strcmp(name, TEST_FILE), 0);
            step_want("its size (the test disk's)", size, TEST_SIZE);
            test_sel = sel;
        }
    }
    step_want("the byte after the directory", mmio_r8(FW_DATA), 0);
    step_end();
    return test_sel && bootorder_sel;
}

static void fw_file_reads(void)
{
    /* Byte by byte, then 8 bytes at a time; then a new selection starts again at 0. */
    step_begin("fwcfg-file-data-register");
    fw_select(test_sel);
    uint8_t b[640];
    for (unsigned i = 0; i < 576; i++) {
        b[i] = mmio_r8(FW_DATA);
    }
    for (unsigned i = 576; i < sizeof(b); i += 8) {
        uint64_t v = mmio_r64(FW_DATA);
        memcpy(b + i, &v, 8);
    }
    step_want("the first 640 bytes", file_bytes_ok(b, 0, sizeof(b)), 1);
    fw_select(test_sel);
    step_want("byte 0 after selecting again", mmio_r8(FW_DATA), file_byte(0));
    step_end();

    step_begin("fwcfg-file-dma");
    memset(fbuf, 0xaa, sizeof(fbuf));
    step_want("SELECT|READ of the whole file",
              fw_dma(select_ctl(test_sel) | CTL_READ, TEST_SIZE, addr(fbuf)), 0);
    step_want("the file", file_bytes_ok(fbuf, 0, TEST_SIZE), 1);
    step_want("the bytes after the buffer", all_bytes(fbuf + TEST_SIZE, 64, 0xaa), 1);
    step_want("the data register at the end", mmio_r8(FW_DATA), 0);
    /* SKIP to sector 100, READ it; the data register goes on from there. */
    step_want("SELECT|SKIP", fw_dma(select_ctl(test_sel) | CTL_SKIP, 100 * 512, 0), 0);
    step_want("READ", fw_dma(CTL_READ, 512, addr(fbuf)), 0);
    step_want("sector 100", file_bytes_ok(fbuf, 100 * 512, 512), 1);
    step_want("the data register after it", mmio_r8(FW_DATA), file_byte(101 * 512));
    /* The address in two 32-bit halves (high, then low: that write starts it). */
    memset(fbuf, 0xaa, 16);
    desc.control = __builtin_bswap32(select_ctl(test_sel) | CTL_READ);
    desc.length = __builtin_bswap32(16);
    desc.address = __builtin_bswap64(addr(fbuf));
    barrier();
    mmio_w32(FW_DMA, 0);
    mmio_w32(FW_DMA + 4, __builtin_bswap32((uint32_t)addr(&desc)));
    barrier();
    step_want("control after a DMA by halves", __builtin_bswap32(desc.control), 0);
    step_want("its 16 bytes", file_bytes_ok(fbuf, 0, 16), 1);
    step_end();

    step_begin("fwcfg-bootorder");
    memset(fbuf, 0xaa, 128);
    step_want("SELECT|READ",
              fw_dma(select_ctl(bootorder_sel) | CTL_READ, bootorder_size, addr(fbuf)), 0);
    step_want("its contents (with the NUL)", memcmp(fbuf, BOOTORDER, sizeof(BOOTORDER)), 0);
    step_end();
}

/* ---- what a hostile driver does ---- */

static void fw_beyond(void)
{
    step_begin("fwcfg-past-the-end");
    step_want("SELECT|SKIP to 4 bytes before the end",
              fw_dma(select_ctl(test_sel) | CTL_SKIP, TEST_SIZE - 4, 0), 0);
    uint64_t v = mmio_r64(FW_DATA);
    step_want("8 bytes read at 4 before the end (the last 4, then zeros)", v >> 32, 0);
    uint8_t last[4];
    memcpy(last, &v, 4);
    step_want("the last 4 bytes", file_bytes_ok(last, TEST_SIZE - 4, 4), 1);
    step_want("a byte past the end", mmio_r8(FW_DATA), 0);
    memset(fbuf, 0xaa, 64);
    step_want("a READ past the end", fw_dma(CTL_READ, 32, addr(fbuf)), 0);
    step_want("the buffer (zeros)", all_bytes(fbuf, 32, 0), 1);
    step_want("the bytes after it", all_bytes(fbuf + 32, 32, 0xaa), 1);
    step_want("a SKIP past the end", fw_dma(CTL_SKIP, 0x10000000, 0), 0);
    fw_select(SEL_NB_CPUS);
    step_want("8 bytes of NB_CPUS (2 bytes, then zeros)", mmio_r64(FW_DATA), VCPUS);
    step_end();

    step_begin("fwcfg-no-such-selector");
    static const uint16_t none[] = { 0x1234, SEL_FILE_FIRST + 2, 0x3fff, 0x8020, 0xffff };
    for (unsigned i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        fw_select(none[i]);
        step_want("4 bytes of an item that does not exist", mmio_r32(FW_DATA), 0);
        memset(fbuf, 0xaa, 64);
        step_want("SELECT|READ of it", fw_dma(select_ctl(none[i]) | CTL_READ, 32, addr(fbuf)), 0);
        step_want("the buffer (zeros)", all_bytes(fbuf, 32, 0), 1);
        step_want("the bytes after it", all_bytes(fbuf + 32, 32, 0xaa), 1);
    }
    step_end();
}

static void fw_bad_dma(void)
{
    /* Each refused READ leaves the offset where it was: byte 10 still comes next. */
    step_begin("fwcfg-dma-buffer-outside-ram");
    step_want("SELECT|SKIP 10", fw_dma(select_ctl(test_sel) | CTL_SKIP, 10, 0), 0);
    step_want("READ into the first bytes after RAM", fw_dma(CTL_READ, 16, RAM_END), CTL_ERROR);
    volatile uint8_t *tail = (volatile uint8_t *)(uintptr_t)(RAM_END - 8);
    for (unsigned i = 0; i < 8; i++) {
        tail[i] = (uint8_t)(0x50 + i);
    }
    step_want("READ across the end of RAM", fw_dma(CTL_READ, 16, RAM_END - 8), CTL_ERROR);
    bool kept = true;
    for (unsigned i = 0; i < 8; i++) {
        kept &= tail[i] == (uint8_t)(0x50 + i);
    }
    step_want("the last 8 bytes of RAM (unchanged)", kept, 1);
    step_want("READ below RAM", fw_dma(CTL_READ, 16, RAM_BASE - 16), CTL_ERROR);
    step_want("READ into the device itself", fw_dma(CTL_READ, 8, FW_CFG), CTL_ERROR);
    step_want("READ wrapping around 2^64", fw_dma(CTL_READ, 32, 0xfffffffffffffff0ull), CTL_ERROR);
    step_want("READ of 4 GiB - 1", fw_dma(CTL_READ, 0xffffffffu, addr(fbuf)), CTL_ERROR);
    step_want("the next byte (offset unchanged)", mmio_r8(FW_DATA), file_byte(10));
    step_end();

    /* A descriptor the device cannot read does nothing; when only its control word is RAM, that
     * word says ERROR. */
    step_begin("fwcfg-dma-descriptor-outside-ram");
    fw_select(test_sel);
    (void)mmio_r8(FW_DATA); /* offset 1 */
    fw_dma_start(RAM_END);
    fw_dma_start(0);
    fw_dma_start(0xfffffffffffffff8ull);
    step_want("the DMA register after them", __builtin_bswap64(mmio_r64(FW_DMA)), DMA_SIGNATURE);
    volatile uint32_t *last = (volatile uint32_t *)(uintptr_t)(RAM_END - 8);
    last[0] = __builtin_bswap32(select_ctl(SEL_SIGNATURE) | CTL_READ);
    last[1] = __builtin_bswap32(4);
    fw_dma_start(RAM_END - 8);
    step_want("the control word of one across the end of RAM", __builtin_bswap32(last[0]),
              CTL_ERROR);
    step_want("its length word (unchanged)", __builtin_bswap32(last[1]), 4);
    /* A high half that puts a good descriptor above 4 GiB: no RAM there, nothing happens. */
    memset(fbuf, 0xaa, 16);
    desc.control = __builtin_bswap32(select_ctl(SEL_SIGNATURE) | CTL_READ);
    desc.length = __builtin_bswap32(4);
    desc.address = __builtin_bswap64(addr(fbuf));
    barrier();
    mmio_w32(FW_DMA, __builtin_bswap32(1));
    mmio_w32(FW_DMA + 4, __builtin_bswap32((uint32_t)addr(&desc)));
    barrier();
    step_want("a descriptor at 4 GiB + its address: control", __builtin_bswap32(desc.control),
              select_ctl(SEL_SIGNATURE) | CTL_READ);
    step_want("its buffer (untouched)", all_bytes(fbuf, 16, 0xaa), 1);
    step_want("the next byte (selection and offset unchanged)", mmio_r8(FW_DATA), file_byte(1));
    step_end();

    step_begin("fwcfg-dma-write");
    memset(fbuf, 0x55, 16);
    step_want("SELECT|WRITE of the file", fw_dma(select_ctl(test_sel) | CTL_WRITE, 16, addr(fbuf)),
              CTL_ERROR);
    step_want("WRITE of the DMA signature",
              fw_dma(select_ctl(SEL_SIGNATURE) | CTL_WRITE, 4, addr(fbuf)), CTL_ERROR);
    fw_select(test_sel);
    uint8_t b[16];
    for (unsigned i = 0; i < sizeof(b); i++) {
        b[i] = mmio_r8(FW_DATA);
    }
    step_want("the file's first bytes", file_bytes_ok(b, 0, sizeof(b)), 1);
    fw_select(SEL_SIGNATURE);
    step_want("the signature", mmio_r32(FW_DATA), 0x554d4551);
    step_want("the source buffer", all_bytes(fbuf, 16, 0x55), 1);
    step_end();

    /* The selector is write-only: the VMM refuses (and reports) a read, which gives 0. */
    step_begin("fwcfg-refused-access");
    fw_select(test_sel);
    step_want("a read of the selector", mmio_r16(FW_SELECTOR), 0);
    step_want("the data register after it", mmio_r8(FW_DATA), file_byte(0));
    step_end();
}

void attack_fwcfg(void)
{
    fw_identify();
    if (!fw_file_dir()) {
        return;
    }
    fw_file_reads();
    fw_beyond();
    fw_bad_dma();
}
