initrd \initramfs.cpio
\Image console=ttyAMA0 keel.test=1
