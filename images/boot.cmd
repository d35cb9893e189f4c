# SPDX-License-Identifier: MIT
# U-Boot script (boot.scr on the boot disk): loads the FIT next to it and boots its default
# configuration (Keel, boot modules, board device tree). U-Boot's distro boot finds this script on
# the first bootable partition and sets devtype, devnum, distro_bootpart and prefix.
# images/bootimage.py fills in @FIT_ADDR@ (RAM base + 128 MiB).
echo "keel: loading ${prefix}keel.fit from ${devtype} ${devnum}:${distro_bootpart}"
load ${devtype} ${devnum}:${distro_bootpart} @FIT_ADDR@ ${prefix}keel.fit
bootm @FIT_ADDR@
echo "keel: bootm failed"
