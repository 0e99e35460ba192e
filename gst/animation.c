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

#include "animation.h"

GST_DEBUG_CATEGORY_EXTERN (gst_npy_watermark_debug);
#define GST_CAT_DEFAULT gst_npy_watermark_debug

/* *INDENT-OFF* */
G_DEFINE_QUARK (npw-animation-error-quark, npw_animation_error)
/* *INDENT-ON* */

guint
npw_animation_slice (GstClockTime t, gint rate_n, gint rate_d,
    guint n_slices, gboolean loop)
{
  guint64 k;

  if (!GST_CLOCK_TIME_IS_VALID (t) || n_slices <= 1 || rate_n <= 0
      || rate_d <= 0)
    return 0;
  /* floor (t * n / (d * 1e9)), exactly: d * 1e9 < 2^63 */
  k = gst_util_uint64_scale (t, rate_n, (guint64) rate_d * GST_SECOND);
  return loop ? (guint) (k % n_slices) : (guint) MIN (k, n_slices - 1);
}

struct _NpwSlices
{
  gint ref_count;               /* atomic */
  NpwSource *stack;
  guint n;
  NpwSource **source;           /* each views one slice of stack */
  NpwPrepared **prep;           /* atomic: NULL until published, then fixed */
  guint first;                  /* published before the set is shared */
  gint next;                    /* atomic: the slice frames show now */
  gint failed;                  /* atomic: a slice could not be prepared */

  /* what every slice is prepared for */
  GstVideoInfo info;
  NpwGeometry geom;
  gint max_side, offset_x, offset_y;
};

static void (*fill_hook) (guint slice); /* atomic */
static gint quick_pixels = NPW_ANIMATION_QUICK_PIXELS;  /* atomic */

void
npw_slices_set_fill_hook (void (*hook) (guint slice))
{
  g_atomic_pointer_set (&fill_hook, hook);
}

guint
npw_slices_set_quick_pixels (guint pixels)
{
  guint old = (guint) g_atomic_int_get (&quick_pixels);

  g_atomic_int_set (&quick_pixels, (gint) MIN (pixels, G_MAXINT));
  return old;
}

NpwSlices *
npw_slices_ref (NpwSlices * slices)
{
  g_atomic_int_inc (&slices->ref_count);
  return slices;
}

void
npw_slices_unref (NpwSlices * slices)
{
  guint i;

  if (slices == NULL || !g_atomic_int_dec_and_test (&slices->ref_count))
    return;
  /* the last reference: no other thread sees the set any more */
  for (i = 0; i < slices->n; i++) {
    npw_prepared_free (slices->prep[i]);
    npw_source_unref (slices->source[i]);
  }
  g_free (slices->prep);
  g_free (slices->source);
  npw_source_unref (slices->stack);
  g_free (slices);
}

/* Slice @i (published or not yet: NULL). */
static NpwPrepared *
slices_get (NpwSlices * slices, guint i)
{
  return g_atomic_pointer_get (&slices->prep[i]);
}

/* Prepares slice @i and publishes it unless another thread did first;
 * FALSE when memory cannot be had. */
static gboolean
slices_prepare (NpwSlices * slices, guint i, gboolean all_phases)
{
  NpwPrepared *prep = npw_prepared_new (slices->source[i], &slices->info,
      &slices->geom, slices->max_side, slices->offset_x, slices->offset_y,
      all_phases);

  if (prep == NULL)
    return FALSE;
  if (!g_atomic_pointer_compare_and_exchange (&slices->prep[i], NULL, prep))
    npw_prepared_free (prep);
  return TRUE;
}

gboolean
npw_slices_check_limit (NpwSource * stack, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    GError ** error)
{
  const NpyImage *image = npw_source_get_image (stack);
  guint64 pixels = npw_prepared_count_pixels (stack, info, geom, max_side,
      offset_x, offset_y);

  if (pixels * image->n_frames <= NPW_ANIMATION_MAX_PIXELS)
    return TRUE;
  g_set_error (error, NPW_ANIMATION_ERROR, NPW_ANIMATION_ERROR_TOO_LARGE,
      "%u slices of %" G_GUINT64_FORMAT " pixels prepared for %dx%d "
      "frames would be %" G_GUINT64_FORMAT " pixels; the limit is %"
      G_GUINT64_FORMAT " (N times the part of the frame one slice covers)",
      image->n_frames, pixels, GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), pixels * image->n_frames,
      NPW_ANIMATION_MAX_PIXELS);
  return FALSE;
}

/* Slice @first now, with every chroma phase when @all_phases (else the
 * one these offsets need), and the others now too unless @lazy.  Past
 * the limit, nothing is prepared. */
static NpwSlices *
slices_new (NpwSource * stack, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    gboolean all_phases, guint first, gboolean lazy, GError ** error)
{
  const NpyImage *image = npw_source_get_image (stack);
  NpwSlices *slices;
  guint i;

  if (!npw_slices_check_limit (stack, info, geom, max_side, offset_x,
          offset_y, error))
    return NULL;

  slices = g_new0 (NpwSlices, 1);
  slices->ref_count = 1;
  slices->stack = npw_source_ref (stack);
  slices->n = image->n_frames;
  slices->first = MIN (first, slices->n - 1);
  slices->next = slices->first;
  slices->info = *info;
  slices->geom = *geom;
  slices->max_side = max_side;
  slices->offset_x = offset_x;
  slices->offset_y = offset_y;
  slices->source = g_new0 (NpwSource *, slices->n);
  slices->prep = g_new0 (NpwPrepared *, slices->n);
  for (i = 0; i < slices->n; i++)
    slices->source[i] = npw_source_new_slice (stack, i);

  if (!slices_prepare (slices, slices->first, all_phases))
    goto no_memory;
  for (i = 0; i < slices->n && !lazy; i++)
    if (slices->prep[i] == NULL && !slices_prepare (slices, i, all_phases))
      goto no_memory;
  return slices;

  /* ERRORS */
no_memory:
  {
    g_set_error (error, NPW_ANIMATION_ERROR, NPW_ANIMATION_ERROR_NO_MEMORY,
        "not enough memory to prepare %u slices of %ux%u", slices->n,
        image->width, image->height);
    npw_slices_unref (slices);
    return NULL;
  }
}

NpwSlices *
npw_slices_new (NpwSource * stack, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    gboolean all_phases, GError ** error)
{
  return slices_new (stack, info, geom, max_side, offset_x, offset_y,
      all_phases, 0, FALSE, error);
}

/* The first slice not published yet, from the one frames show now
 * onwards (wrapping); n when all are. */
static guint
slices_missing (NpwSlices * slices)
{
  guint from = (guint) g_atomic_int_get (&slices->next), d;

  for (d = 0; d < slices->n; d++) {
    guint i = (from + d) % slices->n;

    if (slices_get (slices, i) == NULL)
      return i;
  }
  return slices->n;
}

gboolean
npw_slices_is_complete (NpwSlices * slices)
{
  return g_atomic_int_get (&slices->failed) ||
      slices_missing (slices) == slices->n;
}

gboolean
npw_slices_fill_one (NpwSlices * slices)
{
  void (*hook) (guint slice);
  guint i;

  if (g_atomic_int_get (&slices->failed))
    return FALSE;
  i = slices_missing (slices);
  if (i == slices->n)
    return FALSE;
  hook = g_atomic_pointer_get (&fill_hook);
  if (hook)
    hook (i);
  if (!slices_prepare (slices, i, TRUE)) {
    g_atomic_int_set (&slices->failed, 1);
    return FALSE;
  }
  return TRUE;
}

/* A set for @stack, @info and @geom. */
static gboolean
slices_matches (NpwSlices * slices, const NpwSource * stack,
    const GstVideoInfo * info, const NpwGeometry * geom)
{
  return slices->stack == stack &&
      npw_prepared_matches (slices_get (slices, slices->first),
      slices->source[slices->first], info, geom);
}

/* The published slice nearest to @slice, the earlier one first (what a
 * player that drops frames shows): @first at least is published. */
static guint
slices_nearest (NpwSlices * slices, guint slice)
{
  guint d;

  for (d = 1; d < slices->n; d++) {
    guint before = (slice + slices->n - d) % slices->n;
    guint after = (slice + d) % slices->n;

    if (slices_get (slices, before))
      return before;
    if (slices_get (slices, after))
      return after;
  }
  return slices->first;
}

/* The still cache: the entry for @source, @info and @geom at these
 * offsets, prepared now when there is none.  Streaming thread. */
static NpwPrepared *
show_still (NpwShow * show, NpwSource * source, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y)
{
  NpwPrepared *prep;
  gint found;

  found = npw_cache_find (&show->cache, source, info, geom, offset_x, offset_y);
  if (found > 0)
    GST_DEBUG_OBJECT (show->owner, "overlay kept for %s %dx%d",
        GST_VIDEO_INFO_NAME (info),
        GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
  if (found < 0) {
    /* on the streaming thread: only the chroma phase needed now */
    prep = npw_prepared_new (source, info, geom, max_side, offset_x,
        offset_y, FALSE);
    if (prep == NULL)
      return NULL;
    GST_DEBUG_OBJECT (show->owner, "prepared for %s %dx%d",
        GST_VIDEO_INFO_NAME (info),
        GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
    npw_cache_push (&show->cache, prep);
  }
  return show->cache.entry[0];
}

static void
show_set_slices (NpwShow * show, NpwSlices * slices, gboolean fresh)
{
  npw_slices_unref (show->slices);
  show->slices = slices;
  show->slices_fresh = fresh;
  show->slices_changed = TRUE;
}

/* An animation's @slice for this frame: published, the nearest that is,
 * or (no set for these caps, geometry and offsets) prepared now in a new
 * set.  Streaming thread. */
static NpwPrepared *
show_slice (NpwShow * show, NpwSource * source, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    guint slice, GError ** error)
{
  NpwSlices *slices = show->slices;
  NpwPrepared *prep;
  guint shown;

  /* all slices share one window: cut for other offsets, all go */
  if (slices && (!slices_matches (slices, source, info, geom) ||
          !npw_prepared_covers (slices_get (slices, slices->first), offset_x,
              offset_y)))
    show_set_slices (show, NULL, FALSE);
  slice = MIN (slice, npw_source_get_image (source)->n_frames - 1);

  if (show->slices == NULL) {
    /* only the slice this frame shows (and only its chroma phase); the
     * others come from the background, which the owner is told of */
    slices = slices_new (source, info, geom, max_side, offset_x, offset_y,
        FALSE, slice, TRUE, error);
    if (slices == NULL)
      return NULL;
    show_set_slices (show, slices, TRUE);
    GST_DEBUG_OBJECT (show->owner, "prepared slice %u of %u for %s", slice,
        npw_source_get_image (source)->n_frames, GST_VIDEO_INFO_NAME (info));
    return slices_get (slices, slice);
  }

  slices = show->slices;
  if (g_atomic_int_get (&slices->failed))
    goto no_memory;
  /* the background goes on from here */
  g_atomic_int_set (&slices->next, (gint) slice);
  if (show->slices_fresh) {
    show->slices_fresh = FALSE;
    show->slices_changed = TRUE;
  }
  prep = slices_get (slices, slice);
  if (prep == NULL && npw_prepared_get_pixels (slices_get (slices,
              slices->first)) <= (guint) g_atomic_int_get (&quick_pixels)) {
    GST_DEBUG_OBJECT (show->owner, "preparing slice %u now", slice);
    if (!slices_prepare (slices, slice, FALSE))
      goto no_memory;
    prep = slices_get (slices, slice);
  }
  if (prep == NULL) {
    shown = slices_nearest (slices, slice);
    GST_LOG_OBJECT (show->owner, "slice %u not prepared yet, showing %u",
        slice, shown);
    prep = slices_get (slices, shown);
  }
  return prep;

  /* ERRORS */
no_memory:
  {
    g_set_error (error, NPW_ANIMATION_ERROR, NPW_ANIMATION_ERROR_NO_MEMORY,
        "not enough memory to prepare %u slices of %ux%u", slices->n,
        npw_source_get_image (source)->width,
        npw_source_get_image (source)->height);
    return NULL;
  }
}

gboolean
npw_show_prepare (NpwShow * show, NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom, gint max_side,
    gint offset_x, gint offset_y, guint slice, NpwPrepared ** prep,
    GError ** error)
{
  GError *own = NULL;

  *prep = NULL;
  if (source == NULL || info == NULL)
    return TRUE;

  if (npw_source_get_image (source)->n_frames <= 1)
    *prep = show_still (show, source, info, geom, max_side, offset_x, offset_y);
  else
    *prep = show_slice (show, source, info, geom, max_side, offset_x,
        offset_y, slice, &own);
  if (own) {
    g_propagate_error (error, own);
    return FALSE;
  }
  /* offsets of another chroma phase than prepared so far */
  if (*prep == NULL || !npw_prepared_ensure (*prep, offset_x, offset_y)) {
    *prep = NULL;
    g_set_error_literal (error, NPW_ANIMATION_ERROR,
        NPW_ANIMATION_ERROR_NO_MEMORY, "not enough memory");
    return FALSE;
  }
  return TRUE;
}

gboolean
npw_show_set_caps (NpwShow * show, NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom, gint max_side,
    gint offset_x, gint offset_y, GError ** error)
{
  if (show->slices && !slices_matches (show->slices, source, info, geom))
    show_set_slices (show, NULL, FALSE);
  return source == NULL || npw_source_get_image (source)->n_frames <= 1 ||
      npw_slices_check_limit (source, info, geom, max_side, offset_x,
      offset_y, error);
}

void
npw_show_keep (NpwShow * show, NpwPrepared ** prep, NpwSlices ** slices,
    const NpwSource * source, const GstVideoInfo * info,
    const NpwGeometry * geom)
{
  if (*prep && npw_prepared_matches (*prep, source, info, geom))
    npw_cache_push (&show->cache, g_steal_pointer (prep));
  if (*slices && slices_matches (*slices, source, info, geom))
    show_set_slices (show, g_steal_pointer (slices), FALSE);
}

void
npw_show_clear (NpwShow * show)
{
  npw_cache_clear (&show->cache);
  if (show->slices)
    show_set_slices (show, NULL, FALSE);
}

void
npw_show_post_error (GstElement * element, const NpwSource * source,
    const gchar * name, const GstVideoInfo * info, const GError * error,
    gboolean fatal)
{
  const NpyImage *image = npw_source_get_image (source);
  g_autofree gchar *text = NULL;

  gboolean too_large = g_error_matches (error, NPW_ANIMATION_ERROR,
      NPW_ANIMATION_ERROR_TOO_LARGE);

  if (too_large)
    text = g_strdup_printf ("Animated watermark \"%s\" is too large: %u "
        "slices of %ux%u, prepared, would pass the limit of %"
        G_GUINT64_FORMAT " Mi pixels", name, image->n_frames, image->width,
        image->height, NPW_ANIMATION_MAX_PIXELS >> 20);
  else
    text = g_strdup_printf ("Not enough memory to prepare the %ux%u "
        "watermark", image->width, image->height);
  /* a stack past the limit is an input the element cannot use, like a
   * bad array; memory is not a resource the user points at */
  if (fatal && too_large)
    GST_ELEMENT_ERROR (element, STREAM, FORMAT, ("%s.", text),
        ("%s, for %s frames", error->message, GST_VIDEO_INFO_NAME (info)));
  else if (fatal)
    GST_ELEMENT_ERROR (element, CORE, FAILED, ("%s.", text),
        ("%s, for %s frames", error->message, GST_VIDEO_INFO_NAME (info)));
  else if (too_large)
    GST_ELEMENT_WARNING (element, STREAM, FORMAT,
        ("%s; drawing none.", text), ("%s", error->message));
  else
    GST_ELEMENT_WARNING (element, CORE, FAILED,
        ("%s; drawing none.", text), ("%s", error->message));
}
