@echo -off
# The UEFI shell's script on the x86_64 firmware test's disk (images/uefi-disk): prove a variable
# survives a reset of the VM (OVMF's flash store, reset through port 0xcf9), then boot the images/
# kernel through its EFI stub (which loads the initrd= file itself); it must not come back. The
# firmware's own power-off (ACPI PM1 SLP_TYP 0, QEMU's soft off) if it does.
echo KEEL-UEFI-SHELL startup.nsh runs on x86_64
setvar KeelBoots -guid 4b454554-0000-4000-8000-000000000001
if %lasterror% == 0 then
  echo KEEL-UEFI-VAR found after the reset
  \bzImage console=ttyS0 initrd=\initramfs.cpio keel.test=1 keel.cpus=2 keel.blk=@DISK_SHA256@ keel.blkdev=/dev/vdb keel.rng=1 keel.hvc=1 keel.rtc=1
  echo KEEL-UEFI-LINUX-RETURNED
  reset -s
endif
setvar KeelBoots -guid 4b454554-0000-4000-8000-000000000001 -nv -bs -rt =L"1"
echo KEEL-UEFI-VAR written
reset
