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


/* Reference blends for the tests, written from the documented formulas
 * and GStreamer's own description of each format, independently of
 * gst/overlay.c and gst/blend.c. */

#ifndef __REFERENCE_H__
#define __REFERENCE_H__

#include <gst/video/video.h>

G_BEGIN_DECLS

typedef struct
{
  gint width, height;
  guint8 *rgba;                 /* straight alpha, row-major */
} RefImage;

/* Blends @image at (@x, @y) with @opacity into the frame @data laid out
 * as @info, in place.  RGB family: the exact integer formula.  YUV and
 * gray: converted to RGB in floating point, blended there, converted
 * back with the caps' matrix and range, chroma averaged over the luma
 * positions each sample covers. */
void ref_blend (const GstVideoInfo * info, guint8 * data,
    const RefImage * image, gint x, gint y, gdouble opacity);

/* Largest absolute difference between two frames' meaningful bytes. */
gint ref_max_diff (const GstVideoInfo * info, const guint8 * a,
    const guint8 * b);

G_END_DECLS

#endif
