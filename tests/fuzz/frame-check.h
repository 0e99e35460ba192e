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

/* Blends an overlay into a frame allocated to exactly its GstVideoInfo
 * size, so AddressSanitizer sees any write past it, then checks what a
 * sanitizer cannot see: no byte outside the units the image covers
 * changed (other planes, stride padding, the rest of the picture),
 * opacity 0 changes nothing, and RGB frames match the reference blend
 * of tests/reference.c exactly. */

#ifndef __NPW_FRAME_CHECK_H__
#define __NPW_FRAME_CHECK_H__

#include <gst/video/video.h>

#include "npy.h"
#include "overlay.h"

G_BEGIN_DECLS

/* The element's formats (NPW_OVERLAY_FORMATS), in that order: the
 * overlay fuzz target picks one by index, so the order is part of its
 * corpus. */
extern const GstVideoFormat frame_check_formats[];
extern const guint frame_check_n_formats;

/* Builds the overlay of @image for @info, blends it at (@x, @y) with
 * opacity @op into a frame filled from @seed, and checks the result;
 * aborts on a broken promise.  Also checks npw_overlay_is_visible (). */
void frame_check_blend (const GstVideoInfo * info, const NpyImage * image,
    gint x, gint y, guint op, guint32 seed);

/* Same, with an overlay already built for @info from @image. */
void frame_check_blend_overlay (const GstVideoInfo * info,
    const NpyImage * image, const NpwOverlay * overlay, gint x, gint y,
    guint op, guint32 seed);

G_END_DECLS

#endif /* __NPW_FRAME_CHECK_H__ */
