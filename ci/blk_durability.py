#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Durability of a Linux guest's disk slice on the board's disk across power cuts (docs/devices.md).

blk_durability.py --image IMG --disk-bytes N --slice FIRST BYTES --persist BYTES --bus BUS
                  [--boots 2] [--kill-after 2] [--log-prefix P] -- QEMU_RUN [options...]

Makes a fresh board disk IMG (qcow2: sector n outside the slice "KEEL disk sector n", then dots;
the slice zeros, so none of its clusters is allocated), then boots the system QEMU_RUN names
(ci/qemu_run.py and its options, without markers of this test) --boots times on that same file.
Each boot's guest (the init's keel.persist, images/init/init.c) checks what the boot before wrote
and flushed and writes, flushes and announces the next generation; QEMU is then killed with
SIGKILL at a random moment up to --kill-after seconds later (qemu_run.py --kill-after), and the
host reads the image (qemu-img convert) and checks it itself: the slice's header names that
generation, its area has the header's SHA-256 and the generation's pattern, and every sector
outside the slice is as written at the start.

Why qcow2: QEMU writes a raw file's data into the host's page cache (pwritev) before it completes
the request, so a SIGKILL of QEMU loses nothing a raw image was told, flushed or not: only a crash
of the host would, which a test cannot cause. A qcow2 image in QEMU's default writeback mode keeps
the L2 table entries of newly allocated clusters in QEMU's memory until a flush (or an orderly
exit): a write that was never flushed into a fresh cluster is lost with QEMU. So here a FLUSH
dropped anywhere between the guest and QEMU (its VMM, the link, blkdrv) loses the generation and
the next boot fails.
"""
import argparse, hashlib, os, re, subprocess, sys, tempfile

SECTOR = 512
AREA = 4096  # the first data area's offset in the slice (init.c: PERSIST_AREA)


def initial(n):
    text = f"KEEL disk sector {n}\n".encode()
    return text + b"." * (SECTOR - len(text))


def pattern(generation, n):
    """init.c's persist_fill()."""
    x = (generation * 0x9E3779B97F4A7C15 + 0x4B45454C) & (2**64 - 1)
    out = bytearray(n)
    for i in range(n):
        x ^= (x << 13) & (2**64 - 1)
        x ^= x >> 7
        x ^= (x << 17) & (2**64 - 1)
        out[i] = (x >> 24) & 0xFF
    return bytes(out)


def make_image(path, disk_bytes, first, size):
    raw = bytearray(b"".join(initial(n) for n in range(disk_bytes // SECTOR)))
    raw[first:first + size] = bytes(size)
    with tempfile.NamedTemporaryFile(suffix=".raw") as f:
        f.write(raw)
        f.flush()
        if os.path.exists(path):
            os.unlink(path)
        subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", f.name, path], check=True)


def check_image(path, disk_bytes, first, size, persist, generation):
    """What is wrong with the image after generation `generation` was announced; None if nothing."""
    with tempfile.NamedTemporaryFile(suffix=".raw") as f:
        subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", path, f.name], check=True)
        data = open(f.name, "rb").read()
    if len(data) != disk_bytes:
        return f"{len(data)} bytes, not {disk_bytes}"
    bad = [n for n in range(disk_bytes // SECTOR)
           if not first <= n * SECTOR < first + size and data[n * SECTOR:(n + 1) * SECTOR] != initial(n)]
    if bad:
        return f"sectors outside the slice changed: {bad[:8]}{' ...' if len(bad) > 8 else ''}"
    header = data[first:first + SECTOR].split(b"\0", 1)[0].decode(errors="replace")
    m = re.match(r"KEEL-PERSIST 1 generation=(\d+) bytes=(\d+) sha256=([0-9a-f]{64})\n", header)
    if not m:
        return f"no header in the slice: {header[:80]!r}"
    if int(m[1]) != generation or int(m[2]) != persist:
        return f"the header names generation {m[1]} ({m[2]} bytes), not {generation} ({persist})"
    off = first + AREA + (generation % 2) * persist
    area = data[off:off + persist]
    if hashlib.sha256(area).hexdigest() != m[3]:
        return f"generation {generation}'s area does not have the header's SHA-256"
    if area != pattern(generation, persist):
        return f"generation {generation}'s area does not hold its pattern"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", required=True)
    ap.add_argument("--disk-bytes", type=int, required=True)
    ap.add_argument("--slice", type=int, nargs=2, required=True, metavar=("FIRST", "BYTES"))
    ap.add_argument("--persist", type=int, required=True, help="the guest's keel.persist=")
    ap.add_argument("--bus", required=True, help="the board's virtio-mmio bus of the disk")
    ap.add_argument("--boots", type=int, default=2)
    ap.add_argument("--kill-after", type=float, default=2.0)
    ap.add_argument("--log-prefix", default="/tmp/blk-durability")
    ap.add_argument("--vm", default="vm1")
    ap.add_argument("run", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    run = args.run[1:] if args.run[:1] == ["--"] else args.run
    first, size = args.slice
    make_image(args.image, args.disk_bytes, first, size)
    drive = ["-global", "virtio-mmio.force-legacy=false",
             "-drive", f"file={args.image},if=none,format=qcow2,id=d0",
             "-device", f"virtio-blk-device,drive=d0,bus={args.bus}"]
    for boot in range(1, args.boots + 1):
        vm = args.vm
        before = (f"{vm}| KEEL-INIT PERSIST /dev/vda holds no generation yet" if boot == 1 else
                  f"{vm}| KEEL-INIT CHECK persist PASS generation {boot - 1} read back")
        cmd = run + ["--expect", before, "--expect", f"{vm}| KEEL-INIT PERSIST WROTE generation {boot} ",
                     "--fail", "CHECK persist FAIL", "--kill-after", str(args.kill_after),
                     "--fail", "holds no generation yet" if boot > 1 else "CHECK persist PASS",
                     "--log", f"{args.log_prefix}-boot{boot}.log", "--"] + drive
        if subprocess.call(cmd) != 0:
            print(f"blk_durability: FAIL: boot {boot} (log {args.log_prefix}-boot{boot}.log)")
            return 1
        wrong = check_image(args.image, args.disk_bytes, first, size, args.persist, boot)
        if wrong:
            print(f"blk_durability: FAIL: after boot {boot}'s kill: {args.image}: {wrong}")
            return 1
        print(f"blk_durability: boot {boot} killed after its flush: the image holds generation "
              f"{boot} ({args.persist} bytes, its SHA-256), the sectors outside the slice unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
