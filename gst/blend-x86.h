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


/* AVX2 kernels for x86 (blend-x86.c), used by blend.c when the CPU has
 * AVX2; same arguments and results as the npw_blend_row_* they stand
 * for, except that they blend only whole vector steps (32 frame bytes)
 * and return the number of units done.  Only on x86 compilers that have
 * the AVX2 intrinsics. */

#ifndef __NPW_BLEND_X86_H__
#define __NPW_BLEND_X86_H__

#include <glib.h>

#if defined (__x86_64__) || defined (__i386__) || defined (_M_X64) \
    || (defined (_M_IX86) && !defined (_M_ARM64EC))
#define NPW_BLEND_HAVE_X86 1
#endif

/* Compiles one function for AVX2, the rest of the program keeping the
 * baseline ISA (GCC and clang; MSVC compiles it for the baseline). */
#if defined (NPW_BLEND_HAVE_X86) && (defined (__GNUC__) || defined (__clang__))
#define NPW_AVX2 __attribute__ ((target ("avx2")))
#else
#define NPW_AVX2
#endif

G_BEGIN_DECLS

#ifdef NPW_BLEND_HAVE_X86

gboolean npw_blend_x86_have_avx2 (void);

gint npw_blend_x86_avx2_bytes (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);
gint npw_blend_x86_avx2_unit2 (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);
gint npw_blend_x86_avx2_unit4 (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);

#endif

G_END_DECLS

#endif /* __NPW_BLEND_X86_H__ */
