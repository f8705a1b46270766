#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what is missing, build sbx (release), and run it with the given
# arguments; with none, show the sandbox at work on a scratch workspace.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
cmake -S "$top" -B "$top/build-release" -DCMAKE_BUILD_TYPE=Release -DSBX_TESTS=OFF >/dev/null
cmake --build "$top/build-release" -j"$(nproc)" >/dev/null
sbx="$top/build-release/cli/sbx"
if (($#)); then
  exec "$sbx" "$@"
fi
ws=$(mktemp -d /tmp/sbx-demo-XXXXXX)
cd "$ws"
echo "workspace: $ws"
set +e
"$sbx" run -- bash -c '
  echo "inside the workspace:"; echo hello > note.txt && echo "  wrote note.txt"
  echo "outside the workspace:"; touch "$HOME/sbx-demo-should-fail" 2>&1 | sed "s/^/  /"
  echo "network (a TCP connection to 127.0.0.1:22):"
  (exec 3<>/dev/tcp/127.0.0.1/22) 2>&1 | sed "s/^/  /"'
echo "sbx run exited with $?"
rm -rf "$ws"
