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
#include "colour.h"
#include "geometry.h"
#include "blend.h"

/* A stretch of one overlay row that a frame pays for: units [x0, x1)
 * to blend or, when @copy (every alpha in it fully opaque, 8-bit frames),
 * to copy at full opacity.  The rest of the row is transparent. */
typedef struct
{
  gint x0, x1;
  gboolean copy;
} NpwRun;

/* One phase of one overlay plane: units of the frame plane (a pixel, a
 * chroma sample, a NV12 UV pair, a YUY2 macropixel) covering the overlay
 * when its origin falls at the given offset within a chroma block. */
typedef struct
{
  gint width;                   /* in units */
  gint height;                  /* in unit rows */
  guint8 *val;                  /* width * unit_bytes per row (deep: 16-bit
                                 * native-endian samples at the depth) */
  guint8 *alpha;                /* width * alpha_per_unit per row (deep:
                                 * 16-bit, one per unit) */
  NpwRun *runs;                 /* every row's, left to right, row by row */
  gint *row_runs;               /* row r's are runs[row_runs[r]] up to
                                 * runs[row_runs[r + 1]] (height + 1) */
  /* a view's (npw_overlay_view ()): what its arrays have room for */
  gsize val_room, alpha_room, runs_room, rows_room;
} NpwPhase;

/* Where one component lives in a plane's unit. */
typedef struct
{
  gint comp;                    /* source component, -1: alpha/padding slot */
  gint cw, ch;                  /* luma pixels per sample */
  gint n_samples;               /* per unit */
  gint offset, pstride;         /* of the first sample in the unit, step */
} NpwSlot;

/* The frame's colour components as linear functions of the image's
 * R, G, B bytes: comp = k[0] + k[1] R + k[2] G + k[3] B.  Linear, so the
 * alpha-weighted mean over a chroma block needs only the block's integer
 * sums of a, aR, aG and aB: exact, and no per-pixel float copy. */
#define LUT_SHIFT 20

typedef struct
{
  const NpyImage *image;
  gboolean rgb;                 /* components are the image's own bytes */
  gdouble k[3][4];
  /* frames deeper than 8 bits: the same for 16-bit R, G, B, giving
   * values at the depth (0..max) */
  gdouble kd[3][4];
  guint max;
  /* the same per byte value, in fixed point with LUT_SHIFT bits of
   * fraction, the offset and the rounding half folded into R's table */
  gint32 lut[3][3][256];
  /* 8-bit Y'CbCr and gray frames of converted colours (colour.h): the
   * image's R'G'B' at 16 bits, 4 values a pixel as image->rgba, so that
   * they are rounded once, at 8 bits, after the matrix */
  const guint16 *conv16;
} NpwColour;

typedef struct
{
  guint frame_plane;
  gint unit_bytes;              /* frame bytes per unit */
  gint xsub, ysub;              /* luma pixels per unit */
  gint alpha_per_unit;          /* 1, or unit_bytes for packed 4:2:2 */
  NpwBlendRowFunc blend_row;
  gboolean deep;                /* 16-bit samples, depth > 8 */
  guint shift;                  /* of the value in its 16-bit word */
  gboolean swap;                /* foreign byte order */
  NpwBlendRow16Func blend_row16;
  NpwSlot slots[GST_VIDEO_MAX_COMPONENTS];
  gint n_slots;
  gint gcw, gch;                /* subsampling of its chroma, 1x1: none */
  NpwPhase phase[2][4];         /* [y phase][x phase]: 4:2:0 to 4:1:1 */
} NpwPlane;

struct _NpwOverlay
{
  gint width, height;           /* of the image, in pixels */
  gint frame_width, frame_height;       /* of the frames it was built for */
  GstVideoFormat format;        /* and what the values depend on */
  GstVideoColorimetry colorimetry;
  guint n_planes;
  gboolean deep;
  NpwPlane planes[GST_VIDEO_MAX_PLANES];
  /* the image (borrowed) and its colour, while phases remain to build */
  NpwColour colour;
  /* the image's colours moved to the frame's primaries and transfer, at
   * 16 bits, and for 8-bit frames rounded to 8 (colour.image then points
   * to the one of the frame's depth), while phases remain to build */
  NpyImage *converted;
  NpyImage *converted8;
};

/* The one list of formats is NPW_OVERLAY_FORMATS (the pad templates'),
 * looked up where it is asked (once per caps): no GstCaps, so that it
 * works before gst_init () too (the regression replays), and no state
 * shared between the threads that ask. */
gboolean
npw_overlay_supports_format (GstVideoFormat format)
{
  gchar **names = g_strsplit_set (NPW_OVERLAY_FORMATS, "{}, ", -1);
  gboolean found = FALSE;
  guint i;

  for (i = 0; names[i] && !found; i++)
    found = names[i][0] != '\0' &&
        gst_video_format_from_string (names[i]) == format;
  g_strfreev (names);
  return found && format != GST_VIDEO_FORMAT_UNKNOWN;
}


static void
colour_init (NpwColour * colour, const NpyImage * image,
    const GstVideoInfo * info)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  gdouble Kr = 0.299, Kb = 0.114, Kg;
  gint offset[4], scale[4], c;

  memset (colour, 0, sizeof (*colour));
  colour->image = image;
  colour->rgb = GST_VIDEO_FORMAT_INFO_IS_RGB (finfo);
  colour->max = (1u << GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0)) - 1;
  if (colour->rgb) {
    for (c = 0; c < 3; c++)
      colour->kd[c][c + 1] = colour->max / 65535.0;
    return;
  }

  /* gst_video_info_from_caps () already filled in GStreamer's default
   * colorimetry for the size when the caps had none. */
  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &Kr, &Kb)) {
    Kr = 0.299;
    Kb = 0.114;
  }
  Kg = 1.0 - Kr - Kb;
  gst_video_color_range_offsets (info->colorimetry.range, finfo, offset, scale);

  /* Y = Kr r + Kg g + Kb b, Cb = (b - Y) / (2 (1 - Kb)),
   * Cr = (r - Y) / (2 (1 - Kr)), with r, g, b in 0..1 */
  colour->k[0][1] = Kr;
  colour->k[0][2] = Kg;
  colour->k[0][3] = Kb;
  for (c = 1; c < 4; c++) {
    colour->k[1][c] = -colour->k[0][c] / (2 * (1 - Kb));
    colour->k[2][c] = -colour->k[0][c] / (2 * (1 - Kr));
  }
  colour->k[1][3] += 1.0 / (2 * (1 - Kb));
  colour->k[2][1] += 1.0 / (2 * (1 - Kr));
  for (c = 0; c < 3; c++) {
    gint i;

    /* offsets and scales at the format's depth */
    for (i = 1; i < 4; i++) {
      colour->kd[c][i] = colour->k[c][i] * scale[c] / 65535.0;
      colour->k[c][i] *= scale[c] / 255.0;
    }
    colour->k[c][0] = colour->kd[c][0] = offset[c];
  }
  for (c = 0; c < 3; c++) {
    gint i, v;

    for (i = 0; i < 3; i++)
      for (v = 0; v < 256; v++)
        colour->lut[c][i][v] = (gint32) floor (colour->k[c][i + 1] * v *
            (1 << LUT_SHIFT) + (i == 0 ? (colour->k[c][0] + 0.5) *
                (1 << LUT_SHIFT) : 0.0) + 0.5);
  }
}

static inline guint8
round_u8 (gdouble v)
{
  return v <= 0.0 ? 0 : v >= 255.0 ? 255 : (guint8) (v + 0.5);
}

/* The same from the 16-bit converted colours of the pixel at @px. */
static guint8
conv_value (const NpwColour * colour, gint comp, const guint8 * px)
{
  const guint16 *q = colour->conv16 + (px - colour->image->rgba);
  const gdouble *k = colour->k[comp];

  return round_u8 (k[0] + (k[1] * q[0] + k[2] * q[1] + k[3] * q[2]) / 257.0);
}

/* A sum of the three tables' entries, clamped and rounded to 8 bits. */
static inline guint8
lut_round (gint32 v)
{
  return v <= 0 ? 0 : v >= (255 << LUT_SHIFT) ? 255 : (guint8) (v >> LUT_SHIFT);
}

/* Component @comp of R, G, B through the tables: within 2^-19 of the
 * exact value before rounding. */
static inline guint8
lut_value (const NpwColour * colour, gint comp, const guint8 * px)
{
  const gint32 (*t)[256] = colour->lut[comp];

  if (G_UNLIKELY (colour->conv16))
    return conv_value (colour, comp, px);
  return lut_round (t[0][px[0]] + t[1][px[1]] + t[2][px[2]]);
}

/* Component @comp (-1: an alpha or padding slot) of one image pixel. */
static inline guint8
pixel_value (const NpwColour * colour, const guint8 * px, gint comp)
{
  if (comp < 0)
    return 255;
  if (colour->rgb)
    return px[comp];
  return lut_value (colour, comp, px);
}

/* Frames deeper than 8 bits take the image at 16 bits: its own 16-bit
 * values, or an 8-bit image expanded exactly (v * 257). */
static inline guint32
img16 (const NpyImage * image, gsize i)
{
  return image->depth == 16 ? image->rgba16[i] : image->rgba[i] * 257u;
}

/* The value index of the first pixel of row @y (NpyImage.stride). */
static inline gsize
row_index (const NpyImage * image, gint y)
{
  return (gsize) y *(image->stride ? image->stride : image->width) * 4;
}

static inline guint16
round_deep (gdouble v, guint max)
{
  return v <= 0.0 ? 0 : v >= max ? max : (guint16) (v + 0.5);
}

/* Component @comp (-1: alpha or padding) at the depth, of 16-bit R, G, B
 * (or, for a chroma mean, their alpha-weighted sums over @sa). */
static inline guint16
deep_value (const NpwColour * colour, gint comp, gdouble r, gdouble g,
    gdouble b, gdouble sa)
{
  const gdouble *k;

  if (comp < 0)
    return colour->max;
  k = colour->kd[comp];
  return round_deep (k[0] + (k[1] * r + k[2] * g + k[3] * b) / sa, colour->max);
}

/* The samples of a (cw x ch)-subsampled component grid: sample (sx, sy)
 * covers image pixels [sx cw - ox, +cw) x [sy ch - oy, +ch).  Alpha is
 * the mean over all covered pixels, pixels outside the image counting as
 * transparent; colour is the alpha-weighted mean, so premultiplied colour
 * is preserved.  Values for components 1 and 2 (the chroma). */
typedef struct
{
  gint cw, ch, ox, oy;
  gint width, height;
  guint8 *alpha;
  guint8 *val[2];
} NpwGrid;

/* Sizes @g for @image's samples of @cw x @ch blocks at phase (@ox, @oy)
 * and allocates its planes, @bytes per sample.  FALSE without memory. */
static gboolean
grid_alloc (NpwGrid * g, const NpyImage * image, gint cw, gint ch, gint ox,
    gint oy, gsize bytes)
{
  gsize n;

  g->cw = cw;
  g->ch = ch;
  g->ox = ox;
  g->oy = oy;
  g->width = (image->width + ox + cw - 1) / cw;
  g->height = (image->height + oy + ch - 1) / ch;
  n = (gsize) g->width * g->height * bytes;
  g->alpha = g_try_malloc (n);
  g->val[0] = g_try_malloc (n);
  g->val[1] = g_try_malloc (n);
  return g->alpha && g->val[0] && g->val[1];
}

/* grid_build ()'s common case: @n 4:2:0 samples of 8-bit colours whose
 * blocks lie inside the image, on rows @p and @q; the same values as the
 * general loop, with the mean of alpha as a shift. */
static void
grid_row_420 (const NpwColour * colour, const gdouble * recip,
    const guint8 * p, const guint8 * q, guint8 * ga, guint8 * gu,
    guint8 * gv, gint n)
{
  const gdouble *ku = colour->k[1], *kv = colour->k[2];
  gint i;

  for (i = 0; i < n; i++, p += 8, q += 8) {
    guint a0 = p[3], a1 = p[7], a2 = q[3], a3 = q[7];
    guint sa = a0 + a1 + a2 + a3, sr, sg, sb;

    ga[i] = (sa + 2) >> 2;
    if (sa == 0) {
      gu[i] = gv[i] = 0;
      continue;
    }
    sr = a0 * p[0] + a1 * p[4] + a2 * q[0] + a3 * q[4];
    sg = a0 * p[1] + a1 * p[5] + a2 * q[1] + a3 * q[5];
    sb = a0 * p[2] + a1 * p[6] + a2 * q[2] + a3 * q[6];
    gu[i] = round_u8 (ku[0] + (ku[1] * sr + ku[2] * sg + ku[3] * sb) *
        recip[sa]);
    gv[i] = round_u8 (kv[0] + (kv[1] * sr + kv[2] * sg + kv[3] * sb) *
        recip[sa]);
  }
}

static gboolean
grid_build (NpwGrid * g, const NpwColour * colour, gint cw, gint ch,
    gint ox, gint oy)
{
  const NpyImage *image = colour->image;
  gint w = image->width, h = image->height, sx, sy;
  guint n_px = cw * ch;

  /* 1 / sa for every alpha sum of a block: the same doubles as the
   * division, without one per sample */
  g_autofree gdouble *recip = NULL;

  if (!grid_alloc (g, image, cw, ch, ox, oy, 1))
    return FALSE;
  recip = g_try_new (gdouble, n_px * 255 + 1);
  if (recip == NULL)
    return FALSE;
  recip[0] = 0.0;
  for (sx = 1; sx <= (gint) n_px * 255; sx++)
    recip[sx] = 1.0 / sx;

  for (sy = 0; sy < g->height; sy++) {
    gint y0 = MAX (0, sy * ch - oy), y1 = MIN (h, sy * ch - oy + ch);
    guint8 *ga = g->alpha + (gsize) sy * g->width;
    guint8 *gu = g->val[0] + (gsize) sy * g->width;
    guint8 *gv = g->val[1] + (gsize) sy * g->width;

    /* samples whose block lies wholly inside the image */
    gint in0 = (ox + cw - 1) / cw, in1 = (w + ox) / cw;
    gboolean fast = cw == 2 && ch == 2 && y1 - y0 == ch && in1 > in0 &&
        !colour->conv16;

    for (sx = 0; sx < g->width; sx++) {
      gint x0 = MAX (0, sx * cw - ox), x1 = MIN (w, sx * cw - ox + cw);
      guint sa = 0, sr = 0, sg = 0, sb = 0;
      gint x, y;

      if (fast && sx == in0) {
        grid_row_420 (colour, recip, image->rgba + row_index (image, y0) +
            x0 * 4, image->rgba + row_index (image, y0 + 1) + x0 * 4,
            ga + sx, gu + sx, gv + sx, in1 - in0);
        sx = in1 - 1;           /* the loop goes on at in1 */
        continue;
      }
      if (colour->conv16) {
        /* converted colours: their 16 bits, rounded once below */
        guint64 sr16 = 0, sg16 = 0, sb16 = 0;
        const gdouble *ku = colour->k[1], *kv = colour->k[2];

        for (y = y0; y < y1; y++) {
          gsize i = row_index (image, y) + x0 * 4;

          for (x = x0; x < x1; x++, i += 4) {
            guint a = image->rgba[i + 3];

            sa += a;
            sr16 += colour->conv16[i] * (guint64) a;
            sg16 += colour->conv16[i + 1] * (guint64) a;
            sb16 += colour->conv16[i + 2] * (guint64) a;
          }
        }
        ga[sx] = (sa * 2 + n_px) / (2 * n_px);
        if (sa == 0) {
          gu[sx] = gv[sx] = 0;
        } else {
          gdouble inv = 1.0 / (257.0 * sa);

          gu[sx] = round_u8 (ku[0] + (ku[1] * sr16 + ku[2] * sg16 +
                  ku[3] * sb16) * inv);
          gv[sx] = round_u8 (kv[0] + (kv[1] * sr16 + kv[2] * sg16 +
                  kv[3] * sb16) * inv);
        }
        continue;
      }
      for (y = y0; y < y1; y++) {
        const guint8 *px = image->rgba + row_index (image, y) + x0 * 4;

        for (x = x0; x < x1; x++, px += 4) {
          guint a = px[3];

          sa += a;
          sr += a * px[0];
          sg += a * px[1];
          sb += a * px[2];
        }
      }
      /* integer mean, rounded half up */
      ga[sx] = (sa * 2 + n_px) / (2 * n_px);
      if (sa == 0) {
        gu[sx] = gv[sx] = 0;
      } else {
        const gdouble *ku = colour->k[1], *kv = colour->k[2];
        gdouble inv = recip[sa];

        gu[sx] = round_u8 (ku[0] + (ku[1] * sr + ku[2] * sg + ku[3] * sb) *
            inv);
        gv[sx] = round_u8 (kv[0] + (kv[1] * sr + kv[2] * sg + kv[3] * sb) *
            inv);
      }
    }
  }
  return TRUE;
}

/* The same at 16 bits: alpha 0..65535, values at the depth. */
static gboolean
grid_build16 (NpwGrid * g, const NpwColour * colour, gint cw, gint ch,
    gint ox, gint oy)
{
  const NpyImage *image = colour->image;
  gint w = image->width, h = image->height, sx, sy;
  guint64 n_px = cw * ch;

  if (!grid_alloc (g, image, cw, ch, ox, oy, 2))
    return FALSE;

  for (sy = 0; sy < g->height; sy++) {
    gint y0 = MAX (0, sy * ch - oy), y1 = MIN (h, sy * ch - oy + ch);
    guint16 *ga = (guint16 *) g->alpha + (gsize) sy * g->width;
    guint16 *gu = (guint16 *) g->val[0] + (gsize) sy * g->width;
    guint16 *gv = (guint16 *) g->val[1] + (gsize) sy * g->width;

    for (sx = 0; sx < g->width; sx++) {
      gint x0 = MAX (0, sx * cw - ox), x1 = MIN (w, sx * cw - ox + cw);
      guint64 sa = 0, sr = 0, sg = 0, sb = 0;
      gint x, y;

      for (y = y0; y < y1; y++) {
        gsize i = row_index (image, y) + x0 * 4;

        for (x = x0; x < x1; x++, i += 4) {
          guint64 a = img16 (image, i + 3);

          sa += a;
          sr += a * img16 (image, i);
          sg += a * img16 (image, i + 1);
          sb += a * img16 (image, i + 2);
        }
      }
      ga[sx] = (sa * 2 + n_px) / (2 * n_px);
      if (sa == 0) {
        gu[sx] = gv[sx] = 0;
      } else {
        gu[sx] = deep_value (colour, 1, sr, sg, sb, sa);
        gv[sx] = deep_value (colour, 2, sr, sg, sb, sa);
      }
    }
  }
  return TRUE;
}

static void
grid_clear (NpwGrid * g)
{
  g_free (g->alpha);
  g_free (g->val[0]);
  g_free (g->val[1]);
  memset (g, 0, sizeof (*g));
}


/* A full-rate plane (RGB, AYUV, luma, Y444, gray): one unit per image
 * pixel, and the phase covers exactly the image. */
static void
row_full (guint8 * v, guint8 * a, const guint8 * img, gint w,
    const NpwPlane * plane, const NpwSlot * slots, gint n_slots,
    const NpwColour * colour)
{
  gint ux, s;

  if (n_slots == 1 && slots[0].comp >= 0 && plane->unit_bytes == 1) {
    /* a plane of one component: luma, a Y444 chroma plane, gray */
    gint comp = slots[0].comp;

    if (colour->rgb) {
      for (ux = 0; ux < w; ux++, img += 4) {
        a[ux] = img[3];
        v[ux] = img[comp];
      }
    } else if (colour->conv16) {
      for (ux = 0; ux < w; ux++, img += 4) {
        a[ux] = img[3];
        v[ux] = conv_value (colour, comp, img);
      }
    } else {
      /* lut_value () with the tables in hand: the loop the luma of
       * every Y'CbCr frame takes */
      const gint32 *t0 = colour->lut[comp][0], *t1 = colour->lut[comp][1],
          *t2 = colour->lut[comp][2];

      for (ux = 0; ux < w; ux++, img += 4) {
        a[ux] = img[3];
        v[ux] = lut_round (t0[img[0]] + t1[img[1]] + t2[img[2]]);
      }
    }
    return;
  }
  if (colour->rgb && plane->unit_bytes == 4 && n_slots == 4) {
    /* RGBA and friends: a byte shuffle, alpha slot "over" */
    gint order[4], b;

    for (s = 0; s < 4; s++)
      order[slots[s].offset] = slots[s].comp;
    for (ux = 0; ux < w; ux++, img += 4, v += 4) {
      a[ux] = img[3];
      for (b = 0; b < 4; b++)
        v[b] = order[b] < 0 ? 255 : img[order[b]];
    }
    return;
  }
  for (ux = 0; ux < w; ux++, img += 4, v += plane->unit_bytes) {
    a[ux] = img[3];
    for (s = 0; s < n_slots; s++)
      v[slots[s].offset] = pixel_value (colour, img, slots[s].comp);
  }
}

/* A subsampled plane whose unit is one grid sample (I420, NV12, Y42B
 * chroma). */
static void
row_grid (guint8 * v, guint8 * a, const NpwGrid * grid, gint uy, gint width,
    const NpwPlane * plane, const NpwSlot * slots, gint n_slots)
{
  const guint8 *ga = grid->alpha + (gsize) uy * grid->width;
  const guint8 *gv[2] = { grid->val[0] + (gsize) uy * grid->width,
    grid->val[1] + (gsize) uy * grid->width
  };
  gint ux, s;

  memcpy (a, ga, width);
  if (n_slots == 1 && plane->unit_bytes == 1) {
    memcpy (v, gv[slots[0].comp - 1], width);
    return;
  }
  for (ux = 0; ux < width; ux++, v += plane->unit_bytes)
    for (s = 0; s < n_slots; s++)
      v[slots[s].offset] = slots[s].comp < 0 ? 255 : gv[slots[s].comp - 1][ux];
}

/* Anything else (packed 4:2:2, where a unit mixes full-rate luma and
 * half-rate chroma, each byte with its own alpha). */
static void
row_mixed (guint8 * vrow, guint8 * arow, const guint8 * img_row,
    const NpwGrid * grid, gint uy, gint width, gint px, gint w,
    const NpwPlane * plane, const NpwSlot * slots, gint n_slots,
    const NpwColour * colour)
{
  gint ux, s, j;

  for (ux = 0; ux < width; ux++) {
    guint8 *v = vrow + ux * plane->unit_bytes;
    guint8 *a = arow + ux * plane->alpha_per_unit;
    gint x0 = ux * plane->xsub - px;

    for (s = 0; s < n_slots; s++) {
      const NpwSlot *slot = &slots[s];

      for (j = 0; j < slot->n_samples; j++) {
        gint off = slot->offset + j * slot->pstride;
        gint x = x0 + j * slot->cw;
        guint8 sv, sa;

        if (slot->cw == 1 && slot->ch == 1) {
          if (img_row && x >= 0 && x < w) {
            const guint8 *p = img_row + 4 * x;

            sa = p[3];
            sv = pixel_value (colour, p, slot->comp);
          } else {
            sa = 0;
            sv = slot->comp < 0 ? 255 : 0;
          }
        } else {
          /* grid samples sit at (x + ox) / cw */
          gsize gi = (gsize) uy * grid->width + (x + grid->ox) / grid->cw;

          sa = grid->alpha[gi];
          sv = slot->comp < 0 ? 255 : grid->val[slot->comp - 1][gi];
        }
        v[off] = sv;
        a[off] = sa;
      }
    }
  }
}

/* Full-rate deep planes: one unit per image pixel. */
static void
row_full16 (guint16 * v, guint16 * a, const NpyImage * image, gsize i0,
    gint w, const NpwPlane * plane, const NpwSlot * slots, gint n_slots,
    const NpwColour * colour)
{
  gint ux, s, step = plane->unit_bytes / 2;
  gsize i = i0;

  for (ux = 0; ux < w; ux++, i += 4, v += step) {
    gdouble r = img16 (image, i), g = img16 (image, i + 1),
        b = img16 (image, i + 2);

    a[ux] = img16 (image, i + 3);
    for (s = 0; s < n_slots; s++)
      v[slots[s].offset / 2] = deep_value (colour, slots[s].comp, r, g, b, 1.0);
  }
}

/* Subsampled deep planes whose unit is one grid sample. */
static void
row_grid16 (guint16 * v, guint16 * a, const NpwGrid * grid, gint uy,
    gint width, const NpwPlane * plane, const NpwSlot * slots, gint n_slots,
    const NpwColour * colour)
{
  gsize row = (gsize) uy * grid->width;
  const guint16 *ga = (const guint16 *) grid->alpha + row;
  const guint16 *gv[2] = { (const guint16 *) grid->val[0] + row,
    (const guint16 *) grid->val[1] + row
  };
  gint ux, s, step = plane->unit_bytes / 2;

  memcpy (a, ga, (gsize) width * 2);
  for (ux = 0; ux < width; ux++, v += step)
    for (s = 0; s < n_slots; s++)
      v[slots[s].offset / 2] = slots[s].comp < 0 ? colour->max :
          gv[slots[s].comp - 1][ux];
}

/* How a row is cut into runs.  A transparent stretch shorter than
 * RUN_GAP_BYTES of frame bytes stays inside the run around it, where
 * blending alpha 0 leaves the frame as it is; an opaque stretch is copied
 * from RUN_COPY_BYTES on.  Each run costs a kernel call and a fresh
 * stream for the memory: in bench-element, 32-byte copies and gaps made
 * a tiled RGBA watermark dearer (0.86 ms a frame) than these (0.51). */
#define RUN_GAP_BYTES 256
#define RUN_COPY_BYTES 256

enum
{
  UNIT_CLEAR,                   /* every alpha 0 */
  UNIT_PARTLY,
  UNIT_OPAQUE                   /* every alpha at its maximum */
};

static inline gint
unit_class (const NpwPlane * plane, const guint8 * arow, gint u)
{
  gint apu = plane->alpha_per_unit, k, zero = 0, full = 0;

  if (plane->deep) {
    guint16 a = ((const guint16 *) arow)[u];

    return a == 0 ? UNIT_CLEAR : a == 65535 ? UNIT_OPAQUE : UNIT_PARTLY;
  }
  for (k = 0; k < apu; k++) {
    zero += arow[u * apu + k] == 0;
    full += arow[u * apu + k] == 255;
  }
  return zero == apu ? UNIT_CLEAR : full == apu ? UNIT_OPAQUE : UNIT_PARTLY;
}

/* Adds run [@x0, @x1) to @phase's, growing the array; FALSE without
 * memory. */
static gboolean
add_run (NpwPhase * phase, gsize * n, gsize * alloc, gint x0, gint x1,
    gboolean copy)
{
  if (x0 >= x1)
    return TRUE;
  if (*n == *alloc) {
    NpwRun *runs;

    *alloc = MAX (64, *alloc * 2);
    runs = g_try_renew (NpwRun, phase->runs, *alloc);
    if (runs == NULL)
      return FALSE;
    phase->runs = runs;
  }
  phase->runs[*n].x0 = x0;
  phase->runs[*n].x1 = x1;
  phase->runs[*n].copy = copy;
  (*n)++;
  return TRUE;
}

/* Cuts row @arow of @phase into runs: stretches with any alpha, joined
 * across short transparent gaps, and within them the long opaque
 * stretches as copies (8-bit frames only: deep values are shifted and
 * swapped on the way in). */
/* The first unit from @u (at most @width) whose class is (@is) or is not
 * (!@is) @cls.  An 8-bit plane with one alpha per unit (every planar and
 * RGB layout) scans bytes: memchr () for the next 0 or 255, eight bytes
 * at a time past a stretch of them; a row of a large, mostly transparent
 * watermark is scanned several times per prepared phase. */
static inline gint
next_unit (const NpwPlane * plane, const guint8 * arow, gint u, gint width,
    gint cls, gboolean is)
{
  if (!plane->deep && plane->alpha_per_unit == 1 && cls != UNIT_PARTLY) {
    guint8 byte = cls == UNIT_CLEAR ? 0 : 255;

    if (is) {
      const guint8 *hit = memchr (arow + u, byte, width - u);

      return hit ? (gint) (hit - arow) : width;
    } else {
      guint64 word = cls == UNIT_CLEAR ? 0 : G_MAXUINT64, chunk;

      for (; u + 8 <= width; u += 8) {
        memcpy (&chunk, arow + u, 8);
        if (chunk != word)
          break;
      }
      while (u < width && arow[u] == byte)
        u++;
      return u;
    }
  }
  while (u < width && (unit_class (plane, arow, u) == cls) != is)
    u++;
  return u;
}

static gboolean
row_runs (NpwPhase * phase, const NpwPlane * plane, const guint8 * arow,
    gsize * n, gsize * alloc)
{
  gint width = phase->width;
  gint gap = MAX (1, RUN_GAP_BYTES / plane->unit_bytes);
  gint min_copy = MAX (1, RUN_COPY_BYTES / plane->unit_bytes);
  gint u = 0;

  while (u < width) {
    gint start, end, k, o;

    u = next_unit (plane, arow, u, width, UNIT_CLEAR, FALSE);
    if (u == width)
      break;
    /* [start, end): ends on a unit with alpha, gaps shorter than @gap in */
    start = end = u;
    while (u < width) {
      gint clear;

      u = next_unit (plane, arow, u, width, UNIT_CLEAR, TRUE);
      end = u;
      u = next_unit (plane, arow, u, width, UNIT_CLEAR, FALSE);
      clear = u - end;
      if (u == width || clear >= gap)
        break;
    }

    /* the opaque stretches of at least @min_copy units are copies */
    k = start;
    o = start;
    while (!plane->deep && o < end) {
      gint o1;

      o = next_unit (plane, arow, o, end, UNIT_OPAQUE, TRUE);
      o1 = next_unit (plane, arow, o, end, UNIT_OPAQUE, FALSE);
      if (o1 - o >= min_copy) {
        if (!add_run (phase, n, alloc, k, o, FALSE)
            || !add_run (phase, n, alloc, o, o1, TRUE))
          return FALSE;
        k = o1;
      }
      o = o1;
    }
    if (!add_run (phase, n, alloc, k, end, FALSE))
      return FALSE;
  }
  return TRUE;
}

static gboolean
build_phase (NpwPhase * phase, const NpwPlane * plane, const NpwSlot * slots,
    gint n_slots, const NpwColour * colour, const NpwGrid * grid, gint px,
    gint py)
{
  const NpyImage *image = colour->image;
  gint w = image->width, h = image->height;
  gint uy, apu = plane->alpha_per_unit;
  gsize val_stride, alpha_stride, n_runs = 0, alloc = 0;

  phase->width = (w + px + plane->xsub - 1) / plane->xsub;
  phase->height = (h + py + plane->ysub - 1) / plane->ysub;
  val_stride = (gsize) phase->width * plane->unit_bytes;
  alpha_stride = (gsize) phase->width * apu * (plane->deep ? 2 : 1);
  phase->val = g_try_malloc (val_stride * phase->height);
  phase->alpha = g_try_malloc (alpha_stride * phase->height);
  phase->row_runs = g_try_new (gint, phase->height + 1);
  if (!phase->val || !phase->alpha || !phase->row_runs)
    return FALSE;

  /* padding bytes (the x of RGBx) behave like an alpha slot */
  if (!plane->deep && n_slots * plane->xsub < plane->unit_bytes)
    memset (phase->val, 255, val_stride * phase->height);

  for (uy = 0; uy < phase->height; uy++) {
    guint8 *vrow = phase->val + uy * val_stride;
    guint8 *arow = phase->alpha + uy * alpha_stride;
    gint y = uy * plane->ysub - py;
    gboolean in_rows = y >= 0 && y < h;
    const guint8 *img_row = in_rows && image->rgba ?
        image->rgba + row_index (image, y) : NULL;

    if (plane->deep) {
      if (grid)
        row_grid16 ((guint16 *) vrow, (guint16 *) arow, grid, uy,
            phase->width, plane, slots, n_slots, colour);
      else if (in_rows)
        row_full16 ((guint16 *) vrow, (guint16 *) arow, image,
            row_index (image, y), w, plane, slots, n_slots, colour);
    } else if (apu > 1)
      row_mixed (vrow, arow, img_row, grid, uy, phase->width, px, w, plane,
          slots, n_slots, colour);
    else if (grid)
      row_grid (vrow, arow, grid, uy, phase->width, plane, slots, n_slots);
    else
      row_full (vrow, arow, img_row, w, plane, slots, n_slots, colour);

    phase->row_runs[uy] = (gint) n_runs;
    if (!row_runs (phase, plane, arow, &n_runs, &alloc))
      return FALSE;
  }
  phase->row_runs[phase->height] = (gint) n_runs;
  return TRUE;
}

/* Direct-mapped memo of converted colours: a logo has few, and a tiled
 * canvas repeats its copy's. */
#define MEMO_BITS 12

typedef struct
{
  guint64 key;                  /* R G B (16 bits each) + 1, 0: empty */
  guint16 out[3];
} NpwMemo;

/* @image's colours (straight alpha, its depth) converted by @conv into
 * the frame's R'G'B' at 16 bits, an 8-bit image's too: no colour is
 * rounded to 8 bits on its way to the frame.  Transparent pixels, whose
 * colour is never seen, are left black.  NULL when memory cannot be
 * had. */
static NpyImage *
convert_image (const NpyImage * image, const NpwColourConversion * conv)
{
  gsize n = (gsize) image->width * image->height, i, o;
  guint x, y;
  /* (an image built by hand sets rgba only: depth is read nowhere) */
  gboolean in16 = image->rgba == NULL;
  gdouble lin8[256];
  NpwColourTable *table;
  NpwMemo *memo;
  NpyImage *out;
  gint c;

  out = g_new0 (NpyImage, 1);
  out->width = image->width;
  out->height = image->height;
  out->depth = 16;
  out->n_frames = 1;
  out->channels = 4;
  out->rgba16 = g_try_new0 (guint16, n * 4);
  memo = g_try_new0 (NpwMemo, 1 << MEMO_BITS);
  table = npw_colour_table_new (conv);
  if (out->rgba16 == NULL || memo == NULL || table == NULL) {
    g_free (memo);
    npw_colour_table_free (table);
    npy_image_free (out);
    return NULL;
  }
  for (c = 0; c < 256 && !in16; c++)
    lin8[c] = npw_colour_srgb_eotf (c / 255.0);

  for (o = 0, y = 0; y < image->height; y++)
    for (x = 0, i = row_index (image, y); x < image->width; x++, i += 4, o += 4) {
      guint32 rgb[3], a = in16 ? image->rgba16[i + 3] : image->rgba[i + 3];
      guint64 key;
      NpwMemo *m;

      if (a == 0)
        continue;
      for (c = 0; c < 3; c++)
        rgb[c] = in16 ? image->rgba16[i + c] : image->rgba[i + c];
      key = ((guint64) rgb[0] << 32 | (guint64) rgb[1] << 16 | rgb[2]) + 1;
      m = &memo[(key * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)) >>
          (64 - MEMO_BITS)];
      if (m->key != key) {
        gdouble lin[3], res[3];

        if (conv->transfer == NPW_COLOUR_TRANSFER_SDR && rgb[0] == rgb[1]
            && rgb[1] == rgb[2]) {
          /* greys stay greys, and in SDR the same signal: exactly */
          for (c = 0; c < 3; c++)
            m->out[c] = in16 ? rgb[c] : rgb[c] * 257;
        } else {
          for (c = 0; c < 3; c++)
            lin[c] = in16 ? npw_colour_srgb_eotf16 (rgb[c]) : lin8[rgb[c]];
          npw_colour_convert_linear (conv, table, lin, res);
          for (c = 0; c < 3; c++)
            m->out[c] =
                (guint16) floor (CLAMP (res[c], 0.0, 1.0) * 65535 + 0.5);
        }
        m->key = key;
      }
      for (c = 0; c < 3; c++)
        out->rgba16[o + c] = m->out[c];
      out->rgba16[o + 3] = in16 ? a : a * 257u;
    }
  g_free (memo);
  npw_colour_table_free (table);
  return out;
}

/* For 8-bit frames: @conv16 (convert_image ()) rounded to 8 bits, with
 * @image's own alpha.  NULL when memory cannot be had. */
static NpyImage *
reduce_image (const NpyImage * conv16, const NpyImage * image)
{
  gsize n = (gsize) image->width * image->height * 4, i, o;
  NpyImage *out = g_new0 (NpyImage, 1);
  guint x, y;

  *out = *conv16;
  out->depth = 8;
  out->rgba16 = NULL;
  out->rgba = g_try_malloc (n);
  if (out->rgba == NULL) {
    g_free (out);
    return NULL;
  }
  for (o = 0, y = 0; y < image->height; y++)
    for (x = 0, i = row_index (image, y); x < image->width * 4; x++, i++, o++)
      out->rgba[o] = (o & 3) != 3 ? (conv16->rgba16[o] + 128u) / 257 :
          image->rgba == NULL ? (image->rgba16[i] * 255u + 32767) / 65535 :
          (guint) image->rgba[i];
  return out;
}

/* The byte offset of component @c in its unit.  GStreamer 1.22's table
 * puts V of P010, P012 and P016 at byte 1 (NV12's offsets, reused); their
 * pack and unpack functions, and every producer, at byte 2, the second
 * 16-bit word.  A 16-bit sample starts on an even byte. */
static gint
npw_comp_offset (const GstVideoFormatInfo * finfo, guint c)
{
  gint offset = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, c);

  if (GST_VIDEO_FORMAT_INFO_DEPTH (finfo, c) > 8 && (offset & 1))
    offset *= 2;
  return offset;
}

NpwOverlay *
npw_overlay_new_lazy (const NpyImage * image, const GstVideoInfo * info,
    gdouble reference_white)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  NpwColourConversion conv;
  NpwOverlay *overlay;
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
  overlay->deep = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0) > 8;

  npw_colour_conversion_init (&conv, info->colorimetry.primaries,
      info->colorimetry.transfer, reference_white);
  if (conv.active) {
    overlay->converted = convert_image (image, &conv);
    if (overlay->converted && !overlay->deep)
      overlay->converted8 = reduce_image (overlay->converted, image);
    if (overlay->converted == NULL || (!overlay->deep
            && overlay->converted8 == NULL)) {
      npw_overlay_free (overlay);
      return NULL;
    }
    image = overlay->deep ? overlay->converted : overlay->converted8;
  }
  colour_init (&overlay->colour, image, info);
  /* 8-bit Y'CbCr and gray from the 16 bits: rounded once (RGB formats
   * take the 8-bit values, rounded once too) */
  if (overlay->converted8 && !overlay->colour.rgb)
    overlay->colour.conv16 = overlay->converted->rgba16;

  for (p = 0; p < overlay->n_planes; p++) {
    NpwPlane *plane = &overlay->planes[p];
    gint first_sub = -1;
    gboolean mixed_sub = FALSE;

    plane->frame_plane = p;
    plane->deep = overlay->deep;
    plane->unit_bytes = 0;
    plane->xsub = plane->ysub = 1;
    plane->gcw = plane->gch = 1;
    for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
      NpwSlot *slot;
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

      slot = &plane->slots[plane->n_slots++];
      slot->comp = c == GST_VIDEO_COMP_A ? -1 : (gint) c;
      if (GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo) && c > 0)
        slot->comp = -1;
      slot->cw = 1 << sub;
      slot->ch = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
      slot->offset = npw_comp_offset (finfo, c);
      slot->pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c);
      plane->shift = GST_VIDEO_FORMAT_INFO_SHIFT (finfo, c);
      if (slot->cw > 1 || slot->ch > 1) {
        plane->gcw = slot->cw;
        plane->gch = slot->ch;
      }
    }
    for (c = 0; c < (guint) plane->n_slots; c++)
      plane->slots[c].n_samples = plane->xsub / plane->slots[c].cw;
    /* Packed 4:2:2 mixes full-rate luma and half-rate chroma in one unit,
     * so each byte carries its own alpha. */
    plane->alpha_per_unit = mixed_sub ? plane->unit_bytes : 1;

    /* deep: every supported layout is 16-bit samples, 1, 2 or 4 a unit,
     * one alpha per unit */
    plane->swap = (G_BYTE_ORDER == G_LITTLE_ENDIAN) !=
        (GST_VIDEO_FORMAT_INFO_IS_LE (finfo) != 0);
    if (plane->unit_bytes == 2)
      plane->blend_row16 = npw_blend_row16_unit1;
    else if (plane->unit_bytes == 4)
      plane->blend_row16 = npw_blend_row16_unit2;
    else
      plane->blend_row16 = npw_blend_row16_unit4;

    if (plane->alpha_per_unit > 1 || plane->unit_bytes == 1)
      plane->blend_row = npw_blend_row_bytes;
    else if (plane->unit_bytes == 2)
      plane->blend_row = npw_blend_row_unit2;
    else if (plane->unit_bytes == 3)
      plane->blend_row = npw_blend_row_unit3;
    else
      plane->blend_row = npw_blend_row_unit4;
  }
  return overlay;
}

/* Builds phase (@px, @py) of every plane that lacks it. */
static gboolean
overlay_build (NpwOverlay * overlay, gint px, gint py)
{
  NpwGrid grid = { 0, };
  gboolean ok = TRUE;
  guint p;

  for (p = 0; p < overlay->n_planes && ok; p++) {
    NpwPlane *plane = &overlay->planes[p];
    gint qx = px % plane->xsub, qy = py % plane->ysub;
    gboolean subsampled = plane->gcw > 1 || plane->gch > 1;

    if (plane->phase[qy][qx].val)
      continue;
    g_return_val_if_fail (overlay->colour.image != NULL, FALSE);
    /* planes of one format share the chroma grid of a phase (the U and
     * V planes of I420): built once */
    if (subsampled && (grid.alpha == NULL || grid.ox != qx || grid.oy != qy)) {
      grid_clear (&grid);
      ok = (overlay->deep ? grid_build16 : grid_build) (&grid,
          &overlay->colour, plane->gcw, plane->gch, qx, qy);
    }
    ok = ok && build_phase (&plane->phase[qy][qx], plane, plane->slots,
        plane->n_slots, &overlay->colour, subsampled ? &grid : NULL, qx, qy);
  }
  grid_clear (&grid);
  return ok;
}

NpwOverlay *
npw_overlay_new (const NpyImage * image, const GstVideoInfo * info,
    gdouble reference_white)
{
  NpwOverlay *overlay = npw_overlay_new_lazy (image, info, reference_white);
  gint i;

  if (overlay == NULL)
    return NULL;
  for (i = 0; i < 8; i++) {
    if (!overlay_build (overlay, i % 4, i / 4)) {
      /* a huge array on a small machine: the caller reports it */
      npw_overlay_free (overlay);
      return NULL;
    }
  }
  /* every phase is there: the image is no longer needed */
  overlay->colour.image = NULL;
  overlay->colour.conv16 = NULL;
  g_clear_pointer (&overlay->converted, npy_image_free);
  g_clear_pointer (&overlay->converted8, npy_image_free);
  return overlay;
}

/* Makes *@p at least @size bytes, keeping its room in *@room.  FALSE
 * without memory. */
static gboolean
room_for (gpointer * p, gsize * room, gsize size)
{
  gpointer q;

  if (size <= *room && *p)
    return TRUE;
  q = g_try_realloc (*p, MAX (size, 1));
  if (q == NULL)
    return FALSE;
  *p = q;
  *room = MAX (size, 1);
  return TRUE;
}

/* @dst: phase @src's units [@k0, @k0 + @n), every row. */
static gboolean
phase_view (NpwPhase * dst, const NpwPhase * src, const NpwPlane * plane,
    gint k0, gint n)
{
  gsize ub = plane->unit_bytes, ab = plane->alpha_per_unit *
      (plane->deep ? 2 : 1), n_runs = 0, r;
  gint y;

  dst->width = n;
  dst->height = src->height;
  if (!room_for ((gpointer *) & dst->val, &dst->val_room,
          (gsize) n * ub * src->height)
      || !room_for ((gpointer *) & dst->alpha, &dst->alpha_room,
          (gsize) n * ab * src->height)
      || !room_for ((gpointer *) & dst->row_runs, &dst->rows_room,
          (src->height + 1) * sizeof (gint))
      || !room_for ((gpointer *) & dst->runs, &dst->runs_room,
          MAX (src->row_runs[src->height], 1) * sizeof (NpwRun)))
    return FALSE;
  for (y = 0; y < src->height; y++) {
    memcpy (dst->val + (gsize) y * n * ub,
        src->val + ((gsize) y * src->width + k0) * ub, (gsize) n * ub);
    memcpy (dst->alpha + (gsize) y * n * ab,
        src->alpha + ((gsize) y * src->width + k0) * ab, (gsize) n * ab);
    /* a run cut by the view's edges is still one run of one kind */
    dst->row_runs[y] = (gint) n_runs;
    for (r = src->row_runs[y]; r < (gsize) src->row_runs[y + 1]; r++) {
      gint x0 = MAX (src->runs[r].x0, k0), x1 = MIN (src->runs[r].x1, k0 + n);

      if (x0 < x1) {
        dst->runs[n_runs].x0 = x0 - k0;
        dst->runs[n_runs].x1 = x1 - k0;
        dst->runs[n_runs].copy = src->runs[r].copy;
        n_runs++;
      }
    }
  }
  dst->row_runs[src->height] = (gint) n_runs;
  return TRUE;
}

NpwOverlay *
npw_overlay_view (const NpwOverlay * whole, gint x0, gint width,
    NpwOverlay * view)
{
  guint p;
  gint i;

  g_return_val_if_fail (x0 % 4 == 0 && x0 >= 0 && width > 0, NULL);
  g_return_val_if_fail (x0 + width <= whole->width, NULL);

  if (view == NULL)
    view = g_new0 (NpwOverlay, 1);
  view->width = width;
  view->height = whole->height;
  view->frame_width = whole->frame_width;
  view->frame_height = whole->frame_height;
  view->format = whole->format;
  view->colorimetry = whole->colorimetry;
  view->n_planes = whole->n_planes;
  view->deep = whole->deep;
  for (p = 0; p < whole->n_planes; p++) {
    const NpwPlane *wp = &whole->planes[p];
    NpwPlane *vp = &view->planes[p];
    NpwPhase keep[2][4];

    /* the plane's description as it is, the phases' memory our own */
    memcpy (keep, vp->phase, sizeof (keep));
    *vp = *wp;
    memcpy (vp->phase, keep, sizeof (keep));
    for (i = 0; i < 8; i++) {
      const NpwPhase *src = &wp->phase[i / 4][i % 4];
      NpwPhase *dst = &vp->phase[i / 4][i % 4];
      gint qx = i % 4, k0 = x0 / wp->xsub, n;

      /* units covering columns [x0, x0 + width) at this phase */
      n = MIN ((width + qx + wp->xsub - 1) / wp->xsub, src->width - k0);
      if (src->val == NULL || n <= 0) {
        /* not built in @whole: none here either */
        g_clear_pointer (&dst->val, g_free);
        dst->val_room = 0;
        continue;
      }
      if (!phase_view (dst, src, wp, k0, n)) {
        npw_overlay_free (view);
        return NULL;
      }
    }
  }
  return view;
}

gboolean
npw_overlay_has_phase (const NpwOverlay * overlay, gint x, gint y)
{
  guint p;

  for (p = 0; p < overlay->n_planes; p++) {
    const NpwPlane *plane = &overlay->planes[p];

    if (plane->phase[npw_floor_mod (y, plane->ysub)][npw_floor_mod (x,
                plane->xsub)].val == NULL)
      return FALSE;
  }
  return TRUE;
}

gboolean
npw_overlay_ensure (NpwOverlay * overlay, gint x, gint y)
{
  /* the phase is the origin's position within a chroma block; blocks are
   * at most 4 wide, so the phase within 4 serves every plane */
  return overlay_build (overlay, (gint) npw_floor_mod (x, 4),
      (gint) npw_floor_mod (y, 4));
}

void
npw_overlay_free (NpwOverlay * overlay)
{
  guint p;
  gint i;

  if (overlay == NULL)
    return;

  for (p = 0; p < overlay->n_planes; p++) {
    for (i = 0; i < 8; i++) {
      NpwPhase *phase = &overlay->planes[p].phase[i / 4][i % 4];

      g_free (phase->val);
      g_free (phase->alpha);
      g_free (phase->runs);
      g_free (phase->row_runs);
    }
  }
  npy_image_free (overlay->converted);
  npy_image_free (overlay->converted8);
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
  gint64 ux0 = npw_floor_div (x, plane->xsub), uy0 =
      npw_floor_div (y, plane->ysub);
  gint px = (gint) (x - ux0 * plane->xsub);
  gint py = (gint) (y - uy0 * plane->ysub);
  gint units_w = (overlay->frame_width + plane->xsub - 1) / plane->xsub;
  gint units_h = (overlay->frame_height + plane->ysub - 1) / plane->ysub;

  pl->phase = &plane->phase[py][px];
  if (pl->phase->val == NULL)
    return FALSE;               /* not built: npw_overlay_ensure () first */
  pl->ux0 = ux0;
  pl->uy0 = uy0;
  pl->x0 = (gint) MAX (0, ux0);
  pl->y0 = (gint) MAX (0, uy0);
  pl->x1 = (gint) MIN ((gint64) units_w, ux0 + pl->phase->width);
  pl->y1 = (gint) MIN ((gint64) units_h, uy0 + pl->phase->height);

  return pl->x0 < pl->x1 && pl->y0 < pl->y1;
}

guint
npw_opacity_encode (gdouble opacity)
{
  opacity = CLAMP (opacity, 0.0, 1.0);
  return (guint) floor (opacity * 255.0 + 0.5) |
      (guint) floor (opacity * 65535.0 + 0.5) << 8;
}

gboolean
npw_overlay_is_visible (const NpwOverlay * overlay, gint x, gint y, guint op)
{
  NpwPlacement pl;
  guint p;
  gint fy;

  if ((overlay->deep ? NPW_OPACITY_16 (op) : NPW_OPACITY_8 (op)) == 0)
    return FALSE;
  /* the first plane (luma, or all) says, but for an overlay just past
   * the right or bottom edge of a frame of odd size, which only the
   * chroma samples straddling that edge reach */
  for (p = 0; p < overlay->n_planes; p++) {
    if (!place (overlay, &overlay->planes[p], x, y, &pl))
      continue;
    for (fy = pl.y0; fy < pl.y1; fy++) {
      gint ky = (gint) (fy - pl.uy0), r;

      for (r = pl.phase->row_runs[ky]; r < pl.phase->row_runs[ky + 1]; r++)
        if (MAX (pl.phase->runs[r].x0 + pl.ux0, pl.x0) <
            MIN (pl.phase->runs[r].x1 + pl.ux0, pl.x1))
          return TRUE;
    }
  }
  return FALSE;
}

#define PREFETCH_ROWS 2
/* At most the first 32 cache lines (2 KiB) of each run: all of the
 * scattered short runs, which the hardware's prefetcher cannot guess,
 * and the start of a long one, whose stream it then follows.  Every line
 * of a full-frame RGBA row (120) filled the CPU's miss buffers ahead of
 * the blend's own loads: clang's build, the only one that prefetched,
 * took 1.22-1.26x GCC's there (bench-compilers, README "Speed"). */
#define PREFETCH_LINES 32
/* A read prefetch (x86's write prefetch, PREFETCHW, is not in its
 * baseline ISA).  On x86 through asm: GCC 12's tree DCE removed every
 * __builtin_prefetch of prefetch_runs () (-fno-tree-dce kept them), so
 * GCC builds never prefetched and paid 1.4-1.6x for the scattered runs
 * of a tiled watermark.  GCC drops them on arm64 too (no PRFM in its
 * code), where clang's builds prefetch; not measured there, so left. */
#if (defined (__x86_64__) || defined (__i386__)) && defined (__GNUC__)
#define PREFETCH(p) \
  __asm__ __volatile__ ("prefetcht0 %0" : : "m" (*(const guint8 *) (p)))
#elif defined (__GNUC__) || defined (__clang__)
#define PREFETCH(p) __builtin_prefetch ((p), 0, 3)
#else
#define PREFETCH(p)
#endif

/* Asks for the frame's first cache lines under row @ky's runs, clipped
 * to [@c0, @c1), the row starting at @drow and the phase at unit @ux0. */
static inline void
prefetch_runs (const NpwPhase * phase, gint ky, gint c0, gint c1,
    guint8 * drow, gint64 ux0, gint unit_bytes)
{
  gint r;

  for (r = phase->row_runs[ky]; r < phase->row_runs[ky + 1]; r++) {
    gint k0 = MAX (c0, phase->runs[r].x0), k1 = MIN (c1, phase->runs[r].x1);
    guint8 *p = drow + (gsize) (ux0 + k0) * unit_bytes;
    gsize b, n = (gsize) MAX (0, k1 - k0) * unit_bytes;

    n = MIN (n, PREFETCH_LINES * 64);
    for (b = 0; b < n; b += 64)
      PREFETCH (p + b);
  }
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
    gint dst_stride, val_stride, alpha_stride, apu, fy, c0, c1;
    gboolean copy;

    if (!place (overlay, plane, x, y, &pl))
      continue;

    phase = pl.phase;
    apu = plane->alpha_per_unit;
    dst_base = GST_VIDEO_FRAME_PLANE_DATA (frame, plane->frame_plane);
    dst_stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, plane->frame_plane);
    val_stride = phase->width * plane->unit_bytes;
    alpha_stride = phase->width * apu;

    /* the clip, in units of the phase */
    c0 = (gint) (pl.x0 - pl.ux0);
    c1 = (gint) (pl.x1 - pl.ux0);
    copy = !plane->deep && NPW_OPACITY_8 (op) == 255;

    for (fy = pl.y0; fy < pl.y1; fy++) {
      gint ky = (gint) (fy - pl.uy0), r;
      guint8 *drow = dst_base + (gsize) fy * dst_stride;
      const guint8 *vrow = phase->val + (gsize) ky * val_stride;

      /* The frame bytes of the runs two rows down are asked for now:
       * scattered runs defeat the hardware's prefetcher, which a whole
       * row's stream does not. */
      if (fy + PREFETCH_ROWS < pl.y1)
        prefetch_runs (phase, ky + PREFETCH_ROWS, c0, c1,
            dst_base + (gsize) (fy + PREFETCH_ROWS) * dst_stride, pl.ux0,
            plane->unit_bytes);
      /* Only the runs: transparent stretches cost nothing, opaque ones
       * at full opacity a copy (the blend's result there is the value). */
      for (r = phase->row_runs[ky]; r < phase->row_runs[ky + 1]; r++) {
        const NpwRun *run = &phase->runs[r];
        gint k0 = MAX (c0, run->x0), k1 = MIN (c1, run->x1);

        if (k0 >= k1)
          continue;
        if (plane->deep) {
          plane->blend_row16 ((guint16 *) (drow
                  + (gsize) (pl.ux0 + k0) * plane->unit_bytes),
              (const guint16 *) (vrow + (gsize) k0 * plane->unit_bytes),
              (const guint16 *) phase->alpha + (gsize) ky * phase->width + k0,
              k1 - k0, NPW_OPACITY_16 (op), plane->shift, plane->swap);
        } else if (run->copy && copy) {
          memcpy (drow + (gsize) (pl.ux0 + k0) * plane->unit_bytes,
              vrow + (gsize) k0 * plane->unit_bytes,
              (gsize) (k1 - k0) * plane->unit_bytes);
        } else {
          plane->blend_row (drow + (gsize) (pl.ux0 + k0) * plane->unit_bytes,
              vrow + (gsize) k0 * plane->unit_bytes,
              phase->alpha + (gsize) ky * alpha_stride + (gsize) k0 * apu,
              (k1 - k0) * apu, NPW_OPACITY_8 (op));
        }
      }
    }
  }
}
