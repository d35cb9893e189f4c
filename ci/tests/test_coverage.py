#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ci/coverage's reading of QEMU's -d in_asm logs (the formats of arm64, riscv64 and x86_64,
whose long instructions go on in a line of bytes alone), its rule that a block counts for an ELF
only with that ELF's addresses and bytes, the rows of its table, and ci/qemu_run.py's options:
none without KEEL_COVERAGE_DIR."""
import importlib.machinery, os, pathlib, tempfile, types, unittest

CI = pathlib.Path(__file__).resolve().parent.parent
cov = importlib.machinery.SourceFileLoader("coverage_tool", str(CI / "coverage")).load_module()
qemu_run = importlib.machinery.SourceFileLoader("qemu_run", str(CI / "qemu_run.py")).load_module()

LOG = """----------------
IN: 
0x40200000:  14000010  b        #0x40200040

----------------
IN: 
Priv: 1; Virt: 0
0xffffffc080200078:  0006c117          auipc                   sp,442368               # 0x1
0xffffffc08020007c:  8526              mv                      a0,s1

----------------
IN: 
0xffffffff8010dde2:  bf f8 03 00 00           movl     $0x3f8, %edi
0xffffffff8010dde7:  48 c7 05 2e 62 03 00 f8  movq     $0x3f8, 0x3622e(%rip)
0xffffffff8010ddef:  03 00 00 
0xffffffff8010ddf2:  48 c1 e3 2f              shlq     $0x2f, %rbx
"""


def fake_elf(arch, name, insns, alias=0):
    e = cov.Elf.__new__(cov.Elf)
    e.arch, e.path, e.insns, e.alias, e.executed = arch, pathlib.Path(name), insns, alias, set()
    e.lo, e.hi = min(insns), max(insns) + 16
    return e


class Coverage(unittest.TestCase):
    def blocks(self):
        with tempfile.NamedTemporaryFile("w", suffix=".in_asm", delete=False) as f:
            f.write(LOG)
        try:
            return list(cov.read_blocks(f.name))
        finally:
            os.unlink(f.name)

    def test_blocks_of_each_architecture(self):
        b = self.blocks()
        self.assertEqual(b[0], [(0x40200000, "14000010")])
        self.assertEqual(b[1], [(0xffffffc080200078, "0006c117"), (0xffffffc08020007c, "8526")])
        self.assertEqual(b[2], [(0xffffffff8010dde2, "bff8030000"),
                                (0xffffffff8010dde7, "48c7052e620300f8030000"),
                                (0xffffffff8010ddf2, "48c1e32f")])

    def test_block_counts_only_with_the_elfs_bytes(self):
        x86 = self.blocks()[2]
        insns = {0xffffffff8010dde2: ("bff8030000", "mov", ""),
                 0xffffffff8010dde7: ("48c7052e620300f8030000", "movq", ""),
                 0xffffffff8010ddf2: ("48c1e32f", "shl", "")}
        self.assertTrue(fake_elf("x86_64", "keel.elf", insns).take(x86))
        other = {**insns, 0xffffffff8010ddf2: ("48c1e330", "shl", "")}
        e = fake_elf("x86_64", "keel.elf", other)
        self.assertFalse(e.take(x86))  # one instruction differs: another program's code
        self.assertEqual(e.executed, set())
        shifted = {a + 1: v for a, v in insns.items()}
        self.assertFalse(fake_elf("x86_64", "keel.elf", shifted).take(x86))

    def test_boot_code_at_its_physical_address(self):
        e = fake_elf("riscv64", "keel.elf", {0xffffffc080200000: ("8082", "ret", "")},
                     alias=0xffffffc000000000)
        self.assertTrue(e.take([(0x80200000, "8082")]))
        self.assertEqual(e.executed, {0xffffffc080200000})

    def test_rows(self):
        self.assertEqual(cov.folder_of("hyp/kern/ipc.c"), "hyp/kern")
        self.assertEqual(cov.folder_of("hyp/arch/arm64/include/arch/cpu.h"), "hyp/arch/arm64")
        self.assertEqual(cov.folder_of("vmm/arch/riscv64/sbi.c"), "vmm/arch/riscv64")
        self.assertEqual(cov.folder_of("vmm/dev/uart_pl011.c"), "vmm")
        self.assertIsNone(cov.folder_of("vmm/tests/test_vmm_pl011.c"))
        self.assertIsNone(cov.folder_of("hyp/arch/fake/pt.c"))
        self.assertIsNone(cov.folder_of("lib/c/src/format.c"))
        self.assertEqual(cov.rows_of("hyp/arch/x86_64/vcpu_svm.c"),
                         ("hyp/arch/x86_64", cov.NO_VMX_ROW))
        self.assertEqual(cov.rows_of("hyp/arch/x86_64/vmx.c"), ("hyp/arch/x86_64",))

    def test_union_counts_the_targets_lines(self):
        qemu, host = cov.Coverage("QEMU arm64"), cov.Coverage("host unit tests (gcov)")
        qemu.add_line("hyp/kern/ipc.c", 10, True)
        qemu.add_line("hyp/kern/ipc.c", 12, False)
        host.add_line("hyp/kern/ipc.c", 11, False)  # no code at -O2: not a line of the union
        host.add_line("hyp/kern/ipc.c", 12, True)
        host.add_line("vmm/tests_only.c", 3, False)  # a file the target does not build: kept
        total = cov.union([qemu, host])
        self.assertEqual(total.lines, {("hyp/kern/ipc.c", 10): True, ("hyp/kern/ipc.c", 12): True,
                                       ("vmm/tests_only.c", 3): False})

    def test_qemu_run_adds_nothing_without_the_variable(self):
        args = types.SimpleNamespace(interactive=False, log="/b/host/logs/ktest/arm64-smp1.log")
        board = {"ARCH": "arm64"}
        os.environ.pop("KEEL_COVERAGE_DIR", None)
        self.assertEqual(qemu_run.coverage_options(board, args), [])
        with tempfile.TemporaryDirectory() as d:
            os.environ["KEEL_COVERAGE_DIR"] = d
            try:
                self.assertEqual(qemu_run.coverage_options(board, args),
                                 ["-d", "in_asm", "-D", f"{d}/ktest-arm64-smp1.arm64.in_asm"])
                pathlib.Path(d, "arm64.dfilter").write_text("0x40200000+0x100\n")
                self.assertEqual(qemu_run.coverage_options(board, args)[-2:],
                                 ["-dfilter", "0x40200000+0x100"])
            finally:
                del os.environ["KEEL_COVERAGE_DIR"]


if __name__ == "__main__":
    unittest.main()
