#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build SQLite (amalgamation) and cmocka for x86_64-w64-mingw32 from Debian's
# source packages into a prefix, for the Windows cross build.
#
#   scripts/build-mingw-deps.sh [PREFIX]      (default: build-win/deps)
#
# Idempotent and cached: a dependency whose stamp file exists in PREFIX is
# not built again (delete PREFIX to rebuild).  Needs: dpkg-dev (apt-get
# source), tcl (SQLite's amalgamation generator), cmake, the mingw compiler;
# scripts/test-windows.sh installs them.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$here/build-win/deps}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
src=$prefix/src
cc=x86_64-w64-mingw32-gcc
ar=x86_64-w64-mingw32-ar
jobs=$(nproc 2>/dev/null || echo 2)

log() { printf 'build-mingw-deps: %s\n' "$*" >&2; }

# apt-get source needs deb-src entries; the machines list only binary ones.
# Copy each binary entry of the machine's deb822 sources as a deb-src entry.
ensure_deb_src() {
    if apt-get source --print-uris sqlite3 >/dev/null 2>&1 &&
       [ -n "$(apt-get source --print-uris sqlite3 2>/dev/null | grep -m1 "^'")" ]; then
        return 0
    fi
    local out=/etc/apt/sources.list.d/sbx-deb-src.sources
    local found=0
    : >"$out.tmp"
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        [ "$f" = "$out" ] && continue
        if grep -qE '^Types:.*\bdeb\b' "$f"; then
            sed -E 's/^Types:.*/Types: deb-src/' "$f" >>"$out.tmp"
            printf '\n' >>"$out.tmp"
            found=1
        fi
    done
    if [ -f /etc/apt/sources.list ]; then
        grep -E '^deb ' /etc/apt/sources.list | sed -E 's/^deb /deb-src /' \
            >/etc/apt/sources.list.d/sbx-deb-src.list || true
        [ -s /etc/apt/sources.list.d/sbx-deb-src.list ] && found=1
    fi
    if [ "$found" = 0 ]; then
        rm -f "$out.tmp"
        log "no binary apt source found to copy as deb-src"
        exit 1
    fi
    mv "$out.tmp" "$out"
    log "added deb-src entries ($out); apt-get update"
    apt-get update -qq
}

fetch_source() { # package -> unpacked directory on stdout
    local pkg=$1
    mkdir -p "$src/$pkg"
    local dir
    dir=$(find "$src/$pkg" -mindepth 1 -maxdepth 1 -type d -name "$pkg-*" | head -n1)
    if [ -z "$dir" ]; then
        ensure_deb_src
        (cd "$src/$pkg" && apt-get -o APT::Sandbox::User=root source -qq "$pkg" >&2)
        dir=$(find "$src/$pkg" -mindepth 1 -maxdepth 1 -type d -name "$pkg-*" | head -n1)
    fi
    [ -n "$dir" ] || { log "apt-get source $pkg left no source tree"; exit 1; }
    printf '%s\n' "$dir"
}

build_sqlite() {
    if [ -f "$prefix/.stamp-sqlite" ]; then log "sqlite: cached"; return; fi
    local dir
    dir=$(fetch_source sqlite3)
    log "sqlite: generating the amalgamation in $dir"
    local b=$src/sqlite3-build
    rm -rf "$b" && mkdir -p "$b"
    (cd "$b" && "$dir/configure" --disable-tcl >/dev/null && make -j"$jobs" sqlite3.c >/dev/null)
    log "sqlite: compiling for mingw"
    mkdir -p "$prefix/include" "$prefix/lib"
    "$cc" -O2 -c "$b/sqlite3.c" -o "$b/sqlite3.o" \
        -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION=1 -DSQLITE_DQS=0 \
        -DSQLITE_DEFAULT_FOREIGN_KEYS=1 -DSQLITE_WIN32_MALLOC=1
    rm -f "$prefix/lib/libsqlite3.a"
    "$ar" rcs "$prefix/lib/libsqlite3.a" "$b/sqlite3.o"
    cp "$b/sqlite3.h" "$b/sqlite3ext.h" "$prefix/include/"
    touch "$prefix/.stamp-sqlite"
}

build_cmocka() {
    if [ -f "$prefix/.stamp-cmocka" ]; then log "cmocka: cached"; return; fi
    local dir
    dir=$(fetch_source cmocka)
    log "cmocka: building for mingw"
    local b=$src/cmocka-build
    rm -rf "$b"
    cmake -S "$dir" -B "$b" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_SYSTEM_NAME=Windows \
        -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_RC_COMPILER=x86_64-w64-mingw32-windres \
        -DCMAKE_INSTALL_PREFIX="$prefix" \
        -DWITH_STATIC_LIB=ON -DBUILD_SHARED_LIBS=OFF \
        -DUNIT_TESTING=OFF -DWITH_EXAMPLES=OFF -DPICKY_DEVELOPER=OFF >/dev/null
    cmake --build "$b" -j"$jobs" >/dev/null
    cmake --install "$b" >/dev/null
    # Link cmocka statically (no DLL to put on Wine's path): keep only the
    # static archive, under the plain name, and a package config that says so
    # (the installed one names a cmocka.dll.a that does not exist).
    mv -f "$prefix/lib/libcmocka-static.a" "$prefix/lib/libcmocka.a"
    rm -f "$prefix/lib/libcmocka.dll.a" "$prefix/bin/cmocka.dll"
    cat >"$prefix/lib/cmake/cmocka/cmocka-config.cmake" <<'CFG'
# Written by scripts/build-mingw-deps.sh: cmocka as a static library.
get_filename_component(_cmocka_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(CMOCKA_INCLUDE_DIR "${_cmocka_prefix}/include")
set(CMOCKA_LIBRARY "${_cmocka_prefix}/lib/libcmocka.a")
set(CMOCKA_LIBRARIES "${CMOCKA_LIBRARY}")
if(NOT TARGET cmocka::cmocka)
  add_library(cmocka::cmocka STATIC IMPORTED)
  set_target_properties(cmocka::cmocka PROPERTIES
    IMPORTED_LOCATION "${CMOCKA_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CMOCKA_INCLUDE_DIR}")
endif()
set(cmocka_FOUND TRUE)
CFG
    touch "$prefix/.stamp-cmocka"
}

build_sqlite
build_cmocka
log "done: $prefix"
