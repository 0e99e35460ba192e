#!/usr/bin/python3
# 16-bit PNGs through npy-watermark: gray, gray+alpha, RGB, RGBA written
# byte by byte here (struct, zlib), never by the code under test nor by
# PIL, and read back here the same way.  TAP on stdout.
#
#   test_png16.py NPY_WATERMARK GROUP [ORIGINAL_SCRIPT]
#
# pngdec:   which colour types stock pngdec decodes wrong, against the
#           ones the command reads with libpng instead (its debug log)
# pixels:   bit depth, colour type and pixels of each, orientation, Adam7
# keep:     metadata kept, 8-bit PNGs as before, bad 16-bit files, the
#           original script's colours

import importlib.util
import math
import os
import shutil
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_batch import (EXE, GROUP, ORIGINAL, camera_exif, main,  # noqa
                        photo, png_chunks, reference_blend, run, srgb_profile,
                        tap, write_config)
from PIL import Image, ImageOps

CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}
NAMES = {0: "gray", 4: "gray+alpha", 2: "RGB", 6: "RGBA"}
LUMA = np.array([0.299, 0.587, 0.114])


# ------------------------------------------------- PNG by hand, both ways

def chunk(kind, body):
    return (struct.pack(">I", len(body)) + kind + body +
            struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))


ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
         (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def png16(pixels, colour_type, extra=b"", interlace=False):
    """A 16-bit PNG of @pixels (H, W[, C] uint16), filter 0 on every row,
    Adam7 if @interlace; @extra (whole chunks) after IHDR."""
    h, w = pixels.shape[:2]
    pixels = pixels.reshape(h, w, CHANNELS[colour_type]).astype(">u2")
    raw = b""
    for x0, y0, dx, dy in ADAM7 if interlace else ((0, 0, 1, 1),):
        sub = pixels[y0::dy, x0::dx]
        if sub.size:
            raw += b"".join(b"\0" + row.tobytes() for row in sub)
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type,
                                       0, 0, int(interlace))) + extra +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def read_png(path):
    """(bit depth, colour type, pixels (H, W, C)), any filters, no
    interlace: PNG's specification, section 9, by hand."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, ihdr = 8, b"", None
    while at < len(data):
        n, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + n
    w, h, depth, ct, _, _, interlace = ihdr
    assert interlace == 0 and depth in (8, 16)
    ch = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ct]
    bpp = ch * depth // 8
    raw = zlib.decompress(idat)
    stride = w * bpp
    out = np.zeros((h, stride), np.int64)
    prev = np.zeros(stride, np.int64)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride,
                             y * (stride + 1) + 1).astype(np.int64)
        if ftype == 0:
            cur = line
        elif ftype == 2:
            cur = (line + prev) % 256
        elif ftype == 1:
            cur = (np.cumsum(line.reshape(-1, bpp), 0) % 256).reshape(-1)
        else:
            cur = line.copy()
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                c = prev[i - bpp] if i >= bpp else 0
                pred = ((a + prev[i]) // 2 if ftype == 3 else
                        paeth(a, prev[i], c))
                cur[i] = (cur[i] + pred) % 256
        out[y] = cur
        prev = cur
    if depth == 16:
        out = out[:, 0::2] * 256 + out[:, 1::2]
    return depth, ct, out.reshape(h, w, ch)


# ----------------------------------------------------------------- pieces

def picture16(w, h, seed):
    """Smooth colour with grain down to the lowest bit, and an alpha
    ramp: 16-bit content that 8 bits cannot hold."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    rgb = np.stack([32768 + 25000 * np.sin(x / 17 + y / 29),
                    32768 + 25000 * np.cos(x / 23),
                    32768 + 20000 * np.sin(y / 13)], -1)
    rgb += rng.normal(0, 300, (h, w, 3))
    alpha = 20000 + 45000 * x / max(w - 1, 1)
    return np.clip(np.dstack([rgb, alpha]), 0, 65535).astype(np.uint16)


def as_type(rgba, ct):
    """@rgba (H, W, 4) as colour type @ct's samples."""
    if ct == 0:
        return rgba[..., :1]
    if ct == 4:
        return rgba[..., [0, 3]]
    return rgba[..., :CHANNELS[ct]]


def watermark():
    """40x30: opaque orange, half-transparent teal, a quarter blue."""
    wm = np.zeros((30, 40, 4), np.uint8)
    wm[:, 0:14] = (255, 128, 0, 255)
    wm[:, 14:28] = (0, 200, 180, 128)
    wm[:, 28:40] = (40, 40, 255, 64)
    return wm


def reference16(samples, ct, wm, opacity_pct):
    """The blend at 16 bits, in floats, from the README's formula: the
    watermark's 8-bit levels scaled to 16 bits (x 257), its alpha times
    the opacity; gray pictures see its BT.601 luma; the picture's alpha
    becomes A + d_a * (1 - A) (over)."""
    out = samples.astype(np.float64).copy()
    h, w = min(out.shape[0], wm.shape[0]), min(out.shape[1], wm.shape[1])
    a = (wm[:h, :w, 3:4] / 255.0) * (math.floor(opacity_pct / 100.0 * 255 +
                                                0.5) / 255.0)
    v = wm[:h, :w, :3].astype(np.float64) * 257
    if ct in (0, 4):
        v = (v @ LUMA)[..., None]
    n = 1 if ct in (0, 4) else 3
    out[:h, :w, :n] = v * a + out[:h, :w, :n] * (1 - a)
    if ct in (4, 6):
        out[:h, :w, -1:] = 65535 * a + out[:h, :w, -1:] * (1 - a)
    return out


def deep_element():
    """Whether npywatermark (the plugin just built) blends RGBA64_LE: if
    not, the command blends at 8 bits and the 16-bit precision checks
    skip."""
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    factory = Gst.ElementFactory.find("npywatermark")
    if factory is None:
        return False
    for t in factory.get_static_pad_templates():
        if t.direction == Gst.PadDirection.SINK and \
                "RGBA64_LE" in t.get_caps().to_string():
            return True
    return False


def skip(desc, why):
    tap.n += 1
    print("ok %d - %s # SKIP %s" % (tap.n, desc, why))


NOT_DEEP = ("npywatermark does not take RGBA64_LE yet (the deep formats "
            "of branch formats): the blend is at 8 bits")


# ----------------------------------------------------------------- groups

def group_pngdec(tmp):
    """Stock pngdec on each 16-bit colour type, against the exact samples;
    the command must read with libpng exactly the ones pngdec gets wrong
    (its debug log says which it reads so)."""
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    rgba = picture16(9, 5, 1)
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    wrong = set()
    for ct in (0, 4, 2, 6):
        data = png16(as_type(rgba, ct), ct)
        with open(os.path.join(pics, "ct%d.png" % ct), "wb") as f:
            f.write(data)
        # pngdec's own output, no conversion: GRAY16_BE or ARGB64
        # (native endianness)
        p = Gst.parse_launch("appsrc name=src caps=image/png ! pngdec ! "
                             "appsink name=sink")
        src, sink = p.get_by_name("src"), p.get_by_name("sink")
        p.set_state(Gst.State.PLAYING)
        src.emit("push-buffer", Gst.Buffer.new_wrapped(data))
        src.emit("end-of-stream")
        sample = sink.emit("try-pull-sample", 10 * Gst.SECOND)
        got = None
        if sample:
            fmt = sample.get_caps().get_structure(0).get_value("format")
            ok, m = sample.get_buffer().map(Gst.MapFlags.READ)
            rows = np.frombuffer(bytes(m.data), np.uint8).reshape(5, -1)
            if fmt == "GRAY16_BE":
                got = rows[:, :18].copy().view(">u2").reshape(5, 9, 1)
                got = np.dstack([got] * 3 + [np.full((5, 9), 65535)])
            elif fmt == "ARGB64":
                got = rows[:, :72].copy().view("=u2").reshape(5, 9, 4)
                got = got[..., [1, 2, 3, 0]]
            print("# pngdec gives %s for %s" % (fmt, NAMES[ct]))
            sample.get_buffer().unmap(m)
        p.set_state(Gst.State.NULL)
        want = rgba.astype(np.int64).copy()
        if ct in (0, 4):
            want[..., 1] = want[..., 2] = want[..., 0]
        if ct in (0, 2):
            want[..., 3] = 65535
        bad = got is None or not np.array_equal(got, want)
        if bad:
            wrong.add(ct)
        print("# stock pngdec, 16-bit %s: %s" % (NAMES[ct], "WRONG" if bad
                                                 else "right"))
        if bad and got is not None:
            print("#   pixel (0,1) as RGBA: got %s, want %s"
                  % (got[0, 1].tolist(), want[0, 1].tolist()))
    tap.check(len(wrong) > 0, "stock pngdec gets some 16-bit colour type "
              "wrong (else the workaround can go)")

    np.save(os.path.join(tmp, "mark.npy"), watermark())
    env = dict(os.environ, GST_DEBUG="npy-watermark:5")
    r = run(tmp, "--input", "pictures", "--npy", "mark.npy", "--height", "5",
            "--jobs", "1", env=env)
    tap.eq(r.returncode, 0, "the four pictures done", r.stderr)
    ours = set()
    for line in r.stderr.splitlines():
        if "16-bit PNG of colour type" in line and "read with libpng" in line:
            ours.add(int(line.split("colour type ")[1].split(",")[0]))
    tap.eq(sorted(ours), sorted(wrong), "read with libpng exactly the colour "
           "types stock pngdec decodes wrong (%s)" %
           ", ".join(NAMES[c] for c in sorted(wrong)))


def group_pixels(tmp):
    deep = deep_element()
    print("# npywatermark takes RGBA64_LE: %s" % deep)
    wm = watermark()
    np.save(os.path.join(tmp, "mark.npy"), wm)
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    h, w = 50, 70
    rgba = picture16(w, h, 2)
    for ct in (0, 4, 2, 6):
        with open(os.path.join(pics, "%s.png" % NAMES[ct].replace("+", "-")),
                  "wb") as f:
            f.write(png16(as_type(rgba, ct), ct))
    # EXIF orientation 6 (turn 90 degrees clockwise): by png16.c for RGB,
    # by videoflip for gray.
    exif = chunk(b"eXIf", camera_exif(6).tobytes()[6:])  # no "Exif\0\0"
    for ct in (2, 0):
        with open(os.path.join(pics, "turned-%d.png" % ct), "wb") as f:
            f.write(png16(as_type(rgba, ct), ct, exif))
    with open(os.path.join(pics, "interlaced.png"), "wb") as f:
        f.write(png16(rgba, 6, interlace=True))

    write_config(tmp, npy_path="mark.npy", opacity=80, output_height=h)
    r = run(tmp)
    tap.eq(r.returncode, 0, "exit status 0", r.stderr)
    out = os.path.join(pics, "output")
    for ct in (0, 4, 2, 6):
        name = NAMES[ct]
        path = os.path.join(out, "%s.png" % name.replace("+", "-"))
        if not tap.check(os.path.exists(path), "%s: written" % name):
            continue
        depth, got_ct, got = read_png(path)
        tap.eq((depth, got_ct), (16, ct), "%s: a 16-bit PNG of the same "
               "colour type" % name)
        if got.shape[:2] != (h, w):
            tap.check(False, "%s: size kept" % name, got.shape)
            continue
        src = as_type(rgba, ct).astype(np.int64)
        want = reference16(src, ct, wm, 80)
        inside = np.abs(got[:30, :40] - want[:30, :40]).max()
        outside = max(np.abs(got[30:] - src[30:]).max(),
                      np.abs(got[:, 40:] - src[:, 40:]).max())
        # At 8 bits: the picture itself cut to 8 bits (a level) and the
        # 8-bit blend's rounding; a shifted channel (pngdec's fault) is
        # off by thousands.
        tap.check(inside <= 2 * 257, "%s: colours within two 8-bit levels "
                  "of the reference" % name, "max diff %d" % inside)
        tap.check(outside <= 257, "%s: the rest within an 8-bit level"
                  % name, "max diff %d" % outside)
        if deep:
            tap.check(inside <= 64, "%s: at 16 bits, within a quarter of an "
                      "8-bit level of the reference" % name,
                      "max diff %d" % inside)
            tap.eq(outside, 0, "%s: the rest exactly the input, every bit"
                   % name)
        else:
            skip("%s: at 16 bits, within a quarter level" % name, NOT_DEEP)
            skip("%s: the rest exactly the input" % name, NOT_DEEP)
    # Adam7: the same pixels as the RGBA picture written plainly
    depth, got_ct, got = read_png(os.path.join(out, "interlaced.png"))
    _, _, plain = read_png(os.path.join(out, "RGBA.png"))
    tap.check((depth, got_ct) == (16, 6) and np.array_equal(got, plain),
              "an interlaced 16-bit RGBA PNG: as the plain one")
    for ct in (2, 0):
        path = os.path.join(out, "turned-%d.png" % ct)
        depth, got_ct, got = read_png(path)
        turned = np.rot90(as_type(rgba, ct), -1).astype(np.int64)
        tap.eq((depth, got_ct, got.shape[:2]), (16, ct, (h, h * h // w)),
               "orientation 6, %s: 16 bits, turned, scaled to the height"
               % NAMES[ct])
        # against the input turned each way and scaled by PIL, away from
        # the watermark: clockwise must be by far the nearest
        errors = {}
        for k, desc in ((-1, "clockwise"), (1, "anticlockwise"),
                        (2, "half a turn")):
            t = np.rot90(as_type(rgba, ct)[..., 0], k).astype(np.float32)
            t = np.asarray(Image.fromarray(t, "F").resize(
                (got.shape[1], got.shape[0]), Image.BICUBIC))
            errors[desc] = np.abs(got[30:, :, 0] - t[30:]).mean()
        tap.check(errors["clockwise"] < 500 and errors["clockwise"] * 5 <
                  min(errors["anticlockwise"], errors["half a turn"]),
                  "orientation 6, %s: the picture turned clockwise"
                  % NAMES[ct], errors)

    # Every EXIF orientation, unscaled, against PIL's exif_transpose of
    # an index picture: by png16.c for RGBA, by videoflip for gray.
    turns = os.path.join(tmp, "turns")
    os.makedirs(turns)
    for o in range(1, 9):
        exif = chunk(b"eXIf", camera_exif(o).tobytes()[6:])
        for ct in (6, 0):
            with open(os.path.join(turns, "%d-%d.png" % (ct, o)), "wb") as f:
                f.write(png16(as_type(rgba, ct), ct, exif))
    for height in (h, w):
        r = run(tmp, "--input", "turns", "--npy", "mark.npy", "--height",
                str(height), "--output", "turned%d" % height)
        tap.eq(r.returncode, 0, "orientations at height %d done" % height,
               r.stderr)
    index = Image.fromarray(np.arange(h * w, dtype=np.int32).reshape(h, w),
                            "I")
    worst = {6: 0, 0: 0}
    for o in range(1, 9):
        e = index.getexif()
        e[0x0112] = o
        index.info["exif"] = e.tobytes()
        where = np.asarray(ImageOps.exif_transpose(index))
        for ct in (6, 0):
            want = as_type(rgba, ct).reshape(h * w, -1)[where].astype(np.int64)
            _, _, got = read_png(os.path.join(
                tmp, "turned%d" % (w if o >= 5 else h), "%d-%d.png" % (ct, o)))
            if got.shape != want.shape:
                worst[ct] = 65535
                continue
            worst[ct] = max(worst[ct], np.abs(got[30:] - want[30:]).max())
    for ct in (6, 0):
        tap.check(worst[ct] <= (0 if deep else 257), "orientations 1 to 8, "
                  "%s: turned as PIL's exif_transpose%s" % (
                      NAMES[ct], ", every bit" if deep else
                      " (within an 8-bit level: %s)" % NOT_DEEP),
                  "max diff %d" % worst[ct])


def group_keep(tmp):
    wm = watermark()
    np.save(os.path.join(tmp, "mark.npy"), wm)
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    rgba = picture16(60, 40, 3)
    text = chunk(b"tEXt", b"Author\0Jane Doe") + chunk(
        b"iTXt", b"Copyright\0\0\0\0\0(c) 2026 Jane Doe")
    exif = chunk(b"eXIf", camera_exif(1).tobytes()[6:])
    icc = chunk(b"iCCP", b"sRGB\0\0" + zlib.compress(srgb_profile()))
    for ct in (4, 2, 6):
        extra = (icc if ct != 4 else b"") + text + exif
        with open(os.path.join(pics, "meta-%d.png" % ct), "wb") as f:
            f.write(png16(as_type(rgba, ct), ct, extra))
    # 8-bit pictures: as before, 8 bits (PIL writes them)
    base8 = np.dstack([photo(60, 40, 4), np.full((40, 60), 255, np.uint8)])
    Image.fromarray(base8, "RGBA").save(os.path.join(pics, "eight.png"))
    Image.fromarray(base8[..., 0], "L").save(os.path.join(pics, "gray8.png"))
    # bad 16-bit files: cut in the IDAT (no IEND), and a damaged IDAT
    good = png16(as_type(rgba, 2), 2)
    with open(os.path.join(pics, "cut.png"), "wb") as f:
        f.write(good[:len(good) // 2])
    idat = good.index(b"IDAT")
    body = bytearray(good[idat + 4:-12 - 4])
    body[len(body) // 2:] = bytes(len(body) - len(body) // 2)
    damaged = (good[:idat - 4] + chunk(b"IDAT", bytes(body)) +
               chunk(b"IEND", b""))
    with open(os.path.join(pics, "damaged.png"), "wb") as f:
        f.write(damaged)

    write_config(tmp, npy_path="mark.npy", opacity=100, output_height=40)
    r = run(tmp)
    tap.eq(r.returncode, 1, "exit status 1 (two bad pictures)", r.stderr)
    out = os.path.join(pics, "output")
    for ct in (4, 2, 6):
        path = os.path.join(out, "meta-%d.png" % ct)
        if not tap.check(os.path.exists(path), "%s with metadata: written"
                         % NAMES[ct], r.stderr):
            continue
        found = png_chunks(path)
        want = (["iCCP"] if ct != 4 else []) + ["eXIf", "tEXt", "iTXt"]
        tap.check(all(c in found for c in want) and found[0] == "IHDR",
                  "%s: %s kept" % (NAMES[ct], ", ".join(want)), found)
        im = Image.open(path)
        tap.eq((im.info.get("Author"), im.info.get("Copyright")),
               ("Jane Doe", "(c) 2026 Jane Doe"), "%s: text as it was"
               % NAMES[ct])
        tap.eq(im.getexif().get(0x010f), "Canon", "%s: EXIF as it was"
               % NAMES[ct])
        tap.eq(read_png(path)[:2], (16, ct), "%s: still 16-bit, same type"
               % NAMES[ct])
    depth, ct, got = read_png(os.path.join(out, "eight.png"))
    tap.eq((depth, ct), (8, 6), "8-bit RGBA PNG: still 8-bit RGBA")
    tap.check(np.array_equal(got.astype(np.uint8),
                             reference_blend(base8, wm, 100)),
              "8-bit RGBA PNG: the 8-bit blend, exactly as before")
    tap.eq(read_png(os.path.join(out, "gray8.png"))[:2], (8, 0),
           "8-bit gray PNG: still 8-bit gray")
    for name, why in (("cut.png", "truncated PNG"),
                      ("damaged.png", "corrupt PNG")):
        line = [l for l in r.stderr.splitlines()
                if "pictures/" + name in l and "Error processing" in l]
        tap.check(line and why in line[0], "%s: '%s', naming the file"
                  % (name, why), r.stderr)
        tap.check(not os.path.exists(os.path.join(out, name)),
                  "%s: no output" % name)
    tap.eq(sorted(n for n in os.listdir(out)),
           sorted(["eight.png", "gray8.png", "meta-2.png", "meta-4.png",
                   "meta-6.png"]),
           "the others done, no temporary file left")

    # The original script: 16-bit gray kept at 16 bits (PIL's "I"), but
    # its watermark's 8-bit levels pasted unscaled (255 is black at 16
    # bits); RGBA reduced to 8 bits.
    if ORIGINAL is None:
        skip("the original script's colours", "original script not given")
        return
    spec = importlib.util.spec_from_file_location("original", ORIGINAL)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    theirs = os.path.join(tmp, "theirs")
    os.makedirs(theirs)
    mine = os.path.join(tmp, "mine")
    os.makedirs(os.path.join(mine, "pictures"))
    for ct in (0, 6):
        name = "s%d.png" % ct
        with open(os.path.join(mine, "pictures", name), "wb") as f:
            f.write(png16(as_type(rgba, ct), ct))
        script.process_single_image(os.path.join(mine, "pictures", name),
                                    os.path.join(theirs, name),
                                    {"output_height": 40}, wm, 30)
    shutil.copy(os.path.join(tmp, "mark.npy"), mine)
    write_config(mine, npy_path="mark.npy", opacity=100, output_height=40)
    r = run(mine)
    tap.eq(r.returncode, 0, "npy-watermark ran beside the script", r.stderr)
    out = os.path.join(mine, "pictures", "output")
    d_theirs, _, t = read_png(os.path.join(theirs, "s0.png"))
    d_ours, _, o = read_png(os.path.join(out, "s0.png"))
    tap.eq((d_ours, d_theirs), (16, 16), "16-bit gray: 16 bits, as the "
           "script wrote it")
    rest = max(np.abs(o[30:] - t[30:]).max(), np.abs(o[:, 40:] -
                                                     t[:, 40:]).max())
    tap.check(rest <= 257, "16-bit gray: outside the watermark, the "
              "script's pixels", "max diff %d" % rest)
    # inside: ours - theirs = alpha * (luma * 257 - luma)
    a = wm[:30, :40, 3] / 255.0
    luma = wm[:30, :40, :3] @ LUMA
    want = a * luma * 256
    got = (o[:30, :40, 0] - t[:30, :40, 0]).astype(np.float64)
    tap.check(np.abs(got - want).max() <= 2 * 257, "16-bit gray: inside, "
              "the script's blend with the watermark scaled to 16 bits",
              "max diff %.0f" % np.abs(got - want).max())
    _, _, t = read_png(os.path.join(theirs, "s6.png"))
    _, _, o = read_png(os.path.join(out, "s6.png"))
    # colours only: PIL's paste also blends the watermark's alpha into
    # the picture's, where ours keeps the picture's (as at 8 bits)
    diff = np.abs(np.rint(o[..., :3] / 257.0) - t[..., :3]).max()
    tap.check(diff <= 2, "16-bit RGBA: the script's 8-bit colours, within "
              "2", "max diff %d" % diff)


GROUPS = {"pngdec": group_pngdec, "pixels": group_pixels, "keep": group_keep}


if __name__ == "__main__":
    main(GROUPS, "png16")
