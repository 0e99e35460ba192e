/* gst-npywatermark
 * Copyright (C) 2026 gst-npywatermark authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 */

/* The audio track's packets and edit list of an MP4 or MOV (ISO/IEC
 * 14496-12: moov/trak/edts/elst and the sample table, stbl), read from
 * the input and the edit written into the output's moov.  Both run on a
 * worker thread (video.c): the read before the pipeline starts, the
 * write on the finished temporary file before it is renamed.  Anything
 * this reader does not take (fragments, an edit list of more than one
 * edit, other codecs) leaves the track to qtdemux as before. */

#include <string.h>
#include <gst/gst.h>

#include "log.h"
#include "mp4edit.h"

#define GST_CAT_DEFAULT batch_debug

/* A moov larger than this is not read (a two-hour film's is tens of MB,
 * most of it the video's sample table). */
#define MAX_MOOV (256 * 1024 * 1024)

/* Packets of one audio track: AAC at 48 kHz makes 47 a second, so this
 * is 50 hours. */
#define MAX_PACKETS (8 * 1024 * 1024)

/* What may follow the output's moov, moved with it. */
#define MAX_TAIL (16 * 1024 * 1024)

#define FOURCC(a, b, c, d)                                                  \
  ((guint32) (a) << 24 | (guint32) (b) << 16 | (guint32) (c) << 8 | (d))

/* Big-endian fields at any address (GStreamer's GST_READ_UINT32_BE
 * loads a whole word where unaligned loads are allowed, which UBSan
 * rightly counts as undefined). */
static inline guint32
be32 (const guint8 * p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 |
      p[3];
}

static inline guint64
be64 (const guint8 * p)
{
  return (guint64) be32 (p) << 32 | be32 (p + 4);
}

static inline void
put_be32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static inline void
put_be64 (guint8 * p, guint64 v)
{
  put_be32 (p, v >> 32);
  put_be32 (p + 4, (guint32) v);
}

typedef struct
{
  gsize pos;                    /* in the buffer */
  gsize head;                   /* 8, or 16 with a 64-bit size */
  gsize size;                   /* with the head */
  guint32 type;
} Box;

/* The box at @pos, which must end by @end. */
static gboolean
box_at (const guint8 * data, gsize pos, gsize end, Box * box)
{
  guint64 size;

  if (end < pos || end - pos < 8)
    return FALSE;
  size = be32 (data + pos);
  box->type = be32 (data + pos + 4);
  box->head = 8;
  if (size == 1) {
    if (end - pos < 16)
      return FALSE;
    size = be64 (data + pos + 8);
    box->head = 16;
  } else if (size == 0) {
    size = end - pos;
  }
  if (size < box->head || size > end - pos)
    return FALSE;
  box->pos = pos;
  box->size = size;
  return TRUE;
}

/* The first box of @type in @parent's payload. */
static gboolean
child (const guint8 * data, const Box * parent, guint32 type, Box * out)
{
  gsize pos = parent->pos + parent->head;
  gsize end = parent->pos + parent->size;
  Box box;

  while (box_at (data, pos, end, &box)) {
    if (box.type == type) {
      *out = box;
      return TRUE;
    }
    pos += box.size;
  }
  return FALSE;
}

/* A full box's payload after its version and flags, at least @need
 * bytes of it. */
static const guint8 *
payload (const guint8 * data, const Box * box, gsize need, guint8 * version)
{
  if (box->size - box->head < 4 + need)
    return NULL;
  *version = data[box->pos + box->head];
  return data + box->pos + box->head + 4;
}

/* mvhd and mdhd: the timescale; the duration's offset in @data. */
static gboolean
header_scale (const guint8 * data, const Box * box, guint32 * scale,
    gsize * duration_at, gboolean * wide)
{
  guint8 version;
  const guint8 *p = payload (data, box, 16, &version);

  if (p == NULL || version > 1 || (version
          && payload (data, box, 28, &version) == NULL))
    return FALSE;
  *wide = version == 1;
  *scale = be32 (p + (version ? 16 : 8));
  if (duration_at)
    *duration_at = (p - data) + (version ? 20 : 12);
  return *scale > 0;
}

/* tkhd: the duration's offset in @data. */
static gboolean
track_duration_at (const guint8 * data, const Box * tkhd, gsize * at,
    gboolean * wide)
{
  guint8 version;
  const guint8 *p = payload (data, tkhd, 36, &version);

  if (p == NULL || version > 1)
    return FALSE;
  *wide = version == 1;
  *at = (p - data) + (version ? 24 : 16);
  return TRUE;
}

static guint64
read_uint (const guint8 * data, gsize at, gboolean wide)
{
  return wide ? be64 (data + at) : be32 (data + at);
}

static void
write_uint (guint8 * data, gsize at, gboolean wide, guint64 value)
{
  if (wide)
    put_be64 (data + at, value);
  else
    put_be32 (data + at, MIN (value, G_MAXUINT32));
}

static gboolean
is_sound (const guint8 * data, const Box * trak, Box * mdia)
{
  Box hdlr;
  guint8 version;
  const guint8 *p;

  if (!child (data, trak, FOURCC ('m', 'd', 'i', 'a'), mdia)
      || !child (data, mdia, FOURCC ('h', 'd', 'l', 'r'), &hdlr)
      || (p = payload (data, &hdlr, 8, &version)) == NULL)
    return FALSE;
  return be32 (p + 4) == FOURCC ('s', 'o', 'u', 'n');
}

/* The moov of the file @stream reads: its bytes (g_free), where it
 * starts and whether its head is 32-bit.  NULL, with @why, if none. */
static guint8 *
read_moov (GInputStream * stream, guint64 file_size, guint64 * moov_pos,
    Box * moov, const gchar ** why, GError ** error)
{
  guint64 pos = 0;

  while (file_size - pos >= 8) {
    guint8 head[16];
    guint64 size;
    guint32 type;
    gsize got;
    guint8 *data;

    if (!g_seekable_seek (G_SEEKABLE (stream), pos, G_SEEK_SET, NULL, error)
        || !g_input_stream_read_all (stream, head, 16, &got, NULL, error))
      return NULL;
    if (got < 8)
      break;
    size = be32 (head);
    type = be32 (head + 4);
    if (size == 1 && got == 16)
      size = be64 (head + 8);
    else if (size == 0)
      size = file_size - pos;
    /* an MP4 or MOV starts with one of these; other files stop here */
    if (size < 8 || size > file_size - pos || (pos == 0
            && type != FOURCC ('f', 't', 'y', 'p')
            && type != FOURCC ('m', 'o', 'o', 'v')
            && type != FOURCC ('m', 'd', 'a', 't')
            && type != FOURCC ('w', 'i', 'd', 'e')
            && type != FOURCC ('f', 'r', 'e', 'e')
            && type != FOURCC ('s', 'k', 'i', 'p'))) {
      *why = "not an MP4 or MOV";
      return NULL;
    }
    if (type == FOURCC ('m', 'o', 'o', 'v')) {
      if (size > MAX_MOOV) {
        *why = "its moov is too large";
        return NULL;
      }
      data = g_malloc (size);
      if (!g_seekable_seek (G_SEEKABLE (stream), pos, G_SEEK_SET, NULL, error)
          || !g_input_stream_read_all (stream, data, size, &got, NULL, error)
          || got != size || !box_at (data, 0, size, moov)) {
        g_free (data);
        *why = "its moov cannot be read";
        return NULL;
      }
      *moov_pos = pos;
      return data;
    }
    pos += size;
  }
  *why = "no moov";
  return NULL;
}

static guint64
file_size_of (GFile * file, GError ** error)
{
  g_autoptr (GFileInfo) info = g_file_query_info (file,
      G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, NULL, error);

  return info ? (guint64) g_file_info_get_size (info) : 0;
}

/* The stsz of @stbl: how many packets, each @fixed bytes or (@fixed 0)
 * as the table at @table says (packet_size ()).  FALSE if it is missing
 * or cut short. */
static gboolean
packet_sizes (const guint8 * data, const Box * stbl, guint32 * fixed,
    guint32 * n, const guint8 ** table)
{
  Box stsz;
  guint8 version;
  const guint8 *p;

  if (!child (data, stbl, FOURCC ('s', 't', 's', 'z'), &stsz)
      || (p = payload (data, &stsz, 8, &version)) == NULL)
    return FALSE;
  *fixed = be32 (p);
  *n = be32 (p + 4);
  *table = p + 8;
  return *fixed != 0 || (stsz.size - stsz.head - 12) / 4 >= *n;
}

static inline guint32
packet_size (guint32 fixed, const guint8 * table, guint32 i)
{
  return fixed ? fixed : be32 (table + 4 * i);
}

/* The sample table of @stbl into @a: every packet's offset, size and
 * decode time.  NULL, or why not. */
static const gchar *
read_samples (const guint8 * data, const Box * stbl, guint64 file_size,
    BatchMp4Audio * a)
{
  Box stts, stsc, stco;
  const guint8 *p_stts, *p_sizes, *p_stsc, *p_stco;
  guint8 version;
  guint32 n_stts, n_stsc, n_chunks, fixed_size;
  gboolean wide_offsets;
  guint64 t = 0;
  guint i, j, sample = 0;

  if (!child (data, stbl, FOURCC ('s', 't', 't', 's'), &stts)
      || !child (data, stbl, FOURCC ('s', 't', 's', 'c'), &stsc))
    return "its sample table lacks stts or stsc";
  wide_offsets = !child (data, stbl, FOURCC ('s', 't', 'c', 'o'), &stco);
  if (wide_offsets && !child (data, stbl, FOURCC ('c', 'o', '6', '4'), &stco))
    return "its sample table has no chunk offsets";

  if (!packet_sizes (data, stbl, &fixed_size, &a->n, &p_sizes))
    return "its stsz is missing or cut short";
  if (a->n == 0 || a->n > MAX_PACKETS)
    return "it has no packets, or too many";
  /* packets of one size: as many as the file can hold, not as many as
   * the table says (the memory below follows the file) */
  if (fixed_size && a->n > file_size / fixed_size)
    return "its stsz counts more packets than the file holds";

  a->offsets = g_new (guint64, a->n);
  a->sizes = g_new (guint32, a->n);
  a->times = g_new (guint64, a->n + 1);
  for (i = 0; i < a->n; i++)
    a->sizes[i] = packet_size (fixed_size, p_sizes, i);

  /* decode times: runs of (count, delta) */
  if ((p_stts = payload (data, &stts, 4, &version)) == NULL)
    return "its stts is cut short";
  n_stts = be32 (p_stts);
  if ((stts.size - stts.head - 8) / 8 < n_stts)
    return "its stts is cut short";
  for (i = 0; i < n_stts; i++) {
    guint32 count = be32 (p_stts + 4 + 8 * i);
    guint32 delta = be32 (p_stts + 8 + 8 * i);

    for (j = 0; j < count && sample < a->n; j++) {
      a->times[sample++] = t;
      t += delta;
    }
  }
  if (sample != a->n)
    return "its stts does not time every packet";
  a->times[a->n] = t;

  /* offsets: chunks of runs given by stsc (first chunk, packets each) */
  if ((p_stsc = payload (data, &stsc, 4, &version)) == NULL
      || (p_stco = payload (data, &stco, 4, &version)) == NULL)
    return "its stsc or chunk offsets are cut short";
  n_stsc = be32 (p_stsc);
  n_chunks = be32 (p_stco);
  if ((stsc.size - stsc.head - 8) / 12 < n_stsc || n_stsc == 0
      || (stco.size - stco.head - 8) / (wide_offsets ? 8 : 4) < n_chunks)
    return "its stsc or chunk offsets are cut short";
  sample = 0;
  for (i = 0; i < n_stsc && sample < a->n; i++) {
    guint32 first = be32 (p_stsc + 4 + 12 * i);
    guint32 per_chunk = be32 (p_stsc + 8 + 12 * i);
    guint32 last = i + 1 < n_stsc ?
        be32 (p_stsc + 4 + 12 * (i + 1)) : n_chunks + 1;
    guint32 chunk;

    if (first == 0 || last <= first || last > n_chunks + 1 || per_chunk == 0)
      return "its stsc is inconsistent";
    for (chunk = first; chunk < last && sample < a->n; chunk++) {
      guint64 offset = wide_offsets ?
          be64 (p_stco + 4 + 8 * (chunk - 1)) :
          be32 (p_stco + 4 + 4 * (chunk - 1));

      for (j = 0; j < per_chunk && sample < a->n; j++) {
        if (offset > file_size || a->sizes[sample] > file_size - offset)
          return "a packet lies past the file's end";
        a->offsets[sample++] = offset;
        offset += a->sizes[sample - 1];
      }
    }
  }
  if (sample != a->n)
    return "its chunks do not hold every packet";
  return NULL;
}

/* Why the track in @trak is not one this file handles, or NULL. */
static const gchar *
read_track (const guint8 * data, const Box * trak, const Box * mdia,
    guint64 file_size, BatchMp4Audio * a)
{
  Box edts, elst, mdhd, minf, stbl, stsd;
  const guint8 *p;
  guint8 version;
  gint64 media_time;
  gboolean wide;
  guint32 codec;

  if (!child (data, trak, FOURCC ('e', 'd', 't', 's'), &edts)
      || !child (data, &edts, FOURCC ('e', 'l', 's', 't'), &elst)
      || (p = payload (data, &elst, 4, &version)) == NULL || version > 1)
    return "no edit list";
  if (be32 (p) != 1)
    return "an edit list of more than one edit";
  if (elst.size - elst.head - 8 < (version ? 20u : 12u))
    return "its edit list is cut short";
  if (version) {
    a->edit_duration = be64 (p + 4);
    media_time = (gint64) be64 (p + 12);
    p += 20;
  } else {
    a->edit_duration = be32 (p + 4);
    media_time = (gint32) be32 (p + 8);
    p += 12;
  }
  if (be32 (p) != 0x10000)
    return "its edit plays at another rate";
  /* No priming skipped: qtdemux and the muxer keep every packet. */
  if (media_time <= 0)
    return "no priming skipped";
  a->media_time = media_time;

  if (!child (data, mdia, FOURCC ('m', 'd', 'h', 'd'), &mdhd)
      || !header_scale (data, &mdhd, &a->media_scale, NULL, &wide)
      || !child (data, mdia, FOURCC ('m', 'i', 'n', 'f'), &minf)
      || !child (data, &minf, FOURCC ('s', 't', 'b', 'l'), &stbl)
      || !child (data, &stbl, FOURCC ('s', 't', 's', 'd'), &stsd)
      || (p = payload (data, &stsd, 12, &version)) == NULL)
    return "no media header or sample description";
  /* mp4a (AAC, or MP3 in MP4) and Opus: packets that qtdemux and the
   * parsers pass whole */
  codec = be32 (p + 8);
  if (codec != FOURCC ('m', 'p', '4', 'a') && codec != FOURCC ('O', 'p',
          'u', 's'))
    return "not AAC, MP3 or Opus";
  if (child (data, &stbl, FOURCC ('c', 't', 't', 's'), &stsd))
    return "composition offsets";
  return read_samples (data, &stbl, file_size, a);
}

void
batch_mp4_audio_free (BatchMp4Audio * audio)
{
  g_free (audio->offsets);
  g_free (audio->sizes);
  g_free (audio->times);
  g_free (audio);
}

/* tkhd's track ID, 0 if none. */
static guint32
track_id_of (const guint8 * data, const Box * trak)
{
  Box tkhd;
  guint8 version;
  const guint8 *p;

  if (!child (data, trak, FOURCC ('t', 'k', 'h', 'd'), &tkhd)
      || (p = payload (data, &tkhd, 20, &version)) == NULL || version > 1)
    return 0;
  return be32 (p + (version ? 16 : 8));
}

/**
 * batch_mp4_audio_read:
 * @path: the input
 *
 * Reads each audio track of the MP4 or MOV at @path whose one edit skips
 * priming (media time > 0): AAC, MP3 or Opus, as FFmpeg and phones write
 * them.  Worker thread.
 *
 * Returns: (transfer full) (nullable): those tracks (BatchMp4Audio), or
 * NULL if none (any other file, or tracks this reader does not take,
 * whose audio qtdemux copies as before).
 */
GPtrArray *
batch_mp4_audio_read (const gchar * path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) stream = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *data = NULL;
  GPtrArray *tracks = NULL;
  const gchar *why = NULL;
  guint64 file_size, moov_pos;
  guint32 movie_scale;
  Box moov, mvhd, box, mdia;
  gsize pos;
  gboolean wide;

  if ((file_size = file_size_of (file, &error)) == 0
      || (stream = g_file_read (file, NULL, &error)) == NULL
      || (data = read_moov (G_INPUT_STREAM (stream), file_size, &moov_pos,
              &moov, &why, &error)) == NULL)
    goto not_taken;
  if (child (data, &moov, FOURCC ('m', 'v', 'e', 'x'), &box)) {
    why = "fragmented";
    goto not_taken;
  }
  if (!child (data, &moov, FOURCC ('m', 'v', 'h', 'd'), &mvhd)
      || !header_scale (data, &mvhd, &movie_scale, NULL, &wide)) {
    why = "no movie header";
    goto not_taken;
  }
  for (pos = moov.head; box_at (data, pos, moov.size, &box); pos += box.size) {
    BatchMp4Audio *audio;

    if (box.type != FOURCC ('t', 'r', 'a', 'k') || !is_sound (data, &box,
            &mdia))
      continue;
    audio = g_new0 (BatchMp4Audio, 1);
    audio->movie_scale = movie_scale;
    audio->track_id = track_id_of (data, &box);
    why = audio->track_id ? read_track (data, &box, &mdia, file_size,
        audio) : "no track ID";
    if (why) {
      GST_DEBUG ("%s: audio track %u left to qtdemux: %s", path,
          audio->track_id, why);
      batch_mp4_audio_free (audio);
      continue;
    }
    GST_INFO ("%s: audio track %u read from the file (%u packets, priming %"
        G_GUINT64_FORMAT " of %u a second)", path, audio->track_id,
        audio->n, audio->media_time, audio->media_scale);
    if (tracks == NULL)
      tracks = g_ptr_array_new_with_free_func ((GDestroyNotify)
          batch_mp4_audio_free);
    g_ptr_array_add (tracks, audio);
  }
  return tracks;

not_taken:
  GST_DEBUG ("%s: audio left to qtdemux: %s", path, error ? error->message :
      why);
  return NULL;
}

/* Whether the output track @mdia holds @a's packets: as many, each of
 * the same size (the muxer got them byte for byte). */
static gboolean
same_packets (const guint8 * data, const Box * mdia, const BatchMp4Audio * a)
{
  Box minf, stbl;
  const guint8 *table;
  guint32 fixed, n, i;

  if (!child (data, mdia, FOURCC ('m', 'i', 'n', 'f'), &minf)
      || !child (data, &minf, FOURCC ('s', 't', 'b', 'l'), &stbl)
      || !packet_sizes (data, &stbl, &fixed, &n, &table) || n != a->n)
    return FALSE;
  for (i = 0; i < n; i++)
    if (packet_size (fixed, table, i) != a->sizes[i])
      return FALSE;
  return TRUE;
}

/* @a's edit in the output track @trak (@data: the output's moov):
 * @elst gets the box, from the output's empty edits (a late start) and
 * one edit of @a's length that skips @a's priming; @total, their length. */
static gboolean
make_elst (const guint8 * data, const Box * trak, const Box * mdia,
    guint32 movie_scale, const BatchMp4Audio * a, GByteArray * elst,
    guint64 * total)
{
  Box edts, old, mdhd;
  guint32 media_scale;
  guint64 duration, empty = 0;
  gint64 media_time, base = 0;
  gboolean wide, have_base = FALSE;
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint8 version, head[16];
  guint i;

  if (!child (data, mdia, FOURCC ('m', 'd', 'h', 'd'), &mdhd)
      || !header_scale (data, &mdhd, &media_scale, NULL, &wide)) {
    g_array_unref (entries);
    return FALSE;
  }
  /* the muxer's edits: empty ones kept, the media one's start added */
  if (child (data, trak, FOURCC ('e', 'd', 't', 's'), &edts)
      && child (data, &edts, FOURCC ('e', 'l', 's', 't'), &old)) {
    const guint8 *p = payload (data, &old, 4, &version);
    guint32 n = p ? be32 (p) : 0;
    gsize each = version ? 20 : 12;

    if (p == NULL || version > 1 || (old.size - old.head - 8) / each < n) {
      g_array_unref (entries);
      return FALSE;
    }
    for (i = 0; i < n; i++) {
      const guint8 *e = p + 4 + each * i;
      guint64 d = version ? be64 (e) : be32 (e);
      gint64 m = version ? (gint64) be64 (e + 8) : (gint32) be32 (e + 4);

      if (m == -1) {
        gint64 pair[2] = { d, -1 };
        g_array_append_vals (entries, pair, 2);
        empty += d;
      } else if (!have_base) {
        base = m;
        have_base = TRUE;
      }
    }
  }
  duration = gst_util_uint64_scale_round (a->edit_duration, movie_scale,
      a->movie_scale);
  media_time = base + (gint64) gst_util_uint64_scale_round (a->media_time,
      media_scale, a->media_scale);
  {
    gint64 pair[2] = { duration, media_time };
    g_array_append_vals (entries, pair, 2);
  }
  *total = empty + duration;

  /* version 1 only where version 0's fields cannot hold the values */
  version = *total > G_MAXUINT32 || media_time > G_MAXINT32;
  put_be32 (head, 16 + (entries->len / 2) * (version ? 20 : 12));
  put_be32 (head + 4, FOURCC ('e', 'l', 's', 't'));
  put_be32 (head + 8, (guint32) version << 24);
  put_be32 (head + 12, entries->len / 2);
  g_byte_array_append (elst, head, 16);
  for (i = 0; i < entries->len; i += 2) {
    guint64 d = g_array_index (entries, gint64, i);
    gint64 m = g_array_index (entries, gint64, i + 1);
    guint8 e[20];

    if (version) {
      put_be64 (e, d);
      put_be64 (e + 8, (guint64) m);
      put_be32 (e + 16, 0x10000);
    } else {
      put_be32 (e, (guint32) d);
      put_be32 (e + 4, (guint32) m);
      put_be32 (e + 8, 0x10000);
    }
    g_byte_array_append (elst, e, version ? 20 : 12);
  }
  g_array_unref (entries);
  return TRUE;
}

/* Appends @trak (a box of @data) to @out with @elst as its edts, in
 * place of the muxer's or after the tkhd, and @total as its tkhd's
 * duration. */
static gboolean
append_trak (GByteArray * out, const guint8 * data, const Box * trak,
    const GByteArray * elst, guint64 total)
{
  gsize start = out->len, pos, at;
  guint8 head[8];
  gboolean wide, done = FALSE;
  Box box;

  g_byte_array_append (out, data + trak->pos, 8);
  for (pos = trak->pos + trak->head; box_at (data, pos, trak->pos +
          trak->size, &box); pos += box.size) {
    if (box.type == FOURCC ('e', 'd', 't', 's'))
      continue;
    g_byte_array_append (out, data + box.pos, box.size);
    if (box.type == FOURCC ('t', 'k', 'h', 'd') && !done) {
      Box tkhd = box;

      tkhd.pos = out->len - box.size;
      if (!track_duration_at (out->data, &tkhd, &at, &wide))
        return FALSE;
      write_uint (out->data, at, wide, total);
      put_be32 (head, 8 + elst->len);
      put_be32 (head + 4, FOURCC ('e', 'd', 't', 's'));
      g_byte_array_append (out, head, 8);
      g_byte_array_append (out, elst->data, elst->len);
      done = TRUE;
    }
  }
  put_be32 (out->data + start, out->len - start);
  return done && pos == trak->pos + trak->size;
}

/**
 * batch_mp4_audio_write_edits:
 * @path: the muxed output (mp4mux or qtmux, its moov after its media)
 * @tracks: (element-type BatchMp4Audio): the input's tracks
 *   (batch_mp4_audio_read ()) whose packets the muxer got
 * @error: why not
 *
 * Writes each track's edit into the output's audio track that holds its
 * packets, which the muxer got from the media's start: the track then
 * skips the priming and ends where the input's does.  Their tkhds'
 * durations and the mvhd's follow.  Worker thread, on the temporary
 * file.
 */
gboolean
batch_mp4_audio_write_edits (const gchar * path, GPtrArray * tracks,
    GError ** error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileIOStream) io = NULL;
  g_autofree guint8 *data = NULL;
  g_autofree guint8 *tail = NULL;
  g_autofree gboolean *used = g_new0 (gboolean, tracks->len + 1);
  guint64 tail_size;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  const gchar *why = NULL;
  guint64 file_size, moov_pos, longest = 0;
  guint32 movie_scale;
  Box moov, mvhd, box, mdia, tkhd;
  gsize pos, at, mvhd_at, written;
  guint i, found = 0;
  gboolean wide, mvhd_wide;

  if ((file_size = file_size_of (file, error)) == 0) {
    if (error && *error == NULL)
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
          "cannot write its audio's edit list: the muxer wrote nothing");
    return FALSE;
  }
  if ((io = g_file_open_readwrite (file, NULL, error)) == NULL)
    return FALSE;
  data = read_moov (g_io_stream_get_input_stream (G_IO_STREAM (io)),
      file_size, &moov_pos, &moov, &why, error);
  if (data == NULL) {
    if (error && *error == NULL)
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
          "cannot write its audio's edit list: %s", why);
    return FALSE;
  }
  /* what follows the moov (mp4mux's XMP box) moves with it: no media
   * data, which would move its chunks */
  tail_size = file_size - moov_pos - moov.size;
  pos = 0;
  if (tail_size <= MAX_TAIL) {
    gsize got = 0;

    tail = g_malloc (tail_size + 1);
    if (!g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM
                (io)), tail, tail_size, &got, NULL, error))
      return FALSE;
    for (pos = 0; got == tail_size && box_at (tail, pos, tail_size, &box)
        && box.type != FOURCC ('m', 'd', 'a', 't'); pos += box.size);
  }
  if (moov.head != 8 || tail == NULL || pos != tail_size
      || !child (data, &moov, FOURCC ('m', 'v', 'h', 'd'), &mvhd)
      || !header_scale (data, &mvhd, &movie_scale, NULL, &mvhd_wide)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
        "cannot write its audio's edit list: the muxer's moov is not after "
        "its media");
    return FALSE;
  }

  /* the moov again, each audio track holding a read track's packets with
   * that track's edit */
  g_byte_array_append (out, data, moov.head);
  for (pos = moov.head; box_at (data, pos, moov.size, &box); pos += box.size) {
    const BatchMp4Audio *a = NULL;
    g_autoptr (GByteArray) elst = NULL;
    guint64 total = 0;

    if (box.type == FOURCC ('t', 'r', 'a', 'k') && box.head == 8
        && is_sound (data, &box, &mdia))
      for (i = 0; i < tracks->len && a == NULL; i++)
        if (!used[i] && same_packets (data, &mdia, g_ptr_array_index (tracks,
                    i))) {
          a = g_ptr_array_index (tracks, i);
          used[i] = TRUE;
        }
    if (a == NULL) {
      g_byte_array_append (out, data + box.pos, box.size);
      continue;
    }
    elst = g_byte_array_new ();
    if (!make_elst (data, &box, &mdia, movie_scale, a, elst, &total)
        || !append_trak (out, data, &box, elst, total)) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
          "cannot write its audio's edit list: the muxer's audio track is "
          "malformed");
      return FALSE;
    }
    found++;
  }
  if (pos != moov.size || found != tracks->len) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
        "cannot write its audio's edit list: %u of its %u read audio tracks "
        "found in the output", found, tracks->len);
    return FALSE;
  }
  put_be32 (out->data, out->len);

  /* the movie lasts as long as its longest track */
  if (!box_at (out->data, 0, out->len, &moov)
      || !child (out->data, &moov, FOURCC ('m', 'v', 'h', 'd'), &mvhd)
      || !header_scale (out->data, &mvhd, &movie_scale, &mvhd_at, &mvhd_wide)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
        "cannot write its audio's edit list");
    return FALSE;
  }
  for (pos = moov.head; box_at (out->data, pos, out->len, &box);
      pos += box.size)
    if (box.type == FOURCC ('t', 'r', 'a', 'k')
        && child (out->data, &box, FOURCC ('t', 'k', 'h', 'd'), &tkhd)
        && track_duration_at (out->data, &tkhd, &at, &wide))
      longest = MAX (longest, read_uint (out->data, at, wide));
  write_uint (out->data, mvhd_at, mvhd_wide, longest);
  g_byte_array_append (out, tail, tail_size);

  if (!g_seekable_seek (G_SEEKABLE (io), moov_pos, G_SEEK_SET, NULL, error)
      || !g_output_stream_write_all (g_io_stream_get_output_stream
          (G_IO_STREAM (io)), out->data, out->len, &written, NULL, error)
      || !g_seekable_truncate (G_SEEKABLE (io), moov_pos + out->len, NULL,
          error)
      || !g_io_stream_close (G_IO_STREAM (io), NULL, error))
    return FALSE;
  GST_INFO ("%s: the edits of %u audio tracks written", path, found);
  return TRUE;
}
