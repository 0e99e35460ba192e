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


/* The overlay-composition meta path, as textoverlay's: when downstream
 * blends GstVideoOverlayCompositionMeta itself (GL, VA, DMABuf and
 * hardware sinks), the watermark goes out as rectangles attached to the
 * buffer, and the frame is never mapped.  Negotiation offers every caps
 * feature together with meta:GstVideoOverlayComposition; caps without
 * the meta stay limited to the system-memory formats the CPU blend takes.
 *
 * The rectangles' pixels (the scaled copy, BGRA/ARGB in memory as the
 * composition API wants) are built once per watermark, caps, geometry or
 * window size; a frame costs a reference to the composition, or new
 * rectangles (sharing the pixels) when offsets or opacity changed. */

#ifndef __NPW_COMPOSITION_H__
#define __NPW_COMPOSITION_H__

#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

#include "geometry.h"
#include "prepare.h"

G_BEGIN_DECLS

/* What the pad templates add to the CPU path's system-memory caps. */
#define NPW_COMPOSITION_CAPS \
  GST_VIDEO_CAPS_MAKE_WITH_FEATURES ("ANY", GST_VIDEO_FORMATS_ALL)

typedef struct _NpwComposition NpwComposition;

/* @owner (not reffed) names the log lines. */
NpwComposition *npw_composition_new (GstObject * owner);
void npw_composition_free (NpwComposition * comp);

/* Drops every rectangle and what they were built from (stop ()). */
void npw_composition_reset (NpwComposition * comp);

/* GstBaseTransform's transform_caps (textoverlay's caps logic):
 * downstream's caps with the meta feature go upstream with and without
 * it, upstream's go downstream with it added, and both ways the CPU
 * path's caps pass as they are. */
GstCaps *npw_composition_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter);

/* New source pad caps: the path is decided again from the next buffer.
 * FALSE when neither path can serve them (memory other than system, or a
 * format the CPU blend lacks, without the meta). */
gboolean npw_composition_set_caps (NpwComposition * comp, GstCaps * outcaps);

/* Decides, once per set_caps, from the caps already sent downstream and
 * an allocation query: attach when downstream takes the meta (its window
 * size, if given, sets the pixels' resolution), or when the caps allow
 * nothing else.  Streaming thread. */
void npw_composition_decide (NpwComposition * comp, GstPad * srcpad);

/* The same from @query (downstream's answer to an allocation query for
 * @caps): decide_allocation () runs it on every reconfigure, equal caps
 * included, so a resized window is picked up.  Warns (once per caps)
 * when the caps leave only the meta and downstream did not announce
 * it.  Streaming thread. */
void npw_composition_decide_query (NpwComposition * comp, GstPad * srcpad,
    GstCaps * caps, GstQuery * query);

/* A reconfigure event came from downstream: the next buffer asks again,
 * even when the caps stay the same (GstBaseTransform then skips the
 * allocation query; a GL window's new size comes only this way).  Any
 * thread. */
void npw_composition_reconfigure (NpwComposition * comp);

/* TRUE: frames get the composition and are never mapped. */
gboolean npw_composition_attaching (const NpwComposition * comp);

/* TRUE when the caps leave only the composition path (no CPU overlay to
 * prepare). */
gboolean npw_composition_attach_only (const NpwComposition * comp);

/* Keeps in @query (answered by downstream) only the metas that stay
 * correct through this element. */
void npw_composition_filter_metas (const NpwComposition * comp,
    GstQuery * query);

/* Adds the watermark's rectangles (slice @slice of an animation) to
 * @buf (writable), after those of a composition already on it, at
 * opacity @op (0..255).  FALSE with @error when memory cannot be had. */
gboolean npw_composition_attach (NpwComposition * comp, GstBuffer * buf,
    NpwSource * source, guint slice, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    guint op, GError ** error);

G_END_DECLS

#endif /* __NPW_COMPOSITION_H__ */
