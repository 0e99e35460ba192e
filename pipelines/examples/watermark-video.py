#!/usr/bin/python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Watermarks a video file from Python (PyGObject, Debian's python3-gst-1.0).

    watermark-video.py IN OUT.mkv WATERMARK.npy [--opacity 0.8]

Decodes IN (any file GStreamer reads), stamps WATERMARK.npy at the top-left
of every frame with npywatermark, encodes VP8 (H.264 when x264enc is
installed) and Opus into Matroska.  Unlike a gst-launch line it links the
audio branch only when the file has audio, and it reports errors from the
bus as "watermark-video: IN: <reason>" with exit status 1.

The npywatermark element must be findable: installed with `meson install`,
or an uninstalled build's gst/ folder in GST_PLUGIN_PATH.
"""

import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def make(factory, **props):
    element = Gst.ElementFactory.make(factory, None)
    if element is None:
        raise RuntimeError(f"no {factory} element: is its plugin installed?")
    for name, value in props.items():
        # From strings, as gst-launch does: enums by nick, numbers.
        Gst.util_set_object_arg(element, name.rstrip("_").replace("_", "-"),
                                str(value))
    return element


def video_encoder():
    if Gst.ElementFactory.find("x264enc"):
        return make("x264enc", pass_="qual", quantizer=20,
                    speed_preset="faster")
    return make("vp8enc", deadline=1, cpu_used=4, target_bitrate=8000000,
                threads=4)


class Watermarker:
    def __init__(self, src, dst, watermark, opacity):
        self.src = src
        self.error = None
        self.pipeline = Gst.Pipeline.new("watermark-video")
        filesrc = make("filesrc", location=src)
        self.decode = make("decodebin")
        self.mux = make("matroskamux")
        sink = make("filesink", location=dst)
        self.watermark = make("npywatermark", location=watermark,
                              opacity=opacity)
        for element in (filesrc, self.decode, self.mux, sink):
            self.pipeline.add(element)
        filesrc.link(self.decode)
        self.mux.link(sink)
        # decodebin makes its pads once it knows what the file holds.
        self.decode.connect("pad-added", self.on_pad_added)

    def branch(self, pad, elements):
        """Links pad -> elements... -> the muxer, and starts them."""
        for element in elements:
            self.pipeline.add(element)
        for upstream, downstream in zip(elements, elements[1:]):
            upstream.link(downstream)
        elements[-1].link(self.mux)
        for element in elements:
            element.sync_state_with_parent()
        pad.link(elements[0].get_static_pad("sink"))

    def on_pad_added(self, _decodebin, pad):
        kind = pad.get_current_caps().get_structure(0).get_name()
        if kind.startswith("video/"):
            self.branch(pad, [make("queue"), make("videoconvert"),
                              self.watermark, make("videoconvert"),
                              video_encoder(), make("queue")])
        elif kind.startswith("audio/"):
            self.branch(pad, [make("queue"), make("audioconvert"),
                              make("audioresample"), make("opusenc"),
                              make("queue")])
        # Anything else (subtitles, ...) is left out.

    def run(self):
        bus = self.pipeline.get_bus()
        if self.pipeline.set_state(Gst.State.PLAYING) == \
                Gst.StateChangeReturn.FAILURE:
            self.on_message(bus.pop_filtered(Gst.MessageType.ERROR))
        else:
            while True:
                msg = bus.timed_pop_filtered(
                    Gst.CLOCK_TIME_NONE,
                    Gst.MessageType.ERROR | Gst.MessageType.WARNING |
                    Gst.MessageType.EOS)
                if not self.on_message(msg):
                    break
        self.pipeline.set_state(Gst.State.NULL)
        return self.error is None

    def on_message(self, msg):
        """Reports what the bus says; False when the pipeline is done."""
        if msg is None:
            self.error = "could not start the pipeline"
            return False
        if msg.type == Gst.MessageType.WARNING:
            err, _debug = msg.parse_warning()
            print(f"watermark-video: {self.src}: warning: {err.message}",
                  file=sys.stderr)
            return True
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            self.error = err.message
            print(f"watermark-video: {self.src}: {err.message}",
                  file=sys.stderr)
            print(f"  ({msg.src.get_name()}: {debug})", file=sys.stderr)
        return False


def main():
    parser = argparse.ArgumentParser(
        description="Watermark a video file with npywatermark.")
    parser.add_argument("input")
    parser.add_argument("output", help="Matroska file to write")
    parser.add_argument("watermark", help=".npy watermark (HxWx4 RGBA)")
    parser.add_argument("--opacity", type=float, default=1.0,
                        help="0..1, multiplies the watermark's alpha")
    args = parser.parse_args()

    Gst.init(None)
    try:
        ok = Watermarker(args.input, args.output, args.watermark,
                         args.opacity).run()
    except (RuntimeError, GLib.Error) as e:
        print(f"watermark-video: {e}", file=sys.stderr)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
