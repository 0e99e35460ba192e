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


#include <math.h>
#include <string.h>

#include "reference.h"

static gint
ref_op (gdouble opacity)
{
  return (gint) floor (opacity * 255.0 + 0.5);
}

/* round (a * op / 255), halves up, by integer division */
static gint
ref_alpha (gint a, gint op)
{
  return (2 * a * op + 255) / 510;
}

/* round ((v * A + d * (255 - A)) / 255), halves up */
static gint
ref_mix (gint v, gint d, gint A)
{
  return (2 * (v * A + d * (255 - A)) + 255) / 510;
}

static const guint8 *
ref_pixel (const RefImage * image, gint ix, gint iy)
{
  if (ix < 0 || iy < 0 || ix >= image->width || iy >= image->height)
    return NULL;
  return image->rgba + 4 * ((gsize) iy * image->width + ix);
}

static void
ref_blend_rgb (const GstVideoInfo * info, guint8 * data,
    const RefImage * image, gint ox, gint oy, gdouble opacity)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  gint op = ref_op (opacity);
  gint pstride = GST_VIDEO_INFO_COMP_PSTRIDE (info, 0);
  gint stride = GST_VIDEO_INFO_PLANE_STRIDE (info, 0);
  gint alpha_byte = -1;
  gint x, y, c;

  if (GST_VIDEO_FORMAT_INFO_HAS_ALPHA (finfo)) {
    alpha_byte = GST_VIDEO_INFO_COMP_POFFSET (info, 3);
  } else if (pstride == 4) {
    /* the padding byte of RGBx and friends is treated like alpha */
    gboolean used[4] = { FALSE, FALSE, FALSE, FALSE };
    for (c = 0; c < 3; c++)
      used[GST_VIDEO_INFO_COMP_POFFSET (info, c)] = TRUE;
    for (c = 0; c < 4; c++)
      if (!used[c])
        alpha_byte = c;
  }

  for (y = 0; y < GST_VIDEO_INFO_HEIGHT (info); y++) {
    for (x = 0; x < GST_VIDEO_INFO_WIDTH (info); x++) {
      const guint8 *s = ref_pixel (image, x - ox, y - oy);
      guint8 *d = data + GST_VIDEO_INFO_PLANE_OFFSET (info, 0) +
          (gsize) y * stride + (gsize) x * pstride;
      gint A;

      if (!s)
        continue;
      A = ref_alpha (s[3], op);
      for (c = 0; c < 3; c++) {
        gint off = GST_VIDEO_INFO_COMP_POFFSET (info, c);
        d[off] = ref_mix (s[c], d[off], A);
      }
      if (alpha_byte >= 0)
        d[alpha_byte] = ref_mix (255, d[alpha_byte], A);
    }
  }
}

typedef struct
{
  gdouble kr, kb;
  gdouble yoff, yscale, coff, cscale;
} RefMatrix;

static void
ref_matrix (const GstVideoInfo * info, RefMatrix * m)
{
  switch (info->colorimetry.matrix) {
    case GST_VIDEO_COLOR_MATRIX_BT709:
      m->kr = 0.2126;
      m->kb = 0.0722;
      break;
    case GST_VIDEO_COLOR_MATRIX_BT2020:
      m->kr = 0.2627;
      m->kb = 0.0593;
      break;
    case GST_VIDEO_COLOR_MATRIX_FCC:
      m->kr = 0.30;
      m->kb = 0.11;
      break;
    case GST_VIDEO_COLOR_MATRIX_SMPTE240M:
      m->kr = 0.212;
      m->kb = 0.087;
      break;
    default:                   /* BT.601, and what GStreamer assumes */
      m->kr = 0.299;
      m->kb = 0.114;
      break;
  }
  if (info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255) {
    m->yoff = 0;
    m->yscale = 255;
    m->coff = 128;
    m->cscale = 255;
  } else {
    m->yoff = 16;
    m->yscale = 219;
    m->coff = 128;
    m->cscale = 224;
  }
}

/* Y'CbCr (code values) <-> R'G'B' (0..1), unclamped. */
static void
ref_yuv_to_rgb (const RefMatrix * m, gdouble Y, gdouble U, gdouble V,
    gdouble rgb[3])
{
  gdouble ey = (Y - m->yoff) / m->yscale;
  gdouble pb = (U - m->coff) / m->cscale;
  gdouble pr = (V - m->coff) / m->cscale;
  gdouble kg = 1 - m->kr - m->kb;

  rgb[0] = ey + 2 * (1 - m->kr) * pr;
  rgb[2] = ey + 2 * (1 - m->kb) * pb;
  rgb[1] = (ey - m->kr * rgb[0] - m->kb * rgb[2]) / kg;
}

static void
ref_rgb_to_yuv (const RefMatrix * m, const gdouble rgb[3], gdouble yuv[3])
{
  gdouble kg = 1 - m->kr - m->kb;
  gdouble ey = m->kr * rgb[0] + kg * rgb[1] + m->kb * rgb[2];

  yuv[0] = m->yoff + m->yscale * ey;
  yuv[1] = m->coff + m->cscale * (rgb[2] - ey) / (2 * (1 - m->kb));
  yuv[2] = m->coff + m->cscale * (rgb[0] - ey) / (2 * (1 - m->kr));
}

static gsize
ref_comp_offset (const GstVideoInfo * info, gint comp, gint cx, gint cy)
{
  gint plane = GST_VIDEO_INFO_COMP_PLANE (info, comp);

  return GST_VIDEO_INFO_PLANE_OFFSET (info, plane) +
      GST_VIDEO_INFO_COMP_POFFSET (info, comp) +
      (gsize) cy *GST_VIDEO_INFO_PLANE_STRIDE (info, plane) +
      (gsize) cx *GST_VIDEO_INFO_COMP_PSTRIDE (info, comp);
}

static guint8 *
ref_comp (const GstVideoInfo * info, guint8 * data, gint comp, gint cx, gint cy)
{
  return data + ref_comp_offset (info, comp, cx, cy);
}

static guint8
ref_round (gdouble v)
{
  return (guint8) CLAMP (floor (v + 0.5), 0, 255);
}

/* Blend of one luma position in float: the frame's Y'CbCr there (Y and
 * the chroma of its sample) with the overlay pixel @s, in RGB. */
static void
ref_blend_position (const RefMatrix * m, const guint8 * s, gdouble op,
    gdouble Y, gdouble U, gdouble V, gdouble out[3])
{
  gdouble rgb[3];
  gint c;

  ref_yuv_to_rgb (m, Y, U, V, rgb);
  if (s) {
    gdouble alpha = (s[3] / 255.0) * (op / 255.0);
    for (c = 0; c < 3; c++)
      rgb[c] = alpha * (s[c] / 255.0) + (1 - alpha) * rgb[c];
  }
  ref_rgb_to_yuv (m, rgb, out);
}

static void
ref_blend_yuv (const GstVideoInfo * info, guint8 * data,
    const RefImage * image, gint ox, gint oy, gdouble opacity)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  guint8 *orig = g_memdup2 (data, info->size);
  gboolean gray = GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo);
  gboolean has_alpha = GST_VIDEO_FORMAT_INFO_HAS_ALPHA (finfo);
  gint W = GST_VIDEO_INFO_WIDTH (info), H = GST_VIDEO_INFO_HEIGHT (info);
  gint op = ref_op (opacity);
  RefMatrix m;
  gint x, y;

  ref_matrix (info, &m);

  /* Luma (and AYUV's full-rate chroma and alpha): one position each. */
  for (y = 0; y < H; y++) {
    for (x = 0; x < W; x++) {
      const guint8 *s = ref_pixel (image, x - ox, y - oy);
      gdouble U = 128, V = 128, out[3];

      if (!s)
        continue;
      if (!gray) {
        gint cx = x >> GST_VIDEO_FORMAT_INFO_W_SUB (finfo, 1);
        gint cy = y >> GST_VIDEO_FORMAT_INFO_H_SUB (finfo, 1);
        U = *ref_comp (info, orig, 1, cx, cy);
        V = *ref_comp (info, orig, 2, cx, cy);
      }
      ref_blend_position (&m, s, op, *ref_comp (info, orig, 0, x, y), U, V,
          out);
      *ref_comp (info, data, 0, x, y) = ref_round (out[0]);
      if (has_alpha) {
        guint8 *a = ref_comp (info, data, 3, x, y);
        *a = ref_mix (255, *a, ref_alpha (s[3], op));
      }
    }
  }
  if (gray)
    goto done;

  /* Chroma: the mean of the blended chroma over every luma position the
   * sample covers (positions the overlay misses keep the frame's). */
  {
    gint ws = 1 << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, 1);
    gint hs = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, 1);
    gint cw = GST_VIDEO_INFO_COMP_WIDTH (info, 1);
    gint ch = GST_VIDEO_INFO_COMP_HEIGHT (info, 1);
    gint cx, cy, i, j;

    for (cy = 0; cy < ch; cy++) {
      for (cx = 0; cx < cw; cx++) {
        gdouble U = *ref_comp (info, orig, 1, cx, cy);
        gdouble V = *ref_comp (info, orig, 2, cx, cy);
        gdouble su = 0, sv = 0;
        gboolean touched = FALSE;

        for (j = 0; j < hs; j++) {
          for (i = 0; i < ws; i++) {
            const guint8 *s = ref_pixel (image, cx * ws + i - ox,
                cy * hs + j - oy);
            gdouble out[3];

            touched |= s != NULL;
            /* Y does not change the blended chroma: the maths is linear */
            ref_blend_position (&m, s, op, 128, U, V, out);
            su += out[1];
            sv += out[2];
          }
        }
        if (!touched)
          continue;
        *ref_comp (info, data, 1, cx, cy) = ref_round (su / (ws * hs));
        *ref_comp (info, data, 2, cx, cy) = ref_round (sv / (ws * hs));
      }
    }
  }

done:
  g_free (orig);
}

void
ref_blend (const GstVideoInfo * info, guint8 * data, const RefImage * image,
    gint x, gint y, gdouble opacity)
{
  if (GST_VIDEO_FORMAT_INFO_IS_RGB (info->finfo))
    ref_blend_rgb (info, data, image, x, y, opacity);
  else
    ref_blend_yuv (info, data, image, x, y, opacity);
}

gint
ref_max_diff (const GstVideoInfo * info, const guint8 * a, const guint8 * b)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  gint W = GST_VIDEO_INFO_WIDTH (info), H = GST_VIDEO_INFO_HEIGHT (info);
  guint8 *skip = g_malloc0 (info->size);
  gsize i;
  gint max = 0, y;

  /* Packed 4:2:2 of odd width: the last macropixel's second luma byte
   * belongs to no pixel of the frame. */
  if (GST_VIDEO_FORMAT_INFO_W_SUB (finfo, 1) == 1 &&
      GST_VIDEO_FORMAT_INFO_N_PLANES (finfo) == 1 && W % 2 == 1)
    for (y = 0; y < H; y++)
      skip[ref_comp_offset (info, 0, W, y)] = 1;

  for (i = 0; i < info->size; i++)
    if (!skip[i])
      max = MAX (max, ABS ((gint) a[i] - (gint) b[i]));
  g_free (skip);
  return max;
}
