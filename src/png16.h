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

/* 16-bit PNGs of the colour types GStreamer 1.22 gets wrong or cannot
 * write: RGB (2), gray + alpha (4) and RGBA (6), read and written with
 * libpng.  pngdec puts their samples one sample late (an opaque RGB
 * picture comes out red, the alpha of the others one pixel to the right;
 * tests/batch/test_png16.py measures it) and pngenc takes no 16-bit
 * format but GRAY16_BE.  16-bit gray (0) is right in both and goes
 * through them.  Frames are RGBA64_LE, what npywatermark blends. */

#ifndef __BATCH_PNG16_H__
#define __BATCH_PNG16_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define BATCH_PNG16_ERROR (batch_png16_error_quark ())
GQuark batch_png16_error_quark (void);

typedef enum
{
  BATCH_PNG16_ERROR_CORRUPT,      /* libpng refused the data */
  BATCH_PNG16_ERROR_TOO_LARGE     /* the frame's size overflows */
} BatchPng16Error;

/* Whether a PNG of this IHDR bit depth and colour type is read and
 * written here rather than by pngdec and pngenc. */
gboolean batch_png16_handles (guint depth, guint colour_type);

/* Decodes @data into a new RGBA64_LE frame described by @info (gray
 * repeated in R, G and B; RGB opaque), turned as EXIF @orientation
 * (1..8) says, as videoflip would. */
GstBuffer *batch_png16_read (const guint8 * data, gsize size,
    guint orientation, GstVideoInfo * info, GError ** error);

/* Encodes @frame (RGBA64_LE, @info) as a 16-bit PNG of @colour_type
 * (2, 4 or 6): RGB drops the alpha, gray + alpha takes BT.601 luma
 * (the picture's own gray, where nothing was drawn, exactly). */
GstBuffer *batch_png16_write (GstBuffer * frame, const GstVideoInfo * info,
    guint colour_type, GError ** error);

G_END_DECLS

#endif /* __BATCH_PNG16_H__ */
