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

/* One worker's pipelines and what it does to one picture: the script's
 * steps (resize to the output height, JPEG round trip for colour
 * pictures, watermark at the top-left, save under the same name) with
 * stock elements and npywatermark.  A worker keeps one pipeline per kind
 * of picture (decoder, round trip or not, encoder) and reuses it from
 * picture to picture, going through READY in between. */

#ifndef __BATCH_WORKER_H__
#define __BATCH_WORKER_H__

#include <gst/gst.h>

#include "files.h"
#include "settings.h"

G_BEGIN_DECLS

typedef struct
{
  GBytes *npy_data;             /* the .npy file, read once for the run */
  gdouble opacity;              /* 0..1 */
  gint quality;                 /* the round trip's JPEG quality */
  gint output_height;
  gint output_quality;          /* JPEG outputs */
  gboolean auto_orient;
  gboolean strip_metadata;      /* else EXIF, ICC and text are carried */
  gint position;                /* npywatermark's "position" */
  BatchMargin margin;             /* both offsets, per picture */
  gdouble size;                 /* npywatermark's "size" (a fraction) */
  gboolean tile;
  gint tile_spacing;
  guint file_mode;              /* permissions of new outputs */
  gint video_crf;               /* videos: x264/x265 CRF, 0..51 */
  const gchar *video_preset;    /* videos: x264 preset name */
  guint64 max_pixels;           /* larger pictures are refused */
} BatchWorkerSettings;

/* What a picture was and became, for the report; 0 where not known. */
typedef struct
{
  guint in_width, in_height;    /* as stored */
  guint out_width, out_height;
} BatchWorkerResult;

typedef struct _BatchWorker BatchWorker;

/* @settings must outlive the worker. */
BatchWorker *batch_worker_new (const BatchWorkerSettings * settings);

/* Writes @picture's output (through a temporary file in the same folder,
 * renamed when complete).  On failure nothing is left behind and @error
 * says why, for people. */
gboolean batch_worker_process (BatchWorker * worker, const BatchPicture * picture,
    BatchWorkerResult * result, GError ** error);

/* What batch_worker_process () would do, short of decoding: reads and
 * probes @picture, fills @result's sizes, FALSE with @error for what would
 * fail before a pipeline ran.  Writes nothing (the dry run). */
gboolean batch_worker_check (const BatchWorkerSettings * settings,
    const BatchPicture * picture, BatchWorkerResult * result, GError ** error);

void batch_worker_free (BatchWorker * worker);

G_END_DECLS

#endif /* __BATCH_WORKER_H__ */
