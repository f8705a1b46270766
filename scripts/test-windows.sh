#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the Windows target (mingw-w64 cross build) and run its tests under
# Wine.  Installs what it needs with apt on a fresh Debian 12 machine.
#
#   scripts/test-windows.sh            (build dir: build-win, or $SBX_WIN_BUILD)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${SBX_WIN_BUILD:-$here/build-win}
jobs=$(nproc 2>/dev/null || echo 2)

need=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 wine wine64 tcl dpkg-dev cmake make
      pkg-config xz-utils)
missing=()
for p in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "test-windows: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

"$here/scripts/build-mingw-deps.sh" "$build/deps"

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSBX_WERROR=ON \
    -DCMAKE_TOOLCHAIN_FILE="$here/cmake/toolchain-mingw64.cmake" \
    -DSBX_MINGW_DEPS="$build/deps" >/dev/null
cmake --build "$build" -j"$jobs"

export WINEDEBUG=-all
ctest --test-dir "$build" --output-on-failure -j"$jobs"
# Leave no wineserver behind (it would outlive the CI step).
WINEPREFIX="$build/wineprefix" wineserver -k 2>/dev/null || true
