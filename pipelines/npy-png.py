#!/usr/bin/python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A PNG logo as a .npy watermark, or a .npy image back as a PNG.

    pipelines/npy-png.py IN.png OUT.npy
    pipelines/npy-png.py IN.npy OUT.png

The direction follows OUT's extension.  PNG -> .npy keeps the PNG's
channels and depth exactly: RGBA as (H, W, 4), RGB (H, W, 3), gray and
alpha (H, W, 2), gray (H, W); 16-bit PNGs as uint16, others as uint8
(palettes and tRNS expanded, 1/2/4-bit gray scaled to 0..255).  Alpha
stays straight (not premultiplied), as PNG and npywatermark both have it,
so a transparent pixel keeps its colour.

.npy -> PNG takes (H, W) and (H, W, 1..4) arrays of uint8 or bool (8-bit
PNG) and uint16 or float (16-bit PNG; floats as npywatermark reads them:
0..1, or 0..255 when a value is above 1).  A stack (N, H, W, C) is
refused: pipelines/npy-preview.sh shows one.

OUT is written to a temporary name beside it and renamed when complete.
Errors print "npy-png: FILE: reason" and exit with status 1; usage
errors exit with 2.  Needs NumPy and pypng (Debian: python3-numpy,
python3-png).
"""

import os
import sys
import tempfile

import numpy as np
import png


class Refused(Exception):
    """A file this tool cannot convert, and why."""


def png_to_array(path):
    try:
        width, height, rows, info = png.Reader(filename=path).asDirect()
        depth = info["bitdepth"]
        planes = info["planes"]
        data = np.array([np.asarray(r) for r in rows])
    except (png.Error, ValueError) as e:
        raise Refused(f"not a PNG it can read: {e}")
    if data.shape != (height, width * planes):
        raise Refused("the PNG ended before its last row")
    data = data.reshape(height, width, planes)
    if depth == 16:
        return data.astype("<u2")
    if depth < 8:
        data = data * 255 // ((1 << depth) - 1)
    data = data.astype(np.uint8)
    return data[:, :, 0] if planes == 1 else data


def array_to_png(path):
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise Refused(f"not a .npy file it can read: {e}")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 4:
        raise Refused(f"a stack of {a.shape[0]} images, not one "
                      "(pipelines/npy-preview.sh shows stacks)")
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)):
        raise Refused(f"shape {a.shape} is not (H, W) or (H, W, 1..4)")
    if a.dtype == np.bool_:
        a, depth = a.astype(np.uint8) * 255, 8
    elif a.dtype == np.uint8:
        depth = 8
    elif a.dtype == np.uint16:
        depth = 16
    elif a.dtype.kind == "f":
        if not np.isfinite(a).all() or a.min() < 0 or a.max() > 255:
            raise Refused("float values outside 0..1 (or 0..255)")
        scale = 255.0 if a.max() > 1.0 else 1.0
        a, depth = np.rint(a / scale * 65535).astype(np.uint16), 16
    else:
        raise Refused(f"dtype {a.dtype} (uint8, uint16, bool or float "
                      "arrays only)")
    planes = 1 if a.ndim == 2 else a.shape[2]
    writer = png.Writer(a.shape[1], a.shape[0], greyscale=planes <= 2,
                        alpha=planes in (2, 4), bitdepth=depth)
    return writer, a.reshape(a.shape[0], -1)


def write_whole(out, write):
    """Calls @write with a file beside @out, renamed to @out when
    complete: @out is whole or not there."""
    directory = os.path.dirname(os.path.abspath(out))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(out) + ".",
                               suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        # the mode new files get, not mkstemp's 0600
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv):
    if len(argv) != 3 or not argv[2].lower().endswith((".npy", ".png")):
        print("usage: npy-png.py IN.png OUT.npy | IN.npy OUT.png",
              file=sys.stderr)
        return 2
    src, out = argv[1], argv[2]
    try:
        if not os.path.isfile(src):
            raise Refused("no such file" if not os.path.exists(src)
                          else "not a regular file")
        if out.lower().endswith(".npy"):
            a = png_to_array(src)
            write_whole(out, lambda f: np.save(f, a))
        else:
            writer, rows = array_to_png(src)
            write_whole(out, lambda f: writer.write(f, rows))
    except Refused as e:
        print(f"npy-png: {src}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"npy-png: {e.filename or out}: {e.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
