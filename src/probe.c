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

G_DEFINE_QUARK (npw-probe-error-quark, npw_probe_error);

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
npw_probe_exif_orientation (const guint8 * tiff, gsize size)
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
probe_jpeg (const guint8 * data, gsize size, NpwPictureInfo * info,
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

    if (marker == 0xd9)         /* EOI */
      break;
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
      info->orientation = npw_probe_exif_orientation (seg + 6, length - 6);
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
    g_set_error (error, NPW_PROBE_ERROR, NPW_PROBE_ERROR_UNSUPPORTED,
        "%u-bit JPEG is not supported", precision);
    return FALSE;
  }
  switch (components) {
    case 1:
      info->colour = NPW_COLOUR_GRAY;
      break;
    case 3:
      info->colour = NPW_COLOUR_RGB;
      break;
    case 4:
      g_set_error (error, NPW_PROBE_ERROR, NPW_PROBE_ERROR_UNSUPPORTED,
          "CMYK JPEG is not supported (the decoder refuses it)");
      return FALSE;
    default:
      g_set_error (error, NPW_PROBE_ERROR, NPW_PROBE_ERROR_UNSUPPORTED,
          "JPEG with %u colour components is not supported", components);
      return FALSE;
  }
  info->format = NPW_PICTURE_JPEG;
  return TRUE;

truncated:
  g_set_error (error, NPW_PROBE_ERROR, NPW_PROBE_ERROR_TRUNCATED,
      "truncated JPEG: the file ends before the end-of-image marker");
  return FALSE;
corrupt:
  g_set_error (error, NPW_PROBE_ERROR, NPW_PROBE_ERROR_CORRUPT,
      "corrupt JPEG: malformed marker segments");
  return FALSE;
}

static gboolean
probe_png (const guint8 * data, gsize size, NpwPictureInfo * info,
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
      colour_type = chunk[9];
      have_header = TRUE;
    } else if (type == GST_MAKE_FOURCC ('e', 'X', 'I', 'f')) {
      info->orientation = npw_probe_exif_orientation (chunk, length);
    } else if (type == GST_MAKE_FOURCC ('I', 'E', 'N', 'D')) {
      break;
    }
  }

  if (info->width == 0 || info->height == 0 || info->width > G_MAXINT32
      || info->height > G_MAXINT32)
    goto corrupt;

  switch (colour_type) {
    case 0:
      info->colour = NPW_COLOUR_GRAY;
      break;
    case 2:
      /* PIL keeps tRNS of an RGB picture aside: still "RGB". */
      info->colour = NPW_COLOUR_RGB;
      break;
    case 3:
      info->colour = NPW_COLOUR_PALETTE;
      break;
    case 4:
    case 6:
      info->colour = NPW_COLOUR_ALPHA;
      break;
    default:
      goto corrupt;
  }
  info->format = NPW_PICTURE_PNG;
  return TRUE;

truncated:
  g_set_error (error, NPW_PROBE_ERROR, NPW_PROBE_ERROR_TRUNCATED,
      "truncated PNG: the file ends before the IEND chunk");
  return FALSE;
corrupt:
  g_set_error (error, NPW_PROBE_ERROR, NPW_PROBE_ERROR_CORRUPT,
      "corrupt PNG: malformed header or chunks");
  return FALSE;
}

gboolean
npw_probe (const guint8 * data, gsize size, NpwPictureInfo * info,
    GError ** error)
{
  gboolean ok;

  memset (info, 0, sizeof (*info));
  info->orientation = 1;

  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) {
    ok = probe_jpeg (data, size, info, error);
  } else if (size >= sizeof (png_signature)
      && memcmp (data, png_signature, sizeof (png_signature)) == 0) {
    ok = probe_png (data, size, info, error);
  } else {
    g_set_error (error, NPW_PROBE_ERROR, NPW_PROBE_ERROR_UNKNOWN_FORMAT,
        size == 0 ? "empty file" : "not a JPEG or PNG picture");
    return FALSE;
  }

  /* PIL's decompression bomb limit: a small file claiming a huge picture
   * is refused before anything is allocated for it. */
  if (ok && (guint64) info->width * info->height > NPW_PROBE_MAX_PIXELS) {
    g_set_error (error, NPW_PROBE_ERROR, NPW_PROBE_ERROR_UNSUPPORTED,
        "%ux%u is too large (more than %u pixels)", info->width,
        info->height, NPW_PROBE_MAX_PIXELS);
    return FALSE;
  }
  return ok;
}
