#!/usr/bin/python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""meson setup where libyaml-dev is missing (its yaml-0.1.pc hidden from
pkg-config): -Dbatch=auto skips the batch command with a message,
-Dbatch=enabled stops the set-up naming the package.  TAP on stdout.

    test_setup.py MESON SOURCE_DIR
"""

import os
import shutil
import subprocess
import sys
import tempfile

MESON, SOURCE = sys.argv[1], sys.argv[2]
n = 0


def check(cond, desc, diag=""):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, desc))
    if not cond:
        for line in str(diag).splitlines()[-30:]:
            print("# " + line)
    sys.stdout.flush()


def pc_without(folder, hidden):
    """A pkg-config folder with links to every .pc file of the usual
    search path but @hidden."""
    path = subprocess.run(["pkg-config", "--variable", "pc_path",
                           "pkg-config"], capture_output=True, text=True,
                          check=True).stdout.strip().split(":")
    for d in reversed(path):
        if os.path.isdir(d):
            for name in os.listdir(d):
                if name.endswith(".pc") and name != hidden:
                    link = os.path.join(folder, name)
                    if os.path.lexists(link):
                        os.unlink(link)
                    os.symlink(os.path.join(d, name), link)


def setup(tmp, pc, batch):
    env = dict(os.environ, PKG_CONFIG_LIBDIR=pc)
    env.pop("PKG_CONFIG_PATH", None)
    build = os.path.join(tmp, "build-" + batch)
    return subprocess.run([MESON, "setup", build, SOURCE, "-Dbatch=" + batch,
                           "-Dtests=disabled", "-Dbenchmarks=false"],
                          env=env, capture_output=True, text=True,
                          timeout=300), build


def main():
    tmp = tempfile.mkdtemp(prefix="npw-setup-")
    try:
        pc = os.path.join(tmp, "pc")
        os.mkdir(pc)
        pc_without(pc, "yaml-0.1.pc")
        r, build = setup(tmp, pc, "auto")
        out = r.stdout + r.stderr
        check(r.returncode == 0, "-Dbatch=auto without libyaml: set-up "
              "succeeds", out)
        check("npy-watermark (the batch command) is not built: libyaml-dev "
              "missing" in out, "... saying the batch command is skipped "
              "and why", out)
        ninja = os.path.join(build, "build.ninja")
        check(os.path.exists(ninja) and "npy-watermark" not in
              open(ninja).read(), "... and nothing of it is built",
              out)
        r, _ = setup(tmp, pc, "enabled")
        out = r.stdout + r.stderr
        check(r.returncode != 0 and "-Dbatch=enabled: the npy-watermark "
              "batch command needs libyaml-dev" in out,
              "-Dbatch=enabled without libyaml: set-up stops naming "
              "libyaml-dev", out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % n)


if __name__ == "__main__":
    main()
