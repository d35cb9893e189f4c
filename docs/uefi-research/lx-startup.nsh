\bzImage console=ttyS0 initrd=\initramfs.cpio keel.test=1
