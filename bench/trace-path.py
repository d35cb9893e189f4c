#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Where the instructions of one path go: runs a boot image under QEMU with one instruction per
translation block (-singlestep) and every block logged (-d exec,nochain), cuts the program-counter
stream between the nth execution of a start PC and the next execution of an end PC, and prints the
functions it passed through in order (run lengths) and the total.

Example (arm64, one MMIO read of the PL011 by the raw guest of `vm-bench`: the guest's `ldr w3`
and the instruction after it):

  bench/trace-path.py --board qemu-virt-arm64 --kernel build/arm64/hyp/keel.bin \\
      --initrd build/arm64/boot/vm-bench.cpio --start 40080014 --end 40080018 --nth 500 \\
      --expect "KEEL: power off" \\
      --elf build/arm64/hyp/keel.elf --elf build/arm64/user/vmm --elf build/arm64/boot/raw_mmio_bench.elf

Find the PCs with objdump on the guest's ELF. Slow (a log line per instruction): keep the run
short. The tool sets QEMU's -icount shift=0 like make bench, so the numbers compare with it.
"""
import argparse
import bisect
import os
import re
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def symbols(elfs):
    """[(name, sorted [(addr, size, sym)], addrs)] for the text symbols of each ELF."""
    tabs = []
    for e in elfs:
        syms = []
        out = subprocess.run(["nm", "-n", "-S", e], capture_output=True, text=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) == 4 and p[2] in "tTwW" and not p[3].startswith("$"):
                syms.append((int(p[0], 16), int(p[1], 16), p[3]))
            elif len(p) == 3 and p[1] in "tTwW" and not p[2].startswith("$"):
                syms.append((int(p[0], 16), 0, p[2]))
        syms.sort()
        tabs.append((os.path.basename(e), syms, [s[0] for s in syms]))
    return tabs


def name_of(tabs, pc):
    for elf, syms, addrs in tabs:
        i = bisect.bisect_right(addrs, pc) - 1
        if i >= 0:
            a, size, sym = syms[i]
            nxt = syms[i + 1][0] if i + 1 < len(syms) else a + 0x1000
            if pc < (a + size if size else min(nxt, a + 0x4000)):
                return f"{elf}:{sym}"
    return f"?{pc:x}"


def cut(fifo, start, end, nth, out):
    """Reads the exec log from fifo; out[0] gets the PCs of the nth start..end path."""
    pat = re.compile(rb"\[[0-9a-f]+/([0-9a-f]+)/")
    seen, rec = 0, None
    with open(fifo, "rb") as f:
        for line in f:
            m = pat.search(line)
            if not m:
                continue
            pc = int(m.group(1), 16)
            if rec is not None:
                rec.append(pc)
                if pc == end:
                    out[0] = rec
                    rec = None
                    seen = -(1 << 62)  # done: read the rest of the log away
            elif pc == start:
                seen += 1
                if seen == nth:
                    rec = [pc]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--smp", default="1")
    ap.add_argument("--start", required=True, help="PC (hex) where the path starts")
    ap.add_argument("--end", required=True, help="PC (hex) where it ends")
    ap.add_argument("--nth", type=int, default=100, help="which execution of start (warm caches)")
    ap.add_argument("--expect", action="append", default=[], help="marker that ends the run")
    ap.add_argument("--elf", action="append", default=[], help="ELF files for symbols")
    ap.add_argument("--timeout", default="600")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    fifo = os.path.join(tmp, "exec")
    os.mkfifo(fifo)
    out = [None]
    reader = threading.Thread(target=cut, args=(fifo, int(args.start, 16), int(args.end, 16), args.nth, out))
    reader.start()
    cmd = [sys.executable, os.path.join(HERE, "..", "ci", "qemu_run.py"), "--board", args.board,
           "--kernel", args.kernel, "--initrd", args.initrd, "--smp", args.smp, "--icount",
           "--timeout", args.timeout, "--log", os.path.join(tmp, "console.log")]
    for e in args.expect:
        cmd += ["--expect", e]
    cmd += ["--", "-singlestep", "-d", "exec,nochain", "-D", fifo]
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    reader.join()
    if out[0] is None:
        print(f"no path from {args.start} to {args.end} (run {'passed' if r.returncode == 0 else 'failed'};"
              f" console: {tmp}/console.log)")
        return 1
    tabs = symbols(args.elf)
    prev, n = None, 0
    for pc in out[0]:
        nm = name_of(tabs, pc)
        if nm != prev and prev is not None:
            print(f"{n:6d}  {prev}")
            n = 0
        prev, n = nm, n + 1
    print(f"{n:6d}  {prev}")
    print(f"{len(out[0]):6d}  total (instructions from start to end, both counted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
