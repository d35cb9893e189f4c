@echo -off
# The UEFI shell's script on the x86_64 firmware test's disk (images/uefi-disk): a marker, then
# the firmware's own power-off (ACPI PM1 SLP_TYP 0, QEMU's soft off).
echo KEEL-UEFI-SHELL startup.nsh runs on x86_64
reset -s
