#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The installed sbx, as a packager and an administrator get it: configure
# and build Release, `cmake --install` into a fresh prefix, delete the build
# tree, then from the prefix alone:
#   - sbx --version; an unelevated run that writes its workspace;
#   - as root, with throwaway names (SBX_ELEVATED_PREFIX) and a machine
#     ledger of the test's own (SBX_MACHINE_STATE): sbx setup --mode elevated
#     --user <a throwaway user>, that user's workspace add and an elevated
#     run (which must run as the sandbox account, with the launcher found
#     in the prefix's libexec/sbx), then sbx cleanup, after which nothing of
#     the test's names is left (users, groups, shadow entries, nft tables,
#     ACL entries, the state directory).
# Everything the test made is removed whatever happens.
#
# Usage (as root, Debian 12, dependencies installed): scripts/test-install.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "test-install: must run as root (it creates a user and sets up the elevated mode)" >&2
  exit 1
fi

base=$(mktemp -d /tmp/sbx-install-XXXXXX)
chmod 0755 "$base"
tag="sbxi$$"
user="${tag}u"
export SBX_ELEVATED_PREFIX="${tag}-"
export SBX_MACHINE_STATE="$base/machine"
# root's own ledger (and the cache its unelevated run makes): the test's
export XDG_STATE_HOME="$base/root-state"
prefix="$base/prefix"
fail=0
cleanup() {
  set +e
  if [ -x "$prefix/bin/sbx" ] && [ -d "$SBX_MACHINE_STATE" ]; then
    "$prefix/bin/sbx" cleanup --quiet >/dev/null 2>&1
  fi
  # whatever the engine could not remove, by its unique names
  for a in $(getent passwd | cut -d: -f1 | grep "^${tag}"); do userdel "$a" >/dev/null 2>&1; done
  for g in $(getent group | cut -d: -f1 | grep "^${tag}"); do groupdel "$g" >/dev/null 2>&1; done
  nft list tables 2>/dev/null | awk '{print $3}' | grep "^${tag}" |
    while read -r t; do nft delete table inet "$t"; done
  rm -rf "$base"
}
trap cleanup EXIT

script_name=test-install
# shellcheck source=scripts/install-lib.sh
. "$top/scripts/install-lib.sh"

say "building and installing into $prefix"
cmake -S "$top" -B "$base/build" -DCMAKE_BUILD_TYPE=Release -DSBX_TESTS=OFF -DSBX_MAN=ON \
  -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build "$base/build" -j"$(nproc)" >/dev/null
cmake --install "$base/build" >/dev/null
rm -rf "$base/build"
sbx="$prefix/bin/sbx"
[ -x "$prefix/libexec/sbx/sbx-launch" ] || bad "the launcher is not in $prefix/libexec/sbx"
"$sbx" --version >/dev/null || bad "sbx --version"
[ -f "$prefix/share/doc/sbx/LICENSE" ] || bad "no LICENSE in $prefix/share/doc/sbx"
# A page per command, readable by man, saying what sbx help says.
pages=("$prefix/share/man/man1/sbx.1")
for c in run workspace status log cache completion; do pages+=("$prefix/share/man/man1/sbx-$c.1"); done
for c in setup doctor migrate rollback cleanup; do pages+=("$prefix/share/man/man8/sbx-$c.8"); done
for p in "${pages[@]}"; do
  if [ ! -f "$p" ]; then bad "no man page $p"; continue; fi
  name=$(basename "$p"); name=${name%.*}
  usage="usage: ${name/-/ }"
  MANWIDTH=200 man -l "$p" 2>/dev/null | grep -q -- "$usage" || bad "man -l $p: no '$usage'"
done
MANWIDTH=200 man -l "$prefix/share/man/man1/sbx-run.1" 2>/dev/null | grep -q -- "--allow-read" ||
  bad "sbx-run(1) does not document --allow-read"
# The configuration file's page, each key of [run] in it.
conf5="$prefix/share/man/man5/sbx-config.5"
for k in net cache workspace env hide; do
  MANWIDTH=200 man -l "$conf5" 2>/dev/null | grep -q -- "$k =" || bad "sbx-config(5) lacks '$k ='"
done
# The bash completion, sourced: it completes a command and an option.
comp="$prefix/share/bash-completion/completions/sbx"
[ -f "$comp" ] || bad "no bash completion at $comp"
got=$(bash -c 'source "$1"; COMP_WORDS=(sbx ru); COMP_CWORD=1; _sbx; echo "${COMPREPLY[*]}";
               COMP_WORDS=(sbx run --allow-r); COMP_CWORD=2; _sbx; echo "${COMPREPLY[*]}"' \
      _ "$comp" 2>&1)
[ "$got" = $'run\n--allow-read' ] || bad "the bash completion answered: $got"
for f in "$prefix/share/zsh/vendor-completions/_sbx" \
         "$prefix/share/fish/vendor_completions.d/sbx.fish"; do
  [ -s "$f" ] || bad "no completion $f"
done

# The unelevated mode, from the prefix alone.
mkdir -p "$base/ws"
(cd "$base/ws" && "$sbx" run --mode unelevated --workspace "$base/ws" -- sh -c 'echo ok > made') ||
  bad "an unelevated run"
[ "$(cat "$base/ws/made" 2>/dev/null)" = ok ] || bad "the unelevated run did not write its workspace"

# The elevated mode: a throwaway member with a workspace of its own.
home="$base/home-$user"
make_member "$user" "$home"
snapshot() {
  { getent passwd; getent group; cat /etc/shadow /etc/gshadow; nft list tables; } |
    grep "${tag}" | grep -v "^${user}:" || true
  getfacl -R -p "$home" 2>/dev/null | grep -E "${tag}" || true
  [ -e "$SBX_MACHINE_STATE/elevated" ] && echo "state: $SBX_MACHINE_STATE/elevated"
  true
}
before=$(snapshot)
"$sbx" setup --mode elevated --user "$user" --quiet || bad "sbx setup --mode elevated --user $user"
as_user() {
  runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME="$home" \
    SBX_ELEVATED_PREFIX="$SBX_ELEVATED_PREFIX" SBX_MACHINE_STATE="$SBX_MACHINE_STATE" "$@"
}
(cd "$home/ws" && as_user "$sbx" workspace add "$home/ws" --quiet) || bad "workspace add as $user"
who=$(cd "$home/ws" && as_user "$sbx" run -- id -un) || bad "an elevated run as $user"
# the member's own offline account (sbx-managed, named after the member)
expect_member_account "$who" "$user" "${tag}*-off"
(cd "$home/ws" && as_user "$sbx" workspace remove "$home/ws" --quiet) ||
  bad "workspace remove as $user"
"$sbx" cleanup --quiet || bad "sbx cleanup"
same_machine "$before" "$(snapshot)" "sbx cleanup"
userdel "$user"

if [ "$fail" != 0 ]; then
  exit 1
fi
say "ok: installed, run unelevated and elevated from $prefix, cleaned up without residue"
