@echo -off
# The UEFI shell's script on the arm64 firmware test's disk (images/uefi-disk): prove a variable
# survives a reset of the VM (the flash store), then boot the images/ kernel through its EFI
# stub. (arm64's stub has no initrd= loader: the shell's initrd command serves it.)
echo KEEL-UEFI-SHELL startup.nsh runs
setvar KeelBoots -guid 4b454554-0000-4000-8000-000000000001
if %lasterror% == 0 then
  echo KEEL-UEFI-VAR found after the reset
  initrd \initramfs.cpio
  \Image console=ttyAMA0 keel.test=1 keel.cpus=2 keel.blk=@DISK_SHA256@ keel.blkdev=/dev/vdb keel.rng=1 keel.hvc=1
  echo KEEL-UEFI-LINUX-RETURNED
  reset -s
endif
setvar KeelBoots -guid 4b454554-0000-4000-8000-000000000001 -nv -bs -rt =L"1"
echo KEEL-UEFI-VAR written
reset
