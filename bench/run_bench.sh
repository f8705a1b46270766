#!/bin/sh
# SPDX-License-Identifier: MIT
# Start-up cost of `sbx run`, side by side, in one run (issue 14):
#   /bin/true bare; a bare Landlock launcher (the floor of a Landlock
#   sandbox: sbx-bench-landlock); bubblewrap minimal (read-only /, one
#   writable directory); bubblewrap equivalent (the same plus every
#   namespace, /proc and /dev: the closest bubblewrap line to what sbx
#   enforces); `sbx run --mode unelevated` (as root; as a throwaway user
#   too when run as root); `sbx run` elevated (root only: a throwaway
#   elevated setup, removed at the end).
# Each line's median, its ratio to bubblewrap minimal, then: the cost of
# each extra workspace, a 100,000-file workspace against a 1,000-file one,
# and the peak RSS of `sbx run`.  Not a test: the numbers depend on the
# machine and its load (`uptime` is printed beside them).
#
#   bench/run_bench.sh BUILD_DIR        a Release build (no sanitizers):
#       cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel
#   RUNS=300 bench/run_bench.sh ...     runs per line (default 200)
#   OUT=bench.md bench/run_bench.sh ... also write the table as Markdown
set -eu

BUILD=${1:?usage: run_bench.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
RUNS=${RUNS:-200}
SBX=$BUILD/cli/sbx
LAUNCH=$BUILD/cli/sbx-launch
LL=$BUILD/bench/sbx-bench-landlock
for tool in hyperfine bwrap python3; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "run_bench.sh: $tool is not installed (apt-get install $tool)" >&2
        exit 1
    }
done
for f in "$SBX" "$LAUNCH" "$LL"; do
    [ -x "$f" ] || { echo "run_bench.sh: build $f first" >&2; exit 1; }
done

# Everything of the benchmark's under one directory: workspaces, sbx's
# state (never the caller's own), the elevated mode's machine state.
ROOT=$(mktemp -d /tmp/sbx-run-bench.XXXXXX)
chmod 755 "$ROOT"
export XDG_STATE_HOME="$ROOT/state"
W=$ROOT/ws
mkdir -p "$W" "$XDG_STATE_HOME"
ELEVATED=0
MEMBER=sbxb$$u
if [ "$(id -u)" = 0 ]; then
    ELEVATED=1
    export SBX_ELEVATED_PREFIX="sbxb$$-" SBX_MACHINE_STATE="$ROOT/machine"
    export SBX_LAUNCHER_SOURCE="$LAUNCH"
fi
cleanup() {
    "$SBX" cleanup >/dev/null 2>&1 || true
    if [ "$ELEVATED" = 1 ]; then
        "$SBX" cleanup >/dev/null 2>&1 || echo "run_bench.sh: sbx cleanup failed" >&2
        pkill -KILL -u "$MEMBER" 2>/dev/null || true
        userdel "$MEMBER" >/dev/null 2>&1 || true
    fi
    rm -rf "$ROOT"
}
trap cleanup EXIT INT TERM

# The elevated mode: a throwaway member (its home and workspace under
# ROOT), the machine set up for it with throwaway account names.
if [ "$ELEVATED" = 1 ]; then
    useradd -M -d "$ROOT/home" -s /bin/sh "$MEMBER"
    mkdir -p "$ROOT/home/ws"
    chown -R "$MEMBER:" "$ROOT/home"
    chmod 700 "$ROOT/home"
    as_member() {
        runuser -u "$MEMBER" -- env -C "$ROOT/home/ws" -u XDG_STATE_HOME HOME="$ROOT/home" \
            SBX_ELEVATED_PREFIX="$SBX_ELEVATED_PREFIX" SBX_MACHINE_STATE="$SBX_MACHINE_STATE" \
            "$@"
    }
    { "$SBX" setup && "$SBX" setup --user "$MEMBER" &&
        as_member "$SBX" workspace add "$ROOT/home/ws"; } >/dev/null || {
        echo "run_bench.sh: the elevated setup failed" >&2
        exit 1
    }
fi

cd "$W"
JSON=$ROOT/times.json
set -- \
    -n '/bin/true' '/bin/true' \
    -n 'bare Landlock launcher' "$LL $W /bin/true" \
    -n 'bwrap minimal' "bwrap --ro-bind / / --bind $W $W /bin/true" \
    -n 'bwrap equivalent' \
    "bwrap --unshare-all --ro-bind / / --bind $W $W --proc /proc --dev /dev /bin/true" \
    -n 'sbx run --mode unelevated' "$SBX run --mode unelevated --workspace $W -- /bin/true"
echo "machine: $(uname -srm), $(nproc) cores; load: $(uptime | sed 's/.*load average: //')"
# -N: no shell in between, so a shell's own start is not counted.
hyperfine -N --style none --warmup 20 --runs "$RUNS" --export-json "$JSON" "$@" \
    >/dev/null
ELEV_JSON=""
if [ "$ELEVATED" = 1 ]; then
    ELEV_JSON=$ROOT/home/elevated.json
    # The member's unelevated line too: an agent runs as a user, and
    # root's runs pay for a pids cgroup (the kernel exempts root from
    # RLIMIT_NPROC): moving the sandbox's init into it waits for an RCU
    # grace period, milliseconds on a VM.
    as_member hyperfine -N --style none --warmup 20 --runs "$RUNS" --export-json "$ELEV_JSON" \
        -n 'sbx run --mode unelevated (a user)' \
        "$SBX run --mode unelevated --workspace $ROOT/home/ws -- /bin/true" \
        -n 'sbx run (elevated)' \
        "$SBX run --mode elevated --workspace $ROOT/home/ws -- /bin/true" >/dev/null
fi

# Each extra workspace: one against nine.
EXTRA=""
i=1
while [ $i -le 8 ]; do
    mkdir -p "$ROOT/extra$i"
    EXTRA="$EXTRA --workspace $ROOT/extra$i"
    i=$((i + 1))
done
hyperfine -N --style none --warmup 10 --runs "$RUNS" --export-json "$ROOT/ws.json" \
    -n one "$SBX run --mode unelevated --workspace $W -- /bin/true" \
    -n nine "$SBX run --mode unelevated --workspace $W $EXTRA -- /bin/true" >/dev/null

# A 1,000-file and a 100,000-file workspace (100 files a directory).
tree() {
    mkdir -p "$1"
    python3 - "$1" "$2" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for d in range((n + 99) // 100):
    p = os.path.join(root, "d%d" % (d // 50), "s%d" % d)
    os.makedirs(p)
    for f in range(min(100, n - d * 100)):
        open(os.path.join(p, "f%d" % f), "w").close()
EOF
}
tree "$ROOT/small" 1000
tree "$ROOT/big" 100000
hyperfine -N --style none --warmup 10 --runs "$RUNS" --export-json "$ROOT/size.json" \
    -n small "$SBX run --mode unelevated --workspace $ROOT/small -- /bin/true" \
    -n big "$SBX run --mode unelevated --workspace $ROOT/big -- /bin/true" >/dev/null

# Peak RSS of sbx run: GNU time's maximum resident size of the process it
# starts (sbx; its children, init and /bin/true, are counted too, being
# waited for).  Not a forked copy of a larger program: measured from exec.
RSS=0
if [ -x /usr/bin/time ]; then
    i=0
    while [ $i -lt 20 ]; do
        r=$(/usr/bin/time -f %M "$SBX" run --mode unelevated --workspace "$W" -- /bin/true \
            2>&1 >/dev/null | tail -n 1)
        [ "$r" -gt "$RSS" ] && RSS=$r
        i=$((i + 1))
    done
else
    echo "run_bench.sh: /usr/bin/time missing (apt-get install time): no RSS figure" >&2
fi

python3 - "$JSON" "$ROOT/ws.json" "$ROOT/size.json" "$RSS" "${OUT:-}" "$ELEV_JSON" <<'EOF'
import json, sys
times, ws, size, rss, out, elev = sys.argv[1:7]
rss = int(rss)
res = json.load(open(times))["results"]
if elev:
    res += json.load(open(elev))["results"]
med = {r["command"]: r["median"] * 1000 for r in res}
base = med["bwrap minimal"]
rows = ["| command | median | × bwrap minimal |", "|---|---|---|"]
for r in res:
    rows.append("| %s | %.2f ms | %.2f |" % (r["command"], med[r["command"]],
                                          med[r["command"]] / base))
w = {r["command"]: r["median"] * 1000 for r in json.load(open(ws))["results"]}
s = {r["command"]: r["median"] * 1000 for r in json.load(open(size))["results"]}
extra = (w["nine"] - w["one"]) / 8 * 1000
rows.append("")
rows.append("- each extra workspace: %.0f µs (one %.2f ms, nine %.2f ms)" %
            (extra, w["one"], w["nine"]))
rows.append("- 100,000 files against 1,000: %.3f× (%.2f ms, %.2f ms)" %
            (s["big"] / s["small"], s["big"], s["small"]))
if rss:
    rows.append("- peak RSS of `sbx run`: %.1f MiB" % (rss / 1024))
text = "\n".join(rows)
print(text)
if out:
    open(out, "w").write(text + "\n")
EOF
echo "load after: $(uptime | sed 's/.*load average: //')"
