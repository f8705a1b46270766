#!/bin/sh
# SPDX-License-Identifier: MIT
# Workspace grants on a 100,000-file tree: sbx's driver (through the real
# plan engine and ledger, as `sbx workspace add/remove` runs it) against
# `setfacl -R -m` / `-x` writing the same entries on the same tree.
#
#   bench/grant_bench.sh BUILD_DIR [FILES] [ROUNDS]
#
# Needs root (it creates throwaway accounts named sbxb<pid>-*, removed at
# the end) and a build without sanitizers for meaningful figures:
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel
set -eu
BUILD=${1:?usage: grant_bench.sh BUILD_DIR [FILES] [ROUNDS]}
FILES=${2:-100000}
ROUNDS=${3:-3}
TOOL=$BUILD/tests/integration/elevated-tool
LAUNCH=$BUILD/cli/sbx-launch
[ "$(id -u)" = 0 ] || { echo "grant_bench: run as root" >&2; exit 77; }
[ -x "$TOOL" ] && [ -x "$LAUNCH" ] || { echo "grant_bench: build $TOOL and $LAUNCH first" >&2; exit 1; }
command -v setfacl >/dev/null || { echo "grant_bench: needs setfacl (package acl)" >&2; exit 1; }

export SBX_ELEVATED_PREFIX="sbxb$$-" SBX_LAUNCHER_SOURCE="$LAUNCH"
ROOT=$(mktemp -d /tmp/sbx-grant-bench.XXXXXX)
chmod 755 "$ROOT"
STATE=$ROOT/state USTATE=$ROOT/ustate TREE=$ROOT/tree
OFF=${SBX_ELEVATED_PREFIX}offline ON=${SBX_ELEVATED_PREFIX}online
cleanup() {
    "$TOOL" remove "$USTATE" "$STATE" >/dev/null 2>&1 || true
    "$TOOL" cleanup "$STATE" >/dev/null 2>&1 || true
    userdel "$OFF" 2>/dev/null || true; userdel "$ON" 2>/dev/null || true
    groupdel "${SBX_ELEVATED_PREFIX}users" 2>/dev/null || true
    rm -rf "$ROOT"
}
trap cleanup EXIT INT TERM
mkdir -m 700 "$STATE" "$USTATE"
"$TOOL" setup "$STATE" root

# FILES files, 100 per directory, two levels of directories.
mkdir "$TREE"
dirs=$(( (FILES + 99) / 100 ))
( cd "$TREE"
  i=0
  while [ $i -lt $dirs ]; do
      d=d$((i / 50))/s$i; mkdir -p "$d"
      j=0; while [ $j -lt 100 ]; do : > "$d/f$j"; j=$((j + 1)); done
      i=$((i + 1))
  done )
echo "tree: $(find "$TREE" -type f | wc -l) files, $(find "$TREE" -type d | wc -l) directories"

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
SPEC="u:$OFF:rwX,u:$ON:rwX,d:u:$OFF:rwx,d:u:$ON:rwx,d:u:root:rwx"
XSPEC="u:$OFF,u:$ON,d:u:$OFF,d:u:$ON,d:u:root"
printf '%-6s %12s %12s %14s %14s\n' round sbx-grant sbx-remove setfacl-m setfacl-x
r=1
while [ $r -le "$ROUNDS" ]; do
    sync; t0=$(now); "$TOOL" grant "$USTATE" "$STATE" "$TREE"; t1=$(now)
    # Same entries as setfacl would write: checked on a sample.
    getfacl -p "$TREE/d0/s0/f0" | grep -q "user:$OFF:rw-"
    t2=$(now); "$TOOL" remove "$USTATE" "$STATE"; t3=$(now)
    [ -z "$(getfacl -p -s "$TREE/d0/s0/f0")" ]
    t4=$(now); setfacl -R -m "$SPEC" "$TREE"; t5=$(now)
    t6=$(now); setfacl -R -x "$XSPEC" "$TREE"; t7=$(now)
    printf '%-6s %11.2fs %11.2fs %13.2fs %13.2fs\n' "$r" "$(secs $t0 $t1)" "$(secs $t2 $t3)" \
        "$(secs $t4 $t5)" "$(secs $t6 $t7)"
    r=$((r + 1))
done
