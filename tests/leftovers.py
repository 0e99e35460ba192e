#!/usr/bin/python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fails if the tests left anything in their TMPDIR (tests/meson.build
runs this last): names each leftover with its size and removes it, so
that the next run starts clean.

    leftovers.py TMPDIR
"""

import os
import shutil
import sys


def size(path):
    if os.path.isdir(path) and not os.path.islink(path):
        return sum(size(os.path.join(path, n)) for n in os.listdir(path))
    return os.lstat(path).st_blocks * 512


def main():
    folder = sys.argv[1]
    left = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    for name in left:
        path = os.path.join(folder, name)
        print(f"# left behind: {name} ({size(path)} bytes on disk)")
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    print("1..1")
    print(f"{'not ok' if left else 'ok'} 1 - nothing left in {folder}")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
