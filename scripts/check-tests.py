#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that the list of test executables equals the list of test sources.

Definitions (paths relative to the repository):
  program source  a .c file under tests/ that defines main() (`int main(`
                  or `int wmain(` at the start of a line), or a libFuzzer
                  target (`int LLVMFuzzerTestOneInput(`), whose main() is
                  libFuzzer's.  Sources under a fixtures/ folder are
                  not: they are data a test copies and compiles itself
                  (tests/workloads/fixtures: the projects the workloads
                  build inside the sandbox).
  helper          a program source that is not a test but a tool the tests
                  (or the benchmarks) run; each is named in HELPERS below
                  with its reason.  Every other program source is a
                  test source.
  test source     a program source that is not a helper: a cmocka test
                  program (its main() runs cmocka groups, directly or
                  through a suite's runner such as rec_run_k_tests), or a
                  fuzz target (ctest replays its corpus).
  test executable an executable target of the build that is built from a
                  test source.
  platform        a test source under tests/win32/ is Windows', one under
                  tests/fuzz/ the fuzz build's (its own project, sbx_fuzz,
                  built with clang), any other Linux's; a build checks the
                  test sources of its platform (scripts/test.sh calls this
                  for the Linux build and for the Windows build).

Rules, for each BUILD_DIR given (it must have been configured; the script
asks CMake's file API for the targets and re-runs `cmake BUILD_DIR`):
  1. every test source of the build's platform is built into exactly one
     executable, and ctest runs that executable (it is the program of a
     test's command, or an argument of it when an emulator such as Wine
     runs it);
  2. every test that ctest lists runs exactly one test executable, except
     the few tests in OTHER_TESTS (each with its reason), which run
     something else (sbx itself, Wine);
  3. every helper in HELPERS exists, defines main() and, on its platform,
     is built; no helper is a test source's name in disguise;
  4. no test is DISABLED, and no CMake file under tests/ guards anything
     with if(EXISTS ...): a deleted suite or source must be a build error,
     never a suite that silently stops running.

Usage: scripts/check-tests.py BUILD_DIR...
Exit 0 when every rule holds; 1 with one line per violation otherwise.
"""
import glob
import json
import os
import re
import subprocess
import sys

from ctest_list import show_only

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HELPERS = {
    "tests/integration/run_harness.c":
        "sbx-run-harness: the run engine behind the smallest front end; "
        "run_status_engine runs run_status against it",
    "tests/escape/probe_main.c":
        "sbx-probe: one escape attempt per run, driven by escape_suite",
    "tests/integration/elevated_tool.c":
        "elevated-tool: drives the plans for bench/grant_bench.sh (not a test)",
    "tests/win32/escape/probe.c":
        "sbx-escape-probe: the Windows escape probe, run on real Windows by "
        "tests/win32/escape/run-escape.ps1 and under Wine by win32_escape_probe_detects",
}

OTHER_TESTS = {
    "win32_wineprefix": "creates the Wine prefix the Windows tests share (a fixture)",
    "win32_escape_probe_detects": "runs the helper sbx-escape-probe: the probe must "
                                  "report escapes without a sandbox",
    "win32_escape_probe_table": "runs the helper sbx-escape-probe: its attempt table "
                                "(>= 50 forbidden attempts, unique names)",
    "win32_escape_probe_list": "runs the helper sbx-escape-probe: --list names the attempts",
    "win32_escape_probe_prepare": "runs the helper sbx-escape-probe: the fixtures "
                                  "win32_escape_probe_detects needs",
    "win32_cli_version": "runs sbx itself under Wine",
    "win32_cli_help": "runs sbx itself under Wine",
}

MAIN = re.compile(r"^\s*int\s+(w?main|LLVMFuzzerTestOneInput)\s*\(", re.M)
IF_EXISTS = re.compile(r"\bif\s*\(\s*(NOT\s+)?EXISTS\b", re.I)


def program_sources():
    found = []
    for path in glob.glob(os.path.join(TOP, "tests", "**", "*.c"), recursive=True):
        if "fixtures" in os.path.relpath(path, TOP).split(os.sep):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            if MAIN.search(f.read()):
                found.append(os.path.relpath(path, TOP))
    return sorted(found)


def platform_of(rel):
    if rel.startswith("tests/win32/"):
        return "windows"
    if rel.startswith("tests/fuzz/"):
        return "fuzz"
    return "linux"


def build_platform(build):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            if re.search(r"^CMAKE_PROJECT_NAME:STATIC=sbx_fuzz$", f.read(), re.M):
                return "fuzz"
    except OSError:
        return None
    for p in glob.glob(os.path.join(build, "CMakeFiles", "*", "CMakeSystem.cmake")):
        with open(p) as f:
            m = re.search(r'set\(CMAKE_SYSTEM_NAME "([^"]+)"\)', f.read())
            if m:
                return "windows" if m.group(1) == "Windows" else "linux"
    return None


def codemodel(build):
    """{target name: (type, [artifact abs paths], [source rel paths])} via the file API."""
    query = os.path.join(build, ".cmake", "api", "v1", "query", "client-sbx-check-tests")
    os.makedirs(query, exist_ok=True)
    open(os.path.join(query, "codemodel-v2"), "a").close()
    subprocess.run(["cmake", build], check=True, stdout=subprocess.DEVNULL)
    reply = os.path.join(build, ".cmake", "api", "v1", "reply")
    index = sorted(glob.glob(os.path.join(reply, "index-*.json")))[-1]
    with open(index) as f:
        ours = json.load(f)["reply"]["client-sbx-check-tests"]["codemodel-v2"]
    with open(os.path.join(reply, ours["jsonFile"])) as f:
        model = json.load(f)
    source_dir = model["paths"]["source"]
    build_dir = model["paths"]["build"]
    targets = {}
    for t in model["configurations"][0]["targets"]:
        with open(os.path.join(reply, t["jsonFile"])) as f:
            tj = json.load(f)
        arts = [os.path.realpath(os.path.join(build_dir, a["path"]))
                for a in tj.get("artifacts", [])]
        srcs = []
        for s in tj.get("sources", []):
            p = s["path"]
            p = os.path.realpath(p if os.path.isabs(p) else os.path.join(source_dir, p))
            srcs.append(os.path.relpath(p, os.path.realpath(TOP)))
        targets[tj["name"]] = (tj["type"], arts, srcs)
    return targets


def ctest_tests(build):
    data = show_only(build)
    tests = []
    for t in data.get("tests", []):
        props = {p["name"]: p.get("value") for p in t.get("properties", [])}
        cmd = [os.path.realpath(c) if os.path.isabs(c) else c for c in t.get("command", [])]
        tests.append((t["name"], cmd, props))
    return tests


def check_build(build, sources, problems):
    plat = build_platform(build)
    if plat is None:
        problems.append(f"{build}: not a configured CMake build directory")
        return
    targets = codemodel(build)
    tests = ctest_tests(build)
    mine = [s for s in sources if platform_of(s) == plat]
    test_sources = [s for s in mine if s not in HELPERS]
    all_test_sources = {s for s in sources if s not in HELPERS}
    # test executables: artifact -> test source
    exe_of_source = {}
    test_exes = {}
    for name, (ttype, arts, srcs) in targets.items():
        if ttype != "EXECUTABLE":
            continue
        progs = [s for s in srcs if s in all_test_sources]
        for s in progs:
            exe_of_source.setdefault(s, []).append((name, arts))
        if progs:
            for a in arts:
                test_exes[a] = (name, progs[0])
    run_by = {}
    for tname, cmd, props in tests:
        if str(props.get("DISABLED", "")).upper() in ("1", "ON", "TRUE", "YES"):
            problems.append(f"{build}: test {tname} is DISABLED")
        exes = [c for c in cmd if c in test_exes]
        for c in exes:
            run_by.setdefault(c, []).append(tname)
        if len(exes) == 1:
            continue
        if not exes and tname in OTHER_TESTS:
            continue
        if not cmd:
            problems.append(f"{build}: test {tname}: ctest finds no program to run (is the "
                            "build complete? this check runs after the build)")
        elif not exes:
            problems.append(f"{build}: test {tname} runs no executable built from a test "
                            f"source ({' '.join(cmd)})")
        else:
            problems.append(f"{build}: test {tname} runs {len(exes)} test executables")
    for s in test_sources:
        built = exe_of_source.get(s, [])
        if len(built) != 1:
            problems.append(f"{build}: test source {s} is built into {len(built)} executables "
                            f"({', '.join(n for n, _ in built) or 'none'}), not one")
            continue
        name, arts = built[0]
        if not any(a in run_by for a in arts):
            problems.append(f"{build}: test source {s} is built into {name}, which no ctest "
                            "test runs")
    for s, why in HELPERS.items():
        if platform_of(s) != plat:
            continue
        if s not in sources:
            problems.append(f"HELPERS names {s}, which is not a program source under tests/")
        elif not any(s in srcs for (ttype, _, srcs) in targets.values()
                     if ttype == "EXECUTABLE"):
            problems.append(f"{build}: helper {s} is built into no executable")
    n_exes = len({test_exes[a][0] for a in run_by})
    print(f"check-tests: {build} ({plat}): {len(test_sources)} test sources, "
          f"{n_exes} test executables run by {len(tests)} ctest tests")


def check_cmake_guards(problems):
    for path in sorted(glob.glob(os.path.join(TOP, "tests", "**", "*"), recursive=True)):
        base = os.path.basename(path)
        if not (base == "CMakeLists.txt" or base.endswith(".cmake")):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for no, line in enumerate(f, 1):
                if IF_EXISTS.search(line.split("#", 1)[0]):
                    problems.append(f"{os.path.relpath(path, TOP)}:{no}: if(EXISTS ...) in the "
                                    "tests' CMake files: a deleted suite must be a build error")


def main(argv):
    if len(argv) < 2:
        print("usage: scripts/check-tests.py BUILD_DIR...", file=sys.stderr)
        return 2
    problems = []
    sources = program_sources()
    check_cmake_guards(problems)
    for build in argv[1:]:
        check_build(os.path.realpath(build), sources, problems)
    for p in problems:
        print(f"check-tests: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
