#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds a Linux guest kernel for ARCH from Debian's linux-source and the config fragments in
# images/linux/ (on top of allnoconfig), cached in $KEEL_CACHE/images/linux-ARCH-<key>/.
#   images/linux.sh ARCH       (ARCH: arm64, riscv64, x86_64) -> prints the output directory
# The key hashes the source package version, the fragments, this script and the cross toolchain;
# when an output with that key exists nothing is built. The output directory holds the kernel
# (Image, or bzImage on x86_64), the final .config as `config`, the build log and build-time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:?usage: linux.sh ARCH}
case $arch in
    arm64)   karch=arm64   cross=aarch64-linux-gnu- target=Image   image=arch/arm64/boot/Image ;;
    riscv64) karch=riscv   cross=riscv64-linux-gnu- target=Image   image=arch/riscv/boot/Image ;;
    x86_64)  karch=x86_64  cross=x86_64-linux-gnu-  target=bzImage image=arch/x86/boot/bzImage ;;
    *) die "linux.sh: unknown ARCH '$arch' (arm64, riscv64, x86_64)" ;;
esac
command -v "${cross}gcc" >/dev/null || die "no ${cross}gcc: run ci/setup"

fragments=("$images_dir/linux/common.config" "$images_dir/linux/$arch.config")
k=$(key "linux-source $(linux_version)" "${fragments[@]}" "$images_dir/linux.sh" \
        "$("${cross}gcc" --version | head -n 1)" "$("${cross}ld" --version | head -n 1)")
out="$cache_root/linux-$arch-$k"

build() {
    [ -f "$out/.done" ] && return 0
    local src obj t0 steps expect last n line
    t0=$SECONDS
    src=$(with_lock src linux_source)
    obj="$cache_root/obj/linux-$arch"       # kept between keys: a changed fragment rebuilds little
    rm -rf "$out.tmp" && mkdir -p "$obj" "$out.tmp"
    local mk=(make -C "$src" O="$obj" ARCH="$karch" CROSS_COMPILE="$cross" -j"$(nproc)"
              KBUILD_BUILD_USER=keel KBUILD_BUILD_HOST=keel KBUILD_BUILD_VERSION=1
              KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970")

    # allnoconfig with the fragments forced on, then check that every fragment line took effect
    # (a symbol whose dependencies are missing would be dropped silently otherwise).
    cat "${fragments[@]}" >"$obj/keel.fragment"
    "${mk[@]}" KCONFIG_ALLCONFIG="$obj/keel.fragment" allnoconfig >"$out.tmp/config.log" 2>&1 ||
        { tail -n 20 "$out.tmp/config.log" >&2; die "linux $arch: allnoconfig failed"; }
    local bad=0 sym want
    while read -r line; do
        case $line in
            CONFIG_*=*) sym=${line%%=*} want=$line ;;
            "# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want=$line ;;
            *) continue ;;
        esac
        if ! grep -qxF "$want" "$obj/.config"; then
            if [ "${want#\#}" != "$want" ] && ! grep -q "^$sym=" "$obj/.config"; then continue; fi
            say "linux $arch: fragment line '$want' not in the final config (got: $(grep -E "^($sym=|# $sym )" "$obj/.config" || echo unset))"
            bad=1
        fi
    done < <(cat "${fragments[@]}")
    [ $bad -eq 0 ] || die "linux $arch: config fragments do not apply (see above)"

    # The build, with a progress line every 15 s (steps counted against the previous build's).
    expect=$(cat "$cache_root/obj/linux-$arch.steps" 2>/dev/null || echo "?")
    say "linux $arch: building $(linux_version) ($target, key $k, $(nproc) jobs; log $out.tmp/build.log)"
    steps=0 last=$SECONDS
    set +e
    "${mk[@]}" "$target" 2>&1 | while IFS= read -r line; do
        printf '%s\n' "$line" >>"$out.tmp/build.log"
        case $line in "  "[A-Z]*) steps=$((steps + 1)) ;; esac
        if [ $((SECONDS - last)) -ge 15 ]; then
            last=$SECONDS
            say "linux $arch: $steps/~$expect build steps, $((SECONDS - t0)) s"
        fi
        echo "$steps" >"$out.tmp/steps"
    done
    n=("${PIPESTATUS[@]}")
    set -e
    if [ "${n[0]}" -ne 0 ]; then
        tail -n 30 "$out.tmp/build.log" >&2
        die "linux $arch: build failed (log $out.tmp/build.log)"
    fi
    cp "$obj/$image" "$out.tmp/$(basename "$image")"
    cp "$obj/.config" "$out.tmp/config"
    cp "$out.tmp/steps" "$cache_root/obj/linux-$arch.steps"
    echo "$((SECONDS - t0))" >"$out.tmp/build-time"
    rm -rf "$out" && mv "$out.tmp" "$out" && touch "$out/.done"
    say "linux $arch: done in $((SECONDS - t0)) s -> $out"
}
with_lock "linux-$arch" build
echo "$out"
