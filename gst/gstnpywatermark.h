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


#ifndef __GST_NPY_WATERMARK_H__
#define __GST_NPY_WATERMARK_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

#include "npy.h"
#include "overlay.h"

G_BEGIN_DECLS

#define GST_TYPE_NPY_WATERMARK (gst_npy_watermark_get_type ())
G_DECLARE_FINAL_TYPE (GstNpyWatermark, gst_npy_watermark, GST, NPY_WATERMARK,
    GstVideoFilter)

/* What a background read of a new location produced. */
typedef struct
{
  gboolean done;                /* set when the read finished */
  NpyImage *image;              /* the image (NULL: none, or failed) */
  NpwOverlay *overlay;          /* prepared for info, or NULL */
  GstVideoInfo info;
  GError *error;                /* why it failed */
  gchar *location;              /* the file it read */
} GstNpyWatermarkLoad;

struct _GstNpyWatermark
{
  GstVideoFilter parent;

  /*< private >*/
  /* properties, with LOCK */
  gchar *location;
  GBytes *data;                 /* a .npy held in memory: wins over location */
  gdouble opacity;
  gint offset_x;
  gint offset_y;
  guint max_size;

  /* loading, with LOCK */
  gboolean started;             /* between a successful start () and stop () */
  guint load_serial;            /* bumped by every change of location */
  GstNpyWatermarkLoad load;     /* a finished read, waiting for a frame */
  GstVideoInfo info;            /* negotiated caps, for the loader */
  gboolean have_info;

  /* file reads while PLAYING, off the streaming thread */
  GThreadPool *loader;

  /* streaming thread only (and start/stop, when it is not running) */
  NpyImage *image;              /* kept across stop/start, see below */
  GBytes *image_data;           /* or the data it was parsed from */
  gchar *image_location;        /* what start () read it from, with */
  gchar *image_stamp;           /* the file's identity, size and times then */
  guint image_max_size;         /* the limit it passed */
  NpwOverlay *overlay;          /* image prepared for the negotiated caps */
  gboolean draw;                /* this buffer gets the overlay */
  guint frame_op;               /* values for this buffer, read once */
  gint frame_x;
  gint frame_y;
};

GST_ELEMENT_REGISTER_DECLARE (npywatermark);

G_END_DECLS

#endif /* __GST_NPY_WATERMARK_H__ */
