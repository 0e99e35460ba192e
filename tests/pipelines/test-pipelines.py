#!/usr/bin/python3
# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs each pipelines/ script and example as a user would, on inputs made
here with videotestsrc, audiotestsrc and PIL, and checks what it wrote: the
file exists and decodes, with the expected size and frame count (and
audio), and the watermark sits at the top-left with the expected colours.
Bad inputs (corrupt, truncated or CMYK JPEGs, audio-only files, opacities
in the wrong unit) must fail with a message naming them, exit != 0 and
leave no output, not even a temporary file.

    test-pipelines.py CASE [PROGRAM]

CASE is one of the functions named case_*; PROGRAM is the built C example
for case_c_example.  Needs the npywatermark plugin findable (meson's test
environment sets GST_PLUGIN_PATH_1_0), numpy and python3-gst-1.0.
"""

import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image, ImageOps

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PIPELINES = os.path.join(SRCDIR, "pipelines")

# Input frames are one flat colour, so the watermark's area can be checked
# against the formula with the background measured in the same output.
BACKGROUND = 0xff406080                     # ARGB for videotestsrc
SOLID = f"pattern=solid-color foreground-color={BACKGROUND}"

# Watermark 1: 48x32, left half opaque red, right half blue at alpha 128.
# Watermark 2: 40x20, opaque green (for swaps).
RED, BLUE, GREEN = (230, 30, 30), (30, 30, 230), (30, 230, 30)

# Codec tolerance on a region's mean, in 8-bit levels.
TOLERANCE = 10


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print(f"ok: {message}")


def run(args, env=None, expect=0, timeout=120):
    print("$ " + " ".join(args))
    try:
        proc = subprocess.run(args, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(f"{os.path.basename(args[0])} still runs after {timeout} s")
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    check(proc.returncode == expect,
          f"{os.path.basename(args[0])} exits with {expect}")
    return proc


def launch(description):
    """Makes an input with gst-launch-1.0."""
    run(["gst-launch-1.0", "-q"] + shlex.split(description))


def write_watermarks(tmp):
    one = np.zeros((32, 48, 4), np.uint8)
    one[:, :24] = RED + (255,)
    one[:, 24:] = BLUE + (128,)
    two = np.zeros((20, 40, 4), np.uint8)
    two[:] = GREEN + (255,)
    paths = os.path.join(tmp, "one.npy"), os.path.join(tmp, "two.npy")
    np.save(paths[0], one)
    np.save(paths[1], two)
    return paths


def blend(v, a, d, opacity=1.0):
    """The element's formula, written apart from it (see README)."""
    op = int(np.floor(opacity * 255 + 0.5))
    a = int(np.floor(a * op / 255 + 0.5))
    return np.floor((np.asarray(v) * a + np.asarray(d) * (255 - a)) / 255
                    + 0.5)


def play_to_end(pipeline, what):
    """Plays @pipeline until its end of stream; fails, saying @what and
    the error, if it errs or has not ended within 60 s."""
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        60 * Gst.SECOND, Gst.MessageType.ERROR | Gst.MessageType.EOS)
    pipeline.set_state(Gst.State.NULL)
    if msg is None or msg.type != Gst.MessageType.EOS:
        fail(f"{what}: "
             f"{msg.parse_error()[0].message if msg else 'timeout'}")


def decode(path):
    """Decodes every video frame of @path to RGB (numpy HxWx3 each) and
    counts the audio; returns (frames, timestamps, audio seconds)."""
    frames, stamps, audio = [], [], [0]
    pipeline = Gst.Pipeline.new()
    src = Gst.ElementFactory.make("uridecodebin")
    src.set_property("uri", Gst.filename_to_uri(path))
    pipeline.add(src)

    def on_video(sink):
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        s = sample.get_caps().get_structure(0)
        w, h = s.get_value("width"), s.get_value("height")
        ok, info = buf.map(Gst.MapFlags.READ)
        rows = np.frombuffer(info.data, np.uint8)[:w * h * 4]
        frames.append(rows.reshape(h, w, 4)[:, :, :3].copy())
        buf.unmap(info)
        stamps.append(buf.pts)
        return Gst.FlowReturn.OK

    def on_audio(sink):
        buf = sink.emit("pull-sample").get_buffer()
        audio[0] += buf.duration / Gst.SECOND
        return Gst.FlowReturn.OK

    def on_pad(_src, pad):
        kind = pad.get_current_caps().get_structure(0).get_name()
        if kind.startswith("video/"):
            chain = "videoconvert ! video/x-raw,format=RGBx"
            callback = on_video
        elif kind.startswith("audio/"):
            chain = "audioconvert"
            callback = on_audio
        else:
            return
        bin_ = Gst.parse_bin_from_description(
            chain + " ! appsink name=sink sync=false emit-signals=true", True)
        bin_.get_by_name("sink").connect("new-sample", callback)
        pipeline.add(bin_)
        bin_.sync_state_with_parent()
        pad.link(bin_.get_static_pad("sink"))

    src.connect("pad-added", on_pad)
    play_to_end(pipeline, f"{path} does not decode")
    return frames, stamps, audio[0]


def mean(frame, x0, y0, x1, y1):
    return frame[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0)


def close(got, want, tolerance=TOLERANCE):
    return bool(np.all(np.abs(np.asarray(got) - np.asarray(want))
                       <= tolerance))


def describe(got):
    return "(" + ", ".join(f"{v:.0f}" for v in got) + ")"


def check_mark_one(frame, what, opacity=1.0):
    """Watermark one at the top-left: red then blue, background after."""
    d = mean(frame, frame.shape[1] - 40, frame.shape[0] - 24,
             frame.shape[1] - 8, frame.shape[0] - 8)
    red = mean(frame, 4, 4, 20, 28)
    blue = mean(frame, 28, 4, 44, 28)
    right = mean(frame, 52, 4, 70, 28)
    below = mean(frame, 4, 36, 44, 48)
    check(close(red, blend(RED, 255, d, opacity)),
          f"{what}: red half {describe(red)} ~ "
          f"{describe(blend(RED, 255, d, opacity))}")
    check(close(blue, blend(BLUE, 128, d, opacity)),
          f"{what}: blue half {describe(blue)} ~ "
          f"{describe(blend(BLUE, 128, d, opacity))}")
    check(close(right, d) and close(below, d),
          f"{what}: background {describe(d)} right of and below it")


def check_unmarked(frame, what):
    d = mean(frame, frame.shape[1] - 40, frame.shape[0] - 24,
             frame.shape[1] - 8, frame.shape[0] - 8)
    corner = mean(frame, 4, 4, 44, 28)
    check(close(corner, d), f"{what}: no watermark {describe(corner)}")


def check_mark_two(frame, what):
    d = mean(frame, frame.shape[1] - 40, frame.shape[0] - 24,
             frame.shape[1] - 8, frame.shape[0] - 8)
    green = mean(frame, 4, 4, 36, 16)
    below = mean(frame, 4, 24, 36, 30)
    check(close(green, GREEN) and close(below, d),
          f"{what}: second watermark {describe(green)}, ends at y=20")


def script(name):
    return os.path.join(PIPELINES, name)


def check_refused(args, what, names, folder, absent, env=None):
    """@args fails: exit status != 0, a message holding each of @names,
    and nothing at @absent nor any temporary file in @folder."""
    print("$ " + " ".join(args))
    try:
        proc = subprocess.run(args, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        fail(f"{what}: still running after 60 s")
    sys.stderr.write(proc.stderr)
    check(proc.returncode != 0, f"{what}: exit status {proc.returncode}")
    for name in names:
        check(name in proc.stderr, f"{what}: the message says {name!r}")
    check(not os.path.exists(absent), f"{what}: no {os.path.basename(absent)}")
    check_no_partial(folder, what)
    return proc


def check_no_partial(folder, what):
    left = [f for f in os.listdir(folder) if f.endswith(".part")]
    check(not left, f"{what}: no temporary file left ({left})")


OPACITY_REFUSALS = [
    ("0.8", ["opacity 0.8 is a percentage from 0 to 100", "did you mean 80?"]),
    ("0.25", ["did you mean 25?"]),
    ("150", ["opacity 150", "0 to 100"]),
    ("-5", ["opacity -5", "0 to 100"]),
    ("high", ['opacity "high" is not a number']),
]


# A 320x240 picture in four flat quarters, saved with each EXIF
# orientation; the quarters' colours say which way up it came out.
QUARTERS = [[(220, 40, 40), (40, 200, 40)], [(40, 40, 220), (230, 230, 40)]]


def write_oriented(path, orientation):
    pixels = np.zeros((240, 320, 3), np.uint8)
    for i in range(2):
        for j in range(2):
            pixels[i * 120:(i + 1) * 120, j * 160:(j + 1) * 160] = \
                QUARTERS[i][j]
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pixels).save(path, quality=95, exif=exif.tobytes())


def check_oriented(out, src, what):
    """@out shows @src as PIL's ImageOps.exif_transpose turns it, away
    from the watermark at the top-left."""
    want = np.asarray(ImageOps.exif_transpose(Image.open(src))
                      .convert("RGB")).astype(float)
    frames, _, _ = decode(out)
    got = frames[0].astype(float)
    check(got.shape == want.shape,
          f"{what}: {got.shape[1]}x{got.shape[0]}, as exif_transpose")
    h, w = want.shape[:2]
    for y in (h // 4, 3 * h // 4):
        for x in (w // 4, 3 * w // 4):
            g = mean(got, x - 8, y - 8, x + 8, y + 8)
            r = mean(want, x - 8, y - 8, x + 8, y + 8)
            check(close(g, r), f"{what}: at ({x}, {y}) {describe(g)} ~ "
                  f"{describe(r)}")


def write_bad_jpegs(tmp):
    """A truncated JPEG, a corrupt one that still ends with its EOI
    marker, and a CMYK one; returns their paths."""
    good = os.path.join(tmp, "good.jpg")
    launch(f"videotestsrc num-buffers=1 pattern=smpte ! "
           f"video/x-raw,width=320,height=240 ! jpegenc quality=95 ! "
           f"filesink location={good}")
    with open(good, "rb") as f:
        data = bytearray(f.read())
    truncated = os.path.join(tmp, "truncated.jpg")
    with open(truncated, "wb") as f:
        f.write(data[:len(data) * 2 // 3])
    scan = data.find(b"\xff\xda")
    for i in range(scan + 200, scan + 2000, 2):
        data[i:i + 2] = b"\xff\xc4"        # markers in the scan data
    corrupt = os.path.join(tmp, "corrupt.jpg")
    with open(corrupt, "wb") as f:
        f.write(data)
    cmyk = os.path.join(tmp, "cmyk.jpg")
    Image.new("CMYK", (64, 48), (0, 255, 255, 0)).save(cmyk)
    return truncated, corrupt, cmyk


def write_refused_pictures(tmp):
    """Files the batch command refuses before decoding, with the reason
    it gives: [(path, words)]."""
    folder = os.path.join(tmp, "refused")
    os.makedirs(folder, exist_ok=True)
    truncated, _, cmyk = write_bad_jpegs(folder)
    empty = os.path.join(folder, "empty.jpg")
    open(empty, "wb").close()
    junk = os.path.join(folder, "junk.jpg")
    with open(junk, "wb") as f:
        f.write(b"<html>not a picture</html>")
    png = os.path.join(folder, "cut.png")
    Image.new("RGB", (64, 48), (200, 30, 30)).save(png)
    with open(png, "rb") as f:
        data = f.read()
    with open(png, "wb") as f:
        f.write(data[:-20])
    os.unlink(os.path.join(folder, "corrupt.jpg"))
    os.unlink(os.path.join(folder, "good.jpg"))
    return [(empty, "empty file"),
            (junk, "not a JPEG, PNG, WebP, TIFF, BMP or GIF picture"),
            (truncated, "truncated JPEG"),
            (cmyk, "CMYK JPEG is not supported"),
            (png, "truncated PNG")]


def check_batch_words(batch, refusals, watermark, tmp):
    """The batch command gives the same reasons for the same files."""
    folder = os.path.dirname(refusals[0][0])
    proc = subprocess.run([batch, "--input", folder, "--npy", watermark,
                           "--output", os.path.join(tmp, "batch-out"),
                           "--height", "48", "--quiet"],
                          cwd=tmp, capture_output=True, text=True,
                          timeout=120)
    for path, words in refusals:
        check(f"{os.path.basename(path)}: {words}" in proc.stderr,
              f"npy-watermark says {words!r} of {os.path.basename(path)} "
              "too")


def check_bounded(args, what, folder, absent):
    """@args with a gst-launch-1.0 that never ends and NPW_TIMEOUT=2:
    stopped, said, exit status 1, nothing written."""
    fake = os.path.join(folder, "hung-bin")
    os.makedirs(fake, exist_ok=True)
    with open(os.path.join(fake, "gst-launch-1.0"), "w") as f:
        f.write("#!/bin/sh\nexec sleep 600\n")
    os.chmod(os.path.join(fake, "gst-launch-1.0"), 0o755)
    env = dict(os.environ, NPW_TIMEOUT="2",
               PATH=fake + os.pathsep + os.environ["PATH"])
    start = time.monotonic()
    proc = check_refused(args, f"{what} with a gst-launch-1.0 that hangs",
                         ["NPW_TIMEOUT"], folder, absent, env=env)
    check(proc.returncode == 1 and time.monotonic() - start < 30,
          f"{what}: stopped after NPW_TIMEOUT, exit status 1")


def encoded_caps(path):
    """The caps of @path's video stream as gst-discoverer-1.0 reports them
    (H.264 with chroma-format, or VP8)."""
    proc = run(["gst-discoverer-1.0", "-v", path])
    found = re.search(r"video #\d+: (video/x-(h264|vp8)[^\n]*)", proc.stdout)
    check(found is not None, f"{os.path.basename(path)}: H.264 or VP8 video")
    return found.group(1)


def check_420(path, what):
    caps = encoded_caps(path)
    check(caps.startswith("video/x-vp8") or
          "chroma-format=(string)4:2:0" in caps,
          f"{what}: 4:2:0 ({caps[:60]}..., "
          f"{re.search(r'profile=[^,]*', caps)})")


def check_usage(name):
    proc = subprocess.run([script(name)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    check(proc.returncode == 2 and "usage:" in proc.stderr,
          f"{name} with no arguments prints its usage and exits with 2")


def write_png16(path, colour_type, width=8, height=6):
    """A 16-bit PNG written byte by byte (no encoder under test): gray
    (0), RGB (2), gray+alpha (4) or RGBA (6), a ramp, opaque."""
    import struct
    import zlib
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    rows = b""
    for y in range(height):
        row = b"\x00"
        for x in range(width):
            v = [(x * 8000 + y * 500 + c * 9000) % 65536
                 for c in range(channels)]
            if colour_type in (4, 6):
                v[-1] = 65535
            row += struct.pack(">%dH" % channels, *v)
        rows += row

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16,
                                           colour_type, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(rows)))
        f.write(chunk(b"IEND", b""))


def case_still(tmp, batch=None):
    check_usage("still.sh")
    one, _ = write_watermarks(tmp)
    jpg = os.path.join(tmp, "in photo.jpg")   # a space, as users have
    png = os.path.join(tmp, "tall.png")
    launch(f"videotestsrc num-buffers=1 {SOLID} ! "
           f"video/x-raw,width=1280,height=960 ! jpegenc quality=95 ! "
           f"filesink 'location={jpg}'")
    launch(f"videotestsrc num-buffers=1 {SOLID} ! "
           f"video/x-raw,width=800,height=1200 ! videoconvert ! pngenc ! "
           f"filesink location={png}")

    out = os.path.join(tmp, "out.jpg")
    for src, args, size in [(jpg, ["480", "90"], (640, 480)),
                            (png, ["300"], (200, 300)),
                            (png, ["300", "30", "50"], (200, 300))]:
        run([script("still.sh"), src, out, one] + args)
        with open(out, "rb") as f:
            check(f.read(3) == b"\xff\xd8\xff", "the output is a JPEG")
        frames, _, _ = decode(out)
        check(len(frames) == 1, "one picture")
        h, w = frames[0].shape[:2]
        check((w, h) == size, f"scaled to {w}x{h}")
        opacity = float(args[2]) / 100 if len(args) > 2 else 1.0
        check_mark_one(frames[0], os.path.basename(src), opacity)
    check_no_partial(tmp, "still.sh")

    # OPACITY is a percentage; the other unit is refused, not misread.
    for value, names in OPACITY_REFUSALS:
        check_refused([script("still.sh"), jpg, os.path.join(tmp, "o.jpg"),
                       one, "480", "90", value], f"OPACITY {value}",
                      names, tmp, os.path.join(tmp, "o.jpg"))

    # Bad pictures: named, exit 1, no output; an older output stays as
    # it was.
    with open(out, "rb") as f:
        before = f.read()
    for bad in write_bad_jpegs(tmp) + (os.path.join(tmp, "missing.jpg"),):
        name = os.path.basename(bad)
        check_refused([script("still.sh"), bad,
                       os.path.join(tmp, "bad-out.jpg"), one],
                      f"still.sh on {name}", [name], tmp,
                      os.path.join(tmp, "bad-out.jpg"))
        check_refused([script("still.sh"), bad, out, one],
                      f"still.sh on {name} over an older output", [name],
                      tmp, os.path.join(tmp, "never.jpg"))
        with open(out, "rb") as f:
            check(f.read() == before, "the older output is untouched")
    check_refused([script("still.sh"), jpg, jpg, one], "OUT = IN",
                  ["overwrite its input"], tmp, os.path.join(tmp, "x"))

    # HEIGHT and QUALITY are checked: one line naming the argument and
    # its range, exit status 2, nothing written.
    for args, words in ((["abc"], 'HEIGHT "abc"'), (["0"], 'HEIGHT "0"'),
                        (["99999"], 'HEIGHT "99999"'),
                        (["480", "150"], 'QUALITY "150"'),
                        (["480", "0"], 'QUALITY "0"'),
                        (["480", "x"], 'QUALITY "x"')):
        proc = check_refused([script("still.sh"), jpg,
                              os.path.join(tmp, "n.jpg"), one] + args,
                             " ".join(args), [words, "from 1 to"], tmp,
                             os.path.join(tmp, "n.jpg"))
        check(proc.returncode == 2 and len(proc.stderr.splitlines()) == 1,
              f"{' '.join(args)}: one line, exit status 2")
    run([script("still.sh"), jpg, out, one, "0480", "090"])
    check(decode(out)[0][0].shape[:2] == (480, 640),
          "leading zeros are decimal (0480 is 480)")

    # What cannot be a picture is refused before anything is launched,
    # in the batch command's words; an empty file used to hang
    # gst-launch-1.0 in about half the runs, hence the repeats.
    refusals = write_refused_pictures(tmp)
    for path, words in refusals:
        for _ in range(4 if words == "empty file" else 1):
            check_refused([script("still.sh"), path,
                           os.path.join(tmp, "r.jpg"), one],
                          f"still.sh on {os.path.basename(path)}",
                          [f"{os.path.basename(path)}: {words}"], tmp,
                          os.path.join(tmp, "r.jpg"))
    if batch:
        check_batch_words(batch, refusals, one, tmp)

    # No input can hang the script: a gst-launch-1.0 that never ends is
    # stopped after NPW_TIMEOUT seconds, said, and nothing is written.
    check_bounded([script("still.sh"), jpg, os.path.join(tmp, "t.jpg"), one],
                  "still.sh", tmp, os.path.join(tmp, "t.jpg"))

    # 16-bit colour PNGs, which 1.22's pngdec decodes with wrong colours,
    # are refused, naming the file and the reason; 16-bit gray, which it
    # gets right, is watermarked.
    for colour_type in (2, 4, 6):
        src = os.path.join(tmp, f"deep-{colour_type}.png")
        write_png16(src, colour_type)
        check_refused([script("still.sh"), src,
                       os.path.join(tmp, "deep-out.jpg"), one, "6"],
                      f"still.sh on a 16-bit PNG of colour type {colour_type}",
                      [os.path.basename(src), "16-bit colour PNG",
                       "npy-watermark"], tmp, os.path.join(tmp, "deep-out.jpg"))
    src = os.path.join(tmp, "deep-0.png")
    write_png16(src, 0)
    run([script("still.sh"), src, os.path.join(tmp, "deep-out.jpg"), one,
         "6", "95"])
    check(os.path.getsize(os.path.join(tmp, "deep-out.jpg")) > 0,
          "16-bit gray PNG watermarked")

    # A phone photo comes out the right way up, as the batch command and
    # PIL's exif_transpose make it.
    for orientation in range(1, 9):
        src = os.path.join(tmp, f"orientation-{orientation}.jpg")
        write_oriented(src, orientation)
        height = "320" if orientation >= 5 else "240"
        run([script("still.sh"), src, out, one, height, "95"])
        check_oriented(out, src, f"EXIF orientation {orientation}")


def case_sequence(tmp, batch=None):
    check_usage("sequence.sh")
    one, _ = write_watermarks(tmp)
    os.mkdir(os.path.join(tmp, "in"))
    os.mkdir(os.path.join(tmp, "out"))
    sizes = [(320, 240), (200, 300), (320, 240), (640, 360), (100, 100)]
    for i, (w, h) in enumerate(sizes):
        launch(f"videotestsrc num-buffers=1 {SOLID} ! "
               f"video/x-raw,width={w},height={h} ! jpegenc quality=95 ! "
               f"filesink location={tmp}/in/frame-{i:05d}.jpg")

    for ext in ("jpg", "png"):
        pattern = os.path.join(tmp, "out", f"wm-%05d.{ext}")
        run([script("sequence.sh"), os.path.join(tmp, "in/frame-%05d.jpg"),
             pattern, one])
        outs = sorted(f for f in os.listdir(os.path.join(tmp, "out"))
                      if f.endswith(ext))
        check(outs == [f"wm-{i:05d}.{ext}" for i in range(len(sizes))],
              f"one .{ext} per input picture, numbered alike")
        for i, (w, h) in enumerate(sizes):
            frames, _, _ = decode(pattern % i)
            check(frames[0].shape[:2] == (h, w), f"picture {i} is {w}x{h}")
            if w >= 80 and h >= 64:
                check_mark_one(frames[0], f"picture {i}")
            else:
                # Cropped to the frame, still at the top-left.
                red = mean(frames[0], 4, 4, 20, 28)
                check(close(red, RED), f"picture {i}: red half, cropped")

    # START: begin further on, and keep the numbers.
    run([script("sequence.sh"), os.path.join(tmp, "in/frame-%05d.jpg"),
         os.path.join(tmp, "out", "start-%05d.jpg"), one, "3"])
    outs = sorted(f for f in os.listdir(os.path.join(tmp, "out"))
                  if f.startswith("start-"))
    check(outs == ["start-00003.jpg", "start-00004.jpg"],
          "START=3 writes pictures 3 and 4")
    check_no_partial(os.path.join(tmp, "out"), "sequence.sh")

    # Frames numbered from 1, no START: found, not a hang.
    os.mkdir(os.path.join(tmp, "from1"))
    for i in (1, 2, 3):
        os.link(os.path.join(tmp, "in", f"frame-{i:05d}.jpg"),
                os.path.join(tmp, "from1", f"{i}.jpg"))
    run([script("sequence.sh"), os.path.join(tmp, "from1/%d.jpg"),
         os.path.join(tmp, "from1/wm-%d.jpg"), one], timeout=60)
    outs = sorted(f for f in os.listdir(os.path.join(tmp, "from1"))
                  if f.startswith("wm-"))
    check(outs == ["wm-1.jpg", "wm-2.jpg", "wm-3.jpg"],
          f"numbered from 1 without START: pictures 1 to 3 ({outs})")
    check_refused([script("sequence.sh"), os.path.join(tmp, "none/%d.jpg"),
                   os.path.join(tmp, "out/n-%d.jpg"), one],
                  "no picture 0 or 1", ["none/0.jpg", "none/1.jpg"],
                  os.path.join(tmp, "out"), os.path.join(tmp, "out/n-0.jpg"))
    check_refused([script("sequence.sh"), os.path.join(tmp, "in/frame.jpg"),
                   os.path.join(tmp, "out/p-%d.jpg"), one],
                  "a pattern with no number", ["frame.jpg"],
                  os.path.join(tmp, "out"), os.path.join(tmp, "out/p-0.jpg"))

    # Frames 1 and 2 of 0..3 corrupt and truncated: named, exit status 1,
    # no output for them, and the others keep their numbers.
    truncated, corrupt, _ = write_bad_jpegs(tmp)
    os.mkdir(os.path.join(tmp, "bad"))
    os.mkdir(os.path.join(tmp, "bad-out"))
    for i, src in enumerate([os.path.join(tmp, "in", "frame-00000.jpg"),
                             corrupt, truncated,
                             os.path.join(tmp, "in", "frame-00003.jpg")]):
        os.link(src, os.path.join(tmp, "bad", f"{i:03d}.jpg"))
    proc = check_refused([script("sequence.sh"),
                          os.path.join(tmp, "bad/%03d.jpg"),
                          os.path.join(tmp, "bad-out/%03d.jpg"), one],
                         "a corrupt and a truncated frame",
                         ["bad/001.jpg", "bad/002.jpg"],
                         os.path.join(tmp, "bad-out"),
                         os.path.join(tmp, "bad-out/001.jpg"))
    check(proc.returncode == 1, "exit status 1")
    outs = sorted(os.listdir(os.path.join(tmp, "bad-out")))
    check(outs == ["000.jpg", "003.jpg"], f"frames 0 and 3 written ({outs})")
    for i, (w, h) in ((0, sizes[0]), (3, sizes[3])):
        frames, _, _ = decode(os.path.join(tmp, "bad-out", f"{i:03d}.jpg"))
        check(frames[0].shape[:2] == (h, w),
              f"output {i} is input {i} ({w}x{h})")
        check_mark_one(frames[0], f"output {i}")

    # Refused pictures among the frames (an empty one used to hang the
    # script): each named with the batch command's reason, the frame
    # after them still written.
    os.mkdir(os.path.join(tmp, "holes"))
    refusals = write_refused_pictures(tmp)
    for i, (path, _) in enumerate(refusals):
        os.link(path, os.path.join(tmp, "holes", f"{i}.jpg"))
    last = len(refusals)
    os.link(os.path.join(tmp, "in", "frame-00000.jpg"),
            os.path.join(tmp, "holes", f"{last}.jpg"))
    proc = check_refused([script("sequence.sh"),
                          os.path.join(tmp, "holes/%d.jpg"),
                          os.path.join(tmp, "holes/out-%d.jpg"), one],
                         "refused frames",
                         [f"holes/{i}.jpg: {words}"
                          for i, (_, words) in enumerate(refusals)],
                         os.path.join(tmp, "holes"),
                         os.path.join(tmp, "holes/out-0.jpg"))
    outs = sorted(f for f in os.listdir(os.path.join(tmp, "holes"))
                  if f.startswith("out-"))
    check(outs == [f"out-{last}.jpg"] and proc.returncode == 1,
          f"the frame after them is written ({outs})")
    check_bounded([script("sequence.sh"), os.path.join(tmp, "holes/%d.jpg"),
                   os.path.join(tmp, "holes/t-%d.jpg"), one, str(last)],
                  "sequence.sh", os.path.join(tmp, "holes"),
                  os.path.join(tmp, f"holes/t-{last}.jpg"))

    # A 16-bit colour PNG among the frames: said once, with the reason,
    # and the next frame is still done.
    os.mkdir(os.path.join(tmp, "deep"))
    write_png16(os.path.join(tmp, "deep", "0.png"), 2)
    os.link(os.path.join(tmp, "in", "frame-00000.jpg"),
            os.path.join(tmp, "deep", "1.png"))
    proc = check_refused([script("sequence.sh"),
                          os.path.join(tmp, "deep/%d.png"),
                          os.path.join(tmp, "deep/out-%d.jpg"), one],
                         "a 16-bit colour PNG frame",
                         ["deep/0.png", "16-bit colour PNG"],
                         os.path.join(tmp, "deep"),
                         os.path.join(tmp, "deep/out-0.jpg"))
    check("no picture could be decoded" not in proc.stderr,
          "the refusal is not also called a decoding failure")
    check(os.path.exists(os.path.join(tmp, "deep/out-1.jpg")),
          "the next frame is watermarked")

    # EXIF orientation, frame by frame.
    os.mkdir(os.path.join(tmp, "turned"))
    for orientation in range(1, 9):
        write_oriented(os.path.join(tmp, "turned", f"{orientation}.jpg"),
                       orientation)
    run([script("sequence.sh"), os.path.join(tmp, "turned/%d.jpg"),
         os.path.join(tmp, "turned/out-%d.png"), one])
    for orientation in range(1, 9):
        check_oriented(os.path.join(tmp, "turned", f"out-{orientation}.png"),
                       os.path.join(tmp, "turned", f"{orientation}.jpg"),
                       f"picture {orientation}")


def make_video(tmp, name, audio):
    path = os.path.join(tmp, name)
    desc = (f"videotestsrc num-buffers=30 {SOLID} ! "
            f"video/x-raw,width=320,height=240,framerate=30/1 ! "
            f"jpegenc quality=95 ! matroskamux name=m ! "
            f"filesink location={path}")
    if audio:
        desc += (" audiotestsrc num-buffers=43 samplesperbuffer=1024 ! "
                 "audio/x-raw,rate=44100 ! audioconvert ! vorbisenc ! m.")
    launch(desc)
    return path


def case_video(tmp):
    check_usage("video.sh")
    one, _ = write_watermarks(tmp)
    for audio in (True, False):
        src = make_video(tmp, f"in-{audio}.mkv", audio)
        out = os.path.join(tmp, f"out-{audio}.mkv")
        run([script("video.sh"), src, out, one])
        frames, stamps, seconds = decode(out)
        check(len(frames) == 30, f"30 frames out of 30 ({len(frames)})")
        check(stamps == sorted(set(stamps)), "no frame twice, in order")
        check(frames[0].shape[:2] == (240, 320), "320x240")
        if audio:
            check(abs(seconds - 1.0) < 0.1, f"the audio kept ({seconds} s)")
        else:
            check(seconds == 0, "no audio in, none out")
        for i in (0, 15, 29):
            check_mark_one(frames[i], f"frame {i}")

        check_420(out, f"video.sh {'with' if audio else 'without'} audio")

    out = os.path.join(tmp, "half.mkv")
    run([script("video.sh"), src, out, one, "50"])
    frames, _, _ = decode(out)
    check_mark_one(frames[10], "OPACITY 50", 0.5)
    for value, names in OPACITY_REFUSALS[:1]:
        check_refused([script("video.sh"), src, os.path.join(tmp, "o.mkv"),
                       one, value], f"OPACITY {value}", names, tmp,
                      os.path.join(tmp, "o.mkv"))

    # An RGB source: still 4:2:0 (x264enc would pick High 4:4:4).
    rgb = os.path.join(tmp, "rgb.mkv")
    launch(f"videotestsrc num-buffers=10 {SOLID} ! "
           f"video/x-raw,format=RGB,width=320,height=240,framerate=30/1 ! "
           f"matroskamux ! filesink location={rgb}")
    out = os.path.join(tmp, "from-rgb.mkv")
    run([script("video.sh"), rgb, out, one])
    check_420(out, "video.sh from RGB")
    frames, _, _ = decode(out)
    check(len(frames) == 10, f"10 frames ({len(frames)})")
    check_mark_one(frames[5], "from RGB, frame 5")

    # No video: said so at once, nothing written.
    sound = os.path.join(tmp, "sound.mka")
    launch(f"audiotestsrc num-buffers=20 ! audioconvert ! vorbisenc ! "
           f"matroskamux ! filesink location={sound}")
    check_refused([script("video.sh"), sound, os.path.join(tmp, "s.mkv"),
                   one], "an audio-only file", ["sound.mka",
                                                "no video stream"],
                  tmp, os.path.join(tmp, "s.mkv"))
    # (not a .npy: npydec makes those a video)
    notes = os.path.join(tmp, "notes.txt")
    with open(notes, "w") as f:
        f.write("not a video\n" * 100)
    check_refused([script("video.sh"), notes, os.path.join(tmp, "s.mkv"),
                   one], "a file that is not a video", ["notes.txt"],
                  tmp, os.path.join(tmp, "s.mkv"))
    check_refused([script("video.sh"), src, os.path.join(tmp, "s.mkv"),
                   os.path.join(tmp, "missing.npy")], "a missing watermark",
                  ["missing.npy"], tmp, os.path.join(tmp, "s.mkv"))


def make_mp4(tmp, name, width=320, height=240, seconds=4, faststart=False):
    """H.264 + AAC in MP4, as a phone or camera writes: a flat colour at
    30 frames a second, a tone; the index at the front with
    @faststart."""
    path = os.path.join(tmp, name)
    launch(f"videotestsrc num-buffers={30 * seconds} {SOLID} ! "
           f"video/x-raw,width={width},height={height},framerate=30/1 ! "
           f"x264enc speed-preset=ultrafast ! h264parse ! "
           f"mp4mux faststart={str(faststart).lower()} name=m ! "
           f"filesink location={path} "
           f"audiotestsrc num-buffers={seconds * 44100 // 1024 + 1} "
           f"samplesperbuffer=1024 ! audio/x-raw,rate=44100,channels=2 ! "
           f"audioconvert ! avenc_aac ! aacparse ! m.")
    return path


def rotate_mp4(path):
    """Makes @path, an MP4 of mp4mux's, a phone clip held upright: its
    video track's matrix turned 90 degrees clockwise (what phones write;
    1.22's mp4mux cannot)."""
    import struct
    with open(path, "rb") as f:
        data = bytearray(f.read())
    at = 0
    while True:
        at = data.index(b"tkhd", at + 1)
        box = at - 4
        assert data[box + 8] == 0, "tkhd version 0"
        width = struct.unpack(">I", data[box + 84:box + 88])[0]
        if width:
            break
    data[box + 48:box + 84] = struct.pack(
        ">9I", 0, 0x10000, 0, 0xffff0000, 0, 0, 0, 0, 0x40000000)
    with open(path, "wb") as f:
        f.write(data)


def demux_audio(path):
    """The audio packets of each audio stream of @path, as parsebin gives
    them (demuxer and parser, nothing decoded): a list of lists of bytes,
    one list per stream in the order the streams appear."""
    streams = []
    pipeline = Gst.parse_launch(
        f"filesrc location={shlex.quote(path)} ! parsebin name=p")
    parse = pipeline.get_by_name("p")

    def on_pad(_parse, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        audio = caps.get_structure(0).get_name().startswith("audio/")
        sink = Gst.ElementFactory.make("appsink" if audio else "fakesink")
        sink.set_property("sync", False)
        # parsebin does not hold the pipeline's state change as decodebin
        # does: a sink added later must not wait to preroll.
        sink.set_property("async", False)
        if audio:
            packets = []
            streams.append(packets)

            def on_sample(s):
                buf = s.emit("pull-sample").get_buffer()
                packets.append(buf.extract_dup(0, buf.get_size()))
                return Gst.FlowReturn.OK
            sink.set_property("emit-signals", True)
            sink.connect("new-sample", on_sample)
        pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    parse.connect("pad-added", on_pad)
    play_to_end(pipeline, f"{path} does not demux")
    return streams


def container(path):
    """What @path is, by its first bytes: mp4, mov, matroska, webm, avi."""
    with open(path, "rb") as f:
        head = f.read(64)
    if head[4:8] == b"ftyp":
        return "mov" if head[8:12] == b"qt  " else "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if b"webm" in head else \
            "matroska" if b"matroska" in head else "ebml"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    return repr(head[:12])


def video_codec(path):
    proc = run(["gst-discoverer-1.0", "-v", path])
    found = re.search(r"video #\d+: ([^,\s]+)", proc.stdout)
    return found.group(1) if found else None


def case_video_containers(tmp):
    """The container OUT's extension names, every audio packet copied
    unchanged, every frame kept; an H.264+AAC MP4 long enough that x264's
    lookahead outlasts a default queue of audio (it stalled)."""
    one, _ = write_watermarks(tmp)
    mp4 = make_mp4(tmp, "camera.mp4")
    mkv = os.path.join(tmp, "opus.mkv")
    launch(f"videotestsrc num-buffers=30 {SOLID} ! "
           f"video/x-raw,width=320,height=240,framerate=30/1 ! "
           f"x264enc speed-preset=ultrafast ! h264parse ! matroskamux name=m ! "
           f"filesink location={mkv} audiotestsrc num-buffers=50 ! "
           f"audioconvert ! opusenc ! m.")
    # MPEG-4 Part 2 and PCM in AVI, as older cameras write
    avi = os.path.join(tmp, "camera.avi")
    launch(f"videotestsrc num-buffers=30 {SOLID} ! "
           f"video/x-raw,width=320,height=240,framerate=30/1 ! "
           f"avenc_mpeg4 ! avimux name=m ! filesink location={avi} "
           f"audiotestsrc num-buffers=44 samplesperbuffer=1024 ! "
           f"audio/x-raw,format=S16LE,rate=44100,channels=2 ! m.")
    cases = [(mp4, "out.mp4", "mp4", "video/x-h264"),
             (avi, "from-avi.avi", "avi", "video/x-h264"),
             (avi, "from-avi.mov", "mov", "video/x-h264"),
             (mp4, "OUT.M4V", "mp4", "video/x-h264"),
             (mp4, "out.mov", "mov", "video/x-h264"),
             (mp4, "out.mkv", "matroska", "video/x-h264"),
             (mp4, "out.avi", "avi", "video/x-h264"),
             (mkv, "out.webm", "webm", "video/x-vp9"),
             (mkv, "opus.mp4", "mp4", "video/x-h264")]
    audio = {}
    first = {src: decode(src)[1][0] for src in (mp4, mkv, avi)}
    for src, name, kind, codec in cases:
        out = os.path.join(tmp, name)
        what = f"{os.path.basename(src)} -> {name}"
        run([script("video.sh"), src, out, one], timeout=60)
        check(container(out) == kind, f"{what}: {container(out)}")
        check(video_codec(out) == codec, f"{what}: {codec}")
        if src not in audio:
            audio[src] = demux_audio(src)
            check(len(audio[src]) == 1 and len(audio[src][0]) > 40,
                  f"{os.path.basename(src)}: one audio stream of "
                  f"{len(audio[src][0])} packets")
        got = demux_audio(out)
        check(len(got) == 1, f"{what}: one audio stream ({len(got)})")
        want = audio[src][0]
        if src == avi:
            # PCM has no packets: qtmux stores it in chunks of its own
            check(b"".join(got[0]) == b"".join(want),
                  f"{what}: the PCM byte for byte "
                  f"({sum(map(len, want))} bytes)")
        else:
            same = sum(a == b for a, b in zip(got[0], want))
            check(len(got[0]) == len(want) and same == len(want),
                  f"{what}: the {len(want)} audio packets byte for byte "
                  f"({len(got[0])} out, {same} the same)")
        frames, stamps, _ = decode(out)
        n = 120 if src == mp4 else 30         # as made above
        check(len(frames) == n, f"{what}: {n} frames out of {n} "
              f"({len(frames)})")
        check(stamps == sorted(set(stamps)), f"{what}: no frame twice, "
              "in order")
        # In time with the audio: the first frame shows when it did
        # (mp4mux 1.22 writes B-frames' reordering delay into the
        # timeline: every frame two late).
        check(abs(stamps[0] - first[src]) <= Gst.MSECOND,
              f"{what}: the first frame at {stamps[0] / Gst.SECOND:.3f} s,"
              f" as in {os.path.basename(src)}")
        check_mark_one(frames[n // 2], f"{what}: frame {n // 2}")
    check_no_partial(tmp, "video.sh")

    # --crf is a constant quality, not capped: x264enc's pass=qual alone
    # holds it under 2048 kbit/s (its bitrate property, through a VBV
    # buffer), and 1 s of noise came out in 330 kB at --crf 18.
    snow = os.path.join(tmp, "snow.mkv")
    launch(f"videotestsrc num-buffers=30 pattern=snow ! video/x-raw,"
           f"format=I420,width=320,height=240,framerate=30/1 ! "
           f"matroskamux ! filesink location={snow}")
    out = os.path.join(tmp, "snow.mp4")
    run([script("video.sh"), "--crf", "18", snow, out, one])
    size = os.path.getsize(out)
    check(size > 600000, f"1 s of noise at --crf 18: {size * 8 / 1e6:.1f} "
          f"Mbit/s, not held under 2 Mbit/s")

    # An MP4 with its index at the front, cut in half: 1.22's qtdemux
    # plays it to the cut and ends without an error.
    whole = make_mp4(tmp, "faststart.mp4", faststart=True)
    cut = os.path.join(tmp, "cut.mp4")
    with open(whole, "rb") as f, open(cut, "wb") as g:
        g.write(f.read()[:os.path.getsize(whole) // 2])
    check_refused([script("video.sh"), cut, os.path.join(tmp, "x.mp4"),
                   one], "a truncated MP4", ["cut.mp4", "truncated"], tmp,
                  os.path.join(tmp, "x.mp4"))

    # SIGTERM (or Ctrl-C) while it encodes: exit 143 (130), no OUT, no
    # temporary file.
    for sig, status in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        out = os.path.join(tmp, "stopped.mp4")
        proc = subprocess.Popen([script("video.sh"), "--preset", "veryslow",
                                 mp4, out, one], start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
                f.startswith(".stopped.mp4.") and
                os.path.getsize(os.path.join(tmp, f)) > 0
                for f in os.listdir(tmp)):
            time.sleep(0.05)
        os.killpg(proc.pid, sig)
        try:
            got = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            fail(f"video.sh still runs 30 s after {sig.name}")
        check(got == status, f"{sig.name} while writing: exit status {got}")
        check(not os.path.exists(out), f"{sig.name}: no {out}")
        check_no_partial(tmp, sig.name)

    # Subtitles are not carried, and that is said.
    srt = os.path.join(tmp, "words.srt")
    with open(srt, "w") as f:
        f.write("1\n00:00:00,000 --> 00:00:00,500\nhello\n\n")
    subs = os.path.join(tmp, "subs.mkv")
    launch(f"videotestsrc num-buffers=30 {SOLID} ! "
           f"video/x-raw,width=320,height=240,framerate=30/1 ! "
           f"x264enc speed-preset=ultrafast ! matroskamux name=m ! "
           f"filesink location={subs} filesrc location={srt} ! subparse ! "
           f"m.subtitle_%u")
    proc = run([script("video.sh"), subs, os.path.join(tmp, "subs-out.mkv"),
                one])
    check("subs.mkv: warning: its 1 subtitle stream(s) are not carried"
          in proc.stderr, "the dropped subtitles are said")
    frames, _, _ = decode(os.path.join(tmp, "subs-out.mkv"))
    check(len(frames) == 30, f"with subtitles: 30 frames ({len(frames)})")

    # What cannot be written: said before anything is.
    check_refused([script("video.sh"), mp4, os.path.join(tmp, "x.webm"),
                   one], "AAC into WebM",
                  ["camera.mp4", "x.webm", "(AAC)",
                   "Opus and Vorbis only"], tmp, os.path.join(tmp, "x.webm"))
    check_refused([script("video.sh"), make_video(tmp, "vorbis.mkv", True),
                   os.path.join(tmp, "x.mp4"), one], "Vorbis into MP4",
                  ["vorbis.mkv", "(Vorbis)", "mp4mux"], tmp,
                  os.path.join(tmp, "x.mp4"))
    for name in ("x.flv", "x"):
        check_refused([script("video.sh"), mp4, os.path.join(tmp, name),
                       one], f"OUT {name}", [name, ".mp4", ".mkv"], tmp,
                      os.path.join(tmp, name))
    check_refused([script("animated.sh"), mp4, os.path.join(tmp, "x.ogv"),
                   one], "animated.sh, OUT x.ogv", ["x.ogv", ".webm"], tmp,
                  os.path.join(tmp, "x.ogv"))


def check_placed(frame, what, size, margin, opacity=1.0):
    """Watermark one scaled to fit @size of the frame (README's formula,
    written here apart from the element), @margin pixels from the
    bottom-right corner; the rest of the frame untouched."""
    h, w = frame.shape[:2]
    s = min(size * w / 48, size * h / 32)
    mw, mh = max(1, round(48 * s)), max(1, round(32 * s))
    x0, y0 = w - mw - margin, h - mh - margin
    d = mean(frame, 8, h // 2 - 8, 40, h // 2 + 8)
    # 4 pixels in from every edge of each half (the scaler blurs them)
    red = mean(frame, x0 + 4, y0 + 4, x0 + mw // 2 - 4, y0 + mh - 4)
    blue = mean(frame, x0 + mw // 2 + 4, y0 + 4, x0 + mw - 4, y0 + mh - 4)
    check(close(red, blend(RED, 255, d, opacity)),
          f"{what}: red half at ({x0}, {y0}), {mw}x{mh}: {describe(red)}")
    check(close(blue, blend(BLUE, 128, d, opacity)),
          f"{what}: blue half {describe(blue)}")
    if margin >= 6:
        right = mean(frame, w - margin + 2, y0 + 4, w - 2, y0 + mh - 4)
        below = mean(frame, x0 + 4, h - margin + 2, x0 + mw - 4, h - 2)
        check(close(right, d) and close(below, d),
              f"{what}: background in the margin {describe(right)} "
              f"{describe(below)}")
    above = mean(frame, x0 + 4, y0 - 10, x0 + mw - 4, y0 - 4)
    left = mean(frame, x0 - 10, y0 + 4, x0 - 4, y0 + mh - 4)
    corner = mean(frame, 4, 4, 44, 28)
    check(close(above, d) and close(left, d) and close(corner, d),
          f"{what}: background above, left of it and at the top-left")


def case_video_geometry(tmp):
    """README's line (MP4 in, MP4 out, audio kept, logo bottom-right at
    10%), the other options, and the refusals of bad values."""
    one, _ = write_watermarks(tmp)
    src = make_mp4(tmp, "in.mp4", 640, 480, 2)
    out = os.path.join(tmp, "out.mp4")
    run([script("video.sh"), "--position", "bottom-right", "--size", "10",
         "--margin", "16", src, out, one])
    check(container(out) == "mp4", "MP4 out")
    frames, _, seconds = decode(out)
    check(len(frames) == 60, f"60 frames ({len(frames)})")
    check(abs(seconds - 2.0) < 0.1, f"the audio kept ({seconds:.2f} s)")
    check(demux_audio(out) == demux_audio(src), "the audio packets copied")
    for i in (0, 59):
        check_placed(frames[i], f"frame {i}", 0.1, 16)

    # A phone clip held upright (its track turned 90 degrees): turned
    # as players show it, the watermark where asked on what is shown.
    phone = make_mp4(tmp, "phone.mp4", 320, 240, 1)
    rotate_mp4(phone)
    out = os.path.join(tmp, "phone-out.mp4")
    run([script("video.sh"), "--position", "bottom-right", "--size", "10",
         "--margin", "8", phone, out, one])
    frames, _, _ = decode(out)
    check(frames[0].shape[:2] == (320, 240),
          f"the phone clip comes out upright, 240x320 "
          f"({frames[0].shape[1]}x{frames[0].shape[0]})")
    check_placed(frames[15], "the phone clip", 0.1, 8)

    # --opt=value, options after the files, a margin in percent of the
    # shorter side (2.5% of 480: 12), the old positional OPACITY.
    out = os.path.join(tmp, "percent.mkv")
    run([script("video.sh"), src, out, one, "--size=10", "50",
         "--margin=2.5%", "--position=bottom-right"])
    frames, _, _ = decode(out)
    check_placed(frames[30], "--margin 2.5%, OPACITY 50", 0.1, 12, 0.5)
    out = os.path.join(tmp, "opacity.mkv")
    run([script("video.sh"), "--opacity", "50", "--position",
         "bottom-right", src, out, one])
    frames, _, _ = decode(out)
    check_placed(frames[30], "--opacity 50 at its own size", 48 / 640, 0,
                 0.5)

    # animated.sh takes the same options.
    out = os.path.join(tmp, "anim.mp4")
    run([script("animated.sh"), "--position", "bottom-right", "--size",
         "10", "--margin", "16", src, out, one, "5"])
    frames, _, _ = decode(out)
    check(len(frames) == 60, f"animated.sh: 60 frames ({len(frames)})")
    check_placed(frames[45], "animated.sh", 0.1, 16)
    check(demux_audio(out) == demux_audio(src),
          "animated.sh: the audio packets copied")

    absent = os.path.join(tmp, "absent.mp4")
    for args, names in (
            (["--position", "corner"], ['--position "corner"',
                                        "bottom-right"]),
            (["--size", "big"], ['--size "big"', "percentage"]),
            (["--size", "-3"], ['--size "-3"']),
            (["--margin", "60%"], ['--margin "60%"', "0% to 50%"]),
            (["--margin", "1.5"], ['--margin "1.5"', "whole number"]),
            (["--crf", "52"], ['--crf "52"', "0 (lossless) to 51"]),
            (["--preset", "quick"], ['--preset "quick"', "veryfast"]),
            (["--opacity", "0.5"], ["did you mean 50?"]),
            (["--opacity", "50", "--", "60"], ["opacity given twice"])):
        for name in ("video.sh", "animated.sh"):
            extra = ["10"] if name == "animated.sh" and "--" in args else []
            check_refused([script(name), src, absent, one] + args[:-1] +
                          extra + args[-1:], f"{name} {' '.join(args)}",
                          names, tmp, absent)
    for args in (["--bogus", "1"], ["--size"]):
        proc = subprocess.run([script("video.sh"), src, absent, one] + args,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        check(proc.returncode == 2 and "usage:" in proc.stderr and
              not os.path.exists(absent),
              f"{' '.join(args)}: the usage, exit status 2")


LIVE_ENV = dict(os.environ, NPW_SOURCE=f"videotestsrc is-live=true {SOLID}",
                NPW_CAPS="video/x-raw,width=320,height=240,framerate=30/1")


def case_live(tmp):
    check_usage("live.sh")
    one, _ = write_watermarks(tmp)
    # No display and no NPW_SINK: a message naming NPW_SINK, not the
    # stock sink's SIGSEGV.
    env = {k: v for k, v in LIVE_ENV.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "NPW_SINK")}
    proc = check_refused([script("live.sh"), one, "5"], "live.sh headless",
                         ["NPW_SINK", "no display"], tmp,
                         os.path.join(tmp, "none"), env=env)
    check(proc.returncode == 1, f"exit status 1 ({proc.returncode})")
    os.mkdir(os.path.join(tmp, "shown"))
    # Lossless frames to look at (jpegenc would store a limited-range
    # source as if it were full range).
    env = dict(LIVE_ENV, NPW_SINK=f"pngenc ! multifilesink "
                                  f"location={tmp}/shown/%03d.png")
    run([script("live.sh"), one, "12"], env=env)
    shown = sorted(os.listdir(os.path.join(tmp, "shown")))
    check(len(shown) == 12, f"12 frames shown ({len(shown)})")
    for name in (shown[0], shown[-1]):
        frames, _, _ = decode(os.path.join(tmp, "shown", name))
        check(frames[0].shape[:2] == (240, 320), "320x240")
        check_mark_one(frames[0], f"shown frame {name}")

    # The display sink by default; fakesink stands in for a screen.
    env = dict(os.environ, NPW_SINK="fakesink sync=true")
    run([script("live.sh"), one, "5"], env=env)


def case_live_record(tmp):
    check_usage("live-record.sh")
    one, _ = write_watermarks(tmp)
    out = os.path.join(tmp, "live.mkv")
    env = LIVE_ENV
    run([script("live-record.sh"), one, out, "45"], env=env)
    frames, stamps, _ = decode(out)
    check(len(frames) == 45, f"45 frames recorded ({len(frames)})")
    check(stamps == sorted(set(stamps)), "no frame twice, in order")
    check(frames[0].shape[:2] == (240, 320), "320x240")
    for i in (0, 44):
        check_mark_one(frames[i], f"frame {i}")
    check_420(out, "live-record.sh")
    check_no_partial(tmp, "live-record.sh")

    # Ctrl-C (SIGINT to the terminal's process group): the recording is
    # finished and kept; until then only a temporary file exists.
    out = os.path.join(tmp, "stopped.mkv")
    proc = subprocess.Popen([script("live-record.sh"), one, out], env=env,
                            start_new_session=True)
    time.sleep(3)
    check(not os.path.exists(out), "no OUT while recording")
    os.killpg(proc.pid, signal.SIGINT)
    try:
        status = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        fail("live-record.sh still runs 30 s after Ctrl-C")
    check(status == 0, f"Ctrl-C: exit status {status}")
    frames, stamps, _ = decode(out)
    check(len(frames) >= 15, f"Ctrl-C: {len(frames)} frames kept")
    check(stamps == sorted(set(stamps)), "no frame twice, in order")
    check_mark_one(frames[-1], "the last frame before Ctrl-C")
    check_no_partial(tmp, "after Ctrl-C")

    check_refused([script("live-record.sh"), os.path.join(tmp, "none.npy"),
                   os.path.join(tmp, "x.mkv"), "10"], "a missing watermark",
                  ["none.npy"], tmp, os.path.join(tmp, "x.mkv"), env=env)


def case_c_example(tmp, program):
    one, two = write_watermarks(tmp)
    out = os.path.join(tmp, "fade.mkv")
    # A live source whose first frame is 40 ms in, as a camera's often
    # is (seen under load: 20-24 ms): frame numbers are counted, not
    # worked out as round(timestamp x fps), which said 31 for 30.
    # (identity sync=true paces it in real time, as a live source)
    env = dict(os.environ, NPW_SOURCE=f"videotestsrc {SOLID} num-buffers=60 "
               "timestamp-offset=40000000 ! identity sync=true")
    proc = run([program, one, two, out], env=env)
    found = re.search(r"in use from (\d+):(\d+):(\d+)\.(\d+)", proc.stdout)
    check(found is not None, "the program reports when the swap took effect")
    h, m, s, ns = (int(v) for v in found.groups())
    swap = ((h * 60 + m) * 60 + s) * Gst.SECOND + ns

    frames, stamps, _ = decode(out)
    check(len(frames) == 60, f"60 frames ({len(frames)})")
    check(stamps == sorted(set(stamps)), "no frame twice, in order")
    # The fade: opacity = timestamp / 1 s, so frame 0 shows nothing and
    # a frame a third of the way shows the watermark at a third.
    check_unmarked(frames[0], "frame 0 (opacity 0)")
    k = next(i for i, t in enumerate(stamps) if t >= Gst.SECOND // 3)
    check_mark_one(frames[k], f"frame {k} (fading)",
                   stamps[k] / Gst.SECOND)
    # Matroska keeps milliseconds: the first new frame is the one within
    # 1 ms of the reported timestamp.
    first = next(i for i, t in enumerate(stamps) if t > swap - Gst.MSECOND)
    check(abs(stamps[first] - swap) < Gst.MSECOND,
          f"frame {first} is the one reported")
    said = re.search(r"\(frame (\d+)\)", proc.stdout)
    check(said is not None and int(said.group(1)) == first,
          f"its number is said: frame {said and said.group(1)}, "
          f"counted {first}")
    check_mark_one(frames[first - 1], f"frame {first - 1}, before the swap",
                   min(1.0, stamps[first - 1] / Gst.SECOND))
    check_mark_two(frames[first], f"frame {first}, the first after it")
    check_mark_two(frames[-1], "the last frame")

    # A bad second file: a warning, the first stays, exit status 1.
    proc = run([program, one, os.path.join(tmp, "missing.npy")], expect=1)
    check("missing.npy" in proc.stderr, "the warning names the bad file")


def case_python_example(tmp):
    program = os.path.join(PIPELINES, "examples", "watermark-video.py")
    one, _ = write_watermarks(tmp)
    src = make_video(tmp, "in.mkv", True)
    out = os.path.join(tmp, "out.mkv")
    run([sys.executable, program, src, out, one, "--opacity", "50"])
    frames, stamps, seconds = decode(out)
    check(len(frames) == 30, f"30 frames ({len(frames)})")
    check(abs(seconds - 1.0) < 0.1, f"the audio kept ({seconds} s)")
    check_mark_one(frames[5], "frame 5", 0.5)
    check_420(out, "watermark-video.py")
    check_no_partial(tmp, "watermark-video.py")

    # Errors come back from the bus, named, with status 1, and leave no
    # output.
    absent = os.path.join(tmp, "absent.mkv")
    proc = check_refused([sys.executable, program, src, absent,
                          os.path.join(tmp, "missing.npy")],
                         "a missing watermark",
                         ["watermark-video:", "missing.npy"], tmp, absent)
    check(proc.returncode == 1, "exit status 1")
    # (not a .npy: npydec makes those video)
    text = os.path.join(tmp, "notes.txt")
    with open(text, "w") as f:
        f.write("not a video\n" * 100)
    check_refused([sys.executable, program, text, absent, one],
                  "a file that is not a video", ["watermark-video:"], tmp,
                  absent)
    sound = os.path.join(tmp, "sound.mka")
    launch(f"audiotestsrc num-buffers=20 ! audioconvert ! vorbisenc ! "
           f"matroskamux ! filesink location={sound}")
    check_refused([sys.executable, program, sound, absent, one],
                  "an audio-only file", ["sound.mka", "no video stream"],
                  tmp, absent)
    for value, names in OPACITY_REFUSALS:
        check_refused([sys.executable, program, src, absent, one,
                       "--opacity", value], f"--opacity {value}", names,
                      tmp, absent)
    # A photo is not made a one-frame video: refused as video.sh does.
    photo = os.path.join(tmp, "photo.jpg")
    launch(f"videotestsrc num-buffers=1 {SOLID} ! video/x-raw,width=64,"
           f"height=48 ! jpegenc ! filesink location={photo}")
    for command in ([sys.executable, program], [script("video.sh")]):
        check_refused(command + [photo, absent, one],
                      f"{os.path.basename(command[-1])} on a photo",
                      ["photo.jpg", "no video stream (a still picture"],
                      tmp, absent)


def case_npy_preview(tmp):
    """An (N, H, W, 4) stack as a WebM preview: N frames at the frame rate
    asked for, each frame's colour, nothing left behind; a bad array
    fails with no output."""
    check_usage("npy-preview.sh")
    colours = [(40 * k, 200 - 30 * k, 100 + 20 * k) for k in range(6)]
    stack = np.zeros((6, 48, 64, 4), np.uint8)
    for k, colour in enumerate(colours):
        stack[k] = colour + (255,)
    stack[:, :16, :16, 3] = 0     # over the checkerboard, not checked
    npy = os.path.join(tmp, "anim.npy")
    np.save(npy, stack)
    out_dir = os.path.join(tmp, "previews")
    os.mkdir(out_dir)
    out = os.path.join(out_dir, "anim preview.webm")

    run([script("npy-preview.sh"), npy, out, "10/1"])
    with open(out, "rb") as f:
        check(f.read(4) == b"\x1a\x45\xdf\xa3", "the output is WebM (EBML)")
    check(os.listdir(out_dir) == ["anim preview.webm"],
          "no temporary file left")
    frames, stamps, _ = decode(out)
    check(len(frames) == 6, f"6 frames ({len(frames)})")
    check(stamps == [k * Gst.SECOND // 10 for k in range(6)],
          f"at 10 frames per second: {stamps}")
    for k, frame in enumerate(frames):
        check(frame.shape[:2] == (48, 64), f"frame {k} is 64x48")
        got = mean(frame, 24, 24, 64, 48)
        check(close(got, colours[k]),
              f"frame {k}: {describe(got)}, the array's {colours[k]}")

    bad = os.path.join(tmp, "bad.npy")
    with open(bad, "wb") as f:
        f.write(b"not an array")
    # gst-launch-1.0 missed npydec's single error about 1 run in 6 and
    # waited forever: bounded now (a short NPW_TIMEOUT here), never a
    # hang, always exit status 1.
    env = dict(os.environ, NPW_TIMEOUT="20")
    for _ in range(8):
        check_refused([script("npy-preview.sh"), bad,
                       os.path.join(out_dir, "bad.webm")], "a bad array",
                      ["bad.npy"], out_dir,
                      os.path.join(out_dir, "bad.webm"), env=env)
    check(os.listdir(out_dir) == ["anim preview.webm"],
          "a bad array leaves no output and no temporary file")
    check_bounded([script("npy-preview.sh"), npy,
                   os.path.join(out_dir, "t.webm")], "npy-preview.sh",
                  tmp, os.path.join(out_dir, "t.webm"))


def case_animated(tmp):
    """An (N, H, W, 4) stack over a video: the frame at t shows slice
    floor(t * RATE) mod N, on every frame; a bad rate or a missing
    watermark fails with no output."""
    check_usage("animated.sh")
    colours = [(230, 30, 30), (30, 230, 30), (30, 30, 230),
               (230, 230, 30), (30, 230, 230), (230, 30, 230)]
    stack = np.zeros((6, 32, 48, 4), np.uint8)
    for k, colour in enumerate(colours):
        stack[k] = colour + (255,)
    npy = os.path.join(tmp, "anim.npy")
    np.save(npy, stack)
    src = make_video(tmp, "in.mkv", True)
    for rate, num, den in (("", 10, 1), ("7", 7, 1), ("45/2", 45, 2)):
        out = os.path.join(tmp, f"anim-{num}-{den}.mkv")
        run([script("animated.sh"), src, out, npy] + ([rate] if rate else []))
        frames, stamps, seconds = decode(out)
        check(len(frames) == 30, f"rate {num}/{den}: 30 frames "
              f"({len(frames)})")
        check(abs(seconds - 1.0) < 0.1, f"the audio kept ({seconds} s)")
        shown = []
        for i, frame in enumerate(frames):
            # the PTS the element saw (Matroska's, to the ms)
            want = (stamps[i] * num // (den * Gst.SECOND)) % 6
            got = mean(frame, 4, 4, 44, 28)
            d = mean(frame, 52, 4, 70, 28)
            if not (close(got, colours[want]) and close(d, blend(
                    colours[want], 0, d))):
                fail(f"rate {num}/{den}, frame {i}: {describe(got)}, not "
                     f"slice {want} {colours[want]}")
            shown.append(want)
        check(True, f"rate {num}/{den}: every frame shows its slice "
              f"{shown}")
    check_420(out, "animated.sh")

    for args, what, names in (
            (["fast"], "RATE fast", ['rate "fast"']),
            (["10", "0.5"], "OPACITY 0.5", ["did you mean 50?"])):
        check_refused([script("animated.sh"), src, os.path.join(tmp, "r.mkv"),
                       npy] + args, what, names, tmp,
                      os.path.join(tmp, "r.mkv"))
    check_refused([script("animated.sh"), src, os.path.join(tmp, "r.mkv"),
                   os.path.join(tmp, "missing.npy")], "a missing watermark",
                  ["missing.npy"], tmp, os.path.join(tmp, "r.mkv"))


def main():
    Gst.init(None)
    case = sys.argv[1].replace("-", "_")
    with tempfile.TemporaryDirectory(prefix="test-pipelines-") as tmp:
        globals()["case_" + case](tmp, *map(os.path.abspath, sys.argv[2:]))
    print(f"PASS: {sys.argv[1]}")


if __name__ == "__main__":
    main()
