"""Which syscalls each conformance test exercises.

Each tests/<family>_test.cc declares, in comment lines near its top,

    // syscalls: open openat creat close        (every suite in the file)
    // syscalls(OpenAt2): openat2               (only suite OpenAt2)

A suite with its own line gets only that line's syscalls; the other suites
get the file's default line. Names are the syscall table's names.
"""

import os
import re

LINE_RE = re.compile(r"^//\s*syscalls(?:\((\w+)\))?:\s*(.*)$")


def parse_file(path):
    default, per_suite = [], {}
    with open(path) as f:
        for line in f:
            m = LINE_RE.match(line.strip())
            if not m:
                continue
            names = m.group(2).split()
            if m.group(1):
                per_suite.setdefault(m.group(1), []).extend(names)
            else:
                default.extend(names)
    return default, per_suite


def family_maps(sources):
    """{family: (default syscalls, {suite: syscalls})}"""
    out = {}
    for f in sorted(os.listdir(sources)):
        if f.endswith("_test.cc"):
            out[f[:-len("_test.cc")]] = parse_file(os.path.join(sources, f))
    return out


def syscalls_for(maps, family, test):
    default, per_suite = maps.get(family, ([], {}))
    suite = test.split(".", 1)[0].split("/")[-1]
    return per_suite.get(suite, default)


def syscalls_by_test(sources, test_to_family):
    maps = family_maps(sources)
    return {t: syscalls_for(maps, fam, t) for t, fam in test_to_family.items()}
