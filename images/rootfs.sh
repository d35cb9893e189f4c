#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the guest root file system for ARCH as an initramfs (newc cpio, uncompressed), cached in
# $KEEL_CACHE/images/rootfs-ARCH-<key>/:
#   init            images/init/*.c, static, glibc from libc6-dev-<arch>-cross, -Wall -Wextra -Werror
#   initramfs.cpio  /init, /dev/console, empty /proc /sys /tmp, and on arm64 (and x86_64 when the
#                   package is there) Debian's static busybox as /bin/busybox with /bin/sh
#   images/rootfs.sh ARCH   -> prints the output directory
# The archive is made by the kernel's own gen_init_cpio (from linux-source) with every timestamp
# zero, so the same inputs give the same bytes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:?usage: rootfs.sh ARCH}
case $arch in
    arm64)   cc=aarch64-linux-gnu-gcc libc=libc6-dev-arm64-cross   bbpkg=busybox-static:arm64 ;;
    riscv64) cc=riscv64-linux-gnu-gcc libc=libc6-dev-riscv64-cross bbpkg= ;;  # Debian 12 has none
    x86_64)  cc=x86_64-linux-gnu-gcc  libc=libc6-dev               bbpkg=busybox-static:amd64 ;;
    *) die "rootfs.sh: unknown ARCH '$arch' (arm64, riscv64, x86_64)" ;;
esac
command -v "$cc" >/dev/null || die "no $cc: run ci/setup"

busybox=
if [ -n "$bbpkg" ] && [ "$(pkg_version "$bbpkg")" != none ]; then
    busybox=$(dpkg -L "$bbpkg" | grep -E '^/(usr/)?bin/busybox$' | head -n 1)
fi

sources=("$images_dir"/init/*.c "$images_dir"/init/*.h)
cflags=(-std=gnu11 -O2 -static -Wall -Wextra -Werror -Wshadow -Wvla -Wstrict-prototypes \
        -Wmissing-prototypes -Wundef)
k=$(key "${sources[@]}" "$images_dir/rootfs.sh" "${cflags[*]}" "$($cc --version | head -n 1)" \
        "$libc $(pkg_version "$libc")" "busybox ${bbpkg:-none} $([ -n "$busybox" ] && pkg_version "$bbpkg")" \
        "linux-source $(linux_version)")
out="$cache_root/rootfs-$arch-$k"

build() {
    [ -f "$out/.done" ] && return 0
    local t0=$SECONDS
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    say "rootfs $arch: init ($cc, static)${busybox:+ + busybox from $bbpkg}"
    "$cc" "${cflags[@]}" -o "$out.tmp/init" "$images_dir"/init/*.c
    if [ -n "$busybox" ] && ! file -L "$busybox" | grep -q "statically linked"; then
        die "rootfs $arch: $busybox is not a static binary"
    fi

    {
        echo "dir /dev 0755 0 0"
        echo "nod /dev/console 0600 0 0 c 5 1"
        echo "dir /proc 0755 0 0"
        echo "dir /sys 0755 0 0"
        echo "dir /tmp 1777 0 0"
        echo "dir /root 0700 0 0"
        echo "dir /bin 0755 0 0"
        echo "dir /sbin 0755 0 0"
        echo "file /init $out.tmp/init 0755 0 0"
        if [ -n "$busybox" ]; then
            echo "file /bin/busybox $busybox 0755 0 0"
            echo "slink /bin/sh busybox 0777 0 0"
        fi
    } >"$out.tmp/initramfs.list"
    "$(gen_init_cpio)" -t 0 "$out.tmp/initramfs.list" >"$out.tmp/initramfs.cpio"
    sed -i "s|$out.tmp/|$out/|" "$out.tmp/initramfs.list"
    rm -rf "$out" && mv "$out.tmp" "$out" && touch "$out/.done"
    say "rootfs $arch: done in $((SECONDS - t0)) s ($(stat -c %s "$out/initramfs.cpio") bytes) -> $out"
}
with_lock "rootfs-$arch" build
echo "$out"
