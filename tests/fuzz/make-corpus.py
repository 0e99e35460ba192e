#!/usr/bin/env python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Writes the seed corpus of the fuzz targets.

Usage: make-corpus.py CORPUSDIR

CORPUSDIR/npy/      one small valid .npy file per variant the reader
                    accepts: every dtype, both byte orders, C and Fortran
                    order, every channel count, format versions 1.0, 2.0
                    and 3.0 -- written by NumPy itself.
CORPUSDIR/overlay/  inputs of fuzz-overlay (layout in fuzz-overlay.c):
                    every video format, with a synthetic image or a .npy.
CORPUSDIR/mp4/      inputs of fuzz-mp4: tiny MP4 and MOV files made by
                    gst-launch-1.0 (H.264 and AAC), with and without the
                    edit that skips AAC's priming (tests/batch/mp4.py).

The files are committed (each is well under a few KB); run this again
only when a variant is added.  Deterministic: same output every run.
"""

import os
import struct
import sys

import numpy as np
from numpy.lib import format as npformat

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "batch"))
from mp4 import add_priming_edit, mp4_boxes  # noqa: E402

# Must match the table in fuzz-overlay.c.
N_FORMATS = 20


def save(path, arr, version, fortran):
    if fortran:
        arr = np.asfortranarray(arr)
    with open(path, "wb") as f:
        npformat.write_array(f, arr, version=version)


def npy_bytes(arr, version=(1, 0)):
    import io
    b = io.BytesIO()
    npformat.write_array(b, arr, version=version)
    return b.getvalue()


def main():
    out = sys.argv[1]
    npy_dir = os.path.join(out, "npy")
    ov_dir = os.path.join(out, "overlay")
    os.makedirs(npy_dir, exist_ok=True)
    os.makedirs(ov_dir, exist_ok=True)
    rng = np.random.default_rng(6)

    dtypes = ["|b1", "|u1", "<u2", ">u2", "<u4", ">u8", "|i1", "<i2",
              ">i4", "<i8", "<f2", ">f4", "<f8"]
    versions = [(1, 0), (2, 0), (3, 0)]
    i = 0
    for dt in dtypes:
        dtype = np.dtype(dt)
        for channels in (None, 1, 2, 3, 4):
            shape = (3, 5) if channels is None else (3, 5, channels)
            if dtype.kind == "b":
                arr = rng.integers(0, 2, shape).astype(dtype)
            elif dtype.kind == "f":
                # every other float file is a 0..1 image, the rest 0..255
                top = 1.0 if i % 2 else 255.0
                arr = (rng.random(shape) * top).astype(dtype)
            elif dtype == np.dtype("<u2") or dtype == np.dtype(">u2"):
                arr = rng.integers(0, 65536, shape).astype(dtype)
            else:
                arr = rng.integers(0, 256, shape).astype(dtype)
            fortran = i % 2 == 1
            version = versions[i % 3]
            name = "%s-%s-%s-v%d.npy" % (
                dtype.str.replace("<", "le").replace(">", "be")
                .replace("|", ""),
                "hw" if channels is None else "c%d" % channels,
                "f" if fortran else "c", version[0])
            save(os.path.join(npy_dir, name), arr, version, fortran)
            i += 1

    # A header written by hand in a spelling numpy.save never uses but
    # numpy.load accepts: keys reordered, double quotes, trailing comma.
    hdr = b"{\"shape\": (2, 2, 4,), 'fortran_order': False, " \
          b"'descr': '|u1', }"
    hdr += b" " * (63 - len(hdr)) + b"\n"
    data = bytes(range(16))
    with open(os.path.join(npy_dir, "handwritten-header.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr +
                data)

    # fuzz-overlay inputs: format, frame w-1, frame h-1, x selector + 4
    # bytes, y selector + 4 bytes, opacity, colorimetry, padding, then
    # the image: 0 = synthetic (w-1, h-1, RGBA bytes), 1 = a .npy file.
    logo = np.zeros((6, 9, 4), np.uint8)
    logo[..., :3] = rng.integers(0, 256, (6, 9, 3))
    logo[..., 3] = rng.integers(0, 256, (6, 9))
    logo[0, :, 3] = 255
    logo[:, 0, 3] = 0
    for fmt in range(N_FORMATS):
        w, h = 17 + fmt, 13 + (fmt * 7) % 11
        x, y = fmt % 5 - 2, (fmt * 3) % 7 - 3
        head = bytes([fmt, w - 1, h - 1]) + \
            bytes([0]) + struct.pack("<i", x) + \
            bytes([0]) + struct.pack("<i", y) + \
            bytes([200 if fmt % 2 else 255, fmt % 12, fmt % 3])
        synth = bytes([0, 8, 5]) + logo.tobytes()
        with open(os.path.join(ov_dir, "fmt%02d-synth" % fmt), "wb") as f:
            f.write(head + synth)
        arr = logo[..., :3] if fmt % 3 == 0 else logo
        with open(os.path.join(ov_dir, "fmt%02d-npy" % fmt), "wb") as f:
            f.write(head + bytes([1]) + npy_bytes(arr, versions[fmt % 3]))

    # HDR and BT.2020 frames (colorimetry byte / 18: PQ, HLG, BT.2020
    # SDR; matrix BT.2020, limited or full range): RGBA, I420, NV12, YUY2
    # and GRAY8, the watermark's colours converted (gst/colour.c).
    for fmt in (0, 11, 13, 17, 19):
        for hdr in (1, 2, 3):
            w, h = 19 + hdr, 11 + fmt % 5
            colour = hdr * 18 + (hdr % 2) * 6 + 2
            head = bytes([fmt, w - 1, h - 1]) + \
                bytes([0]) + struct.pack("<i", hdr - 2) + \
                bytes([0]) + struct.pack("<i", 1 - hdr) + \
                bytes([180, colour, 0])
            with open(os.path.join(ov_dir, "hdr%d-fmt%02d-synth" % (hdr, fmt)),
                      "wb") as f:
                f.write(head + bytes([0, 8, 5]) + logo.tobytes())

    write_mp4(os.path.join(out, "mp4"))


def write_mp4(folder):
    """Four frames of 16x16 H.264 and five AAC packets in each container,
    the muxers' times zeroed (so that every run writes the same bytes)."""
    import subprocess
    os.makedirs(folder, exist_ok=True)
    for name, muxer, rate in (("plain.mp4", "mp4mux", 48000),
                              ("plain.mov", "qtmux", 44100)):
        path = os.path.join(folder, name)
        subprocess.run(
            ["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=4", "!",
             "video/x-raw,width=16,height=16,framerate=25/1", "!", "x264enc",
             "threads=1", "!", "h264parse", "!", "queue", "!", muxer,
             "name=m", "!", "filesink", "location=" + path, "audiotestsrc",
             "num-buffers=5", "samplesperbuffer=1024", "!",
             "audio/x-raw,rate=%d,channels=1" % rate, "!", "avenc_aac", "!",
             "aacparse", "!", "queue", "!", "m."], check=True)
        with open(path, "rb") as f:
            data = bytearray(f.read())
        for kind in (b"mvhd", b"tkhd", b"mdhd"):
            pos = data.find(kind)
            while pos > 0:
                if data[pos + 4] == 0:
                    data[pos + 8:pos + 16] = bytes(8)
                pos = data.find(kind, pos + 4)
        # the muxer's own XMP box after the moov carries its time too
        data = data[:sum(b[3] for b in mp4_boxes(data, 0, len(data))
                         if b[0] != b"uuid")]
        with open(path, "wb") as f:
            f.write(data)
        primed = os.path.join(folder, "primed-" + name)
        with open(primed, "wb") as f:
            f.write(data)
        add_priming_edit(primed, 1024 if muxer == "mp4mux" else 2112, 300)


if __name__ == "__main__":
    main()
