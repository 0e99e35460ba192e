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

/* A picture's metadata, carried from the input file to the output file
 * as bytes: the EXIF block (every tag, maker notes included), the ICC
 * profile, XMP, JPEG's IPTC (Photoshop APP13) and PNG text chunks.  GStreamer 1.22's stock pieces carry
 * only the EXIF tags its tag list knows (jpegparse -> GstTagList ->
 * jifmux) and no ICC profile at all, so these are read from the input
 * file (headers only, never the pixels) and spliced into the encoder's
 * output buffer (header only: the compressed picture is shared, not
 * copied).  Every read is bounds-checked; a part that does not parse is
 * dropped, never trusted. */

#ifndef __BATCH_METADATA_H__
#define __BATCH_METADATA_H__

#include <gst/gst.h>

#include "probe.h"

G_BEGIN_DECLS

/* Larger profiles are dropped (JPEG's own limit is 255 APP2 segments,
 * 16 MiB; real profiles are a few kB to a few MB). */
#define BATCH_ICC_MAX (8 * 1024 * 1024)
/* PNG text chunks kept, in number and in bytes. */
#define BATCH_TEXT_MAX_CHUNKS 256
#define BATCH_TEXT_MAX_BYTES (4 * 1024 * 1024)

typedef struct
{
  GBytes *exif;                 /* TIFF structure ("II*\0" ...), or NULL */
  GBytes *icc;                  /* a validated ICC profile, or NULL */
  gchar icc_space[5];           /* its colour space: "RGB ", "GRAY", ... */
  GBytes *xmp;                  /* the XMP packet, or NULL */
  GBytes *iptc;                 /* JPEG APP13 "Photoshop 3.0" payload */
  GPtrArray *text;              /* GBytes: PNG chunk type (4) + data */
  guint width, height;          /* the output's, set by _fit () */
} BatchMetadata;

/* Reads what @data (a picture of @format) carries.  Never fails: parts
 * that do not parse are left out. */
void batch_metadata_read (BatchMetadata * md, const guint8 * data, gsize size,
    BatchPictureFormat format);

void batch_metadata_clear (BatchMetadata * md);

/* Makes @md fit an output of @width x @height: the orientation set to
 * 1 if @oriented (EXIF, and XMP wherever it is: JPEG APP1, PNG iTXt,
 * WebP XMP), PixelXDimension and PixelYDimension updated, and the EXIF
 * thumbnail (an unwatermarked copy of the photo) removed.  An ICC
 * profile whose colour space is not @space ("RGB " or "GRAY") is
 * dropped. */
void batch_metadata_fit (BatchMetadata * md, gboolean oriented, guint width,
    guint height, const gchar * space);

/* @encoded with @md's parts inserted after the encoder's own header
 * segments; @encoded itself if there is nothing to add or it does not
 * look like the format's output.  Takes @encoded. */
GstBuffer *batch_metadata_insert_jpeg (const BatchMetadata * md,
    GstBuffer * encoded);
GstBuffer *batch_metadata_insert_png (const BatchMetadata * md,
    GstBuffer * encoded);
GstBuffer *batch_metadata_insert_webp (const BatchMetadata * md,
    GstBuffer * encoded);

G_END_DECLS

#endif /* __BATCH_METADATA_H__ */
