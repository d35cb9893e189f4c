#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The board's disk of the block driver test (vm/arm64-blk-driver, dts/systems/vm-blk-arm64.dts).

Writes a fresh image (sector n: "KEEL disk sector n\\n", then dots), runs the command after "--"
(the QEMU run), and then checks the image byte for byte: vm1's read-write slice (sectors 0-127)
holds the guest's pattern in sectors 0-7 and 127 (vmm/guests/arm64/attack/blkuser.c, pattern())
and is unchanged elsewhere; every other sector, vm2's read-only slice (128-255) among them, is
as written. Exits with the run's status, or 1 when the image is wrong.
"""
import argparse, subprocess, sys

SECTOR = 512
SECTORS = 2048  # 1 MiB
RW_SLICE = range(0, 128)
WRITTEN = set(range(0, 8)) | {127}


def initial(n):
    text = f"KEEL disk sector {n}\n".encode()
    return text + b"." * (SECTOR - len(text))


def pattern(s):
    return bytes((s * 31 + i * 7 + 1) & 0xff for i in range(SECTOR))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", required=True)
    ap.add_argument("run", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    run = args.run[1:] if args.run[:1] == ["--"] else args.run
    with open(args.image, "wb") as f:
        f.write(b"".join(initial(n) for n in range(SECTORS)))
    status = subprocess.call(run)
    data = open(args.image, "rb").read()
    wrong = []
    for n in range(SECTORS):
        want = pattern(n - RW_SLICE.start) if n in WRITTEN else initial(n)
        if data[n * SECTOR:(n + 1) * SECTOR] != want:
            wrong.append(n)
    if len(data) != SECTORS * SECTOR or wrong:
        print(f"blk_disk: FAIL: {args.image}: {len(data)} bytes, sectors not as expected: "
              f"{wrong[:16]}{' ...' if len(wrong) > 16 else ''}")
        return 1
    print(f"blk_disk: {args.image}: sectors 0-7 and 127 hold vm1's pattern, the other "
          f"{SECTORS - len(WRITTEN)} sectors (vm2's slice among them) unchanged")
    return status


if __name__ == "__main__":
    sys.exit(main())
