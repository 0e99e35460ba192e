#!/usr/bin/python3
# End-to-end tests of npy-watermark, the batch command: they make pictures
# with PIL, run the built binary on them and look at what a user would:
# outputs, pixels, the log, exit statuses, messages.  TAP on stdout.
#
#   test_batch.py NPY_WATERMARK GROUP [ORIGINAL_SCRIPT]
#
# Each group is a meson test of its own so that they run in parallel.

import hashlib
import json
import math
import io
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib

import numpy as np
from PIL import (Image, ImageCms, ImageOps, IptcImagePlugin, PngImagePlugin,
                 TiffImagePlugin)

EXE = os.path.abspath(sys.argv[1])
GROUP = sys.argv[2]
ORIGINAL = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else None

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - "
                      r"(main|worker-\d+) - \[(INFO|WARNING|ERROR|DEBUG)\] - (.*)$")


class Tap:
    def __init__(self):
        self.n = 0

    def check(self, cond, desc, diag=""):
        self.n += 1
        # one TAP line, whatever the names in it hold
        desc = desc.replace("\\", "\\\\").replace("\n", "\\n")
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, desc))
        if not cond and diag:
            for line in str(diag).splitlines():
                print("# " + line)
        sys.stdout.flush()
        if not cond:
            # meson's --print-errorlogs shows a TAP test's stderr, not the
            # diagnostics above: CI's log then says why
            sys.stderr.write("not ok %d - %s\n%s\n" % (self.n, desc, diag))
            sys.stderr.flush()
        return cond

    def eq(self, got, want, desc, diag=""):
        return self.check(got == want, desc, "got  %r\nwant %r\n%s"
                          % (got, want, diag))


tap = Tap()


# ---------------------------------------------------------------- helpers

def run(cwd, *args, timeout=90, env=None):
    return subprocess.run([EXE, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


def run_on_terminal(cwd, *args, stdout=True, timeout=90):
    """Runs the command with a terminal as its stdin and stderr, and its
    stdout too unless @stdout is False (then it goes nowhere); returns its
    exit status and what it drew on the terminal.  Killed if it still
    runs after @timeout seconds."""
    master, slave = pty.openpty()
    p = subprocess.Popen([EXE, *args], cwd=cwd, stdin=slave,
                         stdout=slave if stdout else subprocess.DEVNULL,
                         stderr=slave)
    os.close(slave)
    data = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        elif p.poll() is not None:
            break
    if p.poll() is None:
        p.kill()
    p.wait()
    os.close(master)
    return p.returncode, data.decode("utf-8", "replace")


def photo(w, h, seed=1):
    """Smooth colour content with some grain, like a photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([128 + 100 * np.sin(x / 17 + y / 29),
                    128 + 100 * np.cos(x / 23),
                    128 + 80 * np.sin(y / 13)], -1)
    img += rng.normal(0, 6, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def write_config(folder, **values):
    keys = dict(input_folder="pictures", npy_path="watermark", opacity=100,
                quality=30, output_height=60)
    keys.update(values)
    with open(os.path.join(folder, "config.yaml"), "w") as f:
        f.write("watermark:\n")
        for k, v in keys.items():
            if v is not None:
                f.write("  %s: %s\n" % (k, v))


def save_npy(path, rgba):
    np.save(path, np.ascontiguousarray(rgba, dtype=np.uint8))


def test_watermark():
    """96x48: opaque red, half green, quarter blue columns."""
    wm = np.zeros((48, 96, 4), np.uint8)
    wm[:, 0:32] = (255, 0, 0, 255)
    wm[:, 32:64] = (0, 255, 0, 128)
    wm[:, 64:96] = (0, 0, 255, 64)
    return wm


def rnd(num, den):
    """round(num / den), halves up, integers."""
    return (2 * num + den) // (2 * den)


def reference_blend(base, wm, opacity_pct):
    """The element's documented blend, written from the README, not the
    kernel: A = round(a * round(opacity * 255) / 255);
    out = round((v * A + d * (255 - A)) / 255)."""
    op = math.floor(opacity_pct / 100.0 * 255 + 0.5)
    out = base.astype(np.int64).copy()
    h = min(base.shape[0], wm.shape[0])
    w = min(base.shape[1], wm.shape[1])
    a = wm[:h, :w, 3].astype(np.int64)
    A = rnd(a * op, 255)[..., None]
    v = wm[:h, :w, :3].astype(np.int64)
    d = out[:h, :w, :3]
    out[:h, :w, :3] = rnd(v * A + d * (255 - A), 255)
    return out.astype(np.uint8)


def escaped(name):
    """A name as the log shows it (written from the README's rule, not
    the C code): control characters and backslashes escaped C-style."""
    out = []
    for ch in name:
        if ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ch == "\\":
            out.append("\\\\")
        elif ord(ch) < 0x20 or 0x7f <= ord(ch) < 0xa0:
            out.append("\\x%02x" % ord(ch))
        elif (ord(ch) in (0x061c, 0x200e, 0x200f, 0x2028, 0x2029)
              or 0x202a <= ord(ch) <= 0x202e or 0x2066 <= ord(ch) <= 0x2069):
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tree(folder):
    found = []
    for root, dirs, files in os.walk(folder):
        for name in files:
            found.append(os.path.relpath(os.path.join(root, name), folder))
    return sorted(found)


def log_lines(folder):
    path = os.path.join(folder, "watermark.log")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def psnr(a, b):
    mse = ((a.astype(float) - b.astype(float)) ** 2).mean()
    return 99.0 if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def like_script(tap, ours, theirs, name):
    """Checks our output @ours against the script's @theirs: the same size
    and a PSNR of 30 dB or more.  Returns both as RGB arrays, or None when
    the sizes differ."""
    a = Image.open(ours)
    b = Image.open(theirs)
    if not tap.eq(a.size, b.size, "%s: same size as the script's" % name):
        return None
    a = np.asarray(a.convert("RGB"))
    b = np.asarray(b.convert("RGB"))
    p = psnr(a, b)
    tap.check(p >= 30, "%s: PSNR against the script's output %.1f dB "
              "(>= 30)" % (name, p))
    return a, b


def make_folder_of_everything(folder):
    """The pictures of the issue's Tests section; returns {name: (w, h)}
    of the good ones and the list of bad ones."""
    pics = os.path.join(folder, "pictures")
    os.makedirs(os.path.join(pics, "sub"))
    good = {}

    def save(name, img, **kw):
        img.save(os.path.join(pics, name), **kw)
        good[name] = img.size

    save("colour.jpg", Image.fromarray(photo(301, 199)), quality=90)
    save("rgb.png", Image.fromarray(photo(64, 48, 2)))
    rgba = np.dstack([photo(120, 80, 3), np.full((80, 120), 200, np.uint8)])
    save("rgba.png", Image.fromarray(rgba, "RGBA"))
    save("gray.jpg", Image.fromarray(photo(99, 77, 4)).convert("L"))
    save("gray.png", Image.fromarray(photo(50, 40, 5)).convert("L"))
    save("palette.png", Image.fromarray(photo(70, 50, 6)).convert("P"))
    save("one pixel.jpg", Image.new("RGB", (1, 1), (10, 200, 30)))
    save("with space and 中文 水印.jpeg", Image.fromarray(photo(80, 60, 7)))
    save("UPPER.JPG", Image.fromarray(photo(81, 61, 8)))
    # 250 bytes, near the file system's limit: the temporary name must fit
    save("長" * 82 + ".jpg", Image.fromarray(photo(50, 40, 15)))
    save("Shout.PNG", Image.fromarray(photo(33, 17, 9)))
    save("sub/deep.jpg", Image.fromarray(photo(90, 45, 10)))
    # A name that would forge a log line, and one with a terminal escape.
    save("forged\n2026-01-01 00:00:00,000 - worker-1 - [ERROR] - Error "
         "processing x.jpg: boom.jpg", Image.fromarray(photo(30, 20)))
    save("bell\x07 and \x1b[31mred.jpg", Image.fromarray(photo(30, 20, 3)))
    # A second JPEG appended after the first, as in MPO files and phone
    # photos with a gain map: PIL (and the script) take the first only.
    first, second = io.BytesIO(), io.BytesIO()
    Image.fromarray(photo(120, 90, 12)).save(first, "JPEG", quality=90)
    Image.fromarray(photo(40, 30, 13)).save(second, "JPEG", quality=90)
    with open(os.path.join(pics, "two pictures.jpg"), "wb") as f:
        f.write(first.getvalue() + second.getvalue())
    good["two pictures.jpg"] = (120, 90)

    # Hidden, not a picture by name, and bad ones.
    Image.fromarray(photo(20, 20)).save(os.path.join(pics, ".hidden.jpg"))
    with open(os.path.join(pics, "notes.txt"), "w") as f:
        f.write("not a picture\n")
    Image.fromarray(photo(400, 300, 11)).save(os.path.join(pics, "t.jpg"),
                                              quality=90)
    with open(os.path.join(pics, "t.jpg"), "rb") as f:
        data = f.read()
    with open(os.path.join(pics, "truncated.jpg"), "wb") as f:
        f.write(data[:len(data) // 2])
    os.unlink(os.path.join(pics, "t.jpg"))
    with open(os.path.join(pics, "text.jpg"), "w") as f:
        f.write("this is text, not a JPEG\n")
    Image.new("CMYK", (30, 20), (10, 20, 30, 40)).save(
        os.path.join(pics, "cmyk.jpg"))
    open(os.path.join(pics, "empty.png"), "wb").close()
    # A PNG whose compressed data is damaged (libpng's CRC check fails).
    png = bytearray(open(os.path.join(pics, "rgb.png"), "rb").read())
    at = png.index(b"IDAT") + 20
    png[at:at + 16] = bytes(16)
    with open(os.path.join(pics, "corrupt.png"), "wb") as f:
        f.write(png)
    # A small file claiming a picture PIL would call a decompression bomb.
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body)))
    with open(os.path.join(pics, "bomb.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2,
                                           0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(bytes(1000))) +
                chunk(b"IEND", b""))
    # Whole, but its scan names Huffman tables it never defines: PIL
    # refuses it; jpegdec only warns and drops the frame unless told not to.
    b = io.BytesIO()
    Image.fromarray(photo(64, 48, 14)).save(b, "JPEG")
    jpeg = bytearray(b.getvalue())
    sos = jpeg.index(b"\xff\xda")
    for c in range(jpeg[sos + 4]):
        jpeg[sos + 6 + 2 * c] = 0x33
    with open(os.path.join(pics, "huffman.jpg"), "wb") as f:
        f.write(jpeg)
    # Complete (it ends with the end-of-image marker) but damaged inside:
    # a marker with a length running past the end.
    b = io.BytesIO()
    Image.fromarray(photo(200, 150, 16)).save(b, "JPEG", quality=90)
    jpeg = bytearray(b.getvalue())
    jpeg[len(jpeg) // 2:len(jpeg) // 2 + 4] = b"\xff\xc4\xff\xf0"
    with open(os.path.join(pics, "damaged.jpg"), "wb") as f:
        f.write(jpeg)
    bad = ["bomb.png", "cmyk.jpg", "corrupt.png", "damaged.jpg", "empty.png",
           "huffman.jpg", "text.jpg", "truncated.jpg"]
    return good, bad


# ----------------------------------------------------------------- groups

def group_pictures(tmp):
    shutil.copy(os.path.join(os.path.dirname(__file__), "..", "..",
                             "examples", "watermark.npy"), tmp)
    good, bad = make_folder_of_everything(tmp)
    write_config(tmp, output_height=60)
    pics = os.path.join(tmp, "pictures")
    before = {n: digest(os.path.join(pics, n)) for n in tree(pics)}

    r = run(tmp)
    tap.eq(r.returncode, 1, "exit status 1 when some pictures fail")

    out = os.path.join(pics, "output")
    top_good = sorted(n for n in good if "/" not in n)
    tap.eq(tree(out), top_good,
           "one output per good picture, same names, no temporary files, "
           "subfolder and hidden files left out")

    for name in top_good:
        w, h = good[name]
        im = Image.open(os.path.join(out, name))
        want_w = max(1, int(w * (60 / h)))
        tap.eq(im.size, (want_w, 60), "%s: %dx%d scaled as the script did"
               % (name, w, h))
        fmt = "PNG" if name.lower().endswith(".png") else "JPEG"
        tap.eq(im.format, fmt, "%s: written as %s by its extension"
               % (name, fmt))

    with open(os.path.join(out, "two pictures.jpg"), "rb") as f:
        data = f.read()
    tap.eq(data.count(b"\xff\xd8\xff"), 1,
           "a JPEG with a second picture appended gives one picture")
    tap.check(Image.open(os.path.join(out, "rgba.png")).mode == "RGBA",
              "an RGBA PNG keeps its alpha")
    tap.check(Image.open(os.path.join(out, "gray.jpg")).mode == "RGB",
              "a gray JPEG is written as colour JPEG, as the script did")

    after = {n: digest(os.path.join(pics, n)) for n in tree(pics)
             if not n.startswith("output/")}
    tap.eq(after, before, "inputs byte-identical afterwards")

    lines = log_lines(tmp)
    tap.check(all(LOG_LINE.match(l) for l in lines),
              "every log line is whole and in the script's format",
              "\n".join(l for l in lines if not LOG_LINE.match(l)))
    processed = sorted(m.group(3)[len("Processed: "):] for m in
                       map(LOG_LINE.match, lines) if m and
                       m.group(3).startswith("Processed: "))
    tap.eq(processed, sorted(escaped(n) for n in top_good),
           "one 'Processed:' log line per good picture")
    errors = [m.group(3) for m in map(LOG_LINE.match, lines)
              if m and m.group(2) == "ERROR"]
    for name in bad:
        hits = [e for e in errors if e.startswith(
            "Error processing pictures/%s: " % name)]
        tap.eq(len(hits), 1, "one 'Error processing' line for %s" % name)
    tap.eq(len(errors), len(bad), "no other error lines")
    tap.check(any("truncated" in e for e in errors if "truncated.jpg" in e),
              "a truncated JPEG is reported as truncated", "\n".join(errors))
    tap.check(any("CMYK" in e for e in errors if "cmyk.jpg" in e),
              "a CMYK JPEG is reported as such", "\n".join(errors))
    tap.check(any("not a JPEG, PNG" in e for e in errors if "text.jpg" in e),
              "a text file named .jpg is reported", "\n".join(errors))
    damaged = [e for e in errors if "damaged.jpg" in e]
    tap.check(damaged and "corrupt" in damaged[0] and
              "truncated" not in damaged[0], "a complete JPEG damaged inside "
              "is reported as corrupt, not truncated", "\n".join(damaged))
    with open(os.path.join(tmp, "watermark.log"), "rb") as f:
        raw = f.read()
    # (GStreamer's own debug lines on stderr are coloured: not ours)
    tap.check(all(b"\x07" not in t and b"\x1b[31mred" not in t for t in
                  (raw, r.stderr.encode(), r.stdout.encode())),
              "control characters of names are not written raw to the log, "
              "the console or the summary")
    tap.check(any("forged\\n2026-01-01" in l for l in lines) and
              not any(l.startswith("2026-01-01 00:00:00,000") for l in lines),
              "a newline in a name is escaped: no forged log line",
              "\n".join(lines))
    tap.check(any("bell\\x07 and \\x1b[31mred.jpg" in l for l in lines),
              "control characters are shown escaped (\\x07, \\x1b)",
              "\n".join(lines))

    console = [l for l in r.stderr.splitlines() if LOG_LINE.match(l)]
    tap.eq(len(console), len(lines), "the console shows the log lines too")
    tap.check("Processed: %d, failed: %d" % (len(top_good), len(bad))
              in r.stdout, "the summary counts them", r.stdout)
    tap.check("truncated.jpg" in r.stdout.split("Failed:", 1)[-1],
              "the summary lists failed pictures with reasons", r.stdout)

    # --recursive mirrors the subfolder, and the output folder, now inside
    # the input folder, is not walked; nor is a link to a folder (the
    # real folder is walked under its own name).
    os.symlink("sub", os.path.join(pics, "a link to sub"))
    r = run(tmp, "--recursive", "--quiet")
    tap.check(not os.path.exists(os.path.join(out, "a link to sub")),
              "--recursive does not follow a link to a folder")
    tap.eq(r.returncode, 1, "--recursive: exit 1 (the bad pictures again)")
    tap.check(os.path.exists(os.path.join(out, "sub", "deep.jpg")),
              "--recursive mirrors subfolders under the output folder")
    tap.check(not os.path.exists(os.path.join(out, "output")),
              "--recursive does not walk the output folder")
    tap.eq(r.stdout.strip().splitlines()[0].split(",")[0], "Processed: %d"
           % (len(good)), "--recursive: all good pictures, subfolder included")
    tap.check(not any(LOG_LINE.match(l) and "[INFO]" in l
                      for l in r.stderr.splitlines()),
              "--quiet keeps INFO lines off the console", r.stderr)


def group_pixels(tmp):
    wm = test_watermark()
    save_npy(os.path.join(tmp, "mark.npy"), wm)
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)

    # Lossless path, no scaling: the blend must be the documented formula.
    base = np.dstack([photo(150, 70, 1), np.full((70, 150), 255, np.uint8)])
    Image.fromarray(base, "RGBA").save(os.path.join(pics, "a.png"))
    gray = photo(130, 70, 2)[..., 1]
    Image.fromarray(gray, "L").save(os.path.join(pics, "g.png"))
    flat = np.zeros((70, 140, 3), np.uint8)
    flat[:] = (100, 150, 200)
    Image.fromarray(flat).save(os.path.join(pics, "flat.jpg"), quality=95)
    Image.fromarray(flat[:, :, 0]).save(os.path.join(pics, "flatgray.jpg"),
                                        quality=95)

    write_config(tmp, npy_path="mark.npy", opacity=80, output_height=70)
    r = run(tmp)
    tap.eq(r.returncode, 0, "exit status 0", r.stderr)
    out = os.path.join(pics, "output")

    got = np.asarray(Image.open(os.path.join(out, "a.png")))
    want = reference_blend(base, wm, 80)
    diff = np.abs(got.astype(int) - want.astype(int))
    tap.check(diff[..., :3].max() == 0,
              "RGBA PNG: watermark pixels equal the reference blend exactly",
              "max diff %d at %s" % (diff.max(), np.unravel_index(
                  diff[..., :3].argmax(), diff[..., :3].shape)))
    tap.check(np.array_equal(got[:, 96:], base[:, 96:]) and
              np.array_equal(got[48:], base[48:]),
              "RGBA PNG: pixels outside the watermark untouched")
    tap.check((got[..., 3] == 255).all(), "an opaque PNG stays opaque")

    # Gray: the watermark's colour seen as luma (BT.601), within 2.
    got = np.asarray(Image.open(os.path.join(out, "g.png"))).astype(int)
    wm_gray = wm.copy()
    luma = np.rint(wm[..., :3] @ np.array([0.299, 0.587, 0.114]))
    wm_gray[..., 0] = wm_gray[..., 1] = wm_gray[..., 2] = luma
    want = reference_blend(np.dstack([gray] * 3), wm_gray, 80)[..., 0]
    tap.check(np.abs(got - want).max() <= 2,
              "gray PNG: watermark blended in gray, within 2 of luma",
              "max diff %d" % np.abs(got - want).max())

    # JPEG (round trip at 30, then quality 100, 4:2:0): the inside of each
    # watermark column, within what JPEG coding allows.
    got = np.asarray(Image.open(os.path.join(out, "flat.jpg"))).astype(float)
    want = reference_blend(flat, wm, 80).astype(float)
    worst = 0
    for x0 in (0, 32, 64, 100):
        region = (slice(8, 40), slice(x0 + 8, x0 + 24))
        worst = max(worst, np.abs(got[region].mean((0, 1)) -
                                  want[region].mean((0, 1))).max())
    tap.check(worst <= 4, "colour JPEG: each watermark column's colour "
              "within 4 of the reference blend", "worst %.1f" % worst)
    # 140 is not a multiple of 16: jpegenc used to encode the last column
    # of blocks with whatever bytes followed each row (blotches that
    # changed from run to run).  A flat picture must stay flat there.
    edge = np.abs(got[:, 112:] - flat[:, 112:].astype(float)).max()
    tap.check(edge <= 3, "colour JPEG: right edge (partial MCU) stays "
              "flat", "max deviation %.0f" % edge)
    got = np.asarray(Image.open(os.path.join(out, "flatgray.jpg"))
                     .convert("L")).astype(float)
    want = reference_blend(np.dstack([flat[..., 0]] * 3), wm_gray, 80)[..., 0]
    worst = max(abs(got[8:40, x0 + 8:x0 + 24].mean() -
                    want[8:40, x0 + 8:x0 + 24].mean()) for x0 in (0, 32, 64))
    tap.check(worst <= 3, "gray JPEG: watermark within 3 of the reference",
              "worst %.1f" % worst)

    # opacity 0: nothing drawn, the script's opacity key now applies.
    r = run(tmp, "--opacity", "0", "--output", "zero")
    got = np.asarray(Image.open(os.path.join(tmp, "zero", "a.png")))
    tap.check(np.array_equal(got, base), "--opacity 0 leaves the picture as is")

    # Scaled outputs: the size the script computed; 1680x1050 -> 1727x1080.
    Image.new("RGB", (1680, 1050), (50, 60, 70)).save(
        os.path.join(pics, "wide.jpg"))
    r = run(tmp, "--height", "1080", "--output", "big")
    tap.eq(Image.open(os.path.join(tmp, "big", "wide.jpg")).size,
           (1727, 1080), "1680x1050 -> 1727x1080, as the script")


def group_orientation(tmp):
    """EXIF orientation applied as PIL's ImageOps.exif_transpose."""
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    save_npy(os.path.join(tmp, "mark.npy"), np.zeros((1, 1, 4), np.uint8))
    content = np.zeros((60, 90, 3), np.uint8)
    content[:, 45:] = 255              # right half white
    content[:20, :30] = (255, 0, 0)    # red top-left
    content[40:, 60:] = (0, 0, 255)    # blue bottom-right
    for o in range(1, 9):
        im = Image.fromarray(content)
        exif = Image.Exif()
        exif[0x0112] = o
        im.save(os.path.join(pics, "o%d.jpg" % o), quality=95,
                exif=exif.tobytes())
    write_config(tmp, npy_path="mark.npy", opacity=0, quality=95,
                 output_height=60)
    r = run(tmp)
    tap.eq(r.returncode, 0, "exit status 0", r.stderr)
    for o in range(1, 9):
        ref = ImageOps.exif_transpose(Image.open(
            os.path.join(pics, "o%d.jpg" % o)))
        w = int(ref.width * (60 / ref.height))
        ref = np.asarray(ref.convert("RGB").resize((w, 60))).astype(float)
        got = Image.open(os.path.join(pics, "output", "o%d.jpg" % o))
        if not tap.eq(got.size, (w, 60), "orientation %d: size" % o):
            continue
        err = np.abs(np.asarray(got).astype(float) - ref).mean()
        tap.check(err < 8, "orientation %d: same picture as exif_transpose"
                  % o, "mean abs diff %.1f" % err)
    # auto_orient: false restores the script's behaviour.
    write_config(tmp, npy_path="mark.npy", opacity=0, quality=95,
                 output_height=60, auto_orient="false")
    run(tmp, "--output", "raw")
    tap.eq(Image.open(os.path.join(tmp, "raw", "o6.jpg")).size, (90, 60),
           "auto_orient: false leaves a rotated photo as stored")
    # ... and so does --no-auto-orient, over the file's default
    write_config(tmp, npy_path="mark.npy", opacity=0, quality=95,
                 output_height=60)
    r = run(tmp, "--no-auto-orient", "--output", "raw2")
    tap.check(r.returncode == 0 and Image.open(os.path.join(
        tmp, "raw2", "o6.jpg")).size == (90, 60),
        "--no-auto-orient leaves a rotated photo as stored", r.stderr)


def group_config(tmp):
    npy = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                       "watermark.npy")
    shutil.copy(npy, tmp)
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    Image.fromarray(photo(40, 30)).save(os.path.join(pics, "a.jpg"))

    def cfg(text):
        with open(os.path.join(tmp, "config.yaml"), "w") as f:
            f.write(text)
        return run(tmp)

    base = ("watermark:\n  input_folder: pictures\n  npy_path: watermark\n"
            "  opacity: 80\n  quality: 30\n  output_height: 20\n")
    r = cfg(base)
    tap.eq(r.returncode, 0, "the script's config.yaml works", r.stderr)

    r = cfg(base.replace("  quality: 30\n", ""))
    tap.eq(r.returncode, 2, "missing key: exit 2")
    tap.check("config.yaml:1: missing key \"quality\"" in r.stderr,
              "missing key: named with the file and line", r.stderr)

    r = cfg(base.replace("quality: 30", "quality: high"))
    tap.eq(r.returncode, 2, "wrong type: exit 2")
    tap.check(re.search(r"npy-watermark: config.yaml:5: quality must be a "
                        r"whole number from 1 to 100, got \"high\"",
                        r.stderr), "wrong type: key, file and line", r.stderr)

    r = cfg(base.replace("quality: 30", "quality: 101"))
    tap.check(r.returncode == 2 and "config.yaml:5: quality" in r.stderr,
              "quality out of range: exit 2 with the line", r.stderr)
    r = cfg(base.replace("opacity: 80", "opacity: 150"))
    tap.check(r.returncode == 2 and "config.yaml:4: opacity" in r.stderr,
              "opacity out of range: exit 2 with the line", r.stderr)
    # Opacity is a percentage everywhere: a fraction is refused, with the
    # percentage it probably meant; 1 (one percent) is a percentage.
    os.unlink(os.path.join(tmp, "watermark.log"))
    r = cfg(base.replace("opacity: 80", "opacity: 0.8"))
    tap.check(r.returncode == 2 and "config.yaml:4: opacity must be a "
              "percentage from 0 to 100, got \"0.8\" (did you mean 80?)"
              in r.stderr, "opacity: 0.8 refused with the line and "
              "'did you mean 80?'", r.stderr)
    tap.check(not os.path.exists(os.path.join(tmp, "watermark.log")),
              "a run that cannot start leaves no empty watermark.log")
    r = cfg(base.replace("opacity: 80", "opacity: '0.25'"))
    tap.check(r.returncode == 2 and "did you mean 25?" in r.stderr,
              "opacity: '0.25' (quoted) refused too", r.stderr)
    r = cfg(base.replace("opacity: 80", "opacity: eighty"))
    tap.check(r.returncode == 2 and "config.yaml:4: opacity must be a "
              "percentage" in r.stderr, "opacity: not a number refused",
              r.stderr)
    r = cfg(base.replace("opacity: 80", "opacity: 1"))
    tap.eq(r.returncode, 0, "opacity: 1 (one percent) accepted", r.stderr)
    r = cfg(base.replace("opacity: 80", "opacity: 0"))
    tap.eq(r.returncode, 0, "opacity: 0 accepted", r.stderr)
    cfg(base)
    r = run(tmp, "--opacity", "0.5")
    tap.check(r.returncode == 2 and "--opacity must be a percentage from 0 "
              "to 100, got 0.5 (did you mean 50?)" in r.stderr,
              "--opacity 0.5 refused with 'did you mean 50?'", r.stderr)
    r = cfg(base + "  metadata: maybe\n")
    tap.check(r.returncode == 2 and "config.yaml:7: metadata must be keep "
              "or strip" in r.stderr, "metadata: maybe refused", r.stderr)

    # --jobs: validated and capped.
    cfg(base)
    r = run(tmp, "--jobs", "0")
    tap.check(r.returncode == 2 and "--jobs must be 1 or more" in r.stderr,
              "--jobs 0 refused (exit 2)", r.stderr)
    r = run(tmp, "--jobs", "100000")
    tap.check(r.returncode == 0 and re.search(r"warning: --jobs 100000 is "
              r"more than 4 per processor; using \d+", r.stderr),
              "--jobs 100000 capped, with a message", r.stderr)
    started = [l for l in log_lines(tmp) if "Watermarking" in l]
    tap.check(started and started[-1].endswith("1 worker"),
              "and no more workers than pictures are started", started)

    r = cfg(base.replace("output_height: 20", "output_height: 0"))
    tap.check(r.returncode == 2 and "config.yaml:6: output_height" in r.stderr,
              "height 0: exit 2 with the line", r.stderr)
    r = cfg(base.replace("output_height: 20", "output_height: 40000"))
    tap.check(r.returncode == 2 and "config.yaml:6: output_height" in r.stderr,
              "height 40000: exit 2 with the line", r.stderr)

    r = cfg(base + "  colour: blue\n")
    tap.eq(r.returncode, 0, "unknown key: still runs")
    tap.check("config.yaml:7: warning: unknown key \"colour\"" in r.stderr,
              "unknown key: a warning with its line", r.stderr)

    r = cfg(base.replace("  opacity: 80\n", "  opacity: [80\n"))
    tap.eq(r.returncode, 2, "YAML syntax error: exit 2")
    tap.check(re.search(r"npy-watermark: config.yaml:\d+:\d+: ", r.stderr),
              "YAML syntax error: libyaml's line and column", r.stderr)

    r = cfg(base.replace("npy_path: watermark", "npy_path: watermark.npy"))
    tap.eq(r.returncode, 0, "npy_path with the .npy suffix works too")
    r = cfg(base.replace("npy_path: watermark", "npy_path: nothere"))
    tap.check(r.returncode == 2 and "nothere.npy" in r.stderr,
              "missing watermark: exit 2 naming it", r.stderr)
    with open(os.path.join(tmp, "bad.npy"), "wb") as f:
        f.write(b"\x93NUMPY garbage")
    r = cfg(base.replace("npy_path: watermark", "npy_path: bad"))
    tap.check(r.returncode == 2 and r.stderr.startswith(
        "npy-watermark: bad.npy: "), "unreadable watermark: exit 2, "
        "'npy-watermark: <file>: <reason>'", r.stderr)
    r = cfg(base.replace("input_folder: pictures", "input_folder: nowhere"))
    tap.check(r.returncode == 2 and "nowhere" in r.stderr,
              "missing input folder: exit 2", r.stderr)

    os.makedirs(os.path.join(tmp, "empty"))
    r = cfg(base.replace("input_folder: pictures", "input_folder: empty"))
    tap.eq(r.returncode, 0, "no pictures: exit 0")
    tap.check("[WARNING] - No .jpg, .jpeg, .png, .webp, .tif, .tiff, .bmp "
              "or .gif pictures" in r.stderr,
              "no pictures: a warning", r.stderr)

    cfg(base)
    r = run(tmp, "--output", "pictures")
    tap.check(r.returncode == 2 and "input folder" in r.stderr,
              "output folder = input folder: refused, exit 2", r.stderr)

    # Relative paths resolve against the config file's folder.
    other = os.path.join(tmp, "elsewhere")
    os.makedirs(other)
    r = run(other, "--config", os.path.join("..", "config.yaml"), "--output",
            "out")
    tap.eq(r.returncode, 0, "--config from another folder: paths relative to "
           "the file", r.stderr)
    tap.check(os.path.exists(os.path.join(other, "out", "a.jpg")),
              "--output relative to the working directory")

    # No config file at all: the command line alone.
    bare = os.path.join(tmp, "bare")
    os.makedirs(bare)
    r = run(bare, "--input", "../pictures", "--npy", "../watermark",
            "--height", "25", "--output", "o")
    tap.eq(r.returncode, 0, "no config.yaml: options suffice", r.stderr)
    tap.eq(Image.open(os.path.join(bare, "o", "a.jpg")).size, (33, 25),
           "no config.yaml: the options' height")
    r = run(bare, "--input", "../pictures")
    tap.check(r.returncode == 2 and "npy_path" in r.stderr,
              "no config.yaml, no --npy: exit 2 saying what is missing",
              r.stderr)
    r = run(tmp, "--quality", "0")
    tap.check(r.returncode == 2 and "--quality" in r.stderr,
              "--quality 0: exit 2", r.stderr)
    r = run(tmp, "--opacity", "-5")
    tap.check(r.returncode == 2 and "--opacity" in r.stderr,
              "--opacity -5: exit 2", r.stderr)
    r = run(tmp, "--height", "-1")
    tap.check(r.returncode == 2 and "--height" in r.stderr,
              "--height -1: exit 2", r.stderr)
    r = run(tmp, "--shard", "3/2")
    tap.eq(r.returncode, 2, "--shard 3/2: exit 2")
    r = run(tmp, "--help")
    tap.check(r.returncode == 0 and "Exit status" in r.stdout,
              "--help documents the exit statuses")
    r = run(tmp, "--version")
    tap.check(r.returncode == 0 and r.stdout.startswith("npy-watermark "),
              "--version")


def group_runs(tmp):
    """--skip-existing, --shard, --jobs, progress, interruption."""
    shutil.copy(os.path.join(os.path.dirname(__file__), "..", "..",
                             "examples", "watermark.npy"), tmp)
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    names = []
    for i in range(11):
        name = "p%02d.%s" % (i, "png" if i % 4 == 3 else "jpg")
        Image.fromarray(photo(160 + i, 120, i)).save(os.path.join(pics, name))
        names.append(name)
    write_config(tmp, output_height=90)
    out = os.path.join(pics, "output")

    # Shards: every picture exactly once.
    seen = []
    for k in (1, 2, 3):
        r = run(tmp, "--shard", "%d/3" % k, "--quiet")
        tap.eq(r.returncode, 0, "--shard %d/3: exit 0" % k, r.stderr[-3000:])
    for line in log_lines(tmp):
        m = LOG_LINE.match(line)
        if m and m.group(3).startswith("Processed: "):
            seen.append(m.group(3)[len("Processed: "):])
    tap.eq(sorted(seen), sorted(names), "--shard K/3: every picture "
           "processed exactly once over the three shards")
    tap.eq(tree(out), sorted(names), "--shard: all outputs there")

    # --recursive into an output folder that holds the input folder could
    # overwrite inputs (in/in/x.jpg -> ./in/x.jpg): refused, nothing done.
    nested = os.path.join(tmp, "nested")
    os.makedirs(os.path.join(nested, "in", "in"))
    for sub in ("in", os.path.join("in", "in")):
        Image.fromarray(photo(40, 30, 20)).save(
            os.path.join(nested, sub, "x.jpg"))
    before = digest(os.path.join(nested, "in", "x.jpg"))
    r = run(nested, "--input", "in", "--output", ".", "--recursive",
            "--npy", os.path.join(tmp, "watermark.npy"), "--height", "20")
    tap.eq(r.returncode, 2, "--recursive with the output folder holding "
           "the input folder: refused (exit 2)", r.stderr)
    tap.eq(digest(os.path.join(nested, "in", "x.jpg")), before,
           "and the inputs are untouched")

    # Messages keep non-ASCII names under a UTF-8 locale.
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    r = run(tmp, "--input", "照片", "--npy", "watermark.npy", "--height",
            "20", env=env)
    tap.check("照片" in r.stderr, "a Chinese folder name prints as itself",
              r.stderr)

    # Same outputs with 1 and 2 workers.
    run(tmp, "--jobs", "1", "--output", "j1", "--quiet")
    run(tmp, "--jobs", "2", "--output", "j2", "--quiet")
    same = all(digest(os.path.join(tmp, "j1", n)) ==
               digest(os.path.join(tmp, "j2", n)) for n in names)
    tap.check(same, "--jobs 1 and --jobs 2 write identical files")

    # The largest files are taken first (a large one left for last keeps
    # one worker busy while the others idle); ties in name order.
    r = run(tmp, "--jobs", "1", "--output", "order", "--quiet",
            "--report", "order.jsonl")
    with open(os.path.join(tmp, "order.jsonl"), encoding="utf-8") as f:
        taken = [os.path.basename(json.loads(l)["input"])
                 for l in f if '"summary"' not in l]
    by_size = sorted(names, key=lambda n: (
        -os.path.getsize(os.path.join(pics, n)), n))
    tap.eq(taken, by_size, "--jobs 1: pictures taken largest file first",
           r.stderr[-2000:])

    # --skip-existing: only the missing one is made, the others untouched.
    os.unlink(os.path.join(out, "p04.jpg"))
    with open(os.path.join(out, "p05.jpg"), "wb") as f:
        f.write(b"sentinel")
    os.unlink(os.path.join(tmp, "watermark.log"))
    r = run(tmp, "--skip-existing")
    tap.eq(r.returncode, 0, "--skip-existing: exit 0")
    lines = [LOG_LINE.match(l).group(3) for l in log_lines(tmp)
             if LOG_LINE.match(l)]
    tap.eq([l for l in lines if l.startswith("Processed")],
           ["Processed: p04.jpg"], "--skip-existing: only the missing one")
    tap.eq(len([l for l in lines if l.startswith("Skipped")]), 10,
           "--skip-existing: one 'Skipped' line for each of the others")
    with open(os.path.join(out, "p05.jpg"), "rb") as f:
        tap.eq(f.read(), b"sentinel", "--skip-existing: existing outputs "
               "left alone")
    tap.check("skipped: 10" in r.stdout, "the summary counts skipped ones",
              r.stdout)
    tap.check(lines[-1].startswith("Summary: processed: 1, failed: 0, "
                                   "skipped: 10, in "),
              "the end-of-run summary is in watermark.log", lines[-1])

    # Off a terminal: no progress bar.  On one: a bar with rate and ETA.
    tap.check("ETA" not in r.stderr and "\r" not in r.stderr,
              "no progress bar off a terminal")
    _, text = run_on_terminal(tmp, "--output", "tty", stdout=False,
                              timeout=60)
    tap.check("images/s" in text and "ETA" in text and "/11" in text,
              "on a terminal: a progress bar with done/total, rate, ETA",
              text[-500:])

    # Interrupted: no half-written picture, no temporary file.
    big = os.path.join(tmp, "big")
    os.makedirs(big)
    for i in range(60):
        Image.fromarray(photo(800, 600, i)).save(
            os.path.join(big, "b%02d.jpg" % i), quality=92)
    p = subprocess.Popen([EXE, "--input", "big", "--height", "1200",
                          "--quiet", "--jobs", "2"], cwd=tmp,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline and not any(
            not n.startswith(".") for n in tree(os.path.join(big, "output"))
            if os.path.isdir(os.path.join(big, "output"))):
        time.sleep(0.01)
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=60)
    tap.eq(p.returncode, 130, "SIGINT: exit status 130")
    last = [LOG_LINE.match(l).group(3) for l in log_lines(tmp)[-2:]]
    tap.check(len(last) == 2 and last[0].startswith("Interrupted: ") and
              last[1].startswith("Summary: processed: ") and
              last[1].endswith(", interrupted"),
              "SIGINT: watermark.log records the interruption and the "
              "summary", last)
    outs = tree(os.path.join(big, "output"))
    tap.check(all(not n.startswith(".") for n in outs),
              "SIGINT: no temporary file left", outs)
    ok = True
    for n in outs:
        try:
            Image.open(os.path.join(big, "output", n)).load()
        except Exception as e:   # a half-written JPEG fails to load
            ok = False
    tap.check(ok and len(outs) < 60, "SIGINT: stops early, every output "
              "complete (%d of 60)" % len(outs))


def group_script(tmp):
    """Same pictures as the original script, within what two different
    bicubic resamplers and JPEG round trips allow."""
    if ORIGINAL is None:
        print("1..0 # SKIP original script not given")
        sys.exit(0)
    ours = os.path.join(tmp, "ours")
    theirs = os.path.join(tmp, "theirs")
    for d in (ours, theirs):
        pics = os.path.join(d, "pictures")
        os.makedirs(pics)
        Image.fromarray(photo(640, 480, 1)).save(
            os.path.join(pics, "colour.jpg"), quality=92)
        Image.fromarray(photo(500, 400, 2)).save(os.path.join(pics, "rgb.png"))
        rgba = np.dstack([photo(300, 240, 3), np.full((240, 300), 255,
                                                       np.uint8)])
        Image.fromarray(rgba, "RGBA").save(os.path.join(pics, "rgba.png"))
        Image.fromarray(photo(480, 640, 4)).convert("L").save(
            os.path.join(pics, "gray.jpg"), quality=92)
        shutil.copy(os.path.join(os.path.dirname(__file__), "..", "..",
                                 "examples", "watermark.npy"), d)
        # The script never applied opacity: 100 makes the runs comparable.
        write_config(d, opacity=100, quality=30, output_height=240)
    # The original script itself sometimes hangs: its Pool forks while its
    # QueueListener thread may hold a logging lock (the cross-process
    # logging trouble npy-watermark exists to end).  Give it a few tries
    # rather than fail our suite on its bug.
    for attempt in range(1, 4):
        shutil.rmtree(os.path.join(theirs, "pictures", "output"),
                      ignore_errors=True)
        if os.path.exists(os.path.join(theirs, "watermark.log")):
            os.unlink(os.path.join(theirs, "watermark.log"))
        try:
            r = subprocess.run([sys.executable, ORIGINAL], cwd=theirs,
                               capture_output=True, text=True, timeout=40)
            break
        except subprocess.TimeoutExpired:
            print("# the original script hung (attempt %d), running it again"
                  % attempt)
    else:
        r = subprocess.CompletedProcess(ORIGINAL, -1, "", "hung 3 times")
    tap.eq(r.returncode, 0, "the original script ran", r.stderr[-2000:])
    r = run(ours)
    tap.eq(r.returncode, 0, "npy-watermark ran", r.stderr)
    for name in ("colour.jpg", "rgb.png", "rgba.png", "gray.jpg"):
        both = like_script(
            tap, os.path.join(ours, "pictures", "output", name),
            os.path.join(theirs, "pictures", "output", name), name)
        if both is None:
            continue
        a, b = both
        pw = psnr(a[:100, :400], b[:100, :400])
        tap.check(pw >= 30, "%s: watermark corner PSNR %.1f dB (>= 30)"
                  % (name, pw))
    # Same log format as the script's.
    with open(os.path.join(theirs, "watermark.log"), encoding="utf-8") as f:
        theirs_log = f.read().splitlines()
    ours_log = log_lines(ours)
    strip = re.compile(r"^[\d :,-]+ - \S+ - ")
    ours_processed = sorted(strip.sub("", l) for l in ours_log
                            if "Processed" in l)
    theirs_processed = sorted(set(strip.sub("", l) for l in theirs_log
                                  if "Processed" in l))
    # Ours: exactly one line per picture.  The script's own log may lose
    # lines (its cross-process logging is what this project replaces),
    # so every line it did write must be one of ours, in the same form.
    tap.eq(ours_processed,
           sorted("[INFO] - Processed: %s" % n for n in
                  ("colour.jpg", "gray.jpg", "rgb.png", "rgba.png")),
           "one 'Processed:' line per picture in our log")
    tap.check(theirs_processed and set(theirs_processed) <= set(ours_processed),
              "the script's 'Processed:' lines read exactly as ours",
              "theirs: %r" % theirs_processed)


def script_output(src, dst, height, npy):
    """What the original script's own process_single_image () makes of
    @src (no Pool: the function itself, imported from the script)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("original", ORIGINAL)
    original = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(original)
    original.process_single_image(src, dst, {"output_height": height},
                                  np.load(npy), quality=30)


def smooth_photo(w, h, seed=1):
    """photo () at a quarter of the size, enlarged: detail a camera's
    lens would leave, not grain that aliases whichever way it is
    scaled."""
    return Image.fromarray(photo(max(1, w // 4), max(1, h // 4), seed)).resize(
        (w, h), Image.BICUBIC)


# Runs a command in a fresh Python and prints its exit status and the
# peak RSS (KiB) of the processes it waited for: none of the test's own.
MEASURE_RSS = r"""
import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], cwd=sys.argv[1], capture_output=True)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def group_scaled(tmp):
    """JPEGs at least twice as large as their output are decoded at 1/2,
    1/4 or 1/8 of their size (src/jpegscaled.c): the smallest that still
    leaves at least the output's rows, the same output size and, within the agreed PSNR, the
    same pixels as the script; layouts it does not take, and damaged
    data, go to jpegdec as before."""
    if ORIGINAL is None:
        print("1..0 # SKIP original script not given")
        sys.exit(0)
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    npy = os.path.join(tmp, "watermark.npy")
    shutil.copy(os.path.join(os.path.dirname(__file__), "..", "..",
                             "examples", "watermark.npy"), npy)

    # Memory follows the decoded picture: a 48-Mpixel JPEG made 240 lines
    # high is decoded at 1/8 (1000x750), not whole (72 MB in I420).  Its
    # peak RSS is compared with a 1000x750 JPEG's, so that what the run
    # holds anyway (and ASan's own, under run-sanitizers) cancels out.
    # The first run builds the registry (gst-plugin-scanner): not measured.
    peaks = {}
    for name, (w, h) in (("small", (1000, 750)), ("huge", (8000, 6000))):
        folder = os.path.join(tmp, name)
        os.makedirs(os.path.join(folder, "pictures"))
        smooth_photo(w, h, 5).save(
            os.path.join(folder, "pictures", name + ".jpg"), quality=85)
        shutil.copy(npy, folder)
        write_config(folder, output_height=240)
        run(folder, "--jobs", "1", "--output", "warm-up")
        out = subprocess.run([sys.executable, "-c", MEASURE_RSS, folder, EXE,
                              "--jobs", "1"], capture_output=True, text=True,
                             timeout=90).stdout.split()
        tap.eq(out[0], "0", "a %dx%d JPEG: exit status 0" % (w, h))
        tap.eq(Image.open(os.path.join(folder, "pictures", "output",
                                       name + ".jpg")).size, (320, 240),
               "a %dx%d JPEG: scaled as the script did" % (w, h))
        peaks[name] = int(out[1]) / 1024.0
    # 6 MiB more here, 25 under ASan (its quarantine keeps what is freed)
    tap.check(peaks["huge"] - peaks["small"] < 48, "a 48-Mpixel JPEG made "
              "240 lines high: peak RSS %.0f MiB, %.0f more than a 1000x750 "
              "one's (< 48: the whole picture in I420 is 69)"
              % (peaks["huge"], peaks["huge"] - peaks["small"]))

    # name: (stored size, the N expected or None (jpegdec), save options)
    cases = {
        "exact.jpg": ((640, 480), 4, {}),          # 480 * 4/8 = 240
        "big.jpg": ((2000, 1500), 2, {}),          # 375 rows
        "odd.jpg": ((1001, 723), 4, {}),           # 362 rows, odd sides
        "gray.jpg": ((1200, 900), 4, {}),          # 450 rows, GRAY8
        "progressive.jpg": ((1600, 1200), 2, {"progressive": True}),
        "444.jpg": ((1600, 1200), None, {"subsampling": 0}),
        "small.jpg": ((300, 250), None, {}),       # 4/8: 125 rows
        "middle.jpg": ((600, 450), None, {}),      # 4/8: 225 rows
    }
    for name, ((w, h), _, options) in cases.items():
        im = smooth_photo(w, h, len(name))
        if name.startswith("gray"):
            im = im.convert("L")
        im.save(os.path.join(pics, name), quality=90, **options)
    # Turned: 2000x960 as stored, 960x2000 upright; its rows are the
    # stored width (2000 * 1/8 = 250), not the stored height.
    exif = Image.Exif()
    exif[0x0112] = 6
    smooth_photo(2000, 960, 7).save(
        os.path.join(pics, "turned.jpg"), quality=90, exif=exif.tobytes())
    write_config(tmp, output_height=240)
    env = dict(os.environ, GST_DEBUG="npy-watermark:5")
    r = run(tmp, "--jobs", "1", env=env)
    tap.eq(r.returncode, 0, "exit status 0", r.stderr[-3000:])
    log = "\n".join(log_lines(tmp))

    for name, ((w, h), eighths, _) in cases.items():
        src = os.path.join(pics, name)
        said = re.search(r"/%s: decoded at (\d)/8, (\d+)x(\d+)"
                         % re.escape(name), log)
        if eighths is None:
            tap.check(said is None, "%s: decoded whole, by jpegdec" % name,
                      said and said.group(0))
        elif tap.check(said is not None, "%s: decoded at reduced size"
                       % name):
            tap.eq(tuple(int(x) for x in said.groups()),
                   (eighths, -(-w * eighths // 8), -(-h * eighths // 8)),
                   "%s: at %d/8, the smallest of 1/8, 2/8, 4/8 with 240 "
                   "rows or more"
                   % (name, eighths))
        ours = os.path.join(pics, "output", name)
        theirs = os.path.join(tmp, "script-" + name)
        script_output(src, theirs, 240, npy)
        like_script(tap, ours, theirs, name)

    src = os.path.join(pics, "turned.jpg")
    said = re.search(r"/turned.jpg: decoded at (\d)/8, (\d+)x(\d+)",
                     log)
    tap.eq(said and tuple(int(x) for x in said.groups()), (1, 250, 120),
           "turned: N from the upright rows (the stored width)")
    ref = ImageOps.exif_transpose(Image.open(src)).convert("RGB")
    ref = np.asarray(ref.resize((115, 240), Image.BICUBIC))
    got = Image.open(os.path.join(pics, "output", "turned.jpg"))
    if tap.eq(got.size, (115, 240), "turned: upright, 115x240"):
        # the watermark (opacity 100) covers its top 100 rows
        p = psnr(np.asarray(got.convert("RGB"))[100:], ref[100:])
        tap.check(p >= 30, "turned: PSNR against PIL's exif_transpose and "
                  "resize %.1f dB (>= 30)" % p)

    # Damaged scan data: libjpeg only warns, and the picture goes to
    # jpegdec, which decides as it did for every size: the same verdict
    # at 240 lines (reduced) as at the picture's own 1500 (whole).
    with open(os.path.join(pics, "big.jpg"), "rb") as f:
        data = bytearray(f.read())
    sos = data.index(b"\xff\xda")
    data[sos + 2000:sos + 2400] = b"\xff\xd9" * 200
    for d in ("damaged-240", "damaged-1500"):
        os.makedirs(os.path.join(tmp, d, "pictures"))
        with open(os.path.join(tmp, d, "pictures", "big.jpg"), "wb") as f:
            f.write(data)
        shutil.copy(npy, os.path.join(tmp, d))
    verdicts = []
    for d, height in (("damaged-240", 240), ("damaged-1500", 1500)):
        write_config(os.path.join(tmp, d), output_height=height)
        r = run(os.path.join(tmp, d), env=env)
        text = "\n".join(log_lines(os.path.join(tmp, d)))
        tap.check("big.jpg: decoded at" not in text, "damaged, %d lines: "
                  "not decoded at reduced size" % height)
        verdicts.append((r.returncode, os.path.exists(os.path.join(
            tmp, d, "pictures", "output", "big.jpg"))))
    tap.eq(verdicts[0], verdicts[1], "damaged: the same verdict whether "
           "the output is smaller or not (exit status, output)")


# ------------------------------------------------------ photographers

def srgb_profile(pad=0):
    """An sRGB ICC profile written by littlecms (through PIL), @pad zero
    bytes longer, its header's size field to match (the tag table is
    unchanged, so it stays valid): large ones take several APP2
    segments."""
    icc = bytearray(ImageCms.ImageCmsProfile(
        ImageCms.createProfile("sRGB")).tobytes())
    icc += bytes(pad)
    icc[0:4] = struct.pack(">I", len(icc))
    return bytes(icc)


def camera_exif(orientation):
    """What a camera writes, by PIL's EXIF writer: IFD0, the Exif IFD with
    a maker note (a tag GStreamer's tag list does not know) and the pixel
    dimensions, and a GPS IFD."""
    e = Image.Exif()
    e[0x010f] = "Canon"
    e[0x0110] = "Canon EOS R5"
    e[0x013b] = "Jane Doe"
    e[0x8298] = "(c) 2026 Jane Doe, all rights reserved"
    e[0x0132] = "2026:03:04 05:06:07"
    e[0x0131] = "Firmware 1.8.1"
    e[0x0112] = orientation
    e[0x8769] = {0x9003: "2026:03:04 05:06:07", 0x9004: "2026:03:04 05:06:07",
                 0x829a: TiffImagePlugin.IFDRational(1, 250),
                 0x8827: 400, 0xa002: 360, 0xa003: 240,
                 0xa434: "RF24-105mm F4 L IS USM",
                 0x927c: b"CANON-MAKERNOTE\x00\x01\x02\x03\xff"}
    e[0x8825] = {1: "N", 2: (TiffImagePlugin.IFDRational(48),
                             TiffImagePlugin.IFDRational(51),
                             TiffImagePlugin.IFDRational(2953, 100)),
                 3: "E", 4: (TiffImagePlugin.IFDRational(2),
                             TiffImagePlugin.IFDRational(17),
                             TiffImagePlugin.IFDRational(4020, 100))}
    return e


def exif_with_thumbnail(thumb):
    """EXIF bytes by hand, little-endian: IFD0 with Make, then IFD1 with a
    JPEG thumbnail (tags 0x0201/0x0202)."""
    make = b"Nikon\x00"
    ifd0 = 8
    ifd1 = ifd0 + 2 + 12 + 4
    make_at = ifd1 + 2 + 2 * 12 + 4
    thumb_at = make_at + len(make)
    out = b"Exif\x00\x00II*\x00" + struct.pack("<I", ifd0)
    out += struct.pack("<H", 1) + struct.pack("<HHII", 0x010f, 2, len(make),
                                              make_at) + struct.pack("<I", ifd1)
    out += struct.pack("<H", 2)
    out += struct.pack("<HHII", 0x0201, 4, 1, thumb_at)
    out += struct.pack("<HHII", 0x0202, 4, 1, len(thumb))
    out += struct.pack("<I", 0)
    return out + make + thumb


def png_chunks(path):
    with open(path, "rb") as f:
        data = f.read()
    at, found = 8, []
    while at + 8 <= len(data):
        n = struct.unpack(">I", data[at:at + 4])[0]
        found.append(data[at + 4:at + 8].decode("latin-1"))
        at += 12 + n
    return found


def exif_dict(im):
    """Every tag of IFD0, the Exif IFD and the GPS IFD, as PIL reads them."""
    e = im.getexif()
    tags = {("0", k): v for k, v in e.items() if k not in (0x8769, 0x8825)}
    tags.update({("exif", k): v for k, v in e.get_ifd(0x8769).items()})
    tags.update({("gps", k): v for k, v in e.get_ifd(0x8825).items()})
    return tags


XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://'
       b'www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:tiff='
       b'"http://ns.adobe.com/tiff/1.0/" xmlns:dc="http://purl.org/dc/'
       b'elements/1.1/" tiff:Orientation="6"><dc:rights>(c) 2026 Jane Doe'
       b'</dc:rights></rdf:Description></rdf:RDF></x:xmpmeta>')


def with_xmp_and_iptc(jpeg):
    """@jpeg with an XMP APP1 and an IPTC APP13 (copyright, dataset
    2:116) after SOI, segments written by hand."""
    def segment(marker, payload):
        return bytes([0xff, marker]) + struct.pack(">H", len(payload) + 2) + \
            payload
    dataset = b"\x1c\x02\x74" + struct.pack(">H", 17) + b"(c) 2026 Jane Doe"
    resource = (b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" +
                struct.pack(">I", len(dataset)) + dataset + b"\x00")
    return (jpeg[:2] + segment(0xe1, b"http://ns.adobe.com/xap/1.0/\x00" +
                               XMP) +
            segment(0xed, b"Photoshop 3.0\x00" + resource) + jpeg[2:])


def group_metadata(tmp):
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    save_npy(os.path.join(tmp, "mark.npy"), test_watermark())
    small_icc = srgb_profile()
    big_icc = srgb_profile(200000)      # four APP2 segments
    photo_img = Image.fromarray(photo(360, 240, 1))

    # A camera JPEG: EXIF rotated 90 degrees (6), a profile of 4 segments.
    photo_img.save(os.path.join(pics, "camera.jpg"), quality=92,
                   exif=camera_exif(6).tobytes(), icc_profile=big_icc)
    b = io.BytesIO()
    photo_img.save(b, "JPEG", quality=92, exif=camera_exif(6).tobytes())
    with open(os.path.join(pics, "xmp.jpg"), "wb") as f:
        f.write(with_xmp_and_iptc(b.getvalue()))
    photo_img.save(os.path.join(pics, "upright.jpg"), quality=92,
                   exif=camera_exif(1).tobytes(), icc_profile=small_icc)
    # A PNG with a profile, EXIF, and every kind of text chunk.
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Doe")
    info.add_text("Copyright", "(c) 2026 Jane Doe", zip=True)
    info.add_itxt("Description", "Café, 水印", lang="fr", tkey="Beschreibung")
    photo_img.save(os.path.join(pics, "scan.png"), pnginfo=info,
                   icc_profile=small_icc, exif=camera_exif(1).tobytes())
    # A PNG turned by EXIF, with XMP saying the same (iTXt).
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    photo_img.save(os.path.join(pics, "xmp.png"), pnginfo=info,
                   exif=camera_exif(6).tobytes())
    # WebP with EXIF and a profile.
    photo_img.save(os.path.join(pics, "web.webp"), quality=90,
                   exif=camera_exif(1).tobytes(), icc_profile=small_icc)
    # A thumbnail, which would show the photo without its watermark.
    thumb = io.BytesIO()
    Image.fromarray(photo(32, 24, 5)).save(thumb, "JPEG", quality=50)
    photo_img.save(os.path.join(pics, "thumb.jpg"), quality=92,
                   exif=exif_with_thumbnail(thumb.getvalue()))
    # Broken metadata must not break the picture: an IFD offset past the
    # end, and a profile whose size field lies.
    bad_exif = bytearray(camera_exif(1).tobytes())
    bad_exif[4:8] = struct.pack("<I" if bad_exif[:2] == b"II" else ">I",
                                0x7ffffff0)
    bad_icc = bytearray(small_icc)
    bad_icc[0:4] = struct.pack(">I", 10 ** 6)
    photo_img.save(os.path.join(pics, "broken.jpg"), quality=92,
                   exif=bytes(bad_exif), icc_profile=bytes(bad_icc))

    write_config(tmp, npy_path="mark.npy", output_height=120)
    r = run(tmp)
    tap.eq(r.returncode, 0, "exit status 0", r.stderr)
    out = os.path.join(pics, "output")

    src = Image.open(os.path.join(pics, "camera.jpg"))
    got = Image.open(os.path.join(out, "camera.jpg"))
    tap.eq(got.size, (80, 120), "camera.jpg: turned upright (240x360 -> "
           "80x120)")
    want = exif_dict(src)
    want[("0", 0x0112)] = 1
    want[("exif", 0xa002)] = 80
    want[("exif", 0xa003)] = 120
    have = exif_dict(got)
    tap.eq(sorted(have), sorted(want), "camera.jpg: every EXIF tag is in "
           "the output (IFD0, Exif IFD with the maker note, GPS)")
    tap.eq(have, want, "camera.jpg: with its values; Orientation 1 and the "
           "pixel dimensions of the output")
    tap.eq(got.info.get("icc_profile"), big_icc,
           "camera.jpg: the 200 kB ICC profile (4 APP2 segments) kept byte "
           "for byte")
    got = Image.open(os.path.join(out, "xmp.jpg"))
    xmp = [d for m, d in got.applist if m == "APP1" and
           d.startswith(b"http://ns.adobe.com/xap/1.0/\x00")]
    tap.eq(xmp, [b"http://ns.adobe.com/xap/1.0/\x00" +
                 XMP.replace(b'Orientation="6"', b'Orientation="1"')],
           "xmp.jpg: XMP kept, its orientation reset as EXIF's")
    tap.eq(IptcImagePlugin.getiptcinfo(got), {(2, 116): b"(c) 2026 Jane Doe"},
           "xmp.jpg: IPTC copyright kept")
    got = Image.open(os.path.join(out, "xmp.png"))
    got.load()
    tap.eq((got.size, got.getexif().get(0x0112),
            got.info.get("XML:com.adobe.xmp")),
           ((80, 120), 1, XMP.replace(b'Orientation="6"',
                                      b'Orientation="1"').decode()),
           "xmp.png: turned upright, EXIF and XMP orientation reset")
    tap.eq(png_chunks(os.path.join(out, "xmp.png")).count("iTXt"), 1,
           "xmp.png: one XMP chunk")
    got = Image.open(os.path.join(out, "upright.jpg"))
    tap.eq(got.getexif().get(0x0112), 1, "upright.jpg: Orientation 1 kept")
    tap.eq(got.info.get("icc_profile"), small_icc, "upright.jpg: profile kept")

    got = Image.open(os.path.join(out, "scan.png"))
    got.load()
    tap.eq({k: got.info.get(k) for k in ("Author", "Copyright",
                                          "Description")},
           {"Author": "Jane Doe", "Copyright": "(c) 2026 Jane Doe",
            "Description": "Café, 水印"},
           "scan.png: tEXt, zTXt and iTXt chunks kept")
    chunks = png_chunks(os.path.join(out, "scan.png"))
    tap.check(all(c in chunks for c in ("tEXt", "zTXt", "iTXt")),
              "scan.png: as the same kinds of chunk", chunks)
    tap.eq(got.info.get("icc_profile"), small_icc, "scan.png: iCCP kept")
    tap.eq(exif_dict(got).get(("0", 0x8298)),
           "(c) 2026 Jane Doe, all rights reserved", "scan.png: eXIf kept")
    tap.check(chunks.index("iCCP") < chunks.index("IDAT") and
              chunks.index("eXIf") < chunks.index("IDAT"),
              "scan.png: iCCP and eXIf before the image data", chunks)

    got = Image.open(os.path.join(out, "web.webp"))
    got.load()
    tap.eq(got.format, "WEBP", "web.webp: written as WebP")
    tap.eq(exif_dict(got).get(("0", 0x013b)), "Jane Doe",
           "web.webp: EXIF kept")
    tap.eq(got.info.get("icc_profile"), small_icc, "web.webp: profile kept")

    got = Image.open(os.path.join(out, "thumb.jpg"))
    with open(os.path.join(out, "thumb.jpg"), "rb") as f:
        data = f.read()
    tap.eq(got.getexif().get(0x010f), "Nikon", "thumb.jpg: EXIF kept")
    tiff = data[data.index(b"Exif\x00\x00") + 6:]
    count = struct.unpack("<H", tiff[8:10])[0]
    next_ifd = struct.unpack("<I", tiff[10 + 12 * count:14 + 12 * count])[0]
    tap.check(thumb.getvalue()[2:200] not in data and next_ifd == 0,
              "thumb.jpg: the unwatermarked EXIF thumbnail is not in the "
              "output, nor a link to it", next_ifd)

    got = Image.open(os.path.join(out, "broken.jpg"))
    tap.eq(got.size, (180, 120), "broken.jpg: done despite its broken "
           "metadata")
    tap.check("icc_profile" not in got.info and not got.getexif(),
              "broken.jpg: the malformed EXIF and profile are left out")

    # auto_orient: false keeps the stored pixels: the orientation stays.
    write_config(tmp, npy_path="mark.npy", output_height=120,
                 auto_orient="false")
    run(tmp, "--output", "raw")
    got = Image.open(os.path.join(tmp, "raw", "camera.jpg"))
    tap.check(got.size == (180, 120) and got.getexif().get(0x0112) == 6,
              "auto_orient: false: stored as the input, Orientation 6 kept",
              (got.size, got.getexif().get(0x0112)))

    # Stripped: nothing left, by option and by config.
    for how, args in (("--strip-metadata", ["--strip-metadata"]),
                      ("metadata: strip", [])):
        write_config(tmp, npy_path="mark.npy", output_height=120,
                     metadata="strip" if not args else None)
        folder = "strip-%d" % len(args)
        r = run(tmp, "--output", folder, *args)
        left = []
        for name in ("camera.jpg", "scan.png", "web.webp", "thumb.jpg",
                     "xmp.jpg", "xmp.png"):
            im = Image.open(os.path.join(tmp, folder, name))
            im.load()
            if im.getexif() or "icc_profile" in im.info or \
                    "XML:com.adobe.xmp" in im.info or any(
                    m in ("APP1", "APP13") for m, d in
                    getattr(im, "applist", [])) or any(
                    k in im.info for k in ("Author", "Copyright",
                                           "Description")):
                left.append(name)
        tap.check(r.returncode == 0 and not left, "%s: no EXIF, profile or "
                  "text left in any output" % how, left or r.stderr)

    # Damaged metadata, at random but replayably: bytes of the EXIF, XMP,
    # IPTC and ICC segments and of the PNG chunks before IDAT overwritten.
    # Every picture is done or fails with a reason; nothing crashes (the
    # ASan build runs this too).
    rng = np.random.default_rng(2026)
    mutants = os.path.join(tmp, "mutants")
    os.makedirs(mutants)
    sources = []
    for name in ("camera.jpg", "xmp.jpg", "scan.png", "xmp.png", "web.webp",
                 "thumb.jpg"):
        with open(os.path.join(pics, name), "rb") as f:
            data = f.read()
        if name.endswith(".png"):
            end = data.index(b"IDAT")
        elif name.endswith(".webp"):
            end = len(data)
        else:
            end = data.index(b"\xff\xdb")      # the first quantisation table
        sources.append((name, data, 12, end))
    count = 0
    for name, data, start, end in sources:
        for i in range(12):
            m = bytearray(data)
            for _ in range(int(rng.integers(1, 9))):
                at = int(rng.integers(start, end))
                m[at:at + 4] = rng.choice([b"\xff\xff\xff\xff",
                                           b"\x00\x00\x00\x00",
                                           bytes(rng.integers(0, 256, 4,
                                                              np.uint8))])
            with open(os.path.join(mutants, "%d-%s" % (i, name)), "wb") as f:
                f.write(m)
            count += 1
    r = run(tmp, "--input", "mutants", "--npy", "mark.npy", "--height", "60",
            "--output", "mutants-out", "--quiet")
    lines = [LOG_LINE.match(l) for l in r.stderr.splitlines()]
    ends = [m for m in lines if m and (m.group(2) == "ERROR")]
    summary = re.search(r"Processed: (\d+), failed: (\d+)", r.stdout)
    tap.check(r.returncode in (0, 1) and "CRITICAL" not in r.stderr and
              summary and int(summary.group(1)) + int(summary.group(2)) ==
              count and len(ends) == int(summary.group(2)),
              "%d pictures with damaged metadata: each done or failed with "
              "a reason, no crash" % count,
              "exit %d\n%s" % (r.returncode, r.stderr[-3000:]))


def group_formats(tmp):
    """WebP in and out; TIFF, BMP, GIF in, PNG out; anything else counted
    and reported."""
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    wm = test_watermark()
    save_npy(os.path.join(tmp, "mark.npy"), wm)
    flat = np.zeros((90, 150, 3), np.uint8)
    flat[:] = (40, 90, 160)
    rgba = np.dstack([flat, np.full((90, 150), 255, np.uint8)])
    rgba[60:, 100:, 3] = 0                  # a transparent corner
    Image.fromarray(flat).save(os.path.join(pics, "a.webp"), quality=95)
    # More than one WebP per worker: webpdec and webpenc must survive
    # being used again (under the ASan build, a use after free if not).
    for extra in ("c.webp", "d.webp", "e.webp"):
        shutil.copy(os.path.join(pics, "a.webp"), os.path.join(pics, extra))
    Image.fromarray(rgba, "RGBA").save(os.path.join(pics, "B.WEBP"),
                                       lossless=True)
    Image.fromarray(flat).save(os.path.join(pics, "t.tif"))
    Image.fromarray(rgba, "RGBA").save(os.path.join(pics, "t2.TIFF"))
    Image.fromarray(flat).save(os.path.join(pics, "b.bmp"))
    Image.fromarray(flat).convert("P").save(os.path.join(pics, "g.gif"))
    # TIFF orientation, applied as for JPEG (6: turn 90 degrees)
    Image.fromarray(flat).save(os.path.join(pics, "turned.tif"),
                               tiffinfo={0x0112: 6})
    Image.fromarray(flat).save(os.path.join(pics, "same.png"))
    Image.fromarray(flat).save(os.path.join(pics, "same.bmp"))
    with open(os.path.join(pics, "notes.txt"), "w") as f:
        f.write("not a picture\n")
    with open(os.path.join(pics, "phone.heic"), "wb") as f:
        f.write(b"\x00\x00\x00\x18ftypheic" + bytes(100))
    write_config(tmp, npy_path="mark.npy", opacity=100, quality=95,
                 output_height=90, output_quality=100)
    r = run(tmp)
    out = os.path.join(pics, "output")
    tap.eq(r.returncode, 1, "exit status 1: one picture's name clashes",
           r.stderr)
    tap.eq(tree(out), ["B.WEBP", "a.webp", "b.png", "c.webp", "d.webp",
                       "e.webp", "g.png", "same.png", "t.png", "t2.png",
                       "turned.png"],
           "WebP as WebP; TIFF, BMP, GIF as PNG under the same base name")
    for name, fmt, size in (("a.webp", "WEBP", (150, 90)),
                            ("B.WEBP", "WEBP", (150, 90)),
                            ("t.png", "PNG", (150, 90)),
                            ("t2.png", "PNG", (150, 90)),
                            ("b.png", "PNG", (150, 90)),
                            ("g.png", "PNG", (150, 90)),
                            ("turned.png", "PNG", (54, 90))):
        im = Image.open(os.path.join(out, name))
        tap.eq((im.format, im.size), (fmt, size), "%s: %s, %dx%d" %
               ((name, fmt) + size))
        # Inside each watermark column: the reference blend, within what
        # the lossy paths allow (the JPEG round trip at 95, WebP at 100).
        got = np.asarray(im.convert("RGB")).astype(float)
        want = reference_blend(flat, wm, 100).astype(float)
        if name == "turned.png":
            want = reference_blend(np.rot90(flat, -1).copy(), wm, 100)
            want = want.astype(float)
        worst = max(np.abs(got[8:40, x0 + 8:x0 + 24].mean((0, 1)) -
                           want[8:40, x0 + 8:x0 + 24].mean((0, 1))).max()
                    for x0 in ((0, 32) if name == "turned.png" else
                               (0, 32, 64)))
        tap.check(worst <= 6, "%s: watermarked as the reference blend "
                  "(worst %.1f)" % (name, worst))
    for name in ("B.WEBP", "t2.png"):
        a = np.asarray(Image.open(os.path.join(out, name)).convert("RGBA"))
        tap.check(a.shape[2] == 4 and a[70:, 110:, 3].max() == 0 and
                  a[50, 60, 3] == 255, "%s: alpha kept" % name)

    lines = [LOG_LINE.match(l) for l in log_lines(tmp)]
    warnings = sorted(m.group(3) for m in lines if m and
                      m.group(2) == "WARNING")
    tap.eq(warnings, ["Skipped (not supported): notes.txt",
                      "Skipped (not supported): phone.heic"],
           "other files: one warning each, naming them")
    errors = [m.group(3) for m in lines if m and m.group(2) == "ERROR"]
    tap.check(len(errors) == 1 and errors[0].startswith(
        "Error processing pictures/same.bmp: its output "
        "pictures/output/same.png is already that of pictures/same.png"),
        "same.bmp and same.png: same.png keeps its name, same.bmp fails "
        "naming the clash", errors)
    tap.check("Processed: 11, failed: 1, skipped: 2 (2 not supported)"
              in r.stdout, "the summary counts the files not supported",
              r.stdout)
    tap.check("Not supported:\n  pictures/notes.txt\n  pictures/phone.heic"
              in r.stdout, "and lists them", r.stdout)

    # webpenc's limits: a clear reason, not "not negotiated".
    r = run(tmp, "--height", "10", "--output", "tiny")
    errors = [l for l in r.stderr.splitlines() if "a.webp" in l]
    tap.check(errors and "WebP cannot be written" in errors[0],
              "a WebP output below webpenc's 16 pixels: said plainly",
              errors)


def snapshot(folder):
    """Every file and folder under @folder with its bytes' digest."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            found[os.path.relpath(os.path.join(root, d), folder) + "/"] = ""
        for name in files:
            path = os.path.join(root, name)
            found[os.path.relpath(path, folder)] = digest(path)
    return found


def group_report(tmp):
    """--report FILE (JSON Lines) and --dry-run."""
    shutil.copy(os.path.join(os.path.dirname(__file__), "..", "..",
                             "examples", "watermark.npy"), tmp)
    good, bad = make_folder_of_everything(tmp)
    write_config(tmp, output_height=60)
    pics = os.path.join(tmp, "pictures")
    top_good = sorted(n for n in good if "/" not in n)

    # A dry run first: nothing at all may change, not even a log.
    before = snapshot(tmp)
    r = run(tmp, "--dry-run")
    tap.eq(snapshot(tmp), before, "--dry-run: the folder is byte-identical "
           "(no output folder, no watermark.log, no temporary file)")
    tap.eq(r.returncode, 1, "--dry-run: exit 1, as the run would",
           r.stderr)
    said = r.stdout.splitlines()
    tap.check("would write pictures/output/colour.jpg (90x60) from "
              "pictures/colour.jpg (301x199)" in said,
              "--dry-run: says what it would write, with the sizes",
              r.stdout)
    tap.check(any(l.startswith("would fail pictures/truncated.jpg: "
                               "truncated JPEG") for l in said),
              "--dry-run: says what would fail, and why", r.stdout)
    tap.check(any(l.startswith("would skip pictures/notes.txt: not a "
                               "picture format") for l in said),
              "--dry-run: says what it would skip, and why", r.stdout)
    r = run(tmp, "--dry-run", "--report", "r.jsonl")
    tap.check(r.returncode == 2 and not os.path.exists(
        os.path.join(tmp, "r.jsonl")), "--dry-run with --report: refused, "
        "no file written", r.stderr)

    r = run(tmp, "--report", "report.jsonl")
    tap.eq(r.returncode, 1, "a mixed run: exit 1")
    with open(os.path.join(tmp, "report.jsonl"), encoding="utf-8") as f:
        text = f.read()
    try:
        objects = [json.loads(l) for l in text.splitlines()]
    except ValueError as e:
        objects = []
        tap.check(False, "every report line is JSON", "%s\n%s" % (e, text))
    pictures = [o for o in objects if "summary" not in o]
    by_input = {o["input"]: o for o in pictures}
    names = sorted(n for n in os.listdir(pics)
                   if not n.startswith(".") and
                   os.path.isfile(os.path.join(pics, n)))
    tap.eq(sorted(by_input), sorted("pictures/" + n for n in names),
           "one object per file of the folder, named as given")
    tap.check(objects and objects[-1].get("summary") is True and
              text.endswith("\n"), "the last line is the summary",
              objects[-1:] if objects else text)
    for name in top_good:
        o = by_input.get("pictures/" + name, {})
        w, h = good[name]
        want = {"output": "pictures/output/" + name, "status": "done",
                "input_width": w, "input_height": h,
                "output_width": max(1, int(w * (60 / h))),
                "output_height": 60}
        tap.eq({k: o.get(k) for k in want}, want, "report: %s done, with "
               "its sizes" % escaped(name))
        tap.check(isinstance(o.get("ms"), int) and o["ms"] >= 0,
                  "report: %s has its milliseconds" % escaped(name))
    for name in bad:
        o = by_input.get("pictures/" + name, {})
        tap.check(o.get("status") == "failed" and o.get("reason") and
                  o.get("output") is None, "report: %s failed, with its "
                  "reason" % name, o)
    o = by_input.get("pictures/notes.txt", {})
    tap.check(o.get("status") == "skipped" and "not a picture format" in
              o.get("reason", ""), "report: notes.txt skipped as not "
              "supported", o)
    tap.check(by_input.get("pictures/truncated.jpg", {}).get("reason", "")
              .startswith("truncated JPEG"), "report: the reason is the "
              "one the log gives")
    summary = objects[-1] if objects else {}
    tap.eq({k: summary.get(k) for k in ("done", "failed", "skipped",
                                        "not_started", "interrupted")},
           {"done": len(top_good), "failed": len(bad), "skipped": 1,
            "not_started": 0, "interrupted": False},
           "the summary counts them")

    # Killed outright: what was done is in the report, every line whole.
    big = os.path.join(tmp, "big")
    os.makedirs(big)
    for i in range(40):
        Image.fromarray(photo(800, 600, i)).save(
            os.path.join(big, "b%02d.jpg" % i), quality=92)
    p = subprocess.Popen([EXE, "--input", "big", "--height", "1200",
                          "--quiet", "--jobs", "2", "--report", "k.jsonl"],
                         cwd=tmp, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    path = os.path.join(tmp, "k.jsonl")
    while time.time() < deadline and (not os.path.exists(path) or
                                      os.path.getsize(path) == 0):
        time.sleep(0.01)
    p.kill()
    p.wait()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    done = [json.loads(l) for l in text.splitlines()]
    outs = set(tree(os.path.join(big, "output")))
    tap.check(done and text.endswith("\n") and
              all(o["status"] == "done" and
                  os.path.basename(o["output"]) in outs for o in done),
              "SIGKILL: the report has a whole line for each picture done "
              "(%d), each output there" % len(done), text[-500:])


def drawn_reference(shape, wm, position, margin, tile=False, spacing=0):
    """The watermark drawn on an h x w picture, from the README's formulas
    (not the element's code): anchor, margins inward, tiles every
    w + spacing, h + spacing from the placed copy."""
    H, W = shape
    h, w = wm.shape[:2]
    col, row = position % 3, position // 3
    x0 = [margin, (W - w) // 2 + margin, W - w - margin][col]
    y0 = [margin, (H - h) // 2 + margin, H - h - margin][row]
    drawn = np.zeros((H, W, 4), np.uint8)
    for Y in range(H):
        v = Y - y0
        if tile:
            v %= h + spacing
        if not 0 <= v < h:
            continue
        for X in range(W):
            u = X - x0
            if tile:
                u %= w + spacing
            if 0 <= u < w:
                drawn[Y, X] = wm[v, u]
    return drawn


def blend_drawn(base, drawn, opacity_pct):
    """reference_blend for a watermark already drawn at the picture's
    size."""
    op = math.floor(opacity_pct / 100.0 * 255 + 0.5)
    out = base.astype(np.int64).copy()
    A = rnd(drawn[..., 3].astype(np.int64) * op, 255)[..., None]
    v = drawn[..., :3].astype(np.int64)
    out[..., :3] = rnd(v * A + out[..., :3] * (255 - A), 255)
    return out.astype(np.uint8)


def pillow_scaled(wm, w, h):
    """The watermark resized as the element documents it, by Pillow:
    premultiplied, bicubic, reducing_gap 2."""
    im = Image.fromarray(wm, "RGBA").convert("RGBa")
    im = im.resize((w, h), Image.BICUBIC, reducing_gap=2.0)
    return np.asarray(im.convert("RGBA"))


POSITIONS = ["top-left", "top", "top-right", "left", "center", "right",
             "bottom-left", "bottom", "bottom-right"]


def group_geometry(tmp):
    rng = np.random.default_rng(7)
    wm = rng.integers(0, 256, (13, 21, 4), dtype=np.uint8)
    wm[..., 3][wm[..., 3] < 80] = 0
    save_npy(os.path.join(tmp, "mark.npy"), wm)
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    base = np.dstack([photo(97, 61, 3), np.full((61, 97), 255, np.uint8)])
    Image.fromarray(base, "RGBA").save(os.path.join(pics, "a.png"))
    out = os.path.join(pics, "output", "a.png")

    def check(desc, want_drawn, tolerance=0, npy="mark.npy", **keys):
        write_config(tmp, npy_path=npy, opacity=90, output_height=61,
                     **keys)
        if os.path.exists(out):
            os.unlink(out)
        r = run(tmp)
        if not tap.eq(r.returncode, 0, desc + ": exit 0", r.stderr):
            return
        got = np.asarray(Image.open(out)).astype(int)
        want = blend_drawn(base, want_drawn, 90).astype(int)
        diff = np.abs(got[..., :3] - want[..., :3]).max()
        tap.check(diff <= tolerance, "%s: equals the reference (within %d)"
                  % (desc, tolerance), "max diff %d" % diff)

    for p in (0, 2, 4, 6, 8):
        check("position %s, margin 6" % POSITIONS[p],
              drawn_reference((61, 97), wm, p, 6), position=POSITIONS[p],
              margin=6)
    # 5% of the shorter side (61) is round(3.05) = 3 pixels
    check("position right, margin 5%",
          drawn_reference((61, 97), wm, 5, 3), position="right",
          margin="5%")
    check("position bottom, negative margin clips",
          drawn_reference((61, 97), wm, 7, -5), position="bottom",
          margin=-5)
    check("tile with spacing 4 from bottom-right, margin 2",
          drawn_reference((61, 97), wm, 8, 2, True, 4),
          position="bottom-right", margin=2, tile="true", tile_spacing=4)
    check("tile without spacing", drawn_reference((61, 97), wm, 0, 0, True),
          tile="yes")
    # size 50 of a smooth logo with soft edges (noise would measure how
    # Pillow clamps between its two passes, not the scaling):
    # s = min(48.5 / 21, 30.5 / 13) = 2.31, 48x30
    yy, xx = np.mgrid[0:13, 0:21]
    soft = np.dstack([xx * 12, yy * 19, 255 - xx * 12,
                      np.clip(255 - 40 * np.hypot(xx - 10, yy - 6) + 120,
                              0, 255)]).astype(np.uint8)
    save_npy(os.path.join(tmp, "soft.npy"), soft)
    s = min(0.5 * 97 / 21, 0.5 * 61 / 13)
    w, h = int(math.floor(21 * s + 0.5)), int(math.floor(13 * s + 0.5))
    check("size 50 (%dx%d) at the centre" % (w, h),
          drawn_reference((61, 97), pillow_scaled(soft, w, h), 4, 0),
          tolerance=3, size=50, position="center", npy="soft.npy")

    # the options override the file
    write_config(tmp, npy_path="mark.npy", opacity=90, output_height=61)
    r = run(tmp, "--position", "bottom-left", "--margin", "4", "--tile",
            "--tile-spacing", "9", "--output", "opts")
    got = np.asarray(Image.open(os.path.join(tmp, "opts", "a.png")))
    want = blend_drawn(base, drawn_reference((61, 97), wm, 6, 4, True, 9), 90)
    tap.check(r.returncode == 0 and np.array_equal(got[..., :3],
                                                   want[..., :3]),
              "--position --margin --tile --tile-spacing as the keys",
              r.stderr)

    # bad values: the usual config error, key, file and line
    for key, value, words in (
            ("position", "middle", "position must be top-left, top"),
            ("margin", "60%", "margin must be pixels"),
            ("margin", "3.5", "margin must be pixels"),
            ("size", "-1", "size must be a percentage"),
            # the element's unit (a fraction) in the batch's (percent)
            ("size", "0.1", 'size must be a percentage of the picture from '
             '0 to 10000, got "0.1" (did you mean 10?)'),
            ("tile", "maybe", "tile must be true or false"),
            ("tile_spacing", "-3", "tile_spacing must be a whole number")):
        write_config(tmp, npy_path="mark.npy", opacity=90, output_height=61,
                     **{key: value})
        r = run(tmp)
        tap.check(r.returncode == 2 and re.search(
            r"config.yaml:7: " + re.escape(words), r.stderr),
            "%s: %s refused with the file, line and key" % (key, value),
            r.stderr)
    write_config(tmp, npy_path="mark.npy", opacity=90, output_height=61)
    for args, words in ((["--position", "up"], "--position must be"),
                        (["--margin", "x"], "--margin must be"),
                        (["--size", "-3"], "--size must be"),
                        (["--size", "0.1"], "got 0.1 (did you mean 10?)"),
                        (["--tile-spacing", "-1"], "--tile-spacing must be")):
        r = run(tmp, *args)
        tap.check(r.returncode == 2 and words in r.stderr,
                  "%s refused" % " ".join(args), r.stderr)


def run_measured(cwd, *args, timeout=60):
    """run (), plus the largest peak RSS of any command run so far, in
    bytes (ru_maxrss of the children is a maximum over them all): a run
    expected to be small is measured after runs that were small too."""
    import resource
    r = run(cwd, *args, timeout=timeout)
    return r, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def sparse_copy(src, dst, size):
    """@src's bytes, then zeros (a hole, nothing on disk) up to @size."""
    with open(src, "rb") as f:
        data = f.read()
    with open(dst, "wb") as f:
        f.write(data)
        f.truncate(size)


def group_hostile(tmp):
    """Inputs an attacker (or an accident) makes: files whose size is not
    their picture's, special files, deep or huge configs, names that
    read as other names."""
    pics = os.path.join(tmp, "pictures")
    os.makedirs(pics)
    save_npy(os.path.join(tmp, "mark.npy"), test_watermark())
    Image.fromarray(photo(120, 80)).save(os.path.join(pics, "a.jpg"))
    write_config(tmp, npy_path="mark.npy", output_height=60)

    # 16: memory follows the picture, not the file's apparent size.
    png = os.path.join(tmp, "small.png")
    Image.fromarray(photo(90, 60)).save(png)
    sparse_copy(png, os.path.join(pics, "sparse.png"), 3 << 30)
    r, rss = run_measured(tmp, "--jobs", "1")
    tap.check(r.returncode == 0 and os.path.exists(
        os.path.join(pics, "output", "sparse.png")),
        "a 3 GiB sparse PNG of 90x60 is watermarked", r.stderr)
    tap.check(0 < rss < 1 << 30, "... without reading its 3 GiB "
              "(peak RSS %d MB)" % (rss >> 20))
    tap.check(re.search(r"sparse\.png: the file is 3221225472 bytes, more "
                        r"than its picture", r.stderr),
              "... and says the file is larger than its picture", r.stderr)
    os.unlink(os.path.join(pics, "sparse.png"))

    # 18: npy_path and config.yaml only as regular files, the .npy read as
    # its header promises.
    os.mkfifo(os.path.join(tmp, "fifo.npy"))
    os.symlink("/dev/zero", os.path.join(tmp, "zero.npy"))
    for name in ("fifo.npy", "zero.npy"):
        r = run(tmp, "--npy", name, timeout=30)
        tap.check(r.returncode == 2 and "%s: not a regular file" % name
                  in r.stderr, "npy_path %s refused at once" % name, r.stderr)
    sparse_copy(os.path.join(tmp, "mark.npy"),
                os.path.join(tmp, "sparse.npy"), 3 << 30)
    r, rss = run_measured(tmp, "--npy", "sparse.npy")
    tap.check(r.returncode == 0 and 0 < rss < 1 << 30,
              "a 3 GiB sparse .npy holding 96x48 is read as its header "
              "says (peak RSS %d MB)" % (rss >> 20), r.stderr)
    os.mkfifo(os.path.join(tmp, "fifo.yaml"))
    os.symlink("/dev/zero", os.path.join(tmp, "zero.yaml"))
    for name in ("fifo.yaml", "zero.yaml"):
        r = run(tmp, "--config", name, timeout=30)
        tap.check(r.returncode == 2 and "%s: not a regular file" % name
                  in r.stderr, "config %s refused at once" % name, r.stderr)

    # 19: deep nesting refused before it is parsed (200,000 levels took
    # libyaml more than 60 s).
    with open(os.path.join(tmp, "deep.yaml"), "w") as f:
        f.write("watermark: " + "[" * 200000 + "]" * 200000 + "\n")
    r = run(tmp, "--config", "deep.yaml", timeout=30)
    tap.check(r.returncode == 2 and "deep.yaml:1:" in r.stderr and
              "nested more than 32 levels" in r.stderr,
              "a config nested 200,000 deep is refused", r.stderr)
    with open(os.path.join(tmp, "huge.yaml"), "w") as f:
        f.write("watermark:\n  opacity: 50\n")
        f.truncate(3 << 30)
    r = run(tmp, "--config", "huge.yaml", timeout=30)
    tap.check(r.returncode == 2 and "too large for a settings file"
              in r.stderr, "a 3 GiB config is refused unread", r.stderr)

    # 22: a long value is quoted cut, not echoed whole.
    with open(os.path.join(tmp, "long.yaml"), "w") as f:
        f.write("watermark:\n  input_folder: pictures\n  npy_path: mark\n"
                "  quality: 30\n  output_height: 60\n  opacity: %s\n"
                % ("9" * 900000))
    r = run(tmp, "--config", "long.yaml")
    tap.check(r.returncode == 2 and len(r.stderr) < 1000 and
              "long.yaml:6: opacity must be a percentage" in r.stderr and
              "... (900000 bytes)" in r.stderr,
              "a 900 KB opacity is cut in the message (%d bytes)"
              % len(r.stderr), r.stderr[:300])
    r = run(tmp, "--position", "p" * 100000)
    tap.check(r.returncode == 2 and len(r.stderr) < 1000,
              "a 100 KB --position is cut in the message", r.stderr[:300])

    # 17: an output folder planted as a link is refused, not written
    # through; so is a link among --recursive's mirrored folders.
    elsewhere = os.path.join(tmp, "elsewhere")
    os.makedirs(elsewhere)
    with open(os.path.join(elsewhere, "a.jpg"), "wb") as f:
        f.write(b"precious")
    shutil.rmtree(os.path.join(pics, "output"))
    os.symlink(elsewhere, os.path.join(pics, "output"))
    r = run(tmp)
    with open(os.path.join(elsewhere, "a.jpg"), "rb") as f:
        kept = f.read() == b"precious"
    tap.check(r.returncode == 2 and "output: the output folder is a "
              "symbolic link" in r.stderr and kept and
              os.listdir(elsewhere) == ["a.jpg"],
              "a symlinked output/ is refused, its target untouched",
              r.stderr)
    os.unlink(os.path.join(pics, "output"))
    os.makedirs(os.path.join(pics, "sub"))
    shutil.copy(os.path.join(pics, "a.jpg"), os.path.join(pics, "sub"))
    os.makedirs(os.path.join(pics, "output"))
    os.symlink(elsewhere, os.path.join(pics, "output", "sub"))
    r = run(tmp, "--recursive")
    with open(os.path.join(elsewhere, "a.jpg"), "rb") as f:
        kept = f.read() == b"precious"
    tap.check(r.returncode == 2 and "output/sub: this output folder is a "
              "symbolic link" in r.stderr and kept,
              "a symlinked mirrored folder is refused too", r.stderr)
    os.unlink(os.path.join(pics, "output", "sub"))
    shutil.rmtree(os.path.join(pics, "sub"))

    # 8: a broken link and a FIFO named .jpg are counted and reported,
    # the FIFO never opened (it would block the run).
    os.symlink("nowhere.jpg", os.path.join(pics, "broken.jpg"))
    os.mkfifo(os.path.join(pics, "pipe.jpg"))
    reasons = {"broken.jpg": "a broken symbolic link",
               "pipe.jpg": "not a regular file (a FIFO)"}
    r = run(tmp, "--dry-run", timeout=30)
    tap.check(r.returncode == 1 and all(
        "would fail pictures/%s: %s" % (n, why) in r.stdout
        for n, why in reasons.items()),
        "--dry-run: the broken link and the FIFO would fail, saying why",
        r.stdout)
    r = run(tmp, "--report", "report.json", timeout=30)
    with open(os.path.join(tmp, "report.json")) as f:
        report = [json.loads(line) for line in f]
    failed = {os.path.basename(e["input"]): e.get("reason", "")
              for e in report if e.get("status") == "failed"}
    tap.check(r.returncode == 1 and all(
        "  pictures/%s: %s" % (n, why) in r.stdout
        for n, why in reasons.items()) and sorted(failed) ==
        sorted(reasons) and report[-1]["failed"] == 2,
        "a run: both failed, in the summary and the report, exit 1",
        r.stdout + r.stderr)
    os.unlink(os.path.join(pics, "broken.jpg"))
    os.unlink(os.path.join(pics, "pipe.jpg"))
    os.unlink(os.path.join(tmp, "report.json"))

    # 10: the pixel limit is said, and --max-pixels sets it.
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))
    with open(os.path.join(pics, "panorama.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(
            ">IIBBBBB", 30000, 8000, 8, 2, 0, 0, 0)) + chunk(b"IEND", b""))
    r = run(tmp, "--dry-run")
    tap.check(r.returncode == 1 and "panorama.png: 30000x8000 is too large "
              "(more than 178956970 pixels; --max-pixels sets the limit)"
              in r.stdout, "a 30000x8000 panorama: the limit and the option "
              "that sets it are named", r.stdout)
    os.unlink(os.path.join(pics, "panorama.png"))
    r = run(tmp, "--max-pixels", "9599", "--output", "capped")
    tap.check(r.returncode == 1 and "a.jpg: 120x80 is too large (more than "
              "9599 pixels" in r.stdout, "--max-pixels 9599 refuses 120x80",
              r.stdout)
    r = run(tmp, "--max-pixels", "9600", "--output", "capped")
    tap.check(r.returncode == 0, "--max-pixels 9600 takes 120x80", r.stderr)
    r = run(tmp, "--max-pixels", "0")
    tap.check(r.returncode == 2 and "--max-pixels must be 1 or more"
              in r.stderr, "--max-pixels 0 refused", r.stderr)
    r = run(tmp, "--help")
    tap.check("--max-pixels" in r.stdout and "178956970" in r.stdout,
              "--help names the limit and the option", r.stdout)

    # 11: small things.  One picture is one picture; pictures only in
    # subfolders suggest --recursive; -q is said to be --quality.
    r = run(tmp, "--output", "words")
    tap.check("Watermarking 1 picture of pictures" in r.stderr,
              "the log says 'Watermarking 1 picture'", r.stderr)
    os.makedirs(os.path.join(tmp, "nested", "2024"))
    shutil.copy(os.path.join(pics, "a.jpg"),
                os.path.join(tmp, "nested", "2024"))
    r = run(tmp, "--input", "nested")
    tap.check(r.returncode == 0 and "No .jpg" in r.stderr and
              "its subfolders have some: add --recursive" in r.stderr,
              "pictures only in subfolders: --recursive suggested", r.stderr)
    shutil.rmtree(os.path.join(tmp, "nested", "2024"))
    r = run(tmp, "--input", "nested")
    tap.check("add --recursive" not in r.stderr,
              "an empty folder: no --recursive suggested", r.stderr)
    r = run(tmp, "--help")
    tap.check("-q is --quality, not quiet" in r.stdout,
              "--help says -q is --quality", r.stdout)

    # 9: a (1, H, W, 4) array is one picture, as the element takes it;
    # an (N, H, W, 4) stack is refused for pictures, saying why.
    save_npy(os.path.join(tmp, "one.npy"), test_watermark()[None])
    stack = np.stack([test_watermark()] * 3)
    save_npy(os.path.join(tmp, "stack.npy"), stack)
    r = run(tmp, "--output", "flat")
    r1 = run(tmp, "--npy", "one.npy", "--output", "one")
    tap.check(r.returncode == 0 and r1.returncode == 0 and np.array_equal(
        np.asarray(Image.open(os.path.join(tmp, "flat", "a.jpg"))),
        np.asarray(Image.open(os.path.join(tmp, "one", "a.jpg")))),
        "a (1, 48, 96, 4) watermark draws as its (48, 96, 4) slice",
        r1.stderr)
    r = run(tmp, "--npy", "stack.npy", "--output", "stack")
    tap.check(r.returncode == 2 and "stack.npy: an (N, H, W, C) stack of 3 "
              "frames" in r.stderr and "stack[0]" in r.stderr,
              "a stack of 3 is refused for pictures, saying what to do",
              r.stderr)

    # 20: names that would read as other names are escaped.
    sneaky = ["invoice\u202egpj.exe.jpg", "a\u2066b\u2069.jpg",
              "line\u2028break.jpg"]
    for name in sneaky:
        shutil.copy(os.path.join(pics, "a.jpg"), os.path.join(pics, name))
    log = os.path.join(tmp, "watermark.log")
    if os.path.exists(log):
        os.unlink(log)
    r = run(tmp)
    with open(log, encoding="utf-8") as f:
        text = f.read()
    for name in sneaky:
        tap.check(("Processed: %s" % escaped(name)) in text and name not in
                  text and name not in r.stderr + r.stdout,
                  "%s is escaped on the console and in the log"
                  % escaped(name), r.stderr)
    tap.check(not any(ch in text for ch in "\u202e\u2066\u2069\u2028"),
              "no direction control or line separator reaches the log raw")


GROUPS = {
    "pictures": group_pictures,
    "pixels": group_pixels,
    "orientation": group_orientation,
    "config": group_config,
    "runs": group_runs,
    "script": group_script,
    "metadata": group_metadata,
    "formats": group_formats,
    "report": group_report,
    "geometry": group_geometry,
    "hostile": group_hostile,
    "scaled": group_scaled,
}


def main(groups=GROUPS, name="batch"):
    """Runs the group GROUP of @groups in a temporary folder of its own
    (npw-@name-GROUP-*), an exception its last, failed check, then the
    TAP plan; test_png16.py and test_faults.py run theirs with it too."""
    tmp = tempfile.mkdtemp(prefix="npw-%s-%s-" % (name, GROUP))
    try:
        groups[GROUP](tmp)
    except Exception:
        tap.check(False, "group %s ran to the end" % GROUP,
                  traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % tap.n)


if __name__ == "__main__":
    main()
