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

#include <setjmp.h>
#include <stdio.h>
#include <jpeglib.h>

#include "jpegscaled.h"
#include "log.h"

#define GST_CAT_DEFAULT batch_debug

guint
batch_jpeg_scaled_eighths (guint rows, guint needed)
{
  guint eighths;

  /* Halves only: libjpeg-turbo has SIMD IDCTs for 2/8 and 4/8 (and 1/8
   * is the DC alone), plain C for the others.  On bench-batch's photos
   * any N/8 decoded 3/8, 5/8 and 6/8 too and made the batch 3-4% slower
   * than halves alone, the scaler's larger input included.  libjpeg's
   * scaled height is ceil (rows * eighths / 8). */
  for (eighths = 1; eighths < 8; eighths *= 2)
    if (((guint64) rows * eighths + 7) / 8 >= needed)
      return eighths;
  return 8;
}

/* libjpeg reports errors by longjmp () from error_exit: everything the
 * decoding changes lives in here, never in decode ()'s locals. */
typedef struct
{
  struct jpeg_decompress_struct cinfo;
  struct jpeg_error_mgr err;
  jmp_buf jump;
  GstBuffer *buffer;
  GstMapInfo map;
  gboolean mapped;
  JSAMPROW *rows;               /* row pointers: planes and strips */
  guint8 *strips;               /* chroma decoded at the luma's size */
} Decoder;

static void
on_error (j_common_ptr cinfo)
{
  Decoder *d = (Decoder *) cinfo->client_data;
  gchar message[JMSG_LENGTH_MAX];

  cinfo->err->format_message (cinfo, message);
  GST_DEBUG ("libjpeg: %s", message);
  longjmp (d->jump, 1);
}

/* Warnings (-1) are counted, as libjpeg does, and the picture given to
 * jpegdec; trace messages are dropped. */
static void
on_message (j_common_ptr cinfo, int level)
{
  if (level < 0)
    cinfo->err->num_warnings++;
}

/* The layouts jpegdec decodes straight to I420 (YCbCr 4:2:0) or GRAY8,
 * 8 bits a sample. */
static gboolean
layout_taken (const struct jpeg_decompress_struct *c)
{
  if (c->data_precision != 8)
    return FALSE;
  if (c->num_components == 1)
    return c->jpeg_color_space == JCS_GRAYSCALE;
  return c->num_components == 3 && c->jpeg_color_space == JCS_YCbCr
      && c->comp_info[0].h_samp_factor == 2
      && c->comp_info[0].v_samp_factor == 2
      && c->comp_info[1].h_samp_factor == 1
      && c->comp_info[1].v_samp_factor == 1
      && c->comp_info[2].h_samp_factor == 1
      && c->comp_info[2].v_samp_factor == 1;
}

/* @rows rows of a chroma strip decoded at the luma's resolution, @width
 * samples of the plane from each 2x2 of them, rounded to nearest: JPEG's
 * chroma sits in the middle of its four luma samples. */
static void
halve_rows (guint8 * dst, gint dst_stride, const guint8 * src,
    gint src_stride, gint width, gint rows)
{
  gint x, y;

  for (y = 0; y < rows; y++) {
    const guint8 *a = src + (gsize) 2 * y * src_stride;
    const guint8 *b = a + src_stride;
    guint8 *o = dst + (gsize) y * dst_stride;

    for (x = 0; x < width; x++)
      o[x] = (a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1] + 2) >> 2;
  }
}

/* Runs from jpeg_read_header () to jpeg_finish_decompress (); FALSE when
 * the picture is not for this path.  Called under setjmp ().
 *
 * Scaled down, libjpeg-turbo runs the chroma's IDCT at twice the luma's
 * scale, to spare its upsampler: the chroma comes out as large as the
 * luma, and is halved here to the I420 jpegdec gives. */
static gboolean
decode (Decoder * d, const guint8 * data, gsize size, guint eighths,
    GstVideoInfo * info)
{
  struct jpeg_decompress_struct *c = &d->cinfo;
  gsize offsets[GST_VIDEO_MAX_PLANES] = { 0, };
  gint strides[GST_VIDEO_MAX_PLANES] = { 0, };
  gint heights[GST_VIDEO_MAX_PLANES] = { 0, };
  gint strip_stride[GST_VIDEO_MAX_PLANES] = { 0, };
  JSAMPARRAY planes[GST_VIDEO_MAX_PLANES];
  gsize total = 0, n_rows = 0, strip_size = 0;
  gint p, m, lines, imcu, imcu_rows;

  jpeg_mem_src (c, data, size);
  if (jpeg_read_header (c, TRUE) != JPEG_HEADER_OK || !layout_taken (c))
    return FALSE;
  c->out_color_space = c->jpeg_color_space;
  c->raw_data_out = TRUE;
  c->dct_method = JDCT_ISLOW;   /* jpegdec idct-method=islow, as PIL */
  c->scale_num = eighths;
  c->scale_denom = 8;
  jpeg_calc_output_dimensions (c);

  /* libjpeg writes whole blocks of every component, and whole iMCU rows
   * (@lines luma rows each): the planes are that large, the frame the
   * picture's size within them (a GstVideoMeta gives the strides). */
  m = c->min_DCT_scaled_size;
  lines = c->max_v_samp_factor * m;
  imcu_rows = (c->output_height + lines - 1) / lines;
  for (p = 0; p < c->num_components; p++) {
    jpeg_component_info *comp = &c->comp_info[p];

    if (comp->DCT_scaled_size != m && comp->DCT_scaled_size != 2 * m)
      return FALSE;
    strides[p] = GST_ROUND_UP_8 (comp->width_in_blocks * m);
    heights[p] = imcu_rows * comp->v_samp_factor * m;
    offsets[p] = total;
    total += (gsize) strides[p] * heights[p];
    n_rows += comp->v_samp_factor * comp->DCT_scaled_size;
    if (comp->DCT_scaled_size == 2 * m) {
      strip_stride[p] = comp->width_in_blocks * 2 * m;
      strip_size += (gsize) strip_stride[p] * 2 * m;
    }
  }

  if (c->num_components == 1) {
    gst_video_info_set_format (info, GST_VIDEO_FORMAT_GRAY8,
        c->output_width, c->output_height);
  } else {
    gst_video_info_set_format (info, GST_VIDEO_FORMAT_I420,
        c->output_width, c->output_height);
    gst_video_colorimetry_from_string (&info->colorimetry, "1:4:0:0");
    info->chroma_site = GST_VIDEO_CHROMA_SITE_JPEG;
  }

  d->buffer = gst_buffer_new_allocate (NULL, total, NULL);
  gst_buffer_add_video_meta_full (d->buffer, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), c->output_width, c->output_height,
      c->num_components, offsets, strides);
  d->mapped = gst_buffer_map (d->buffer, &d->map, GST_MAP_WRITE);
  if (!d->mapped)
    return FALSE;
  d->rows = g_new (JSAMPROW, n_rows);
  d->strips = strip_size ? g_malloc (strip_size) : NULL;

  /* Strips are fixed; plane rows move down by one iMCU row each turn. */
  n_rows = 0;
  strip_size = 0;
  for (p = 0; p < c->num_components; p++) {
    jpeg_component_info *comp = &c->comp_info[p];
    gint y, n = comp->v_samp_factor * comp->DCT_scaled_size;

    planes[p] = d->rows + n_rows;
    for (y = 0; y < n; y++)
      d->rows[n_rows++] = strip_stride[p] ?
          d->strips + strip_size + (gsize) y *strip_stride[p] : NULL;
    strip_size += (gsize) strip_stride[p] * n;
  }

  jpeg_start_decompress (c);
  for (imcu = 0; c->output_scanline < c->output_height; imcu++) {
    for (p = 0; p < c->num_components; p++) {
      jpeg_component_info *comp = &c->comp_info[p];
      gint y, n = comp->v_samp_factor * m;
      guint8 *first = d->map.data + offsets[p] + (gsize) imcu * n * strides[p];

      if (strip_stride[p] == 0)
        for (y = 0; y < n; y++)
          planes[p][y] = first + (gsize) y *strides[p];
    }
    if (jpeg_read_raw_data (c, planes, lines) == 0)
      return FALSE;             /* suspended: the data ran out */
    for (p = 0; p < c->num_components; p++) {
      jpeg_component_info *comp = &c->comp_info[p];
      gint n = comp->v_samp_factor * m;

      if (strip_stride[p])
        halve_rows (d->map.data + offsets[p] + (gsize) imcu * n * strides[p],
            strides[p], planes[p][0], strip_stride[p],
            comp->width_in_blocks * m, n);
    }
  }
  jpeg_finish_decompress (c);
  return c->err->num_warnings == 0;
}

/* The one setjmp (): libjpeg's errors land here. */
static gboolean
decode_or_fail (Decoder * d, const guint8 * data, gsize size, guint eighths,
    GstVideoInfo * info)
{
  if (setjmp (d->jump) != 0)
    return FALSE;
  return decode (d, data, size, eighths, info);
}

GstBuffer *
batch_jpeg_scaled_decode (const guint8 * data, gsize size, guint eighths,
    GstVideoInfo * info)
{
  Decoder *d;
  GstBuffer *result = NULL;

  g_return_val_if_fail (eighths >= 1 && eighths <= 8, NULL);
  d = g_new0 (Decoder, 1);

  d->cinfo.err = jpeg_std_error (&d->err);
  d->err.error_exit = on_error;
  d->err.emit_message = on_message;
  d->cinfo.client_data = d;
  jpeg_create_decompress (&d->cinfo);

  if (decode_or_fail (d, data, size, eighths, info))
    result = g_steal_pointer (&d->buffer);
  else
    GST_DEBUG ("not decoded at %u/8: jpegdec takes it", eighths);

  jpeg_destroy_decompress (&d->cinfo);
  g_free (d->strips);
  if (d->mapped)
    gst_buffer_unmap (result ? result : d->buffer, &d->map);
  if (d->buffer)
    gst_buffer_unref (d->buffer);
  g_free (d->rows);
  g_free (d);
  return result;
}
