#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what is missing, build sbx with AddressSanitizer + UBSan and the
# fake OS hook, and run every test suite (unit, integration, escape,
# lifecycle, recovery) under ctest; then the Windows build, its tests
# running under Wine.
#
# As root, every test must run and pass: a test that cannot run (exit 77,
# "skipped": no root, a missing kernel feature or tool) fails the test
# command (scripts/check-ctest.py), and every test source must be built
# into an executable that ctest runs, and every ctest test must run one
# (scripts/check-tests.py).  Skipping is only for a developer running
# ctest unprivileged by hand.
# Usage (as root, on Debian 12): scripts/test.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" --windows
# The include graph: no cycle, every arrow points down (docs/ARCHITECTURE.md).
"$top/scripts/check-includes.py"
"$top/scripts/check-spdx.py" "$top"
# The fuzz targets (launcher configuration and arguments, workspace
# paths, records, the network policy and HTTP heads, raw ACLs), a bounded
# time each on the committed corpus; clang builds them in build-fuzz.
SBX_FUZZ_SECONDS=${SBX_FUZZ_SECONDS:-30} "$top/scripts/fuzz.sh"
build="$top/build-test"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DSBX_SANITIZE=ON -DSBX_FAKE_OS=ON \
  -DSBX_WERROR=ON
cmake --build "$build" -j"$(nproc)"
# The list of test executables equals the list of test sources (before the
# long run: a suite that would not run fails at once).
"$top/scripts/check-tests.py" "$build"
# Two at a time: every suite that changes the machine's accounts, groups
# or nft tables holds RESOURCE_LOCK sbx-elevated-machine, so those run one
# after the other, while the unit tests (fake OS) and the run_* tests (the
# caller's sandbox, temporary directories) run beside them.
junit="$build/ctest-junit.xml"
rm -f "$junit"
(cd "$build" && ctest -j2 --output-on-failure --timeout 900 --output-junit "$junit")
# ctest exits 0 when tests were skipped or disabled: none may be.
"$top/scripts/check-ctest.py" "$junit" "$build"
# The optimised build, tests included (what a packager types first), must
# compile without a warning: -O2 sees warnings -O0 does not.
cmake -S "$top" -B "$top/build-release" -DCMAKE_BUILD_TYPE=Release -DSBX_WERROR=ON >/dev/null
cmake --build "$top/build-release" -j"$(nproc)" >/dev/null
# And with clang (scripts/fuzz.sh installed clang-14): its warnings differ.
cmake -S "$top" -B "$top/build-clang" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=Release \
  -DSBX_WERROR=ON >/dev/null
cmake --build "$top/build-clang" -j"$(nproc)" >/dev/null
# Installed into a fresh prefix, the build tree gone: unelevated and
# elevated runs from the prefix alone, and a cleanup with no residue.
"$top/scripts/test-install.sh"
# The Debian package: built, installed with apt, used in both modes, purged
# (its prerm runs sbx cleanup) without residue.
"$top/scripts/test-deb.sh"
"$top/scripts/test-windows.sh"
"$top/scripts/check-tests.py" "${SBX_WIN_BUILD:-$top/build-win}"
