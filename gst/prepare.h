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


/* The prepare stage: a parsed watermark, the negotiated video format and
 * the geometry properties turned, once per change, into what a frame
 * blends.  What is prepared is bounded by the frame, never by the .npy:
 * the watermark is scaled, tiled and cropped into a canvas of at most a
 * few frames' pixels, and only the canvas is converted.
 *
 * Along each axis the canvas is one of:
 * - the whole drawn copy (or, tiled, a strip of copies), valid for any
 *   offset: offsets then cost nothing per frame.  A copy larger than the
 *   frame is kept whole too while it holds at most 4 frames' pixels;
 *   when it is much wider than the frame, the blend reads a view of the
 *   columns the frame needs, copied from it (npw_prepared_ensure ());
 * - a window of a larger copy, valid for the offsets it was cut for
 *   (npw_prepared_covers () says when it must be cut again). */

#ifndef __NPW_PREPARE_H__
#define __NPW_PREPARE_H__

#include <gst/video/video.h>

#include "npy.h"
#include "geometry.h"
#include "overlay.h"

G_BEGIN_DECLS

/* A parsed watermark shared by the streaming thread and the loader. */
typedef struct _NpwSource NpwSource;

/* Takes @image, 8 or 16 bits (a 16-bit one is also kept reduced to 8
 * bits, for 8-bit frames).  NULL (and @image freed) when memory for that
 * cannot be had. */
NpwSource *npw_source_new (NpyImage * image);
NpwSource *npw_source_ref (NpwSource * source);
void npw_source_unref (NpwSource * source);
/* The 8-bit image (rgba set), whatever the array held. */
const NpyImage *npw_source_get_image (const NpwSource * source);

typedef struct _NpwPrepared NpwPrepared;

/* A copy larger than the frame is kept whole, for offsets that move,
 * while it holds at most this many frames of pixels: by both drawing
 * paths (keep_whole () here, build_cells () in composition.c). */
#define NPW_WHOLE_FRAMES 4

/* How npw_prepared_new () prepares:
 * @NPW_PREPARE_ALL_PHASES: every chroma phase is built (in the
 *   background, so any offset costs nothing later); without, only the
 *   one these offsets need (on the streaming thread, a quarter of the
 *   chroma work), the others by npw_prepared_ensure ().
 * @NPW_PREPARE_WHOLE: a copy larger than the frame may be kept whole
 *   (within a budget, see keep_whole ()) for offsets that move; without,
 *   it is cut to what these offsets show, so a still costs what it
 *   draws. */
typedef enum
{
  NPW_PREPARE_ALL_PHASES = 1 << 0,
  NPW_PREPARE_WHOLE = 1 << 1,
} NpwPrepareFlags;

/* Prepares @source for frames described by @info with @geom, cut for
 * offsets (@offset_x, @offset_y) where a window is needed.  @max_side
 * bounds the drawn size.  NULL when memory cannot be had. */
NpwPrepared *npw_prepared_new (NpwSource * source, const GstVideoInfo * info,
    const NpwGeometry * geom, gint max_side, gint offset_x, gint offset_y,
    NpwPrepareFlags flags);

/* Builds what drawing at these offsets needs, if it is not there yet:
 * their chroma phase, and the view a copy much wider than the frame is
 * blended from (copied again when the offsets moved past it: a copy of
 * prepared rows, into memory it reuses).  Streaming thread.  FALSE when
 * memory cannot be had. */
gboolean npw_prepared_ensure (NpwPrepared * prep, gint offset_x,
    gint offset_y);

void npw_prepared_free (NpwPrepared * prep);

/* TRUE when @prep was made from @source, for @info's format, colorimetry
 * and size, and with @geom. */
gboolean npw_prepared_matches (const NpwPrepared * prep,
    const NpwSource * source, const GstVideoInfo * info,
    const NpwGeometry * geom);

/* TRUE when @prep draws everything visible at these offsets. */
gboolean npw_prepared_covers (const NpwPrepared * prep, gint offset_x,
    gint offset_y);

/* TRUE when some non-transparent pixel lands on the frame and opacity
 * @op (npw_opacity_encode ()) is not 0 at the frame's depth. */
gboolean npw_prepared_is_visible (const NpwPrepared * prep, gint offset_x,
    gint offset_y, guint op);

/* Blends every copy into @frame with opacity @op (npw_opacity_encode ()). */
void npw_prepared_blend (const NpwPrepared * prep, GstVideoFrame * frame,
    gint offset_x, gint offset_y, guint op);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NpwPrepared, npw_prepared_free)

/* Prepared overlays kept per (format, colorimetry, size, geometry), so
 * streams alternating between a few sizes prepare each once; most
 * recently used first. */
#define NPW_CACHE_SIZE 4

typedef struct
{
  NpwPrepared *entry[NPW_CACHE_SIZE];
  /* an entry was dropped because the offsets moved past its cut: what
   * is prepared next may be kept whole (NPW_PREPARE_WHOLE) */
  gboolean moved;
} NpwCache;

/* Moves the entry that serves @source, @info and @geom at these offsets
 * to the front and returns its former index (an entry cut for other
 * offsets is dropped instead, and @cache->moved set); -1 when none
 * serves. */
gint npw_cache_find (NpwCache * cache, const NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom, gint offset_x,
    gint offset_y);

/* Puts @prep (taken) at the front, dropping the oldest entry. */
void npw_cache_push (NpwCache * cache, NpwPrepared * prep);

void npw_cache_clear (NpwCache * cache);

/* A source showing frame @index of @stack's (N, H, W, C) image, without
 * a copy: it keeps @stack alive. */
NpwSource *npw_source_new_slice (NpwSource * stack, guint index);

/* The pixels of @prep's canvas: what it holds converted, bounded by the
 * frame (0 when nothing lands on it). */
guint64 npw_prepared_get_pixels (const NpwPrepared * prep);

/* What npw_prepared_get_pixels () would say of npw_prepared_new () with
 * these arguments, worked out without preparing anything. */
guint64 npw_prepared_count_pixels (const NpwSource * source,
    const GstVideoInfo * info, const NpwGeometry * geom, gint max_side,
    gint offset_x, gint offset_y, NpwPrepareFlags flags);

G_END_DECLS

#endif /* __NPW_PREPARE_H__ */
