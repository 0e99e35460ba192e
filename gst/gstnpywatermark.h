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

struct _GstNpyWatermark
{
  GstVideoFilter parent;

  /*< private >*/
  /* properties, with LOCK */
  gchar *location;
  gdouble opacity;
  gint offset_x;
  gint offset_y;
  guint max_size;

  /* loading, with LOCK */
  gboolean started;             /* between start () and stop () */
  guint load_serial;            /* bumped by every change of location */
  gboolean load_done;           /* a finished load waits for a frame */
  NpyImage *load_image;         /* its result: the image (NULL: none) */
  NpwOverlay *load_overlay;     /* prepared for load_info, or NULL */
  GstVideoInfo load_info;
  GError *load_error;           /* or why it failed */
  gchar *load_location;         /* the file it read */
  GstVideoInfo info;            /* negotiated caps, for the loader */
  gboolean have_info;

  /* file reads while PLAYING, off the streaming thread */
  GThreadPool *loader;

  /* streaming thread only (and start/stop, when it is not running) */
  NpyImage *image;              /* kept across stop/start, see below */
  gchar *image_location;        /* what start () read it from, with */
  gint64 image_mtime;           /* the file's time and size then and */
  goffset image_size;
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
