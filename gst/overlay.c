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

#include <math.h>
#include <string.h>

#include "overlay.h"
#include "blend.h"

/* One phase of one overlay plane: units of the frame plane (a pixel, a
 * chroma sample, a NV12 UV pair, a YUY2 macropixel) covering the overlay
 * when its origin falls at the given offset within a chroma block. */
typedef struct
{
  gint width;                   /* in units */
  gint height;                  /* in unit rows */
  guint8 *val;                  /* width * unit_bytes per row */
  guint8 *alpha;                /* width * alpha_per_unit per row */
  gint *spans;                  /* per row: first and last+1 unit with alpha > 0 */
} NpwPhase;

typedef struct
{
  guint frame_plane;
  gint unit_bytes;              /* frame bytes per unit */
  gint xsub, ysub;              /* luma pixels per unit */
  gint alpha_per_unit;          /* 1, or unit_bytes for packed 4:2:2 */
  NpwBlendRowFunc blend_row;
  NpwPhase phase[2][2];         /* [y phase][x phase] */
} NpwPlane;

struct _NpwOverlay
{
  gint width, height;           /* of the image, in pixels */
  gint frame_width, frame_height;       /* of the frames it was built for */
  GstVideoFormat format;        /* and what the values depend on */
  GstVideoColorimetry colorimetry;
  guint n_planes;
  NpwPlane planes[GST_VIDEO_MAX_PLANES];
};

gboolean
npw_overlay_supports_format (GstVideoFormat format)
{
  switch (format) {
    case GST_VIDEO_FORMAT_RGBA:
    case GST_VIDEO_FORMAT_BGRA:
    case GST_VIDEO_FORMAT_ARGB:
    case GST_VIDEO_FORMAT_ABGR:
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_RGB:
    case GST_VIDEO_FORMAT_BGR:
    case GST_VIDEO_FORMAT_AYUV:
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_YV12:
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_NV21:
    case GST_VIDEO_FORMAT_Y42B:
    case GST_VIDEO_FORMAT_Y444:
    case GST_VIDEO_FORMAT_YUY2:
    case GST_VIDEO_FORMAT_UYVY:
    case GST_VIDEO_FORMAT_GRAY8:
      return TRUE;
    default:
      return FALSE;
  }
}

/* floor (a / b) for b > 0, also for negative a. */
static inline gint64
floor_div (gint64 a, gint64 b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The image's colour in the frame's components, one float per pixel and
 * component, computed once.  For RGB frames the components are the
 * image's own R, G, B; for YUV and gray the caps' matrix and range. */
typedef struct
{
  gfloat *comp[3];              /* indexed by GstVideoFormatInfo component */
} NpwColour;

static gboolean
colour_init (NpwColour * colour, const NpyImage * image,
    const GstVideoInfo * info)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  gsize n = (gsize) image->width * image->height, i;
  gint c, n_colour = GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo) ? 1 : 3;

  for (c = 0; c < 3; c++) {
    colour->comp[c] = c < n_colour ? g_try_new (gfloat, n) : NULL;
    if (c < n_colour && colour->comp[c] == NULL)
      return FALSE;
  }

  if (GST_VIDEO_FORMAT_INFO_IS_RGB (finfo)) {
    for (i = 0; i < n; i++)
      for (c = 0; c < 3; c++)
        colour->comp[c][i] = image->rgba[4 * i + c];
  } else {
    gdouble Kr = 0.299, Kb = 0.114, Kg;
    gint offset[4], scale[4];

    /* gst_video_info_from_caps () already filled in GStreamer's default
     * colorimetry for the size when the caps had none. */
    if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &Kr, &Kb)) {
      Kr = 0.299;
      Kb = 0.114;
    }
    Kg = 1.0 - Kr - Kb;
    gst_video_color_range_offsets (info->colorimetry.range, finfo, offset,
        scale);

    for (i = 0; i < n; i++) {
      gdouble r = image->rgba[4 * i + 0] / 255.0;
      gdouble g = image->rgba[4 * i + 1] / 255.0;
      gdouble b = image->rgba[4 * i + 2] / 255.0;
      gdouble ey = Kr * r + Kg * g + Kb * b;

      colour->comp[0][i] = offset[0] + scale[0] * ey;
      if (n_colour == 3) {
        colour->comp[1][i] = offset[1] + scale[1] * (b - ey) / (2 * (1 - Kb));
        colour->comp[2][i] = offset[2] + scale[2] * (r - ey) / (2 * (1 - Kr));
      }
    }
  }
  return TRUE;
}

static void
colour_clear (NpwColour * colour)
{
  gint c;

  for (c = 0; c < 3; c++)
    g_free (colour->comp[c]);
}

static inline guint8
round_u8 (gdouble v)
{
  return v <= 0.0 ? 0 : v >= 255.0 ? 255 : (guint8) (v + 0.5);
}

/* The sample of component @comp covering image pixels [x0, x0 + cw) x
 * [y0, y0 + ch): alpha is the mean over all covered pixels, pixels outside
 * the image counting as transparent; colour is the alpha-weighted mean,
 * so premultiplied colour is preserved. */
static void
compute_sample (const NpyImage * image, const NpwColour * colour, gint comp,
    gint x0, gint y0, gint cw, gint ch, guint8 * val, guint8 * alpha)
{
  guint sum_a = 0;
  gdouble sum_c = 0;
  gint x, y;

  /* Full-rate samples (luma, RGB): one pixel, nothing to average. */
  if (cw == 1 && ch == 1) {
    gsize i;

    if (x0 < 0 || y0 < 0 || x0 >= (gint) image->width ||
        y0 >= (gint) image->height) {
      *alpha = 0;
      *val = comp < 0 ? 255 : 0;
      return;
    }
    i = (gsize) y0 *image->width + x0;
    *alpha = image->rgba[4 * i + 3];
    *val = comp < 0 ? 255 : round_u8 (colour->comp[comp][i]);
    return;
  }

  for (y = y0; y < y0 + ch; y++) {
    if (y < 0 || y >= (gint) image->height)
      continue;
    for (x = x0; x < x0 + cw; x++) {
      gsize i;
      guint a;

      if (x < 0 || x >= (gint) image->width)
        continue;
      i = (gsize) y * image->width + x;
      a = image->rgba[4 * i + 3];
      sum_a += a;
      if (comp >= 0)
        sum_c += (gdouble) a * colour->comp[comp][i];
    }
  }

  /* Integer mean, rounded half up. */
  *alpha = (sum_a * 2 + cw * ch) / (2 * cw * ch);
  if (comp < 0)
    *val = 255;                 /* an alpha or padding slot: "over" */
  else
    *val = sum_a ? round_u8 (sum_c / sum_a) : 0;
}

static gboolean
build_phase (NpwPhase * phase, const NpwPlane * plane,
    const GstVideoFormatInfo * finfo, const NpyImage * image,
    const NpwColour * colour, gint px, gint py)
{
  gint ux, uy, j;
  guint c;
  gsize val_stride, alpha_stride;

  phase->width = (image->width + px + plane->xsub - 1) / plane->xsub;
  phase->height = (image->height + py + plane->ysub - 1) / plane->ysub;
  val_stride = (gsize) phase->width * plane->unit_bytes;
  alpha_stride = (gsize) phase->width * plane->alpha_per_unit;
  phase->val = g_try_malloc (val_stride * phase->height);
  phase->alpha = g_try_malloc (alpha_stride * phase->height);
  phase->spans = g_try_new (gint, 2 * phase->height);
  if (!phase->val || !phase->alpha || !phase->spans)
    return FALSE;

  for (uy = 0; uy < phase->height; uy++) {
    guint8 *vrow = phase->val + uy * val_stride;
    guint8 *arow = phase->alpha + uy * alpha_stride;
    gint first = phase->width, last = 0;

    for (ux = 0; ux < phase->width; ux++) {
      guint8 *v = vrow + ux * plane->unit_bytes;
      guint8 *a = arow + ux * plane->alpha_per_unit;
      gint x0 = ux * plane->xsub - px, y0 = uy * plane->ysub - py;
      guint8 unit_alpha, dummy;
      gboolean opaque_any = FALSE;

      /* Padding bytes (the x of RGBx) behave like an alpha slot. */
      compute_sample (image, colour, -1, x0, y0, plane->xsub, plane->ysub,
          &dummy, &unit_alpha);
      memset (v, 255, plane->unit_bytes);
      memset (a, unit_alpha, plane->alpha_per_unit);

      for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
        gint cw, ch, pstride, n_samples;
        gint src_comp;

        if (GST_VIDEO_FORMAT_INFO_PLANE (finfo, c) != plane->frame_plane)
          continue;
        cw = 1 << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
        ch = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
        pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c);
        n_samples = plane->xsub / cw;
        src_comp = c == GST_VIDEO_COMP_A ? -1 : (gint) c;
        if (GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo) && c > 0)
          src_comp = -1;

        for (j = 0; j < n_samples; j++) {
          gint off = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, c) + j * pstride;
          guint8 sample_alpha;

          compute_sample (image, colour, src_comp, x0 + j * cw, y0, cw, ch,
              &v[off], &sample_alpha);
          if (plane->alpha_per_unit > 1)
            a[off] = sample_alpha;
        }
      }

      for (j = 0; j < plane->alpha_per_unit; j++)
        opaque_any |= a[j] != 0;
      if (opaque_any) {
        first = MIN (first, ux);
        last = ux + 1;
      }
    }
    phase->spans[2 * uy] = first;
    phase->spans[2 * uy + 1] = last;
  }
  return TRUE;
}

NpwOverlay *
npw_overlay_new (const NpyImage * image, const GstVideoInfo * info)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  NpwOverlay *overlay;
  NpwColour colour;
  guint p, c;

  g_return_val_if_fail (image != NULL, NULL);
  g_return_val_if_fail (info != NULL, NULL);

  if (!npw_overlay_supports_format (GST_VIDEO_INFO_FORMAT (info)))
    return NULL;

  overlay = g_new0 (NpwOverlay, 1);
  overlay->width = image->width;
  overlay->height = image->height;
  overlay->frame_width = GST_VIDEO_INFO_WIDTH (info);
  overlay->frame_height = GST_VIDEO_INFO_HEIGHT (info);
  overlay->format = GST_VIDEO_INFO_FORMAT (info);
  overlay->colorimetry = info->colorimetry;
  overlay->n_planes = GST_VIDEO_FORMAT_INFO_N_PLANES (finfo);

  memset (&colour, 0, sizeof (colour));
  if (!colour_init (&colour, image, info))
    goto no_memory;

  for (p = 0; p < overlay->n_planes; p++) {
    NpwPlane *plane = &overlay->planes[p];
    gboolean mixed_sub = FALSE;
    gint first_sub = -1, px, py;

    plane->frame_plane = p;
    plane->unit_bytes = 0;
    plane->xsub = plane->ysub = 1;
    for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
      gint sub;

      if (GST_VIDEO_FORMAT_INFO_PLANE (finfo, c) != p)
        continue;
      sub = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
      if (first_sub >= 0 && sub != first_sub)
        mixed_sub = TRUE;
      first_sub = sub;
      plane->xsub = MAX (plane->xsub, 1 << sub);
      plane->ysub = MAX (plane->ysub, 1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo,
              c));
      plane->unit_bytes = MAX (plane->unit_bytes,
          GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c));
    }
    /* Packed 4:2:2 mixes full-rate luma and half-rate chroma in one unit,
     * so each byte carries its own alpha. */
    plane->alpha_per_unit = mixed_sub ? plane->unit_bytes : 1;

    if (plane->alpha_per_unit > 1 || plane->unit_bytes == 1)
      plane->blend_row = npw_blend_row_bytes;
    else if (plane->unit_bytes == 2)
      plane->blend_row = npw_blend_row_unit2;
    else if (plane->unit_bytes == 3)
      plane->blend_row = npw_blend_row_unit3;
    else
      plane->blend_row = npw_blend_row_unit4;

    for (py = 0; py < plane->ysub; py++)
      for (px = 0; px < plane->xsub; px++)
        if (!build_phase (&plane->phase[py][px], plane, finfo, image,
                &colour, px, py))
          goto no_memory;
  }

  colour_clear (&colour);

  return overlay;

  /* ERRORS */
no_memory:
  {
    /* a huge array on a small machine: the caller reports it */
    colour_clear (&colour);
    npw_overlay_free (overlay);
    return NULL;
  }
}

gboolean
npw_overlay_fits (NpwOverlay * overlay, const GstVideoInfo * info)
{
  g_return_val_if_fail (overlay != NULL, FALSE);

  if (GST_VIDEO_INFO_FORMAT (info) != overlay->format)
    return FALSE;
  /* RGB values are the image's own; YUV ones depend on matrix and range */
  if (!GST_VIDEO_FORMAT_INFO_IS_RGB (info->finfo) &&
      (info->colorimetry.matrix != overlay->colorimetry.matrix ||
          info->colorimetry.range != overlay->colorimetry.range))
    return FALSE;
  overlay->frame_width = GST_VIDEO_INFO_WIDTH (info);
  overlay->frame_height = GST_VIDEO_INFO_HEIGHT (info);
  return TRUE;
}

void
npw_overlay_free (NpwOverlay * overlay)
{
  guint p;
  gint i;

  if (overlay == NULL)
    return;

  for (p = 0; p < overlay->n_planes; p++) {
    for (i = 0; i < 4; i++) {
      NpwPhase *phase = &overlay->planes[p].phase[i / 2][i % 2];

      g_free (phase->val);
      g_free (phase->alpha);
      g_free (phase->spans);
    }
  }
  g_free (overlay);
}

/* The rectangle of frame units a phase covers, clipped to the frame. */
typedef struct
{
  const NpwPhase *phase;
  gint64 ux0, uy0;              /* frame unit of the phase's unit (0, 0) */
  gint x0, x1, y0, y1;          /* clipped, in frame units */
} NpwPlacement;

static gboolean
place (const NpwOverlay * overlay, const NpwPlane * plane, gint x, gint y,
    NpwPlacement * pl)
{
  gint64 ux0 = floor_div (x, plane->xsub), uy0 = floor_div (y, plane->ysub);
  gint px = (gint) (x - ux0 * plane->xsub);
  gint py = (gint) (y - uy0 * plane->ysub);
  gint units_w = (overlay->frame_width + plane->xsub - 1) / plane->xsub;
  gint units_h = (overlay->frame_height + plane->ysub - 1) / plane->ysub;

  pl->phase = &plane->phase[py][px];
  pl->ux0 = ux0;
  pl->uy0 = uy0;
  pl->x0 = (gint) MAX (0, ux0);
  pl->y0 = (gint) MAX (0, uy0);
  pl->x1 = (gint) MIN ((gint64) units_w, ux0 + pl->phase->width);
  pl->y1 = (gint) MIN ((gint64) units_h, uy0 + pl->phase->height);

  return pl->x0 < pl->x1 && pl->y0 < pl->y1;
}

gboolean
npw_overlay_is_visible (const NpwOverlay * overlay, gint x, gint y)
{
  const NpwPlane *plane = &overlay->planes[0];
  NpwPlacement pl;
  gint fy;

  if (!place (overlay, plane, x, y, &pl))
    return FALSE;

  for (fy = pl.y0; fy < pl.y1; fy++) {
    const gint *span = &pl.phase->spans[2 * (fy - pl.uy0)];

    if (MAX (span[0] + pl.ux0, pl.x0) < MIN (span[1] + pl.ux0, pl.x1))
      return TRUE;
  }
  return FALSE;
}

void
npw_overlay_blend (const NpwOverlay * overlay, GstVideoFrame * frame,
    gint x, gint y, guint op)
{
  guint p;

  g_return_if_fail (GST_VIDEO_FRAME_WIDTH (frame) == overlay->frame_width);
  g_return_if_fail (GST_VIDEO_FRAME_HEIGHT (frame) == overlay->frame_height);

  for (p = 0; p < overlay->n_planes; p++) {
    const NpwPlane *plane = &overlay->planes[p];
    const NpwPhase *phase;
    NpwPlacement pl;
    guint8 *dst_base;
    gint dst_stride, val_stride, alpha_stride, apu, fy;

    if (!place (overlay, plane, x, y, &pl))
      continue;

    phase = pl.phase;
    apu = plane->alpha_per_unit;
    dst_base = GST_VIDEO_FRAME_PLANE_DATA (frame, plane->frame_plane);
    dst_stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, plane->frame_plane);
    val_stride = phase->width * plane->unit_bytes;
    alpha_stride = phase->width * apu;

    for (fy = pl.y0; fy < pl.y1; fy++) {
      gint ky = (gint) (fy - pl.uy0);
      /* Units of this row to blend: the clip, narrowed to where the
       * overlay row is not fully transparent. */
      gint k0 = (gint) MAX (pl.x0 - pl.ux0, phase->spans[2 * ky]);
      gint k1 = (gint) MIN (pl.x1 - pl.ux0, phase->spans[2 * ky + 1]);

      if (k0 >= k1)
        continue;

      plane->blend_row (dst_base + (gsize) fy * dst_stride
          + (gsize) (pl.ux0 + k0) * plane->unit_bytes,
          phase->val + (gsize) ky * val_stride + (gsize) k0 * plane->unit_bytes,
          phase->alpha + (gsize) ky * alpha_stride + (gsize) k0 * apu,
          (k1 - k0) * apu, op);
    }
  }
}
