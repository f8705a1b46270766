# SPDX-License-Identifier: MIT
# Cross-compiling sbx for 64-bit Windows with mingw-w64, testing under Wine.
#
#   scripts/build-mingw-deps.sh build-win/deps
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw64.cmake
#   cmake --build build-win && ctest --test-dir build-win
#
# SQLite and cmocka come from the prefix scripts/build-mingw-deps.sh builds:
# SBX_MINGW_DEPS (cache variable or environment), default <build dir>/deps.
# ctest runs the Windows test executables through CMAKE_CROSSCOMPILING_EMULATOR:
# Wine with its own prefix inside the build directory and its debug output off.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_sbx_triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_sbx_triple}-gcc)
set(CMAKE_RC_COMPILER ${_sbx_triple}-windres)
set(CMAKE_AR ${_sbx_triple}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${_sbx_triple}-ranlib CACHE FILEPATH "")

if(NOT SBX_MINGW_DEPS)
  if(DEFINED ENV{SBX_MINGW_DEPS})
    set(SBX_MINGW_DEPS "$ENV{SBX_MINGW_DEPS}")
  else()
    set(SBX_MINGW_DEPS "${CMAKE_BINARY_DIR}/deps")
  endif()
endif()
set(SBX_MINGW_DEPS "${SBX_MINGW_DEPS}" CACHE PATH "Prefix holding SQLite and cmocka built for mingw")
# try_compile projects see the same values.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SBX_MINGW_DEPS)

set(CMAKE_FIND_ROOT_PATH /usr/${_sbx_triple} "${SBX_MINGW_DEPS}")
set(CMAKE_PREFIX_PATH "${SBX_MINGW_DEPS}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Only static archives: no DLL has to be found next to the executables.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(ENV{PKG_CONFIG_LIBDIR} "${SBX_MINGW_DEPS}/lib/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# Wine as the emulator.  /usr/lib/wine/wine64 directly: Debian's `wine`
# wrapper prints a wine32 hint on every start.
find_program(SBX_WINE NAMES wine64 wine PATHS /usr/lib/wine /usr/bin NO_DEFAULT_PATH)
if(NOT SBX_WINE)
  find_program(SBX_WINE NAMES wine64 wine)
endif()
if(SBX_WINE)
  set(SBX_WINEPREFIX "${CMAKE_BINARY_DIR}/wineprefix" CACHE PATH "Wine prefix used by ctest")
  set(CMAKE_CROSSCOMPILING_EMULATOR
      env "WINEPREFIX=${SBX_WINEPREFIX}" WINEDEBUG=-all WINEDLLOVERRIDES=mscoree,mshtml= "${SBX_WINE}")
endif()
