# SPDX-License-Identifier: MIT
# Shared by the images/ recipes (sourced, not run): the cache, input hashing, locking, progress.
#   KEEL_CACHE (default ~/.cache/keel): outputs live in $KEEL_CACHE/images/<name>-<arch>-<key>/.

images_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${KEEL_CACHE:-${HOME:-/var/tmp}/.cache/keel}/images

say() { echo "images: $*" >&2; }
die() { echo "images: ERROR: $*" >&2; exit 1; }

# The linux-source tarball Debian installs and its package version (the source's identity).
linux_tarball() {
    local t
    t=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
    [ -n "$t" ] || die "no /usr/src/linux-source-*.tar.xz: run ci/setup"
    echo "$t"
}
linux_version() { dpkg-query -W -f='${Version}' "$(basename "$(linux_tarball)" .tar.xz)"; }

# Version of a package, or "none".
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }

# key TEXT...: a short hash of everything that determines an output. Arguments are either files
# (hashed by content, with their name) or literal strings.
key() {
    local a
    for a in "$@"; do
        if [ -f "$a" ]; then
            printf 'file %s\n' "$(basename "$a")"
            cat "$a"
        else
            printf 'text %s\n' "$a"
        fi
    done | sha256sum | cut -c1-16
}

# with_lock NAME CMD...: runs CMD while holding a lock in the cache (parallel builds from two
# checkouts share one cache).
with_lock() {
    local name=$1; shift
    mkdir -p "$cache_root/locks"
    (
        flock 9
        "$@"
    ) 9>"$cache_root/locks/$name.lock"
}

# Extracts the linux-source tarball once per package version; prints the tree's path.
linux_source() {
    local version src tarball
    version=$(linux_version)
    src="$cache_root/src/linux-$version"
    if [ ! -f "$src/.done" ]; then
        tarball=$(linux_tarball)
        say "extracting $(basename "$tarball") ($version) into $src"
        rm -rf "$src" && mkdir -p "$src"
        tar -xJf "$tarball" -C "$src" --strip-components=1
        touch "$src/.done"
    fi
    echo "$src"
}

# gen_init_cpio, built from the same linux-source (a host tool, cached per source version); prints
# its path.
gen_init_cpio() {
    local src tools
    tools="$cache_root/tools-$(linux_version)"
    if [ ! -x "$tools/gen_init_cpio" ]; then
        src=$(with_lock src linux_source)
        mkdir -p "$tools"
        cc -O2 -o "$tools/gen_init_cpio.tmp.$$" "$src/usr/gen_init_cpio.c"
        mv "$tools/gen_init_cpio.tmp.$$" "$tools/gen_init_cpio"
    fi
    echo "$tools/gen_init_cpio"
}
