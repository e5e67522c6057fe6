#!/usr/bin/env bash
# Builds libfakev4l2.so (LD_PRELOAD fake V4L2 camera). Usage: build.sh [OUT_DIR]
# OUT_DIR defaults to <this folder>/.build. Rebuilds only when the source is newer.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT_DIR="${1:-${OUT_DIR:-$HERE/.build}}"
mkdir -p "$OUT_DIR"
LIB="$OUT_DIR/libfakev4l2.so"
if [[ ! -f "$LIB" || "$HERE/fake_v4l2.c" -nt "$LIB" || "${BASH_SOURCE[0]}" -nt "$LIB" ]]; then
    TMP="$LIB.tmp.$$"
    ${CC:-cc} -shared -fPIC -O2 -Wall -Wextra -o "$TMP" "$HERE/fake_v4l2.c" -ldl -lpthread
    mv -f "$TMP" "$LIB"
fi
echo "$LIB"
