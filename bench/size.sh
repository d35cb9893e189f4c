#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Size of the privileged core in lines (non-blank, non-comment-only), generic and per architecture.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
count() { # files... -> lines that are not blank and not only a comment
    cat "$@" 2>/dev/null | grep -v -E '^\s*$|^\s*(//|/\*|\*|#\s)' | wc -l
}
generic=$(count $(find "$top/hyp/kern" "$top/hyp/drivers" "$top/hyp/include" -name '*.[chS]'))
printf '%-40s %16s  %s\n' "hyp-size-generic" "$generic" "lines"
for a in arm64 riscv64 x86_64; do
    n=$(count $(find "$top/hyp/arch/$a" -name '*.[chS]'))
    printf '%-40s %16s  %s\n' "hyp-size-arch-$a" "$n" "lines"
    printf '%-40s %16s  %s\n' "hyp-size-config-$a" "$((generic + n))" "lines"
done
