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


/* Where the watermark goes: (frame size, watermark size, properties) in,
 * the drawn size and the placed copy's origin out (tiled copies follow
 * every w + tile_spacing, h + tile_spacing from there).  Pure integer
 * arithmetic (and the anchors' GEnum), no GStreamer types, shared by
 * every path that draws (the CPU blend, the prepare stage, the tests). */

#ifndef __NPW_GEOMETRY_H__
#define __NPW_GEOMETRY_H__

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  NPW_POSITION_TOP_LEFT,
  NPW_POSITION_TOP,
  NPW_POSITION_TOP_RIGHT,
  NPW_POSITION_LEFT,
  NPW_POSITION_CENTER,
  NPW_POSITION_RIGHT,
  NPW_POSITION_BOTTOM_LEFT,
  NPW_POSITION_BOTTOM,
  NPW_POSITION_BOTTOM_RIGHT,
} NpwPosition;

/* NpwPosition as the GEnum "GstNpyWatermarkPosition" (the element's
 * position property), nicks top-left ... bottom-right. */
#define NPW_TYPE_POSITION (npw_position_get_type ())
GType npw_position_get_type (void);

/* The properties that change what is prepared (not the offsets, which
 * may change on every frame).  reference_white is not placement, but it
 * travels with it: the same requests, cache keys and re-prepares. */
typedef struct
{
  NpwPosition position;
  gdouble size;                 /* 0: own size; else fraction of the frame */
  gboolean tile;
  gint tile_spacing;            /* pixels >= 0 */
  gdouble reference_white;      /* cd/m² of the watermark's white on PQ
                                 * and HLG frames (colour.h) */
} NpwGeometry;

#define NPW_GEOMETRY_INIT { NPW_POSITION_TOP_LEFT, 0.0, FALSE, 0, 203.0 }

gboolean npw_geometry_equal (const NpwGeometry * a, const NpwGeometry * b);

/* floor (a / b) and a - b * floor (a / b) for b > 0, a of any sign. */
static inline gint64
npw_floor_div (gint64 a, gint64 b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static inline gint64
npw_floor_mod (gint64 a, gint64 b)
{
  return a - npw_floor_div (a, b) * b;
}

/* The watermark's size as drawn on a @frame_w x @frame_h frame: its own
 * @w0 x @h0 when size is 0, else scaled with its aspect kept to fit a box
 * of size * frame_w by size * frame_h:
 *   s = min (size * W / w0, size * H / h0)
 *   w = max (1, round (w0 * s)), h = max (1, round (h0 * s))
 * clamped to @max_side. */
void npw_geometry_drawn_size (const NpwGeometry * geom, gint frame_w,
    gint frame_h, gint w0, gint h0, gint max_side, gint * w, gint * h);

/* The placed copy's top-left corner, offsets counting inward from the
 * anchored edges (ImageMagick's -gravity with -geometry):
 *   left anchors x = offset_x, right anchors x = W - w - offset_x,
 *   centred x = floor ((W - w) / 2) + offset_x; the same for y. */
void npw_geometry_origin (const NpwGeometry * geom, gint frame_w,
    gint frame_h, gint w, gint h, gint offset_x, gint offset_y,
    gint64 * x, gint64 * y);

/* The tile walk, along one axis, shared by every path that draws (the
 * prepare stage's canvas, the composition's rectangles): copies @len long
 * at @origin + k * @period for every k (@period 0: the one at @origin)
 * that overlap [0, @extent).  Returns the first one's position; *@n is
 * their number (0: none).  @period >= @len. */
gint64 npw_geometry_copies (gint64 origin, gint len, gint64 period,
    gint64 extent, gint64 * n);

/* The part [*@lo, *@hi) of a copy @len long at @pos, in the copy's own
 * pixels, that lies within [0, @extent) (*@lo == *@hi: none). */
void npw_geometry_clip (gint64 pos, gint len, gint64 extent, gint64 * lo,
    gint64 * hi);

G_END_DECLS

#endif /* __NPW_GEOMETRY_H__ */
