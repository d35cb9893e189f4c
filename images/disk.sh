#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the test disk: SIZE MiB (default 4) of deterministic pseudo-random bytes (SHA-256 in
# counter mode over a fixed seed), with its SHA-256 computed here by sha256sum (an implementation
# independent of the guest init's, which checks it), cached in $KEEL_CACHE/images/disk-<key>/:
#   disk.img  disk.sha256 (the hex digest alone)
#   images/disk.sh [SIZE_MIB]   -> prints the output directory
set -euo pipefail
. "$(dirname "$0")/lib.sh"

size_mib=${1:-4}
seed="keel test disk v1"
k=$(key "$images_dir/disk.sh" "size $size_mib MiB" "seed $seed")
out="$cache_root/disk-$k"

build() {
    [ -f "$out/.done" ] && return 0
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    python3 - "$out.tmp/disk.img" "$size_mib" "$seed" <<'PY'
import hashlib, sys
path, mib, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
with open(path, "wb") as f:
    for chunk in range(mib * 16):                     # 64 KiB at a time
        f.write(b"".join(hashlib.sha256(seed + (chunk * 2048 + i).to_bytes(8, "little")).digest()
                         for i in range(2048)))
PY
    sha256sum "$out.tmp/disk.img" | cut -d' ' -f1 >"$out.tmp/disk.sha256"
    rm -rf "$out" && mv "$out.tmp" "$out" && touch "$out/.done"
    say "disk: $size_mib MiB, sha256 $(cat "$out/disk.sha256") -> $out"
}
with_lock disk build
echo "$out"
