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

/* An MP4 or MOV audio track whose edit list trims its media: the
 * encoder's priming at the start (AAC: 1024 or 2112 samples) and its
 * padding at the end, as FFmpeg and phones write every AAC track.
 * GStreamer 1.22 cannot copy such a track whole: qtdemux never outputs
 * the packet the edit ends inside, and mp4mux and qtmux drop the packet
 * before the edit's start and write no edit that skips the priming.  So
 * the batch (video.c) reads the track's packets from the file itself, in
 * step with qtdemux, gives them to the muxer from the media's start, and
 * writes the input's edit into the output's moov afterwards. */

#ifndef __BATCH_MP4EDIT_H__
#define __BATCH_MP4EDIT_H__

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  guint32 track_id;             /* the input's tkhd */
  guint32 movie_scale;          /* the input's mvhd */
  guint32 media_scale;          /* the track's mdhd */
  guint64 edit_duration;        /* the one edit, in movie_scale */
  guint64 media_time;           /* where it starts, in media_scale */
  guint n;                      /* packets; 0: no such track */
  guint64 *offsets;             /* n: where each is in the file */
  guint32 *sizes;               /* n */
  guint64 *times;               /* n + 1: decode times, media_scale; the
                                 * last is the media's end */
} BatchMp4Audio;

GPtrArray *batch_mp4_audio_read (const gchar * path);

void batch_mp4_audio_free (BatchMp4Audio * audio);

gboolean batch_mp4_audio_write_edits (const gchar * path, GPtrArray * tracks,
    GError ** error);

G_END_DECLS

#endif /* __BATCH_MP4EDIT_H__ */
