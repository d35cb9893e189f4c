#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Packs Keel, its boot modules and the board's device tree into a U-Boot FIT image, and puts
that image with a U-Boot boot script on a boot disk that U-Boot's distro boot finds by itself.

  images/bootimage.py --arch ARCH --build-root BUILD --out DIR [--smp N] [--initrd CPIO]

Inputs: BUILD/<arch>/hyp/keel.bin; the boot modules: CPIO (a system's, ci/system-image), else
BUILD/<arch>/boot/initrd.cpio if the build made one, else a placeholder cpio made here; the board's device tree dumped by QEMU (-machine ...,dumpdtb) with the
board's machine options, memory and N CPUs, without its random /chosen seeds.
Outputs in DIR: board.dtb, keel.its, keel.fit, boot.scr, and bootdisk.img (an MBR with one bootable
ext2 partition at 1 MiB holding /boot.scr and /keel.fit). Nothing is redone when no input changed.
"""
import argparse, hashlib, os, pathlib, shutil, struct, subprocess, sys, tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
BOARDS = {"arm64": "qemu-virt-arm64", "riscv64": "qemu-virt-riscv64"}
UBOOT_ARCH = {"arm64": "arm64", "riscv64": "riscv"}
IMAGE_MAGIC = {"arm64": b"ARM\x64", "riscv64": b"RSC\x05"}  # at offset 56 of the Image header
FIT_OFFSET = 128 << 20   # where the boot script loads the FIT: RAM base + 128 MiB
PART_START = 1 << 20     # the ext2 partition starts at 1 MiB
REPRODUCIBLE = {"SOURCE_DATE_EPOCH": "0", "E2FSPROGS_FAKE_TIME": "1"}


def run(*cmd, **kw):
    env = dict(os.environ, **REPRODUCIBLE)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, **kw)
    if r.returncode != 0:
        sys.exit(f"bootimage: {' '.join(map(str, cmd))} failed:\n{r.stdout}")
    return r.stdout


def read_board(name):
    board = {}
    for line in (ROOT / "platforms" / name / "board.conf").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            k, _, v = line.partition("=")
            board[k.strip()] = v.strip()
    return board


def placeholder_cpio(path):
    """A newc cpio with one file saying that no boot modules were built (deterministic bytes)."""
    def entry(name, data, mode):
        name_b = name.encode() + b"\0"
        hdr = b"070701" + b"".join(b"%08X" % v for v in (
            0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
        pad = lambda n: b"\0" * (-n % 4)
        return hdr + name_b + pad(len(hdr) + len(name_b)) + data + pad(len(data))
    text = b"placeholder: this build made no boot modules (build/<arch>/boot/initrd.cpio)\n"
    out = entry("keel-placeholder.txt", text, 0o100644) + entry("TRAILER!!!", b"", 0)
    path.write_bytes(out + b"\0" * (-len(out) % 512))


def dump_dtb(board, smp, path):
    raw = path.with_suffix(".raw")
    run(board["QEMU"], "-machine", f"{board['MACHINE']},dumpdtb={raw}", "-cpu", board["CPU"],
        "-m", board["MEMORY"], "-smp", str(smp), "-nographic")
    run("dtc", "-q", "-I", "dtb", "-O", "dtb", "-o", str(path), str(raw))  # drop QEMU's padding
    raw.unlink()
    # QEMU puts fresh random seeds in /chosen on every run; a seed frozen into a boot image would
    # be the same on every boot, so leave them out (and keep the image reproducible).
    props = run("fdtget", "-p", str(path), "/chosen").split()
    for p in ("rng-seed", "kaslr-seed"):
        if p in props:
            run("fdtput", "-d", str(path), "/chosen", p)


def ram_base(dtb):
    for node in run("fdtget", "-l", str(dtb), "/").split():
        if node.startswith("memory@"):
            cells = [int(c, 16) for c in run("fdtget", "-t", "x", str(dtb), "/" + node, "reg").split()]
            return cells[0] << 32 | cells[1]
    sys.exit(f"bootimage: no /memory node in {dtb}")


def image_header(keel, arch):
    head = keel.read_bytes()[:64]
    if len(head) < 64 or head[56:60] != IMAGE_MAGIC[arch]:
        sys.exit(f"bootimage: {keel} has no {arch} Linux Image header")
    text_offset, image_size = struct.unpack_from("<QQ", head, 8)
    return text_offset, image_size


def boot_disk(path, files):
    """MBR + one bootable Linux partition holding an ext2 file system made from FILES."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, src in files.items():
            shutil.copyfile(src, pathlib.Path(tmp) / name)
        size = sum(p.stat().st_size for p in files.values())
        fs_mib = max(8, (size * 5 // 4 >> 20) + 2)
        path.unlink(missing_ok=True)
        run("mke2fs", "-q", "-F", "-t", "ext2", "-L", "keelboot", "-U", "4b45454c-0000-4000-8000-000000000001",
            "-E", f"offset={PART_START},root_owner=0:0,hash_seed=4b45454c-0000-4000-8000-000000000002",
            "-d", tmp, str(path), f"{fs_mib}M")
    sectors = fs_mib << 20 >> 9
    entry = struct.pack("<B3sB3sII", 0x80, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff", PART_START >> 9, sectors)
    with open(path, "r+b") as f:
        mbr = bytearray(f.read(512))
        mbr[440:446] = b"KEEL\0\0"  # disk signature
        mbr[446:462] = entry
        mbr[462:510] = bytes(48)
        mbr[510:512] = b"\x55\xaa"
        f.seek(0)
        f.write(mbr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, choices=sorted(BOARDS))
    ap.add_argument("--build-root", required=True, help="the folder holding <arch>/hyp/keel.bin")
    ap.add_argument("--out", required=True)
    ap.add_argument("--smp", type=int, default=2, help="CPUs in the board device tree")
    ap.add_argument("--initrd", help="the boot modules (default: BUILD/<arch>/boot/initrd.cpio)")
    args = ap.parse_args()

    arch, out = args.arch, pathlib.Path(args.out)
    board = read_board(BOARDS[arch])
    keel = pathlib.Path(args.build_root) / arch / "hyp" / "keel.bin"
    initrd = pathlib.Path(args.initrd or pathlib.Path(args.build_root) / arch / "boot" / "initrd.cpio")
    if args.initrd and not initrd.is_file():
        sys.exit(f"bootimage: no {initrd}")
    if not keel.is_file():
        sys.exit(f"bootimage: no {keel}: build Keel first")
    out.mkdir(parents=True, exist_ok=True)

    # Skip everything when no input changed since the last run.
    h = hashlib.sha256()
    for f in (keel, initrd, HERE / "keel.its", HERE / "boot.cmd", pathlib.Path(__file__),
              ROOT / "platforms" / BOARDS[arch] / "board.conf"):
        h.update(f.name.encode() + (f.read_bytes() if f.is_file() else b"(none)"))
    h.update(run(board["QEMU"], "--version").encode() + run("mkimage", "-V").encode())
    h.update(f"smp {args.smp}".encode())
    stamp, digest = out / ".inputs", h.hexdigest()
    if (out / "bootdisk.img").is_file() and stamp.is_file() and stamp.read_text() == digest:
        print(f"bootimage: {arch} up to date ({out / 'bootdisk.img'})")
        return 0

    modules = out / "initrd.cpio"
    if initrd.is_file():
        shutil.copyfile(initrd, modules)
    else:
        placeholder_cpio(modules)
    shutil.copyfile(keel, out / "keel.bin")
    dump_dtb(board, args.smp, out / "board.dtb")

    base = ram_base(out / "board.dtb")
    text_offset, image_size = image_header(keel, arch)
    load, fit_addr = base + text_offset, base + FIT_OFFSET
    if load + image_size > fit_addr:
        sys.exit(f"bootimage: Keel ({image_size} bytes at {load:#x}) would overlap the FIT at {fit_addr:#x}")
    its = (HERE / "keel.its").read_text().replace("@ARCH@", UBOOT_ARCH[arch]).replace("@LOAD@", f"{load:#x}")
    (out / "keel.its").write_text(its)
    run("mkimage", "-E", "-B", "0x1000", "-f", "keel.its", "keel.fit", cwd=out)
    cmd = (HERE / "boot.cmd").read_text().replace("@FIT_ADDR@", f"{fit_addr:#x}")
    (out / "boot.cmd").write_text(cmd)
    run("mkimage", "-A", UBOOT_ARCH[arch], "-T", "script", "-C", "none", "-n", "Keel boot script",
        "-d", str(out / "boot.cmd"), str(out / "boot.scr"))
    boot_disk(out / "bootdisk.img", {"boot.scr": out / "boot.scr", "keel.fit": out / "keel.fit"})
    stamp.write_text(digest)
    print(f"bootimage: {arch}: keel.fit ({(out / 'keel.fit').stat().st_size} bytes; Keel at {load:#x}, "
          f"modules {'from ' + str(initrd) if initrd.is_file() else 'placeholder'}) on {out / 'bootdisk.img'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
