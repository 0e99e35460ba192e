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

#include "geometry.h"

gboolean
npw_geometry_equal (const NpwGeometry * a, const NpwGeometry * b)
{
  return a->position == b->position && a->size == b->size &&
      a->tile == b->tile && a->tile_spacing == b->tile_spacing;
}

void
npw_geometry_drawn_size (const NpwGeometry * geom, gint frame_w,
    gint frame_h, gint w0, gint h0, gint max_side, gint * w, gint * h)
{
  gdouble s, sw, sh;

  if (geom->size <= 0.0 || w0 <= 0 || h0 <= 0) {
    *w = w0;
    *h = h0;
    return;
  }
  s = MIN (geom->size * frame_w / w0, geom->size * frame_h / h0);
  sw = floor (w0 * s + 0.5);
  sh = floor (h0 * s + 0.5);
  *w = (gint) CLAMP (sw, 1.0, (gdouble) max_side);
  *h = (gint) CLAMP (sh, 1.0, (gdouble) max_side);
}

/* floor (a / 2) for any sign */
static inline gint64
half_floor (gint64 a)
{
  return a >= 0 ? a / 2 : -((-a + 1) / 2);
}

static gint64
axis_origin (gint anchor, gint frame, gint len, gint offset)
{
  switch (anchor) {
    case 0:
      return offset;
    case 1:
      return half_floor ((gint64) frame - len) + offset;
    default:
      return (gint64) frame - len - offset;
  }
}

void
npw_geometry_origin (const NpwGeometry * geom, gint frame_w, gint frame_h,
    gint w, gint h, gint offset_x, gint offset_y, gint64 * x, gint64 * y)
{
  /* the enum runs row by row through the 3x3 grid */
  gint col = geom->position % 3, row = geom->position / 3;

  *x = axis_origin (col, frame_w, w, offset_x);
  *y = axis_origin (row, frame_h, h, offset_y);
}

/* floor (a / b), b > 0 */
static inline gint64
floor_div64 (gint64 a, gint64 b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

void
npw_axis_copies (const NpwAxis * axis, gint64 * k0, gint64 * k1)
{
  if (axis->period <= 0) {
    gboolean touches = axis->origin < axis->frame &&
        axis->origin + axis->len > 0;

    *k0 = 0;
    *k1 = touches ? 1 : 0;
    return;
  }
  /* copy k covers [o + k p, o + k p + len): it touches the frame when
   * o + k p + len > 0 and o + k p < frame */
  *k0 = floor_div64 (-axis->origin - axis->len, axis->period) + 1;
  *k1 = floor_div64 (axis->frame - 1 - axis->origin, axis->period) + 1;
  if (*k1 < *k0)
    *k1 = *k0;
}

void
npw_layout_compute (NpwLayout * layout, const NpwGeometry * geom,
    gint frame_w, gint frame_h, gint w0, gint h0, gint max_side,
    gint offset_x, gint offset_y)
{
  gint64 x, y;

  npw_geometry_drawn_size (geom, frame_w, frame_h, w0, h0, max_side,
      &layout->w, &layout->h);
  npw_geometry_origin (geom, frame_w, frame_h, layout->w, layout->h,
      offset_x, offset_y, &x, &y);

  layout->x.origin = x;
  layout->x.len = layout->w;
  layout->x.frame = frame_w;
  layout->x.period = geom->tile ? (gint64) layout->w + geom->tile_spacing : 0;
  layout->y.origin = y;
  layout->y.len = layout->h;
  layout->y.frame = frame_h;
  layout->y.period = geom->tile ? (gint64) layout->h + geom->tile_spacing : 0;
}

guint64
npw_layout_n_copies (const NpwLayout * layout)
{
  gint64 i0, i1, j0, j1;

  npw_axis_copies (&layout->x, &i0, &i1);
  npw_axis_copies (&layout->y, &j0, &j1);
  return (guint64) (i1 - i0) * (guint64) (j1 - j0);
}
