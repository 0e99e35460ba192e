#!/usr/bin/python3
# Video files in npy-watermark (--videos): small videos made here with
# gst-launch-1.0 (H.264+AAC MP4, MOV, H.264+Opus MKV, VP9+Opus WebM, an
# MPEG-4 AVI, 10-bit HEVC HDR10, a rotated phone clip, variable frame
# rate, a truncated MP4, an audio-only file, AAC whose edit skips its
# priming as FFmpeg and phones write it), run through the built
# command and looked at as a user would: the container, the audio packets
# byte for byte, every frame and its time, where the watermark is against
# a composite computed here from the decoded input, the HDR caps, exit
# statuses, what an interrupt leaves, the report and the dry run.  TAP on
# stdout; the helpers are test_batch.py's.
#
#   test_videos.py NPY_WATERMARK GROUP

import json
import math
import os
import re
import shlex
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_batch import (EXE, GROUP, blend_drawn, drawn_reference,  # noqa
                        log_lines, main, pillow_scaled, psnr, run,
                        run_on_terminal, save_npy, tap, tree, write_config)

import numpy as np
import gi
from mp4 import add_priming_edit, mp4_audio  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)

# A loaded 2-core machine encodes these small videos in a second or two.
RUN_TIMEOUT = 120


# ---------------------------------------------------------------- helpers

def gst(pipeline, cwd):
    """Runs a gst-launch-1.0 line (a fixture), failing loudly."""
    r = subprocess.run(["gst-launch-1.0", "-q", *shlex.split(pipeline)],
                       cwd=cwd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("gst-launch-1.0 %s: %s" % (pipeline, r.stderr))


def have(element):
    return Gst.ElementFactory.find(element) is not None


def video_src(w, h, frames, rate=25, fmt="I420", pattern="smpte"):
    return ("videotestsrc num-buffers=%d pattern=%s ! video/x-raw,format=%s,"
            "width=%d,height=%d,framerate=%d/1" % (frames, pattern, fmt, w,
                                                   h, rate))


def audio_src(seconds, rate=48000):
    # 1024-sample buffers: AAC frames; the count covers the video's time
    n = int(seconds * rate / 1024) + 1
    return ("audiotestsrc num-buffers=%d samplesperbuffer=1024 wave=ticks ! "
            "audio/x-raw,rate=%d,channels=2" % (n, rate))


def h264_aac(folder, name, video, audio, muxer="mp4mux", x264=""):
    """Writes @name in @folder: @video as H.264 (x264's ultrafast, then
    @x264's settings) and @audio as AAC, muxed by @muxer (with its
    settings)."""
    gst('%s ! x264enc speed-preset=ultrafast %s ! h264parse ! queue ! %s '
        'name=m ! filesink location=%s  %s ! avenc_aac ! aacparse ! queue ! '
        'm.' % (video, x264, muxer, name, audio), folder)


TAG = re.compile(r'([\w-]+)=\(\w+\)("(?:[^"\\]|\\.)*"|[^,;]+)')


def pull_all(path):
    """Demuxes and parses @path (parsebin): returns a list of streams,
    each {"caps": str, "kind": "video"|"audio"|..., "buffers": [(pts, dts,
    duration, bytes)]}, and the tags posted, merged."""
    pipeline = Gst.Pipeline()
    src = Gst.ElementFactory.make("filesrc")
    src.set_property("location", path)
    parse = Gst.ElementFactory.make("parsebin")
    pipeline.add(src)
    pipeline.add(parse)
    src.link(parse)
    streams = []

    def added(_, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        stream = {"caps": caps.to_string(), "kind": name.split("/")[0],
                  "buffers": []}
        streams.append(stream)
        queue = Gst.ElementFactory.make("queue")
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        pipeline.add(queue)
        pipeline.add(sink)
        queue.link(sink)
        queue.sync_state_with_parent()
        sink.sync_state_with_parent()

        def keep(_, info):
            b = info.get_buffer()
            stream["buffers"].append((b.pts, b.dts, b.duration,
                                      b.extract_dup(0, b.get_size())))
            return Gst.PadProbeReturn.OK

        def caps_event(_, info):
            # the parser's latest caps: h265parse adds what the stream's
            # SEI says once it has read the first frame
            event = info.get_event()
            if event.type == Gst.EventType.CAPS:
                stream["caps"] = event.parse_caps().to_string()
            return Gst.PadProbeReturn.OK
        pad.add_probe(Gst.PadProbeType.BUFFER, keep)
        pad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, caps_event)
        pad.link(queue.get_static_pad("sink"))

    parse.connect("pad-added", added)
    pipeline.set_state(Gst.State.PLAYING)
    tags = {}
    bus = pipeline.get_bus()
    while True:
        msg = bus.timed_pop_filtered(30 * Gst.SECOND, Gst.MessageType.EOS |
                                     Gst.MessageType.ERROR |
                                     Gst.MessageType.TAG)
        if msg is None or msg.type != Gst.MessageType.TAG:
            break
        # as GStreamer serialises them (its Python DateTime is fragile)
        # a file's own tags over a track's (its name, its rotation)
        taglist = msg.parse_tag()
        scope = ("global" if taglist.get_scope() == Gst.TagScope.GLOBAL
                 else "stream")
        for name, value in TAG.findall(taglist.to_string()):
            tags.setdefault(scope, {}).setdefault(name, value.strip())
    pipeline.set_state(Gst.State.NULL)
    if msg is None or msg.type == Gst.MessageType.ERROR:
        raise RuntimeError("%s: %s" % (path, msg.parse_error()
                                       if msg else "timeout"))
    return streams, {**tags.get("stream", {}), **tags.get("global", {})}


def frame_times(stream):
    """A stream's frame times, sorted: presentation times, or decode
    times where the container stores no other (AVI)."""
    none = Gst.CLOCK_TIME_NONE
    if all(b[0] != none for b in stream["buffers"]):
        return sorted(b[0] for b in stream["buffers"])
    return sorted(b[1] for b in stream["buffers"])


def of_kind(streams, kind):
    return [s for s in streams if s["kind"] == kind]


def decode(path, fmt="RGB"):
    """Every frame of @path's video as stored (no rotation applied),
    converted to @fmt: a list of (pts, HxWxC array)."""
    pipeline = Gst.parse_launch(
        'filesrc name=src ! decodebin ! videoconvert ! '
        'video/x-raw,format=%s ! appsink name=sink sync=false' % fmt)
    pipeline.get_by_name("src").set_property("location", path)
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    frames = []
    while True:
        sample = sink.emit("try-pull-sample", 30 * Gst.SECOND)
        if sample is None:
            break
        s = sample.get_caps().get_structure(0)
        w, h = s.get_value("width"), s.get_value("height")
        buf = sample.get_buffer()
        data = np.frombuffer(buf.extract_dup(0, buf.get_size()), np.uint8)
        stride = len(data) // h
        frame = data[:stride * h].reshape(h, stride)[:, :w * 3]
        frames.append((buf.pts, frame.reshape(h, w, 3)))
    pipeline.set_state(Gst.State.NULL)
    return frames


def container_of(path):
    """The container by its bytes: what a player would see."""
    with open(path, "rb") as f:
        head = f.read(64)
    if head[4:8] == b"ftyp":
        return "iso-bmff:" + head[8:12].decode("latin-1")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if b"webm" in head else "matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    return "unknown"


def parts(folder):
    return [n for n in tree(folder) if n.endswith(".part")]


def make_watermark(tmp, w=24, h=16):
    """A logo with an alpha ramp and colours that show against any
    frame."""
    yy, xx = np.mgrid[0:h, 0:w]
    wm = np.dstack([np.full((h, w), 250), xx * 200 // w, yy * 200 // h,
                    np.full((h, w), 210)]).astype(np.uint8)
    save_npy(os.path.join(tmp, "logo.npy"), wm)
    return wm


def run_videos(tmp, *args, timeout=RUN_TIMEOUT):
    return run(tmp, "--input", "in", "--npy", "logo.npy", "--videos",
               "--video-preset", "ultrafast", *args, timeout=timeout)


def read_report(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def patch_rotation(path, degrees):
    """Writes a rotation into an MP4's video track header (tkhd matrix),
    as phones do; 1.22's mp4mux writes none itself."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    cos, sin = {90: (0, 1), 180: (-1, 0), 270: (0, -1)}[degrees]
    fixed = [cos, sin, 0, -sin, cos, 0, 0, 0, 1]
    patched = 0
    pos = data.find(b"tkhd")
    while pos > 0:
        version = data[pos + 4]
        # after the type: version/flags, creation and modification times,
        # track id, reserved, duration (20 or 32 bytes), reserved(8),
        # layer, group, volume, reserved(2)
        matrix = pos + 4 + 4 + (20 if version == 0 else 32) + 16
        width = struct.unpack(">I", data[matrix + 36:matrix + 40])[0]
        if width:               # a video track
            values = []
            for i, v in enumerate(fixed):
                # 16.16 fixed point, but u, v, w (2, 5, 8) are 2.30
                values.append(v << 30 if i in (2, 5, 8) else (v << 16)
                              & 0xffffffff)
            data[matrix:matrix + 36] = struct.pack(">9I", *[x & 0xffffffff
                                                            for x in values])
            patched += 1
        pos = data.find(b"tkhd", pos + 4)
    assert patched == 1, "one video tkhd"
    with open(path, "wb") as f:
        f.write(data)


def set_mvhd_time(path, unix):
    """Sets an MP4's creation and modification times (mvhd), as a
    camera wrote them; 1.22's mp4mux writes the time it ran."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    pos = data.find(b"mvhd")
    assert pos > 0 and data[pos + 4] == 0
    struct.pack_into(">II", data, pos + 8, unix + 2082844800,
                     unix + 2082844800)
    with open(path, "wb") as f:
        f.write(data)


# ----------------------------------------------------------------- groups

def make_containers(folder):
    """The issue's ordinary inputs: name -> (muxer caps, codec, has audio).
    Each 1 s, small, with audio."""
    os.makedirs(folder, exist_ok=True)
    made = {}
    h264_aac(folder, "clip.mp4", video_src(160, 120, 25), audio_src(1),
             x264="key-int-max=10")
    made["clip.mp4"] = ("iso-bmff", "video/x-h264")
    h264_aac(folder, "Phone.MOV", video_src(160, 120, 30, 30), audio_src(1),
             muxer="qtmux")
    made["Phone.MOV"] = ("iso-bmff:qt", "video/x-h264")
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! queue ! '
        'matroskamux name=m ! filesink location=talk.mkv  %s ! opusenc ! '
        'opusparse ! queue ! m.' % (video_src(160, 120, 25),
                                    audio_src(1)), folder)
    made["talk.mkv"] = ("matroska", "video/x-h264")
    gst('%s ! vp9enc deadline=1 cpu-used=8 ! queue ! webmmux name=m ! '
        'filesink location=web.webm  %s ! opusenc ! queue ! m.'
        % (video_src(160, 120, 20), audio_src(0.8)), folder)
    made["web.webm"] = ("webm", "video/x-vp9")
    gst('%s ! avenc_mpeg4 ! mpeg4videoparse ! queue ! avimux name=m ! '
        'filesink location=old.avi  %s ! lamemp3enc ! mpegaudioparse ! '
        'queue ! m.' % (video_src(160, 120, 25), audio_src(1, 44100)),
        folder)
    made["old.avi"] = ("avi", "video/x-h264")   # MPEG-4 part 2 -> H.264
    return made


def group_containers(tmp):
    make_watermark(tmp)
    made = make_containers(os.path.join(tmp, "in"))

    # without --videos nothing changes: not supported, skipped
    r = run(tmp, "--input", "in", "--npy", "logo.npy", "--height", "120",
            "--report", "plain.jsonl")
    tap.check(r.returncode == 0 and not os.path.exists(
        os.path.join(tmp, "in", "output", "clip.mp4")),
        "without --videos the videos are left alone", r.stderr)
    tap.eq(sorted(x["status"] for x in read_report(
        os.path.join(tmp, "plain.jsonl"))[:-1]), ["skipped"] * len(made),
        "... and reported as not supported")

    # veryfast: B-frames, whose times each muxer must keep
    r = run(tmp, "--input", "in", "--npy", "logo.npy", "--videos",
            "--video-preset", "veryfast", "--height", "120", "--position",
            "bottom-right", "--report", "r.jsonl", timeout=RUN_TIMEOUT)
    tap.eq(r.returncode, 0, "five containers: exit 0", r.stderr)
    out = os.path.join(tmp, "in", "output")
    tap.eq(tree(out), sorted(made), "one output each, same names, no "
           "temporary file left")
    report = {os.path.basename(x["input"]): x
              for x in read_report(os.path.join(tmp, "r.jsonl"))
              if "input" in x}
    for name, (container, codec) in sorted(made.items()):
        src, dst = os.path.join(tmp, "in", name), os.path.join(out, name)
        if not os.path.exists(dst):
            tap.check(False, "%s written" % name)
            continue
        tap.check(container_of(dst).startswith(container),
                  "%s: still %s" % (name, container), container_of(dst))
        a, _ = pull_all(src)
        b, _ = pull_all(dst)
        tap.check(of_kind(b, "video") and of_kind(b, "video")[0][
            "caps"].startswith(codec), "%s: video is %s" % (name, codec),
            [s["caps"][:40] for s in b])
        # audio: the same packets, byte for byte
        ain, aout = of_kind(a, "audio"), of_kind(b, "audio")
        tap.check(len(ain) == 1 and len(aout) == 1 and
                  b"".join(x[3] for x in ain[0]["buffers"]) ==
                  b"".join(x[3] for x in aout[0]["buffers"]),
                  "%s: the audio bytes are the input's (%d packets in, %d "
                  "out)" % (name, len(ain[0]["buffers"]) if ain else 0,
                            len(aout[0]["buffers"]) if aout else 0))
        tap.check(ain and aout and ain[0]["caps"].split(",")[0] ==
                  aout[0]["caps"].split(",")[0],
                  "%s: audio not re-encoded (%s)" % (
                      name, aout[0]["caps"][:30] if aout else None))
        # A/V sync: the audio at its own times too
        if ain and aout:
            tin, tout = frame_times(ain[0]), frame_times(aout[0])
            tap.check(len(tin) == len(tout) and all(
                abs(x - y) <= Gst.MSECOND for x, y in zip(tin, tout)),
                "%s: each audio packet at its input time" % name,
                "in  %s\nout %s" % (tin[:6], tout[:6]))
        # every frame, its own time
        # (AVI stores no presentation times: its decode times, then)
        vin = frame_times(of_kind(a, "video")[0])
        vout = frame_times(of_kind(b, "video")[0])
        tap.eq(len(vout), len(vin), "%s: same number of frames" % name)
        tap.check(len(vin) == len(vout) and all(
            abs(x - y) <= Gst.MSECOND for x, y in zip(vin, vout)),
            "%s: each frame at its input time (within 1 ms)" % name,
            "in  %s\nout %s" % (vin[:8], vout[:8]))
        rep = report.get(name, {})
        tap.check(rep.get("status") == "done" and rep.get("frames") ==
                  len(vin) and rep.get("audio_streams") == 1 and
                  rep.get("codec_in") and rep.get("codec_out") and
                  rep.get("duration", 0) > 0.5,
                  "%s: report line with frames, codecs, duration" % name,
                  rep)
    tap.check("MPEG-4" in report.get("old.avi", {}).get("codec_in", ""),
              "the AVI's MPEG-4 part 2 is named in the report",
              report.get("old.avi"))

    # veryslow holds 60 frames and more (2.4 s at 25 fps) before its first
    # output: a muxer waiting for that video while queues limited to a
    # second (GStreamer's default) fill with audio would never finish
    slow = os.path.join(tmp, "slow")
    os.makedirs(slow)
    h264_aac(slow, "s.mp4", video_src(96, 64, 100), audio_src(4))
    r = run(tmp, "--input", "slow", "--npy", "logo.npy", "--videos",
            "--video-preset", "veryslow", "--height", "64",
            timeout=RUN_TIMEOUT)
    tap.check(r.returncode == 0 and os.path.exists(
        os.path.join(slow, "output", "s.mp4")),
        "veryslow with audio: no deadlock between the muxer and the "
        "encoder's look-ahead", r.stderr)


def group_tags(tmp):
    """Creation time, title and location travel from MP4 and MKV."""
    make_watermark(tmp)
    folder = os.path.join(tmp, "in")
    os.makedirs(folder)
    # an old creation time, so that a muxer's own (now) cannot pass
    when = GLib.DateTime.new_utc(2024, 5, 1, 10, 20, 30)
    for name, mux in (("tags.mp4", "mp4mux"), ("tags.mkv", "matroskamux")):
        pipeline = Gst.parse_launch(
            "%s ! x264enc speed-preset=ultrafast ! h264parse ! queue ! "
            "%s name=m ! filesink name=f  %s ! avenc_aac ! aacparse ! "
            "queue ! m." % (video_src(160, 120, 10), mux, audio_src(0.4)))
        pipeline.get_by_name("f").set_property(
            "location", os.path.join(folder, name))
        tags = Gst.TagList.new_empty()
        tags.add_value(Gst.TagMergeMode.APPEND, "title", "Harbour at dawn")
        tags.add_value(Gst.TagMergeMode.APPEND, "geo-location-latitude",
                       48.8584)
        tags.add_value(Gst.TagMergeMode.APPEND, "geo-location-longitude",
                       2.2945)
        pipeline.get_by_name("m").merge_tags(tags, Gst.TagMergeMode.REPLACE)
        if mux == "matroskamux":
            pipeline.get_by_name("m").set_property("creation-time", when)
        pipeline.set_state(Gst.State.PLAYING)
        msg = pipeline.get_bus().timed_pop_filtered(
            60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        pipeline.set_state(Gst.State.NULL)
        assert msg and msg.type == Gst.MessageType.EOS
    set_mvhd_time(os.path.join(folder, "tags.mp4"), when.to_unix())

    # a Matroska subtitle track (matroskademux gives it as Pango markup)
    with open(os.path.join(tmp, "s.srt"), "w") as f:
        f.write("1\n00:00:00,100 --> 00:00:00,300\nFish & chips\n\n"
                "2\n00:00:00,300 --> 00:00:00,400\nfin\n")
    # (and two audio streams: each is kept)
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! queue ! '
        'matroskamux name=m ! filesink location=in/subs.mkv  %s ! opusenc ! '
        'queue ! m.  filesrc location=s.srt ! subparse ! queue ! m.  %s ! '
        'avenc_aac ! aacparse ! queue ! m.'
        % (video_src(160, 120, 10), audio_src(0.4), audio_src(0.4)), tmp)

    r = run_videos(tmp, "--height", "120")
    tap.eq(r.returncode, 0, "tagged videos: exit 0", r.stderr)
    a, _ = pull_all(os.path.join(folder, "subs.mkv"))
    b, _ = pull_all(os.path.join(folder, "output", "subs.mkv"))
    sin = [x[3] for x in of_kind(a, "text")[0]["buffers"]] if of_kind(
        a, "text") else None
    sout = [x[3] for x in of_kind(b, "text")[0]["buffers"]] if of_kind(
        b, "text") else None
    tap.check(sin and sout == sin, "subs.mkv: the subtitles kept, as they "
              "were (%s)" % sin, sout)
    ain = sorted((s["caps"].split(",")[0], b"".join(x[3] for x in s[
        "buffers"])) for s in of_kind(a, "audio"))
    aout = sorted((s["caps"].split(",")[0], b"".join(x[3] for x in s[
        "buffers"])) for s in of_kind(b, "audio"))
    tap.check(len(ain) == 2 and aout == ain, "subs.mkv: both audio streams "
              "kept, byte for byte", [x[0] for x in aout])
    for name in ("tags.mp4", "tags.mkv"):
        _, want = pull_all(os.path.join(folder, name))
        _, got = pull_all(os.path.join(folder, "output", name))
        for tag in ("title", "datetime", "geo-location-latitude",
                    "geo-location-longitude"):
            tap.eq(got.get(tag), want.get(tag), "%s: %s kept (%s)"
                   % (name, tag, want.get(tag)))
        tap.check(want.get("datetime", "").startswith("2024-05-01T10:20:30"),
                  "%s: the fixture was made in 2024" % name, want)
        tap.check("title" in want and "datetime" in want,
                  "%s: the fixture has a title and a creation time" % name)


def frame_psnrs(src_frames, out_frames, drawn, opacity, rect):
    """Mean PSNR inside @rect of the output against the reference
    composite (the decoded input blended here) and against the bare
    input, and over the whole frame against the reference."""
    x0, y0, x1, y1 = rect
    inside, bare, whole = [], [], []
    for (_, a), (_, b) in zip(src_frames, out_frames):
        want = blend_drawn(np.dstack([a, np.full(a.shape[:2], 255,
                                                 np.uint8)]),
                           drawn, opacity)[..., :3]
        inside.append(psnr(b[y0:y1, x0:x1], want[y0:y1, x0:x1]))
        bare.append(psnr(b[y0:y1, x0:x1], a[y0:y1, x0:x1]))
        whole.append(psnr(b, want))
    return np.mean(inside), np.mean(bare), np.mean(whole)


def drawn_rect(drawn):
    ys, xs = np.nonzero(drawn[..., 3])
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def group_pixels(tmp):
    """Placement and size against a composite computed here."""
    wm = make_watermark(tmp, 30, 20)
    folder = os.path.join(tmp, "in")
    os.makedirs(folder)
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! '
        'filesink location=a.mp4' % video_src(192, 128, 12, pattern="ball"),
        folder)
    src = decode(os.path.join(folder, "a.mp4"))
    out = os.path.join(folder, "output", "a.mp4")
    for position, margin, size in ((8, 6, 0), (0, 0, 25), (4, 0, 0),
                                   (6, 3, 40)):
        if os.path.exists(out):
            os.unlink(out)
        names = ["top-left", "top", "top-right", "left", "center", "right",
                 "bottom-left", "bottom", "bottom-right"]
        r = run_videos(tmp, "--height", "128", "--position", names[position],
                       "--margin", str(margin), "--size", str(size),
                       "--opacity", "90", "--video-crf", "0")
        desc = "%s margin %d size %d" % (names[position], margin, size)
        if not tap.eq(r.returncode, 0, desc + ": exit 0", r.stderr):
            continue
        got = decode(out)
        if size:
            s = min(size / 100 * 192 / 30, size / 100 * 128 / 20)
            w, h = int(math.floor(30 * s + 0.5)), int(math.floor(20 * s +
                                                                 0.5))
            logo = pillow_scaled(wm, w, h)
        else:
            logo = wm
        drawn = drawn_reference((128, 192), logo, position, margin)
        inside, bare, whole = frame_psnrs(src, got, drawn, 90,
                                          drawn_rect(drawn))
        tap.check(len(got) == len(src), desc + ": every frame")
        # (the element blends in 4:2:0: at an odd offset the edge's chroma
        # is shared with the frame, hence 25 dB, not more)
        tap.check(inside > 25 and bare < inside - 15,
                  "%s: inside the watermark %.1f dB from the reference "
                  "composite (%.1f dB from the bare input)" % (desc, inside,
                                                               bare))
        tap.check(whole > 30, "%s: whole frame %.1f dB from the reference"
                  % (desc, whole))

    # --video-crf is a constant quality, not capped: x264enc's pass=qual
    # alone also holds the rate under its bitrate property (2048 kbit/s,
    # through a VBV buffer); 1 s of noise at CRF 18 needs far more.
    # (stored losslessly: a lossy fixture would have lost the noise)
    noisy = os.path.join(tmp, "noisy")
    os.makedirs(noisy)
    gst('%s ! x264enc pass=quant quantizer=0 speed-preset=ultrafast ! '
        'h264parse ! mp4mux ! filesink location=snow.mp4'
        % video_src(320, 240, 30, rate=30, pattern="snow"), noisy)
    r = run(tmp, "--input", "noisy", "--npy", "logo.npy", "--videos",
            "--video-preset", "ultrafast", "--height", "240",
            "--video-crf", "18", "--output", "snow", timeout=RUN_TIMEOUT)
    snow = os.path.join(tmp, "snow", "snow.mp4")
    size = os.path.getsize(snow) if os.path.exists(snow) else 0
    tap.check(r.returncode == 0 and size > 600000,
              "1 s of noise at --video-crf 18: %.1f Mbit/s, not held under "
              "x264enc's 2 Mbit/s bitrate" % (size * 8 / 1e6), r.stderr)

    # output_height: aspect kept, even width (300x200 -> 150: 225 -> 226)
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! matroskamux ! '
        'filesink location=b.mkv' % video_src(300, 200, 5), folder)
    r = run_videos(tmp, "--height", "151", "--output", "scaled")
    got = decode(os.path.join(tmp, "scaled", "b.mkv"))
    tap.check(r.returncode == 0 and got and got[0][1].shape[:2] == (150,
                                                                     226),
              "height 151 on 300x200: 226x150 (4:2:0: even sides)",
              got[0][1].shape if got else r.stderr)


def group_rotation(tmp):
    """A phone clip's rotation: turned, written upright without one."""
    wm = make_watermark(tmp, 20, 12)
    folder = os.path.join(tmp, "in")
    os.makedirs(folder)
    h264_aac(folder, "phone.mp4", video_src(128, 96, 10, pattern="ball"),
             audio_src(0.4))
    patch_rotation(os.path.join(folder, "phone.mp4"), 90)
    _, tags = pull_all(os.path.join(folder, "phone.mp4"))
    tap.eq(tags.get("image-orientation"), "rotate-90",
           "the fixture says rotate-90 (as qtdemux reads it)")
    r = run_videos(tmp, "--height", "128", "--position", "bottom-right",
                   "--margin", "4", "--video-crf", "0")
    tap.eq(r.returncode, 0, "rotated clip: exit 0", r.stderr)
    out = os.path.join(folder, "output", "phone.mp4")
    _, tags = pull_all(out)
    tap.check(tags.get("image-orientation", "rotate-0") == "rotate-0",
              "the output carries no rotation", tags.get("image-orientation"))
    src = [(t, np.ascontiguousarray(np.rot90(f, -1)))
           for t, f in decode(os.path.join(folder, "phone.mp4"))]
    got = decode(out)
    tap.check(got and got[0][1].shape[:2] == (128, 96),
              "stored upright: 96x128 (portrait)",
              got[0][1].shape if got else None)
    if got and got[0][1].shape[:2] == (128, 96):
        drawn = drawn_reference((128, 96), wm, 8, 4)
        inside, bare, whole = frame_psnrs(src, got, drawn, 100,
                                          drawn_rect(drawn))
        tap.check(inside > 30 and bare < inside - 10,
                  "the watermark upright at the bottom-right of the "
                  "displayed frame: %.1f dB (bare %.1f dB)" % (inside, bare))
        tap.check(whole > 30, "whole frame %.1f dB from the turned input "
                  "with the watermark" % whole)


def group_hdr(tmp):
    """10-bit HEVC HDR10 stays 10-bit HEVC with its colorimetry and
    mastering-display and content-light metadata."""
    make_watermark(tmp)
    folder = os.path.join(tmp, "in")
    os.makedirs(folder)
    mdi = "35400:14600:8500:39850:6550:2300:15635:16450:10000000:50"
    cll = "1000:400"
    hdr = ('%s ! capssetter join=true caps="video/x-raw,colorimetry='
           'bt2100-pq,mastering-display-info=(string)%s,content-light-level='
           '(string)%s" ! x265enc speed-preset=ultrafast ! h265parse'
           % (video_src(160, 96, 10, fmt="I420_10LE"), mdi, cll))
    gst(hdr + ' ! mp4mux ! filesink location=hdr.mp4', folder)
    gst(hdr + ' ! matroskamux ! filesink location=hdr.mkv', folder)
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! '
        'filesink location=sdr.mp4' % video_src(160, 96, 5), folder)
    r = run_videos(tmp, "--height", "96", "--report", "r.jsonl")
    tap.eq(r.returncode, 0, "HDR10 clip: exit 0", r.stderr)
    streams, _ = pull_all(os.path.join(folder, "output", "hdr.mp4"))
    caps = of_kind(streams, "video")[0]["caps"] if streams else ""
    for field, want in (("profile", "main-10"), ("bit-depth-luma", "10"),
                        ("colorimetry", "bt2100-pq"),
                        ("mastering-display-info", mdi),
                        ("content-light-level", cll)):
        m = re.search(field + r"=\(\w+\)([^,]+)", caps)
        tap.eq(m.group(1) if m else None, want, "HDR10 output: %s %s"
               % (field, want))
    streams, _ = pull_all(os.path.join(folder, "output", "sdr.mp4"))
    caps = of_kind(streams, "video")[0]["caps"] if streams else ""
    tap.check("profile=(string)high-10" not in caps and
              "chroma-format=(string)4:2:0" in caps and
              "bit-depth-luma=(uint)8" in caps,
              "an 8-bit source gives 4:2:0 8-bit", caps)
    frames = decode(os.path.join(folder, "output", "hdr.mp4"))
    tap.eq(len(frames), 10, "HDR10 output: every frame")

    # The mastering display SEI as x265 writes it (G, B, R, white point,
    # max luminance), in the HEVC stream of each output: from MKV too,
    # whose demuxer misreads the container's copy (2000000:10)
    sei = struct.pack(">8HI", 8500, 39850, 6550, 2300, 35400, 14600, 15635,
                      16450, 10000000)
    for name in ("hdr.mp4", "hdr.mkv"):
        with open(os.path.join(folder, name), "rb") as f:
            tap.check(sei in f.read(), "%s: the fixture has the SEI" % name)
        path = os.path.join(folder, "output", name)
        with open(path, "rb") as f:
            tap.check(sei in f.read(), "%s output: the stream's mastering "
                      "display SEI has the input's values" % name)
    streams, _ = pull_all(os.path.join(folder, "output", "hdr.mkv"))
    caps = of_kind(streams, "video")[0]["caps"] if streams else ""
    tap.check("bit-depth-luma=(uint)10" in caps and
              "colorimetry=(string)bt2100-pq" in caps,
              "hdr.mkv output: 10-bit, bt2100-pq", caps)

    # The watermark HDR-correct (the element's conversion, README "HDR and
    # wide-gamut frames"): an opaque sRGB white on a PQ frame is the
    # reference white, 203 cd/m2: PQ 0.5807, limited-range 10-bit luma
    # 64 + 876 x 0.5807 = 573; not the format's peak (940, 10000 cd/m2).
    white = os.path.join(tmp, "white")
    os.makedirs(white)
    gst('%s ! capssetter join=true caps="video/x-raw,colorimetry=bt2100-pq"'
        ' ! x265enc speed-preset=ultrafast ! h265parse ! mp4mux ! '
        'filesink location=w.mp4' % video_src(96, 64, 3, fmt="I420_10LE",
                                              pattern="black"), white)
    save_npy(os.path.join(tmp, "white.npy"), np.full((16, 32, 4), 255,
                                                     np.uint8))
    r = run(tmp, "--input", "white", "--npy", "white.npy", "--videos",
            "--video-preset", "ultrafast", "--video-crf", "0", "--height",
            "64", "--position", "top-left", "--margin", "0",
            timeout=RUN_TIMEOUT)
    pipeline = Gst.parse_launch(
        "filesrc name=src ! decodebin ! video/x-raw,format=I420_10LE ! "
        "appsink name=sink sync=false")
    pipeline.get_by_name("src").set_property(
        "location", os.path.join(white, "output", "w.mp4"))
    pipeline.set_state(Gst.State.PLAYING)
    sample = pipeline.get_by_name("sink").emit("try-pull-sample",
                                               30 * Gst.SECOND)
    luma = None
    if sample is not None:
        buf = sample.get_buffer()
        y = np.frombuffer(buf.extract_dup(0, 96 * 64 * 2), "<u2")
        y = y.reshape(64, 96)
        luma = (int(y[4:12, 4:28].mean()), int(y[30:60, 50:90].mean()))
    pipeline.set_state(Gst.State.NULL)
    tap.check(r.returncode == 0 and luma is not None and
              abs(luma[0] - 573) <= 8 and luma[1] < 80,
              "HDR10: an opaque white watermark at the reference white "
              "(10-bit luma 573, got %s; background black)" % (luma,),
              r.stderr[-800:])


def group_bad(tmp):
    """Truncated, audio-only and unreadable files fail with their reason;
    the good one is done; nothing is left of the bad ones."""
    make_watermark(tmp)
    folder = os.path.join(tmp, "in")
    os.makedirs(folder)
    h264_aac(folder, "whole.mp4", video_src(160, 120, 50), audio_src(2),
             muxer="mp4mux faststart=true")
    with open(os.path.join(folder, "whole.mp4"), "rb") as f:
        data = f.read()
    with open(os.path.join(folder, "cut.mp4"), "wb") as f:
        f.write(data[:len(data) // 2])
    gst('%s ! avenc_aac ! aacparse ! mp4mux ! filesink location=song.mp4'
        % audio_src(1), folder)
    with open(os.path.join(folder, "junk.mkv"), "wb") as f:
        f.write(b"not a video at all, just text\n" * 100)
    r = run_videos(tmp, "--height", "120", "--report", "r.jsonl")
    tap.eq(r.returncode, 1, "bad videos: exit 1", r.stderr)
    out = os.path.join(folder, "output")
    tap.eq(tree(out), ["whole.mp4"], "only the good one written, no "
           "temporary file left")
    report = {os.path.basename(x["input"]): x
              for x in read_report(os.path.join(tmp, "r.jsonl"))
              if "input" in x}
    log = "\n".join(log_lines(tmp))
    for name, words in (("cut.mp4", "truncated"),
                        ("song.mp4", "no video stream (audio only"),
                        ("junk.mkv", "not a video file")):
        rep = report.get(name, {})
        tap.check(rep.get("status") == "failed" and words in
                  rep.get("reason", ""), "%s: failed, %s" % (name, words),
                  rep)
        tap.check(re.search(r"Error processing in/%s: .*%s" % (
            re.escape(name), re.escape(words)), log) is not None,
            "%s: the reason in watermark.log" % name)
        tap.check(name in r.stdout and words in r.stdout,
                  "%s: named in the console summary" % name, r.stdout)


def group_interrupt(tmp):
    """SIGTERM during a long video: exit 130, nothing in output/; the
    rerun with --skip-existing does it."""
    make_watermark(tmp)
    folder = os.path.join(tmp, "in")
    os.makedirs(folder)
    h264_aac(folder, "long.mp4", video_src(640, 360, 400, 25), audio_src(16))
    out = os.path.join(folder, "output")
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc = subprocess.Popen(
            [EXE, "--input", "in", "--npy", "logo.npy", "--videos",
             "--video-preset", "veryslow", "--height", "360"], cwd=tmp,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline and not (os.path.isdir(out) and
                                              parts(out)):
            time.sleep(0.05)
        time.sleep(0.5)         # well into the encoding
        started = bool(os.path.isdir(out) and parts(out))
        proc.send_signal(sig)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        tap.check(started, "%s: the video was in hand" % sig.name)
        tap.eq(proc.returncode, 130, "%s: exit 130" % sig.name, err)
        tap.eq(tree(out), [], "%s: nothing left in output/ (no partial, "
               "no temporary file)" % sig.name)
    # the rerun on a terminal: the bar counts the video's frames
    code, text = run_on_terminal(tmp, "--input", "in", "--npy", "logo.npy",
                                 "--videos", "--video-preset", "ultrafast",
                                 "--height", "360", "--skip-existing",
                                 timeout=RUN_TIMEOUT)
    tap.check(code == 0 and tree(out) == ["long.mp4"],
              "--skip-existing redoes it", text[-500:])
    # (the total is the container's duration, 16.02 s with the audio's
    # last packet, times the frame rate)
    bars = re.findall(r"video (\d+)/(\d+) frames  [\d.]+ fps  ETA \d",
                      text)
    tap.check(bars and all(398 <= int(t) <= 402 for _, t in bars) and
              any(0 < int(d) < 400 for d, _ in bars),
              "on a terminal: the bar counts frames done of the ~400 the "
              "container says, with fps and ETA", text[-500:])


def group_report(tmp):
    """Report lines, the dry run, config keys, VFR and bad values."""
    make_watermark(tmp)
    folder = os.path.join(tmp, "in")
    os.makedirs(os.path.join(folder, "sub"))
    h264_aac(folder, "sub/A.M4V", video_src(160, 120, 25), audio_src(1))
    # variable frame rate: frames at irregular times
    times = [0, 40, 70, 150, 160, 300, 310, 320, 500, 560]
    pipeline = Gst.parse_launch(
        "appsrc name=src format=time caps=video/x-raw,format=I420,width=64,"
        "height=48,framerate=25/1 ! x264enc speed-preset=ultrafast ! "
        "h264parse ! mp4mux ! filesink name=f")
    pipeline.get_by_name("f").set_property(
        "location", os.path.join(folder, "vfr.mp4"))
    src = pipeline.get_by_name("src")
    pipeline.set_state(Gst.State.PLAYING)
    for i, t in enumerate(times):
        buf = Gst.Buffer.new_wrapped(bytes([i * 20 % 256]) * (64 * 48 * 3 //
                                                              2))
        buf.pts = t * Gst.MSECOND
        end = times[i + 1] if i + 1 < len(times) else t + 40
        buf.duration = (end - t) * Gst.MSECOND
        src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    msg = pipeline.get_bus().timed_pop_filtered(
        60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    assert msg and msg.type == Gst.MessageType.EOS

    # the dry run: what would be done, nothing written
    r = run_videos(tmp, "--height", "120", "--recursive", "--dry-run")
    tap.eq(r.returncode, 0, "dry run: exit 0", r.stderr)
    tap.check(re.search(r"would write in/output/sub/A\.M4V \(H\.264 x264enc, "
                        r"crf 20, ultrafast, 160x120, 1 audio stream copied\)"
                        r" from in/sub/A\.M4V \(H\.264 160x120, 1\.0\d s",
                        r.stdout),
              "dry run: the video, its codecs, size, audio and duration",
              r.stdout)
    tap.check(not os.path.exists(os.path.join(folder, "output")) and
              not os.path.exists(os.path.join(tmp, "watermark.log")),
              "dry run: nothing written")

    # config keys
    with open(os.path.join(tmp, "config.yaml"), "w") as f:
        f.write("watermark:\n  input_folder: in\n  npy_path: logo\n"
                "  opacity: 80\n  quality: 30\n  output_height: 120\n"
                "  videos: true\n  video_crf: 30\n  video_preset: veryfast\n")
    r = run(tmp, "--recursive", "--report", "r.jsonl", timeout=RUN_TIMEOUT)
    tap.eq(r.returncode, 0, "config.yaml with videos: true: exit 0",
           r.stderr)
    lines = read_report(os.path.join(tmp, "r.jsonl"))
    by = {os.path.basename(x["input"]): x for x in lines if "input" in x}
    a = by.get("A.M4V", {})
    tap.check(a.get("status") == "done" and a.get("frames") == 25 and
              a.get("codec_in") == "H.264" and a.get("codec_out") ==
              "H.264" and a.get("output", "").endswith("sub/A.M4V") and
              abs(a.get("duration", 0) - 1.0) < 0.05,
              "report: name, status, frames, duration, codecs", a)
    tap.check(container_of(os.path.join(folder, "output", "sub", "A.M4V"))
              .startswith("iso-bmff"), ".M4V (any case, in a subfolder) "
              "stays MP4")
    tap.check("Processed: sub/A.M4V (25 frames)" in "\n".join(
        log_lines(tmp)), "watermark.log: the video and its frames")
    vin, _ = pull_all(os.path.join(folder, "vfr.mp4"))
    vout, _ = pull_all(os.path.join(folder, "output", "vfr.mp4"))
    tin = sorted(b[0] for b in of_kind(vin, "video")[0]["buffers"])
    tout = sorted(b[0] for b in of_kind(vout, "video")[0]["buffers"])
    tap.check(len(tin) == len(times) and len(tout) == len(tin) and all(
        abs(x - y) <= Gst.MSECOND for x, y in zip(tin, tout)),
        "variable frame rate kept: each frame at its time",
        "in  %s\nout %s" % (tin, tout))

    # H.264 in a file named .webm (Matroska inside): WebM cannot carry
    # H.264, so an MP4 of the same base name, said in the log and report
    odd = os.path.join(tmp, "odd")
    os.makedirs(odd)
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! matroskamux ! '
        'filesink location=odd.webm' % video_src(96, 64, 5), odd)
    r = run(tmp, "--input", "odd", "--npy", "logo.npy", "--videos",
            "--height", "64", "--report", "odd.jsonl", timeout=RUN_TIMEOUT)
    line = read_report(os.path.join(tmp, "odd.jsonl"))[0]
    tap.check(r.returncode == 0 and tree(os.path.join(odd, "output")) ==
              ["odd.mp4"] and container_of(os.path.join(
                  odd, "output", "odd.mp4")).startswith("iso-bmff") and
              line.get("output", "").endswith("odd.mp4") and
              "WebM cannot carry H.264, so written as MP4" in r.stderr,
              "H.264 named .webm: written as odd.mp4, and said", r.stderr)
    # --skip-existing finds the odd.mp4 it wrote, rather than redo it
    written = os.path.join(odd, "output", "odd.mp4")
    os.utime(written, (1000000000, 1000000000))
    r = run(tmp, "--input", "odd", "--npy", "logo.npy", "--videos",
            "--height", "64", "--skip-existing", "--report", "skip.jsonl",
            timeout=RUN_TIMEOUT)
    line = read_report(os.path.join(tmp, "skip.jsonl"))[0]
    tap.check(r.returncode == 0 and line.get("status") == "skipped" and
              line.get("output", "").endswith("odd.mp4") and
              os.stat(written).st_mtime == 1000000000 and
              tree(os.path.join(odd, "output")) == ["odd.mp4"],
              "--skip-existing: the odd.mp4 written for odd.webm counts as "
              "its output, not redone", (r.stderr, line))
    r = run(tmp, "--input", "odd", "--npy", "logo.npy", "--videos",
            "--height", "64", "--skip-existing", "--dry-run")
    tap.check(r.returncode == 0 and "would skip odd/odd.webm: "
              "odd/output/odd.mp4 exists" in r.stdout,
              "... and the dry run says so", r.stdout)
    # ... unless an odd.mp4 beside it has that output
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! '
        'filesink location=odd.mp4' % video_src(96, 64, 3), odd)
    r = run(tmp, "--input", "odd", "--npy", "logo.npy", "--videos",
            "--height", "64", "--output", "odd2", timeout=RUN_TIMEOUT)
    tap.check(r.returncode == 1 and tree(os.path.join(tmp, "odd2")) ==
              ["odd.mp4"] and "its MP4 name is that of odd/odd.mp4" in
              r.stdout, "... and fails rather than overwrite odd.mp4's "
              "output", r.stdout)

    # bad values
    for args, words in ((["--video-crf", "52"], "--video-crf must be"),
                        (["--video-preset", "quick"],
                         "--video-preset must be")):
        r = run(tmp, *args)
        tap.check(r.returncode == 2 and words in r.stderr,
                  "%s refused" % " ".join(args), r.stderr)
    with open(os.path.join(tmp, "config.yaml"), "a") as f:
        f.write("  video_crf: high\n")
    r = run(tmp)
    tap.check(r.returncode == 2 and re.search(
        r"config.yaml:10: video_crf must be a whole number from 0 to 51",
        r.stderr), "video_crf: high refused with the file and line",
        r.stderr)


def group_stack(tmp):
    """An (N, H, W, 4) stack: videos play it as the element does (slice
    floor(t x 10) mod N); the pictures beside them fail, saying why."""
    stack = np.zeros((2, 16, 24, 4), np.uint8)
    stack[0, ..., 0] = 255          # slice 0 red, slice 1 blue, opaque
    stack[1, ..., 2] = 255
    stack[..., 3] = 255
    save_npy(os.path.join(tmp, "logo.npy"), stack)
    folder = os.path.join(tmp, "in")
    os.makedirs(folder)
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! '
        'filesink location=a.mp4' % video_src(96, 64, 12, pattern="black"),
        folder)
    gst('videotestsrc num-buffers=1 ! video/x-raw,width=96,height=64 ! '
        'jpegenc ! filesink location=b.jpg', folder)
    r = run_videos(tmp, "--height", "64", "--position", "top-left",
                   "--margin", "0", "--video-crf", "0")
    tap.eq(r.returncode, 1, "a stack with a picture beside the video: "
           "exit 1", r.stderr)
    tap.check("b.jpg" in r.stderr and "an animation for videos" in
              r.stderr, "the picture fails, saying the watermark is an "
              "animation", r.stderr[-1000:])
    tap.check(not os.path.exists(os.path.join(folder, "output", "b.jpg")),
              "no output for the picture")
    got = decode(os.path.join(folder, "output", "a.mp4")) \
        if os.path.exists(os.path.join(folder, "output", "a.mp4")) else []
    tap.eq(len(got), 12, "the video is done, every frame")
    for pts, frame in got:
        want = int(pts * 10 // Gst.SECOND) % 2       # 25 fps, 10 slices/s
        r_, g_, b_ = (int(v) for v in frame[8, 12])
        seen = 0 if r_ > 150 and b_ < 100 else 1 if b_ > 150 and r_ < 100 \
            else -1
        tap.eq(seen, want, "frame at %.2f s shows slice %d (RGB %d %d %d)" %
               (pts / Gst.SECOND, want, r_, g_, b_))
    # without --videos a stack is refused before anything is done
    r = run(tmp, "--input", "in", "--npy", "logo.npy", "--height", "64",
            "--output", "o2")
    tap.check(r.returncode == 2 and "--videos" in r.stderr,
              "without --videos: exit 2, pointing at --videos", r.stderr)


def skip(desc, why):
    """A TAP check that could not run here, saying why."""
    tap.n += 1
    print("ok %d - %s # SKIP %s" % (tap.n, desc, why))
    sys.stdout.flush()


def check_kept(src, dst, name, container, codec):
    """@dst against @src as group_containers checks them: the container
    by its bytes, the video codec, every frame at its time, the audio
    packets byte for byte."""
    if not tap.check(os.path.exists(dst), "%s written" % name):
        return
    tap.check(container_of(dst).startswith(container), "%s: still %s"
              % (name, container), container_of(dst))
    a, _ = pull_all(src)
    b, _ = pull_all(dst)
    vout = of_kind(b, "video")
    tap.check(vout and vout[0]["caps"].startswith(codec), "%s: video is %s"
              % (name, codec), [x["caps"][:40] for x in b])
    tin = frame_times(of_kind(a, "video")[0])
    tout = frame_times(vout[0]) if vout else []
    tap.check(len(tin) == len(tout) and all(
        abs(x - y) <= Gst.MSECOND for x, y in zip(tin, tout)),
        "%s: the same %d frames, each at its time" % (name, len(tin)),
        "in  %s\nout %s" % (tin[:8], tout[:8]))
    ain, aout = of_kind(a, "audio"), of_kind(b, "audio")
    tap.check(len(ain) == 1 and len(aout) == 1 and
              ain[0]["caps"].split(",")[0] == aout[0]["caps"].split(",")[0]
              and b"".join(x[3] for x in ain[0]["buffers"]) ==
              b"".join(x[3] for x in aout[0]["buffers"]),
              "%s: the audio packets are the input's, byte for byte" % name,
              [x["caps"][:30] for x in aout])


def av1_decoder():
    for name in ("dav1ddec", "av1dec", "avdec_av1"):
        if have(name):
            return name
    return None


def group_codecs(tmp):
    """VP8, VP9 and AV1 in and out: each stays in its family and
    container."""
    make_watermark(tmp)
    folder = os.path.join(tmp, "in")
    os.makedirs(folder)
    made = []
    # vp8alphadecodebin outranks vp8dec but takes only a stream with alpha
    gst('%s ! vp8enc deadline=1 cpu-used=8 ! queue ! webmmux name=m ! '
        'filesink location=vp8.webm  %s ! opusenc ! queue ! m.'
        % (video_src(160, 120, 20), audio_src(0.8)), folder)
    made.append(("vp8.webm", "webm", "video/x-vp8"))
    # with Opus beside it, parsebin offers the VP9 pad before its caps
    # (so does FFmpeg's WebM): vp9alphadecodebin was chosen blind, and
    # the accept-caps query on unfixed caps raised CRITICALs
    gst('%s ! vp9enc deadline=1 cpu-used=8 ! queue ! webmmux name=m ! '
        'filesink location=vp9.webm  %s ! opusenc ! queue ! m.'
        % (video_src(160, 120, 12), audio_src(0.5)), folder)
    made.append(("vp9.webm", "webm", "video/x-vp9"))
    # a file whose first block is not at 0 (FFmpeg puts H.264 at 7 ms
    # beside Opus in MKV): matroskademux's segments start at the first
    # block, so every frame was written 7 ms early (FFmpeg's own file,
    # its audio block at 0 after that frame, had only the first frame
    # moved, to 0)
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! queue ! '
        'matroskamux name=m ! filesink location=late.mkv  %s ! opusenc ! '
        'queue ! m.' % (video_src(160, 120, 10).replace(
            "videotestsrc ", "videotestsrc timestamp-offset=7000000 "),
            audio_src(0.4).replace(
                "audiotestsrc ", "audiotestsrc timestamp-offset=10000000 ")),
        folder)
    made.append(("late.mkv", "matroska", "video/x-h264"))
    av1_missing = [e for e, ok in (("av1enc", have("av1enc")),
                                   ("an AV1 decoder (dav1ddec, av1dec, "
                                    "avdec_av1)", av1_decoder())) if not ok]
    if not av1_missing:
        enc = "av1enc cpu-used=8 usage-profile=realtime ! av1parse"
        gst('%s ! %s ! queue ! matroskamux name=m ! filesink '
            'location=av1.mkv  %s ! opusenc ! queue ! m.'
            % (video_src(160, 120, 12), enc, audio_src(0.5)), folder)
        gst('%s ! %s ! queue ! mp4mux name=m ! filesink location=av1.mp4  '
            '%s ! avenc_aac ! aacparse ! queue ! m.'
            % (video_src(160, 120, 12), enc, audio_src(0.5)), folder)
        made += [("av1.mkv", "matroska", "video/x-av1"),
                 ("av1.mp4", "iso-bmff", "video/x-av1")]
    r = run_videos(tmp, "--height", "120", "--report", "r.jsonl")
    tap.eq(r.returncode, 0, "VP8, VP9 and AV1 videos: exit 0", r.stderr)
    tap.check("CRITICAL" not in r.stderr, "no CRITICAL on the way",
              r.stderr[-3000:])
    report = {os.path.basename(x["input"]): x
              for x in read_report(os.path.join(tmp, "r.jsonl"))
              if "input" in x}
    for name, container, codec in made:
        check_kept(os.path.join(folder, name),
                   os.path.join(folder, "output", name), name, container,
                   codec)
        rep = report.get(name, {})
        tap.check(rep.get("status") == "done" and rep.get("codec_out") ==
                  {"video/x-vp8": "VP8", "video/x-vp9": "VP9",
                   "video/x-h264": "H.264", "video/x-av1": "AV1"}[codec],
                  "%s: reported done, in its own codec" % name, rep)
    if av1_missing:
        for name in ("av1.mkv", "av1.mp4"):
            skip("%s: AV1 in, AV1 out" % name, "%s not installed"
                 % " and ".join(av1_missing))


def group_subtitles(tmp):
    """MP4's timed text (tx3g, mov_text) is kept in MP4 and MOV; AVI,
    which has no subtitle track, fails the video, saying so."""
    make_watermark(tmp)
    folder = os.path.join(tmp, "in")
    os.makedirs(folder)
    with open(os.path.join(tmp, "s.srt"), "w") as f:
        f.write("1\n00:00:00,100 --> 00:00:00,300\nFish & chips\n\n"
                "2\n00:00:00,300 --> 00:00:00,400\nfin\n")
    # mp4mux takes UTF-8 text; subparse says Pango markup (the same
    # bytes for this text)
    for name, mux in (("subs.mp4", "mp4mux"), ("subs.mov", "qtmux")):
        gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! queue ! '
            '%s name=m ! filesink location=in/%s  filesrc location=s.srt ! '
            'subparse ! capssetter join=false replace=true '
            'caps=text/x-raw,format=utf8 ! queue ! m.subtitle_0  %s ! '
            'avenc_aac ! aacparse ! queue ! m.'
            % (video_src(160, 120, 10), mux, name, audio_src(0.4)), tmp)
    r = run_videos(tmp, "--height", "120", "--report", "r.jsonl")
    tap.eq(r.returncode, 0, "MP4 and MOV with timed text: exit 0", r.stderr)
    report = {os.path.basename(x["input"]): x
              for x in read_report(os.path.join(tmp, "r.jsonl"))
              if "input" in x}
    for name in ("subs.mp4", "subs.mov"):
        a, _ = pull_all(os.path.join(folder, name))
        dst = os.path.join(folder, "output", name)
        b, _ = pull_all(dst) if os.path.exists(dst) else ([], {})
        tin = [(x[0], x[3]) for s in of_kind(a, "text") for x in s["buffers"]]
        tout = [(x[0], x[3]) for s in of_kind(b, "text")
                for x in s["buffers"]]
        tap.check(len(tin) == 2 and tout == tin, "%s: the timed text kept, "
                  "each cue at its time (%s)" % (name, [t for _, t in tin]),
                  tout)
        tap.check(report.get(name, {}).get("subtitle_streams") == 1,
                  "%s: the report counts its subtitle stream" % name,
                  report.get(name))
    # AVI carries no subtitles: the video fails, naming the stream
    avi = os.path.join(tmp, "avi")
    os.makedirs(avi)
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! queue ! '
        'matroskamux name=m ! filesink location=avi/t.mkv  filesrc '
        'location=s.srt ! subparse ! queue ! m.' % video_src(160, 120, 10),
        tmp)
    os.rename(os.path.join(avi, "t.mkv"), os.path.join(avi, "t.avi"))
    r = run(tmp, "--input", "avi", "--npy", "logo.npy", "--videos",
            "--video-preset", "ultrafast", "--height", "120",
            timeout=RUN_TIMEOUT)
    tap.check(r.returncode == 1 and re.search(
        r"t\.avi: .*avimux cannot carry its subtitle stream", r.stdout)
        and not os.path.exists(os.path.join(avi, "output", "t.avi")),
        "a subtitle stream AVI cannot carry: the video fails, saying so",
        r.stdout + r.stderr)


# A 4K video must not need more than about 500 MB (issue 18).
MEMORY_BOUND = {"H.264": 500 * 1000 * 1000,
                # x265 alone keeps some 600 MB at 4K, 10 bits, however it
                # is set (README: "Memory")
                "HEVC": 1100 * 1024 * 1024}


def peak_rss(cwd, *args, timeout=RUN_TIMEOUT):
    """Runs the command; its exit status, stdout+stderr and peak RSS in
    bytes (that process's own, as wait4 reports it)."""
    p = subprocess.Popen([EXE, *args], cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    deadline = time.time() + timeout
    out = b""
    while time.time() < deadline:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            out = p.stdout.read()
            return (os.waitstatus_to_exitcode(status),
                    out.decode(errors="replace"), usage.ru_maxrss * 1024)
        time.sleep(0.05)
    p.kill()
    p.wait()
    return None, "timed out", 0


def group_memory(tmp):
    """A 4K video (3840x2160) at the default preset: the command's peak
    memory, for H.264 and 10-bit HEVC (a few frames fill what the codecs
    hold: the peak comes with the first ones)."""
    with open(EXE, "rb") as f:
        if b"libasan" in f.read():
            for codec in MEMORY_BOUND:
                skip("4K %s: peak memory" % codec, "built with "
                     "AddressSanitizer, whose shadow memory and quarantine "
                     "are not the command's")
            return
    make_watermark(tmp, 400, 100)
    made = {"H.264": ("h264.mp4", "x264enc speed-preset=ultrafast ! "
                      "h264parse", "I420", "")}
    made["HEVC"] = ("hevc.mp4", "x265enc speed-preset=ultrafast ! h265parse",
                    "I420_10LE", ' ! capssetter join=true '
                    'caps="video/x-raw,colorimetry=bt2100-pq"')
    for codec, (name, enc, fmt, caps) in made.items():
        folder = os.path.join(tmp, codec)
        os.makedirs(folder)
        gst('%s%s ! %s ! queue ! mp4mux name=m ! filesink location=%s  %s ! '
            'avenc_aac ! aacparse ! queue ! m.'
            % (video_src(3840, 2160, 8, 30, fmt), caps, enc, name,
               audio_src(0.3)), folder)
        code, out, peak = peak_rss(tmp, "--input", codec, "--npy",
                                   "logo.npy", "--videos", "--height", "2160")
        dst = os.path.join(folder, "output", name)
        video = of_kind(pull_all(dst)[0], "video") if code == 0 else []
        tap.check(video and len(video[0]["buffers"]) == 8, "4K %s: exit 0, "
                  "8 frames" % codec, out[-1000:])
        tap.check(peak <= MEMORY_BOUND[codec], "4K %s at the default preset: "
                  "peak memory %.0f MiB, at most %.0f MiB"
                  % (codec, peak / 2**20, MEMORY_BOUND[codec] / 2**20))


def group_priming(tmp):
    """AAC (and MP3) whose edit list skips the encoder's priming (FFmpeg's
    and phones' MP4 and MOV), in one audio track or two: every packet is
    kept, the priming one and the last one too, and the output's edit
    skips the same priming."""
    make_watermark(tmp)
    folder = os.path.join(tmp, "in")
    os.makedirs(folder)
    h264_aac(folder, "clip.mp4", video_src(160, 120, 50), audio_src(2),
             x264="key-int-max=10")
    h264_aac(folder, "Phone.MOV", video_src(160, 120, 45, 30),
             audio_src(1.5, 44100), muxer="qtmux")
    # MP3 too, whose pad parsebin gives before its caps
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! queue ! mp4mux '
        'name=m ! filesink location=song.mp4  audiotestsrc num-buffers=90 '
        'samplesperbuffer=1152 wave=ticks ! audio/x-raw,rate=44100,'
        'channels=2 ! lamemp3enc ! mpegaudioparse ! queue ! m.'
        % video_src(160, 120, 50), folder)
    # two audio tracks (two languages), each with its own priming
    gst('%s ! x264enc speed-preset=ultrafast ! h264parse ! queue ! mp4mux '
        'name=m ! filesink location=two.mp4  %s ! avenc_aac ! aacparse ! '
        'queue ! m.  %s ! avenc_aac ! aacparse ! queue ! m.'
        % (video_src(160, 120, 50), audio_src(2), audio_src(1.8, 44100)),
        folder)
    # FFmpeg's AAC priming (1024), Apple's (2112, not a whole packet) and
    # LAME's MP3 delay (1105, as FFmpeg writes it)
    add_priming_edit(os.path.join(folder, "clip.mp4"), 1024, 700)
    add_priming_edit(os.path.join(folder, "Phone.MOV"), 2112, 321)
    add_priming_edit(os.path.join(folder, "song.mp4"), 1105, 400)
    add_priming_edit(os.path.join(folder, "two.mp4"), 1024, 500, 0)
    add_priming_edit(os.path.join(folder, "two.mp4"), 2112, 300, 1)
    r = run(tmp, "--input", "in", "--npy", "logo.npy", "--videos",
            "--height", "120", timeout=RUN_TIMEOUT)
    tap.eq(r.returncode, 0, "primed AAC in MP4 and MOV, MP3 in MP4, two "
           "tracks: exit 0", r.stderr)
    # .MOV names no type GStreamer knows: every typefinder runs, the
    # plugin's application/x-npy too, which loads the plugin (on the test
    # plugin path, as installed) beside the command's own npywatermark
    tap.check("CRITICAL" not in r.stderr and "WARNING" not in r.stderr,
              "no CRITICAL or WARNING when a typefind loads the plugin",
              r.stderr)
    for name, container, tracks in (("clip.mp4", "iso-bmff", None),
                                    ("Phone.MOV", "iso-bmff:qt", None),
                                    ("song.mp4", "iso-bmff", None),
                                    ("two.mp4 0", "iso-bmff", 0),
                                    ("two.mp4 1", "iso-bmff", 1)):
        src = os.path.join(folder, name.split()[0])
        dst = os.path.join(folder, "output", name.split()[0])
        if tracks is None:      # (it takes one audio track)
            check_kept(src, dst, name, container, "video/x-h264")
        if not os.path.exists(dst):
            tap.check(False, "%s written" % name)
            continue
        a, b = mp4_audio(src, tracks), mp4_audio(dst, tracks)
        tap.check(len(a["packets"]) == len(b["packets"]) and
                  [p[2] for p in a["packets"]] == [p[2] for p in b["packets"]],
                  "%s: all %d audio packets kept, the priming and the last "
                  "one too" % (name, len(a["packets"])),
                  "%d in, %d out" % (len(a["packets"]), len(b["packets"])))
        tap.check([p[1] * b["scale"] for p in a["packets"]] ==
                  [p[1] * a["scale"] for p in b["packets"]],
                  "%s: each audio packet's duration kept" % name)
        skip_in = a["edits"][0][1] / a["scale"]
        length_in = a["edits"][0][0] / a["movie_scale"]
        tap.check(len(b["edits"]) == 1 and b["edits"][0][1] >= 0 and
                  abs(b["edits"][0][1] / b["scale"] - skip_in) < 0.5 /
                  b["scale"] and abs(b["edits"][0][0] / b["movie_scale"] -
                                     length_in) <= 1 / b["movie_scale"],
                  "%s: its edit skips the same priming (%.6f s) and plays "
                  "as long (%.4f s)" % (name, skip_in, length_in),
                  (a["edits"], a["scale"], a["movie_scale"], b["edits"],
                   b["scale"], b["movie_scale"]))
        tap.eq(b["tkhd"], sum(e[0] for e in b["edits"]),
               "%s: the audio track's duration is its edit's" % name)


GROUPS = {
    "containers": group_containers,
    "tags": group_tags,
    "pixels": group_pixels,
    "rotation": group_rotation,
    "hdr": group_hdr,
    "bad": group_bad,
    "interrupt": group_interrupt,
    "report": group_report,
    "stack": group_stack,
    "codecs": group_codecs,
    "subtitles": group_subtitles,
    "memory": group_memory,
    "priming": group_priming,
}

if __name__ == "__main__":
    main(GROUPS, "videos")
