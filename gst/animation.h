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


/* Animated watermarks: an (N, H, W, C) stack plays slice
 * floor (t * rate) mod N at stream time t (or stays on the last slice
 * when it does not loop).  Every slice is prepared once per caps and
 * geometry, as a still is, from a source that views that slice of the
 * stack.  Also what the streaming thread shows: the still cache, or an
 * animation's slices. */

#ifndef __NPW_ANIMATION_H__
#define __NPW_ANIMATION_H__

#include <gst/video/video.h>

#include "prepare.h"

G_BEGIN_DECLS

/* N times the pixels of one prepared slice (its canvas: the part of the
 * frame it can cover) may not pass this: 64 Mi pixels, 32 slices of a
 * whole 1080p frame, a few hundred MiB prepared. */
#define NPW_ANIMATION_MAX_PIXELS (G_GUINT64_CONSTANT (64) << 20)

#define NPW_ANIMATION_ERROR (npw_animation_error_quark ())
GQuark npw_animation_error_quark (void);

typedef enum
{
  NPW_ANIMATION_ERROR_NO_MEMORY,
  NPW_ANIMATION_ERROR_TOO_LARGE /* past NPW_ANIMATION_MAX_PIXELS */
} NpwAnimationError;

/* The slice of an @n_slices animation at stream time @t playing at
 * @rate_n / @rate_d slices a second: floor (t * rate) mod n_slices, or
 * min (floor (t * rate), n_slices - 1) without @loop; 0 when @t is
 * GST_CLOCK_TIME_NONE. */
guint npw_animation_slice (GstClockTime t, gint rate_n, gint rate_d,
    guint n_slices, gboolean loop);

/* Every slice of an animation, prepared for one caps and geometry. */
typedef struct _NpwSlices NpwSlices;

/* As npw_prepared_new () for each slice of @stack; NULL with @error past
 * NPW_ANIMATION_MAX_PIXELS (checked once the first slice is prepared)
 * or when memory cannot be had. */
NpwSlices *npw_slices_new (NpwSource * stack, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    gboolean all_phases, GError ** error);

void npw_slices_free (NpwSlices * slices);

/* What the streaming thread shows. */
typedef struct
{
  GstObject *owner;             /* for the log */
  NpwCache cache;               /* stills */
  NpwSlices *slices;            /* an animation's, for the active caps */
} NpwShow;

/* Sets *@prep to what a frame of @info with @geom draws at these offsets
 * when it shows @slice of @source (NULL: @source or @info is NULL): kept
 * from before or prepared now.  FALSE with @error when it cannot be. */
gboolean npw_show_prepare (NpwShow * show, NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom, gint max_side,
    gint offset_x, gint offset_y, guint slice, NpwPrepared ** prep,
    GError ** error);

/* Keeps what the loader prepared (taken: *@prep or *@slices, either
 * may be NULL) when it is for @source, @info and @geom. */
void npw_show_keep (NpwShow * show, NpwPrepared ** prep, NpwSlices ** slices,
    const NpwSource * source, const GstVideoInfo * info,
    const NpwGeometry * geom);

void npw_show_clear (NpwShow * show);

/* Posts why @source (read from @name) could not be prepared for @info:
 * an error when @fatal, else a warning (nothing is drawn). */
void npw_show_post_error (GstElement * element, const NpwSource * source,
    const gchar * name, const GstVideoInfo * info, const GError * error,
    gboolean fatal);

G_END_DECLS

#endif /* __NPW_ANIMATION_H__ */
