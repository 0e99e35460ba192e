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


/* The per-pixel kernels.  Each blends one row of overlay units into one
 * row of the frame; the caller clips and moves the pointers first.
 *
 * For every frame byte d with overlay value v and unit alpha a, and the
 * global opacity op (0..255):
 *   A   = div255 (a * op)
 *   out = div255 (v * A + d * (255 - A))
 * where div255 (x) = round (x / 255) exactly (halves round up).  An alpha
 * slot in the frame gets v = 255, which makes it Porter-Duff "over":
 *   out_a = A + d_a * (255 - A) / 255, rounded. */

#ifndef __NPW_BLEND_H__
#define __NPW_BLEND_H__

#include <glib.h>

G_BEGIN_DECLS

/* dst: frame row; val: @n units of unit-size bytes; alpha: one per unit
 * (or one per byte for npw_blend_row_bytes). */
typedef void (*NpwBlendRowFunc) (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);

/* The kernels in use, chosen on first use: "avx2" (x86 CPUs with AVX2)
 * or "c" (C built for the baseline ISA).  NPW_BLEND_KERNELS=c in the
 * environment forces "c". */
const gchar *npw_blend_get_kernels (void);

/* One alpha per byte: planar Y/U/V, GRAY8, packed 4:2:2 (n in bytes). */
void npw_blend_row_bytes (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);
/* One alpha per 2-byte unit: the interleaved chroma of NV12/NV21. */
void npw_blend_row_unit2 (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);
/* One alpha per 3-byte pixel: RGB, BGR. */
void npw_blend_row_unit3 (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);
/* One alpha per 4-byte pixel: RGBA family, RGBx family, AYUV. */
void npw_blend_row_unit4 (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);

/* Frames deeper than 8 bits (10, 12, 16: GstVideoFormatInfo's depth)
 * blend 16-bit samples with 16-bit alpha and opacity (0..65535).  For a
 * sample d (after the byte swap of a foreign-endian format and the shift
 * of an MSB-aligned one such as P010), overlay value v at the format's
 * depth and unit alpha a:
 *   A   = div65535 (a * op)
 *   out = div65535 (v * A + d * (65535 - A))
 * where div65535 (x) = round (x / 65535) exactly (halves round up), for
 * 0 <= x <= 65535 * 65535; then shifted back and swapped.  Alpha slots
 * get v = 2^depth - 1 ("over"), as above. */
typedef void (*NpwBlendRow16Func) (guint16 * dst, const guint16 * val,
    const guint16 * alpha, gint n, guint op, guint shift, gboolean swap);

/* One alpha per sample: planar 16-bit Y/U/V/A, GRAY16. */
void npw_blend_row16_unit1 (guint16 * dst, const guint16 * val,
    const guint16 * alpha, gint n, guint op, guint shift, gboolean swap);
/* One alpha per 2 samples: the interleaved chroma of P010/P016/NV24-like
 * formats. */
void npw_blend_row16_unit2 (guint16 * dst, const guint16 * val,
    const guint16 * alpha, gint n, guint op, guint shift, gboolean swap);
/* One alpha per 4 samples: RGBA64 family, AYUV64. */
void npw_blend_row16_unit4 (guint16 * dst, const guint16 * val,
    const guint16 * alpha, gint n, guint op, guint shift, gboolean swap);

G_END_DECLS

#endif /* __NPW_BLEND_H__ */
