#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tools/keel-image on small trees in a temporary folder: the boot modules of a system built from
paths (the cpio's names and bytes, the trees' properties rewritten to module names), and each
error: a missing file, two different files under one module name, a tree dtc cannot compile, a VM
tree, a Linux kernel and a program for another architecture."""
import pathlib, struct, subprocess, sys, tempfile, unittest

TOOL = pathlib.Path(__file__).resolve().parent.parent / "keel-image"


def elf(machine):
    """The first bytes of a 64-bit little-endian ELF file for MACHINE (all keel-image reads)."""
    return b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HH", 2, machine) + bytes(44)


def linux_image(magic):
    return bytes(56) + magic + bytes(200)


def read_cpio(data):
    files, p = {}, 0
    while True:
        assert data[p:p + 6] == b"070701", f"no newc header at {p}"
        f = [int(data[p + 6 + 8 * i:p + 14 + 8 * i], 16) for i in range(13)]
        size, nsize = f[6], f[11]
        name = data[p + 110:p + 110 + nsize - 1].decode()
        p = (p + 110 + nsize + 3) & ~3
        if name == "TRAILER!!!":
            return files
        files[name] = data[p:p + size]
        p = (p + size + 3) & ~3


def fdtget(blob, node, prop):
    with tempfile.NamedTemporaryFile(suffix=".dtb") as f:
        f.write(blob)
        f.flush()
        return subprocess.run(["fdtget", f.name, node, prop], check=True, stdout=subprocess.PIPE,
                              text=True).stdout.strip()


SYSTEM = """/dts-v1/;
/ {
    compatible = "keel,system";
    programs {
        vm1 { image = "vmm"; args = "vms/guest.dts"; keel,boot-modules; };
%s    };
};
"""

ARM64_VM = """/dts-v1/;
/ {
    compatible = "linux,dummy-virt";
    chosen {
        keel,linux = "%s";
        keel,initrd = "initramfs.cpio";
    };
    cpus { cpu@0 { device_type = "cpu"; compatible = "arm,cortex-a72"; reg = <0>; }; };
    virtio_mmio@a000000 { compatible = "virtio,mmio"; keel,device = "blk"; keel,disk = "%s"; };
};
"""

RISCV_VM = """/dts-v1/;
/ {
    compatible = "riscv-virtio";
    chosen { keel,linux = "Image"; };
    cpus { cpu@0 { device_type = "cpu"; compatible = "riscv"; reg = <0>; }; };
};
"""


class KeelImage(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = d = pathlib.Path(self.tmp.name)
        # The build's programs and files on a search path folder; the user's files beside the trees.
        (d / "build").mkdir()
        (d / "build" / "root").write_bytes(elf(183) + b"root task")
        (d / "build" / "vmm").write_bytes(elf(183) + b"vmm")
        (d / "build" / "initramfs.cpio").write_bytes(b"initramfs")
        (d / "sys" / "vms").mkdir(parents=True)
        (d / "sys" / "kernels").mkdir()
        (d / "sys" / "kernels" / "Image").write_bytes(linux_image(b"ARM\x64") + b"mine")
        (d / "disk.img").write_bytes(b"disk" * 100)
        self.write("vms/guest.dts", ARM64_VM % ("../kernels/Image", d / "disk.img"))
        self.write("system.dts", SYSTEM % "")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        (self.dir / "sys" / name).write_text(text)

    def run_tool(self, arch="arm64", *extra):
        out = self.dir / "out.cpio"
        r = subprocess.run([sys.executable, str(TOOL), "--arch", arch, "--path", str(self.dir / "build"),
                            "--build-root", str(self.dir / "nobuild"), "--out", str(out),
                            "--programs", str(self.dir / "programs"), *extra,
                            str(self.dir / "sys" / "system.dts")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return r, out

    def fails_with(self, *needles, arch="arm64"):
        r, out = self.run_tool(arch)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        for n in needles:
            self.assertIn(n, r.stderr)
        self.assertFalse(out.exists(), "no cpio after an error")
        return r.stderr

    def test_system_from_paths(self):
        r, out = self.run_tool()
        self.assertEqual(r.returncode, 0, r.stderr)
        files = read_cpio(out.read_bytes())
        self.assertEqual(sorted(files), ["Image", "disk.img", "guest.dtb", "initramfs.cpio", "root",
                                         "system.dtb", "vmm"])
        self.assertEqual(files["Image"], (self.dir / "sys" / "kernels" / "Image").read_bytes())
        self.assertEqual(files["disk.img"], (self.dir / "disk.img").read_bytes())
        self.assertEqual(files["initramfs.cpio"], b"initramfs")
        self.assertEqual(files["root"], (self.dir / "build" / "root").read_bytes())
        # Inside the system every file is named by its module name.
        self.assertEqual(fdtget(files["system.dtb"], "/programs/vm1", "args"), "guest.dtb")
        self.assertEqual(fdtget(files["system.dtb"], "/programs/vm1", "image"), "vmm")
        self.assertEqual(fdtget(files["guest.dtb"], "/chosen", "keel,linux"), "Image")
        self.assertEqual(fdtget(files["guest.dtb"], "/chosen", "keel,initrd"), "initramfs.cpio")
        self.assertEqual(fdtget(files["guest.dtb"], "/virtio_mmio@a000000", "keel,disk"), "disk.img")
        self.assertEqual(fdtget(files["guest.dtb"], "/virtio_mmio@a000000", "keel,device"), "blk")
        self.assertEqual((self.dir / "programs").read_text(), "vm1\n")
        # The same inputs, the same bytes.
        first = out.read_bytes()
        self.assertEqual(self.run_tool()[0].returncode, 0)
        self.assertEqual(out.read_bytes(), first)

    def test_same_file_twice_is_one_module(self):
        self.write("system.dts", SYSTEM % '        vm2 { image = "vmm"; args = "vms/guest.dts"; };\n')
        r, out = self.run_tool()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((self.dir / "programs").read_text(), "vm1\nvm2\n")
        self.assertEqual(len(read_cpio(out.read_bytes())), 7)

    def test_missing_file(self):
        self.write("vms/guest.dts", ARM64_VM % ("../kernels/Image", "nowhere.img"))
        err = self.fails_with('guest.dts: /virtio_mmio@a000000 keel,disk: no file "nowhere.img"',
                              str(self.dir / "sys" / "vms" / "nowhere.img"),
                              str(self.dir / "build" / "nowhere.img"))
        self.assertNotIn("Traceback", err)

    def test_missing_vm_tree(self):
        self.write("system.dts", SYSTEM % '        vm2 { image = "vmm"; args = "other.dtb"; };\n')
        self.fails_with('/programs/vm2 args: no file "other.dtb"', "other.dts")

    def test_two_files_one_module_name(self):
        (self.dir / "sys" / "other").mkdir()
        (self.dir / "sys" / "other" / "Image").write_bytes(linux_image(b"ARM\x64") + b"theirs")
        self.write("vms/second.dts", ARM64_VM % ("../other/Image", "../../disk.img"))
        self.write("system.dts", SYSTEM % '        vm2 { image = "vmm"; args = "vms/second.dts"; };\n')
        self.fails_with('two different files under the module name "Image"',
                        str(self.dir / "sys" / "kernels" / "Image"), "/chosen keel,linux",
                        str(self.dir / "sys" / "other" / "Image"))

    def test_tree_that_does_not_compile(self):
        self.write("vms/guest.dts", "/dts-v1/;\n/ {\n    chosen { keel,linux = \"Image\" };\n};\n")
        self.fails_with("guest.dts does not compile", "syntax error", "/programs/vm1 args")

    def test_vm_tree_for_another_arch(self):
        (self.dir / "build" / "Image").write_bytes(linux_image(b"RSC\x05"))
        self.write("vms/guest.dts", RISCV_VM)
        self.fails_with('guest.dts is a VM tree for riscv64 (/ compatible "riscv-virtio"), the system '
                        "is for arm64", "/programs/vm1 args")

    def test_linux_kernel_for_another_arch(self):
        (self.dir / "sys" / "kernels" / "Image").write_bytes(linux_image(b"RSC\x05"))
        self.fails_with("/chosen keel,linux", "is a riscv64 Linux kernel, the system is for arm64")

    def test_program_for_another_arch(self):
        (self.dir / "build" / "vmm").write_bytes(elf(243))
        self.fails_with("/programs/vm1 image", "is an ELF file for riscv64, the system is for arm64")
        (self.dir / "build" / "vmm").write_bytes(b"#!/bin/sh\n")
        self.fails_with("/programs/vm1 image", "is not an ELF file")


if __name__ == "__main__":
    unittest.main(verbosity=2)
