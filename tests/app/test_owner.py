#!/usr/bin/python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Issue 20's checks as an application meets them (PyGObject, a real
pipeline): location and geometry changes interleaved, a restart with a
read in flight, and what is left running and held after set_state(NULL).

Each check prints its figures; the exit status is the number of failed
checks.  Run by meson (suite 'app') with the plugin just built."""

import os
import sys
import tempfile
import threading
import time

import numpy as np
import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp  # noqa: E402

W, H = 64, 48
RED = (220, 30, 30, 255)
GREEN = (30, 220, 30, 255)
BLUE = (30, 30, 220, 255)


def write_mark(path, side, rgba):
    np.save(path, np.full((side, side, 4), rgba, dtype=np.uint8))


class Pipeline:
    """videotestsrc (black RGBA) ! npywatermark ! appsink, pulled frame by
    frame; the bus is read without a main loop."""

    def __init__(self, location):
        self.pipe = Gst.parse_launch(
            "videotestsrc is-live=true pattern=black ! "
            f"video/x-raw,format=RGBA,width={W},height={H},framerate=100/1 ! "
            "npywatermark name=w ! appsink name=sink sync=false "
            "max-buffers=2 drop=true")
        self.w = self.pipe.get_by_name("w")
        self.sink = self.pipe.get_by_name("sink")
        self.w.set_property("location", location)
        self.bus = self.pipe.get_bus()

    def play(self):
        assert self.pipe.set_state(Gst.State.PLAYING) != \
            Gst.StateChangeReturn.FAILURE

    def stop(self, state=Gst.State.NULL):
        self.pipe.set_state(state)

    def pixel(self):
        """The first pixel of the next frame."""
        sample = self.sink.try_pull_sample(5 * Gst.SECOND)
        assert sample is not None, "no frame"
        ok, info = sample.get_buffer().map(Gst.MapFlags.READ)
        px = tuple(info.data[0:4])
        sample.get_buffer().unmap(info)
        return px

    def messages(self):
        """(loaded locations, warnings) posted so far."""
        loaded, warnings = [], 0
        while True:
            msg = self.bus.pop()
            if msg is None:
                return loaded, warnings
            if msg.type == Gst.MessageType.ELEMENT and \
                    msg.get_structure().get_name() == "npywatermark-loaded":
                loaded.append(msg.get_structure().get_value("location"))
            elif msg.type == Gst.MessageType.WARNING:
                warnings += 1
            elif msg.type == Gst.MessageType.ERROR:
                raise AssertionError(msg.parse_error()[0].message)


def close(a, b):
    return all(abs(x - y) <= 2 for x, y in zip(a, b))


def check_interleaved(tmp):
    """30 location changes, each followed 0-3 ms later by a geometry
    change: every one posts exactly one message naming the file, and the
    frames show it."""
    red = os.path.join(tmp, "red.npy")
    green = os.path.join(tmp, "green.npy")
    write_mark(red, 1200, RED)
    write_mark(green, 1200, GREEN)
    p = Pipeline(red)
    p.play()
    p.pixel()
    silent = 0
    for i in range(30):
        path, colour = (green, GREEN) if i % 2 == 0 else (red, RED)
        p.w.set_property("location", path)
        time.sleep((i % 4) / 1000.0)
        p.w.set_property("position", ["top-left", "center",
                                      "bottom-right"][i % 3])
        deadline = time.monotonic() + 10
        while not close(p.pixel(), colour):
            assert time.monotonic() < deadline, "the new file never showed"
        time.sleep(0.05)
        p.pixel()
        loaded, warnings = p.messages()
        assert warnings == 0
        assert all(x == path for x in loaded), loaded
        if not loaded:
            silent += 1
        assert len(loaded) <= 1, loaded
    p.stop()
    print(f"interleaved: {silent} of 30 swaps posted no message")
    return silent == 0


def threads():
    """The names of this process's threads, less GLib's shared pool: its
    idle threads ("pool-<program>") come and go on their own (GStreamer's
    task threads return there), so a count of them says nothing about the
    element."""
    names = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:             # it ended meanwhile
            continue
        if not name.startswith("pool-"):
            names.append(name)
    return sorted(names)


def bytes_read():
    """What this process has read so far (read(2) and the like)."""
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    return 0


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def check_stop(tmp):
    """A read in flight at set_state(NULL): no thread of the element left
    afterwards, and the memory of the watermark given back."""
    small = os.path.join(tmp, "blue.npy")
    huge = os.path.join(tmp, "huge.npy")
    write_mark(small, 100, BLUE)
    write_mark(huge, 5000, RED)            # 100 MB
    p = Pipeline(small)
    # one cycle first: GStreamer's own task threads then exist
    p.play()
    p.pixel()
    p.stop()
    before_threads, before_rss = threads(), rss_mb()

    p.play()
    p.pixel()
    p.w.set_property("location", huge)
    time.sleep(0.02)
    during = threads()
    t0 = time.monotonic()
    p.stop()
    took = (time.monotonic() - t0) * 1000
    read0 = bytes_read()
    after = threads()
    time.sleep(0.2)
    read_after = bytes_read() - read0
    ours = [n for n in after if n.startswith("npw-")]
    print(f"stop: set_state(NULL) took {took:.0f} ms with a 100 MB read in "
          f"flight; threads {before_threads} before, {during} reading, "
          f"{after} after; {read_after} bytes read in the 200 ms after it")
    # Our one thread is named "npw-loader"; GStreamer's task threads keep
    # their element's name when idle, so only names tell ours apart.
    ok = not ours and read_after < 1024 * 1024

    p.w.set_property("location", huge)
    p.play()
    deadline = time.monotonic() + 20
    while not close(p.pixel(), RED):
        assert time.monotonic() < deadline
    playing = rss_mb()
    p.stop()
    time.sleep(0.2)
    null = rss_mb()
    print(f"stop: RSS {before_rss:.0f} MB before, {playing:.0f} MB playing "
          f"the 5000x5000 watermark, {null:.0f} MB in NULL")
    ok = ok and null < playing - 80
    return ok


def check_restart(tmp):
    """A restart while a big read is in flight: the element shows what
    start() read, also after a later geometry change."""
    blue = os.path.join(tmp, "blue.npy")
    huge = os.path.join(tmp, "huge.npy")
    p = Pipeline(blue)
    p.play()
    p.pixel()
    p.w.set_property("location", huge)
    time.sleep(0.005)
    p.stop(Gst.State.READY)
    p.w.set_property("location", blue)
    p.play()
    time.sleep(1.0)                         # any old read has ended
    p.w.set_property("position", "bottom-right")
    p.w.set_property("size", 2.0)
    time.sleep(0.3)
    px = [p.pixel() for _ in range(5)]
    p.stop()
    stale = any(close(x, RED) for x in px)
    print(f"restart: {'the stale file' if stale else 'start()s file'} shown")
    return not stale


def main():
    Gst.init(None)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="npw-app-") as tmp:
        for check in (check_interleaved, check_stop, check_restart):
            try:
                ok = check(tmp)
            except AssertionError as e:
                print(f"{check.__name__}: {e}")
                ok = False
            print(f"{check.__name__}: {'ok' if ok else 'FAILED'}")
            failed += not ok
    return failed


if __name__ == "__main__":
    sys.exit(main())
