#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check the include graph of sbx's sources (docs/ARCHITECTURE.md).

Fails (exit 1, one line per finding) on:
  - a cycle between files, between units (foo.c with foo.h), or between
    folders, by `#include "..."`;
  - an arrow that points up the layers (cli > migrate, modes > launcher >
    confine, os > common > state > util);
  - a plan driver (modes/os/) that includes the confinement run-time
    (modes/confine/), or a run-time file that includes a plan driver;
  - a launcher file that includes anything but the run-time, the shared
    names and formats (modes/common/) and util/;
  - an include that names no file of the tree.

Usage: scripts/check-includes.py [ROOT]   (default: the repository)
"""
import os
import re
import sys

SOURCE_DIRS = ("util", "state", "migrate", "modes", "cli")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

# Layers, lowest first.  A file may include its own layer or a lower one.
LAYERS = [
    ("util", 0),
    ("state", 1),
    ("modes/common", 2),
    ("modes/os", 3),
    ("modes/confine", 3),
    ("modes/net", 3),
    ("modes/launcher", 4),
    ("migrate", 5),
    ("modes", 5),  # mode.h, select.c, unelevated/, elevated/
    ("cli", 6),
]


def layer_of(path):
    best = None
    for prefix, rank in LAYERS:
        if path == prefix or path.startswith(prefix + "/"):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, rank)
    return best


def scan(root):
    files = {}
    for top in SOURCE_DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith((".c", ".h")):
                    full = os.path.join(dirpath, n)
                    rel = os.path.relpath(full, root).replace(os.sep, "/")
                    with open(full, encoding="utf-8") as f:
                        files[rel] = INCLUDE.findall(f.read())
    return files


def find_cycle(graph):
    """One cycle of a directed graph as a list of nodes, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {n: WHITE for n in graph}
    stack = []

    def visit(n):
        color[n] = GREY
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if color.get(m, WHITE) == GREY:
                return stack[stack.index(m):] + [m]
            if color.get(m, WHITE) == WHITE:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        color[n] = BLACK
        return None

    for n in sorted(graph):
        if color[n] == WHITE:
            c = visit(n)
            if c:
                return c
    return None


def all_cycles(graph):
    """Report cycles one by one, removing an edge of each found."""
    g = {k: set(v) for k, v in graph.items()}
    found = []
    while True:
        c = find_cycle(g)
        if not c or len(found) > 50:
            return found
        found.append(c)
        g[c[-2]].discard(c[-1])


def unit(path):
    return os.path.splitext(path)[0]


def check(root):
    files = scan(root)
    problems = []
    file_graph = {f: set() for f in files}
    for f, incs in files.items():
        for inc in incs:
            if inc not in files:
                problems.append(f"{f}: includes \"{inc}\", which is no file of the tree "
                                f"(includes are relative to the repository root)")
                continue
            file_graph[f].add(inc)

    unit_graph, dir_graph = {}, {}
    for f, deps in file_graph.items():
        for d in deps:
            if unit(f) != unit(d):
                unit_graph.setdefault(unit(f), set()).add(unit(d))
            fd, dd = os.path.dirname(f), os.path.dirname(d)
            if fd != dd:
                dir_graph.setdefault(fd, set()).add(dd)
        unit_graph.setdefault(unit(f), set())
        dir_graph.setdefault(os.path.dirname(f), set())

    for what, graph in (("files", file_graph), ("units", unit_graph), ("folders", dir_graph)):
        for c in all_cycles(graph):
            problems.append(f"include cycle between {what}: " + " -> ".join(c))

    for f, deps in sorted(file_graph.items()):
        lf = layer_of(f)
        for d in sorted(deps):
            ld = layer_of(d)
            if lf and ld and ld[1] > lf[1]:
                problems.append(f"{f}: includes {d}, a higher layer ({ld[0]} above {lf[0]})")
            if f.startswith("modes/os/") and d.startswith("modes/confine/"):
                problems.append(f"{f}: a plan driver includes the confinement run-time ({d})")
            if f.startswith("modes/confine/") and d.startswith("modes/os/"):
                problems.append(f"{f}: the confinement run-time includes a plan driver ({d})")
            if f.startswith("modes/launcher/") and not d.startswith(
                    ("modes/launcher/", "modes/confine/", "modes/common/", "util/")):
                problems.append(f"{f}: the launcher includes {d} (only the run-time, "
                                f"modes/common/ and util/ are allowed)")
    return len(files), problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    n, problems = check(os.path.abspath(root))
    for p in problems:
        print(p)
    if problems:
        print(f"check-includes: {len(problems)} problem(s) in {n} files")
        return 1
    print(f"check-includes: {n} files, no cycle, every arrow points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
