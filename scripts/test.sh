#!/usr/bin/env bash
# Install what is missing, build sbx with AddressSanitizer + UBSan and the
# fake OS hook, and run every test suite (unit, integration, escape) under
# ctest; then the Windows build, its tests running under Wine.
# Usage (as root, on Debian 12): scripts/test.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" --windows
build="$top/build-test"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DSBX_SANITIZE=ON -DSBX_FAKE_OS=ON
cmake --build "$build" -j"$(nproc)"
(cd "$build" && ctest --output-on-failure --timeout 900)
# The optimised build (what scripts/quickstart.sh makes) must compile too:
# -O2 sees warnings -O0 does not.
cmake -S "$top" -B "$top/build-release" -DCMAKE_BUILD_TYPE=Release -DSBX_TESTS=OFF >/dev/null
cmake --build "$top/build-release" -j"$(nproc)" >/dev/null
if [[ -x "$top/scripts/test-windows.sh" ]]; then
  "$top/scripts/test-windows.sh"
fi
