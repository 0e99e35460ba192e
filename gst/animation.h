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
 * stack: after new caps, the streaming thread prepares the one its first
 * frame shows and the loader's thread the others, in the order frames
 * will need them, each used as soon as it is published.  Also what the
 * streaming thread shows: the still cache, or an animation's slices. */

#ifndef __NPW_ANIMATION_H__
#define __NPW_ANIMATION_H__

#include <gst/video/video.h>

#include "prepare.h"

G_BEGIN_DECLS

/* N times the pixels of one prepared slice (its canvas: the part of the
 * frame it can cover) may not pass this: 64 Mi pixels, 32 slices of a
 * whole 1080p frame, a few hundred MiB prepared. */
#define NPW_ANIMATION_MAX_PIXELS (G_GUINT64_CONSTANT (64) << 20)

/* A slice whose canvas holds at most this many pixels (a 256x256 logo)
 * is prepared by the frame that needs it when the background has not got
 * to it yet: 0.6 ms (1080p I420), a frame's own work, so that small
 * animations show every slice exactly even when frames come faster than
 * the background prepares (a file transcoded).  Larger ones never are:
 * the frame shows the nearest slice prepared. */
#define NPW_ANIMATION_QUICK_PIXELS (G_GUINT64_CONSTANT (64) << 10)

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

/* Every slice of an animation, prepared for one caps and geometry:
 * refcounted, shared by the streaming thread and the loader's thread.
 * What it is for (stack, caps, geometry, offsets) never changes; each
 * slice is published once, atomically, by whichever thread prepared it
 * (NULL until then), and never changes after that. */
typedef struct _NpwSlices NpwSlices;

/* As npw_prepared_new () for each slice of @stack, all of them now (the
 * loader's thread); NULL with @error past NPW_ANIMATION_MAX_PIXELS
 * (checked before any is prepared) or when memory cannot be had. */
NpwSlices *npw_slices_new (NpwSource * stack, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    gboolean all_phases, GError ** error);

NpwSlices *npw_slices_ref (NpwSlices * slices);
void npw_slices_unref (NpwSlices * slices);

/* TRUE when every slice is published, or when one could not be prepared
 * (no memory): nothing is left to fill. */
gboolean npw_slices_is_complete (NpwSlices * slices);

/* Background (the loader's thread): prepares, with every chroma phase,
 * the first slice not published yet from the one the streaming thread
 * shows now onwards (the order in which frames will need them), and
 * publishes it.  FALSE when nothing is left to fill.  Several threads
 * may fill one set: a slice prepared twice is published once. */
gboolean npw_slices_fill_one (NpwSlices * slices);

/* Tests only: @hook (NULL: none) runs on the filling thread before each
 * slice npw_slices_fill_one () prepares, so that a test can hold the
 * background back. */
void npw_slices_set_fill_hook (void (*hook) (guint slice));

/* Tests only: what NPW_ANIMATION_QUICK_PIXELS says, for small stacks to
 * play as large ones do (0: no slice is quick).  Returns the old value. */
guint npw_slices_set_quick_pixels (guint pixels);

/* The pixels of a canvas of @stack prepared for @info with @geom at
 * these offsets (npw_prepared_get_pixels ()), times its slices, past
 * NPW_ANIMATION_MAX_PIXELS: FALSE with @error.  Nothing is prepared. */
gboolean npw_slices_check_limit (NpwSource * stack, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    GError ** error);

/* What the streaming thread shows. */
typedef struct
{
  GstObject *owner;             /* for the log */
  NpwCache cache;               /* stills */
  NpwSlices *slices;            /* an animation's, for the active caps */
  gboolean slices_fresh;        /* made by the last frame: not filled yet */
  gboolean slices_changed;      /* the owner hands slices (NULL when
                                 * fresh) to the background, which forgets
                                 * the set before */
} NpwShow;

/* Sets *@prep to what a frame of @info with @geom draws at these offsets
 * when it shows @slice of @source (NULL: @source or @info is NULL), and
 * never prepares more than one slice (or one still):
 * - a still: from the cache, or prepared now;
 * - an animation with a set for these caps and geometry: @slice when it
 *   is published (or quick to prepare: NPW_ANIMATION_QUICK_PIXELS), else
 *   the nearest one that is (the background prepares @slice next);
 * - an animation with no such set: a new set, with @slice prepared now;
 *   the background completes it from the next frame that uses it (a set
 *   that serves one frame only, as offsets moving past a watermark larger
 *   than the frame make, is not filled).  slices_changed says when the
 *   owner must tell the background.
 * FALSE with @error when it cannot be prepared. */
gboolean npw_show_prepare (NpwShow * show, NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom, gint max_side,
    gint offset_x, gint offset_y, guint slice, NpwPrepared ** prep,
    GError ** error);

/* New caps @info (streaming thread): a set of slices prepared for other
 * caps goes; nothing is prepared (the first frame prepares its slice).
 * FALSE with @error when an animation @source would be past the limit
 * for them. */
gboolean npw_show_set_caps (NpwShow * show, NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom, gint max_side,
    gint offset_x, gint offset_y, GError ** error);

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
