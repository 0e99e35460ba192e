#!/usr/bin/python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs the README's bench-element line as a user would type it, from the
top of the source tree, in an environment without the test set-up's
plugin paths (only the build folder and the frame count changed: -n 2,
not 240).  TAP on stdout.

    readme-line.py SOURCE_DIR BUILD_DIR
"""

import os
import re
import subprocess
import sys

SOURCE, BUILD = sys.argv[1], sys.argv[2]


def main():
    with open(os.path.join(SOURCE, "README.md"), encoding="utf-8") as f:
        lines = [l.strip() for l in f if "tests/bench/bench-element -n" in l
                 and l.startswith("    ")]
    print("1..2")
    print("%s 1 - the README has the bench-element line" %
          ("ok" if lines else "not ok"))
    if not lines:
        return 1
    command = lines[0]
    command = re.sub(r"^ninja -C build && ", "", command)
    command = command.replace("build/", BUILD.rstrip("/") + "/", 1)
    command = re.sub(r"-n \d+", "-n 2", command)
    env = {k: v for k, v in os.environ.items() if not k.startswith(
        ("GST_PLUGIN_PATH", "GST_PLUGIN_SYSTEM_PATH",
         "GST_PLUGIN_LOADING_WHITELIST"))}
    r = subprocess.run(["sh", "-c", command], cwd=SOURCE, env=env,
                       capture_output=True, text=True, timeout=240)
    ok = r.returncode == 0 and "npywatermark" in r.stdout
    print("%s 2 - the line runs as written: %s" % ("ok" if ok else "not ok",
                                                   lines[0]))
    if not ok:
        for line in (r.stdout + r.stderr).splitlines()[-20:]:
            print("# " + line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
