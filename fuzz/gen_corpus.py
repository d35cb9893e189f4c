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


def v_start(queue_sizes, features=0xffffffffffffffff, mode=3, places=None):
    """The start sequence; with places (three RAM offsets per queue) the rings go there."""
    s = u8(6) + u64(features) + u8(mode | (4 if places else 0))
    for i, size in enumerate(queue_sizes):
        s += u8(size) + (b"".join(u16(o) for o in places[i]) if places else b"")
    return s


def v_backend(length, what=0):
    return u8(7) + u16(length) + u8(what)


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


def main():
    virtio_seeds()
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
