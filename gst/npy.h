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

/* The .npy reader: bytes in, a validated straight-alpha RGBA image out.
 * GLib only, no GStreamer types, so it can be tested and fuzzed alone. */

#ifndef __NPY_H__
#define __NPY_H__

#include <glib.h>

G_BEGIN_DECLS

#define NPY_ERROR (npy_error_quark ())
GQuark npy_error_quark (void);

typedef enum
{
  NPY_ERROR_BAD_MAGIC,          /* not "\x93NUMPY" */
  NPY_ERROR_BAD_VERSION,        /* not 1.0, 2.0 or 3.0 */
  NPY_ERROR_TRUNCATED_HEADER,   /* header length beyond the end of the file */
  NPY_ERROR_BAD_HEADER,         /* not a dict, missing/extra/duplicate keys, bad values */
  NPY_ERROR_BAD_SHAPE,          /* negative, zero, > 3 dims, bad last axis, overflow */
  NPY_ERROR_TOO_LARGE,          /* a side larger than the limit */
  NPY_ERROR_UNSUPPORTED_DTYPE,  /* object, strings, structured, complex, ... */
  NPY_ERROR_BAD_VALUE,          /* an integer outside 0..255, a NaN */
  NPY_ERROR_TRUNCATED_DATA,     /* fewer data bytes than the shape needs */
  NPY_ERROR_FAILED              /* anything else (I/O) */
} NpyError;

/* Default limit for each side of the array, in pixels. */
#define NPY_DEFAULT_MAX_SIDE 32768

typedef struct
{
  guint width;
  guint height;
  /* width * height pixels, row-major, R G B A, straight (not
   * premultiplied) alpha; rows are width * 4 bytes, no padding. */
  guint8 *rgba;
} NpyImage;

/* Parses a whole .npy file held in memory.  @max_side is the largest
 * allowed height or width (0 means NPY_DEFAULT_MAX_SIDE); the shape is
 * checked against it before anything is allocated. */
NpyImage *npy_image_new_from_data (const guint8 * data, gsize size,
    guint max_side, GError ** error);

/* Reads and parses @filename.  Errors name the file. */
NpyImage *npy_image_new_from_file (const gchar * filename, guint max_side,
    GError ** error);

void npy_image_free (NpyImage * image);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NpyImage, npy_image_free)

G_END_DECLS

#endif /* __NPY_H__ */
