#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ci/qemu_run.py's verdicts on a hung run, with a small Python program in the emulator's place:
--stall fails a guest that says nothing, idle or spinning, after that many seconds of its own time
and names the marker it waited for; a run that keeps talking, or ends, passes; the run-queue delay
of the emulator's threads is read (Starvation), and where it cannot be, --stall counts nothing."""
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
