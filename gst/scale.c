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

#include "scale.h"

#define BICUBIC_SUPPORT 2.0

static inline gdouble
bicubic (gdouble x)
{
  const gdouble a = -0.5;

  if (x < 0.0)
    x = -x;
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0)
    return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

/* Normalised taps for output samples [o0, o1) of an axis resized from
 * @in to @out: sample i reads source [first[i], first[i] + n[i]). */
typedef struct
{
  gint *first;
  gint *n;
  gfloat *k;                    /* max_taps per sample */
  gint max_taps;
} Taps;

static gboolean
taps_init (Taps * t, gint in, gint out, gint o0, gint o1)
{
  gdouble scale = (gdouble) in / out;
  gdouble fscale = MAX (scale, 1.0);
  gdouble support = BICUBIC_SUPPORT * fscale;
  gint count = o1 - o0, i;

  t->max_taps = (gint) ceil (support) * 2 + 1;
  t->first = g_try_new (gint, count);
  t->n = g_try_new (gint, count);
  t->k = g_try_new (gfloat, (gsize) count * t->max_taps);
  if (!t->first || !t->n || !t->k)
    return FALSE;

  for (i = 0; i < count; i++) {
    gdouble center = (o0 + i + 0.5) * scale, sum = 0.0;
    gint lo = MAX (0, (gint) (center - support + 0.5));
    gint hi = MIN (in, (gint) (center + support + 0.5));
    gfloat *k = t->k + (gsize) i * t->max_taps;
    gint j;

    if (hi - lo > t->max_taps)
      hi = lo + t->max_taps;
    if (hi <= lo) {
      /* cannot happen for in, out >= 1; keep a tap anyway */
      lo = CLAMP ((gint) center, 0, in - 1);
      hi = lo + 1;
    }
    for (j = lo; j < hi; j++) {
      gdouble v = bicubic ((j - center + 0.5) / fscale);

      k[j - lo] = v;
      sum += v;
    }
    for (j = lo; j < hi; j++)
      k[j - lo] = sum != 0.0 ? k[j - lo] / sum : 1.0 / (hi - lo);
    t->first[i] = lo;
    t->n[i] = hi - lo;
  }
  return TRUE;
}

static void
taps_clear (Taps * t)
{
  g_free (t->first);
  g_free (t->n);
  g_free (t->k);
}

static inline guint8
clamp_u8 (gfloat v)
{
  return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (guint8) (v + 0.5f);
}

/* The source as the filter sees it: first reduced by whole factors rx x
 * ry with a box average (as Pillow's reducing_gap does), so that a large
 * reduction costs one pass over the source pixels it covers rather than
 * a bicubic kernel as wide as the factor. */
typedef struct
{
  const NpyImage *src;
  gint rx, ry;
  gint width, height;           /* reduced */
  gint c0, c1;                  /* reduced columns the filter reads */
  gfloat *row;                  /* premultiplied, 4 floats per column */
} Reduced;

/* Reduced row @y, premultiplied, columns [c0, c1), into r->row. */
static void
reduced_row (Reduced * r, gint y)
{
  const NpyImage *src = r->src;
  gint sy0 = y * r->ry, sy1 = MIN ((gint) src->height, sy0 + r->ry);
  gint c, sx, sy;

  for (c = r->c0; c < r->c1; c++) {
    gint sx0 = c * r->rx, sx1 = MIN ((gint) src->width, sx0 + r->rx);
    gfloat pr = 0, pg = 0, pb = 0, pa = 0, inv;

    for (sy = sy0; sy < sy1; sy++) {
      gsize i = ((gsize) sy * src->width + sx0) * 4;

      if (src->depth == 16) {
        const guint16 *p = src->rgba16 + i;

        for (sx = sx0; sx < sx1; sx++, p += 4) {
          gfloat a = p[3];

          pr += a * p[0];
          pg += a * p[1];
          pb += a * p[2];
          pa += a;
        }
        continue;
      }
      {
        const guint8 *p = src->rgba + i;

        for (sx = sx0; sx < sx1; sx++, p += 4) {
          gfloat a = p[3];

          pr += a * p[0];
          pg += a * p[1];
          pb += a * p[2];
          pa += a;
        }
      }
    }
    inv = 1.0f / ((sx1 - sx0) * (sy1 - sy0));
    r->row[4 * (c - r->c0) + 0] = pr * inv;
    r->row[4 * (c - r->c0) + 1] = pg * inv;
    r->row[4 * (c - r->c0) + 2] = pb * inv;
    r->row[4 * (c - r->c0) + 3] = pa * inv;
  }
}

/* One reduced row filtered horizontally into @out (4 floats per output
 * sample). */
static void
filter_row (Reduced * r, gint y, const Taps * tx, gint count, gfloat * out)
{
  gint i, j;

  reduced_row (r, y);
  for (i = 0; i < count; i++) {
    const gfloat *k = tx->k + (gsize) i * tx->max_taps;
    const gfloat *p = r->row + (gsize) (tx->first[i] - r->c0) * 4;
    gfloat pr = 0, pg = 0, pb = 0, pa = 0;

    for (j = 0; j < tx->n[i]; j++, p += 4) {
      pr += k[j] * p[0];
      pg += k[j] * p[1];
      pb += k[j] * p[2];
      pa += k[j] * p[3];
    }
    out[4 * i + 0] = pr;
    out[4 * i + 1] = pg;
    out[4 * i + 2] = pb;
    out[4 * i + 3] = pa;
  }
}

/* Pillow's default gap: reduce while at least twice the target remains */
#define REDUCING_GAP 2.0

static gint
reduce_factor (gint in, gint out)
{
  return MAX (1, (gint) floor ((gdouble) in / out / REDUCING_GAP));
}

static inline guint16
clamp_u16 (gfloat v)
{
  return v <= 0.0f ? 0 : v >= 65535.0f ? 65535 : (guint16) (v + 0.5f);
}

gboolean
npw_scale_region (const NpyImage * src, gint w, gint h, gint x0, gint x1,
    gint y0, gint y1, guint8 * dst, gsize dst_stride)
{
  g_return_val_if_fail (src->depth != 16, FALSE);
  return npw_scale_region_full (src, w, h, x0, x1, y0, y1, dst, dst_stride, 8);
}

gboolean
npw_scale_region_full (const NpyImage * src, gint w, gint h, gint x0,
    gint x1, gint y0, gint y1, gpointer dst, gsize dst_stride, guint depth)
{
  gboolean in16 = src->depth == 16, out16 = depth == 16;
  /* an 8-bit source into a 16-bit result: v * 257, exactly */
  gfloat expand = out16 && !in16 ? 257.0f : 1.0f;
  Taps tx = { 0, }, ty = { 0, };
  Reduced red = { src, 1, 1, 0, 0, 0, 0, NULL };
  gint count = x1 - x0, rows = y1 - y0, n_ring, y, i, j;
  gfloat *ring = NULL, *acc = NULL;
  gint *ring_row = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (x0 >= 0 && x0 <= x1 && x1 <= w, FALSE);
  g_return_val_if_fail (y0 >= 0 && y0 <= y1 && y1 <= h, FALSE);
  if (count == 0 || rows == 0)
    return TRUE;

  g_return_val_if_fail (out16 || !in16, FALSE);

  if (w == (gint) src->width && h == (gint) src->height) {
    for (y = y0; y < y1; y++) {
      gsize i0 = ((gsize) y * src->width + x0) * 4;
      guint8 *out = (guint8 *) dst + (gsize) (y - y0) * dst_stride;

      if (in16) {
        memcpy (out, src->rgba16 + i0, (gsize) count * 8);
      } else if (out16) {
        guint16 *o = (guint16 *) out;

        for (i = 0; i < count * 4; i++)
          o[i] = src->rgba[i0 + i] * 257;
      } else {
        memcpy (out, src->rgba + i0, (gsize) count * 4);
      }
    }
    return TRUE;
  }

  red.rx = reduce_factor (src->width, w);
  red.ry = reduce_factor (src->height, h);
  red.width = (src->width + red.rx - 1) / red.rx;
  red.height = (src->height + red.ry - 1) / red.ry;
  if (!taps_init (&tx, red.width, w, x0, x1) ||
      !taps_init (&ty, red.height, h, y0, y1))
    goto done;
  red.c0 = tx.first[0];
  red.c1 = tx.first[count - 1] + tx.n[count - 1];
  for (i = 0; i < count; i++)
    red.c1 = MAX (red.c1, tx.first[i] + tx.n[i]);
  red.row = g_try_new (gfloat, (gsize) (red.c1 - red.c0) * 4);
  if (red.row == NULL)
    goto done;

  /* Horizontally filtered source rows, kept while output rows need them:
   * a ring as tall as the vertical filter. */
  n_ring = ty.max_taps;
  ring = g_try_new (gfloat, (gsize) n_ring * count * 4);
  ring_row = g_try_new (gint, n_ring);
  acc = g_try_new (gfloat, (gsize) count * 4);
  if (!ring || !ring_row || !acc)
    goto done;
  for (i = 0; i < n_ring; i++)
    ring_row[i] = -1;

  for (y = 0; y < rows; y++) {
    const gfloat *k = ty.k + (gsize) y * ty.max_taps;
    guint8 *out = (guint8 *) dst + (gsize) y * dst_stride;

    memset (acc, 0, sizeof (gfloat) * count * 4);
    for (j = 0; j < ty.n[y]; j++) {
      gint sy = ty.first[y] + j, slot = sy % n_ring;
      gfloat *line = ring + (gsize) slot * count * 4;

      if (ring_row[slot] != sy) {
        filter_row (&red, sy, &tx, count, line);
        ring_row[slot] = sy;
      }
      for (i = 0; i < count * 4; i++)
        acc[i] += k[j] * line[i];
    }
    /* back to straight alpha */
    if (out16) {
      guint16 *o = (guint16 *) out;

      for (i = 0; i < count; i++) {
        gfloat a = acc[4 * i + 3];
        guint16 a16 = clamp_u16 (a * expand);

        if (a16 == 0) {
          memset (o + 4 * i, 0, 8);
          continue;
        }
        o[4 * i + 0] = clamp_u16 (acc[4 * i + 0] / a * expand);
        o[4 * i + 1] = clamp_u16 (acc[4 * i + 1] / a * expand);
        o[4 * i + 2] = clamp_u16 (acc[4 * i + 2] / a * expand);
        o[4 * i + 3] = a16;
      }
      continue;
    }
    for (i = 0; i < count; i++) {
      gfloat a = acc[4 * i + 3];
      guint8 a8 = clamp_u8 (a);

      if (a8 == 0) {
        memset (out + 4 * i, 0, 4);
        continue;
      }
      out[4 * i + 0] = clamp_u8 (acc[4 * i + 0] / a);
      out[4 * i + 1] = clamp_u8 (acc[4 * i + 1] / a);
      out[4 * i + 2] = clamp_u8 (acc[4 * i + 2] / a);
      out[4 * i + 3] = a8;
    }
  }
  ok = TRUE;

done:
  taps_clear (&tx);
  taps_clear (&ty);
  g_free (ring);
  g_free (ring_row);
  g_free (acc);
  g_free (red.row);
  return ok;
}
