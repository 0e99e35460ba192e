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
      a->tile == b->tile && a->tile_spacing == b->tile_spacing &&
      a->reference_white == b->reference_white;
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

static gint64
axis_origin (gint anchor, gint frame, gint len, gint offset)
{
  switch (anchor) {
    case 0:
      return offset;
    case 1:
      return npw_floor_div ((gint64) frame - len, 2) + offset;
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

gint64
npw_geometry_copies (gint64 origin, gint len, gint64 period, gint64 extent,
    gint64 * n)
{
  gint64 first = origin;

  if (period <= 0) {
    *n = origin < extent && origin + len > 0;
    return origin;
  }
  /* the first copy that ends after 0 */
  first += (npw_floor_div (-origin - len, period) + 1) * period;
  *n = first < extent ? (extent - 1 - first) / period + 1 : 0;
  return first;
}

void
npw_geometry_clip (gint64 pos, gint len, gint64 extent, gint64 * lo,
    gint64 * hi)
{
  *lo = MAX (0, -pos);
  *hi = MIN ((gint64) len, extent - pos);
  if (*hi < *lo)
    *hi = *lo;
}

GType
npw_position_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {NPW_POSITION_TOP_LEFT, "Top left corner", "top-left"},
    {NPW_POSITION_TOP, "Top edge, centred", "top"},
    {NPW_POSITION_TOP_RIGHT, "Top right corner", "top-right"},
    {NPW_POSITION_LEFT, "Left edge, centred", "left"},
    {NPW_POSITION_CENTER, "Centre", "center"},
    {NPW_POSITION_RIGHT, "Right edge, centred", "right"},
    {NPW_POSITION_BOTTOM_LEFT, "Bottom left corner", "bottom-left"},
    {NPW_POSITION_BOTTOM, "Bottom edge, centred", "bottom"},
    {NPW_POSITION_BOTTOM_RIGHT, "Bottom right corner", "bottom-right"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstNpyWatermarkPosition", values);

    g_once_init_leave (&type, t);
  }
  return type;
}
