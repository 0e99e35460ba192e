#!/usr/bin/env python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Writes real NumPy .npy files, and what the reader must make of them.

Usage: gen_npy.py OUTDIR

For every case NAME it writes OUTDIR/NAME.npy and one line in
OUTDIR/manifest.txt:

  NAME ok WIDTH HEIGHT       OUTDIR/NAME.rgba holds the expected pixels,
                             OUTDIR/NAME.rgba16 the 16-bit result
                             (native-endian uint16)
  NAME stack WIDTH HEIGHT N  an (N, H, W, C) stack: the same two files
                             hold its N frames one after the other; read
                             only when stacks are asked for
  NAME error CODE            the reader must fail with NPY_ERROR_CODE

The expected RGBA bytes are computed here, in NumPy, from the array's
values (numpy does the byte swapping and the half-float decoding), so the
C reader is never checked against itself.

Exits 77 (the automake "skip" status) if NumPy cannot be imported.
"""

import os
import sys

try:
    import numpy as np
    from numpy.lib import format as npformat
except ImportError as e:
    print("gen_npy.py: NumPy is not available (%s)" % e, file=sys.stderr)
    sys.exit(77)

HEIGHT, WIDTH = 5, 7


def to_bytes(arr):
    """The reader's rules, written with NumPy: one uint8 per element."""
    kind, size = arr.dtype.kind, arr.dtype.itemsize
    if kind == "b":
        return arr.astype(np.uint8) * np.uint8(255)
    if kind == "u" and size == 2:
        v = arr.astype(np.uint64)
        return ((v * 255 + 32767) // 65535).astype(np.uint8)
    if kind in "iu":
        assert arr.min() >= 0 and arr.max() <= 255
        return arr.astype(np.uint8)
    if kind == "f":
        d = arr.astype(np.float64)
        assert not np.isnan(d).any()
        if (d <= 1.0).all():
            d = d * 255.0
        d = np.clip(d, 0.0, 255.0)
        return np.floor(d + 0.5).astype(np.uint8)
    raise AssertionError("no expected value for %s" % arr.dtype)


def to_words(arr):
    """The 16-bit rules: one uint16 per element."""
    kind, size = arr.dtype.kind, arr.dtype.itemsize
    if kind == "b":
        return arr.astype(np.uint16) * np.uint16(65535)
    if kind == "u" and size == 2:
        return arr.astype(np.uint16)
    if kind in "iu":
        assert arr.min() >= 0 and arr.max() <= 255
        return arr.astype(np.uint16) * np.uint16(257)
    if kind == "f":
        d = arr.astype(np.float64)
        assert not np.isnan(d).any()
        # 0..1 is the full range; 0..255 is scaled as 8-bit values are
        d = d * 65535.0 if (d <= 1.0).all() else d * 257.0
        d = np.clip(d, 0.0, 65535.0)
        return np.floor(d + 0.5).astype(np.uint16)
    raise AssertionError("no expected value for %s" % arr.dtype)


def to_rgba(v, top):
    """Channels to RGBA on the last axis; (H, W) is one gray channel."""
    if v.ndim == 2:
        v = v[..., None]
    c = v.shape[-1]
    if c == 1:
        rgba = np.concatenate([v, v, v, v], axis=-1)
    elif c == 2:
        g, a = v[..., :1], v[..., 1:]
        rgba = np.concatenate([g, g, g, a], axis=-1)
    elif c == 3:
        rgba = np.concatenate([v, np.full_like(v[..., :1], top)], axis=-1)
    else:
        rgba = v
    return rgba


def expected_rgba(arr):
    rgba = to_rgba(to_bytes(arr), 255)
    return np.ascontiguousarray(rgba, dtype=np.uint8).tobytes()


def expected_rgba16(arr):
    rgba = to_rgba(to_words(arr), 65535)
    return np.ascontiguousarray(rgba, dtype="=u2").tobytes()


def values(rng, dtype, shape, variant):
    """Values that exercise the conversion, including its edges."""
    kind, size = dtype.kind, dtype.itemsize
    n = int(np.prod(shape))
    if kind == "b":
        flat = rng.integers(0, 2, n).astype(bool)
    elif kind == "u" and size == 2:
        flat = rng.integers(0, 65536, n)
        edges = [0, 1, 128, 129, 257, 32767, 32768, 65534, 65535]
        flat[: len(edges)] = edges[:n]
    elif kind == "i" and size == 1:
        flat = rng.integers(0, 128, n)
    elif kind in "iu":
        flat = rng.integers(0, 256, n)
        flat[:2] = [0, 255]
    elif variant == "unit":
        # 0..1, with values whose x255 lands on .5
        flat = rng.random(n)
        edges = [0.0, 1.0, 0.5, 0.5 / 255, 1.5 / 255, -0.25]
        flat[: len(edges)] = edges
    else:
        # 0..255 and beyond, clamped
        flat = rng.uniform(-20.0, 300.0, n)
        edges = [np.inf, -np.inf, 2.5, 0.5, 254.5, 255.0, -0.5, 1.0, 1.5]
        flat[: len(edges)] = edges
    arr = np.asarray(flat).astype(dtype).reshape(shape)
    if kind == "f":
        # Rounding to half or single precision can push a 0..1 set
        # over 1.0 or the other way; the expected value follows the
        # stored array, so either is fine, but keep the intent.
        d = arr.astype(np.float64)
        if variant == "unit":
            assert (d <= 1.0).all()
        else:
            assert (d > 1.0).any()
    return arr


class Writer:
    def __init__(self, outdir):
        self.outdir = outdir
        self.manifest = open(os.path.join(outdir, "manifest.txt"), "w")
        self.names = set()

    def _save(self, name, arr, version, fortran):
        assert name not in self.names, name
        self.names.add(name)
        if fortran:
            arr = np.asfortranarray(arr)
        path = os.path.join(self.outdir, name + ".npy")
        with open(path, "wb") as f:
            npformat.write_array(f, arr, version=version, allow_pickle=True)
        # Check the file says what this case means to test.
        with open(path, "rb") as f:
            got = npformat.read_magic(f)
            assert got == version, (name, got)
            if version == (1, 0):
                hdr = npformat.read_array_header_1_0(f)
            else:
                hdr = npformat.read_array_header_2_0(f)
            if arr.ndim >= 2 and arr.size > 0 and max(arr.shape[:2]) > 1:
                assert hdr[1] == fortran, (name, hdr)

    def _expect(self, name, arr):
        with open(os.path.join(self.outdir, name + ".rgba"), "wb") as f:
            f.write(expected_rgba(arr))
        with open(os.path.join(self.outdir, name + ".rgba16"), "wb") as f:
            f.write(expected_rgba16(arr))

    def ok(self, name, arr, version=(1, 0), fortran=False):
        self._save(name, arr, version, fortran)
        self._expect(name, arr)
        self.manifest.write("%s ok %d %d\n" % (name, arr.shape[1], arr.shape[0]))

    def stack(self, name, arr, version=(1, 0), fortran=False):
        assert arr.ndim == 4
        self._save(name, arr, version, fortran)
        self._expect(name, arr)
        self.manifest.write("%s stack %d %d %d\n" % (
            name, arr.shape[2], arr.shape[1], arr.shape[0]))

    def error(self, name, arr, code, version=(1, 0), fortran=False):
        self._save(name, arr, version, fortran)
        self.manifest.write("%s error %s\n" % (name, code))

    def close(self):
        self.manifest.close()


def main():
    if len(sys.argv) != 2:
        print("usage: gen_npy.py OUTDIR", file=sys.stderr)
        return 2
    w = Writer(sys.argv[1])
    rng = np.random.default_rng(20260101)

    codes = ["b1", "u1", "i1", "u2", "i2", "i4", "i8", "u4", "u8",
             "f2", "f4", "f8"]
    shapes = {
        "2d": (HEIGHT, WIDTH),
        "1ch": (HEIGHT, WIDTH, 1),
        "2ch": (HEIGHT, WIDTH, 2),
        "3ch": (HEIGHT, WIDTH, 3),
        "4ch": (HEIGHT, WIDTH, 4),
    }
    versions = [(1, 0), (2, 0), (3, 0)]

    # Every dtype in each byte order, every shape, both memory orders;
    # the format version turns with each case so every version meets
    # every dtype.
    i = 0
    for code in codes:
        orders = "|" if code[1] == "1" else "<>"
        for order in orders:
            dtype = np.dtype(order + code)
            variants = ["unit", "byte"] if code[0] == "f" else [""]
            for variant in variants:
                for sname, shape in shapes.items():
                    for fortran in (False, True):
                        version = versions[i % 3]
                        i += 1
                        name = "%s%s%s-%s-%s-v%d" % (
                            {"<": "le-", ">": "be-", "|": ""}[order],
                            code, "-" + variant if variant else "",
                            sname, "f" if fortran else "c", version[0])
                        arr = values(rng, dtype, shape, variant)
                        w.ok(name, arr, version, fortran)

    # Stacks of 3 images, (N, H, W, C): each channel count, the dtypes
    # that differ at 16 bits, both memory orders.
    i = 0
    for code in ["|u1", "<u2", ">u2", "<f4", "|b1", "<i2"]:
        variants = ["unit", "byte"] if code[1] == "f" else [""]
        for variant in variants:
            for c in (1, 2, 3, 4):
                for fortran in (False, True):
                    version = versions[i % 3]
                    i += 1
                    dtype = np.dtype(code)
                    arr = values(rng, dtype, (3, HEIGHT, WIDTH, c), variant)
                    name = "stack-%s%s-%dch-%s-v%d" % (
                        code.replace("<", "le-").replace(">", "be-")
                        .replace("|", ""),
                        "-" + variant if variant else "", c,
                        "f" if fortran else "c", version[0])
                    w.stack(name, arr, version, fortran)
    # A 0..255 float stack whose only value above 1.0 is in its last
    # frame: the 0..1 reading of the first frames must be undone.
    late = rng.random((4, HEIGHT, WIDTH, 2)).astype("<f4")
    late[3, HEIGHT - 1, WIDTH - 1, 1] = 200.0
    w.stack("stack-f4-late-byte-value", late)

    late = rng.random((HEIGHT, WIDTH, 4)).astype("<f8")
    late[HEIGHT - 1, WIDTH - 1, 3] = 2.0
    w.ok("f8-late-byte-value", late)

    # A frame-sized RGBA overlay, the fast path.
    big = rng.integers(0, 256, (1080, 1920, 4), dtype=np.uint8)
    w.ok("u1-1080p-4ch", big)
    # A transposed view: numpy writes it as Fortran order.
    w.ok("u1-transposed-view", rng.integers(0, 256, (4, 6, 3),
                                            dtype=np.uint8).transpose(1, 0, 2)
         .copy(order="F"), fortran=True)
    # One row, one column: both C and F contiguous at once.
    w.ok("u1-one-row", rng.integers(0, 256, (1, 9, 4), dtype=np.uint8))
    w.ok("u1-one-column", rng.integers(0, 256, (9, 1), dtype=np.uint8))
    w.ok("u1-one-pixel", np.array([[[10, 20, 30, 40]]], dtype=np.uint8))
    # Half floats: subnormals, the largest finite, infinities.
    half = np.array([[6.0e-8, 6.1e-5, 65504.0, np.inf],
                     [-np.inf, 0.5, 127.5, 2.5]], dtype="<f2")
    w.ok("f2-specials", half)
    w.ok("f2-subnormal-unit", np.array([[6.0e-8, 6.1e-5], [0.002, 1.0]],
                                       dtype=">f2"))

    # What the reader must refuse.
    w.error("i8-out-of-range", np.array([[1, 2], [300, 4]], dtype="<i8"),
            "BAD_VALUE")
    w.error("i2-negative", np.array([[1, -2], [3, 4]], dtype=">i2"),
            "BAD_VALUE")
    w.error("u8-huge", np.array([[1, 2], [3, 2**64 - 1]], dtype="<u8"),
            "BAD_VALUE")
    w.error("f4-nan", np.array([[0.1, np.nan], [0.3, 0.4]], dtype="<f4"),
            "BAD_VALUE")
    w.error("f2-nan", np.array([[0.1, 0.2], [0.3, np.nan]], dtype=">f2"),
            "BAD_VALUE")
    w.error("object", np.array([[1, None], [2, 3]], dtype=object),
            "UNSUPPORTED_DTYPE")
    w.error("bytes", np.array([[b"ab", b"c"]]), "UNSUPPORTED_DTYPE")
    w.error("unicode", np.array([["ab", "c"]]), "UNSUPPORTED_DTYPE")
    w.error("complex", np.zeros((2, 2), dtype="<c8"), "UNSUPPORTED_DTYPE")
    w.error("datetime", np.zeros((2, 2), dtype="<M8[ns]"),
            "UNSUPPORTED_DTYPE")
    w.error("timedelta", np.zeros((2, 2), dtype="<m8[s]"),
            "UNSUPPORTED_DTYPE")
    w.error("void", np.zeros((2, 2), dtype="V4"), "UNSUPPORTED_DTYPE")
    w.error("structured", np.zeros((2, 2), dtype=[("r", "u1"), ("g", "u1")]),
            "UNSUPPORTED_DTYPE")
    w.error("structured-v3-utf8",
            np.zeros((2, 2), dtype=[("r\u00e9\u4e2d", "u1")]),
            "UNSUPPORTED_DTYPE", version=(3, 0))
    if np.dtype(np.longdouble).itemsize > 8:
        w.error("longdouble", np.zeros((2, 2), dtype=np.longdouble),
                "UNSUPPORTED_DTYPE")
    w.error("shape-0d", np.array(7, dtype=np.uint8), "BAD_SHAPE")
    w.error("shape-1d", np.zeros(5, dtype=np.uint8), "BAD_SHAPE")
    w.error("shape-4d", np.zeros((2, 2, 2, 2), dtype=np.uint8), "BAD_SHAPE")
    w.error("shape-5ch", np.zeros((2, 2, 5), dtype=np.uint8), "BAD_SHAPE")
    w.error("shape-empty", np.zeros((0, 3), dtype=np.uint8), "BAD_SHAPE")
    w.error("shape-empty-channels", np.zeros((3, 3, 0), dtype=np.uint8),
            "BAD_SHAPE")
    w.error("too-large", np.zeros((1, 32769), dtype=np.uint8), "TOO_LARGE")

    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
