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


/* What the streaming thread draws: the watermark start () or the loader
 * gave, the caps and geometry it is prepared for, and each buffer's
 * values (read once, so the whole frame agrees).  Owned by the
 * streaming thread (and start/stop, when it is not running); errors are
 * posted on the element handed in. */

#ifndef __NPW_STAGE_H__
#define __NPW_STAGE_H__

#include <gst/video/video.h>

#include "animation.h"
#include "composition.h"
#include "loader.h"
#include "prepare.h"

G_BEGIN_DECLS

typedef struct
{
  GstElement *element;          /* for the log */
  NpwLoader *loader;            /* completes new sets of slices */
  NpwSource *source;            /* what is drawn (NULL: nothing) */
  NpwGeometry geom;
  GstVideoInfo info;
  gboolean have_info;
  NpwShow show;
  NpwComposition *compo;        /* or the overlay-composition meta */

  /* this buffer's */
  NpwPrepared *prep;            /* what it draws */
  gboolean draw;                /* it gets the overlay */
  guint op;                     /* npw_opacity_encode () */
  guint slice;
  gint x, y;
} NpwStage;

/* @element (not reffed: it owns the stage and @loader) names the log
 * lines; @loader completes the slices of an animation in the
 * background. */
void npw_stage_init (NpwStage * stage, GstElement * element,
    NpwLoader * loader, const NpwGeometry * geom);
void npw_stage_clear (NpwStage * stage);

/* stop (): drops the watermark and everything prepared from it. */
void npw_stage_reset (NpwStage * stage);

/* Makes @source (taken; NULL: none) the one drawn; overlays prepared
 * from others go. */
void npw_stage_set_source (NpwStage * stage, NpwSource * source);

/* start ()'s read of @data, else @location (NULL or "": no watermark).
 * FALSE with an error posted on @element when it cannot be read. */
gboolean npw_stage_load (NpwStage * stage, GstElement * element,
    GBytes * data, const gchar * location, guint max_size);

/* New caps: a still is prepared for them now (unless kept from
 * before); of an animation nothing is (the first frame prepares its
 * slice, the background the others).  FALSE with @error unset for caps
 * neither path takes, with @error set when the overlay cannot be
 * prepared. */
gboolean npw_stage_set_caps (NpwStage * stage, GstCaps * outcaps,
    const GstVideoInfo * info, guint max_size, gint offset_x, gint offset_y,
    GError ** error);

/* Takes the loader's @result (cleared): a new watermark or geometry, a
 * warning for a file that could not be read, the "npywatermark-loaded"
 * message for the buffer at @timestamp. */
void npw_stage_take (NpwStage * stage, GstElement * element,
    NpwLoaded * result, GstClockTime timestamp);

/* Readies the buffer at @stream_time with these values: sets draw.
 * Prepares at most one slice (or still): when nothing is prepared for
 * the caps, geometry and offsets, or a small slice the background has
 * not prepared yet (NPW_ANIMATION_QUICK_PIXELS); a larger one shows as
 * the nearest one it has.
 * FALSE with @error when the overlay cannot be prepared (the caller
 * then posts it and drops the watermark). */
gboolean npw_stage_frame (NpwStage * stage, GstPad * srcpad,
    GstClockTime stream_time, guint op, gint x, gint y, gint rate_n,
    gint rate_d, gboolean loop, guint max_size, GError ** error);

/* Blends the buffer's overlay into @frame, or into the rectangle of its
 * crop meta. */
void npw_stage_blend (NpwStage * stage, GstVideoFrame * frame);

G_END_DECLS

#endif /* __NPW_STAGE_H__ */
