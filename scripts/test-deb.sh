#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package, as an administrator gets it: build sbx_<version>_<arch>.deb
# with cpack, install it with apt (which brings its dependencies), use it
# (an unelevated run, `sbx setup --mode elevated --user U`, U's workspace and an
# elevated run as U's own offline account), then `apt-get purge sbx`, whose prerm runs
# `sbx cleanup`: afterwards nothing of sbx's is left (its users and group,
# the nftables table, /var/lib/sbx, the ACL entries on U's workspace, the
# package's files).
#
# The package uses sbx's real names (sbx-users, the members' sbx-<user>-off
# and -on, their nft tables, /var/lib/sbx): on a machine where sbx is in use
# already the test refuses to run (and fails), touching nothing.
#
# Usage (as root, Debian 12, dependencies installed): scripts/test-deb.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "test-deb: must run as root (it installs a package)" >&2
  exit 1
fi
taken=()
for a in $(getent passwd | cut -d: -f1 | grep -E '^sbx-'); do taken+=("user $a"); done
getent group sbx-users >/dev/null && taken+=("group sbx-users")
for t in $(nft list tables 2>/dev/null | awk '{print $3}' | grep -E '^sbx($|_)'); do
  taken+=("nft table $t")
done
[ -e /var/lib/sbx ] && taken+=("/var/lib/sbx")
dpkg-query -W -f='${Status}' sbx 2>/dev/null | grep -q "install ok installed" && taken+=("package sbx")
if ((${#taken[@]})); then
  echo "test-deb: sbx is in use on this machine (${taken[*]}): refusing to install over it" >&2
  exit 1
fi

base=$(mktemp -d /tmp/sbx-deb-XXXXXX)
chmod 0755 "$base"
user="sbxd$$u"
fail=0
cleanup() {
  set +e
  if dpkg-query -W -f='${Status}' sbx 2>/dev/null | grep -q "install ok installed"; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq sbx >/dev/null 2>&1
  fi
  getent passwd "$user" >/dev/null && userdel "$user"
  rm -rf "$base"
}
trap cleanup EXIT
script_name=test-deb
# shellcheck source=scripts/install-lib.sh
. "$top/scripts/install-lib.sh"

say "building the package"
cmake -S "$top" -B "$base/build" -DCMAKE_BUILD_TYPE=Release -DSBX_TESTS=OFF -DSBX_MAN=ON \
  -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$base/build" -j"$(nproc)" >/dev/null
(cd "$base/build" && cpack -G DEB >/dev/null)
deb=$(ls "$base"/build/sbx_*_*.deb)
home="$base/home-$user"
make_member "$user" "$home"
# Other suites' throwaway names (sbxr123..., sbxt-life-..., table sbxt123:
# a letter right after "sbx", where sbx's own have "-" or "_") come and go
# meanwhile: left out.
snapshot() {
  { getent passwd; getent group; cat /etc/shadow /etc/gshadow; } | cut -d: -f1 |
    grep -v "^${user}$" | grep -v -E '^sbx[a-z]' | sort
  nft list tables | grep -v -E '^table inet sbx[a-z]'
  getfacl -R -p "$home" 2>/dev/null
  ls -d /var/lib/sbx /usr/bin/sbx /usr/libexec/sbx 2>/dev/null
  true
}
before=$(snapshot)

say "installing $(basename "$deb")"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
[ "$(command -v sbx)" = /usr/bin/sbx ] || bad "sbx is not /usr/bin/sbx"
sbx --version >/dev/null || bad "sbx --version"
man -w sbx-run >/dev/null 2>&1 || bad "man does not find sbx-run"
as_user() { runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME="$home" "$@"; }
(cd "$home/ws" && as_user sbx run --mode unelevated --workspace "$home/ws" -- sh -c 'echo u > u') ||
  bad "an unelevated run as $user"
sbx setup --mode elevated --user "$user" --quiet || bad "sbx setup --mode elevated --user $user"
(cd "$home/ws" && as_user sbx workspace add "$home/ws" --quiet) || bad "workspace add as $user"
who=$(cd "$home/ws" && as_user sbx run -- id -un) || bad "an elevated run as $user"
# the member's own offline account (sbx-managed, named after the member)
expect_member_account "$who" "$user" 'sbx-*-off'
# The sandbox made a file; purge must leave it to its owner, without sbx's entries.
(cd "$home/ws" && as_user sbx run -- sh -c 'echo e > e') || bad "an elevated run writing"
rm -f "$home/ws/u" "$home/ws/e"

say "purging the package (its prerm runs sbx cleanup)"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq sbx >/dev/null || bad "apt-get purge sbx"
same_machine "$before" "$(snapshot)" "the purge"
userdel "$user"
if [ "$fail" != 0 ]; then
  exit 1
fi
say "ok: built, installed, used in both modes, purged without residue"
