#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that a ctest run passed every test it has: none failed, none
skipped, none not run, none disabled.

ctest itself exits 0 when tests were skipped (exit code SKIP_RETURN_CODE,
77 here: a suite that needs root or a kernel feature it did not find) or
disabled: a test that cannot run would pass the test command unseen.  The
test command (scripts/test.sh) runs ctest as root on a machine that has
everything, so there every test must really run and pass.  Skipping stays
only for a developer who runs ctest unprivileged by hand.

Usage: scripts/check-ctest.py JUNIT_XML BUILD_DIR
  JUNIT_XML  the report of `ctest --output-junit JUNIT_XML` (CMake >= 3.21)
  BUILD_DIR  the build whose tests ran: the report must name every test
             `ctest --show-only=json-v1` lists there, and no other.

Exit 0 when every listed test ran and passed; 1 otherwise, with one line
per test that did not (its name, what ctest said and why).
"""
import sys
import xml.etree.ElementTree as ET

from ctest_list import show_only


def registered_tests(build):
    data = show_only(build)
    return [t["name"] for t in data.get("tests", [])]


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().split("\n\n")[2], file=sys.stderr)
        return 2
    report, build = argv[1], argv[2]
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"check-ctest: cannot read the ctest report {report}: {e}", file=sys.stderr)
        return 1
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    cases = [c for s in suites for c in s.findall("testcase")]
    problems = []
    seen = {}
    for c in cases:
        name = c.get("name", "?")
        seen[name] = seen.get(name, 0) + 1
        status = c.get("status", "")
        why = ""
        for tag in ("skipped", "failure", "error"):
            el = c.find(tag)
            if el is not None:
                why = el.get("message") or tag
        if status != "run" or why:
            out = (c.findtext("system-out") or "").strip().splitlines()
            said = next((line for line in out if line.startswith("SKIP")), "")
            what = {"notrun": "skipped or not run", "disabled": "disabled",
                    "fail": "failed"}.get(status, status or "no status")
            problems.append(f"{name}: {what}" + (f" ({why})" if why else "") +
                            (f": {said}" if said else ""))
    listed = registered_tests(build)
    for name in listed:
        if name not in seen:
            problems.append(f"{name}: registered in {build} but not in the report (not run)")
    for name, n in seen.items():
        if name not in listed:
            problems.append(f"{name}: in the report but not registered in {build}")
        if n > 1:
            problems.append(f"{name}: {n} times in the report")
    if not listed:
        problems.append(f"no tests are registered in {build}")
    for p in problems:
        print(f"check-ctest: {p}", file=sys.stderr)
    if problems:
        print(f"check-ctest: {len(problems)} of {len(listed)} tests did not run and pass: "
              "the test command runs every test, as root (skipping is for unprivileged "
              "runs by hand only)", file=sys.stderr)
        return 1
    print(f"check-ctest: all {len(listed)} tests ran and passed (0 skipped, 0 not run)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
