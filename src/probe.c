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

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/base/gstbytereader.h>

#include "probe.h"

G_DEFINE_QUARK (batch - probe - error - quark, batch_probe_error);

#define EXIF_TAG_ORIENTATION 0x0112
#define TIFF_TYPE_SHORT 3

static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
  0x1a, '\n'
};

static gboolean
read_u16 (GstByteReader * r, gboolean le, guint16 * v)
{
  return le ? gst_byte_reader_get_uint16_le (r, v) :
      gst_byte_reader_get_uint16_be (r, v);
}

static gboolean
read_u32 (GstByteReader * r, gboolean le, guint32 * v)
{
  return le ? gst_byte_reader_get_uint32_le (r, v) :
      gst_byte_reader_get_uint32_be (r, v);
}

guint
batch_probe_exif_orientation (const guint8 * tiff, gsize size)
{
  GstByteReader r = GST_BYTE_READER_INIT (tiff, size);
  guint16 order, magic, count, tag, type, value;
  guint32 ifd, n;
  gboolean le;

  if (!gst_byte_reader_get_uint16_be (&r, &order))
    return 1;
  if (order != 0x4949 && order != 0x4d4d)       /* "II", "MM" */
    return 1;
  le = order == 0x4949;
  if (!read_u16 (&r, le, &magic) || magic != 42 || !read_u32 (&r, le, &ifd)
      || !gst_byte_reader_set_pos (&r, ifd) || !read_u16 (&r, le, &count))
    return 1;

  while (count--) {
    if (!read_u16 (&r, le, &tag) || !read_u16 (&r, le, &type)
        || !read_u32 (&r, le, &n) || !read_u16 (&r, le, &value)
        || !gst_byte_reader_skip (&r, 2))
      return 1;
    if (tag == EXIF_TAG_ORIENTATION)
      return type == TIFF_TYPE_SHORT && n >= 1 && value >= 1 && value <= 8 ?
          value : 1;
  }
  return 1;
}

/* Moves @r to the next marker after entropy-coded data: 0xFF followed by
 * anything but a stuffed zero or a restart marker. */
static gboolean
skip_entropy_data (GstByteReader * r)
{
  const guint8 *data = r->data;
  gsize pos = gst_byte_reader_get_pos (r);

  while (pos + 1 < r->size) {
    const guint8 *ff = memchr (data + pos, 0xff, r->size - pos - 1);
    guint8 next;

    if (ff == NULL)
      break;
    pos = ff - data;
    next = data[pos + 1];
    if (next != 0x00 && next != 0xff && (next < 0xd0 || next > 0xd7))
      return gst_byte_reader_set_pos (r, pos);
    pos += next == 0xff ? 1 : 2;
  }
  return FALSE;
}

static gboolean
probe_jpeg (const guint8 * data, gsize size, BatchPictureInfo * info,
    GError ** error)
{
  GstByteReader r = GST_BYTE_READER_INIT (data, size);
  gboolean have_frame = FALSE, have_exif = FALSE;
  guint components = 0, precision = 8;

  gst_byte_reader_skip_unchecked (&r, 2);       /* SOI, checked by the caller */

  for (;;) {
    guint8 byte, marker;
    guint16 length;
    const guint8 *seg;

    /* Like libjpeg, step over stray bytes before a marker. */
    do {
      if (!gst_byte_reader_get_uint8 (&r, &byte))
        goto truncated;
    } while (byte != 0xff);
    do {
      if (!gst_byte_reader_get_uint8 (&r, &marker))
        goto truncated;
    } while (marker == 0xff);

    if (marker == 0xd9) {       /* EOI */
      info->end = gst_byte_reader_get_pos (&r);
      break;
    }
    if (marker == 0x01 || marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7))
      continue;                 /* no length */

    if (!gst_byte_reader_get_uint16_be (&r, &length))
      goto truncated;
    if (length < 2)
      goto corrupt;
    if (!gst_byte_reader_get_data (&r, length - 2, &seg))
      goto truncated;
    length -= 2;

    if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8
        && marker != 0xcc) {
      /* SOFn: precision, height, width, components */
      if (length < 6)
        goto corrupt;
      precision = seg[0];
      info->height = GST_READ_UINT16_BE (seg + 1);
      info->width = GST_READ_UINT16_BE (seg + 3);
      components = seg[5];
      have_frame = TRUE;
    } else if (marker == 0xe1 && !have_exif && length >= 6
        && memcmp (seg, "Exif\0\0", 6) == 0) {
      info->orientation = batch_probe_exif_orientation (seg + 6, length - 6);
      have_exif = TRUE;
    } else if (marker == 0xda) {
      if (!have_frame)
        goto corrupt;
      if (!skip_entropy_data (&r))
        goto truncated;
    }
  }

  if (!have_frame)
    goto corrupt;
  if (info->width == 0 || info->height == 0)
    goto corrupt;
  if (precision != 8) {
    g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_UNSUPPORTED,
        "%u-bit JPEG is not supported", precision);
    return FALSE;
  }
  switch (components) {
    case 1:
      info->colour = BATCH_COLOUR_GRAY;
      break;
    case 3:
      info->colour = BATCH_COLOUR_RGB;
      break;
    case 4:
      g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_UNSUPPORTED,
          "CMYK JPEG is not supported (the decoder refuses it)");
      return FALSE;
    default:
      g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_UNSUPPORTED,
          "JPEG with %u colour components is not supported", components);
      return FALSE;
  }
  info->format = BATCH_PICTURE_JPEG;
  return TRUE;

truncated:
  /* A file that does end with the end-of-image marker is complete: what
   * ran past its end was a corrupt length or marker inside it. */
  if (size >= 4 && data[size - 2] == 0xff && data[size - 1] == 0xd9) {
    g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_CORRUPT,
        "corrupt JPEG data: a marker segment runs past the end of the "
        "picture");
    return FALSE;
  }
  g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_TRUNCATED,
      "truncated JPEG: the file ends before the end-of-image marker");
  return FALSE;
corrupt:
  g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_CORRUPT,
      "corrupt JPEG: malformed marker segments");
  return FALSE;
}

static gboolean
probe_png (const guint8 * data, gsize size, BatchPictureInfo * info,
    GError ** error)
{
  GstByteReader r = GST_BYTE_READER_INIT (data, size);
  gboolean have_header = FALSE;
  guint8 colour_type = 0;

  gst_byte_reader_skip_unchecked (&r, sizeof (png_signature));

  for (;;) {
    guint32 length, type;
    const guint8 *chunk;

    if (!gst_byte_reader_get_uint32_be (&r, &length)
        || !gst_byte_reader_get_uint32_le (&r, &type))
      goto truncated;
    if (length > G_MAXINT32)
      goto corrupt;
    if (!gst_byte_reader_get_data (&r, length, &chunk)
        || !gst_byte_reader_skip (&r, 4))       /* CRC */
      goto truncated;

    if (!have_header) {
      if (type != GST_MAKE_FOURCC ('I', 'H', 'D', 'R') || length < 13)
        goto corrupt;
      info->width = GST_READ_UINT32_BE (chunk);
      info->height = GST_READ_UINT32_BE (chunk + 4);
      info->png_depth = chunk[8];
      colour_type = chunk[9];
      have_header = TRUE;
    } else if (type == GST_MAKE_FOURCC ('e', 'X', 'I', 'f')) {
      info->orientation = batch_probe_exif_orientation (chunk, length);
    } else if (type == GST_MAKE_FOURCC ('I', 'E', 'N', 'D')) {
      info->end = gst_byte_reader_get_pos (&r);
      break;
    }
  }

  if (info->width == 0 || info->height == 0 || info->width > G_MAXINT32
      || info->height > G_MAXINT32)
    goto corrupt;

  switch (colour_type) {
    case 0:
      info->colour = BATCH_COLOUR_GRAY;
      break;
    case 2:
      /* PIL keeps tRNS of an RGB picture aside: still "RGB". */
      info->colour = BATCH_COLOUR_RGB;
      break;
    case 3:
      info->colour = BATCH_COLOUR_PALETTE;
      break;
    case 4:
    case 6:
      info->colour = BATCH_COLOUR_ALPHA;
      break;
    default:
      goto corrupt;
  }
  info->png_colour_type = colour_type;
  info->format = BATCH_PICTURE_PNG;
  return TRUE;

truncated:
  g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_TRUNCATED,
      "truncated PNG: the file ends before the IEND chunk");
  return FALSE;
corrupt:
  g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_CORRUPT,
      "corrupt PNG: malformed header or chunks");
  return FALSE;
}

/* RIFF "WEBP": the first chunk says the kind and the size (simple lossy
 * VP8, lossless VP8L, or the extended VP8X with its flags and an EXIF
 * chunk of its own). */
static gboolean
probe_webp (const guint8 * data, gsize size, BatchPictureInfo * info,
    GError ** error)
{
  GstByteReader r = GST_BYTE_READER_INIT (data, size);
  guint32 riff_size, fourcc, length;
  gboolean have_size = FALSE, alpha = FALSE;
  const guint8 *chunk;

  gst_byte_reader_skip_unchecked (&r, 4);
  if (!gst_byte_reader_get_uint32_le (&r, &riff_size))
    goto truncated;
  if ((guint64) riff_size + 8 > size)
    goto truncated;
  info->end = (gsize) riff_size + 8;
  gst_byte_reader_skip_unchecked (&r, 4);       /* "WEBP" */

  while (gst_byte_reader_get_remaining (&r) >= 8) {
    fourcc = gst_byte_reader_get_uint32_le_unchecked (&r);
    length = gst_byte_reader_get_uint32_le_unchecked (&r);
    if (!gst_byte_reader_get_data (&r, length, &chunk))
      goto truncated;
    if (length & 1)
      gst_byte_reader_skip (&r, 1);

    if (fourcc == GST_MAKE_FOURCC ('V', 'P', '8', 'X') && length >= 10) {
      alpha = (chunk[0] & 0x10) != 0;
      info->width = 1 + (chunk[4] | chunk[5] << 8 | chunk[6] << 16);
      info->height = 1 + (chunk[7] | chunk[8] << 8 | chunk[9] << 16);
      have_size = TRUE;
    } else if (fourcc == GST_MAKE_FOURCC ('V', 'P', '8', ' ') && !have_size) {
      /* frame tag (3), start code 9d 01 2a, 14-bit width and height */
      if (length < 10 || chunk[3] != 0x9d || chunk[4] != 0x01
          || chunk[5] != 0x2a)
        goto corrupt;
      info->width = GST_READ_UINT16_LE (chunk + 6) & 0x3fff;
      info->height = GST_READ_UINT16_LE (chunk + 8) & 0x3fff;
      have_size = TRUE;
    } else if (fourcc == GST_MAKE_FOURCC ('V', 'P', '8', 'L') && !have_size) {
      guint32 bits;

      if (length < 5 || chunk[0] != 0x2f)
        goto corrupt;
      bits = GST_READ_UINT32_LE (chunk + 1);
      info->width = 1 + (bits & 0x3fff);
      info->height = 1 + ((bits >> 14) & 0x3fff);
      alpha = (bits >> 28) & 1;
      have_size = TRUE;
    } else if (fourcc == GST_MAKE_FOURCC ('E', 'X', 'I', 'F')) {
      /* some writers keep the "Exif\0\0" prefix of JPEG's APP1 */
      if (length >= 6 && memcmp (chunk, "Exif\0\0", 6) == 0)
        info->orientation =
            batch_probe_exif_orientation (chunk + 6, length - 6);
      else
        info->orientation = batch_probe_exif_orientation (chunk, length);
    }
  }
  if (!have_size || info->width == 0 || info->height == 0)
    goto corrupt;
  info->colour = alpha ? BATCH_COLOUR_ALPHA : BATCH_COLOUR_RGB;
  info->format = BATCH_PICTURE_WEBP;
  return TRUE;

truncated:
  g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_TRUNCATED,
      "truncated WebP: the file ends before its last chunk does");
  return FALSE;
corrupt:
  g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_CORRUPT,
      "corrupt WebP: no valid image header");
  return FALSE;
}

/* A TIFF's first image: size, samples and photometric interpretation
 * from IFD0, read with the same bounds-checked reader as EXIF. */
static gboolean
probe_tiff (const guint8 * data, gsize size, BatchPictureInfo * info,
    GError ** error)
{
  GstByteReader r = GST_BYTE_READER_INIT (data, size);
  gboolean le = data[0] == 'I';
  guint16 count, tag, type, photometric = 2, samples = 1;
  guint32 ifd, n, value;

  gst_byte_reader_skip_unchecked (&r, 4);
  if (!read_u32 (&r, le, &ifd) || !gst_byte_reader_set_pos (&r, ifd)
      || !read_u16 (&r, le, &count))
    goto corrupt;
  while (count--) {
    guint16 v16;

    if (!read_u16 (&r, le, &tag) || !read_u16 (&r, le, &type)
        || !read_u32 (&r, le, &n))
      goto corrupt;
    if (type == TIFF_TYPE_SHORT) {
      if (!read_u16 (&r, le, &v16) || !gst_byte_reader_skip (&r, 2))
        goto corrupt;
      value = v16;
    } else if (!read_u32 (&r, le, &value)) {
      goto corrupt;
    }
    switch (tag) {
      case 256:
        info->width = value;
        break;
      case 257:
        info->height = value;
        break;
      case 262:
        photometric = value;
        break;
      case 277:
        samples = value;
        break;
      case EXIF_TAG_ORIENTATION:
        info->orientation = type == TIFF_TYPE_SHORT && value >= 1
            && value <= 8 ? value : 1;
        break;
      default:
        break;
    }
  }
  if (info->width == 0 || info->height == 0)
    goto corrupt;
  if (photometric == 3)
    info->colour = BATCH_COLOUR_PALETTE;
  else if (samples >= 4 || (samples == 2 && photometric <= 1))
    info->colour = BATCH_COLOUR_ALPHA;
  else if (photometric <= 1)
    info->colour = BATCH_COLOUR_GRAY;
  else
    info->colour = BATCH_COLOUR_RGB;
  info->format = BATCH_PICTURE_TIFF;
  return TRUE;

corrupt:
  g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_CORRUPT,
      "corrupt TIFF: malformed first directory");
  return FALSE;
}

/* BITMAPFILEHEADER (14 bytes), then the info header: its size, then the
 * width and height (negative: top-down), planes and bits per pixel. */
static gboolean
probe_bmp (const guint8 * data, gsize size, BatchPictureInfo * info,
    GError ** error)
{
  guint32 header;
  gint32 width, height;
  guint16 bits;

  if (size < 30)
    goto corrupt;
  header = GST_READ_UINT32_LE (data + 14);
  if (header == 12) {           /* OS/2 BITMAPCOREHEADER */
    width = GST_READ_UINT16_LE (data + 18);
    height = GST_READ_UINT16_LE (data + 20);
    bits = GST_READ_UINT16_LE (data + 24);
  } else if (header >= 40) {
    width = (gint32) GST_READ_UINT32_LE (data + 18);
    height = (gint32) GST_READ_UINT32_LE (data + 22);
    bits = GST_READ_UINT16_LE (data + 28);
  } else {
    goto corrupt;
  }
  if (width <= 0 || height == 0 || height == G_MININT32)
    goto corrupt;
  info->width = width;
  info->height = ABS (height);
  /* PIL: 32-bit BMPs are "RGB" unless their bit fields carry alpha */
  info->colour = bits <= 8 ? BATCH_COLOUR_PALETTE : BATCH_COLOUR_RGB;
  info->format = BATCH_PICTURE_BMP;
  return TRUE;

corrupt:
  g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_CORRUPT,
      "corrupt BMP: malformed header");
  return FALSE;
}

/* The logical screen: gdk-pixbuf's first frame has its size. */
static gboolean
probe_gif (const guint8 * data, gsize size, BatchPictureInfo * info,
    GError ** error)
{
  if (size < 13 || data[size - 1] != 0x3b) {
    g_set_error (error, BATCH_PROBE_ERROR, size < 13 ?
        BATCH_PROBE_ERROR_CORRUPT : BATCH_PROBE_ERROR_TRUNCATED, size < 13 ?
        "corrupt GIF: malformed header" :
        "truncated GIF: the file ends before its trailer");
    return FALSE;
  }
  info->width = GST_READ_UINT16_LE (data + 6);
  info->height = GST_READ_UINT16_LE (data + 8);
  if (info->width == 0 || info->height == 0) {
    g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_CORRUPT,
        "corrupt GIF: malformed header");
    return FALSE;
  }
  info->colour = BATCH_COLOUR_PALETTE;
  info->format = BATCH_PICTURE_GIF;
  return TRUE;
}

gboolean
batch_probe (const guint8 * data, gsize size, BatchPictureInfo * info,
    GError ** error)
{
  return batch_probe_full (data, size, BATCH_PROBE_MAX_PIXELS, info, error);
}

gboolean
batch_probe_full (const guint8 * data, gsize size, guint64 max_pixels,
    BatchPictureInfo * info, GError ** error)
{
  gboolean ok;

  memset (info, 0, sizeof (*info));
  info->orientation = 1;

  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) {
    ok = probe_jpeg (data, size, info, error);
  } else if (size >= sizeof (png_signature)
      && memcmp (data, png_signature, sizeof (png_signature)) == 0) {
    ok = probe_png (data, size, info, error);
  } else if (size >= 12 && memcmp (data, "RIFF", 4) == 0
      && memcmp (data + 8, "WEBP", 4) == 0) {
    ok = probe_webp (data, size, info, error);
  } else if (size >= 8 && (memcmp (data, "II*\0", 4) == 0
          || memcmp (data, "MM\0*", 4) == 0)) {
    ok = probe_tiff (data, size, info, error);
  } else if (size >= 2 && data[0] == 'B' && data[1] == 'M') {
    ok = probe_bmp (data, size, info, error);
  } else if (size >= 6 && (memcmp (data, "GIF87a", 6) == 0
          || memcmp (data, "GIF89a", 6) == 0)) {
    ok = probe_gif (data, size, info, error);
  } else {
    g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_UNKNOWN_FORMAT,
        size == 0 ? "empty file" : "not a JPEG, PNG, WebP, TIFF, BMP or GIF "
        "picture");
    return FALSE;
  }

  /* PIL's decompression bomb limit: a small file claiming a huge picture
   * is refused before anything is allocated for it. */
  if (ok && (guint64) info->width * info->height > max_pixels) {
    g_set_error (error, BATCH_PROBE_ERROR, BATCH_PROBE_ERROR_UNSUPPORTED,
        "%ux%u is too large (more than %" G_GUINT64_FORMAT " pixels; "
        "--max-pixels sets the limit)", info->width, info->height, max_pixels);
    return FALSE;
  }
  return ok;
}
