#!/usr/bin/python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Watermarks a video file from Python (PyGObject, Debian's python3-gst-1.0).

    watermark-video.py IN OUT.mkv WATERMARK.npy [--opacity 80]

Decodes IN (any file GStreamer reads), stamps WATERMARK.npy at the top-left
of every frame with npywatermark, encodes VP8 (H.264 when x264enc is
installed), 4:2:0, and Opus into Matroska.  Unlike a gst-launch line it
links the audio branch only when the file has audio, and it reports errors
from the bus as "watermark-video: IN: <reason>" with exit status 1.  A
still picture is refused, as video.sh refuses it (still.sh is for those).

--opacity is a percentage (0..100), as everywhere outside the element; the
element's own property is 0..1.  OUT appears only when complete: it is
written to a hidden temporary name beside it and renamed at the end; on an
error (a file with no video stream, say) nothing is written.

The npywatermark element must be findable: installed with `meson install`,
or an uninstalled build's gst/ folder in GST_PLUGIN_PATH.
"""

import argparse
import os
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import GLib, Gst, GstPbutils  # noqa: E402


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


def percentage(text):
    """argparse type: an opacity in percent, returned as 0..1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'opacity "{text}" is not a number: give a percentage from 0 '
            'to 100') from None
    if 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f"opacity {text} is a percentage from 0 to 100; "
            f"did you mean {value * 100:g}?")
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(
            f"opacity {text} is out of range: give a percentage from 0 to "
            "100")
    return value / 100


def is_still(path):
    """True when GStreamer sees @path as a picture (its only video stream
    an image), which decodebin would turn into a one-frame video: refused
    as video.sh refuses it (gst-discoverer-1.0's "video(image)")."""
    try:
        info = GstPbutils.Discoverer.new(60 * Gst.SECOND).discover_uri(
            Gst.filename_to_uri(os.path.abspath(path)))
    except GLib.Error:
        return False        # the pipeline says why
    streams = info.get_video_streams()
    return bool(streams) and all(s.is_image() for s in streams)


class Watermarker:
    def __init__(self, src, dst, watermark, opacity):
        self.src = src
        self.error = None
        self.has_video = False
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
        self.decode.connect("no-more-pads", self.on_no_more_pads)

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
        if kind.startswith("video/") and not self.has_video:
            self.has_video = True
            # 4:2:0: what every player and browser decodes (from RGB,
            # x264enc would pick High 4:4:4).
            self.branch(pad, [make("queue"), make("videoconvert"),
                              self.watermark, make("videoconvert"),
                              make("capsfilter", caps="video/x-raw,format=I420"),
                              video_encoder(), make("queue")])
        elif kind.startswith("audio/"):
            self.branch(pad, [make("queue"), make("audioconvert"),
                              make("audioresample"), make("opusenc"),
                              make("queue")])
        # Anything else (subtitles, a second video, ...) is left out.

    def on_no_more_pads(self, decodebin):
        # Without video the muxer would write an audio-only file, or wait.
        if not self.has_video:
            decodebin.post_message(Gst.Message.new_application(
                decodebin, Gst.Structure.new_empty("no-video")))

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
                    Gst.MessageType.APPLICATION | Gst.MessageType.EOS)
                if not self.on_message(msg):
                    break
        self.pipeline.set_state(Gst.State.NULL)
        return self.error is None

    def on_message(self, msg):
        """Reports what the bus says; False when the pipeline is done."""
        if msg is None:
            self.error = "could not start the pipeline"
            return False
        if msg.type == Gst.MessageType.APPLICATION:
            if not msg.get_structure().has_name("no-video"):
                return True
            self.error = "no video stream"
            print(f"watermark-video: {self.src}: no video stream",
                  file=sys.stderr)
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
    parser.add_argument("--opacity", type=percentage, default=1.0,
                        help="percent, 0..100 (default 100); multiplies "
                        "the watermark's alpha")
    args = parser.parse_args()

    Gst.init(None)
    if is_still(args.input):
        print(f"watermark-video: {args.input}: no video stream (a still "
              "picture: see still.sh)", file=sys.stderr)
        return 1
    folder, name = os.path.split(os.path.abspath(args.output))
    try:
        fd, partial = tempfile.mkstemp(dir=folder, prefix=f".{name[:200]}.",
                                       suffix=".part")
    except OSError as e:
        print(f"watermark-video: {args.output}: cannot write: {e.strerror}",
              file=sys.stderr)
        return 1
    os.close(fd)
    ok = False
    try:
        ok = Watermarker(args.input, partial, args.watermark,
                         args.opacity).run()
        if ok:
            # The permissions a new file gets (mkstemp's are private).
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(partial, 0o666 & ~umask)
            os.replace(partial, args.output)
    except (RuntimeError, GLib.Error) as e:
        print(f"watermark-video: {e}", file=sys.stderr)
    finally:
        if not ok:
            os.unlink(partial)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
