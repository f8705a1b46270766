# SPDX-License-Identifier: MIT
"""What ctest has registered in a build tree, shared by check-ctest.py and
check-tests.py."""
import json
import os
import subprocess


def show_only(build):
    """`ctest --show-only=json-v1` in build, keeping the last run's log
    (ctest rewrites Testing/Temporary/LastTest.log even to list tests)."""
    log = os.path.join(build, "Testing", "Temporary", "LastTest.log")
    kept = None
    if os.path.exists(log):
        with open(log, "rb") as f:
            kept = f.read()
    try:
        return json.loads(subprocess.run(["ctest", "--show-only=json-v1"], cwd=build,
                                         check=True, capture_output=True, text=True).stdout)
    finally:
        if kept is not None:
            with open(log, "wb") as f:
                f.write(kept)
