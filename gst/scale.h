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


/* Resizing the watermark once, at prepare time: a separable convolution
 * on premultiplied colour (so soft edges get no dark or bright fringes),
 * with Pillow's bicubic kernel (a = -0.5), widened by the reduction
 * factor when shrinking so that it averages every source pixel, as
 * Pillow's Image.resize does.  A reduction of 4x or more starts with a
 * box average by a whole factor (as Pillow's reducing_gap = 2), so it
 * costs one pass over the source pixels the region covers. */

#ifndef __NPW_SCALE_H__
#define __NPW_SCALE_H__

#include "npy.h"

G_BEGIN_DECLS

/* Writes the region [@x0, @x1) x [@y0, @y1) of @src resized to @w x @h
 * into @dst (straight-alpha RGBA, @dst_stride bytes per row).  Costs
 * memory in proportion to the region's width times the filter's height,
 * never to the whole source or result.  FALSE when memory cannot be had. */
gboolean npw_scale_region (const NpyImage * src, gint w, gint h, gint x0,
    gint x1, gint y0, gint y1, guint8 * dst, gsize dst_stride);

/* The same from an 8- or 16-bit @src into @depth (8 or 16) bits per
 * channel: 16-bit RGBA when @depth is 16, @dst_stride still in bytes. */
gboolean npw_scale_region_full (const NpyImage * src, gint w, gint h,
    gint x0, gint x1, gint y0, gint y1, gpointer dst, gsize dst_stride,
    guint depth);

G_END_DECLS

#endif /* __NPW_SCALE_H__ */
