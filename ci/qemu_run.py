#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boots a Keel image on an emulated board and judges what its console prints.

The board comes from platforms/<board>/board.conf. The console is streamed to a log file (and to the
terminal with --interactive). The run passes when every --expect marker has appeared in order, with
--expect-exit the emulator powered off by itself, every --require marker appeared somewhere and each
--count marker as often as it says; it fails on a --fail marker, a timeout or an early exit. The
emulator is killed in every case, and a failing run shows the tail of the console. With
--kill-after it is killed as a power cut would stop it: SIGKILL, no orderly exit (QEMU then writes
back nothing it still holds), at a random moment after the last --expect marker.
"""
import argparse, os, pathlib, random, re, selectors, signal, socket, subprocess, sys, threading, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_FAIL = ["KEEL PANIC", "FAIL:"]


def read_board(name):
    conf = ROOT / "platforms" / name / "board.conf"
    if not conf.is_file():
        sys.exit(f"qemu_run: unknown board '{name}' (no {conf})")
    board = {}
    for line in conf.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            board[key.strip()] = value.strip()
    return board


def bochs_command(board, args):
    """Bochs through ci/bochs_boot.py, which puts its console on stdout as QEMU's -serial stdio."""
    if args.bios or args.machine_opts or args.extra:
        sys.exit("qemu_run: --bios, --machine-opts and emulator arguments are QEMU's (Bochs board)")
    cmd = [sys.executable, str(ROOT / "ci" / "bochs_boot.py"), "--kernel", args.kernel,
           "--cpu", args.cpu or board["CPU"], "--memory", args.memory or board["MEMORY"],
           "--smp", str(args.smp or board["SMP"])]
    if args.initrd:
        cmd += ["--initrd", args.initrd]
    if args.append:
        cmd += ["--append", args.append]
    if os.environ.get("KEEL_BOCHS_LOG"):
        cmd += ["--log", os.environ["KEEL_BOCHS_LOG"]]  # Bochs' own log, errors included
    return cmd  # (its clock counts instructions always: --icount has nothing to add)


def qemu_command(board, args):
    if board.get("EMULATOR") == "bochs":
        return bochs_command(board, args)
    machine = board["MACHINE"] + ("," + args.machine_opts if args.machine_opts else "")
    cmd = [board["QEMU"], "-machine", machine, "-cpu", args.cpu or board["CPU"],
           "-m", args.memory or board["MEMORY"], "-smp", str(args.smp or board["SMP"]),
           "-nographic", "-no-reboot"]
    if board.get("ACCEL"):
        cmd += ["-accel", board["ACCEL"]]
    if args.kernel:
        cmd += ["-kernel", args.kernel]
    # Interactive: Ctrl-A X leaves QEMU; tests: no monitor, the console alone on stdout.
    cmd += ["-serial", "mon:stdio"] if args.interactive else ["-serial", "stdio", "-monitor", "none"]
    bios = board.get("BIOS") if args.bios is None else args.bios
    if bios:
        cmd += ["-bios", bios]
    if args.initrd:
        cmd += ["-initrd", args.initrd]
    if args.append is not None:
        cmd += ["-append", args.append]
    if args.icount_skip_idle:
        cmd += ["-icount", "shift=0,sleep=off"]
    elif args.icount:
        cmd += ["-icount", "shift=0"]
    cmd += coverage_options(board, args)
    if args.user_net:
        # QEMU's user networking, never reaching beyond this machine: restrict=on (the guest
        # reaches nothing outside QEMU), and the one forward bound to 127.0.0.1 only.
        addr, _, port = args.user_net.rpartition(":")
        cmd += ["-netdev", f"user,id=usernet,restrict=on,"
                f"hostfwd=tcp:127.0.0.1:{args.host_port}-{addr}:{port}"]
    for opt, value in zip(args.extra, args.extra[1:]):
        if opt in ("-netdev", "-nic") and value.startswith("user") and "restrict=on" not in value:
            sys.exit(f"qemu_run: {opt} {value}: a user network without restrict=on would let the "
                     "guest reach beyond this machine (use --user-net)")
    cmd += args.extra
    return cmd


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EchoCheck(threading.Thread):
    """Once the console has said its marker: connects to the forwarded port, sends bytes, and
    checks that the same bytes come back. result: None while running, else (ok, what)."""

    PAYLOAD = bytes((i * 7 + 3) % 251 for i in range(3000))

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.result = port, None

    def run(self):
        t0 = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=15) as s:
                s.sendall(self.PAYLOAD)
                s.shutdown(socket.SHUT_WR)
                got = b""
                while len(got) < len(self.PAYLOAD):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
        except OSError as e:
            self.result = (False, f"echo through 127.0.0.1:{self.port}: {e}")
            return
        ms = (time.monotonic() - t0) * 1000
        if got != self.PAYLOAD:
            self.result = (False, f"echo through 127.0.0.1:{self.port}: {len(got)} bytes back of "
                                  f"{len(self.PAYLOAD)}" + (", not the same" if got else ""))
        else:
            self.result = (True, f"echo through 127.0.0.1:{self.port}: {len(got)} bytes back "
                                 f"in {ms:.0f} ms")


class SendCheck(threading.Thread):
    """Once the console has said its marker: connects to the forwarded port, sends count bytes as
    fast as it can, closes its side, and waits for the guest to close its own (a sink that has
    read every byte): the host's wall-clock time of the transfer (bench/net.sh).
    result: None while running, else (ok, what)."""

    def __init__(self, port, count):
        super().__init__(daemon=True)
        self.port, self.count, self.result = port, count, None

    def run(self):
        chunk = bytes((i * 7 + 3) % 251 for i in range(65536))
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=60) as s:
                t0 = time.monotonic()
                left = self.count
                while left > 0:
                    left -= s.send(chunk[:min(left, len(chunk))])
                s.shutdown(socket.SHUT_WR)
                while s.recv(65536):
                    pass
                seconds = time.monotonic() - t0
        except OSError as e:
            self.result = (False, f"send through 127.0.0.1:{self.port}: {e}")
            return
        self.result = (True, f"send through 127.0.0.1:{self.port}: {self.count} bytes in "
                             f"{seconds * 1e9:.0f} ns (host wall clock)")


def coverage_options(board, args):
    """With KEEL_COVERAGE_DIR set (ci/coverage), QEMU logs each translation block's instructions
    once, when it translates it, to <dir>/<test>.<arch>.in_asm, restricted to the address ranges in
    <dir>/<arch>.dfilter (the kernel's and the user programs' code). Unset: nothing is added."""
    out = os.environ.get("KEEL_COVERAGE_DIR")
    if not out or args.interactive:
        return []
    stem = pathlib.Path(args.log).name.removesuffix(".log") if args.log else f"run-{os.getpid()}"
    if args.log and "/logs/" in args.log:  # build/host/logs/<suite>/<name>.log: keep the suite
        stem = args.log.split("/logs/", 1)[1].removesuffix(".log").replace("/", "-")
    opts = ["-d", "in_asm", "-D", str(pathlib.Path(out) / f"{stem}.{board['ARCH']}.in_asm")]
    dfilter = pathlib.Path(out) / f"{board['ARCH']}.dfilter"
    if dfilter.is_file():
        opts += ["-dfilter", dfilter.read_text().strip()]
    return opts


class Starvation:
    """How much of the wall-clock time since the last sample the emulator could not use because it
    waited for a host CPU: the largest growth of run_delay (/proc/<tid>/schedstat, the time a
    runnable thread waited in a run queue) over the emulator's threads (every process of its
    session: Bochs runs under ci/bochs_boot.py), as a fraction of the time that passed. A
    silence is then counted only for what the emulator could have run: on a host whose other
    jobs keep it from running, a guest that says nothing for 30 s may have run for 3; a guest
    that hangs (spinning, or idle with nothing left to wake it) gets every second counted."""

    def __init__(self, session):
        self.session = session
        self.delays, self.at = self.read(), time.monotonic()

    def read(self):
        """Each thread's run-queue delay (ns) by thread id; None when none could be read."""
        delays = {}
        try:
            pids = [p for p in os.listdir("/proc") if p.isdigit()]
        except OSError:
            return None
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) != self.session:  # (field 6 of stat: the session id)
                    continue
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                        delays[tid] = int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                continue  # (gone meanwhile)
        return delays or None

    def sample(self):
        """The fraction (0..1) of the time since the last sample that the emulator was starved;
        1 when that cannot be known (a kernel without schedstat): nothing counts then, and the
        wall-clock --silence alone judges."""
        now, delays, before = time.monotonic(), self.read(), self.delays
        span = now - self.at
        self.delays, self.at = delays, now
        if delays is None or before is None or span <= 0:
            return 1.0
        waited = max((d - before.get(t, d) for t, d in delays.items()), default=0) / 1e9
        return min(1.0, waited / span)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", required=True)
    ap.add_argument("--kernel", help="-kernel image (none: the firmware finds what to boot)")
    ap.add_argument("--initrd")
    ap.add_argument("--append", help="kernel command line (-append)")
    ap.add_argument("--bios", help="firmware instead of the board's BIOS ('' for none)")
    ap.add_argument("--smp", type=int)
    ap.add_argument("--cpu")
    ap.add_argument("--memory")
    ap.add_argument("--machine-opts", help="appended to the board's -machine options")
    ap.add_argument("--expect", action="append", default=[], help="marker that must appear (in order)")
    ap.add_argument("--require", action="append", default=[],
                    help="marker that must appear at some point, in any order")
    ap.add_argument("--fail", action="append", default=[], help="marker that fails the run at once")
    ap.add_argument("--count", nargs=2, action="append", default=[], metavar=("MARKER", "N"),
                    help="MARKER must appear exactly N times in the whole console")
    ap.add_argument("--send", nargs=2, action="append", default=[], metavar=("MARKER", "TEXT"),
                    help="once MARKER has appeared, type TEXT on the console (\\n for Enter)")
    ap.add_argument("--expect-exit", action="store_true", help="the emulator must power off by itself")
    ap.add_argument("--expect-file", nargs=2, action="append", default=[], metavar=("FILE", "MARKER"),
                    help="after the run FILE (e.g. a chardev's output) must contain MARKER")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--silence", type=float, default=0,
                    help="fail when the console says nothing for this many seconds (0: never), "
                         "naming the last line: a hung test fails in seconds, not at its timeout")
    ap.add_argument("--stall", type=float, default=0,
                    help="fail when the console says nothing for this many seconds of the time the "
                         "emulator was not kept from running by the host's other jobs (0: never; see "
                         "Starvation): a hung test fails in seconds on an idle host, and a loaded host "
                         "does not make a slow one fail")
    ap.add_argument("--log", help="console log file (default: a temporary file)")
    ap.add_argument("--interactive", action="store_true", help="console on the terminal, no judging")
    ap.add_argument("--icount", action="store_true", help="-icount shift=0: the clock counts instructions")
    ap.add_argument("--icount-skip-idle", action="store_true",
                    help="-icount shift=0,sleep=off: also, while every CPU waits, the clock jumps to the "
                         "next timer instead of following the host's (guest time then owes nothing to "
                         "the host's load)")
    ap.add_argument("--kill-after", type=float, metavar="SECONDS",
                    help="once every --expect marker has appeared, go on reading the console for a "
                         "random time up to SECONDS (KEEL_KILL_SEED in the environment: the seed), "
                         "then SIGKILL the emulator (a power cut); --fail markers meanwhile still fail")
    ap.add_argument("--report", help="regular expression whose matches are printed after the run")
    ap.add_argument("--user-net", metavar="GUEST_IP:PORT",
                    help="a QEMU user network (-netdev id=usernet, restrict=on) whose one forward "
                         "goes from a free port of 127.0.0.1, chosen now, to GUEST_IP:PORT; the "
                         "test adds the device (e.g. -device virtio-net-device,netdev=usernet)")
    ap.add_argument("--echo-check", metavar="MARKER",
                    help="with --user-net: once MARKER has appeared, connect to the forward, send "
                         "3000 bytes and fail the run unless the same bytes come back")
    ap.add_argument("--send-check", metavar="MARKER",
                    help="with --user-net: once MARKER has appeared, connect to the forward, send "
                         "--send-bytes bytes as fast as the host can, and wait for the guest to "
                         "close; prints the host's wall-clock time of it (fails if it cannot)")
    ap.add_argument("--send-bytes", type=int, default=8 << 20, metavar="N",
                    help="how many bytes --send-check sends (default 8 MiB)")
    ap.add_argument("extra", nargs="*", help="further emulator arguments (after --)")
    args = ap.parse_args()
    if args.kill_after is not None and args.expect_exit:
        sys.exit("qemu_run: --kill-after and --expect-exit exclude each other")
    kill_delay = None
    if args.kill_after is not None:
        seed = int(os.environ.get("KEEL_KILL_SEED") or int.from_bytes(os.urandom(4), "little"))
        kill_delay = random.Random(seed).uniform(0, args.kill_after)
        print(f"qemu_run: SIGKILL {kill_delay:.3f} s after the last marker (KEEL_KILL_SEED={seed})")

    board = read_board(args.board)
    if (args.echo_check or args.send_check) and not args.user_net:
        sys.exit("qemu_run: --echo-check and --send-check need --user-net")
    if args.echo_check and args.send_check:
        sys.exit("qemu_run: --echo-check and --send-check exclude each other")
    args.host_port = free_port() if args.user_net else None
    echo = EchoCheck(args.host_port) if args.echo_check else None
    if args.send_check:
        echo = SendCheck(args.host_port, args.send_bytes)
    echo_marker = args.echo_check or args.send_check
    cmd = qemu_command(board, args)
    if args.interactive:
        print("qemu_run:", " ".join(cmd), file=sys.stderr)
        os.execvp(cmd[0], cmd)

    log_path = pathlib.Path(args.log or f"/tmp/keel-{os.getpid()}.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    fail_markers = DEFAULT_FAIL + args.fail
    with open(log_path, "w", errors="replace") as log:
        log.write("# " + " ".join(cmd) + "\n")
        sends = [(m, t.encode().decode("unicode_escape")) for m, t in args.send]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if sends else subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        text, pending, verdict, cursor = "", list(args.expect), None, 0
        deadline = time.monotonic() + args.timeout
        last_output = time.monotonic()
        longest_silence = longest_stall = stalled = 0.0  # stalled: unstarved seconds since the last output
        starvation = Starvation(proc.pid) if args.stall else None
        sampled = time.monotonic()
        kill_at = None  # (--kill-after: when)

        def echo_done():
            """No echo check, or it has ended (the emulator stays until then)."""
            return echo is None or echo.result is not None

        def waiting_for():
            last = next((l for l in reversed(text.splitlines()) if l.strip()), "")
            return (f", after '{last[:120]}'" + (f", waiting for '{pending[0]}'" if pending else
                                                 " (waiting for power-off)"))

        try:
            failing = False
            while verdict is None or (failing and time.monotonic() < deadline):
                if kill_at is not None and verdict is None and time.monotonic() >= kill_at:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    log.write(f"\n# qemu_run: SIGKILL {kill_delay:.3f} s after the last marker\n")
                    verdict = "ok"
                    break
                left = deadline - time.monotonic()
                if kill_at is not None:
                    left = min(left, max(0.0, kill_at - time.monotonic()) + 0.001)
                quiet = time.monotonic() - last_output
                if starvation and time.monotonic() - sampled >= 0.5:
                    now = time.monotonic()
                    stalled += (now - sampled) * (1.0 - starvation.sample())
                    sampled = now
                    longest_stall = max(longest_stall, stalled)
                if args.silence and quiet > args.silence and not failing and verdict is None:
                    verdict = f"no console output for {args.silence:.0f} s{waiting_for()}"
                    break
                if starvation and stalled > args.stall and not failing and verdict is None:
                    verdict = (f"no console output for {stalled:.0f} s of the emulator's own time "
                               f"({quiet:.0f} s of the host's){waiting_for()}")
                    break
                if left <= 0:
                    if failing:
                        break
                    verdict = f"timeout after {args.timeout:.0f} s" + (
                        f" waiting for '{pending[0]}'" if pending else " waiting for power-off")
                    break
                if sel.select(timeout=min(left, 0.5)):
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        proc.wait()
                        if failing:
                            break
                        if pending:
                            verdict = f"emulator exited ({proc.returncode}) before '{pending[0]}'"
                        elif args.expect_exit and proc.returncode != 0:
                            verdict = f"emulator exited with status {proc.returncode}"
                        elif kill_delay is not None:  # (an orderly exit writes back what a cut loses)
                            verdict = f"emulator exited ({proc.returncode}) before its SIGKILL"
                        else:
                            verdict = "ok"
                        break
                    now = time.monotonic()
                    longest_silence = max(longest_silence, now - last_output)
                    last_output = now
                    sampled, stalled = now, 0.0  # (the next sample's fraction covers its own span)
                    s = chunk.decode(errors="replace").replace("\r", "")
                    log.write(s)
                    log.flush()
                    scan_from = max(0, len(text) - 256)
                    text += s
                    for m in fail_markers:
                        if m in text[scan_from:] and verdict is None:
                            verdict = f"failure marker '{m}'"
                            failing = True  # read on briefly: the rest of the line and more
                            deadline = min(deadline, time.monotonic() + 1.0)
                    if echo and not echo.is_alive() and echo.result is None and \
                            echo_marker in text:
                        echo.start()
                    while sends and sends[0][0] in text:
                        proc.stdin.write(sends.pop(0)[1].encode())
                        proc.stdin.flush()
                    while pending and verdict is None:
                        pos = text.find(pending[0], cursor)
                        if pos < 0:
                            break
                        cursor = pos + len(pending[0])
                        pending.pop(0)
                    if not pending and not args.expect_exit and verdict is None and echo_done():
                        if kill_delay is None:
                            verdict = "ok"
                        elif kill_at is None:
                            kill_at = time.monotonic() + kill_delay
                            deadline = max(deadline, kill_at + 1.0)
                    if failing:
                        continue
                elif not pending and not args.expect_exit and verdict is None and echo_done():
                    verdict = "ok"  # (the echo check ended after the last marker)
        finally:
            longest_silence = max(longest_silence, time.monotonic() - last_output)
            log.write(f"\n# qemu_run: longest silence {longest_silence:.1f} s"
                      + (f" ({longest_stall:.1f} s unstarved)" if starvation else "") + "\n")
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    if echo and verdict == "ok":
        if echo.is_alive() or echo.result is not None:
            echo.join(20)
        if echo.result is None:
            verdict = (f"the echo check did not end" if echo.is_alive() else
                       f"'{echo_marker}' never appeared: no echo check")
        else:
            print(f"qemu_run: {echo.result[1]}")
            if not echo.result[0]:
                verdict = echo.result[1]
    for path, marker in args.expect_file if verdict == "ok" else []:
        try:
            content = pathlib.Path(path).read_text(errors="replace")
        except OSError as e:
            content, verdict = "", f"cannot read {path}: {e.strerror}"
        if verdict == "ok" and marker not in content:
            verdict = f"'{marker}' not in {path}"
    if verdict == "ok":
        missing = [m for m in args.require if m not in text]
        if missing:
            verdict = f"required marker '{missing[0]}' never appeared"
    for marker, n in args.count if verdict == "ok" else []:
        if text.count(marker) != int(n):
            verdict = f"'{marker}' appeared {text.count(marker)} times, not {n}"
    if args.report:
        for m in re.finditer(args.report, text):
            print(m.group(0))
    if verdict != "ok":
        tail = "\n".join(text.splitlines()[-40:])
        print(f"qemu_run: FAILED: {verdict}\n--- console tail ({log_path}) ---\n{tail}\n---", file=sys.stderr)
        return 1
    print(f"qemu_run: passed ({len(args.expect)} markers; log {log_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
