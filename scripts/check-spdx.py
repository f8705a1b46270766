#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that every source file of sbx says its licence (SPDX).

Each tracked C file, header, CMake file, shell and Python script carries
`SPDX-License-Identifier: MIT` in a comment on one of its first three lines
(after a shebang).  With --add, the line is written into the files that
lack it (the form of comment each kind of file uses); without, a missing
one is a finding (exit 1, one line each).

Usage: scripts/check-spdx.py [--add] [ROOT]   (default: the repository)
"""
import os
import subprocess
import sys

TAG = "SPDX-License-Identifier: MIT"


def comment_for(path):
    base = os.path.basename(path)
    if path.endswith((".c", ".h")):
        return "/* " + TAG + " */\n"
    if base == "CMakeLists.txt" or path.endswith((".cmake", ".sh", ".py")) or base == "prerm":
        return "# " + TAG + "\n"
    return None


def tracked(root):
    """The repository's files (git ls-files), or, in an exported tree
    without .git, every file outside the build directories."""
    if os.path.isdir(os.path.join(root, ".git")) or os.path.isfile(os.path.join(root, ".git")):
        out = subprocess.run(["git", "-C", root, "ls-files"], check=True, capture_output=True,
                             text=True).stdout
        return [p for p in out.splitlines() if comment_for(p)]
    found = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if not x.startswith(("build", ".")))
        for f in sorted(files):
            rel = os.path.relpath(os.path.join(d, f), root)
            if comment_for(rel):
                found.append(rel)
    return found


def main(argv):
    add = "--add" in argv
    rest = [a for a in argv if a != "--add"]
    root = rest[0] if rest else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    missing = []
    for rel in tracked(root):
        path = os.path.join(root, rel)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if any(TAG in line for line in text.splitlines()[:3]):
            continue
        if not add:
            missing.append(rel)
            continue
        line = comment_for(rel)
        if text.startswith("#!"):
            first, _, body = text.partition("\n")
            text = first + "\n" + line + body
        else:
            text = line + text
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    for rel in missing:
        print(f"check-spdx: {rel}: no '{TAG}' in its first three lines "
              "(scripts/check-spdx.py --add writes it)")
    if not missing:
        print("check-spdx: every source file says its licence")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
