# gst-npywatermark
# Copyright (C) 2026 gst-npywatermark authors
# SPDX-License-Identifier: LGPL-2.1-or-later

"""ISO BMFF (MP4, MOV) boxes, read here independently of src/mp4edit.c:
an audio track as its sample table and edit list say, which qtdemux does
not show whole (it never outputs the packet an edit ends inside), and
the priming edit FFmpeg and phones write, given to a file GStreamer
made.  Used by test_videos.py and tests/fuzz/make-corpus.py."""

import struct


def mp4_boxes(data, start, end):
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        head = 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            head = 16
        elif size == 0:
            size = end - pos
        yield kind, pos, head, size
        pos += size


def mp4_child(data, box, kind):
    _, pos, head, size = box
    for b in mp4_boxes(data, pos + head, pos + size):
        if b[0] == kind:
            return b
    return None


def mp4_sounds(data):
    """@data's moov box and its audio traks, in file order."""
    moov = [b for b in mp4_boxes(data, 0, len(data)) if b[0] == b"moov"][0]
    sounds = []
    for b in mp4_boxes(data, moov[1] + 8, moov[1] + moov[3]):
        if b[0] != b"trak":
            continue
        hdlr = mp4_child(data, mp4_child(data, b, b"mdia"), b"hdlr")
        if data[hdlr[1] + 16:hdlr[1] + 20] == b"soun":
            sounds.append(b)
    return moov, sounds


def mp4_audio(path, index=None):
    """The one audio track of an MP4 or MOV (or the @index'th of several):
    {"scale": media timescale, "movie_scale", "edits": [(duration, media
    time)], "tkhd": its duration, "packets": [(decode time, duration,
    bytes)]}."""
    with open(path, "rb") as f:
        data = f.read()
    moov, traks = mp4_sounds(data)
    mvhd = mp4_child(data, moov, b"mvhd")
    v = data[mvhd[1] + 8]
    movie_scale = struct.unpack(">I", data[mvhd[1] + (20 if v == 0 else 28):
                                            ][:4])[0]
    if index is None:
        assert len(traks) == 1, "%s: one audio track" % path
        index = 0
    trak = traks[index]
    mdia = mp4_child(data, trak, b"mdia")
    mdhd = mp4_child(data, mdia, b"mdhd")
    v = data[mdhd[1] + 8]
    scale = struct.unpack(">I", data[mdhd[1] + (20 if v == 0 else 28):][:4])[0]
    tkhd = mp4_child(data, trak, b"tkhd")
    v = data[tkhd[1] + 8]
    tkhd_duration = (struct.unpack(">I", data[tkhd[1] + 28:][:4])[0] if v == 0
                     else struct.unpack(">Q", data[tkhd[1] + 36:][:8])[0])
    edits = []
    edts = mp4_child(data, trak, b"edts")
    if edts:
        elst = mp4_child(data, edts, b"elst")
        v, n = data[elst[1] + 8], struct.unpack(">I", data[elst[1] + 12:][:4])[0]
        for i in range(n):
            if v == 0:
                edits.append(struct.unpack(">Ii", data[elst[1] + 16 + 12 * i:]
                                           [:8]))
            else:
                edits.append(struct.unpack(">Qq", data[elst[1] + 16 + 20 * i:]
                                           [:16]))
    stbl = mp4_child(data, mp4_child(data, mdia, b"minf"), b"stbl")

    def table(kind, fmt, skip=4):
        box = mp4_child(data, stbl, kind)
        if box is None:
            return None
        body = data[box[1] + 8 + skip:box[1] + box[3]]
        n = struct.unpack(">I", body[:4])[0]
        each = struct.calcsize(fmt)
        return [struct.unpack(fmt, body[4 + each * i:4 + each * (i + 1)])
                for i in range(n)]
    durations = [d for count, d in table(b"stts", ">II") for _ in range(count)]
    stsz = mp4_child(data, stbl, b"stsz")
    fixed, count = struct.unpack(">II", data[stsz[1] + 12:stsz[1] + 20])
    sizes = ([fixed] * count if fixed else list(struct.unpack(
        ">%dI" % count, data[stsz[1] + 20:stsz[1] + 20 + 4 * count])))
    chunks = [c[0] for c in (table(b"stco", ">I") or table(b"co64", ">Q"))]
    runs = table(b"stsc", ">III")
    packets, t, i = [], 0, 0
    for r, (first, per, _) in enumerate(runs):
        last = runs[r + 1][0] if r + 1 < len(runs) else len(chunks) + 1
        for chunk in range(first, last):
            offset = chunks[chunk - 1]
            for _ in range(per):
                if i == len(sizes):
                    break
                packets.append((t, durations[i],
                                data[offset:offset + sizes[i]]))
                offset += sizes[i]
                t += durations[i]
                i += 1
    return {"scale": scale, "movie_scale": movie_scale, "edits": edits,
            "tkhd": tkhd_duration, "packets": packets}


def add_priming_edit(path, priming, padding, index=None):
    """Gives an MP4's audio track (the @index'th of several) the edit
    FFmpeg and phones write for AAC: it skips @priming samples of the
    encoder's delay and ends @padding samples before the media does.
    1.22's mp4mux writes the moov last, after every chunk, so no chunk
    offset moves."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    (_, mpos, _, msize), sounds = mp4_sounds(data)
    track = mp4_audio(path, index)
    b = sounds[index or 0]
    _, tpos, _, tsize = b
    old = mp4_child(data, b, b"edts")
    if old:
        del data[old[1]:old[1] + old[3]]
        tsize -= old[3]
        msize -= old[3]
    media = sum(p[1] for p in track["packets"])
    length = media - priming - padding
    seg = (length * track["movie_scale"] + track["scale"] // 2) // \
        track["scale"]
    edts = struct.pack(">I4sI4sIIIiI", 36, b"edts", 28, b"elst", 0, 1, seg,
                       priming, 0x10000)
    tkhd = mp4_child(data, (b"trak", tpos, 8, tsize), b"tkhd")
    at = tkhd[1] + tkhd[3]
    data[at:at] = edts
    struct.pack_into(">I", data, tpos, tsize + 36)
    struct.pack_into(">I", data, mpos, msize + 36)
    assert data[tkhd[1] + 8] == 0
    struct.pack_into(">I", data, tkhd[1] + 28, seg)
    # the movie lasts as long as its longest track, as FFmpeg writes it
    moov = (b"moov", mpos, 8, msize + 36)
    longest = 0
    for b in mp4_boxes(data, mpos + 8, mpos + msize + 36):
        if b[0] == b"trak":
            tkhd = mp4_child(data, b, b"tkhd")
            longest = max(longest, struct.unpack(">I", data[tkhd[1] + 28:]
                                                 [:4])[0])
    mvhd = mp4_child(data, moov, b"mvhd")
    assert data[mvhd[1] + 8] == 0
    struct.pack_into(">I", data, mvhd[1] + 24, longest)
    with open(path, "wb") as f:
        f.write(data)



if __name__ == "__main__":
    # mp4.py FILE PRIMING PADDING: gives FILE's audio a priming edit
    # (scripts/run-sanitizers, for the batch command's run under TSan)
    import sys
    add_priming_edit(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
