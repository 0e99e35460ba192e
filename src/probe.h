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

/* What a picture is before it is decoded: JPEG, PNG, WebP, TIFF, BMP or
 * GIF (by content, as PIL's Image.open), its size, its colour kind (which decides the JPEG
 * round trip, as the script's "mode") and its EXIF orientation.  Also
 * refuses what the decoders would get wrong quietly: jpegdec decodes a
 * truncated JPEG without a word, PIL raised an error. */

#ifndef __BATCH_PROBE_H__
#define __BATCH_PROBE_H__

#include <glib.h>

G_BEGIN_DECLS

#define BATCH_PROBE_ERROR (batch_probe_error_quark ())
GQuark batch_probe_error_quark (void);

typedef enum
{
  BATCH_PROBE_ERROR_UNKNOWN_FORMAT,       /* none of BatchPictureFormat */
  BATCH_PROBE_ERROR_TRUNCATED,    /* ends before the image does */
  BATCH_PROBE_ERROR_CORRUPT,      /* malformed structure */
  BATCH_PROBE_ERROR_UNSUPPORTED   /* CMYK, 12-bit, ... */
} BatchProbeError;

typedef enum
{
  BATCH_PICTURE_JPEG,
  BATCH_PICTURE_PNG,
  BATCH_PICTURE_WEBP,
  /* decoded by gdkpixbufdec, written as PNG */
  BATCH_PICTURE_TIFF,
  BATCH_PICTURE_BMP,
  BATCH_PICTURE_GIF
} BatchPictureFormat;

/* PIL's modes, grouped by what the script did with them. */
typedef enum
{
  BATCH_COLOUR_RGB,               /* "RGB": the lossy JPEG round trip */
  BATCH_COLOUR_GRAY,              /* "L", "I": lossless */
  BATCH_COLOUR_ALPHA,             /* "RGBA", "LA": lossless, alpha kept */
  BATCH_COLOUR_PALETTE            /* "P": lossless */
} BatchColourKind;

typedef struct
{
  BatchPictureFormat format;
  BatchColourKind colour;
  guint width;                  /* as stored, before orientation */
  guint height;
  guint orientation;            /* EXIF 1..8; 1 when absent */
  guint png_depth;              /* PNG's IHDR bit depth and colour type, */
  guint png_colour_type;        /* 0 for the other formats */
  gsize end;                    /* bytes up to the picture's end (JPEG's
                                 * EOI, PNG's IEND, WebP's RIFF size); 0
                                 * when the format does not say */
} BatchPictureInfo;

/* Pictures larger than this are refused by default, as PIL did (twice
 * its MAX_IMAGE_PIXELS, where it raises DecompressionBombError);
 * npy-watermark's --max-pixels sets another limit. */
#define BATCH_PROBE_MAX_PIXELS 178956970u

gboolean batch_probe (const guint8 * data, gsize size, BatchPictureInfo * info,
    GError ** error);

/* As batch_probe (), refusing pictures of more than @max_pixels pixels. */
gboolean batch_probe_full (const guint8 * data, gsize size, guint64 max_pixels,
    BatchPictureInfo * info, GError ** error);

/* Reads the orientation tag (0x0112) of a TIFF-structured EXIF block;
 * 1 when absent or malformed. */
guint batch_probe_exif_orientation (const guint8 * tiff, gsize size);

G_END_DECLS

#endif /* __BATCH_PROBE_H__ */
