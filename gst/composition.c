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

#include "animation.h"
#include "composition.h"
#include "overlay.h"
#include "scale.h"

GST_DEBUG_CATEGORY_EXTERN (gst_npy_watermark_debug);
#define GST_CAT_DEFAULT gst_npy_watermark_debug

#define META_FEATURE GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION

/* Beyond this many tiles (copies a few pixels wide) the rest of the
 * pattern is not drawn: each rectangle is an upload for a GL sink. */
#define MAX_RECTANGLES 4096

static GstStaticCaps sw_caps =
GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (NPW_OVERLAY_FORMATS));

/* Faded copies of the cells' pixels (faded_pixels ()) kept at most this
 * many pixels in all: 16 Mi, every one of the 254 levels between 0 and
 * 255 of a 256x256 watermark, or 8 of a whole 1080p frame. */
#define FADED_MAX_PIXELS (G_GUINT64_CONSTANT (16) << 20)

/* A cell's pixels at one opacity. */
typedef struct
{
  guint op;
  GstBuffer *pixels;
  guint64 used;                 /* when it last went out (NpwComposition's
                                 * clock): the oldest goes first */
} NpwFaded;

/* One stretch of the drawn copy, in pixels ready for a rectangle. */
typedef struct
{
  gint x0, y0, w, h;            /* the part of the copy shown, frame pixels */
  GstBuffer *pixels;            /* BGRA (ARGB big-endian), with a video meta */
  GArray *faded;                /* of NpwFaded, or NULL */
} NpwCell;

struct _NpwComposition
{
  GstObject *owner;             /* for the log */

  /* negotiation */
  gboolean decided;
  gboolean attach;
  gboolean only;                /* the caps leave nothing else */
  gboolean warned;              /* that downstream did not announce the meta */
  gint reconfigure;             /* atomic: ask downstream again */
  guint window_w, window_h;     /* downstream's, 0 when not given */

  /* what the cells were built for */
  NpwSource *source;
  guint slice;
  gint frame_w, frame_h;
  NpwGeometry geom;
  gint max_side;
  guint cells_window_w, cells_window_h;
  gint w, h;                    /* drawn size of one copy */
  gboolean cut;                 /* cells cut to the frame, for cut_x, cut_y */
  gint64 cut_x, cut_y;
  GPtrArray *slice_cells;       /* per slice: its GArray of NpwCell, or NULL */
  guint64 cached_pixels;        /* in all of them */
  GArray *cells;                /* the shown slice's */

  /* the faded copies of every cell, in pixels, and their clock */
  guint64 faded_pixels;
  guint64 faded_clock;

  /* what the last buffer got */
  GstVideoOverlayComposition *comp;
  gint64 comp_x, comp_y;
  guint comp_op;
};

static void
faded_clear (gpointer data)
{
  gst_clear_buffer (&((NpwFaded *) data)->pixels);
}

static void
cell_clear (gpointer data)
{
  NpwCell *cell = data;

  gst_clear_buffer (&cell->pixels);
  g_clear_pointer (&cell->faded, g_array_unref);
}

static void
cells_free (gpointer data)
{
  if (data)
    g_array_unref (data);
}

NpwComposition *
npw_composition_new (GstObject * owner)
{
  NpwComposition *comp = g_new0 (NpwComposition, 1);

  comp->owner = owner;
  comp->slice_cells = g_ptr_array_new_with_free_func (cells_free);
  return comp;
}

static void
composition_clear (NpwComposition * comp)
{
  g_ptr_array_set_size (comp->slice_cells, 0);
  comp->cells = NULL;
  comp->cached_pixels = 0;
  comp->faded_pixels = 0;
  g_clear_pointer (&comp->comp, gst_video_overlay_composition_unref);
  g_clear_pointer (&comp->source, npw_source_unref);
}

void
npw_composition_reset (NpwComposition * comp)
{
  composition_clear (comp);
  comp->decided = FALSE;
}

void
npw_composition_free (NpwComposition * comp)
{
  if (comp == NULL)
    return;
  composition_clear (comp);
  g_ptr_array_unref (comp->slice_cells);
  g_free (comp);
}

/* Negotiation */

GstCaps *
npw_composition_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstCaps *sw = gst_static_caps_get (&sw_caps);
  GstCaps *res = gst_caps_new_empty ();
  guint i;

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstCaps *one = gst_caps_copy_nth (caps, i);
    GstCapsFeatures *f = gst_caps_get_features (one, 0);

    if (gst_caps_features_is_any (f)) {
      gst_caps_append (res, one);
    } else if (gst_caps_features_contains (f, META_FEATURE)) {
      /* downstream takes the meta: upstream may give the same without */
      if (direction == GST_PAD_SRC) {
        gst_caps_append (res, gst_caps_copy (one));
        gst_caps_features_remove (f, META_FEATURE);
      }
      gst_caps_append (res, one);
    } else {
      /* Upstream's caps: as they are where the CPU blend takes them
       * (first: a downstream that takes anything, an appsink, gets caps
       * without the meta, which the next pipeline can use, as
       * textoverlay does when it blends itself), then with the meta
       * (memory the CPU cannot blend, or a sink that only takes the
       * meta).  Both ways. */
      GstCaps *with = gst_caps_copy (one);

      gst_caps_append (res, gst_caps_intersect_full (one, sw,
              GST_CAPS_INTERSECT_FIRST));
      if (direction == GST_PAD_SINK) {
        gst_caps_features_add (gst_caps_get_features (with, 0), META_FEATURE);
        gst_caps_append (res, with);
      } else {
        gst_caps_unref (with);
      }
      gst_caps_unref (one);
    }
  }
  gst_caps_unref (sw);
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, res,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (res);
    res = tmp;
  }
  GST_LOG_OBJECT (trans, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, res);
  return res;
}

static gboolean
caps_have_meta (GstCaps * caps)
{
  GstCapsFeatures *f = gst_caps_get_features (caps, 0);

  return f && gst_caps_features_contains (f, META_FEATURE);
}

/* System memory (the meta aside) in a format the CPU blend takes. */
static gboolean
cpu_can_blend (GstCaps * caps)
{
  GstCaps *plain = gst_caps_copy_nth (caps, 0);
  GstCapsFeatures *f = gst_caps_get_features (plain, 0);
  GstCaps *sw = gst_static_caps_get (&sw_caps);
  gboolean ok;

  gst_caps_features_remove (f, META_FEATURE);
  if (gst_caps_features_get_size (f) == 0)
    gst_caps_set_features (plain, 0, NULL);
  ok = gst_caps_can_intersect (plain, sw);
  gst_caps_unref (sw);
  gst_caps_unref (plain);
  return ok;
}

gboolean
npw_composition_set_caps (NpwComposition * comp, GstCaps * outcaps)
{
  gboolean meta = caps_have_meta (outcaps), cpu = cpu_can_blend (outcaps);

  comp->decided = FALSE;
  comp->warned = FALSE;
  comp->only = meta && !cpu;
  return meta || cpu;
}

void
npw_composition_decide_query (NpwComposition * comp, GstPad * srcpad,
    GstCaps * caps, GstQuery * query)
{
  const GstStructure *params = NULL;
  guint index;

  comp->decided = TRUE;
  comp->attach = FALSE;
  comp->window_w = comp->window_h = 0;
  if (!caps_have_meta (caps))
    return;

  if (gst_query_find_allocation_meta (query,
          GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, &index)) {
    comp->attach = TRUE;
    gst_query_parse_nth_allocation_meta (query, index, &params);
    if (params && gst_structure_get (params, "width", G_TYPE_UINT,
            &comp->window_w, "height", G_TYPE_UINT, &comp->window_h, NULL))
      GST_DEBUG_OBJECT (srcpad, "window %ux%u", comp->window_w, comp->window_h);
    else
      comp->window_w = comp->window_h = 0;
  } else if (comp->only) {
    /* caps that leave nothing else, but no support announced: the
     * rectangles go out, and may be dropped downstream */
    GstElement *element = gst_pad_get_parent_element (srcpad);

    comp->attach = TRUE;
    if (element && !comp->warned) {
      GST_ELEMENT_WARNING (element, STREAM, NOT_IMPLEMENTED,
          ("Downstream does not say it draws overlay compositions; the "
              "watermark may not be shown."),
          ("caps %" GST_PTR_FORMAT " without "
              "GstVideoOverlayCompositionMeta in the allocation query", caps));
      comp->warned = TRUE;
    }
    gst_clear_object (&element);
  }
  /* else the caps allow the meta but no support is announced: blend
   * when the frame can be mapped, as textoverlay does */
  GST_DEBUG_OBJECT (srcpad, "%s for %" GST_PTR_FORMAT,
      comp->attach ? "attaching the composition" : "blending", caps);
}

void
npw_composition_decide (NpwComposition * comp, GstPad * srcpad)
{
  GstCaps *caps;
  GstQuery *query;

  if (g_atomic_int_compare_and_exchange (&comp->reconfigure, 1, 0))
    comp->decided = FALSE;
  if (comp->decided)
    return;
  caps = gst_pad_get_current_caps (srcpad);
  if (caps == NULL)
    return;
  query = gst_query_new_allocation (caps, FALSE);
  if (caps_have_meta (caps) && !gst_pad_peer_query (srcpad, query))
    GST_DEBUG_OBJECT (srcpad, "allocation query failed");
  npw_composition_decide_query (comp, srcpad, caps, query);
  gst_query_unref (query);
  gst_caps_unref (caps);
}

void
npw_composition_reconfigure (NpwComposition * comp)
{
  g_atomic_int_set (&comp->reconfigure, 1);
}

gboolean
npw_composition_attaching (const NpwComposition * comp)
{
  return comp->decided ? comp->attach : comp->only;
}

gboolean
npw_composition_attach_only (const NpwComposition * comp)
{
  return comp->only;
}

void
npw_composition_filter_metas (const NpwComposition * comp, GstQuery * query)
{
  gboolean attach = npw_composition_attaching (comp);
  guint i = gst_query_get_n_allocation_metas (query);

  while (i-- > 0) {
    GType api = gst_query_parse_nth_allocation_meta (query, i, NULL);
    gboolean keep;

    if (attach) {
      /* The frame passes untouched, and our rectangles join any
       * composition on it.  But where rectangles land on a cropped or
       * transformed picture is up to each consumer: upstream does that
       * work itself instead. */
      keep = api != GST_VIDEO_CROP_META_API_TYPE &&
          api != GST_VIDEO_AFFINE_TRANSFORMATION_META_API_TYPE;
    } else {
      /* Blending in place keeps the layout (GstVideoMeta) and honours
       * the crop; anything else may describe or produce pixels the blend
       * does not see or changes (a texture upload from the source
       * surface, a transformation that moves the picture under the
       * watermark, an overlay a sink would draw over ours), so upstream
       * handles those itself. */
      keep = api == GST_VIDEO_META_API_TYPE ||
          api == GST_VIDEO_CROP_META_API_TYPE;
    }
    if (!keep)
      gst_query_remove_nth_allocation_meta (query, i);
  }
}

/* The rectangles */

/* A @pw x @ph copy's part [x0, x1) x [y0, y1) as rectangle pixels. */
static GstBuffer *
cell_pixels (const NpyImage * image, gint pw, gint ph, gint x0, gint x1,
    gint y0, gint y1)
{
  gint w = x1 - x0, h = y1 - y0;
  gsize stride = (gsize) w * 4, i;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, stride * h, NULL);
  GstMapInfo map;
  gboolean ok;

  if (buf == NULL)
    return NULL;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  ok = npw_scale_region (image, pw, ph, x0, x1, y0, y1, map.data, stride);
  /* straight RGBA to the composition's byte order */
  for (i = 0; ok && i < map.size; i += 4) {
    guint8 r = map.data[i], g = map.data[i + 1], b = map.data[i + 2];
    guint8 a = map.data[i + 3];

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    map.data[i] = b;
    map.data[i + 1] = g;
    map.data[i + 2] = r;
    map.data[i + 3] = a;
#else
    map.data[i] = a;
    map.data[i + 1] = r;
    map.data[i + 2] = g;
    map.data[i + 3] = b;
#endif
  }
  gst_buffer_unmap (buf, &map);
  if (!ok) {
    gst_buffer_unref (buf);
    return NULL;
  }
  gst_buffer_add_video_meta (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, w, h);
  return buf;
}

/* The part [*c0, *c0 + *n) of a copy at @pos of length @len that a cut
 * cell shows: all of it when @whole, else what lies on the frame. */
static void
shown (gint64 pos, gint len, gint frame, gboolean whole, gint * c0, gint * n)
{
  gint64 lo = 0, hi = len;

  if (!whole)
    npw_geometry_clip (pos, len, frame, &lo, &hi);
  *c0 = (gint) lo;
  *n = (gint) (hi - lo);
}

static NpwCell *
find_cell (NpwComposition * comp, gint x0, gint y0, gint w, gint h)
{
  guint i;

  for (i = 0; i < comp->cells->len; i++) {
    NpwCell *c = &g_array_index (comp->cells, NpwCell, i);

    if (c->x0 == x0 && c->y0 == y0 && c->w == w && c->h == h)
      return c;
  }
  return NULL;
}

/* A copy larger than the frame is kept whole, as one rectangle reaching
 * past the frame's edges, while it holds at most NPW_WHOLE_FRAMES frames
 * of pixels (as the CPU path's, prepare.c), nor longer than a texture
 * most GPUs take (a GL sink uploads each rectangle as one) */
#define WHOLE_MAX_SIDE 8192

/* Builds the pixels: a copy that fits the frame (or NPW_WHOLE_FRAMES
 * frames) is scaled once, whole (at the window's resolution when
 * downstream gave one and it fits the frame), and every tile shares it,
 * so offsets only move rectangles.  A larger copy is cut to what lands
 * on it, one cell per distinct stretch (at most three per axis), valid
 * for this origin only. */
static gboolean
build_cells (NpwComposition * comp, const NpyImage * image, gint64 x, gint64 y)
{
  gint64 px = comp->geom.tile ? (gint64) comp->w + comp->geom.tile_spacing : 0;
  gint64 py = comp->geom.tile ? (gint64) comp->h + comp->geom.tile_spacing : 0;
  gint64 fx, fy, nx, ny, i, j;
  NpwCell cell;

  g_array_set_size (comp->cells, 0);
  comp->cut = (comp->w > comp->frame_w || comp->h > comp->frame_h) &&
      ((guint64) comp->w * comp->h >
      (guint64) NPW_WHOLE_FRAMES * comp->frame_w * comp->frame_h
      || MAX (comp->w, comp->h) > WHOLE_MAX_SIDE);
  comp->cut_x = x;
  comp->cut_y = y;
  if (!comp->cut) {
    gint pw = comp->w, ph = comp->h;

    /* a copy larger than the frame (kept whole: offsets moving every
     * frame then only move its rectangle) at the frame's resolution */
    if (comp->window_w > 0 && comp->window_h > 0 && comp->w <= comp->frame_w
        && comp->h <= comp->frame_h) {
      pw = MAX (1, (gint) ((gint64) comp->w * comp->window_w / comp->frame_w));
      ph = MAX (1, (gint) ((gint64) comp->h * comp->window_h / comp->frame_h));
      pw = MIN (pw, comp->max_side);
      ph = MIN (ph, comp->max_side);
    }
    memset (&cell, 0, sizeof (cell));
    cell.w = comp->w;
    cell.h = comp->h;
    cell.pixels = cell_pixels (image, pw, ph, 0, pw, 0, ph);
    if (cell.pixels == NULL)
      return FALSE;
    g_array_append_val (comp->cells, cell);
    return TRUE;
  }

  memset (&cell, 0, sizeof (cell));
  fx = npw_geometry_copies (x, comp->w, px, comp->frame_w, &nx);
  fy = npw_geometry_copies (y, comp->h, py, comp->frame_h, &ny);
  for (j = 0; j < ny; j++) {
    for (i = 0; i < nx; i++) {
      shown (fx + i * px, comp->w, comp->frame_w, comp->w <= comp->frame_w,
          &cell.x0, &cell.w);
      shown (fy + j * py, comp->h, comp->frame_h, comp->h <= comp->frame_h,
          &cell.y0, &cell.h);
      if (find_cell (comp, cell.x0, cell.y0, cell.w, cell.h))
        continue;
      cell.pixels = cell_pixels (image, comp->w, comp->h, cell.x0,
          cell.x0 + cell.w, cell.y0, cell.y0 + cell.h);
      if (cell.pixels == NULL)
        return FALSE;
      g_array_append_val (comp->cells, cell);
    }
  }
  return TRUE;
}

/* Drops every faded copy of every slice's cells. */
static void
faded_clear_all (NpwComposition * comp)
{
  guint s, i;

  for (s = 0; s < comp->slice_cells->len; s++) {
    GArray *cells = g_ptr_array_index (comp->slice_cells, s);

    for (i = 0; cells && i < cells->len; i++)
      g_clear_pointer (&g_array_index (cells, NpwCell, i).faded, g_array_unref);
  }
  comp->faded_pixels = 0;
}

/* @cell's pixels at opacity @op (< 255): each alpha becomes
 * round (a * op / 255), as the CPU blend's.
 *
 * Not the rectangles' global alpha: GStreamer 1.22 applies that for the
 * consumers that leave it to the library (gloverlaycompositor asks for
 * the pixels without GST_VIDEO_OVERLAY_FORMAT_FLAG_GLOBAL_ALPHA) in
 * gst_video_overlay_rectangle_apply_global_alpha (), which writes the
 * faded alpha through a read mapping into the memory our rectangles
 * share (a shallow gst_buffer_copy () of a buffer held twice), then
 * calls gst_video_overlay_rectangle_set_global_alpha () on a rectangle
 * that, in a composition attached to a buffer, is not writable: a
 * CRITICAL per rectangle and frame, and every later rectangle faded
 * again.  Only gst_video_overlay_composition_blend () (the CPU) reads
 * global_alpha itself, and which consumer is downstream cannot be
 * known.
 *
 * So each opacity has its copy, made once and kept: the 8-bit opacity
 * has 254 levels below 255, and a fade (opacity controlled every frame)
 * makes at most one copy per level and cell, however many frames it
 * lasts, and none when it passes a level again (a pulse, a fade out after
 * a fade in), while the copies fit FADED_MAX_PIXELS; past that the
 * cell's least recently used copy goes (or, when other cells hold them
 * all, every copy). */
static GstBuffer *
faded_pixels (NpwComposition * comp, NpwCell * cell, guint op)
{
  guint64 n = gst_buffer_get_size (cell->pixels) / 4;
  NpwFaded faded = { op, NULL, ++comp->faded_clock };
  guint8 lut[256];
  GstMapInfo map, src;
  GstVideoMeta *vmeta;
  gsize i;
  guint a, k, oldest = 0;

  for (k = 0; cell->faded && k < cell->faded->len; k++) {
    NpwFaded *f = &g_array_index (cell->faded, NpwFaded, k);

    if (f->op == op) {
      f->used = faded.used;
      return f->pixels;
    }
    if (f->used < g_array_index (cell->faded, NpwFaded, oldest).used)
      oldest = k;
  }

  /* room first: the cell's oldest copy, else everyone's */
  if (comp->faded_pixels + n > FADED_MAX_PIXELS) {
    if (cell->faded && cell->faded->len > 0) {
      g_array_remove_index_fast (cell->faded, oldest);
      comp->faded_pixels -= n;
    } else {
      faded_clear_all (comp);
    }
  }

  /* one pass: each pixel read once, written once with its alpha faded */
  faded.pixels = gst_buffer_new_allocate (NULL, n * 4, NULL);
  if (faded.pixels == NULL)
    return NULL;
  if (!gst_buffer_map (cell->pixels, &src, GST_MAP_READ)) {
    gst_clear_buffer (&faded.pixels);
    return NULL;
  }
  if (!gst_buffer_map (faded.pixels, &map, GST_MAP_WRITE)) {
    gst_buffer_unmap (cell->pixels, &src);
    gst_clear_buffer (&faded.pixels);
    return NULL;
  }
  for (a = 0; a < 256; a++)
    lut[a] = (a * op * 2 + 255) / 510;
  /* ARGB as 32-bit words in native order: alpha the top byte */
  for (i = 0; i < n; i++) {
    guint32 px = ((const guint32 *) src.data)[i];

    ((guint32 *) map.data)[i] = (px & 0xffffff) | (guint32) lut[px >> 24] << 24;
  }
  gst_buffer_unmap (faded.pixels, &map);
  gst_buffer_unmap (cell->pixels, &src);
  vmeta = gst_buffer_get_video_meta (cell->pixels);
  gst_buffer_add_video_meta (faded.pixels, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, vmeta->width, vmeta->height);

  if (cell->faded == NULL) {
    cell->faded = g_array_new (FALSE, FALSE, sizeof (NpwFaded));
    g_array_set_clear_func (cell->faded, faded_clear);
  }
  g_array_append_val (cell->faded, faded);
  comp->faded_pixels += n;
  GST_DEBUG_OBJECT (comp->owner, "faded copy for opacity %u of a %dx%d cell",
      op, cell->w, cell->h);
  return faded.pixels;
}

/* One rectangle per visible tile, for the copy at (@x, @y). */
static gboolean
build_rectangles (NpwComposition * comp, gint64 x, gint64 y, guint op)
{
  gint64 px = comp->geom.tile ? (gint64) comp->w + comp->geom.tile_spacing : 0;
  gint64 py = comp->geom.tile ? (gint64) comp->h + comp->geom.tile_spacing : 0;
  gint64 fx, fy, nx, ny, i, j;
  GstVideoOverlayComposition *out = NULL;

  g_clear_pointer (&comp->comp, gst_video_overlay_composition_unref);
  comp->comp_x = x;
  comp->comp_y = y;
  comp->comp_op = op;
  fx = npw_geometry_copies (x, comp->w, px, comp->frame_w, &nx);
  fy = npw_geometry_copies (y, comp->h, py, comp->frame_h, &ny);
  if (nx * ny > MAX_RECTANGLES) {
    GST_WARNING_OBJECT (comp->owner, "%" G_GINT64_FORMAT " tiles: drawing "
        "the first %d", nx * ny, MAX_RECTANGLES);
    ny = MAX (1, MAX_RECTANGLES / nx);
    nx = MIN (nx, MAX_RECTANGLES);
  }

  for (j = 0; j < ny; j++) {
    for (i = 0; i < nx; i++) {
      gint64 tx = fx + i * px, ty = fy + j * py;
      NpwCell *cell = &g_array_index (comp->cells, NpwCell, 0);
      GstVideoOverlayRectangle *rect;
      GstBuffer *pixels;
      gint x0, y0, w, h;

      if (comp->cut) {
        shown (tx, comp->w, comp->frame_w, comp->w <= comp->frame_w, &x0, &w);
        shown (ty, comp->h, comp->frame_h, comp->h <= comp->frame_h, &y0, &h);
        cell = find_cell (comp, x0, y0, w, h);
        if (cell == NULL)
          continue;
      }
      pixels = op < 255 ? faded_pixels (comp, cell, op) : cell->pixels;
      if (pixels == NULL) {
        g_clear_pointer (&out, gst_video_overlay_composition_unref);
        return FALSE;
      }
      rect = gst_video_overlay_rectangle_new_raw (pixels,
          (gint) (tx + cell->x0), (gint) (ty + cell->y0), cell->w, cell->h,
          GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
      if (out == NULL)
        out = gst_video_overlay_composition_new (rect);
      else
        gst_video_overlay_composition_add_rectangle (out, rect);
      gst_video_overlay_rectangle_unref (rect);
    }
  }
  comp->comp = out;
  return TRUE;
}

/* Pixels in one cell array, for the animation limit. */
static guint64
cells_pixels (GArray * cells)
{
  guint64 n = 0;
  guint i;

  for (i = 0; i < cells->len; i++) {
    NpwCell *c = &g_array_index (cells, NpwCell, i);

    n += (guint64) gst_buffer_get_size (c->pixels) / 4;
  }
  return n;
}

/* Makes comp->cells slice @slice's, built now unless kept. */
static gboolean
select_cells (NpwComposition * comp, NpwSource * source, guint slice,
    gint64 x, gint64 y)
{
  const NpyImage *image = npw_source_get_image (source);
  NpwSource *shown;
  GArray *cells;
  guint64 n;
  gboolean ok;

  if (slice < comp->slice_cells->len &&
      (comp->cells = g_ptr_array_index (comp->slice_cells, slice)))
    return TRUE;

  cells = g_array_new (FALSE, FALSE, sizeof (NpwCell));
  g_array_set_clear_func (cells, cell_clear);
  comp->cells = cells;
  shown = image->n_frames > 1 ? npw_source_new_slice (source, slice) :
      npw_source_ref (source);
  ok = build_cells (comp, npw_source_get_image (shown), x, y);
  npw_source_unref (shown);
  if (!ok) {
    g_array_unref (cells);
    comp->cells = NULL;
    return FALSE;
  }
  n = cells_pixels (cells);
  if (comp->cached_pixels + n > NPW_ANIMATION_MAX_PIXELS) {
    g_ptr_array_set_size (comp->slice_cells, 0);
    comp->cached_pixels = 0;
    comp->faded_pixels = 0;
  }
  if (comp->slice_cells->len <= slice)
    g_ptr_array_set_size (comp->slice_cells, slice + 1);
  g_ptr_array_index (comp->slice_cells, slice) = cells;
  comp->cached_pixels += n;
  GST_DEBUG_OBJECT (comp->owner, "%u cells for slice %u of a %dx%d copy on "
      "%dx%d", cells->len,
      slice, comp->w, comp->h, comp->frame_w, comp->frame_h);
  return TRUE;
}

gboolean
npw_composition_attach (NpwComposition * comp, GstBuffer * buf,
    NpwSource * source, guint slice, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    guint op, GError ** error)
{
  const NpyImage *image = npw_source_get_image (source);
  gint fw = GST_VIDEO_INFO_WIDTH (info), fh = GST_VIDEO_INFO_HEIGHT (info);
  GstVideoOverlayCompositionMeta *meta;
  gint w, h;
  gint64 x, y;
  guint i, n;

  npw_geometry_drawn_size (geom, fw, fh, image->width, image->height,
      max_side, &w, &h);
  npw_geometry_origin (geom, fw, fh, w, h, offset_x, offset_y, &x, &y);

  slice = MIN (slice, MAX (image->n_frames, 1) - 1);
  if (comp->source != source || comp->frame_w != fw || comp->frame_h != fh
      || !npw_geometry_equal (&comp->geom, geom) || comp->max_side != max_side
      || comp->cells_window_w != comp->window_w
      || comp->cells_window_h != comp->window_h
      || (comp->cut && (x != comp->cut_x || y != comp->cut_y))) {
    composition_clear (comp);
    comp->source = npw_source_ref (source);
    comp->frame_w = fw;
    comp->frame_h = fh;
    comp->geom = *geom;
    comp->max_side = max_side;
    comp->cells_window_w = comp->window_w;
    comp->cells_window_h = comp->window_h;
    comp->w = w;
    comp->h = h;
  }
  if (comp->cells == NULL || comp->slice != slice) {
    /* each slice of an animation is scaled once, the first time it
     * shows, then kept (past NPW_ANIMATION_MAX_PIXELS, only the one
     * shown is) */
    g_clear_pointer (&comp->comp, gst_video_overlay_composition_unref);
    comp->slice = slice;
    if (!select_cells (comp, source, slice, x, y))
      goto no_memory;
  }
  if ((comp->comp == NULL || x != comp->comp_x || y != comp->comp_y ||
          op != comp->comp_op) && !build_rectangles (comp, x, y, op))
    goto no_memory;
  if (comp->comp == NULL)
    return TRUE;

  meta = gst_buffer_get_video_overlay_composition_meta (buf);
  if (meta == NULL) {
    gst_buffer_add_video_overlay_composition_meta (buf, comp->comp);
    return TRUE;
  }
  /* Above what is there (textoverlay before us), in order.  A new
   * composition referencing the same rectangles, rather than a copy of
   * them: consumers such as gloverlaycompositor know rectangles by
   * identity and would upload copies again on every frame. */
  {
    GstVideoOverlayComposition *both = NULL;
    GstVideoOverlayComposition *parts[2] = { meta->overlay, comp->comp };
    guint p;

    for (p = 0; p < 2; p++) {
      n = gst_video_overlay_composition_n_rectangles (parts[p]);
      for (i = 0; i < n; i++) {
        GstVideoOverlayRectangle *rect =
            gst_video_overlay_composition_get_rectangle (parts[p], i);

        if (both == NULL)
          both = gst_video_overlay_composition_new (rect);
        else
          gst_video_overlay_composition_add_rectangle (both, rect);
      }
    }
    gst_video_overlay_composition_unref (meta->overlay);
    meta->overlay = both;
  }
  return TRUE;

no_memory:
  g_set_error (error, NPW_ANIMATION_ERROR, NPW_ANIMATION_ERROR_NO_MEMORY,
      "not enough memory for the %dx%d overlay composition", w, h);
  return FALSE;
}
