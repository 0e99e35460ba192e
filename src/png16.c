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
#include <png.h>

#include "log.h"
#include "png16.h"

#define GST_CAT_DEFAULT batch_debug

G_DEFINE_QUARK (batch - png16 - error - quark, batch_png16_error);

gboolean
batch_png16_handles (guint depth, guint colour_type)
{
  return depth == 16 && (colour_type == PNG_COLOR_TYPE_RGB
      || colour_type == PNG_COLOR_TYPE_GRAY_ALPHA
      || colour_type == PNG_COLOR_TYPE_RGB_ALPHA);
}

/* libpng's state for one picture.  libpng reports errors by longjmp ():
 * each step that can fail is a function of its own that calls setjmp ()
 * and keeps everything it changes in here, never in its locals. */
typedef struct
{
  png_structp png;
  png_infop info;
  const guint8 *data;           /* reading: the file */
  gsize size, pos;
  GByteArray *out;              /* writing */
  gchar message[256];           /* libpng's last error */
} Png;

static void
on_error (png_structp png, png_const_charp message)
{
  Png *p = png_get_error_ptr (png);

  g_strlcpy (p->message, message, sizeof (p->message));
  /* libpng longjmps when this returns */
}

static void
on_warning (png_structp png, png_const_charp message)
{
  GST_DEBUG ("libpng: %s", message);
}

static void
on_read (png_structp png, png_bytep dest, png_size_t length)
{
  Png *p = png_get_io_ptr (png);

  if (length > p->size - p->pos)
    png_error (png, "the file ends before the image data does");
  memcpy (dest, p->data + p->pos, length);
  p->pos += length;
}

static void
on_write (png_structp png, png_bytep data, png_size_t length)
{
  Png *p = png_get_io_ptr (png);

  g_byte_array_append (p->out, data, length);
}

static void
on_flush (png_structp png)
{
}

/* Reads the header and sets the transformations to RGBA64_LE. */
static gboolean
read_header (Png * p)
{
  if (setjmp (png_jmpbuf (p->png)))
    return FALSE;

  png_read_info (p->png, p->info);
  if (!batch_png16_handles (png_get_bit_depth (p->png, p->info),
          png_get_color_type (p->png, p->info)))
    png_error (p->png, "not a 16-bit RGB, gray + alpha or RGBA PNG");
  png_set_swap (p->png);
  if (png_get_color_type (p->png, p->info) == PNG_COLOR_TYPE_GRAY_ALPHA)
    png_set_gray_to_rgb (p->png);
  else if (png_get_color_type (p->png, p->info) == PNG_COLOR_TYPE_RGB)
    png_set_add_alpha (p->png, 0xffff, PNG_FILLER_AFTER);
  png_set_interlace_handling (p->png);
  png_read_update_info (p->png, p->info);
  if (png_get_rowbytes (p->png, p->info) !=
      (gsize) png_get_image_width (p->png, p->info) * 8)
    png_error (p->png, "unexpected row layout");
  return TRUE;
}

static gboolean
read_image (Png * p, png_bytepp rows)
{
  if (setjmp (png_jmpbuf (p->png)))
    return FALSE;

  png_read_image (p->png, rows);
  return TRUE;
}

/* Copies @src (@width x @height, @src_stride) into @dest turned as EXIF
 * @orientation says: the first output pixel's place in @src and the
 * steps, in bytes, to the next output pixel and the next output row. */
static void
orient (guint8 * dest, gint dest_stride, const guint8 * src, gsize src_stride,
    guint width, guint height, guint orientation)
{
  gssize right = (gssize) (width - 1) * 8;
  gssize bottom = (gssize) (height - 1) * src_stride;
  gssize stride = src_stride;
  gssize start, dx, dy;
  guint out_w = orientation >= 5 ? height : width;
  guint out_h = orientation >= 5 ? width : height;
  guint x, y;

  switch (orientation) {
    case 2:
      start = right, dx = -8, dy = stride;
      break;
    case 3:
      start = bottom + right, dx = -8, dy = -stride;
      break;
    case 4:
      start = bottom, dx = 8, dy = -stride;
      break;
    case 5:
      start = 0, dx = stride, dy = 8;
      break;
    case 6:
      start = bottom, dx = -stride, dy = 8;
      break;
    case 7:
      start = bottom + right, dx = -stride, dy = -8;
      break;
    case 8:
      start = right, dx = stride, dy = -8;
      break;
    default:
      start = 0, dx = 8, dy = stride;
      break;
  }

  for (y = 0; y < out_h; y++) {
    const guint8 *s = src + start + (gssize) y * dy;
    guint8 *d = dest + (gsize) y * dest_stride;

    for (x = 0; x < out_w; x++, s += dx, d += 8)
      memcpy (d, s, 8);
  }
}

GstBuffer *
batch_png16_read (const guint8 * data, gsize size, guint orientation,
    GstVideoInfo * info, GError ** error)
{
  Png p = { 0, };
  GstBuffer *buffer = NULL;
  GstMapInfo map = { 0, };
  g_autofree png_bytep *rows = NULL;
  g_autofree guint8 *turned = NULL;
  guint8 *pixels;
  gsize stride;
  guint width = 0, height = 0, y;

  p.data = data;
  p.size = size;
  p.png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &p, on_error,
      on_warning);
  if (p.png == NULL || (p.info = png_create_info_struct (p.png)) == NULL)
    goto no_memory;
  png_set_read_fn (p.png, &p, on_read);

  if (!read_header (&p))
    goto corrupt;
  width = png_get_image_width (p.png, p.info);
  height = png_get_image_height (p.png, p.info);
  stride = (gsize) width *8;

  if (!gst_video_info_set_format (info, GST_VIDEO_FORMAT_RGBA64_LE,
          orientation >= 5 ? height : width, orientation >= 5 ? width : height))
    goto too_large;
  buffer = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
  if (buffer == NULL || !gst_buffer_map (buffer, &map, GST_MAP_WRITE))
    goto no_memory;

  /* Turned pictures are decoded aside first, the others in place. */
  if (orientation != 1) {
    turned = g_try_malloc (stride * height);
    if (turned == NULL)
      goto no_memory;
    pixels = turned;
  } else {
    pixels = map.data;
    stride = GST_VIDEO_INFO_PLANE_STRIDE (info, 0);
  }
  rows = g_new (png_bytep, height);
  for (y = 0; y < height; y++)
    rows[y] = pixels + (gsize) y *stride;
  if (!read_image (&p, rows))
    goto corrupt;
  if (orientation != 1)
    orient (map.data, GST_VIDEO_INFO_PLANE_STRIDE (info, 0), turned, stride,
        width, height, orientation);

  gst_buffer_unmap (buffer, &map);
  png_destroy_read_struct (&p.png, &p.info, NULL);
  return buffer;

  /* ERRORS */
corrupt:
  g_set_error (error, BATCH_PNG16_ERROR, BATCH_PNG16_ERROR_CORRUPT,
      "corrupt PNG: %s", p.message);
  goto out;
too_large:
  g_set_error (error, BATCH_PNG16_ERROR, BATCH_PNG16_ERROR_TOO_LARGE,
      "a %ux%u 16-bit picture is too large", width, height);
  goto out;
no_memory:
  g_set_error (error, BATCH_PNG16_ERROR, BATCH_PNG16_ERROR_TOO_LARGE,
      "not enough memory for the picture");
  goto out;
out:
  if (map.data)
    gst_buffer_unmap (buffer, &map);
  if (buffer)
    gst_buffer_unref (buffer);
  if (p.png)
    png_destroy_read_struct (&p.png, p.info ? &p.info : NULL, NULL);
  return NULL;
}

/* One output row, big-endian as PNG stores it, from an RGBA64_LE row. */
static void
pack_row (guint8 * dest, const guint8 * src, guint width, guint colour_type)
{
  guint x;

  for (x = 0; x < width; x++, src += 8) {
    guint r = GST_READ_UINT16_LE (src), g = GST_READ_UINT16_LE (src + 2);
    guint b = GST_READ_UINT16_LE (src + 4), a = GST_READ_UINT16_LE (src + 6);

    switch (colour_type) {
      case PNG_COLOR_TYPE_GRAY_ALPHA:
        /* BT.601 luma rounded, as the element sees gray */
        GST_WRITE_UINT16_BE (dest, (299 * r + 587 * g + 114 * b + 500) / 1000);
        GST_WRITE_UINT16_BE (dest + 2, a);
        dest += 4;
        break;
      case PNG_COLOR_TYPE_RGB:
        GST_WRITE_UINT16_BE (dest, r);
        GST_WRITE_UINT16_BE (dest + 2, g);
        GST_WRITE_UINT16_BE (dest + 4, b);
        dest += 6;
        break;
      default:
        GST_WRITE_UINT16_BE (dest, r);
        GST_WRITE_UINT16_BE (dest + 2, g);
        GST_WRITE_UINT16_BE (dest + 4, b);
        GST_WRITE_UINT16_BE (dest + 6, a);
        dest += 8;
        break;
    }
  }
}

static gboolean
write_image (Png * p, const GstVideoFrame * frame, guint colour_type,
    guint8 * row)
{
  guint width = GST_VIDEO_FRAME_WIDTH (frame);
  guint height = GST_VIDEO_FRAME_HEIGHT (frame);
  guint y;

  if (setjmp (png_jmpbuf (p->png)))
    return FALSE;

  png_set_IHDR (p->png, p->info, width, height, 16, colour_type,
      PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
      PNG_FILTER_TYPE_DEFAULT);
  png_write_info (p->png, p->info);
  for (y = 0; y < height; y++) {
    pack_row (row, (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (frame, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0), width,
        colour_type);
    png_write_row (p->png, row);
  }
  png_write_end (p->png, p->info);
  return TRUE;
}

GstBuffer *
batch_png16_write (GstBuffer * frame, const GstVideoInfo * info,
    guint colour_type, GError ** error)
{
  Png p = { 0, };
  GstVideoFrame vframe;
  g_autofree guint8 *row = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gboolean ok;

  g_return_val_if_fail (GST_VIDEO_INFO_FORMAT (info) ==
      GST_VIDEO_FORMAT_RGBA64_LE, NULL);

  if (!gst_video_frame_map (&vframe, info, frame, GST_MAP_READ)) {
    g_set_error (error, BATCH_PNG16_ERROR, BATCH_PNG16_ERROR_CORRUPT,
        "cannot read the watermarked frame");
    return NULL;
  }
  p.out = g_byte_array_new ();
  p.png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &p, on_error,
      on_warning);
  if (p.png && (p.info = png_create_info_struct (p.png))) {
    png_set_write_fn (p.png, &p, on_write, on_flush);
    row = g_malloc ((gsize) GST_VIDEO_INFO_WIDTH (info) * 8);
    ok = write_image (&p, &vframe, colour_type, row);
  } else {
    g_strlcpy (p.message, "out of memory", sizeof (p.message));
    ok = FALSE;
  }
  if (p.png)
    png_destroy_write_struct (&p.png, p.info ? &p.info : NULL);
  gst_video_frame_unmap (&vframe);

  if (!ok) {
    g_set_error (error, BATCH_PNG16_ERROR, BATCH_PNG16_ERROR_CORRUPT,
        "cannot encode the PNG: %s", p.message);
    g_byte_array_unref (p.out);
    return NULL;
  }
  bytes = g_byte_array_free_to_bytes (p.out);
  return gst_buffer_new_wrapped_bytes (bytes);
}
