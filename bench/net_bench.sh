#!/bin/sh
# SPDX-License-Identifier: MIT
# The allowlist proxy's cost (issue 16): a 100 MiB download on loopback
# through sbx-netproxy next to the same download direct (goal: >= 0.8x),
# and the latency a request gains through it (hyperfine, one small GET per
# curl run, direct and through the proxy; the difference is the proxy's).
# Not a test: numbers depend on the machine.  Needs curl, python3 (the
# origin: http.server) and hyperfine.
#
#   bench/net_bench.sh [SBX-NETPROXY]   default build/cli/sbx-netproxy
#   RUNS=300 bench/net_bench.sh         more latency runs (default 200)
#   OUT=net.md bench/net_bench.sh       also write the table as Markdown
#
# Build without sanitizers for meaningful numbers:
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel
set -eu

here=$(cd "$(dirname "$0")" && pwd)
PROXY=${1:-$here/../build/cli/sbx-netproxy}
RUNS=${RUNS:-200}
for tool in curl python3 hyperfine; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "net_bench.sh: $tool is not installed" >&2
        exit 1
    }
done
[ -x "$PROXY" ] || { echo "net_bench.sh: $PROXY is not an executable" >&2; exit 1; }

D=$(mktemp -d /tmp/sbx-netbench-XXXXXX)
cleanup() {
    [ -n "${origin_pid:-}" ] && kill "$origin_pid" 2>/dev/null || true
    [ -n "${proxy_pid:-}" ] && kill "$proxy_pid" 2>/dev/null || true
    rm -rf "$D"
}
trap cleanup EXIT INT TERM

head -c $((100 * 1024 * 1024)) /dev/zero > "$D/big"
echo small > "$D/small"
# The origin: a free port, found by binding 0 in python itself.
python3 - "$D" > "$D/origin.port" <<'PY' &
import functools, http.server, socketserver, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
handler = functools.partial(Quiet, directory=sys.argv[1])
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
with S(("127.0.0.1", 0), handler) as s:
    print(s.server_address[1], flush=True)
    s.serve_forever()
PY
origin_pid=$!
# The proxy: the loopback origin is reached by its address literal.
"$PROXY" --listen 127.0.0.1:0 --net allow=127.0.0.1 > "$D/proxy.port" &
proxy_pid=$!
for _ in $(seq 50); do
    [ -s "$D/origin.port" ] && [ -s "$D/proxy.port" ] && break
    sleep 0.1
done
O=$(cat "$D/origin.port")
P=$(cat "$D/proxy.port")

# Best of five, in bytes per second.
speed() {
    best=0
    for _ in 1 2 3 4 5; do
        s=$(curl -s -o /dev/null -w '%{speed_download}' "$@")
        s=${s%.*}
        [ "$s" -gt "$best" ] && best=$s
    done
    echo "$best"
}
direct=$(speed "http://127.0.0.1:$O/big")
proxied=$(speed -x "http://127.0.0.1:$P" "http://127.0.0.1:$O/big")
tunnel=$(speed -p -x "http://127.0.0.1:$P" "http://127.0.0.1:$O/big")

hyperfine -N -w 10 -r "$RUNS" --export-json "$D/lat.json" \
    "curl -s -o /dev/null http://127.0.0.1:$O/small" \
    "curl -s -o /dev/null -x http://127.0.0.1:$P http://127.0.0.1:$O/small" >/dev/null
lat=$(python3 - "$D/lat.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("%.2f %.2f %.2f" % (r[0]["mean"] * 1e3, r[1]["mean"] * 1e3,
                          (r[1]["mean"] - r[0]["mean"]) * 1e3))
PY
)
set -- $lat
table=$(cat <<MD
| measure | direct | through sbx-netproxy | ratio / added |
|---|---|---|---|
| 100 MiB GET, plain HTTP | $((direct / 1048576)) MiB/s | $((proxied / 1048576)) MiB/s | $(python3 -c "print('%.2fx' % ($proxied / $direct))") |
| 100 MiB GET, CONNECT tunnel | $((direct / 1048576)) MiB/s | $((tunnel / 1048576)) MiB/s | $(python3 -c "print('%.2fx' % ($tunnel / $direct))") |
| one small GET (curl start to end, mean of $RUNS) | $1 ms | $2 ms | +$3 ms |
MD
)
echo "$table"
[ -n "${OUT:-}" ] && echo "$table" > "$OUT"
exit 0
