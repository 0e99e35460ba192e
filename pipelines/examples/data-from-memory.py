#!/usr/bin/python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A watermark made in memory with NumPy, given to npywatermark's `data`.

    data-from-memory.py OUT.png

Draws a 64x24 half-transparent red bar with NumPy, saves it as a .npy into
an io.BytesIO (no file), and sets those bytes as the element's `data`
property, wrapped in a GLib.Bytes: a GBytes property takes GLib.Bytes,
not Python bytes (PyGObject raises a TypeError for those).  Then stamps
one 320x240 test frame with it and writes OUT.png, whole or not at all
(a temporary name beside it, renamed at the end).

The npywatermark element must be findable: installed, or an uninstalled
build's gst/ folder in GST_PLUGIN_PATH.
"""

import io
import os
import sys
import tempfile

import numpy as np

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def watermark_bytes():
    """The .npy file's bytes, as numpy.save writes them."""
    mark = np.zeros((24, 64, 4), np.uint8)
    mark[..., 0] = 255                      # red
    mark[..., 3] = 128                      # straight alpha: half
    buf = io.BytesIO()
    np.save(buf, mark)
    return buf.getvalue()


def main(argv):
    if len(argv) != 2:
        print("usage: data-from-memory.py OUT.png", file=sys.stderr)
        return 2
    out = argv[1]
    Gst.init(None)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(out) + ".",
                               suffix=".part",
                               dir=os.path.dirname(os.path.abspath(out)))
    os.close(fd)
    pipeline = Gst.parse_launch(
        "videotestsrc num-buffers=1 pattern=black ! "
        "video/x-raw,width=320,height=240 ! npywatermark name=wm ! "
        "videoconvert ! pngenc ! filesink name=sink")
    pipeline.get_by_name("sink").set_property("location", tmp)
    # the whole .npy, as GLib.Bytes
    pipeline.get_by_name("wm").set_property(
        "data", GLib.Bytes.new(watermark_bytes()))
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg.type == Gst.MessageType.ERROR:
        os.unlink(tmp)
        print(f"data-from-memory: {msg.parse_error()[0].message}",
              file=sys.stderr)
        return 1
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
