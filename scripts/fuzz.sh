#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fuzz the launcher's configuration and command-line parsers, the
# workspace-path checks, the records sbx and the launcher read back
# from files and the ACL xattr codec (tests/fuzz/) with libFuzzer, each for a bounded time,
# starting from the corpus committed in tests/fuzz/corpus/<target>/.
#
# Installs what it needs from Debian 12 (clang-14, libclang-rt-14-dev for
# libFuzzer and the sanitizer run-times, cmake, make, pkg-config,
# libacl1-dev), builds the targets with clang in their own build directory,
# and runs each with -max_total_time.  A crash, a sanitizer report, a leak,
# a hang or a broken invariant fails the run; the input that did it is kept
# (its path is printed, with the command that replays it).  New inputs the
# fuzzer finds go to the build directory, never into the committed corpus.
#
# Usage (as root, or with the packages installed): scripts/fuzz.sh [TARGET...]
#   SBX_FUZZ_SECONDS  seconds per target (default 60)
#   SBX_FUZZ_BUILD    build directory (default build-fuzz in the repository)
# Last line: "N passed, M failed"; exit 1 when M > 0.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${SBX_FUZZ_SECONDS:-60}
build=${SBX_FUZZ_BUILD:-$top/build-fuzz}
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: SBX_FUZZ_SECONDS must be a positive number of seconds, not '$seconds'" >&2
  exit 2
fi
targets=("$@")
((${#targets[@]})) || targets=(fuzz_launch_conf fuzz_launch_args fuzz_wspath fuzz_plants_record fuzz_net_policy
                                fuzz_http_head fuzz_acl_xattr)
for t in "${targets[@]}"; do
  if [[ ! -f "$top/tests/fuzz/$t.c" || ! -d "$top/tests/fuzz/corpus/$t" ]]; then
    echo "fuzz.sh: no target $t (tests/fuzz/$t.c and tests/fuzz/corpus/$t/)" >&2
    exit 2
  fi
done

"$top/scripts/deps.sh" --fuzz

cmake -S "$top/tests/fuzz" -B "$build" -DCMAKE_C_COMPILER=clang-14 -DSBX_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null

passed=0
failed=0
for t in "${targets[@]}"; do
  run="$build/run/$t"
  rm -rf "$run"
  mkdir -p "$run/new" "$run/artifacts"
  dict=()
  [[ -f "$top/tests/fuzz/$t.dict" ]] && dict=(-dict="$top/tests/fuzz/$t.dict")
  echo "fuzz.sh: $t for ${seconds}s (corpus tests/fuzz/corpus/$t, log $run/log)"
  # New inputs go to $run/new (the first directory); the committed corpus
  # is only read.  -timeout: one input running 10 s is a hang.  The outer
  # timeout only guards against libFuzzer itself not stopping.
  rc=0
  (cd "$run" && timeout --kill-after=30 $((seconds * 2 + 120)) "$build/$t" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      "${dict[@]}" -artifact_prefix="$run/artifacts/" \
      "$run/new" "$top/tests/fuzz/corpus/$t" </dev/null) >"$run/log" 2>&1 || rc=$?
  mapfile -t found < <(find "$run/artifacts" -type f | sort)
  if ((rc == 0 && ${#found[@]} == 0)); then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" | tail -1)
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$run/log" | tail -1 || true)
    echo "fuzz.sh: $t passed: ${runs:-?} inputs in ${seconds}s (${cov:-no stats})"
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "fuzz.sh: $t FAILED (exit $rc); what went wrong, then the end of its log:"
    grep -m 10 -E 'invariant broken|ERROR: |runtime error|SUMMARY: ' "$run/log" | sed 's/^/  ! /' || true
    grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED)' "$run/log" | tail -n 30 | sed 's/^/  | /'
    for a in "${found[@]}"; do
      echo "fuzz.sh: $t: failing input: $a"
      echo "fuzz.sh:   replay: $build/$t $a"
    done
    ((${#found[@]})) || echo "fuzz.sh: $t: no input kept (see $run/log)"
  fi
done
echo "$passed passed, $failed failed"
((failed == 0))
