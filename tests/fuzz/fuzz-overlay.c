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

/* libFuzzer target for overlay preparation and blending.
 *
 * The input bytes decide everything, in this order (missing bytes read
 * as 0):
 *
 *   0      video format, an index into frame_check_formats[]
 *   1, 2   frame width - 1 and height - 1, modulo MAX_FRAME_SIDE
 *   3..7   x: a selector, then 4 bytes little-endian; the selector picks
 *          a small (int8), medium (int16), any (int32) or near-extreme
 *          (G_MININT / G_MAXINT side) offset
 *   8..12  y, the same way
 *   13     opacity 0..255
 *   14     colorimetry: matrix (% 6) and range (/ 6 % 3) for YUV; then
 *          (/ 18 % 4) the transfer and primaries of any format: as
 *          gst_video_info_set_format () gives them, or BT.2020 primaries
 *          with PQ, HLG or BT.2020's SDR transfer (the watermark's
 *          colours converted, gst/colour.c)
 *   15     padding: gst_video_info_align () with some right, left and top
 *          padding, the layout decoders with aligned pools hand out
 *   16     the image: even -> synthetic, bytes 17 and 18 are its width - 1
 *          and height - 1 (modulo MAX_IMAGE_SIDE), the rest its RGBA
 *          bytes (repeated as needed); odd -> the rest is a .npy file
 *
 * frame-check.c then blends into a buffer allocated to exactly the size
 * GstVideoInfo gives and checks that nothing outside the watermark moved.
 * tests/fuzz/corpus/overlay/ has a seed per format (make-corpus.py). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/video/video.h>

#include "npy.h"
#include "overlay.h"
#include "frame-check.h"
#include "fuzz.h"

#define MAX_FRAME_SIDE 72
#define MAX_IMAGE_SIDE 48
/* Keeps a fuzzer-made .npy small enough to stay fast. */
#define MAX_NPY_SIDE 64


static const GstVideoColorMatrix matrices[] = {
  GST_VIDEO_COLOR_MATRIX_BT601, GST_VIDEO_COLOR_MATRIX_BT709,
  GST_VIDEO_COLOR_MATRIX_BT2020, GST_VIDEO_COLOR_MATRIX_FCC,
  GST_VIDEO_COLOR_MATRIX_SMPTE240M, GST_VIDEO_COLOR_MATRIX_UNKNOWN,
};

static const GstVideoColorRange ranges[] = {
  GST_VIDEO_COLOR_RANGE_16_235, GST_VIDEO_COLOR_RANGE_0_255,
  GST_VIDEO_COLOR_RANGE_UNKNOWN,
};

static const GstVideoTransferFunction transfers[] = {
  GST_VIDEO_TRANSFER_UNKNOWN, GST_VIDEO_TRANSFER_SMPTE2084,
  GST_VIDEO_TRANSFER_ARIB_STD_B67, GST_VIDEO_TRANSFER_BT2020_12,
};

typedef struct
{
  const guint8 *pos, *end;
} Input;

static guint8
next_u8 (Input * in)
{
  return in->pos < in->end ? *in->pos++ : 0;
}

static gint
next_offset (Input * in)
{
  guint8 sel = next_u8 (in);
  guint32 raw = 0;
  guint i;

  for (i = 0; i < 4; i++)
    raw |= (guint32) next_u8 (in) << (8 * i);

  switch (sel % 4) {
    case 0:
      return (gint8) raw;
    case 1:
      return (gint16) raw;
    case 2:
      return (gint32) raw;
    default:
      /* Within 255 of either end of the int range. */
      return sel & 4 ? G_MAXINT - (gint) (raw & 0xff) :
          G_MININT + (gint) (raw & 0xff);
  }
}

static NpyImage *
synthetic_image (Input * in)
{
  NpyImage *image = g_new0 (NpyImage, 1);
  gsize n, i, avail;

  image->width = next_u8 (in) % MAX_IMAGE_SIDE + 1;
  image->height = next_u8 (in) % MAX_IMAGE_SIDE + 1;
  n = (gsize) image->width * image->height * 4;
  image->rgba = g_malloc (n);
  avail = in->end - in->pos;
  if (avail == 0)
    memset (image->rgba, 0xff, n);
  else
    for (i = 0; i < n; i++)
      image->rgba[i] = in->pos[i % avail];
  return image;
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  Input in = { data, data + size };
  GstVideoInfo info;
  GstVideoAlignment align;
  GstVideoFormat format;
  NpyImage *image;
  guint width, height, op, colour, padding;
  gint x, y;
  guint32 seed = 0x9e3779b9;
  gsize i;

  format = frame_check_formats[next_u8 (&in) % frame_check_n_formats];
  width = next_u8 (&in) % MAX_FRAME_SIDE + 1;
  height = next_u8 (&in) % MAX_FRAME_SIDE + 1;
  x = next_offset (&in);
  y = next_offset (&in);
  op = next_u8 (&in);
  colour = next_u8 (&in);
  padding = next_u8 (&in);

  if (next_u8 (&in) % 2 == 0) {
    image = synthetic_image (&in);
  } else {
    image = npy_image_new_from_data (in.pos, in.end - in.pos, MAX_NPY_SIDE,
        NULL);
    if (image == NULL)
      return 0;
  }

  gst_video_info_init (&info);
  FUZZ_CHECK (gst_video_info_set_format (&info, format, width, height));
  if (GST_VIDEO_INFO_IS_YUV (&info)) {
    info.colorimetry.matrix = matrices[colour % G_N_ELEMENTS (matrices)];
    info.colorimetry.range = ranges[colour / 6 % G_N_ELEMENTS (ranges)];
  }
  if (colour / 18 % 4 != 0) {
    info.colorimetry.primaries = GST_VIDEO_COLOR_PRIMARIES_BT2020;
    info.colorimetry.transfer = transfers[colour / 18 % 4];
  }
  if (padding != 0) {
    gst_video_alignment_reset (&align);
    /* Even left and top padding: with odd values GStreamer rounds the
     * chroma offset up but not the chroma plane size, and its own layout
     * no longer fits the buffer (pools never ask for that). */
    align.padding_right = padding & 7;
    align.padding_left = (padding >> 3) & 6;
    align.padding_top = (padding >> 6) & 2;
    FUZZ_CHECK (gst_video_info_align (&info, &align));
  }

  for (i = 0; i < size; i++)
    seed = seed * 31 + data[i];

  frame_check_blend (&info, image, x, y, op, seed | 1);

  npy_image_free (image);
  return 0;
}
