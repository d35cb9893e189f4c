#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boots Keel on Bochs (platforms/bochs-x86_64: the Intel VT-x board) and copies its console to
stdout, so that ci/qemu_run.py drives Bochs as it drives QEMU (markers, timeouts, the kill).

Bochs has no -kernel: this makes a GRUB image (grub-mkrescue: keel.bin by multiboot, the initrd
as its module) and a bochsrc in a temporary directory, starts Bochs with COM1 written into a FIFO
and its own screen (the term display, the only one Debian's bochs-term has besides VNC) on a
pseudo-terminal that is read and dropped, and ends when Bochs does (ACPI power-off: it quits) or
when it is killed (SIGTERM: Bochs goes with it). The clock: `clock: sync=none` and a fixed `ips`,
so guest time is instructions (Bochs' counterpart of QEMU's -icount) and a run repeats.
"""
import argparse, ctypes, os, pathlib, pty, selectors, shutil, signal, socket, subprocess, sys, tempfile

BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGABIOS = "/usr/share/vgabios/vgabios.bin"


def cmos_image(megs):
    """The CMOS Bochs would make, with the BIOS's fast boot on (register 0x3f bit 0): its BIOS
    otherwise waits 3 emulated seconds for F12 (a boot menu), which Bochs fast-forwards with one
    CPU but emulates tick by tick with two, about 45 s of the host's time. With an image Bochs
    sets none of the registers itself: the clock's, the memory size and the boot device
    (CD-ROM) are here, as its own devices would set them (no floppy, no hard disk)."""
    r = bytearray(128)
    r[0x0a], r[0x0b], r[0x0d] = 0x26, 0x02, 0x80   # 32.768 kHz, 24-hour binary mode off, valid
    r[0x14] = 0x02                                  # equipment: FPU, VGA, no floppy
    r[0x15], r[0x16] = 0x80, 0x02                   # 640 KiB base memory
    below_4g = min(megs, 3584) << 20                # the PCI hole starts at 3.5 GiB
    ext_kib = min((below_4g >> 10) - 1024, 0xfc00)  # above 1 MiB, in KiB, capped at 63 MiB
    r[0x17], r[0x18] = ext_kib & 0xff, ext_kib >> 8
    r[0x30], r[0x31] = r[0x17], r[0x18]
    above_16m = max(below_4g - (16 << 20), 0) >> 16  # in 64 KiB units
    r[0x34], r[0x35] = above_16m & 0xff, above_16m >> 8
    above_4g = max((megs << 20) - below_4g, 0) >> 16
    r[0x5b], r[0x5c], r[0x5d] = above_4g & 0xff, (above_4g >> 8) & 0xff, above_4g >> 16
    r[0x3d] = 0x03                                  # boot from the CD-ROM
    r[0x32] = 0x20                                  # century (BCD)
    r[0x3f] = 0x01                                  # fast boot: no F12 wait
    total = sum(r[0x10:0x2e])
    r[0x2e], r[0x2f] = total >> 8, total & 0xff
    return bytes(r)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", required=True, help="keel.bin (multiboot), or a Linux bzImage")
    ap.add_argument("--initrd")
    ap.add_argument("--append", default="", help="kernel command line")
    ap.add_argument("--cpu", required=True, help="Bochs CPU model (bochs --help cpu)")
    ap.add_argument("--memory", default="512M", help="RAM, in MiB or with an M/G suffix")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--log", help="keep Bochs' own log (errors included) in this file")
    ap.add_argument("--ips", type=int, default=1_000_000_000,
                    help="instructions per emulated second (a PC's order: a 1 us quantum is then "
                         "1000 instructions, more than a timer interrupt costs)")
    args = ap.parse_args()

    for tool in ("bochs", "grub-mkrescue", "xorriso"):
        if not shutil.which(tool):
            sys.exit(f"bochs_boot: '{tool}' not found (ci/setup installs it)")
    mem = args.memory.upper()
    megs = int(mem[:-1]) * 1024 if mem.endswith("G") else int(mem.rstrip("M"))
    with tempfile.TemporaryDirectory(prefix="keel-bochs-") as tmp:
        tmp = pathlib.Path(tmp)
        grub = tmp / "iso" / "boot" / "grub"
        grub.mkdir(parents=True)
        # keel.bin by multiboot; a Linux bzImage (its setup header says "HdrS") by GRUB's linux
        # loader, for the bare board's figures (bench/linux-boot.sh).
        linux = pathlib.Path(args.kernel).read_bytes()[0x202:0x206] == b"HdrS"
        shutil.copy(args.kernel, tmp / "iso" / "keel.bin")
        module = ""
        if args.initrd:
            shutil.copy(args.initrd, tmp / "iso" / "initrd.cpio")
            module = f"    {'initrd' if linux else 'module'} /initrd.cpio\n"
        (grub / "grub.cfg").write_text(
            "set timeout=0\nset default=0\nterminal_output console\n"
            f'menuentry "keel" {{\n    {"linux" if linux else "multiboot"} /keel.bin {args.append}\n'
            f"{module}    boot\n}}\n")
        iso = tmp / "keel.iso"
        made = subprocess.run(["grub-mkrescue", "-o", str(iso), str(tmp / "iso")],
                              capture_output=True, text=True)
        if made.returncode != 0:
            sys.exit(f"bochs_boot: grub-mkrescue failed:\n{made.stderr[-2000:]}")
        # COM1 through a socket Bochs connects to: it sends each byte as the UART does (its file
        # mode buffers, so a hung kernel's last lines would never be seen).
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        com1 = f"localhost:{listener.getsockname()[1]}"
        (tmp / "bochsrc").write_text(f"""megs: {megs}
cpu: model={args.cpu}, count={args.smp}, ips={args.ips}, reset_on_triple_fault=0
romimage: file={BIOS}
vgaromimage: file={VGABIOS}
pci: enabled=1, chipset=i440fx
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
com1: enabled=1, mode=socket-client, dev={com1}
display_library: term
speaker: enabled=0
port_e9_hack: enabled=1
clock: sync=none, time0=utc
cmosimage: file={tmp / "cmos"}, rtc_init=time0
log: {args.log or tmp / "bochs.log"}
panic: action=fatal
error: action={"report" if args.log else "ignore"}
info: action=ignore
debug: action=ignore
""")
        (tmp / "cmos").write_bytes(cmos_image(megs))
        (tmp / "commands").write_text("c\n")  # Debian's Bochs has its debugger: continue at once
        def die_with_us():  # Bochs must not outlive this script, however it ends
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

        screen, screen_slave = pty.openpty()
        proc = subprocess.Popen(["bochs", "-q", "-f", str(tmp / "bochsrc"), "-rc", str(tmp / "commands")],
                                stdin=screen_slave, stdout=screen_slave, stderr=subprocess.DEVNULL,
                                cwd=tmp, env=dict(os.environ, TERM="vt100"), preexec_fn=die_with_us)
        os.close(screen_slave)

        def stop(signum, frame):
            proc.kill()
            sys.exit(128 + signum)

        signal.signal(signal.SIGTERM, stop)
        listener.settimeout(30)
        try:
            conn, _ = listener.accept()
        except OSError:
            proc.kill()
            sys.exit("bochs_boot: Bochs did not connect its COM1 within 30 s")
        console = conn.fileno()
        sel = selectors.DefaultSelector()
        sel.register(console, selectors.EVENT_READ)
        sel.register(screen, selectors.EVENT_READ)
        out = sys.stdout.buffer
        try:
            while proc.poll() is None:
                for key, _ in sel.select(timeout=0.5):
                    try:
                        data = os.read(key.fd, 65536)
                    except OSError:  # (the screen's end once Bochs is gone)
                        data = b""
                        sel.unregister(key.fd)
                    if key.fd == screen and data and os.environ.get("KEEL_BOCHS_SCREEN"):
                        with open(os.environ["KEEL_BOCHS_SCREEN"], "ab") as f:
                            f.write(data)
                    if key.fd == console and data:
                        out.write(data)
                        out.flush()
            conn.setblocking(False)
            while True:  # what is left in the socket
                try:
                    data = os.read(console, 65536)
                except OSError:
                    break
                if not data:
                    break
                out.write(data)
            out.flush()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        # Bochs ends an ACPI power-off (S5) as a "panic" with status 1: that one is the guest's
        # own ending; any other panic is Bochs giving up, said on stderr (the console log).
        log_file = pathlib.Path(args.log) if args.log else tmp / "bochs.log"
        log = log_file.read_text(errors="replace") if log_file.exists() else ""
        panics = [l for l in log.splitlines() if ">>PANIC<<" in l]
        if any("ACPI control: soft power off" in l for l in panics):
            return 0
        for l in panics[-3:]:
            print(f"bochs_boot: {l}", file=sys.stderr)
        return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
