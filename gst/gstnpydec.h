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

#ifndef __GST_NPY_DEC_H__
#define __GST_NPY_DEC_H__

#include <gst/gst.h>
#include <gst/base/gstadapter.h>
#include <gst/video/video.h>

#include "npy.h"

G_BEGIN_DECLS

#define GST_TYPE_NPY_DEC (gst_npy_dec_get_type ())
G_DECLARE_FINAL_TYPE (GstNpyDec, gst_npy_dec, GST, NPY_DEC, GstElement)

struct _GstNpyDec
{
  GstElement parent;

  /*< private >*/
  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties, with LOCK */
  gint fps_n, fps_d;
  guint max_size;
  guint64 max_bytes;
  GstClockTime duration;        /* of a stack once read, else NONE */
  gboolean seekable;            /* an array is read */

  /* collecting the file (the sink pad's streaming thread) */
  GstAdapter *adapter;          /* the first bytes, until the header is known */
  guint8 *raw;                  /* then the whole file */
  gsize raw_size, raw_len;      /* bytes it needs, bytes it has */
  gint failed;                  /* an error was posted: the rest is dropped
                                 * (atomic: seeks read it) */

  /* the array and playing it (with the source pad's STREAM_LOCK) */
  NpyImage *image;
  gboolean stack;               /* a 4-D array: frames at fps */
  gint out_fps_n, out_fps_d;    /* fps when the array was read */
  GstVideoInfo info;
  GstSegment segment;           /* written with the STREAM_LOCK and LOCK */
  guint64 frame;                /* the next frame to push */
  gboolean started;             /* stream-start and caps sent */
  gboolean need_segment;
  gboolean discont;             /* the next frame follows a new segment */
  guint32 seqnum;               /* of the seek (or the first segment) */
  gchar *stream_id;             /* upstream's, in push mode */
};

GST_ELEMENT_REGISTER_DECLARE (npydec);

G_END_DECLS

#endif /* __GST_NPY_DEC_H__ */
