#!/usr/bin/python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""npydec and npywatermark from the programs people embed GStreamer in:
playbin and playbin3 with hostile seeks, gst-discoverer, GES (clips,
render, project save and reload); and pipelines/npy-png.py, which makes
a watermark of a PNG logo.

    test-clients.py CASE

CASE is one of the functions named case_*.  Each case runs in its own
process with G_DEBUG=fatal-criticals (set by meson), so a CRITICAL is a
failure.  A case that needs GES skips (exit 77) where GES's
introspection data is not installed.
"""

import io
import os
import random
import sys
import tempfile
import threading

import numpy as np

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import GLib, Gst, GstPbutils  # noqa: E402

FPS = 25
SKIP = 77


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def watchdog(seconds, what):
    """Fails the case if @what has not finished in @seconds: a hang is
    a failure, not a test timeout."""
    def fire():
        print(f"FAIL: {what} hung for {seconds} s", file=sys.stderr)
        sys.stderr.flush()
        os._exit(1)
    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


def write_still(path, h=48, w=64):
    a = np.zeros((h, w, 4), np.uint8)
    a[..., 0] = 200
    a[..., 3] = 255
    np.save(path, a)


def write_stack(path, n=50, h=36, w=48):
    a = np.zeros((n, h, w, 4), np.uint8)
    a[:, :, :, 3] = 255
    a[:, :, :, 1] = np.arange(n, dtype=np.uint8)[:, None, None] * 5
    np.save(path, a)


def write_still_and_stack(tmp):
    """Writes still.npy and stack.npy (the defaults above) in @tmp;
    returns their paths."""
    still = os.path.join(tmp, "still.npy")
    stack = os.path.join(tmp, "stack.npy")
    write_still(still)
    write_stack(stack)
    return still, stack


def frame_ns(k):
    return k * Gst.SECOND // FPS


# ------------------------------------------------------------------
# playbin and playbin3 over npydec


class Player:
    """playbin (or playbin3) on @path into a fakesink, recording the
    events and buffers its sink pad sees."""

    def __init__(self, factory, path):
        self.pipeline = Gst.ElementFactory.make(factory)
        check(self.pipeline is not None, f"no {factory}")
        self.sink = Gst.ElementFactory.make("fakesink")
        self.sink.set_property("sync", False)
        self.pipeline.set_property("video-sink", self.sink)
        self.pipeline.set_property("audio-sink",
                                   Gst.ElementFactory.make("fakesink"))
        self.pipeline.set_property("uri", Gst.filename_to_uri(path))
        self.bus = self.pipeline.get_bus()
        self.lock = threading.Lock()
        self.events = []
        self.pts = []
        self.sink.get_static_pad("sink").add_probe(
            Gst.PadProbeType.EVENT_DOWNSTREAM | Gst.PadProbeType.BUFFER,
            self._probe)

    def _probe(self, pad, info):
        with self.lock:
            if info.type & Gst.PadProbeType.BUFFER:
                self.pts.append(info.get_buffer().pts)
            else:
                ev = info.get_event()
                if ev.type in (Gst.EventType.SEGMENT, Gst.EventType.EOS,
                               Gst.EventType.SEGMENT_DONE):
                    self.events.append((ev.type, ev.get_seqnum()))
        return Gst.PadProbeReturn.OK

    def clear(self):
        with self.lock:
            self.events = []
            self.pts = []

    def wait(self, types, seconds=30):
        msg = self.bus.timed_pop_filtered(seconds * Gst.SECOND,
                                          types | Gst.MessageType.ERROR)
        check(msg is not None, f"no {types} within {seconds} s")
        if msg.type == Gst.MessageType.ERROR:
            fail("error: %s" % (msg.parse_error()[0].message,))
        return msg

    def start(self, state=Gst.State.PLAYING):
        self.pipeline.set_state(Gst.State.PAUSED)
        self.wait(Gst.MessageType.ASYNC_DONE)
        if state == Gst.State.PLAYING:
            self.pipeline.set_state(Gst.State.PLAYING)

    def seek(self, flags, start, stop, rate=1.0,
             stop_type=Gst.SeekType.SET):
        ev = Gst.Event.new_seek(rate, Gst.Format.TIME, flags,
                                Gst.SeekType.SET, start, stop_type, stop)
        seqnum = ev.get_seqnum()
        self.clear()
        timer = watchdog(30, "a seek")
        ok = self.pipeline.send_event(ev)
        timer.cancel()
        return ok, seqnum

    def stop(self):
        timer = watchdog(10, "set_state(NULL)")
        self.pipeline.set_state(Gst.State.NULL)
        timer.cancel()


def expect_played(p, seqnum, start, stop, end=Gst.MessageType.EOS):
    """After a seek with @seqnum: its SEGMENT, the frames from the one
    showing at @start to the last before @stop, then its EOS (or
    SEGMENT_DONE)."""
    msg = p.wait(end)
    check(msg.get_seqnum() == seqnum,
          f"{msg.type.first_value_nick} message seqnum {msg.get_seqnum()}, "
          f"the seek's is {seqnum}")
    want = Gst.EventType.EOS if end == Gst.MessageType.EOS else \
        Gst.EventType.SEGMENT_DONE
    # the message may be posted before the event reaches the sink
    for _ in range(200):
        with p.lock:
            events, pts = list(p.events), list(p.pts)
        if any(t == want for t, s in events):
            break
        GLib.usleep(10000)
    segs = [s for t, s in events if t == Gst.EventType.SEGMENT]
    check(segs and segs[-1] == seqnum,
          f"SEGMENT seqnums {segs}, the seek's is {seqnum}")
    ends = [s for t, s in events if t == want]
    check(ends == [seqnum], f"{want.value_nick} seqnums {ends}, "
          f"the seek's is {seqnum}")
    if end == Gst.MessageType.SEGMENT_DONE:
        check(not any(t == Gst.EventType.EOS for t, s in events),
              "EOS after a segment seek")
    first = start * FPS // Gst.SECOND
    last = min(50, -(-stop * FPS // Gst.SECOND))
    check(pts and pts[0] == frame_ns(first) and pts[-1] == frame_ns(last - 1),
          f"seek {start}..{stop}: frames at {pts[:1]}..{pts[-1:]}, "
          f"expected {frame_ns(first)}..{frame_ns(last - 1)}")


def seek_rounds(factory):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "stack.npy")
        write_stack(path)
        p = Player(factory, path)
        p.start()
        p.wait(Gst.MessageType.EOS)
        rng = random.Random(21)
        flush = Gst.SeekFlags.FLUSH | Gst.SeekFlags.ACCURATE
        for i in range(30):
            a, b = sorted(rng.sample(range(0, 50), 2))
            start, stop = frame_ns(a), frame_ns(b) + 1
            kind = rng.choice(["flush", "segment", "bad", "kept", "reverse"])
            if kind == "flush":
                ok, seqnum = p.seek(flush, start, stop)
                check(ok, f"round {i}: flushing seek refused")
                expect_played(p, seqnum, start, stop)
            elif kind == "segment":
                ok, seqnum = p.seek(flush | Gst.SeekFlags.SEGMENT, start, stop)
                check(ok, f"round {i}: segment seek refused")
                expect_played(p, seqnum, start, stop,
                              Gst.MessageType.SEGMENT_DONE)
            elif kind == "bad":
                # start after stop: refused, nothing flushed
                ok, _ = p.seek(flush, stop, start)
                check(not ok, f"round {i}: start-after-stop seek accepted")
            elif kind == "kept":
                # a stop kept from the last seek, before the new start
                ok, seqnum = p.seek(flush, 0, stop)
                check(ok, f"round {i}: seek refused")
                expect_played(p, seqnum, 0, stop)
                ok, _ = p.seek(flush, frame_ns(b + 1), -1,
                               stop_type=Gst.SeekType.NONE)
                check(not ok, f"round {i}: seek after a kept stop accepted")
            else:
                ok, _ = p.seek(flush, start, stop, rate=-1.0)
                if ok:
                    fail(f"round {i}: reverse seek accepted")
            # whatever came before, the pipeline still plays
            ok, seqnum = p.seek(flush, start, -1)
            check(ok, f"round {i} ({kind}): the next valid seek refused")
            expect_played(p, seqnum, start, Gst.SECOND * 50 // FPS)
        # non-flushing, while playing (in time: before the EOS, after
        # which a sink takes nothing more without a flush)
        p.sink.set_property("sync", True)
        ok, seqnum = p.seek(flush, 0, -1)
        check(ok, "seek refused")
        # playing again, past the preroll: a non-flushing seek while a
        # sink holds the preroll waits for PLAYING, as GstBaseSrc's does,
        # and the seek holds the pipeline's state lock meanwhile
        for _ in range(1000):
            with p.lock:
                if len(p.pts) >= 3:
                    break
            GLib.usleep(10000)
        ok, seqnum = p.seek(Gst.SeekFlags.ACCURATE, frame_ns(10), frame_ns(20))
        check(ok, "non-flushing seek refused")
        msg = p.wait(Gst.MessageType.EOS)
        check(msg.get_seqnum() == seqnum, "non-flushing seek: EOS seqnum")
        p.stop()


def case_playbin_seeks():
    seek_rounds("playbin")


def case_playbin3_seeks():
    seek_rounds("playbin3")


def after_error(factory):
    """A truncated stack: an error, then seeks are refused (as pngdec
    does) without hanging the caller, and set_state(NULL) returns."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cut.npy")
        write_stack(path)
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) - 100)
        for flags in (Gst.SeekFlags.NONE, Gst.SeekFlags.FLUSH):
            p = Player(factory, path)
            p.pipeline.set_state(Gst.State.PLAYING)
            msg = p.bus.timed_pop_filtered(
                10 * Gst.SECOND, Gst.MessageType.ERROR | Gst.MessageType.EOS)
            if msg is None or msg.type == Gst.MessageType.EOS:
                # playbin3 in 1.22, now and then, when a short stream ends
                # before decodebin3 has plugged a decoder: no decoder, so
                # no error, and an EOS or nothing at all (a truncated PNG
                # without pngparse does the same).  Nothing may hang still.
                check(factory == "playbin3", f"{factory}: no error")
                print(f"note: playbin3 {flags}: "
                      f"{'EOS' if msg else 'nothing'} for a truncated file")
                p.seek(flags, 0, -1)
                p.stop()
                continue
            check("truncated" in msg.parse_error()[1],
                  "error: " + msg.parse_error()[1])
            ok, _ = p.seek(flags, 0, -1)
            check(not ok, f"{factory} {flags}: seek accepted after an error")
            p.stop()


def case_after_error():
    after_error("playbin")
    after_error("playbin3")
    # the plain pipeline, whose sink waits in preroll with the EOS
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cut.npy")
        write_stack(path)
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) - 100)
        pipeline = Gst.parse_launch(f'filesrc location="{path}" ! npydec ! '
                                    'videoconvert ! fakesink')
        pipeline.set_state(Gst.State.PLAYING)
        msg = pipeline.get_bus().timed_pop_filtered(10 * Gst.SECOND,
                                                    Gst.MessageType.ERROR)
        check(msg is not None, "no error")
        timer = watchdog(10, "a non-flushing seek after an error")
        ok = pipeline.seek(1.0, Gst.Format.TIME, Gst.SeekFlags.NONE,
                           Gst.SeekType.SET, 0, Gst.SeekType.NONE, -1)
        timer.cancel()
        check(not ok, "non-flushing seek accepted after an error")
        timer = watchdog(10, "set_state(NULL) after an error")
        pipeline.set_state(Gst.State.NULL)
        timer.cancel()


def case_version9():
    """A .npy of an unknown version: npydec's reason, from playbin,
    playbin3 (which selects no stream of an unknown type: the file must
    be typefound as video) and gst-discoverer (not MPEG audio)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "v9.npy")
        write_still(path)
        with open(path, "r+b") as f:
            f.seek(6)
            f.write(b"\x09")
        reason = "unsupported .npy version 9.0"
        for factory in ("playbin", "playbin3"):
            errors = 0
            for i in range(5):
                p = Player(factory, path)
                p.pipeline.set_state(Gst.State.PLAYING)
                msg = p.bus.timed_pop_filtered(
                    10 * Gst.SECOND,
                    Gst.MessageType.ERROR | Gst.MessageType.EOS)
                p.stop()
                if msg is None and factory == "playbin3":
                    # decodebin3 (1.22) now and then loses a short
                    # stream whose data all came before the identity it
                    # adds for it was running; no decoder is ever made
                    print("note: playbin3 stalled before any decoder")
                    continue
                check(msg is not None and msg.type == Gst.MessageType.ERROR,
                      f"{factory}: {msg and msg.type} for a version-9 file")
                check(reason in msg.parse_error()[0].message,
                      f"{factory}: {msg.parse_error()[0].message}")
                errors += 1
            check(errors >= 2, f"{factory}: {errors} errors in 5 runs")
        d = GstPbutils.Discoverer.new(10 * Gst.SECOND)
        try:
            info = d.discover_uri(Gst.filename_to_uri(path))
            caps = [s.get_caps().to_string() for s in info.get_stream_list()]
            fail(f"discoverer: {info.get_result()}, streams {caps}")
        except GLib.Error as e:
            check(reason in e.message, f"discoverer: {e.message}")


# ------------------------------------------------------------------
# gst-discoverer


def discover(path):
    d = GstPbutils.Discoverer.new(10 * Gst.SECOND)
    info = d.discover_uri(Gst.filename_to_uri(path))
    check(info.get_result() == GstPbutils.DiscovererResult.OK,
          f"{path}: {info.get_result()}")
    return info


def case_discoverer():
    with tempfile.TemporaryDirectory() as tmp:
        still, stack = write_still_and_stack(tmp)
        info = discover(still)
        streams = info.get_stream_list()
        check(len(streams) == 1, f"still: {len(streams)} streams")
        v = streams[0]
        check(isinstance(v, GstPbutils.DiscovererVideoInfo),
              f"still: {type(v).__name__}, not video")
        check(v.is_image(), "still: not an image (video(image)), as PNG is")
        check((v.get_width(), v.get_height()) == (64, 48), "still: size")
        check(info.get_duration() == 0, "still: a duration")
        check(info.get_seekable(), "still: not seekable, where a PNG is")

        info = discover(stack)
        streams = info.get_stream_list()
        check(len(streams) == 1, f"stack: {len(streams)} streams")
        v = streams[0]
        check(isinstance(v, GstPbutils.DiscovererVideoInfo), "stack: video")
        check(not v.is_image(), "stack: an image")
        check(info.get_duration() == 2 * Gst.SECOND,
              f"stack: duration {info.get_duration()}")
        check(info.get_seekable(), "stack: not seekable")
        check(info.get_stream_info().get_caps().get_structure(0).get_name()
              == "video/x-npy", "stack: top-level caps")


# ------------------------------------------------------------------
# GES


def need_ges():
    try:
        gi.require_version("GES", "1.0")
        from gi.repository import GES
    except (ValueError, ImportError):
        print("SKIP: GES's introspection data (gir1.2-ges-1.0) missing")
        sys.exit(SKIP)
    GES.init()
    return GES


def render(GES, timeline, out):
    """Renders @timeline to @out (Motion JPEG in AVI) and waits for
    EOS."""
    pipeline = GES.Pipeline()
    pipeline.set_timeline(timeline)
    profile = GstPbutils.EncodingContainerProfile.new(
        None, None, Gst.Caps.from_string("video/x-msvideo"), None)
    profile.add_profile(GstPbutils.EncodingVideoProfile.new(
        Gst.Caps.from_string("image/jpeg"), None, None, 0))
    check(pipeline.set_render_settings(Gst.filename_to_uri(out), profile),
          "render settings")
    pipeline.set_mode(GES.PipelineFlags.RENDER)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    check(msg is not None, "render: no EOS in 60 s (GES waits for the "
          "seek's seqnum)")
    if msg.type == Gst.MessageType.ERROR:
        fail("render: " + msg.parse_error()[0].message)


def video_timeline(GES):
    timeline = GES.Timeline.new()
    timeline.add_track(GES.VideoTrack.new())
    return timeline, timeline.append_layer()


def case_ges_clips():
    GES = need_ges()
    with tempfile.TemporaryDirectory() as tmp:
        still, stack = write_still_and_stack(tmp)
        a_still = GES.UriClipAsset.request_sync(Gst.filename_to_uri(still))
        check(a_still.is_image(), "still: not an image clip")
        a_stack = GES.UriClipAsset.request_sync(Gst.filename_to_uri(stack))
        check(not a_stack.is_image(), "stack: an image clip")
        check(a_stack.get_duration() == 2 * Gst.SECOND,
              f"stack: duration {a_stack.get_duration()}")

        timeline, layer = video_timeline(GES)
        clip = layer.add_asset(a_still, 0, 0, Gst.SECOND,
                               GES.TrackType.UNKNOWN)
        check(clip is not None, "still: refused as a clip")
        check(clip.get_duration() == Gst.SECOND, "still: duration")
        clip = layer.add_asset(a_stack, Gst.SECOND, Gst.SECOND // 5,
                               Gst.SECOND, GES.TrackType.UNKNOWN)
        check(clip is not None, "stack: refused as a clip")
        out = os.path.join(tmp, "out.avi")
        render(GES, timeline, out)
        info = discover(out)
        d = info.get_duration()
        check(abs(d - 2 * Gst.SECOND) <= Gst.SECOND // FPS,
              f"rendered {d} ns, expected 2 s")


def case_ges_seeks():
    """Random seeks in a GES timeline of .npy clips (a still, a stack,
    a stack with the effect), each settling (ASYNC_DONE) in time, then
    playing to the end."""
    GES = need_ges()
    with tempfile.TemporaryDirectory() as tmp:
        still, stack = write_still_and_stack(tmp)
        timeline, layer = video_timeline(GES)
        a_still = GES.UriClipAsset.request_sync(Gst.filename_to_uri(still))
        a_stack = GES.UriClipAsset.request_sync(Gst.filename_to_uri(stack))
        layer.add_asset(a_still, 0, 0, Gst.SECOND, GES.TrackType.UNKNOWN)
        layer.add_asset(a_stack, Gst.SECOND, 0, 2 * Gst.SECOND,
                        GES.TrackType.UNKNOWN)
        clip = layer.add_asset(a_stack, 3 * Gst.SECOND, Gst.SECOND // 2,
                               Gst.SECOND, GES.TrackType.UNKNOWN)
        effect = GES.Effect.new("npywatermark")
        check(clip.add(effect), "effect not added")
        effect.set_child_property("location", still)
        timeline.commit_sync()

        pipeline = GES.Pipeline()
        pipeline.set_timeline(timeline)
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        pipeline.preview_set_video_sink(sink)
        bus = pipeline.get_bus()

        def settle(what):
            msg = bus.timed_pop_filtered(
                20 * Gst.SECOND,
                Gst.MessageType.ASYNC_DONE | Gst.MessageType.ERROR)
            check(msg is not None, f"{what}: no ASYNC_DONE in 20 s")
            if msg.type == Gst.MessageType.ERROR:
                fail(f"{what}: {msg.parse_error()[0].message}")

        pipeline.set_state(Gst.State.PAUSED)
        settle("preroll")
        rng = random.Random(20)
        for i in range(25):
            t = rng.randrange(0, 4 * Gst.SECOND - Gst.SECOND // FPS)
            flags = Gst.SeekFlags.FLUSH | rng.choice(
                [Gst.SeekFlags.ACCURATE, Gst.SeekFlags.KEY_UNIT,
                 Gst.SeekFlags.NONE])
            timer = watchdog(20, f"seek {i}")
            ok = pipeline.seek_simple(Gst.Format.TIME, flags, t)
            timer.cancel()
            check(ok, f"seek {i} to {t} refused")
            settle(f"seek {i} to {t}")
            ok, pos = pipeline.query_position(Gst.Format.TIME)
            check(ok and abs(pos - t) <= Gst.SECOND // FPS,
                  f"seek {i}: at {pos}, asked {t}")
        pipeline.set_state(Gst.State.PLAYING)
        msg = bus.timed_pop_filtered(
            30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        check(msg is not None and msg.type == Gst.MessageType.EOS,
              "no EOS after the seeks")
        timer = watchdog(10, "set_state(NULL)")
        pipeline.set_state(Gst.State.NULL)
        timer.cancel()


def case_ges_project():
    """A project with the effect saves and reopens with every property:
    a set `data` round-trips, an unset one parses."""
    GES = need_ges()
    with tempfile.TemporaryDirectory() as tmp:
        stack = os.path.join(tmp, "stack.npy")
        logo = os.path.join(tmp, "logo.npy")
        write_stack(stack)
        write_still(logo, 8, 8)
        buf = io.BytesIO()
        mark = np.zeros((6, 10, 4), np.uint8)
        mark[..., 2] = 255
        mark[..., 3] = 128
        np.save(buf, mark)
        data = buf.getvalue()

        timeline, layer = video_timeline(GES)
        asset = GES.UriClipAsset.request_sync(Gst.filename_to_uri(stack))
        clip = layer.add_asset(asset, 0, 0, Gst.SECOND, GES.TrackType.UNKNOWN)
        by_location = GES.Effect.new("npywatermark")
        check(clip.add(by_location), "effect not added")
        by_location.set_child_property("location", logo)
        by_location.set_child_property("opacity", 0.5)
        clip2 = layer.add_asset(asset, Gst.SECOND, 0, Gst.SECOND,
                                GES.TrackType.UNKNOWN)
        by_data = GES.Effect.new("npywatermark")
        check(clip2.add(by_data), "effect not added")
        by_data.set_child_property("data", GLib.Bytes.new(data))
        by_data.set_child_property("offset-x", 7)

        project_path = os.path.join(tmp, "project.xges")
        uri = Gst.filename_to_uri(project_path)
        check(timeline.save_to_uri(uri, None, True), "save")

        project = GES.Project.new(uri)
        loop = GLib.MainLoop()
        errors = []
        project.connect("loaded", lambda *a: loop.quit())
        project.connect("error-loading", lambda p, t, e: (errors.append(
            e.message), loop.quit()))
        project.connect("error-loading-asset", lambda p, e, i, t: (
            errors.append(e.message), loop.quit()))
        timer = watchdog(30, "loading the project")
        try:
            loaded = project.extract()
        except GLib.Error as e:
            fail(f"the saved project does not reopen: {e.message}")
        loop.run()
        timer.cancel()
        check(not errors, f"loading: {errors}")
        effects = []
        for lay in loaded.get_layers():
            for c in sorted(lay.get_clips(), key=lambda c: c.props.start):
                effects += [e for e in c.get_top_effects()]
        check(len(effects) == 2, f"{len(effects)} effects after reload")
        ok, loc = effects[0].get_child_property("location")
        check(ok and loc == logo, f"location {loc}")
        ok, op = effects[0].get_child_property("opacity")
        check(ok and abs(op - 0.5) < 1e-9, f"opacity {op}")
        # unset: three NULs (what GStreamer 1.22 can store), meaning unset
        ok, got = effects[0].get_child_property("data")
        check(ok and (got.get_data() or b"") == b"\0\0\0",
              f"unset data came back as {got.get_data()!r}")
        # set: the same .npy, padded with NULs to a multiple of 3 bytes
        ok, got = effects[1].get_child_property("data")
        got = got.get_data()
        check(ok and got[:len(data)] == data
              and got[len(data):] == b"\0" * (-len(data) % 3),
              "data did not round-trip")
        ok, ox = effects[1].get_child_property("offset-x")
        check(ok and ox == 7, f"offset-x {ox}")
        # and it renders, the watermark from `data` drawn
        render(GES, loaded, os.path.join(tmp, "out.avi"))


# ------------------------------------------------------------------
# pipelines/npy-png.py: a PNG logo as a .npy, and back


def decode_npy(path):
    """The frame npydec makes of @path, as an array."""
    pipeline = Gst.parse_launch(f'filesrc location="{path}" ! npydec ! '
                                'appsink name=sink')
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    sample = sink.emit("pull-preroll")
    pipeline.set_state(Gst.State.NULL)
    check(sample is not None, f"npydec made nothing of {path}")
    s = sample.get_caps().get_structure(0)
    fmt, w, h = s.get_value("format"), s.get_value("width"), \
        s.get_value("height")
    buf = sample.get_buffer()
    ok, info = buf.map(Gst.MapFlags.READ)
    data = bytes(info.data)
    buf.unmap(info)
    dtype, ch = {"RGBA": (np.uint8, 4), "RGB": (np.uint8, 3),
                 "GRAY8": (np.uint8, 1), "RGBA64_LE": ("<u2", 4),
                 "GRAY16_LE": ("<u2", 1)}[fmt]
    a = np.frombuffer(data, dtype)
    stride = len(data) // h // np.dtype(dtype).itemsize
    return fmt, a.reshape(h, stride)[:, :w * ch].reshape(h, w, ch)


def case_npy_png():
    import subprocess
    from PIL import Image
    tool = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "pipelines", "npy-png.py")
    rng = np.random.default_rng(7)

    def run(*args):
        return subprocess.run([sys.executable, tool, *args],
                              capture_output=True, text=True)

    with tempfile.TemporaryDirectory() as tmp:
        def pth(name):
            return os.path.join(tmp, name)

        # RGBA 8 and 16 bits, straight alpha: a transparent pixel keeps
        # its colour through both directions
        for depth, dtype in ((8, np.uint8), (16, np.uint16)):
            top = (1 << depth) - 1
            a = rng.integers(0, top + 1, (9, 13, 4)).astype(dtype)
            a[0, 0] = (top, top // 3, 7, 0)
            png_path = pth(f"logo{depth}.png")
            with open(png_path, "wb") as f:
                png_writer = __import__("png").Writer(
                    13, 9, greyscale=False, alpha=True, bitdepth=depth)
                png_writer.write(f, a.reshape(9, -1).tolist())
            r = run(png_path, pth(f"logo{depth}.npy"))
            check(r.returncode == 0, r.stderr)
            got = np.load(pth(f"logo{depth}.npy"))
            check(got.dtype == np.dtype(dtype).newbyteorder("<")
                  and np.array_equal(got, a), f"{depth}-bit RGBA changed")
            # npydec sees the same pixels
            fmt, frame = decode_npy(pth(f"logo{depth}.npy"))
            check(fmt == ("RGBA" if depth == 8 else "RGBA64_LE")
                  and np.array_equal(frame, a), f"npydec: {depth}-bit")
            r = run(pth(f"logo{depth}.npy"), pth(f"back{depth}.png"))
            check(r.returncode == 0, r.stderr)
            r = run(pth(f"back{depth}.png"), pth(f"again{depth}.npy"))
            check(np.array_equal(np.load(pth(f"again{depth}.npy")), a),
                  f"{depth}-bit round trip")
        # what PIL writes: RGB, gray, gray + alpha, a palette with tRNS
        rgb = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
        Image.fromarray(rgb).save(pth("rgb.png"))
        gray = rng.integers(0, 256, (5, 6), dtype=np.uint8)
        Image.fromarray(gray).save(pth("gray.png"))
        la = rng.integers(0, 256, (5, 6, 2), dtype=np.uint8)
        Image.fromarray(la, "LA").save(pth("la.png"))
        pal = Image.fromarray(rng.integers(0, 4, (5, 6), dtype=np.uint8), "P")
        pal.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])
        pal.info["transparency"] = bytes([255, 0, 128, 255])
        pal.save(pth("pal.png"), transparency=bytes([255, 0, 128, 255]))
        for name, want in (("rgb", rgb), ("gray", gray), ("la", la),
                           ("pal", np.asarray(pal.convert("RGBA")))):
            r = run(pth(name + ".png"), pth(name + ".npy"))
            check(r.returncode == 0, r.stderr)
            check(np.array_equal(np.load(pth(name + ".npy")), want),
                  f"{name}: pixels changed")
        # errors name the file, exit 1, leave nothing
        with open(pth("logo8.png"), "rb") as f:
            data = f.read()
        with open(pth("cut.png"), "wb") as f:
            f.write(data[:len(data) // 2])
        np.save(pth("stack.npy"), np.zeros((3, 4, 4, 4), np.uint8))
        for bad, out in (("cut.png", "cut.npy"), ("stack.npy", "st.png"),
                         ("missing.png", "m.npy")):
            r = run(pth(bad), pth(out))
            check(r.returncode == 1 and r.stderr.startswith(
                f"npy-png: {pth(bad)}: "), f"{bad}: {r.returncode} "
                f"{r.stderr!r}")
            check(not os.path.exists(pth(out)), f"{bad}: output left")
        left = [n for n in os.listdir(tmp) if n.endswith(".part")]
        check(not left, f"temporary files left: {left}")


# ------------------------------------------------------------------
# `data` from Python and C: pipelines/examples/data-from-memory.*


def read_png(path):
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).astype(int)


def case_data_examples(program):
    import subprocess
    examples = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "pipelines", "examples")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "py.png")
        r = subprocess.run([sys.executable, os.path.join(
            examples, "data-from-memory.py"), out], capture_output=True,
            text=True)
        check(r.returncode == 0, r.stderr)
        px = read_png(out)
        # half-transparent red over black, 64x24 at the top-left
        check(abs(px[5, 5, 0] - 128) <= 2 and px[5, 5, 1] <= 2,
              f"python: {px[5, 5]} under the bar")
        check(px[30, 70].max() <= 2, f"python: {px[30, 70]} outside it")
        check(not [n for n in os.listdir(tmp) if n.endswith(".part")],
              "python: temporary file left")

        logo = os.path.join(tmp, "logo.npy")
        mark = np.zeros((10, 20, 4), np.uint8)
        mark[..., 1] = 255
        mark[..., 3] = 255
        np.save(logo, mark)
        out = os.path.join(tmp, "c.png")
        r = subprocess.run([program, logo, out], capture_output=True,
                           text=True)
        check(r.returncode == 0, r.stderr)
        px = read_png(out)
        check(tuple(px[5, 5]) == (0, 255, 0), f"C: {px[5, 5]} under the logo")
        check(px[15, 25].max() <= 2, f"C: {px[15, 25]} outside it")
        # a bad file: named, status 1, no output
        bad = os.path.join(tmp, "bad.npy")
        with open(bad, "wb") as f:
            f.write(b"\x93NUMPY\x09\x00" + bytes(64))
        r = subprocess.run([program, bad, os.path.join(tmp, "no.png")],
                           capture_output=True, text=True)
        check(r.returncode == 1 and "bad.npy" in r.stderr, r.stderr)
        check(not os.path.exists(os.path.join(tmp, "no.png")), "C: output")
        # the element says why, for a location and for data alike
        for prop in ("location", "data"):
            pipeline = Gst.parse_launch("videotestsrc num-buffers=1 ! "
                                        "npywatermark name=wm ! fakesink")
            with open(bad, "rb") as f:
                pipeline.get_by_name("wm").set_property(
                    prop, bad if prop == "location"
                    else GLib.Bytes.new(f.read()))
            pipeline.set_state(Gst.State.PLAYING)
            msg = pipeline.get_bus().timed_pop_filtered(
                10 * Gst.SECOND, Gst.MessageType.ERROR | Gst.MessageType.EOS)
            pipeline.set_state(Gst.State.NULL)
            check(msg and msg.type == Gst.MessageType.ERROR, f"{prop}: "
                  "a version-9 file accepted")
            check("unsupported .npy version 9.0" in msg.parse_error()[1],
                  f"{prop}: {msg.parse_error()[1]}")


def main():
    if len(sys.argv) < 2 or not hasattr(sys.modules[__name__],
                                         "case_" + sys.argv[1]):
        print(__doc__, file=sys.stderr)
        return 2
    Gst.init(None)
    getattr(sys.modules[__name__], "case_" + sys.argv[1])(*sys.argv[2:])
    print(f"ok: {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
