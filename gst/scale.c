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

/* One source row, premultiplied, filtered horizontally into @out
 * (4 floats per output sample). */
static void
filter_row (const NpyImage * src, gint y, const Taps * tx, gint count,
    gfloat * out)
{
  const guint8 *row = src->rgba + (gsize) y * src->width * 4;
  gint i, j;

  for (i = 0; i < count; i++) {
    const gfloat *k = tx->k + (gsize) i * tx->max_taps;
    const guint8 *p = row + (gsize) tx->first[i] * 4;
    gfloat r = 0, g = 0, b = 0, a = 0;

    for (j = 0; j < tx->n[i]; j++, p += 4) {
      gfloat ka = k[j] * p[3];

      r += ka * p[0];
      g += ka * p[1];
      b += ka * p[2];
      a += ka;
    }
    out[4 * i + 0] = r;
    out[4 * i + 1] = g;
    out[4 * i + 2] = b;
    out[4 * i + 3] = a;
  }
}

gboolean
npw_scale_region (const NpyImage * src, gint w, gint h, gint x0, gint x1,
    gint y0, gint y1, guint8 * dst, gsize dst_stride)
{
  Taps tx = { 0, }, ty = { 0, };
  gint count = x1 - x0, rows = y1 - y0, n_ring, y, i, j;
  gfloat *ring = NULL, *acc = NULL;
  gint *ring_row = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (x0 >= 0 && x0 <= x1 && x1 <= w, FALSE);
  g_return_val_if_fail (y0 >= 0 && y0 <= y1 && y1 <= h, FALSE);
  if (count == 0 || rows == 0)
    return TRUE;

  if (w == (gint) src->width && h == (gint) src->height) {
    for (y = y0; y < y1; y++)
      memcpy (dst + (gsize) (y - y0) * dst_stride,
          src->rgba + ((gsize) y * src->width + x0) * 4, (gsize) count * 4);
    return TRUE;
  }

  if (!taps_init (&tx, src->width, w, x0, x1) ||
      !taps_init (&ty, src->height, h, y0, y1))
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
    guint8 *out = dst + (gsize) y * dst_stride;

    memset (acc, 0, sizeof (gfloat) * count * 4);
    for (j = 0; j < ty.n[y]; j++) {
      gint sy = ty.first[y] + j, slot = sy % n_ring;
      gfloat *line = ring + (gsize) slot * count * 4;

      if (ring_row[slot] != sy) {
        filter_row (src, sy, &tx, count, line);
        ring_row[slot] = sy;
      }
      for (i = 0; i < count * 4; i++)
        acc[i] += k[j] * line[i];
    }
    /* back to straight alpha */
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
  return ok;
}
