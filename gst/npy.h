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
  NPY_ERROR_FAILED              /* anything else (not a regular file); I/O
                                 * errors are G_FILE_ERROR from errno, and
                                 * memory G_FILE_ERROR_NOMEM */
} NpyError;

/* Default limit for each side of the array, in pixels. */
#define NPY_DEFAULT_MAX_SIDE 32768

/* How an array is read (the _full functions); 0 is the default. */
typedef enum
{
  NPY_READ_DEFAULT = 0,
  /* Every dtype to 16 bits per channel: uint16 as is, floats scaled to
   * 0..65535, 8-bit values v expanded exactly to v * 257. */
  NPY_READ_DEPTH_16 = 1 << 0,
  /* 16 bits for uint16 and float arrays, which hold more than 8 bits,
   * 8 bits for every other dtype. */
  NPY_READ_DEPTH_AUTO = 1 << 1,
  /* Also accept stacks of images, shape (N, H, W, C): N frames. */
  NPY_READ_STACK = 1 << 2
} NpyReadFlags;

typedef struct
{
  guint width;
  guint height;
  /* width * height pixels, row-major, R G B A, straight (not
   * premultiplied) alpha; rows are width * 4 bytes, no padding.
   * NULL when depth is 16. */
  guint8 *rgba;

  /* The fields below are set by the reader; an NpyImage built by hand
   * needs only the three above (rgba set), the rest zero (g_new0). */
  guint depth;                  /* 8 (rgba) or 16 (rgba16) */
  /* At depth 16: as rgba, with native-endian 16-bit channels (rows are
   * width * 4 values).  Undefined at depth 8. */
  guint16 *rgba16;
  /* Images in the array: 1, or N of an (N, H, W, C) stack read with
   * NPY_READ_STACK; frame k starts k * width * height * 4 values in. */
  guint n_frames;
  /* What the array held: 1 (gray, also (H, W)), 2 (gray, alpha), 3 (RGB)
   * or 4 (RGBA); the pixels are always RGBA as above. */
  guint channels;
  /* Set by npy_image_new_from_bytes () when rgba points into these bytes
   * (an 8-bit RGBA array, read without a copy): the image holds a
   * reference, and rgba is not freed.  Read-only pixels then. */
  GBytes *owner;
  /* Pixels from the start of one row to the next when the image is a
   * window into a wider one (prepare.c's canvas of a copy cut to the
   * frame: its rows stay where the copy has them); 0: width.  Only the
   * overlay (overlay.c) reads such an image, and only its first frame. */
  guint stride;
} NpyImage;

/* Parses a whole .npy file held in memory.  @max_side is the largest
 * allowed height or width (0 means NPY_DEFAULT_MAX_SIDE); the shape is
 * checked against it before anything is allocated.  The result is 8
 * bits, (H, W) or (H, W, C) only. */
NpyImage *npy_image_new_from_data (const guint8 * data, gsize size,
    guint max_side, GError ** error);

/* Reads and parses @filename.  Errors name the file; one the system
 * gave (open, read) is G_FILE_ERROR, from its errno. */
NpyImage *npy_image_new_from_file (const gchar * filename, guint max_side,
    GError ** error);

/* As above, with a limit on the result's size in bytes (@max_bytes, 0 for
 * none: width * height * n_frames * 4 bytes at depth 8, twice that at
 * depth 16), refused with NPY_ERROR_TOO_LARGE before anything is
 * allocated, and @flags.  The file is read in bounded chunks straight
 * into the result: memory is the result plus O(1). */
NpyImage *npy_image_new_from_data_full (const guint8 * data, gsize size,
    guint max_side, guint64 max_bytes, NpyReadFlags flags, GError ** error);
NpyImage *npy_image_new_from_file_full (const gchar * filename,
    guint max_side, guint64 max_bytes, NpyReadFlags flags, GError ** error);

/* As npy_image_new_from_data_full () on @bytes' data; an array already
 * in the result's layout (uint8, C order, four channels: what np.save
 * writes of an RGBA image) is not copied: the result's rgba points into
 * @bytes, which it keeps (NpyImage.owner). */
NpyImage *npy_image_new_from_bytes (GBytes * bytes, guint max_side,
    guint64 max_bytes, NpyReadFlags flags, GError ** error);

/* Reads on this thread stop between chunks, with NPY_ERROR_FAILED
 * ("cancelled"), once *@cancelled (read atomically) is not 0; NULL: never.
 * For a thread that may have to give up a long read (npywatermark's
 * loader, at stop ()). */
void npy_set_thread_cancel_flag (const gint * cancelled);

/* Checks the first @size bytes of a .npy file (preamble and header) as
 * npy_image_new_from_data_full () would, without its data: shape, dtype
 * and limits.  On success *@file_size is the number of bytes the file
 * needs (header and data).  NPY_ERROR_TRUNCATED_HEADER means @data ends
 * before the header does: more bytes may help. */
gboolean npy_image_check_header (const guint8 * data, gsize size,
    guint max_side, guint64 max_bytes, NpyReadFlags flags,
    guint64 * file_size, GError ** error);

/* The longest .npy header read, in bytes, by every path (the file and
 * data readers, npydec, the typefinder): NumPy writes a few hundred, and
 * np.load refuses more than 10000 unless told otherwise. */
#define NPY_MAX_HEADER_LEN (64 * 1024)

/* The fixed start of a .npy file. */
typedef struct
{
  guint major;                  /* 1, 2 or 3 (minor is 0) */
  gsize header_offset;          /* where the header starts: 10 or 12 */
  gsize header_len;             /* its length, at most NPY_MAX_HEADER_LEN */
} NpyPreamble;

/* Reads the magic, the version and the header length at the start of
 * @data.  NPY_ERROR_TRUNCATED_HEADER when @data ends inside the
 * preamble (more bytes may help); NPY_ERROR_BAD_MAGIC, _BAD_VERSION
 * ("unsupported .npy version 9.0 ..."), or _BAD_HEADER for a length over
 * NPY_MAX_HEADER_LEN.  The header itself need not be in @data. */
gboolean npy_preamble_read (const guint8 * data, gsize size,
    NpyPreamble * pre, GError ** error);

/* NumPy 2's limit on the number of dimensions. */
#define NPY_MAX_DIMS 64

/* What a .npy header says, for any array (not only images). */
typedef struct
{
  guint major;                  /* format version 1, 2 or 3 (minor is 0) */
  gchar *descr;                 /* the dtype as written: "<f4", "|u1", or
                                 * a structured dtype's list, as text */
  gboolean fortran_order;
  guint ndim;                   /* 0 (a scalar) to NPY_MAX_DIMS */
  guint64 shape[NPY_MAX_DIMS];
  gsize header_size;            /* bytes before the data */
} NpyHeader;

/* Parses the preamble and header at the start of @data (the dict's
 * syntax and keys, the shape as non-negative integers), whatever the
 * dtype and shape mean.  Free the result with npy_header_clear (). */
gboolean npy_header_parse (const guint8 * data, gsize size,
    NpyHeader * header, GError ** error);
void npy_header_clear (NpyHeader * header);

void npy_image_free (NpyImage * image);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NpyImage, npy_image_free)

G_END_DECLS

#endif /* __NPY_H__ */
