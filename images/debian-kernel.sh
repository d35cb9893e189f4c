#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Debian's own (stock, signed, distribution) kernel as a guest, from its package, with an initramfs
# that loads the virtio modules it needs and runs the project's init (its checks), cached in
# $KEEL_CACHE/images/debian-ARCH-<key>/:
#   Image (x86_64: bzImage)  the kernel from linux-image-<abi>-<flavour>, the package that Debian's
#                            meta-package (linux-image-arm64:arm64, linux-image-amd64) depends on;
#                            a gzip'd vmlinuz is unpacked (the VMM loads a raw Image)
#   config                   the package's /boot/config-<release>
#   initramfs.cpio           rootfs.sh's /init and busybox, plus the modules below under
#                            /lib/modules/<release>/ and their load order in /etc/keel-modules
#                            (the init loads them with finit_module before its checks)
#   modules                  the load order (dependencies first), package version, release
#   images/debian-kernel.sh ARCH [OUTDIR]   -> prints the output directory; with OUTDIR (named
#       ARCH: images/vm-initrd takes the architecture from it) also links the kernel, config,
#       initramfs.cpio, modules and the test disk (disk.sh) there
# The package is fetched with `apt-get download` (no installation: nothing of it goes into the
# host's /boot or /lib/modules) and unpacked with dpkg-deb; the entry is keyed by the package's
# name and version, so a new Debian kernel is fetched once and then found in the cache; the .deb
# stays in $KEEL_CACHE/images/debs/ (60 MB) so that a change to this recipe or to the init only
# unpacks it again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:?usage: debian-kernel.sh ARCH [OUTDIR]}
outdir=${2:-}
case $arch in
    # The virtio transport is a module: virtio-mmio on arm64; virtio-pci on x86_64 (Debian builds
    # no VIRTIO_MMIO_CMDLINE_DEVICES, so the x86 guests' command-line virtio-mmio devices are out).
    arm64)  meta=linux-image-arm64:arm64 kernel=Image   transport=virtio_mmio ;;
    x86_64) meta=linux-image-amd64       kernel=bzImage transport=virtio_pci ;;
    *) die "debian-kernel.sh: unknown ARCH '$arch' (arm64, x86_64)" ;;
esac
# The devices of the guests' checks: block, net, console, rng (their dependencies follow).
wanted=("$transport" virtio_blk virtio_net virtio_console virtio_rng)

# The concrete package the meta-package names and its version ("linux-image-6.1.0-57-arm64
# 6.1.192-3": the meta-package depends on exactly one version). apt-cache takes seconds where apt
# keeps no binary cache (Debian's container images), so its answer is kept, keyed by apt's lists:
# it changes only when they do (apt-get update).
resolve() {
    apt-cache show --no-all-versions "$meta" 2>/dev/null |
        sed -n 's/^Depends: .*\(linux-image-[^ ,]*\) (= \([^)]*\)).*$/\1 \2/p' | head -n 1
}
lists=$(ls -l --time-style=+%s /var/lib/apt/lists/ 2>/dev/null | sha256sum | cut -c1-16)
resolved="$cache_root/debian-resolved/$arch-$lists"
if [ ! -s "$resolved" ]; then
    mkdir -p "${resolved%/*}"
    resolve >"$resolved.tmp.$$" && mv "$resolved.tmp.$$" "$resolved"
fi
read -r pkg version <"$resolved" || true
[ -n "${pkg:-}" ] && [ -n "${version:-}" ] ||
    { rm -f "$resolved"; die "debian-kernel $arch: apt knows no $meta (run ci/setup: it adds arm64 and updates apt)"; }
case $pkg in *:*) ;; *) [ "$arch" = arm64 ] && pkg=$pkg:arm64 ;; esac
rootfs=$("$images_dir/rootfs.sh" "$arch")
k=$(key "$images_dir/debian-kernel.sh" "$pkg $version" "${wanted[*]}" "rootfs $(basename "$rootfs")")
out="$cache_root/debian-$arch-$k"

# modinfo_depends KO: the module's dependencies (its .modinfo "depends=", comma-separated). Read
# with readelf, which takes any architecture's ELF (the host has no kmod, and the package no
# modules.dep: depmod makes it on installation).
modinfo_depends() {
    readelf -p .modinfo "$1" | sed -n 's/.*depends=//p' | tr ',' ' '
}

build() {
    [ -f "$out/.done" ] && return 0
    local t0=$SECONDS work deb release mods m
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    work="$out.tmp/work"
    mkdir -p "$work"
    # The package itself is kept (debs/, one file per version): a change to this recipe or the
    # init does not fetch it again.
    deb="$cache_root/debs/${pkg%%:*}_${version//:/%3a}.deb"
    if [ ! -f "$deb" ]; then
        say "debian $arch: fetching $pkg $version (apt-get download)"
        mkdir -p "$work/dl" "${deb%/*}"
        (cd "$work/dl" && apt-get download -q "$pkg=$version" >download.log 2>&1) ||
            { cat "$work/dl/download.log" >&2; die "debian $arch: apt-get download $pkg=$version failed (no network, or apt's lists name a version the archive dropped: apt-get update as root)"; }
        mv "$(ls "$work"/dl/*.deb)" "$deb"
        say "debian $arch: $(basename "$deb") ($(stat -c %s "$deb") bytes) fetched in $((SECONDS - t0)) s"
    fi
    # Only the kernel, its config and the modules' tree are needed.
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './boot/*' './lib/modules/*' \
        './usr/lib/modules/*' 2>/dev/null || true
    local vmlinuz
    vmlinuz=$(ls "$work"/boot/vmlinuz-* 2>/dev/null | head -n 1)
    [ -n "$vmlinuz" ] || die "debian $arch: no /boot/vmlinuz-* in $(basename "$deb")"
    release=${vmlinuz##*/vmlinuz-}
    mods="$work/lib/modules/$release"
    [ -d "$mods" ] || mods="$work/usr/lib/modules/$release"
    [ -f "$mods/modules.order" ] || die "debian $arch: no modules.order for $release"
    if [ "$(head -c 2 "$vmlinuz" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
        gzip -dc "$vmlinuz" >"$out.tmp/$kernel"
    else
        cp "$vmlinuz" "$out.tmp/$kernel"
    fi
    cp "$work/boot/config-$release" "$out.tmp/config"

    # Load order: each wanted module after its dependencies (depth first), each once. Module
    # names treat - and _ alike (virtio-rng.ko is the module virtio_rng).
    declare -A path_of=() seen=()
    local rel name  # (no forks in this loop: it runs for every module of the kernel, thousands)
    while read -r rel; do
        name=${rel##*/}
        name=${name%.ko}
        path_of[${name//-/_}]=$rel
    done <"$mods/modules.order"
    local order=()
    visit() {
        local n=${1//-/_} d
        [ -n "${seen[$n]:-}" ] && return 0
        seen[$n]=1
        [ -n "${path_of[$n]:-}" ] || die "debian $arch: no module $n in $release (built in? then drop it from the list)"
        [ -f "$mods/${path_of[$n]}" ] || die "debian $arch: $release lists $n but has no ${path_of[$n]}"
        for d in $(modinfo_depends "$mods/${path_of[$n]}"); do
            visit "$d"
        done
        order+=("${path_of[$n]}")
    }
    for m in "${wanted[@]}"; do
        visit "$m"
    done

    # The initramfs: rootfs.sh's list (init, busybox, /dev/console, ...) plus the modules.
    local list="$out.tmp/initramfs.list" dir
    cp "$rootfs/initramfs.list" "$list"
    {
        echo "dir /etc 0755 0 0"
        echo "dir /lib 0755 0 0"
        echo "dir /lib/modules 0755 0 0"
        echo "dir /lib/modules/$release 0755 0 0"
        for m in "${order[@]}"; do
            dir=$(dirname "$m")
            while [ "$dir" != . ]; do
                echo "dir /lib/modules/$release/$dir 0755 0 0"
                dir=$(dirname "$dir")
            done
        done | sort -u
        mkdir -p "$out.tmp/lib"
        for m in "${order[@]}"; do
            cp "$mods/$m" "$out.tmp/lib/$(basename "$m")"
            echo "file /lib/modules/$release/$m $out.tmp/lib/$(basename "$m") 0644 0 0"
        done
        echo "file /etc/keel-modules $out.tmp/keel-modules 0644 0 0"
    } >>"$list"
    printf "/lib/modules/$release/%s\n" "${order[@]}" >"$out.tmp/keel-modules"
    {
        echo "# $pkg $version, release $release; load order:"
        printf '%s\n' "${order[@]}"
    } >"$out.tmp/modules"
    "$(gen_init_cpio)" -t 0 "$list" >"$out.tmp/initramfs.cpio"
    sed -i "s|$out.tmp/|$out/|" "$list"
    rm -rf "$work"
    rm -rf "$out" && mv "$out.tmp" "$out" && touch "$out/.done"
    say "debian $arch: $release ready in $((SECONDS - t0)) s (${#order[@]} modules: $(printf '%s ' "${order[@]##*/}")) -> $out"
}
with_lock "debian-$arch" build
if [ -n "$outdir" ]; then # the kernel, initramfs and the test disk (disk.sh) for images/vm-initrd
    disk=$("$images_dir/disk.sh")
    mkdir -p "$outdir"
    link() { ln -sfn "$1" "$outdir/$2.tmp" && mv -T "$outdir/$2.tmp" "$outdir/$2"; }
    for f in "$kernel" config initramfs.cpio modules; do
        link "$out/$f" "$f"
    done
    link "$disk/disk.img" disk.img
    link "$disk/disk.sha256" disk.sha256
fi
echo "$out"
