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

/* JPEGs decoded at a fraction of their size.  Decoding the full-size
 * picture was two thirds of the batch's time, and the scaler then threw
 * most of those pixels away: a 24-Mpixel photo made 1080 lines high
 * keeps one pixel in ten.  libjpeg-turbo can run its inverse DCT at N/8
 * of the block size, which writes a fraction of the pixels (the entropy
 * decoding, most of the cost, stays); jpegdec (1.22) cannot ask for it.
 * The picture is decoded at 1/2, 1/4 or 1/8 when that still leaves the
 * scaler something to shrink (never to enlarge), with jpegdec's IDCT
 * (islow) and the raw planes jpegdec gives, so the scaler and everything
 * after it see the picture they saw before, only smaller: less to
 * write, to fault in and to scale. */

#ifndef __BATCH_JPEG_SCALED_H__
#define __BATCH_JPEG_SCALED_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS
/* The scale, in eighths, at which a JPEG of @rows rows is decoded to be
 * scaled to @needed rows: the smallest of 1, 2 and 4 whose rows are
 * still at least @needed; 8 (full size) when none is. */
    guint batch_jpeg_scaled_eighths (guint rows, guint needed);

/* Decodes @data at @eighths / 8 of its size into a new frame described
 * by @info: I420 as jpegdec gives it (JPEG's full-range BT.601, chroma
 * site "jpeg") for YCbCr 4:2:0, GRAY8 for gray.  NULL for any other
 * layout, and whenever libjpeg had anything to say about the data (an
 * error or a warning): jpegdec then decodes the picture as before, and
 * reports what is wrong with it in its words. */
GstBuffer *batch_jpeg_scaled_decode (const guint8 * data, gsize size,
    guint eighths, GstVideoInfo * info);

G_END_DECLS
#endif /* __BATCH_JPEG_SCALED_H__ */
