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

#ifndef __NPW_PROBE_H__
#define __NPW_PROBE_H__

#include <glib.h>

G_BEGIN_DECLS

#define NPW_PROBE_ERROR (npw_probe_error_quark ())
GQuark npw_probe_error_quark (void);

typedef enum
{
  NPW_PROBE_ERROR_UNKNOWN_FORMAT,       /* none of NpwPictureFormat */
  NPW_PROBE_ERROR_TRUNCATED,    /* ends before the image does */
  NPW_PROBE_ERROR_CORRUPT,      /* malformed structure */
  NPW_PROBE_ERROR_UNSUPPORTED   /* CMYK, 12-bit, ... */
} NpwProbeError;

typedef enum
{
  NPW_PICTURE_JPEG,
  NPW_PICTURE_PNG,
  NPW_PICTURE_WEBP,
  /* decoded by gdkpixbufdec, written as PNG */
  NPW_PICTURE_TIFF,
  NPW_PICTURE_BMP,
  NPW_PICTURE_GIF
} NpwPictureFormat;

/* PIL's modes, grouped by what the script did with them. */
typedef enum
{
  NPW_COLOUR_RGB,               /* "RGB": the lossy JPEG round trip */
  NPW_COLOUR_GRAY,              /* "L", "I": lossless */
  NPW_COLOUR_ALPHA,             /* "RGBA", "LA": lossless, alpha kept */
  NPW_COLOUR_PALETTE            /* "P": lossless */
} NpwColourKind;

typedef struct
{
  NpwPictureFormat format;
  NpwColourKind colour;
  guint width;                  /* as stored, before orientation */
  guint height;
  guint orientation;            /* EXIF 1..8; 1 when absent */
  guint png_depth;              /* PNG's IHDR bit depth and colour type, */
  guint png_colour_type;        /* 0 for the other formats */
  gsize end;                    /* bytes up to the picture's end (JPEG's
                                 * EOI, PNG's IEND, WebP's RIFF size); 0
                                 * when the format does not say */
} NpwPictureInfo;

/* Pictures larger than this are refused by default, as PIL did (twice
 * its MAX_IMAGE_PIXELS, where it raises DecompressionBombError);
 * npy-watermark's --max-pixels sets another limit. */
#define NPW_PROBE_MAX_PIXELS 178956970u

gboolean npw_probe (const guint8 * data, gsize size, NpwPictureInfo * info,
    GError ** error);

/* As npw_probe (), refusing pictures of more than @max_pixels pixels. */
gboolean npw_probe_full (const guint8 * data, gsize size, guint64 max_pixels,
    NpwPictureInfo * info, GError ** error);

/* Reads the orientation tag (0x0112) of a TIFF-structured EXIF block;
 * 1 when absent or malformed. */
guint npw_probe_exif_orientation (const guint8 * tiff, gsize size);

G_END_DECLS

#endif /* __NPW_PROBE_H__ */
