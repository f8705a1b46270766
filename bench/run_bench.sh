#!/bin/sh
# SPDX-License-Identifier: MIT
# Start-up cost of `sbx run` next to running the command bare and next to
# bubblewrap doing a comparable job (read-only /, one writable directory).
# Not a test: numbers depend on the machine.  Needs hyperfine and bwrap.
#
#   bench/run_bench.sh [SBX]         SBX: the sbx binary (default build/cli/sbx)
#   RUNS=200 bench/run_bench.sh      more runs
#   HARNESS=build/tests/integration/sbx-run-harness bench/run_bench.sh
#                                    also time the engine alone (no CLI, no ledger)
#   OUT=bench.md bench/run_bench.sh  also write the table as Markdown
#
# Build sbx without sanitizers for meaningful numbers:
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build
set -eu

here=$(cd "$(dirname "$0")" && pwd)
SBX=${1:-${SBX:-$here/../build/cli/sbx}}
RUNS=${RUNS:-100}

for tool in hyperfine bwrap; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "run_bench.sh: $tool is not installed (apt-get install $tool)" >&2
        exit 1
    }
done
[ -x "$SBX" ] || { echo "run_bench.sh: $SBX is not an executable sbx" >&2; exit 1; }

# The workspace: a fresh directory, the same for every contender.
W=$(mktemp -d /tmp/sbx-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM
cd "$W"

set -- \
    -n '/bin/true' '/bin/true' \
    -n 'sbx run -- /bin/true' "$SBX run --workspace $W -- /bin/true" \
    -n 'bwrap --ro-bind / / --bind W W /bin/true' "bwrap --ro-bind / / --bind $W $W /bin/true"
if [ -n "${HARNESS:-}" ]; then
    set -- "$@" -n 'engine only (sbx-run-harness)' "$HARNESS run --workspace $W -- /bin/true"
fi
if [ -n "${OUT:-}" ]; then
    set -- "$@" --export-markdown "$OUT"
fi

# -N: no intermediate shell, so the shell's own start-up is not counted.
hyperfine -N --warmup 10 --runs "$RUNS" "$@"
