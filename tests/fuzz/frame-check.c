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

#include "colour.h"
#include "frame-check.h"

const GstVideoFormat frame_check_formats[] = {
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB,
  GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_RGBx, GST_VIDEO_FORMAT_BGRx,
  GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR, GST_VIDEO_FORMAT_RGB,
  GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_AYUV, GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_YV12, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_NV21,
  GST_VIDEO_FORMAT_Y42B, GST_VIDEO_FORMAT_Y444, GST_VIDEO_FORMAT_YUY2,
  GST_VIDEO_FORMAT_UYVY, GST_VIDEO_FORMAT_GRAY8,
};

const guint frame_check_n_formats = G_N_ELEMENTS (frame_check_formats);
#include "fuzz.h"
#include "reference.h"

/* Offsets beyond this skip the reference blend, whose x - offset_x
 * would overflow near G_MININT. */
#define REF_MAX_OFFSET (1 << 24)

static inline gint64
floor_div (gint64 a, gint64 b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Marks in @may_change the bytes of plane @p a blend at (@x, @y) of an
 * @iw x @ih image may write: the whole units (a pixel, a chroma sample,
 * a 4:2:2 macropixel, an NV12 UV pair) that hold a covered pixel, on the
 * rows that hold one, inside the plane's picture area.  Worked out from
 * GstVideoFormatInfo alone, not from overlay.c's tables. */
static void
mark_plane (const GstVideoInfo * info, guint p, gint x, gint y, gint iw,
    gint ih, guint8 * may_change)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  gint xsub = 1, ysub = 1, unit = 0;
  gint64 ux0, ux1, uy0, uy1, units_w, units_h, row;
  guint c;

  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
    if (GST_VIDEO_FORMAT_INFO_PLANE (finfo, c) != p)
      continue;
    xsub = MAX (xsub, 1 << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c));
    ysub = MAX (ysub, 1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c));
    unit = MAX (unit, GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c));
  }
  FUZZ_CHECK (unit > 0);

  units_w = (GST_VIDEO_INFO_WIDTH (info) + xsub - 1) / xsub;
  units_h = (GST_VIDEO_INFO_HEIGHT (info) + ysub - 1) / ysub;
  ux0 = MAX (floor_div (x, xsub), 0);
  ux1 = MIN (floor_div ((gint64) x + iw - 1, xsub) + 1, units_w);
  uy0 = MAX (floor_div (y, ysub), 0);
  uy1 = MIN (floor_div ((gint64) y + ih - 1, ysub) + 1, units_h);

  for (row = uy0; row < uy1 && ux0 < ux1; row++) {
    gsize start = GST_VIDEO_INFO_PLANE_OFFSET (info, p) +
        (gsize) row * GST_VIDEO_INFO_PLANE_STRIDE (info, p) +
        (gsize) ux0 * unit;

    FUZZ_CHECK (start + (gsize) (ux1 - ux0) * unit <= info->size);
    memset (may_change + start, 1, (gsize) (ux1 - ux0) * unit);
  }
}

/* TRUE when a pixel of @image with alpha > 0 lands inside the frame. */
static gboolean
image_shows (const GstVideoInfo * info, const NpyImage * image, gint x, gint y)
{
  gint64 ix, iy;

  for (iy = 0; iy < image->height; iy++) {
    if (y + iy < 0 || y + iy >= GST_VIDEO_INFO_HEIGHT (info))
      continue;
    for (ix = 0; ix < image->width; ix++) {
      if (x + ix < 0 || x + ix >= GST_VIDEO_INFO_WIDTH (info))
        continue;
      if (image->rgba[4 * (iy * image->width + ix) + 3] != 0)
        return TRUE;
    }
  }
  return FALSE;
}

void
frame_check_blend_overlay (const GstVideoInfo * info, const NpyImage * image,
    const NpwOverlay * overlay, gint x, gint y, guint op, guint32 seed)
{
  GstVideoFrame frame = { 0, };
  NpwColourConversion conv;
  guint8 *data, *before, *may_change;
  gsize i, size = info->size;
  guint p;

  /* Exactly the size GStreamer says a buffer of these caps has: one byte
   * more written is a heap-buffer-overflow under ASan. */
  data = g_malloc (size);
  before = g_malloc (size);
  may_change = g_malloc0 (size);
  for (i = 0; i < size; i++) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    data[i] = (guint8) seed;
  }
  memcpy (before, data, size);

  /* What gst_video_frame_map () fills in for a buffer without video
   * meta; npw_overlay_blend () reads only these fields. */
  frame.info = *info;
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++)
    frame.data[p] = data + GST_VIDEO_INFO_PLANE_OFFSET (info, p);

  if (image_shows (info, image, x, y))
    FUZZ_CHECK (op == 0 || npw_overlay_is_visible (overlay, x, y,
            npw_opacity_encode (op / 255.0)));

  npw_overlay_blend (overlay, &frame, x, y, npw_opacity_encode (op / 255.0));

  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++)
    mark_plane (info, p, x, y, image->width, image->height, may_change);
  for (i = 0; i < size; i++) {
    if (data[i] != before[i] && (op == 0 || !may_change[i])) {
      fprintf (stderr, "%s %dx%d, image %ux%u at (%d, %d), op %u: byte %"
          G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " changed from %u to %u\n",
          GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
          GST_VIDEO_INFO_HEIGHT (info), image->width, image->height, x, y,
          op, i, size, before[i], data[i]);
      FUZZ_CHECK (!"a byte outside the watermark changed");
    }
  }

  /* (converted colours, HDR and BT.2020, are checked by test-hdr.c
   * against their formulas) */
  npw_colour_conversion_init (&conv, info->colorimetry.primaries,
      info->colorimetry.transfer, NPW_COLOUR_REFERENCE_WHITE);
  if (GST_VIDEO_INFO_IS_RGB (info) && !conv.active
      && ABS ((gint64) x) < REF_MAX_OFFSET
      && ABS ((gint64) y) < REF_MAX_OFFSET) {
    RefImage ref = { image->width, image->height, image->rgba };

    ref_blend (info, before, &ref, x, y, op / 255.0);
    for (i = 0; i < size; i++) {
      if (data[i] != before[i]) {
        fprintf (stderr, "%s %dx%d, image %ux%u at (%d, %d), op %u: byte %"
            G_GSIZE_FORMAT " is %u, the reference blend gives %u\n",
            GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
            GST_VIDEO_INFO_HEIGHT (info), image->width, image->height, x,
            y, op, i, data[i], before[i]);
        FUZZ_CHECK (!"RGB blend differs from the reference");
      }
    }
  }

  g_free (may_change);
  g_free (before);
  g_free (data);
}

void
frame_check_blend (const GstVideoInfo * info, const NpyImage * image,
    gint x, gint y, guint op, guint32 seed)
{
  NpwOverlay *overlay =
      npw_overlay_new (image, info, NPW_COLOUR_REFERENCE_WHITE);

  FUZZ_CHECK (overlay != NULL);
  frame_check_blend_overlay (info, image, overlay, x, y, op, seed);
  npw_overlay_free (overlay);
}
