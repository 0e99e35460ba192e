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

#include "prepare.h"
#include "animation.h"
#include "colour.h"
#include "scale.h"

/* A canvas reaches this far past the frame's edges, so that the chroma
 * samples straddling an edge (at most 4 pixels wide, in 4:1:1) still see
 * every pixel they cover. */
#define EDGE 4

struct _NpwSource
{
  NpyImage *image;              /* 8 bits, for 8-bit frames */
  NpyImage *image16;            /* the array's 16 bits, or NULL */
  NpwSource *stack;             /* a slice's: owns the pixels both view */
};

static void
source_clear (gpointer data)
{
  NpwSource *source = data;

  if (source->stack) {
    g_free (source->image);
    g_free (source->image16);
    npw_source_unref (source->stack);
  } else {
    npy_image_free (source->image);
    npy_image_free (source->image16);
  }
}

/* A 16-bit image (every frame of a stack) reduced as the reader reduces
 * uint16 arrays to 8 bits, round (v * 255 / 65535).  NULL when memory
 * cannot be had. */
static NpyImage *
image_to_8 (const NpyImage * image16)
{
  gsize n = (gsize) image16->width * image16->height * 4 *
      MAX (image16->n_frames, 1), i;
  NpyImage *image = g_new0 (NpyImage, 1);

  image->width = image16->width;
  image->height = image16->height;
  image->depth = 8;
  image->n_frames = image16->n_frames;
  image->channels = image16->channels;
  image->rgba = g_try_malloc (n);
  if (image->rgba == NULL) {
    g_free (image);
    return NULL;
  }
  for (i = 0; i < n; i++)
    image->rgba[i] = (image16->rgba16[i] * 255u + 32767) / 65535;
  return image;
}

NpwSource *
npw_source_new (NpyImage * image)
{
  NpwSource *source;
  NpyImage *image8 = image;

  if (image->depth == 16) {
    image8 = image_to_8 (image);
    if (image8 == NULL) {
      npy_image_free (image);
      return NULL;
    }
  }
  source = g_atomic_rc_box_new0 (NpwSource);
  source->image = image8;
  source->image16 = image8 != image ? image : NULL;
  return source;
}

NpwSource *
npw_source_ref (NpwSource * source)
{
  return g_atomic_rc_box_acquire (source);
}

void
npw_source_unref (NpwSource * source)
{
  g_atomic_rc_box_release_full (source, source_clear);
}

const NpyImage *
npw_source_get_image (const NpwSource * source)
{
  return source->image;
}

/* What the canvas holds along one axis, in pattern coordinates: pattern
 * position u shows copy pixel u (not tiled) or u mod period (tiled, where
 * that is below len); frame position X shows pattern X - origin. */
typedef struct
{
  gint64 u0;                    /* pattern position of canvas position 0 */
  gint len;                     /* canvas length */
  gint64 period;                /* canvas placed every period (0: once) */
  gboolean fixed;               /* valid for any origin */
  /* the axis itself */
  gint frame;
  gint copy;                    /* drawn length of one copy */
  gint64 tile_period;           /* copy + spacing, 0 when not tiled */
} NpwWindow;

/* The part of a lone copy at @origin that lands on the frame. */
static void
visible_range (const NpwWindow * win, gint64 origin, gint64 * lo, gint64 * hi)
{
  npw_geometry_clip (origin, win->copy, win->frame, lo, hi);
}

/* The part [*@lo, *@hi) of a lone copy at @origin that a canvas must
 * hold: what lands on the frame, and EDGE pixels around it. */
static void
needed_range (const NpwWindow * win, gint64 origin, gint64 * lo, gint64 * hi)
{
  visible_range (win, origin, lo, hi);
  if (*lo < *hi) {
    *lo = MAX (0, *lo - EDGE);
    *hi = MIN ((gint64) win->copy, *hi + EDGE);
  }
}

static void
window_init (NpwWindow * win, gint frame, gint copy, gboolean tile,
    gint spacing, gint64 origin, gboolean whole)
{
  win->frame = frame;
  win->copy = copy;
  win->tile_period = tile ? (gint64) copy + spacing : 0;

  if (!tile && (copy <= frame || whole)) {
    /* the whole copy, placed once */
    win->u0 = 0;
    win->len = copy;
    win->period = 0;
    win->fixed = TRUE;
  } else if (!tile) {
    /* a copy larger than the frame: only what lands on it */
    gint64 lo, hi;

    needed_range (win, origin, &lo, &hi);
    win->u0 = lo;
    win->len = (gint) (hi - lo);
    win->period = 0;
    win->fixed = FALSE;
  } else if (win->tile_period <= frame) {
    /* The frame's stretch of the pattern plus one period: shifted by
     * whole periods it serves any origin, and one placement covers the
     * frame, so no chroma sample straddles two placements. */
    win->u0 = 0;
    win->len = (gint) (frame + win->tile_period + 2 * EDGE);
    win->period = win->tile_period;
    win->fixed = TRUE;
  } else {
    /* periods longer than the frame: just the frame's stretch */
    win->u0 = npw_floor_mod (-origin, win->tile_period) - EDGE;
    win->len = frame + 2 * EDGE;
    win->period = win->tile_period;
    win->fixed = FALSE;
  }
}

static gboolean
window_covers (const NpwWindow * win, gint64 origin)
{
  gint64 lo, hi;

  if (win->fixed)
    return TRUE;
  if (win->tile_period > 0)
    return npw_floor_mod (-origin, win->tile_period) == win->u0 + EDGE;
  needed_range (win, origin, &lo, &hi);
  if (lo == hi)
    return TRUE;
  return lo >= win->u0 && hi <= win->u0 + win->len;
}

/* A stretch of canvas positions showing consecutive copy pixels. */
typedef struct
{
  gint canvas;
  gint cell;
  gint n;
  guint klass;                  /* runs showing the same stretch share one */
} NpwRun;

/* NULL when the runs do not fit in memory (a frame 2^28 pixels wide
 * tiled with a 1-pixel copy): GArray would abort the process. */
static GArray *
window_runs (const NpwWindow * win)
{
  GArray *runs;
  gint64 first, n, k;
  gpointer room;

  if (win->len <= 0)
    return g_array_new (FALSE, FALSE, sizeof (NpwRun));
  /* the copies of the pattern (copy 0 at pattern position 0) that meet
   * the canvas [u0, u0 + len), in canvas positions */
  first = npw_geometry_copies (-win->u0, win->copy, win->tile_period,
      win->len, &n);
  /* every run allocated up front, and only if there is room: the
   * appends below then never grow the array */
  if ((guint64) MAX (n, 1) > G_MAXUINT / sizeof (NpwRun))
    return NULL;
  room = g_try_malloc (MAX (n, 1) * sizeof (NpwRun));
  if (room == NULL)
    return NULL;
  g_free (room);
  runs = g_array_sized_new (FALSE, FALSE, sizeof (NpwRun), MAX (n, 1));
  for (k = 0; k < n; k++) {
    gint64 start = first + k * win->tile_period, lo, hi;

    npw_geometry_clip (start, win->copy, win->len, &lo, &hi);
    if (lo < hi) {
      NpwRun run = { (gint) (start + lo), (gint) lo, (gint) (hi - lo), 0 };

      g_array_append_val (runs, run);
    }
  }
  return runs;
}

struct _NpwPrepared
{
  NpwSource *source;
  GstVideoFormat format;
  GstVideoColorimetry colorimetry;
  gint frame_w, frame_h;
  NpwGeometry geom;
  gint w, h;                    /* drawn size of one copy */
  NpwWindow wx, wy;
  NpyImage canvas;              /* scaled, tiled, cropped (or rgba NULL);
                                 * a stride: a window into the image */
  NpwOverlay *overlay;          /* the canvas, converted; NULL: empty */
  /* a copy wider than the frame kept whole: the columns the frame needs
   * (and a margin), which is what the blend reads (npw_prepared_ensure ()) */
  gint bpp;                     /* bytes a frame pixel in the widest plane */
  NpwOverlay *view;
  gint64 view_u0;
  gint view_len;
};

/* Runs showing the same stretch of the copy form a class, scaled once. */
static void
run_classes (GArray * runs, GArray * classes)
{
  guint i, c;

  for (i = 0; i < runs->len; i++) {
    NpwRun *run = &g_array_index (runs, NpwRun, i);

    for (c = 0; c < classes->len; c++) {
      NpwRun *k = &g_array_index (classes, NpwRun, c);

      if (k->cell == run->cell && k->n == run->n)
        break;
    }
    if (c == classes->len)
      g_array_append_val (classes, *run);
    run->klass = c;
  }
}

/* The canvas length the runs cover; they never overlap. */
static gint64
runs_cover (GArray * runs)
{
  gint64 n = 0;
  guint i;

  for (i = 0; i < runs->len; i++)
    n += g_array_index (runs, NpwRun, i).n;
  return n;
}

/* Fills @canvas (@canvas_w x @canvas_h, not zeroed) from the drawn copy:
 * each stretch of the copy that appears is scaled once (a tiled canvas
 * shows at most three: the full copy and the partial ones at its ends),
 * straight into its place when it has one place (a lone copy: no
 * scratch memory and no second copy), else into scratch memory then
 * copied to every place showing it.  What no run covers (the spacing of
 * tiles) is cleared. */
static gboolean
fill_canvas (const NpyImage * src, gint w, gint h, GArray * xruns,
    GArray * yruns, guint8 * canvas, gint canvas_w, gint canvas_h, guint depth)
{
  g_autoptr (GArray) xc = g_array_new (FALSE, FALSE, sizeof (NpwRun));
  g_autoptr (GArray) yc = g_array_new (FALSE, FALSE, sizeof (NpwRun));
  gint bpp = depth / 2;         /* bytes per RGBA pixel */
  gsize stride = (gsize) canvas_w * bpp;
  guint cx, cy, i, j;

  if (runs_cover (xruns) != canvas_w || runs_cover (yruns) != canvas_h)
    memset (canvas, 0, stride * canvas_h);
  run_classes (xruns, xc);
  run_classes (yruns, yc);
  for (cy = 0; cy < yc->len; cy++) {
    const NpwRun *ky = &g_array_index (yc, NpwRun, cy);

    for (cx = 0; cx < xc->len; cx++) {
      const NpwRun *kx = &g_array_index (xc, NpwRun, cx);
      gsize tstride = (gsize) kx->n * bpp;
      guint8 *tmp;
      gint r;

      if (xruns->len == xc->len && yruns->len == yc->len) {
        /* each class is one run: scaled into its place */
        if (!npw_scale_region_full (src, w, h, kx->cell, kx->cell + kx->n,
                ky->cell, ky->cell + ky->n, canvas + (gsize) ky->canvas *
                stride + (gsize) kx->canvas * bpp, stride, depth))
          return FALSE;
        continue;
      }
      tmp = g_try_malloc (tstride * ky->n);
      if (tmp == NULL || !npw_scale_region_full (src, w, h, kx->cell,
              kx->cell + kx->n, ky->cell, ky->cell + ky->n, tmp, tstride,
              depth)) {
        g_free (tmp);
        return FALSE;
      }
      for (j = 0; j < yruns->len; j++) {
        const NpwRun *ry = &g_array_index (yruns, NpwRun, j);

        if (ry->klass != cy)
          continue;
        for (i = 0; i < xruns->len; i++) {
          const NpwRun *rx = &g_array_index (xruns, NpwRun, i);
          guint8 *dst;

          if (rx->klass != cx)
            continue;
          dst = canvas + (gsize) ry->canvas * stride + (gsize) rx->canvas * bpp;
          for (r = 0; r < ry->n; r++)
            memcpy (dst + r * stride, tmp + r * tstride, tstride);
        }
      }
      g_free (tmp);
    }
  }
  return TRUE;
}

/* Whether the canvas can be a window into @image (NpyImage.stride): a
 * lone copy at the image's own size, whose one run along each axis
 * covers the canvas, at the canvas's depth. */
static gboolean
canvas_is_window (const NpyImage * image, gboolean deep, gint w, gint h,
    GArray * xruns, GArray * yruns, const NpyImage * canvas)
{
  if (w != (gint) image->width || h != (gint) image->height
      || image->stride != 0 || (deep ? image->depth != 16 : !image->rgba))
    return FALSE;
  return xruns->len == 1 && yruns->len == 1 &&
      g_array_index (xruns, NpwRun, 0).canvas == 0 &&
      g_array_index (xruns, NpwRun, 0).n == (gint) canvas->width &&
      g_array_index (yruns, NpwRun, 0).canvas == 0 &&
      g_array_index (yruns, NpwRun, 0).n == (gint) canvas->height;
}

/* Lets the canvas go: freed when it was made, forgotten when it is a
 * window into the source's image (its stride, the image's width: a made
 * canvas is packed). */
static void
canvas_clear (NpwPrepared * prep)
{
  if (prep->canvas.stride == 0) {
    g_free (prep->canvas.rgba);
    g_free (prep->canvas.rgba16);
  }
  prep->canvas.rgba = NULL;
  prep->canvas.rgba16 = NULL;
  prep->canvas.stride = 0;
}

static void
prepared_origin (const NpwPrepared * prep, gint offset_x, gint offset_y,
    gint64 * x, gint64 * y)
{
  npw_geometry_origin (&prep->geom, prep->frame_w, prep->frame_h, prep->w,
      prep->h, offset_x, offset_y, x, y);
}

/* A copy larger than the frame is kept whole, not cut to what the frame
 * shows, when it holds at most NPW_WHOLE_FRAMES frames of pixels (for a
 * slice of an animation, also at most half its share of
 * NPW_ANIMATION_MAX_PIXELS, the other half for its view): offsets that
 * move every frame (a scroll) then never cut it again.
 *
 * What the blend reads is another matter.  Rows the frame does not show
 * are never read, so a whole copy costs nothing along y.  Along x, a
 * row's unread part does cost: the hardware prefetchers bring in lines
 * past what the blend reads, and where the frame and a canvas cut to it
 * just fit the cache, a wider one no longer does (on the machine this
 * was measured on, a 1920-pixel RGBA frame blended from 2000-pixel rows
 * cost what it did from 1928-pixel ones; from 2032-pixel rows 1.4 times
 * that, from 2600-pixel rows 2 to 3 times; a software prefetch of the
 * rows did not help).  So a copy wider than the frame by more than
 * MARGIN_BYTES of a row is blended from a view (npw_overlay_view ()):
 * the columns the frame needs and MARGIN_BYTES more (half each side),
 * copied from the prepared whole (no scaling or conversion, into memory
 * it reuses), and copied again when the offsets move past it or what
 * the frame needs of it has shrunk by another MARGIN_BYTES (a copy
 * leaving the frame).  A scroll of 7 pixels a frame copies a view every
 * 7 frames in RGBA, every 27 in I420. */
#define MARGIN_BYTES 384

static gboolean
keep_whole (const NpwSource * source, const NpwGeometry * geom, gint fw,
    gint fh, gint w, gint h)
{
  guint64 budget = (guint64) NPW_WHOLE_FRAMES * fw * fh;

  if (geom->tile || (w <= fw && h <= fh))
    return FALSE;
  if (source->stack)
    budget = MIN (budget, NPW_ANIMATION_MAX_PIXELS / 2 /
        MAX (npw_source_get_image (source->stack)->n_frames, 1));
  return (guint64) w <= budget / h;
}

/* The first steps of preparing, which decide its size: the frame, the
 * drawn size and the windows into @prep, the image they are taken from
 * returned, its origin in *@x and *@y.  Nothing is allocated. */
static const NpyImage *
prepared_windows (NpwPrepared * prep, const NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom, gint max_side,
    gint offset_x, gint offset_y, NpwPrepareFlags flags, gint64 * x, gint64 * y)
{
  /* frames deeper than 8 bits take the array's 16 bits, or an 8-bit
   * array expanded exactly, through a 16-bit canvas */
  gboolean deep = GST_VIDEO_FORMAT_INFO_DEPTH (info->finfo, 0) > 8;
  const NpyImage *image = deep && source->image16 ? source->image16 :
      source->image;
  gboolean whole;

  prep->frame_w = GST_VIDEO_INFO_WIDTH (info);
  prep->frame_h = GST_VIDEO_INFO_HEIGHT (info);
  prep->geom = *geom;
  npw_geometry_drawn_size (geom, prep->frame_w, prep->frame_h, image->width,
      image->height, max_side, &prep->w, &prep->h);
  prepared_origin (prep, offset_x, offset_y, x, y);
  whole = (flags & NPW_PREPARE_WHOLE) && keep_whole (source, geom,
      prep->frame_w, prep->frame_h, prep->w, prep->h);
  window_init (&prep->wx, prep->frame_w, prep->w, geom->tile,
      geom->tile_spacing, *x, whole);
  window_init (&prep->wy, prep->frame_h, prep->h, geom->tile,
      geom->tile_spacing, *y, whole);
  return image;
}

NpwPrepared *
npw_prepared_new (NpwSource * source, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    NpwPrepareFlags flags)
{
  gboolean deep = GST_VIDEO_FORMAT_INFO_DEPTH (info->finfo, 0) > 8;
  g_autoptr (GArray) xruns = NULL;
  g_autoptr (GArray) yruns = NULL;
  NpwPrepared *prep = g_new0 (NpwPrepared, 1);
  const NpyImage *image;
  gint64 x, y;
  gsize n_px;
  guint c;

  prep->source = npw_source_ref (source);
  prep->format = GST_VIDEO_INFO_FORMAT (info);
  prep->colorimetry = info->colorimetry;
  image = prepared_windows (prep, source, info, geom, max_side, offset_x,
      offset_y, flags, &x, &y);
  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (info->finfo); c++)
    prep->bpp = MAX (prep->bpp, GST_VIDEO_FORMAT_INFO_PSTRIDE (info->finfo,
            c) >> GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, c));
  prep->bpp = MAX (prep->bpp, 1);

  if (prep->wx.len <= 0 || prep->wy.len <= 0)
    return prep;

  if (prep->w == (gint) image->width && prep->h == (gint) image->height &&
      prep->wx.u0 == 0 && prep->wx.len == prep->w &&
      prep->wy.u0 == 0 && prep->wy.len == prep->h) {
    /* the image as it is: nothing to scale, crop or repeat */
    prep->overlay = (flags & NPW_PREPARE_ALL_PHASES) ?
        npw_overlay_new (image, info, geom->reference_white) :
        npw_overlay_new_lazy (image, info, geom->reference_white);
  } else {
    xruns = window_runs (&prep->wx);
    yruns = window_runs (&prep->wy);
    if (xruns == NULL || yruns == NULL)
      goto no_memory;
    prep->canvas.width = prep->wx.len;
    prep->canvas.height = prep->wy.len;
    prep->canvas.depth = deep ? 16 : 8;
    prep->canvas.n_frames = 1;
    if (canvas_is_window (image, deep, prep->w, prep->h, xruns, yruns,
            &prep->canvas)) {
      /* a lone copy at the image's own size, cut to the frame: the
       * canvas is the image's pixels where they are, nothing copied */
      const NpwRun *rx = &g_array_index (xruns, NpwRun, 0);
      const NpwRun *ry = &g_array_index (yruns, NpwRun, 0);
      gsize first = ((gsize) ry->cell * image->width + rx->cell) * 4;

      prep->canvas.stride = image->width;
      if (deep)
        prep->canvas.rgba16 = image->rgba16 + first;
      else
        prep->canvas.rgba = image->rgba + first;
    } else {
      guint8 *pixels;

      n_px = (gsize) prep->canvas.width * prep->canvas.height;
      pixels = g_try_malloc (n_px * (deep ? 8 : 4));
      if (pixels == NULL)
        goto no_memory;
      if (deep)
        prep->canvas.rgba16 = (guint16 *) pixels;
      else
        prep->canvas.rgba = pixels;
      if (!fill_canvas (image, prep->w, prep->h, xruns, yruns, pixels,
              prep->canvas.width, prep->canvas.height, prep->canvas.depth))
        goto no_memory;
    }
    if (flags & NPW_PREPARE_ALL_PHASES) {
      prep->overlay = npw_overlay_new (&prep->canvas, info,
          geom->reference_white);
      canvas_clear (prep);
    } else {
      prep->overlay = npw_overlay_new_lazy (&prep->canvas, info,
          geom->reference_white);
    }
  }
  if (prep->overlay == NULL || !npw_prepared_ensure (prep, offset_x, offset_y))
    goto no_memory;
  return prep;

no_memory:
  npw_prepared_free (prep);
  return NULL;
}

void
npw_prepared_free (NpwPrepared * prep)
{
  if (prep == NULL)
    return;
  npw_overlay_free (prep->overlay);
  npw_overlay_free (prep->view);
  canvas_clear (prep);
  npw_source_unref (prep->source);
  g_free (prep);
}

gboolean
npw_prepared_matches (const NpwPrepared * prep, const NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom)
{
  if (prep->source != source || prep->format != GST_VIDEO_INFO_FORMAT (info)
      || prep->frame_w != GST_VIDEO_INFO_WIDTH (info)
      || prep->frame_h != GST_VIDEO_INFO_HEIGHT (info)
      || !npw_geometry_equal (&prep->geom, geom))
    return FALSE;
  /* RGB values are the image's own, YUV ones depend on matrix and range;
   * both on primaries and transfer (colour.h) */
  if (!npw_colour_same_conversion (&info->colorimetry, &prep->colorimetry))
    return FALSE;
  return GST_VIDEO_FORMAT_INFO_IS_RGB (info->finfo) ||
      (info->colorimetry.matrix == prep->colorimetry.matrix &&
      info->colorimetry.range == prep->colorimetry.range);
}

gboolean
npw_prepared_covers (const NpwPrepared * prep, gint offset_x, gint offset_y)
{
  gint64 x, y;

  prepared_origin (prep, offset_x, offset_y, &x, &y);
  return window_covers (&prep->wx, x) && window_covers (&prep->wy, y);
}

/* Where the canvas goes along an axis: once, at the pattern's origin,
 * or, for a tiled canvas, shifted by whole periods to start just before
 * the frame (minus EDGE), from where it covers the frame. */
static gint64
canvas_position (const NpwWindow * win, gint64 origin)
{
  gint64 x = origin + win->u0;

  if (win->period > 0)
    x += npw_floor_div (-EDGE - x, win->period) * win->period;
  return x;
}

static gboolean
placement (const NpwPrepared * prep, gint offset_x, gint offset_y,
    gint64 * px, gint64 * py)
{
  gint64 x, y;

  if (prep->overlay == NULL)
    return FALSE;
  prepared_origin (prep, offset_x, offset_y, &x, &y);
  *px = canvas_position (&prep->wx, x);
  *py = canvas_position (&prep->wy, y);
  /* npw_overlay_blend () takes gint: anything that far out is unseen
   * (but a copy just past the right or bottom edge of a frame of odd
   * size still reaches the chroma samples straddling it) */
  return *px < prep->frame_w + EDGE && *px + prep->wx.len > 0 &&
      *py < prep->frame_h + EDGE && *py + prep->wy.len > 0;
}

/* Whether @prep blends from a view, and which columns [*@lo, *@hi) of
 * the copy the frame needs at canvas position @x (placement ()). */
static gboolean
wants_view (const NpwPrepared * prep, gint64 x, gint64 * lo, gint64 * hi)
{
  if (prep->wx.period > 0 || !prep->wx.fixed || prep->w <= prep->frame_w)
    return FALSE;
  needed_range (&prep->wx, x, lo, hi);
  return *lo < *hi && (prep->wx.len - (*hi - *lo)) * prep->bpp > MARGIN_BYTES;
}

/* TRUE when the view serves the frame at canvas position (@x, @y): it
 * holds the columns [@lo, @hi) the frame needs and their phase, and no
 * more than twice the margin besides. */
static gboolean
view_serves (const NpwPrepared * prep, gint64 x, gint64 y, gint64 lo, gint64 hi)
{
  return prep->view && lo >= prep->view_u0 &&
      hi <= prep->view_u0 + prep->view_len &&
      (prep->view_len - (hi - lo)) * prep->bpp <= 2 * MARGIN_BYTES &&
      npw_overlay_has_phase (prep->view, (gint) x, (gint) y);
}

gboolean
npw_prepared_ensure (NpwPrepared * prep, gint offset_x, gint offset_y)
{
  gint64 x, y, lo, hi, half = MARGIN_BYTES / prep->bpp / 2;

  if (!placement (prep, offset_x, offset_y, &x, &y))
    return TRUE;
  if (!npw_overlay_ensure (prep->overlay, (gint) x, (gint) y))
    return FALSE;
  if (!wants_view (prep, x, &lo, &hi) || view_serves (prep, x, y, lo, hi))
    return TRUE;
  /* the columns needed and half the margin each side, from a multiple
   * of 4 (the chroma phases stay the same) */
  prep->view_u0 = MAX (0, lo - half) & ~(gint64) 3;
  prep->view_len = (gint) (MIN ((gint64) prep->w, hi + half) - prep->view_u0);
  prep->view = npw_overlay_view (prep->overlay, (gint) prep->view_u0,
      prep->view_len, prep->view);
  return prep->view != NULL;
}

gboolean
npw_prepared_is_visible (const NpwPrepared * prep, gint offset_x,
    gint offset_y, guint op)
{
  gint64 x, y;

  return placement (prep, offset_x, offset_y, &x, &y) &&
      npw_overlay_is_visible (prep->overlay, (gint) x, (gint) y, op);
}

void
npw_prepared_blend (const NpwPrepared * prep, GstVideoFrame * frame,
    gint offset_x, gint offset_y, guint op)
{
  gint64 x, y, lo, hi;

  if (!placement (prep, offset_x, offset_y, &x, &y))
    return;
  if (wants_view (prep, x, &lo, &hi) && view_serves (prep, x, y, lo, hi))
    npw_overlay_blend (prep->view, frame, (gint) (x + prep->view_u0),
        (gint) y, op);
  else
    npw_overlay_blend (prep->overlay, frame, (gint) x, (gint) y, op);
}

gint
npw_cache_find (NpwCache * cache, const NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom, gint offset_x,
    gint offset_y)
{
  NpwPrepared *prep;
  gint i;

  for (i = 0; i < NPW_CACHE_SIZE; i++) {
    prep = cache->entry[i];
    if (prep && npw_prepared_matches (prep, source, info, geom))
      break;
  }
  if (i == NPW_CACHE_SIZE)
    return -1;
  memmove (&cache->entry[1], &cache->entry[0], i * sizeof (prep));
  cache->entry[0] = prep;
  if (npw_prepared_covers (prep, offset_x, offset_y))
    return i;
  /* cut for other offsets: they move */
  cache->moved = TRUE;
  g_clear_pointer (&cache->entry[0], npw_prepared_free);
  memmove (&cache->entry[0], &cache->entry[1],
      (NPW_CACHE_SIZE - 1) * sizeof (prep));
  cache->entry[NPW_CACHE_SIZE - 1] = NULL;
  return -1;
}

void
npw_cache_push (NpwCache * cache, NpwPrepared * prep)
{
  npw_prepared_free (cache->entry[NPW_CACHE_SIZE - 1]);
  memmove (&cache->entry[1], &cache->entry[0],
      (NPW_CACHE_SIZE - 1) * sizeof (prep));
  cache->entry[0] = prep;
}

void
npw_cache_clear (NpwCache * cache)
{
  gint i;

  for (i = 0; i < NPW_CACHE_SIZE; i++)
    g_clear_pointer (&cache->entry[i], npw_prepared_free);
  cache->moved = FALSE;
}

NpwSource *
npw_source_new_slice (NpwSource * stack, guint index)
{
  const NpyImage *all = stack->image;
  gsize offset = (gsize) index * all->width * all->height * 4;
  NpwSource *source;

  g_return_val_if_fail (index < MAX (all->n_frames, 1), NULL);
  source = g_atomic_rc_box_new0 (NpwSource);
  source->image = g_new (NpyImage, 1);
  *source->image = *all;
  source->image->n_frames = 1;
  source->image->rgba = all->rgba + offset;
  if (stack->image16) {
    source->image16 = g_new (NpyImage, 1);
    *source->image16 = *stack->image16;
    source->image16->n_frames = 1;
    source->image16->rgba16 = stack->image16->rgba16 + offset;
  }
  source->stack = npw_source_ref (stack);
  return source;
}

guint64
npw_prepared_get_pixels (const NpwPrepared * prep)
{
  return prep->overlay ? (guint64) prep->wx.len * prep->wy.len : 0;
}

guint64
npw_prepared_count_pixels (const NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom, gint max_side,
    gint offset_x, gint offset_y, NpwPrepareFlags flags)
{
  NpwPrepared prep = { 0, };
  gint64 x, y;

  prepared_windows (&prep, source, info, geom, max_side, offset_x, offset_y,
      flags, &x, &y);
  if (prep.wx.len <= 0 || prep.wy.len <= 0)
    return 0;
  return (guint64) prep.wx.len * prep.wy.len;
}
