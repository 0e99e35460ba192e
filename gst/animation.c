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
  NpwSource *stack;
  guint n;
  NpwSource **source;           /* each views one slice of stack */
  NpwPrepared **prep;           /* NULL: not prepared yet (lazy ones) */
  guint first;                  /* the one prepared first */

  /* what the others are prepared for */
  GstVideoInfo info;
  NpwGeometry geom;
  gint max_side, offset_x, offset_y;
  gboolean all_phases;
};

void
npw_slices_free (NpwSlices * slices)
{
  guint i;

  if (slices == NULL)
    return;
  for (i = 0; i < slices->n; i++) {
    npw_prepared_free (slices->prep[i]);
    npw_source_unref (slices->source[i]);
  }
  g_free (slices->prep);
  g_free (slices->source);
  npw_source_unref (slices->stack);
  g_free (slices);
}

/* Prepares slice @i; FALSE when memory cannot be had. */
static gboolean
slices_prepare (NpwSlices * slices, guint i)
{
  slices->prep[i] = npw_prepared_new (slices->source[i], &slices->info,
      &slices->geom, slices->max_side, slices->offset_x, slices->offset_y,
      slices->all_phases);
  return slices->prep[i] != NULL;
}

/* Slice @first now, and the others now too unless @lazy. */
static NpwSlices *
slices_new (NpwSource * stack, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    gboolean all_phases, guint first, gboolean lazy, GError ** error)
{
  const NpyImage *image = npw_source_get_image (stack);
  NpwSlices *slices = g_new0 (NpwSlices, 1);
  guint64 pixels = 0;
  guint i;

  slices->stack = npw_source_ref (stack);
  slices->n = image->n_frames;
  slices->first = MIN (first, slices->n - 1);
  slices->info = *info;
  slices->geom = *geom;
  slices->max_side = max_side;
  slices->offset_x = offset_x;
  slices->offset_y = offset_y;
  slices->all_phases = all_phases;
  slices->source = g_new0 (NpwSource *, slices->n);
  slices->prep = g_new0 (NpwPrepared *, slices->n);
  for (i = 0; i < slices->n; i++)
    slices->source[i] = npw_source_new_slice (stack, i);

  /* every slice has the first one's size: refuse before the rest */
  if (!slices_prepare (slices, slices->first))
    goto no_memory;
  pixels = npw_prepared_get_pixels (slices->prep[slices->first]);
  if (pixels * slices->n > NPW_ANIMATION_MAX_PIXELS)
    goto too_large;
  for (i = 0; i < slices->n && !lazy; i++)
    if (slices->prep[i] == NULL && !slices_prepare (slices, i))
      goto no_memory;
  return slices;

  /* ERRORS */
no_memory:
  {
    g_set_error (error, NPW_ANIMATION_ERROR, NPW_ANIMATION_ERROR_NO_MEMORY,
        "not enough memory to prepare %u slices of %ux%u", slices->n,
        image->width, image->height);
    npw_slices_free (slices);
    return NULL;
  }
too_large:
  {
    g_set_error (error, NPW_ANIMATION_ERROR, NPW_ANIMATION_ERROR_TOO_LARGE,
        "%u slices of %" G_GUINT64_FORMAT " pixels prepared for %dx%d "
        "frames would be %" G_GUINT64_FORMAT " pixels; the limit is %"
        G_GUINT64_FORMAT " (N times the part of the frame one slice covers)",
        slices->n, pixels, GST_VIDEO_INFO_WIDTH (info),
        GST_VIDEO_INFO_HEIGHT (info), pixels * slices->n,
        NPW_ANIMATION_MAX_PIXELS);
    npw_slices_free (slices);
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

static gboolean
slices_matches (const NpwSlices * slices, const NpwSource * stack,
    const GstVideoInfo * info, const NpwGeometry * geom)
{
  return slices->stack == stack &&
      npw_prepared_matches (slices->prep[slices->first],
      slices->source[slices->first], info, geom);
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

gboolean
npw_show_prepare (NpwShow * show, NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom, gint max_side,
    gint offset_x, gint offset_y, guint slice, NpwPrepared ** prep,
    GError ** error)
{
  NpwSlices *slices = show->slices;

  *prep = NULL;
  if (source == NULL || info == NULL)
    return TRUE;

  if (npw_source_get_image (source)->n_frames <= 1) {
    *prep = show_still (show, source, info, geom, max_side, offset_x, offset_y);
  } else {
    /* all slices share one window: cut for other offsets, all go */
    if (slices && (!slices_matches (slices, source, info, geom) ||
            !npw_prepared_covers (slices->prep[slices->first], offset_x,
                offset_y)))
      g_clear_pointer (&show->slices, npw_slices_free);
    slice = MIN (slice, npw_source_get_image (source)->n_frames - 1);
    if (show->slices == NULL) {
      /* on the streaming thread: only the slice this frame shows; the
       * others as frames need them, until the loader's whole set (asked
       * for at every caps and geometry change) is swapped in */
      show->slices = slices_new (source, info, geom, max_side, offset_x,
          offset_y, FALSE, slice, TRUE, error);
      if (show->slices == NULL)
        return FALSE;
      GST_DEBUG_OBJECT (show->owner, "prepared slice %u of %u for %s", slice,
          npw_source_get_image (source)->n_frames, GST_VIDEO_INFO_NAME (info));
    } else if (show->slices->prep[slice] == NULL) {
      GST_DEBUG_OBJECT (show->owner, "preparing slice %u now", slice);
      slices_prepare (show->slices, slice);
    }
    *prep = show->slices->prep[slice];
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

void
npw_show_keep (NpwShow * show, NpwPrepared ** prep, NpwSlices ** slices,
    const NpwSource * source, const GstVideoInfo * info,
    const NpwGeometry * geom)
{
  if (*prep && npw_prepared_matches (*prep, source, info, geom))
    npw_cache_push (&show->cache, g_steal_pointer (prep));
  if (*slices && slices_matches (*slices, source, info, geom)) {
    npw_slices_free (show->slices);
    show->slices = g_steal_pointer (slices);
  }
}

void
npw_show_clear (NpwShow * show)
{
  npw_cache_clear (&show->cache);
  g_clear_pointer (&show->slices, npw_slices_free);
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
