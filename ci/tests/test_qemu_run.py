#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ci/qemu_run.py's verdicts on a hung run, with a small Python program in the emulator's place:
--stall fails a guest that says nothing, idle or spinning, after that many seconds of its own time
and names the marker it waited for; a run that keeps talking, or ends, passes; the run-queue delay
of the emulator's threads is read (Starvation), and where it cannot be, --stall counts nothing.
--user-net and --echo-check: the forward is restrict=on and bound to 127.0.0.1, a user network
without restrict=on is refused, and the echo check passes only when the same bytes come back;
--send-check (bench/net.sh) delivers all its bytes and fails when nothing listens."""
import contextlib, importlib.util, io, os, pathlib, sys, tempfile, time, unittest

HERE = pathlib.Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("qemu_run", HERE.parent / "qemu_run.py")
qemu_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(qemu_run)


class FakeEmulator(unittest.TestCase):
    def run_with(self, program, *args):
        """qemu_run's main() with `python3 -c program` as the emulator: (status, stderr, seconds)."""
        saved = qemu_run.read_board, qemu_run.qemu_command, sys.argv
        qemu_run.read_board = lambda name: {}
        qemu_run.qemu_command = lambda board, a: [sys.executable, "-u", "-c", program]
        with tempfile.TemporaryDirectory() as d:
            sys.argv = ["qemu_run.py", "--board", "fake", "--log", os.path.join(d, "log")] + list(args)
            err, out = io.StringIO(), io.StringIO()
            start = time.monotonic()
            try:
                with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                    status = qemu_run.main()
            finally:
                qemu_run.read_board, qemu_run.qemu_command, sys.argv = saved
            log = pathlib.Path(d, "log").read_text()
        return status, err.getvalue(), time.monotonic() - start, log

    def test_idle_guest_fails_after_its_stall(self):
        status, err, secs, log = self.run_with(
            "import time; print('booted'); time.sleep(60)",
            "--timeout", "60", "--silence", "50", "--stall", "1", "--expect", "booted", "--expect", "DONE")
        self.assertEqual(status, 1)
        self.assertIn("of the emulator's own time", err)
        self.assertIn("after 'booted', waiting for 'DONE'", err)
        self.assertLess(secs, 20)  # (1 s on an idle host; the wall-clock limit was 50)
        self.assertIn("unstarved)", log)

    def test_spinning_guest_fails_after_its_stall(self):
        status, err, secs, _ = self.run_with(
            "print('booted')\nwhile True: pass",
            "--timeout", "60", "--silence", "50", "--stall", "1", "--expect", "booted", "--expect-exit")
        self.assertEqual(status, 1)
        self.assertIn("waiting for power-off", err)
        self.assertLess(secs, 45)

    def test_guest_that_keeps_talking_passes(self):
        status, err, _, _ = self.run_with(
            "import time\nfor i in range(5):\n    print('step', i); time.sleep(0.4)\nprint('DONE')",
            "--timeout", "60", "--silence", "50", "--stall", "1", "--expect", "DONE", "--expect-exit")
        self.assertEqual(status, 0, err)

    def test_wall_clock_silence_still_fails_without_stall(self):
        status, err, _, _ = self.run_with(
            "import time; print('booted'); time.sleep(60)",
            "--timeout", "60", "--silence", "1", "--expect", "DONE")
        self.assertEqual(status, 1)
        self.assertIn("no console output for 1 s, after 'booted', waiting for 'DONE'", err)


class EchoCheck(unittest.TestCase):
    """--echo-check against a fake emulator that serves the forwarded port itself."""

    SERVER = ("import socket, sys, time\n"
              "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
              "s.bind(('127.0.0.1', PORT)); s.listen(1); print('LISTENING', flush=True)\n"
              "c, _ = s.accept(); data = b''\n"
              "while True:\n"
              "    b = c.recv(65536)\n"
              "    if not b: break\n"
              "    data += b\n"
              "c.sendall(REPLY); c.close(); print('SERVED', len(data), flush=True); time.sleep(1)\n")

    def run_echo(self, reply, listen=True, check=("--echo-check", "LISTENING")):
        port = qemu_run.free_port()
        program = (self.SERVER.replace("PORT", str(port)).replace("REPLY", reply) if listen else
                   "import time; print('LISTENING', flush=True); time.sleep(1); print('SERVED')")
        saved = qemu_run.free_port
        qemu_run.free_port = lambda: port
        try:
            return FakeEmulator.run_with(self, program, "--timeout", "30", "--user-net",
                                         "10.0.2.15:7", *check,
                                         "--expect", "LISTENING", "--expect", "SERVED")
        finally:
            qemu_run.free_port = saved

    def test_echo_back_passes(self):
        status, err, _, _ = self.run_echo("data")
        self.assertEqual(status, 0, err)

    def test_other_bytes_fail(self):
        status, err, _, _ = self.run_echo("data[::-1]")
        self.assertEqual(status, 1)
        self.assertIn("not the same", err)

    def test_short_answer_fails(self):
        status, err, _, _ = self.run_echo("data[:100]")
        self.assertEqual(status, 1)
        self.assertIn("100 bytes back of 3000", err)

    def test_nothing_listening_fails(self):
        status, err, _, _ = self.run_echo("", listen=False)
        self.assertEqual(status, 1)
        self.assertIn("echo through 127.0.0.1:", err)

    def test_send_check_sends_every_byte_and_waits(self):
        # (the fake sink reads to the end, then closes: it prints how many bytes it had)
        status, err, _, log = self.run_echo("b''", check=("--send-check", "LISTENING",
                                                          "--send-bytes", "1000000"))
        self.assertEqual(status, 0, err)
        self.assertIn("SERVED 1000000", log)

    def test_send_check_nothing_listening_fails(self):
        status, err, _, _ = self.run_echo("", listen=False, check=("--send-check", "LISTENING"))
        self.assertEqual(status, 1)
        self.assertIn("send through 127.0.0.1:", err)

    def test_forward_is_restricted_and_local(self):
        args = qemu_run.argparse.Namespace(
            machine_opts=None, cpu=None, memory=None, smp=None, kernel=None, interactive=False,
            bios=None, initrd=None, append=None, icount=False, icount_skip_idle=False, log=None,
            user_net="10.0.2.15:7", host_port=4242, extra=[])
        board = {"MACHINE": "virt", "CPU": "max", "MEMORY": "1G", "SMP": "1", "QEMU": "qemu", "ARCH": "arm64"}
        cmd = qemu_run.qemu_command(board, args)
        netdev = cmd[cmd.index("-netdev") + 1]
        self.assertIn("restrict=on", netdev)
        self.assertIn("hostfwd=tcp:127.0.0.1:4242-10.0.2.15:7", netdev)
        args.user_net, args.extra = None, ["-netdev", "user,id=n0,hostfwd=tcp::5555-:22"]
        with self.assertRaises(SystemExit):
            qemu_run.qemu_command(board, args)
        args.extra = ["-netdev", "user,id=n0,restrict=on"]
        self.assertIn("user,id=n0,restrict=on", qemu_run.qemu_command(board, args))


class StarvationTest(unittest.TestCase):
    def test_reads_this_session(self):
        s = qemu_run.Starvation(os.getsid(0))
        self.assertTrue(s.delays)  # (this process is in it)
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            pass
        self.assertTrue(0.0 <= s.sample() <= 1.0)

    def test_nothing_readable_counts_nothing(self):
        s = qemu_run.Starvation(2**31 - 1)  # (no such session)
        self.assertIsNone(s.delays)
        self.assertEqual(s.sample(), 1.0)


if __name__ == "__main__":
    unittest.main()
