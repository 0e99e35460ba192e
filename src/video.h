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

/* Video files (--videos): .mp4 .mov .m4v .mkv .webm .avi in, the same
 * container out.  The file is demuxed and parsed (parsebin); audio and
 * subtitle streams go to the muxer packet for packet, never decoded; the
 * video is decoded, turned upright (videoflip, the container's rotation),
 * scaled to the output height, watermarked like a still and encoded again
 * in its own codec family at a constant quality:
 *
 *   filesrc ! parsebin ! queue ! DECODER ! videoconvert ! videoflip !
 *     videoscale ! capsfilter ! npywatermark ! videoconvert ! capsfilter !
 *     ENCODER ! PARSER ! queue ! MUXER ! filesink (temporary name)
 *   parsebin ! queue ! MUXER       (each audio and subtitle stream)
 *   appsrc ! queue ! MUXER         (AAC whose MP4/MOV edit skips its
 *                                   priming, read from the file: mp4edit.h;
 *                                   parsebin's pad ! fakesink paces it)
 *
 * Every queue is limited in time only, so that a muxer waiting for one
 * stream while the encoder holds its look-ahead never starves. */

#ifndef __BATCH_VIDEO_H__
#define __BATCH_VIDEO_H__

#include <signal.h>
#include <gst/gst.h>

#include "files.h"
#include "worker.h"

G_BEGIN_DECLS

/* --video-crf's range and default (x264/x265's CRF scale) and
 * --video-preset's default. */
#define BATCH_VIDEO_CRF_MIN 0
#define BATCH_VIDEO_CRF_MAX 51
#define BATCH_VIDEO_CRF_DEFAULT 20
#define BATCH_VIDEO_PRESET_DEFAULT "medium"

/* TRUE for x264's preset names, ultrafast .. veryslow. */
gboolean batch_video_preset_valid (const gchar * name);

/* TRUE when @name ends in one of the video extensions, any case. */
gboolean batch_video_has_video_name (const gchar * name);

/* Takes the video files of @pictures, which files.c lists as not
 * supported: each gets its output path (same name under @output_folder)
 * and is marked as a video.  Returns how many. */
guint batch_video_claim (GPtrArray * pictures, const gchar * output_folder);

/* The output @video has already, for --skip-existing: its own name, or
 * for a WebM the MP4 it is written as when its video has to become
 * H.264.  NULL when there is none. */
gchar *batch_video_existing_output (const BatchPicture * video);

/* What a video was and became, for the report and the dry run. */
typedef struct
{
  gchar *codec_in;              /* "H.264", NULL if not known */
  gchar *codec_out;
  gchar *encoder;               /* the element: "x264enc" */
  gchar *container;             /* the muxer: "mp4mux" */
  gchar *output_path;           /* the video's own when not NULL: a WebM
                                 * whose video had to become H.264 is
                                 * written as MP4 */
  guint in_width, in_height;    /* as stored */
  guint out_width, out_height;
  guint audio_streams, subtitle_streams;
  guint64 frames;               /* written */
  guint64 expected_frames;      /* from the container: duration x rate */
  GstClockTime duration;        /* the container's, or NONE */
  guint bit_depth;              /* of the output */
} BatchVideoResult;

void batch_video_result_clear (BatchVideoResult * result);

/* Progress shared with the run: frames written and frames expected by
 * the videos in hand, added to atomically. */
typedef struct
{
  gint frames_done;
  gint frames_total;
} BatchVideoProgress;

/* Writes @video's output through a temporary file in the same folder,
 * renamed when complete.  Stops when *@cancel becomes non-zero (a
 * signal): then nothing is left behind and @error is
 * G_IO_ERROR_CANCELLED.  On failure nothing is left either and @error
 * says why, for people. */
gboolean batch_video_process (const BatchWorkerSettings * settings,
    const BatchPicture * video, BatchVideoResult * result,
    BatchVideoProgress * progress, const volatile sig_atomic_t * cancel,
    GError ** error);

/* What batch_video_process () would do: demuxes the headers only, fills
 * @result (codecs, sizes, duration, streams); FALSE with @error for what
 * would fail before encoding.  Writes nothing. */
gboolean batch_video_check (const BatchWorkerSettings * settings,
    const BatchPicture * video, BatchVideoResult * result, GError ** error);

G_END_DECLS

#endif /* __BATCH_VIDEO_H__ */
