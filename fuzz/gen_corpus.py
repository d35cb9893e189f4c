#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of every fuzz target: fuzz/corpus/<target>/<seed>.

Each seed is a small program in its target's input encoding (written at the top of
fuzz/fuzz_<target>.c): a driver's start sequence and a request for each virtio device, the
instruction forms and page tables of the decoders, the SBI and PSCI calls, interrupt controller
set-ups, device trees (compiled with dtc from dts/ and from the trees below), Linux Image headers,
a cpio archive and ELF executables. Run it after changing an encoding; the corpus is rewritten.
"""
import os
import shutil
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")
corpus = {}


def seed(target, name, data):
    corpus.setdefault(target, []).append((name, bytes(data)))


def u8(v):
    return struct.pack("<B", v & 0xff)


def u16(v):
    return struct.pack("<H", v & 0xffff)


def u32(v):
    return struct.pack("<I", v & 0xffffffff)


def u64(v):
    return struct.pack("<Q", v & 0xffffffffffffffff)


# ---- virtio devices (fuzz_virtio.c) and the virtqueue (fuzz_virtq.c) ----

V_RAM = 0x40000000
NEXT, WRITE, INDIRECT = 1, 2, 4


def v_write(reg, value, width_sel=0):
    return u8(0) + u8(reg) + u8(width_sel) + u32(value)


def v_read(reg, width_sel=0):
    return u8(1) + u8(reg) + u8(width_sel)


def v_ram(off, data):
    return u8(2) + u16(off) + u8(len(data)) + data


def v_desc(q, i, off, length, flags, nxt):
    return u8(3) + u8(q) + u8(i) + u8(1) + u16(off) + u16(length) + u8(flags) + u8(nxt)


def v_avail(q, head):
    return u8(4) + u8(q) + u16(head) + u8(0)


def v_notify(q):
    return u8(5) + u8(q)


def v_start(queue_sizes, features=0xffffffffffffffff, mode=3, places=None, vectors=None):
    """The start sequence; with places (three RAM offsets per queue) the rings go there; with
    vectors (virtio-pci: the configuration's, then each queue's) the driver programs those."""
    s = u8(6) + u64(features) + u8(mode | (4 if places else 0) | (8 if vectors else 0))
    s += u8(vectors[0]) if vectors else b""
    for i, size in enumerate(queue_sizes):
        s += u8(size) + (b"".join(u16(o) for o in places[i]) if places else b"")
        s += u8(vectors[i + 1]) if vectors else b""
    return s


def v_backend(length, what=0):
    return u8(7) + u16(length) + u8(what)


def v_cap(off, width_sel=3, value=None):
    """virtio-pci: a capability read (value None) or write."""
    return u8(9) + u8(off) + u8(width_sel) + (u8(0) if value is None else u8(1) + u32(value))


def v_msix(on):
    return u8(10) + u8(1 if on else 0)


V_PCI = 0x80  # options: the virtio-pci transport
# virtio-pci's common configuration: (byte, width selector) of each field at its natural width.
V_PCI_COMMON = [(0x00, 0), (0x04, 0), (0x08, 0), (0x0c, 0), (0x10, 4), (0x12, 4), (0x14, 3),
                (0x15, 3), (0x16, 4), (0x18, 4), (0x1a, 4), (0x1c, 4), (0x1e, 4), (0x20, 5),
                (0x28, 5), (0x30, 5)]
V_PCI_ISR = (0x60, 3)


def blk_header(kind, sector):
    return struct.pack("<IIQ", kind, 0, sector)


def virtio_seeds():
    # blk: 8 sectors; IN, OUT, FLUSH, GET_ID, an indirect chain, a read-only disk.
    for name, kind, opts in (("in", 0, 0x10), ("out", 1, 0x10), ("flush", 4, 0x10),
                             ("get_id", 8, 0x10), ("out_read_only", 1, 0x11)):
        data_flags = NEXT | (WRITE if kind in (0, 8) else 0)
        s = u8(opts) + v_start([3]) + v_ram(0x1000, blk_header(kind, 1))
        s += v_desc(0, 0, 0x1000, 16, NEXT, 1) + v_desc(0, 1, 0x2000, 512, data_flags, 2)
        s += v_desc(0, 2, 0x3000, 1, WRITE, 0) + v_avail(0, 0) + v_notify(0)
        seed("virtio_blk", name, s)
    table = struct.pack("<QIHH", V_RAM + 0x1000, 16, NEXT, 1) + \
        struct.pack("<QIHH", V_RAM + 0x2000, 512, NEXT | WRITE, 2) + \
        struct.pack("<QIHH", V_RAM + 0x3000, 1, WRITE, 0)
    s = u8(0x10) + v_start([3]) + v_ram(0x1000, blk_header(0, 2)) + v_ram(0x4000, table)
    s += v_desc(0, 0, 0x4000, len(table), INDIRECT, 0) + v_avail(0, 0) + v_notify(0)
    seed("virtio_blk", "indirect", s)
    # net: a frame sent, a receive buffer given (taken at once), a frame received, link changes.
    frame = bytes(12) + bytes(range(60))
    s = u8(0x40) + v_start([3, 3]) + v_ram(0x1000, frame) + v_desc(1, 0, 0x1000, len(frame), 0, 0)
    s += v_avail(1, 0) + v_notify(1) + v_desc(0, 0, 0x2000, 1526, WRITE, 0) + v_avail(0, 0)
    s += v_notify(0) + v_desc(0, 1, 0x3000, 1526, WRITE, 0) + v_avail(0, 1) + v_backend(60)
    s += v_backend(0, 1) + v_backend(0, 3)
    seed("virtio_net", "tx_rx", s)
    # console: output, input.
    s = u8(0x40) + v_start([3, 3]) + v_ram(0x1000, b"hello, console\n")
    s += v_desc(1, 0, 0x1000, 15, 0, 0) + v_avail(1, 0) + v_notify(1)
    s += v_desc(0, 0, 0x2000, 64, WRITE, 0) + v_avail(0, 0) + v_notify(0) + v_backend(40)
    seed("virtio_console", "tx_rx", s)
    # rng: two buffers in one chain.
    s = u8(0) + v_start([3]) + v_desc(0, 0, 0x1000, 64, WRITE | NEXT, 1)
    s += v_desc(0, 1, 0x2000, 32, WRITE, 0) + v_avail(0, 0) + v_notify(0)
    seed("virtio_rng", "request", s)
    # Every device: the registers read, the configuration space read byte by byte, a reset.
    for device, queues in (("blk", 1), ("net", 2), ("console", 2), ("rng", 1)):
        s = u8(0x10) + b"".join(v_read(r) for r in range(0x40))
        s += b"".join(v_read(0x80 + i, 3) for i in range(0x40)) + u8(8)
        s += v_start([8] * queues, places=[(0x1000 * q, 0x1000 * q + 0x400, 0x1000 * q + 0x800)
                                            for q in range(queues)])
        seed(f"virtio_{device}", "registers", s)
    # virtio-pci: every request above through it (MSI-X on); its registers and capabilities
    # read, the PCI cfg access window reading num_queues, a start with vectors of its own;
    # a request with INTx, the ISR read twice.
    for device, queues in (("blk", 1), ("net", 2), ("console", 2), ("rng", 1)):
        target = f"virtio_{device}"
        for name, data in list(corpus[target]):
            if name != "registers":
                seed(target, "pci_" + name, bytes([data[0] | V_PCI]) + data[1:])
        s = u8(0x10 | V_PCI) + b"".join(v_read(r, w) for r, w in V_PCI_COMMON)
        s += v_read(*V_PCI_ISR) + b"".join(v_read(0x80 + i, 3) for i in range(0x40))
        s += b"".join(v_cap(i) for i in range(88))
        s += v_cap(72, 3, 4) + v_cap(76, 0, 0x12) + v_cap(80, 0, 2) + v_cap(84, 0) + u8(8)
        s += v_start([8] * queues, places=[(0x1000 * q, 0x1000 * q + 0x400, 0x1000 * q + 0x800)
                                            for q in range(queues)],
                     vectors=[queues] + list(range(queues)))
        seed(target, "pci_registers", s)
    s = u8(V_PCI) + v_msix(False) + v_start([3]) + v_desc(0, 0, 0x1000, 64, WRITE, 0)
    s += v_avail(0, 0) + v_notify(0) + v_read(*V_PCI_ISR) + v_read(*V_PCI_ISR)
    seed("virtio_rng", "pci_intx", s)
    # virtq: a chain of three, an indirect one, used and interrupt decisions with EVENT_IDX.
    def q_desc(i, off, length, flags, nxt):
        return u8(1) + u8(i) + u8(1) + u16(off) + u16(length) + u8(flags) + u8(nxt)

    def q_pop_push(roff, rn, woff, wn, written):
        return u8(3) + u16(roff) + u16(rn) + u16(woff) + u16(wn) + u32(written)

    s = u8(3) + u8(3) + q_desc(0, 0x1000, 16, NEXT, 1) + q_desc(1, 0x2000, 100, NEXT | WRITE, 2)
    s += q_desc(2, 0x3000, 1, WRITE, 0) + u8(2) + u16(0) + u8(0) + q_pop_push(0, 16, 0, 101, 101)
    s += u8(5) + u8(2) + u16(0) + u8(2) + u8(0) + q_pop_push(4, 8, 50, 80, 1000) + u8(5)
    seed("virtq", "chain", s)
    ind = struct.pack("<QIHH", V_RAM + 0x1000, 16, NEXT, 1) + \
        struct.pack("<QIHH", V_RAM + 0x2000, 64, WRITE, 0)
    s = u8(2) + u8(4) + u8(0) + u16(0x4000) + u8(len(ind)) + ind
    s += q_desc(0, 0x4000, len(ind), INDIRECT, 0) + u8(2) + u16(0) + u8(0) + u8(4)
    s += u8(2) + u16(0) + u8(0) + q_pop_push(0, 16, 0, 64, 64) + u8(6) + u8(7) + u8(8)
    s += u16(0x100) + u16(0x2000) + u16(0x3000)
    seed("virtq", "indirect", s)


# ---- riscv64 (fuzz_rv_insn.c, fuzz_rv_plic.c, fuzz_rv_exit.c) ----

RV_RAM = 0x80000000
RV_LOADS_STORES = [0x0002a283, 0x00728023, 0x0035c503, 0x00813483, 0x00f73823, 0x00052007,
                   0x00000013, 0x0005a503, 0x00a5a023]
RV_COMPRESSED = [0x4188, 0xc188, 0x6188, 0xe188, 0x4792, 0xc03e, 0x2188]


def netsw_seeds():
    """fuzz_netsw.c: two VMs and the uplink, frames each way, a spoofed one, layouts."""
    mac1, mac2, out = bytes([2, 0x4b, 0x45, 0x45, 0x4c, 1]), bytes([2, 0x4b, 0x45, 0x45, 0x4c, 2]), \
        bytes([0x52, 0x55, 10, 0, 2, 2])
    ports = u8(2) + u8(2) + mac1 + u8(1) + mac2 + u8(1) + bytes(6) + u8(1)

    def frame(src, dst, frm, n=60):
        body = (dst + frm + b"\x08\x00" + bytes(max(n - 14, 0)))[:n]
        return u8(0) + u8(src) + u16(n) + body

    s = ports + frame(0, mac2, mac1) + frame(1, mac1, mac2) + frame(0, out, mac1) + \
        frame(2, mac1, out) + frame(1, b"\xff" * 6, mac2, 42) + frame(2, b"\xff" * 6, out, 42)
    seed("netsw", "forward", s)
    seed("netsw", "spoof", ports + frame(1, mac1, mac1) + frame(2, mac2, mac1) +
         frame(0, mac2, bytes([2, 0, 0, 0, 0, 9])) +
         frame(0, mac2, mac1, 13) + frame(0, mac2, mac1, 1519))
    seed("netsw", "links", ports + u8(1) + u64(0x40000) + u8(0) + u8(1) + u64(0x1000) + u8(1) +
         u8(2) + u32(5) + u32(3) + u32(62) + u8(2) + u32(2) + u32(0xfffffffe) + u32(8) +
         u8(3) + mac1 + u8(3) + b"\xff" * 6)


def rv_seeds():
    s = b"".join(u8(0) + u32(i) + u8(0) for i in RV_LOADS_STORES + RV_COMPRESSED)
    s += u8(0) + u32(0x00002283) + u8(1) + u8(0) + u32(0x00a02021) + u8(1)
    seed("rv_insn", "decode", s)
    # Sv39: va 0x12345000 -> RAM page 4 through pages 1, 2, 3; a page crossing; a superpage.
    def pte(page, index, target, flags):
        return u8(2) + u8(page) + u16(index) + u8(target) + u8(flags)

    code = u8(1) + u16(0x4100) + u8(4) + struct.pack("<I", 0x0002a283)
    code += u8(1) + u16(0x4ffe) + u8(2) + b"\x23\x80" + u8(1) + u16(0x5000) + u8(2) + b"\x72\x00"
    s = code + pte(1, 0, 2, 0) + pte(2, 0x91, 3, 0) + pte(3, 0x145, 4, 0x0a)
    s += pte(3, 0x146, 5, 0x0a) + u8(3) + u8(8) + u8(1) + u64(0x12345100)
    s += u8(3) + u8(8) + u8(1) + u64(0x12345ffe) + u8(3) + u8(0) + u8(0) + u64(RV_RAM + 0x4100)
    s += pte(1, 1, 0, 0x0a) + u8(3) + u8(9) + u8(1) + u64(0x40004100)
    seed("rv_insn", "sv39", s)
    # PLIC: two vCPUs, 31 sources, the 16550 on line 10; priorities, enables, claims.
    def preg(vcpu, region, index, value, write=1):
        return u8(0) + u8(vcpu) + u8(region) + u16(index) + u32(value) + u8(write)

    s = u8(1) + u8(31) + u16(95) + u8(10)
    s += preg(0, 0, 10, 1) + preg(0, 0, 3, 5) + preg(0, 2, 0x100, (1 << 10) | (1 << 3))
    s += preg(1, 3, 0x300, 0) + u8(4) + u8(1) + u8(0) + u8(1) + u8(1) + u8(5) + u8(6)
    s += u8(2) + u8(3) + u8(1) + u8(3) + u8(0) + u8(3) + u8(0) + u8(2) + u8(3) + u8(0)
    s += u8(4) + u8(2) + u8(0) + u8(0) + u8(0) + u8(4) + u8(0) + u8(0) + u8(0) + u8(0)
    s += preg(0, 1, 0, 0, 0) + u8(3) + u8(0)
    seed("rv_plic", "claims", s)
    # Exits: SBI calls of every extension, MMIO to a UART and the PLIC, WFI.
    def reg(vcpu, r, value):
        return u8(0) + u8(vcpu) + u8(r) + u64(value)

    def field(vcpu, f, value):
        return u8(1) + u8(vcpu) + u8(f) + u64(value)

    def ecall(vcpu, ext, fid, *args):
        s = reg(vcpu, 17, ext) + reg(vcpu, 16, fid)
        for i, a in enumerate(args):
            s += reg(vcpu, 10 + i, a)
        return s + u8(2) + u8(vcpu) + u8(0) + u8(0)

    s = u8(3) + ecall(0, 0x10, 0) + ecall(0, 0x10, 3, 0x48534d) + ecall(0, 0x10, 1)
    s += ecall(0, 0x48534d, 0, 1, RV_RAM, 7) + ecall(0, 0x48534d, 2, 1) + ecall(1, 0x48534d, 1)
    s += ecall(0, 0x735049, 0, 3, 0) + ecall(0, 0x52464e43, 1, 0, 0xffffffffffffffff)
    s += ecall(0, 0x52464e43, 0, 1, 1) + ecall(0, 0x54494d45, 0, 1000)
    s += u8(4) + u16(0x100) + u8(6) + b"hello\n" + ecall(0, 0x4442434e, 0, 6, RV_RAM + 0x100, 0)
    s += ecall(0, 0x4442434e, 2, ord("x")) + ecall(0, 1, 0, ord("A")) + ecall(0, 2, 0)
    s += ecall(0, 0x53525354, 0, 0, 3)
    seed("rv_exit", "sbi", s)
    s = u8(1) + u8(4) + u16(0) + u8(8) + struct.pack("<II", 0x00a5a023, 0x0005a503)
    s += field(0, 0, 1 << 56) + field(0, 5, 3 << 56) + reg(0, 10, ord("A"))
    s += u8(2) + u8(0) + u8(2) + u8(0)
    s += field(0, 0, (1 << 56) | 4) + field(0, 5, (2 << 56) | 0x201004) + u8(2) + u8(0) + u8(1)
    s += u8(0) + field(0, 3, 0x00a02023) + field(0, 5, (3 << 56) | 1) + u8(2) + u8(0) + u8(2)
    s += u8(0) + field(0, 3, 0) + field(0, 7, (1 << 56) | 0x800) + field(0, 4, 0x10500073)
    s += field(0, 8, 0x222) + u8(2) + u8(0) + u8(3) + u8(0) + u8(6) + u8(10) + u8(1) + u8(3)
    s += u8(0) + u8(2) + u8(0) + u8(4) + u8(0) + u8(9) + u8(5) + u8(8) + u32(100000)
    seed("rv_exit", "mmio_wfi", s)


# ---- x86_64 (fuzz_x86_insn.c, fuzz_x86_apic.c, fuzz_x86_exit.c) ----

X86_CODES = [
    (2, b"\x8b\x03"), (2, b"\x48\x8b\x03"), (2, b"\x66\x8b\x03"), (2, b"\x4c\x8b\x03"),
    (2, b"\x44\x89\x3b"), (2, b"\x88\x20"), (2, b"\x40\x88\x20"), (2, b"\x8a\x38"),
    (2, b"\xc6\x00\x12"), (2, b"\xc7\x00\x78\x56\x34\x12"), (2, b"\x48\xc7\x00\x00\x00\x00\x80"),
    (2, b"\x66\xc7\x00\x34\x12"), (2, b"\xa1" + bytes(8)), (2, b"\xa3" + bytes(8)),
    (2, b"\x0f\xb6\x03"), (2, b"\x0f\xb7\x03"), (2, b"\x48\x0f\xbe\x03"), (2, b"\x0f\xbf\x03"),
    (2, b"\x8b\x04\x25\x00\x00\xe0\xfe"), (2, b"\x8b\x44\x24\x08"),
    (2, b"\x8b\x05\x00\x10\x00\x00"),
    (2, b"\x67\x8b\x03"), (2, b"\x2e\x8b\x03"), (2, b"\xf3\xa5"), (2, b"\xf0\x89\x03"),
    (1, b"\x8b\x03"), (1, b"\x66\x89\x03"), (1, b"\xa1\x00\x00\xe0\xfe"),
    (1, b"\x8b\x80\x00\x01\x00\x00"),
    (0, b"\x8b\x07"), (0, b"\x66\x8b\x07"), (0, b"\xa1\x00\x10"), (0, b"\x8b\x46\x02"),
    (0, b"\x67\x8b\x03"),
]


def x86_seeds():
    s = b"".join(u8(0) + u8(bits) + u8(len(c)) + c for bits, c in X86_CODES)
    seed("x86_insn", "decode", s)
    s = b"".join(u8(4) + u64(0x8877665544332211) + u8(bits) + u8(len(c)) + c
                 for bits, c in X86_CODES)
    seed("x86_insn", "writeback", s)

    def entry(page, index, target, flags, wide):
        return u8(2) + u8(page) + u16(index) + u8(target) + u8(flags) + u8(wide)

    def fetch(mode, rip, base, root):
        return u8(3) + u8(mode) + u64(rip) + u32(base) + u8(root)

    code = u8(1) + u16(0x5ffe) + u8(4) + b"\x48\x8b\x03\x90" + u8(1) + u16(0x1000) + u8(3)
    code += b"\x8b\x03\x90"
    # No paging; 4-level (va 0x1000 and a page crossing at 0x1ffe); 5-level; 32-bit; PAE.
    s = code + fetch(0, 0x1000, 0, 0) + fetch(0x08, 0x0ff0, 0x10, 0)
    s += entry(1, 0, 2, 3, 1) + entry(2, 0, 3, 3, 1) + entry(3, 0, 4, 3, 1)
    s += entry(4, 1, 5, 3, 1) + entry(4, 2, 6, 3, 1) + u8(1) + u16(0x6000) + u8(1) + b"\x90"
    s += fetch(0x0c, 0x1000 + 0x0100, 0, 1) + fetch(0x0c, 0x1ffe, 0, 1)
    s += entry(7, 0, 1, 3, 1) + fetch(0x0d, 0x1000, 0, 7) + entry(8, 0, 4, 3, 0)
    s += fetch(0x11, 0x1000, 0, 8)
    s += entry(9, 0, 10, 0x83, 0) + fetch(0x12, 0x5ffe, 0, 9) + entry(11, 0, 3, 1, 1)
    s += fetch(0x13, 0x1000, 0, 11)
    seed("x86_insn", "paging", s)
    # LAPIC timer and IPIs, I/O APIC lines, injections and EOIs.
    def lapic(vcpu, reg, value, write=1):
        return u8(0) + u8(vcpu) + u8(reg >> 4) + u8(0) + u8(write) + u32(value)

    def ioapic(index, value):
        return u8(1) + u8(0) + u8(0) + u8(1) + u32(index) + \
            u8(1) + u8(0x80) + u8(0) + u8(1) + u32(value)

    def resume(vcpu, flag_if=1, shadow=0, already=0):
        return u8(3) + u8(vcpu) + u8(flag_if) + u8(shadow) + u8(already)

    s = u8(1) + u8(0) + lapic(0, 0xf0, 0x1ff) + lapic(1, 0xf0, 0x1ff) + lapic(0, 0x320, 0x20040)
    s += lapic(0, 0x3e0, 0xb) + lapic(0, 0x380, 20000) + u8(4) + u32(30000) + u8(0)
    s += resume(0) + lapic(0, 0xb0, 0) + u8(4) + u32(30000) + u8(0) + resume(0, 0) + resume(0)
    s += lapic(0, 0x390, 0, 0) + lapic(0, 0x310, 1 << 24) + lapic(0, 0x300, 0x60) + resume(1)
    s += lapic(1, 0x80, 0x70) + lapic(0, 0x300, 0xc0070) + resume(1) + lapic(0, 0x300, 0x4500)
    s += lapic(0, 0x300, 0x4601) + u8(5) + u8(1)
    s += ioapic(0x10 + 2 * 4, 0x50) + ioapic(0x11 + 2 * 4, 0) + u8(2) + u8(4) + u8(1) + resume(0)
    s += ioapic(0x10 + 2 * 5, 0x8051) + u8(2) + u8(5) + u8(1) + resume(0) + lapic(0, 0xb0, 0)
    s += lapic(0, 0xb0, 0) + resume(0) + u8(1) + u8(0) + u8(0) + u8(1) + u32(1) + u8(1) + u8(0x80)
    s += u8(0) + u8(0) + u32(0)
    seed("x86_apic", "timer_ipi_lines", s)
    # Exits: MMIO to the LAPIC, I/O APIC and virtio, ports, CPUID, MSRs, HLT, DR moves.
    def reg(vcpu, r, value):
        return u8(0) + u8(vcpu) + u8(r) + u64(value)

    def field(vcpu, f, value):
        return u8(1) + u8(vcpu) + u8(f) + u64(value)

    def exit_(vcpu, code, info=0):
        return u8(2) + u8(vcpu) + u8(code) + u8(info)

    def npf(code_bytes, where, offset, value=0):
        return u8(4) + u16(0x1000) + u8(len(code_bytes)) + code_bytes + field(0, 0, 0x1000) + \
            field(0, 10, (where << 56) | offset) + reg(0, 0, value) + exit_(0, 0)

    s = u8(1) + npf(b"\x89\x03", 2, 0xf0, 0x1ff) + npf(b"\x8b\x03", 2, 0x30)
    s += npf(b"\x89\x03", 3, 0, 0x10) + npf(b"\x8b\x03", 3, 0x10) + npf(b"\x8b\x03", 4, 0)
    s += npf(b"\x8b\x03", 5, 0x100) + npf(b"\xc7\x03\x01\x00\x00\x00", 4, 0x70)
    s += npf(b"\x0f\xb6\x03", 4, 0x100)
    s += reg(0, 0, ord("A")) + u8(8) + u16(0x3f8) + u8(0) + u8(0) + u8(8) + u16(0x3fd) + u8(0)
    s += u8(1) + u8(8) + u16(0x3f8) + u8(2) + u8(1) + u8(8) + u16(0x80) + u8(1) + u8(1)
    s += reg(0, 0, 1) + exit_(0, 2) + reg(0, 0, 0x40000000) + exit_(0, 2)
    s += reg(0, 1, 0xc0000080) + field(0, 9, 0) + exit_(0, 3) + reg(0, 0, 0xd01) + field(0, 9, 1)
    s += exit_(0, 3) + reg(0, 1, 0x277) + exit_(0, 3) + reg(0, 1, 0x10) + field(0, 9, 0)
    s += exit_(0, 3) + field(0, 1, 0x202) + exit_(0, 4) + exit_(0, 5) + exit_(0, 6)
    s += u8(4) + u16(0x1000) + u8(3) + b"\x0f\x23\xc0" + field(0, 0, 0x1000) + exit_(0, 7, 0x10)
    s += u8(4) + u16(0x1000) + u8(3) + b"\x0f\x21\xf8" + field(0, 0, 0x1000) + exit_(0, 7, 0x07)
    s += exit_(0, 8) + exit_(0, 2, 0x8d) + u8(3) + u8(0) + u8(6) + u8(4) + u8(1)
    s += reg(0, 0, 7) + u8(8) + u16(0x501) + u8(0) + u8(0)
    seed("x86_exit", "exits", s)


# ---- arm64 (fuzz_arm64_gic.c, fuzz_arm64_exit.c) ----

def arm64_seeds():
    def dist(vcpu, off, value, width_sel=0, write=1):
        return u8(0) + u8(vcpu) + u16(off) + u8(width_sel) + u8(write) + u64(value)

    def redist(vcpu, frame, off, value, write=1):
        return u8(1) + u8(vcpu) + u8(frame) + u16(off) + u8(0) + u8(write) + u64(value)

    def flush(vcpu, progress=(0,) * 8):
        return u8(3) + u8(vcpu) + bytes(progress)

    s = u8(0) + u8(1) + u8(4) + dist(0, 0, 3) + dist(0, 0x84, 1) + dist(0, 0x104, 3)
    s += dist(0, 0x420, 0x80, 3) + dist(0, 0x6000 + 33 * 8, 0x1, 4) + u8(2) + u8(32) + u8(1)
    s += u8(2) + u8(33) + u8(1) + flush(0) + flush(1) + flush(0, (1,) * 8) + flush(0, (2,) * 8)
    s += redist(0, 0x80, 0x100, 0xffff) + redist(0, 0x80, 0x80, 0xffff)
    s += redist(0, 1, 0x14, 2) + redist(0, 1, 0x14, 0, 0) + redist(0, 0, 0x8, 0, 0)
    s += u8(4) + u8(0) + u64((1 << 24) | 3) + u8(4) + u8(1) + u64((1 << 40) | (2 << 24))
    s += flush(0) + flush(1, (3, 0, 0, 0, 0, 0, 0, 0)) + u8(5) + u8(1) + flush(1)
    s += dist(0, 0xc08, 0xaaaa)
    s += u8(2) + u8(32) + u8(0) + flush(0, (2,) * 8)
    seed("arm64_gic", "gicv3", s)
    s = u8(1) + u8(1) + u8(4) + dist(0, 0, 1) + dist(0, 0x104, 1) + dist(1, 0x820, 2, 3)
    s += dist(0, 0x100, 0xffff) + u8(2) + u8(32) + u8(1) + flush(1) + dist(0, 0xf00, (1 << 16) | 5)
    s += dist(1, 0xf00, (1 << 24) | 6) + flush(0) + flush(1, (1,) * 8) + flush(1, (2,) * 8)
    s += dist(0, 0x800, 0, 0, 0) + dist(0, 0x4, 0, 0, 0)
    seed("arm64_gic", "gicv2", s)

    def reg(vcpu, r, value):
        return u8(0) + u8(vcpu) + u8(r) + u64(value)

    def field(vcpu, f, value):
        return u8(1) + u8(vcpu) + u8(f) + u64(value)

    def exit_(vcpu, ec, iss, reason=0):
        return u8(2) + u8(vcpu) + u8(ec) + u32(iss) + u8(reason)

    def abort(rt, size_log2, write, sign=False, sf=False):
        return (1 << 24) | (size_log2 << 22) | (int(sign) << 21) | (rt << 16) | (int(sf) << 15) | \
            (int(write) << 6)

    s = u8(0) + u8(1) + field(0, 4, 3 << 56) + reg(0, 1, ord("A")) + exit_(0, 2, abort(1, 2, True))
    s += field(0, 4, (1 << 56) | 4) + exit_(0, 2, abort(2, 2, False))
    s += field(0, 4, (1 << 56) | 0x420) + exit_(0, 2, abort(3, 0, False, True, True))
    s += field(0, 4, (2 << 56) | 0x10100) + reg(0, 4, 0xffff) + exit_(0, 2, abort(4, 2, True))
    s += field(0, 4, 0x12345678) + exit_(0, 2, abort(5, 3, False, sf=True)) + exit_(0, 2, 0)
    s += reg(0, 0, 0x84000000) + exit_(0, 4, 0) + reg(0, 0, 0x8400000a) + reg(0, 1, 0xc4000003)
    s += exit_(0, 5, 0) + reg(0, 0, 0xc4000003) + reg(0, 1, 1) + reg(0, 2, 0x40000000)
    s += exit_(0, 4, 0) + reg(0, 0, 0xc4000004) + reg(0, 1, 1) + reg(0, 2, 0) + exit_(0, 4, 0)
    s += reg(0, 0, (1 << 24) | 3) + exit_(0, 1, 0x3a3016) + exit_(0, 1, 0x3a3017 | (5 << 5))
    s += u8(3) + u8(0) + field(0, 5, 1) + field(0, 6, 1000) + exit_(0, 0, 0) + exit_(0, 0, 1)
    s += field(0, 0, 0x50000000) + field(0, 3, 0x50000000) + exit_(0, 3, 0)
    s += exit_(0, 0, 0, 1) + exit_(0, 0, 0, 2) + u8(6) + u8(5) + u8(4) + u8(33) + u8(1)
    s += reg(1, 0, 0x84000002) + exit_(1, 4, 0) + reg(0, 0, 0x84000008) + exit_(0, 5, 0)
    seed("arm64_exit", "exits", s)


# ---- device trees (fuzz_vm_dt.c, fuzz_boot_dt.c, fuzz_root_links.c) ----

def dtc(source):
    r = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "-", "-"],
                       input=source.encode(), stdout=subprocess.PIPE, check=True)
    return r.stdout


def dts_file(path):
    return dtc(open(os.path.join(ROOT, path)).read())


SMALL_VMS = {
    "riscv64": """/dts-v1/;
/ { #address-cells = <2>; #size-cells = <2>;
    chosen { keel,image = "a.bin"; keel,load-address = <0x0 0x80000000>; };
    memory@80000000 { device_type = "memory"; reg = <0x0 0x80000000 0x0 0x200000>; };
    cpus { #address-cells = <1>; #size-cells = <0>; cpu@0 { device_type = "cpu"; reg = <0>; }; };
    plic: interrupt-controller@c000000 {
        compatible = "riscv,plic0"; reg = <0x0 0xc000000 0x0 0x600000>;
        riscv,ndev = <31>; interrupt-controller; #interrupt-cells = <1>; };
    serial@10000000 { compatible = "ns16550a"; reg = <0x0 0x10000000 0x0 0x100>; interrupts = <10>;
        reg-shift = <2>; };
    pl011@10002000 {
        compatible = "arm,pl011"; reg = <0x0 0x10002000 0x0 0x1000>; interrupts = <11>; };
    virtio@10001000 {
        compatible = "virtio,mmio"; reg = <0x0 0x10001000 0x0 0x200>; interrupts = <1>;
        keel,device = "rng"; };
    virtio@10001200 {
        compatible = "virtio,mmio"; reg = <0x0 0x10001200 0x0 0x200>; interrupts = <2>;
        keel,device = "console"; };
    virtio@10001400 {
        compatible = "virtio,mmio"; reg = <0x0 0x10001400 0x0 0x200>; interrupts = <3>;
        keel,device = "net"; keel,link = "net0"; local-mac-address = [02 00 00 00 00 01]; };
};""",
    "arm64": """/dts-v1/;
/ { #address-cells = <2>; #size-cells = <2>;
    chosen { keel,image = "a.bin"; keel,load-address = <0x0 0x40000000>; };
    memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x200000>; };
    intc@8000000 {
        compatible = "arm,gic-v3"; reg = <0x0 0x8000000 0x0 0x10000>, <0x0 0x80a0000 0x0 0x40000>;
        interrupt-controller; #interrupt-cells = <3>; };
    pl011@9000000 {
        compatible = "arm,pl011"; reg = <0x0 0x9000000 0x0 0x1000>; interrupts = <0 1 4>; };
    virtio@a000000 {
        compatible = "virtio,mmio"; reg = <0x0 0xa000000 0x0 0x200>; interrupts = <0 16 1>;
        keel,device = "rng"; };
    virtio@a000200 {
        compatible = "virtio,mmio"; reg = <0x0 0xa000200 0x0 0x200>; interrupts = <0 17 1>;
        keel,device = "console"; };
};""",
    "x86_64": """/dts-v1/;
/ { #address-cells = <2>; #size-cells = <2>;
    chosen { keel,image = "a.bin"; keel,load-address = <0x0 0x100000>; };
    memory@0 { device_type = "memory"; reg = <0x0 0x0 0x0 0x1000000>; };
    lapic@fee00000 { compatible = "intel,ce4100-lapic"; reg = <0x0 0xfee00000 0x0 0x1000>; };
    ioapic@fec00000 { compatible = "intel,ce4100-ioapic"; reg = <0x0 0xfec00000 0x0 0x1000>; };
    isa { compatible = "isa"; #address-cells = <2>; #size-cells = <1>;
        serial@i3f8 { compatible = "ns16550a"; reg = <1 0x3f8 8>; interrupts = <4 1>; };
        exit@i501 { compatible = "keel,exit-port"; reg = <1 0x501 1>; }; };
    virtio@d0000000 {
        compatible = "virtio,mmio"; reg = <0x0 0xd0000000 0x0 0x200>; interrupts = <5 1>;
        keel,device = "console"; };
};""",
}

VM_TREES = {
    "arm64": ["dts/vms/linux-arm64.dts", "dts/vms/linux-gicv2-arm64.dts", "dts/vms/net1-arm64.dts",
              "dts/vms/wdt-arm64.dts", "dts/vms/qemu-virt-arm64.dts"],
    "riscv64": ["dts/vms/linux-riscv64.dts", "dts/vms/net1-riscv64.dts", "dts/vms/wdt-riscv64.dts"],
    "x86_64": ["dts/vms/raw-irq-x86_64.dts", "dts/vms/raw-hello-x86_64.dts"],
}

BOOT_TREE = """/dts-v1/;
/memreserve/ 0x48000000 0x100000;
/ { #address-cells = <2>; #size-cells = <2>;
    chosen { linux,initrd-start = <0x0 0x48000000>; linux,initrd-end = <0x0 0x48100000>; };
    memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x8000000>,
                                                     <0x1 0x0 0x0 0x1000000>; };
    memory@80000000 { device_type = "memory"; reg = <0x0 0x80000000 0x0 0x1000000>; };
    cpus { #address-cells = <1>; #size-cells = <0>;
        cpu@0 { device_type = "cpu"; reg = <0>; };
        cpu@1 { device_type = "cpu"; reg = <1>; status = "okay"; };
        cpu@2 { device_type = "cpu"; reg = <2>; status = "disabled"; }; };
    reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
        fw@7f000000 { reg = <0x0 0x7f000000 0x0 0x100000>; }; };
};"""


def dt_seeds():
    for arch, files in VM_TREES.items():
        for path in files:
            seed(f"vm_dt_{arch}", os.path.basename(path)[:-4], dts_file(path))
        seed(f"vm_dt_{arch}", "small", dtc(SMALL_VMS[arch]))
    seed("boot_dt", "board", dts_file("lib/fdt/tests/board.dts"))
    seed("boot_dt", "reserved", dtc(BOOT_TREE))
    for name in ("links", "vm-net-arm64", "hello", "demo-riscv64"):
        seed("root_links", name, dts_file(f"dts/systems/{name}.dts"))


# ---- the Linux loader, boot modules (fuzz_linux_image.c, fuzz_cpio.c, fuzz_elf.c) ----

def image_header(text_offset, image_size, magic=0x644d5241):
    return struct.pack("<IIQQQQQQII", 0x91005a4d, 0x14000000, text_offset, image_size, 0xa, 0, 0,
                       0, magic, 0x40)


def boot_seeds():
    body = bytes(range(256)) * 4
    for name, base, mib, rd, flags, off, size in (
            ("basic", 0, 15, 0x10000, 1, 0x80000, 0x200000), ("no_initrd", 1, 7, 0, 0, 0, 0x100000),
            ("unaligned_ram", 2, 11, 0x2000, 1, 0x1000, 0x180000),
            ("no_chosen", 0, 15, 0x1000, 3, 0, 0x100000)):
        s = u8(base) + u8(mib) + u32(rd) + u8(flags) + image_header(off, size) + body
        seed("linux_image", name, s)

    def newc(name, data):
        n = name.encode() + b"\0"
        fields = [1, 0o100644, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), 0]
        h = b"070701" + b"".join(b"%08x" % f for f in fields) + n
        h += bytes((4 - len(h) % 4) % 4)
        return h + data + bytes((4 - len(data) % 4) % 4)

    archive = newc("root", b"\x7fELF" + bytes(60)) + newc("./system.dtb", dtc(BOOT_TREE))
    archive += newc("vmm", b"vmm image") + newc("images/Image", b"I" * 7) + newc("TRAILER!!!", b"")
    seed("cpio", "archive", archive)
    seed("cpio", "empty_names", newc("", b"x") + newc("a", b""))
    for i, machine in enumerate((183, 243, 62)):
        phdrs = struct.pack("<IIQQQQQQ", 1, 5, 0x1000, 0x400000, 0x400000, 0x100, 0x200, 0x1000)
        phdrs += struct.pack("<IIQQQQQQ", 1, 6, 0x1100, 0x401000, 0x401000, 0x10, 0x1000, 0x1000)
        phdrs += struct.pack("<IIQQQQQQ", 4, 4, 0, 0, 0, 0, 0, 0)
        ident = b"\x7fELF\x02\x01\x01" + bytes(8) + bytes([i])
        eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0x400000, 64, 0, 0, 64, 56, 3,
                                 64, 0, 0)
        img = eh + phdrs
        img += bytes(0x1200 - len(img))
        seed("elf", f"exec_{machine}", img)


def main():
    virtio_seeds()
    netsw_seeds()
    rv_seeds()
    x86_seeds()
    arm64_seeds()
    dt_seeds()
    boot_seeds()
    total = 0
    for target, seeds in sorted(corpus.items()):
        d = os.path.join(OUT, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in seeds:
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            total += len(data)
    print(f"gen_corpus: {sum(len(s) for s in corpus.values())} seeds for {len(corpus)} targets, "
          f"{total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
