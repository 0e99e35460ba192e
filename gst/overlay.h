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


/* A parsed .npy image turned once, for one negotiated video format and
 * colorimetry, into planes ready to blend: values already in the frame's
 * byte order and colour space, subsampled chroma already averaged, one
 * copy per chroma phase so odd offsets need no work per frame. */

#ifndef __NPW_OVERLAY_H__
#define __NPW_OVERLAY_H__

#include <gst/video/video.h>
#include "npy.h"

G_BEGIN_DECLS

/* Every format the overlay can be prepared for. */
#define NPW_OVERLAY_FORMATS \
  "{ RGBA, BGRA, ARGB, ABGR, RGBx, BGRx, xRGB, xBGR, RGB, BGR, " \
  "AYUV, VUYA, I420, YV12, A420, NV12, NV21, NV16, NV24, Y41B, Y42B, " \
  "Y444, YUY2, UYVY, GRAY8, " \
  "P010_10LE, P010_10BE, P012_LE, P012_BE, P016_LE, P016_BE, " \
  "I420_10LE, I420_10BE, I420_12LE, I420_12BE, " \
  "I422_10LE, I422_10BE, I422_12LE, I422_12BE, " \
  "Y444_10LE, Y444_10BE, Y444_12LE, Y444_12BE, Y444_16LE, Y444_16BE, " \
  "GRAY16_LE, GRAY16_BE, RGBA64_LE, RGBA64_BE, ARGB64, ARGB64_LE, " \
  "ARGB64_BE, BGRA64_LE, BGRA64_BE, ABGR64_LE, ABGR64_BE, AYUV64 }"

/* The global opacity as the kernels take it, both depths rounded from
 * the same value: bits 0-7 hold round (@opacity * 255), for 8-bit
 * frames, bits 8-23 round (@opacity * 65535), for deeper ones (an 8-bit
 * opacity alone would cost up to half a level of 8 bits there).  0 only
 * when both are 0. */
guint npw_opacity_encode (gdouble opacity);
#define NPW_OPACITY_8(op) ((op) & 0xff)
#define NPW_OPACITY_16(op) (((op) >> 8) & 0xffff)

typedef struct _NpwOverlay NpwOverlay;

gboolean npw_overlay_supports_format (GstVideoFormat format);

/* Converts @image for frames described by @info (format, size and
 * colorimetry).  On BT.2020, PQ and HLG frames the colours first go
 * through colour.h's conversion, the watermark's white at
 * @reference_white cd/m² on PQ and HLG.  Returns NULL for an unsupported
 * format, or when memory for it cannot be had (it is never aborted
 * for). */
NpwOverlay *npw_overlay_new (const NpyImage * image, const GstVideoInfo * info,
    gdouble reference_white);

/* The same, building only what is needed where it is first placed: the
 * luma plane and, of subsampled chroma, the phase npw_overlay_ensure ()
 * asks for.  @image must then outlive the overlay. */
NpwOverlay *npw_overlay_new_lazy (const NpyImage * image,
    const GstVideoInfo * info, gdouble reference_white);

/* Builds what placing the overlay's top-left corner at (@x, @y) needs
 * (the chroma phase of that position).  FALSE when memory for it cannot
 * be had.  Blending or testing visibility at a position whose phase is
 * not built draws nothing there. */
gboolean npw_overlay_ensure (NpwOverlay * overlay, gint x, gint y);

void npw_overlay_free (NpwOverlay * overlay);

/* A copy of @whole's image columns [@x0, @x0 + @width) (@x0 a multiple
 * of 4, so that each chroma phase stays the same phase), every row and
 * every phase built in @whole, with the runs cut to it: blended at
 * x + @x0 it draws what @whole draws at x over those columns.  Into
 * @view's memory (a view this made before, or NULL for a new one), which
 * grows only when it is too small, so that a view moved along a row
 * allocates nothing.  NULL (and @view freed) when memory cannot be had.
 *
 * A frame blends only what lands on it, but the rest of each row of
 * an overlay much wider than the frame still costs (prepare.c says how
 * much): a view narrower than @whole is what the blend reads. */
NpwOverlay *npw_overlay_view (const NpwOverlay * whole, gint x0, gint width,
    NpwOverlay * view);

/* TRUE when the phase placing @overlay at (@x, @y) needs is built. */
gboolean npw_overlay_has_phase (const NpwOverlay * overlay, gint x, gint y);

/* TRUE when some non-transparent part of the overlay placed at (@x, @y)
 * lands inside the frame, and @op (npw_opacity_encode ()) is not 0 at the
 * frame's depth. */
gboolean npw_overlay_is_visible (const NpwOverlay * overlay, gint x, gint y,
    guint op);

/* Blends the overlay into @frame (mapped writable, of the format it was
 * built for) with its top-left corner at (@x, @y), clipped on every side,
 * with global opacity @op (npw_opacity_encode ()).  Touches only the
 * overlay's area. */
void npw_overlay_blend (const NpwOverlay * overlay, GstVideoFrame * frame,
    gint x, gint y, guint op);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NpwOverlay, npw_overlay_free)

G_END_DECLS

#endif /* __NPW_OVERLAY_H__ */
