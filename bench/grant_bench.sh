#!/bin/sh
# SPDX-License-Identifier: MIT
# Workspace grants on a 100,000-file tree: sbx's driver (through the real
# plan engine and ledger, as `sbx workspace add/remove` runs it) against
# `setfacl -R -m` / `-x` writing the same entries on the same tree.
#
#   bench/grant_bench.sh BUILD_DIR [FILES] [ROUNDS]
#
# Prints each round's times, then the medians and the ratios sbx/setfacl
# (issue 14 asks for <= 0.5), with the load average beside them: the
# machine may be shared, and a loaded machine hides the walk's second
# thread.
#
# Needs root (it creates throwaway accounts named sbxb<pid>-*, removed at
# the end) and a build without sanitizers for meaningful figures:
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel
set -eu
BUILD=$(cd "${1:?usage: grant_bench.sh BUILD_DIR [FILES] [ROUNDS]}" && pwd)
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
# The member pair setup makes for root (modes/common/linux/names.c).
OFF=${SBX_ELEVATED_PREFIX}root-off ON=${SBX_ELEVATED_PREFIX}root-on
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
echo "load before: $(uptime)"
printf '%-6s %12s %12s %14s %14s\n' round sbx-grant sbx-remove setfacl-m setfacl-x
TIMES=$ROOT/times
r=1
while [ $r -le "$ROUNDS" ]; do
    sync; t0=$(now); "$TOOL" grant "$USTATE" "$STATE" "$TREE"; t1=$(now)
    # Same entries as setfacl would write: checked on a sample.
    getfacl -p "$TREE/d0/s0/f0" | grep -q "user:$OFF:rw-"
    t2=$(now); "$TOOL" remove "$USTATE" "$STATE"; t3=$(now)
    [ -z "$(getfacl -p -s "$TREE/d0/s0/f0")" ]
    sync; t4=$(now); setfacl -R -m "$SPEC" "$TREE"; t5=$(now)
    getfacl -p "$TREE/d0/s0/f0" | grep -q "user:$OFF:rw-"
    t6=$(now); setfacl -R -x "$XSPEC" "$TREE"; t7=$(now)
    set -- "$(secs $t0 $t1)" "$(secs $t2 $t3)" "$(secs $t4 $t5)" "$(secs $t6 $t7)"
    echo "$*" >> "$TIMES"
    printf '%-6s %11.2fs %11.2fs %13.2fs %13.2fs\n' "$r" "$@"
    r=$((r + 1))
done
echo "load after:  $(uptime)"
# Medians of the rounds, and sbx's time over setfacl's.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
g=$(cut -d' ' -f1 "$TIMES" | median) x=$(cut -d' ' -f2 "$TIMES" | median)
m=$(cut -d' ' -f3 "$TIMES" | median) y=$(cut -d' ' -f4 "$TIMES" | median)
printf '%-6s %11.2fs %11.2fs %13.2fs %13.2fs\n' median "$g" "$x" "$m" "$y"
printf 'ratio grant  sbx/setfacl-m: %.2f\n' "$(echo "scale=4; $g / $m" | bc)"
printf 'ratio remove sbx/setfacl-x: %.2f\n' "$(echo "scale=4; $x / $y" | bc)"
