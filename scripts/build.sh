#!/bin/bash
# build.sh - configure (once) and build qwikvirt with meson + ninja.
#
#   scripts/build.sh [BUILD_DIR] [meson options...]   (default build dir: build)
#   scripts/build.sh build-asan -Dsanitize=true       (AddressSanitizer + UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
shift || true
if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" "$@"
elif [ $# -gt 0 ]; then
    meson configure "$BUILD" "$@"
fi
ninja -C "$BUILD"
