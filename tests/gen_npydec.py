#!/usr/bin/env python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Writes .npy files with NumPy, and the frames npydec must make of them.

Usage: gen_npydec.py OUTDIR

For every case NAME it writes OUTDIR/NAME.npy and one line in
OUTDIR/manifest.txt:

  NAME npy FORMAT WIDTH HEIGHT FRAMES VERSION DESCR FORTRAN SHAPE
      OUTDIR/NAME.frames holds the FRAMES frames in the video FORMAT
      (GStreamer's name), rows packed without padding; VERSION, DESCR,
      FORTRAN (True/False) and SHAPE (comma-separated) are what NumPy
      wrote in the header, for the typefinder
  NAME other
      not a .npy file: the typefinder must not claim it

The values use gen_npy.py's rules (to_bytes, to_words), computed here in
NumPy from the array, never by the C reader.

Exits 77 (the automake "skip" status) if NumPy cannot be imported.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import numpy as np
    from numpy.lib import format as npformat
    from gen_npy import to_bytes, to_words, values
except ImportError as e:
    print("gen_npydec.py: NumPy is not available (%s)" % e, file=sys.stderr)
    sys.exit(77)

HEIGHT, WIDTH = 5, 7


def deep(dtype):
    return dtype.kind == "f" or (dtype.kind == "u" and dtype.itemsize == 2)


def expected(arr):
    """(format, bytes of all frames) as npydec outputs them."""
    if deep(arr.dtype):
        v, top, out = to_words(arr), 65535, "<u2"
    else:
        v, top, out = to_bytes(arr), 255, "u1"
    if v.ndim == 2:
        v = v[..., None]
    c = v.shape[-1]
    if c == 1:
        fmt = "GRAY16_LE" if deep(arr.dtype) else "GRAY8"
        px = v
    elif c == 2:
        g, a = v[..., :1], v[..., 1:]
        px = np.concatenate([g, g, g, a], axis=-1)
        fmt = "RGBA64_LE" if deep(arr.dtype) else "RGBA"
    elif c == 3:
        if deep(arr.dtype):
            px = np.concatenate([v, np.full_like(v[..., :1], top)], axis=-1)
            fmt = "RGBA64_LE"
        else:
            px, fmt = v, "RGB"
    else:
        px = v
        fmt = "RGBA64_LE" if deep(arr.dtype) else "RGBA"
    return fmt, np.ascontiguousarray(px, dtype=out).tobytes()


class Writer:
    def __init__(self, outdir):
        self.outdir = outdir
        self.manifest = open(os.path.join(outdir, "manifest.txt"), "w")

    def npy(self, name, arr, version=(1, 0), fortran=False):
        if fortran:
            arr = np.asfortranarray(arr)
        path = os.path.join(self.outdir, name + ".npy")
        with open(path, "wb") as f:
            npformat.write_array(f, arr, version=version)
        with open(path, "rb") as f:
            npformat.read_magic(f)
            shape, fortran_order, dtype = (
                npformat.read_array_header_1_0(f) if version == (1, 0)
                else npformat.read_array_header_2_0(f))
        fmt, data = expected(arr)
        with open(os.path.join(self.outdir, name + ".frames"), "wb") as f:
            f.write(data)
        frames = arr.shape[0] if arr.ndim == 4 else 1
        h, w = arr.shape[-3:-1] if arr.ndim >= 3 else arr.shape
        self.manifest.write("%s npy %s %d %d %d %d %s %s %s\n" % (
            name, fmt, w, h, frames, version[0],
            npformat.dtype_to_descr(dtype), fortran_order,
            ",".join(str(d) for d in shape)))

    def other(self, name, data):
        with open(os.path.join(self.outdir, name + ".npy"), "wb") as f:
            f.write(data)
        self.manifest.write("%s other\n" % name)


def main():
    if len(sys.argv) != 2:
        print("usage: gen_npydec.py OUTDIR", file=sys.stderr)
        return 2
    w = Writer(sys.argv[1])
    rng = np.random.default_rng(20261201)
    versions = [(1, 0), (2, 0), (3, 0)]
    shapes = {
        "2d": (HEIGHT, WIDTH),
        "1ch": (HEIGHT, WIDTH, 1),
        "2ch": (HEIGHT, WIDTH, 2),
        "3ch": (HEIGHT, WIDTH, 3),
        "4ch": (HEIGHT, WIDTH, 4),
    }

    # Every dtype the reader takes, in each byte order, every shape; the
    # version and the memory order turn with each case.
    i = 0
    for code in ["b1", "u1", "i1", "u2", "i2", "i4", "i8", "u4", "u8",
                 "f2", "f4", "f8"]:
        for order in ("|" if code[1] == "1" else "<>"):
            dtype = np.dtype(order + code)
            for variant in (["unit", "byte"] if code[0] == "f" else [""]):
                for sname, shape in shapes.items():
                    version = versions[i % 3]
                    fortran = i % 4 == 3
                    i += 1
                    name = "%s%s%s-%s-%s-v%d" % (
                        {"<": "le-", ">": "be-", "|": ""}[order], code,
                        "-" + variant if variant else "", sname,
                        "f" if fortran else "c", version[0])
                    w.npy(name, values(rng, dtype, shape, variant), version,
                          fortran)

    # Stacks: (N, H, W, C) at 8 and 16 bits, each channel count.
    for j, (code, c) in enumerate([("|u1", 4), ("|u1", 3), ("|u1", 1),
                                   ("<u2", 4), ("<f4", 2), ("|u1", 2),
                                   (">u2", 1)]):
        arr = values(rng, np.dtype(code), (4, HEIGHT, WIDTH, c),
                     "unit" if code[1] == "f" else "")
        w.npy("stack-%s-%dch" % (code[1:], c), arr, versions[j % 3],
              fortran=j % 2 == 1)
    # Odd widths: rows of RGB and GRAY8 are padded to 4 bytes in video.
    w.npy("u1-3ch-odd", rng.integers(0, 256, (3, 5, 3), dtype=np.uint8))
    w.npy("u1-gray-odd", rng.integers(0, 256, (2, 3), dtype=np.uint8))
    w.npy("u2-gray-odd", rng.integers(0, 65536, (3, 3), dtype="<u2"))

    # Not .npy files, or not versions NumPy reads.
    w.other("text", b"hello, this is not an array\n" * 8)
    w.other("png", b"\x89PNG\r\n\x1a\n" + bytes(range(64)))
    w.other("magic-5", b"\x93NUMPX\x01\x00" + b" " * 64)
    w.other("version-4", b"\x93NUMPY\x04\x00" + b"\x10\x00" + b" " * 64)
    w.other("minor-1", b"\x93NUMPY\x01\x01" + b"\x10\x00" + b" " * 64)
    w.other("version-9", b"\x93NUMPY\x09\x00" + b"\x10\x00" + b" " * 64)
    w.other("magic-only", b"\x93NUMPY")
    w.manifest.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
