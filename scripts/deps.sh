#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the Debian 12 packages sbx needs to build and test, only those
# missing (apt-get update runs once, and only when something is missing).
# Usage: scripts/deps.sh [--windows] [--fuzz]   (as root)
set -euo pipefail
pkgs=(build-essential cmake pkg-config libsqlite3-dev libcmocka-dev libseccomp-dev
      libacl1-dev libnftables-dev nftables acl git passwd util-linux iproute2 expect
      python3 help2man scdoc man-db libinih-dev
      # sbx-netproxy, the allowlist proxy of --net allow= (modes/net)
      libevent-dev
      # the workload suite (tests/workloads): the tools an agent runs, all
      # Debian's (cargo and rustc too, not a rustup in a home); Maven's
      # default plugins from /usr/share/maven-repo, as Maven Central is
      # not reached
      make python3-venv python3-pip cargo rustc default-jdk-headless maven
      libmaven-compiler-plugin-java libmaven-resources-plugin-java
      libmaven-jar-plugin-java libsurefire-java)
# npm: Debian's nodejs + npm, unless a nodejs that provides npm itself (a
# vendor's build, which conflicts with Debian's npm) is installed already.
if ! dpkg-query -W -f='${Status} ${Provides}\n' nodejs 2>/dev/null |
     grep -q "install ok installed.*\bnpm\b"; then
  pkgs+=(nodejs npm)
fi
for opt in "$@"; do
  case "$opt" in
    --windows) pkgs+=(gcc-mingw-w64-x86-64 wine64 wine tcl dpkg-dev) ;;
    --fuzz) pkgs+=(clang-14 libclang-rt-14-dev) ;; # libFuzzer and its sanitizers
    *) echo "deps.sh: unknown option $opt (expected --windows, --fuzz)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  echo "deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
