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


/* Plain C row loops written so that GCC and clang vectorise them: no
 * branches in the loop, 16-bit intermediate values (v * A + d * (255 - A)
 * is at most 65025, and the rounding below stays under 65536).  With
 * target_clones each kernel is compiled twice, for AVX2 and for the
 * baseline, and the loader picks one for this CPU (ifunc). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "blend.h"

#ifdef HAVE_TARGET_CLONES
#define NPW_KERNEL __attribute__ ((target_clones ("avx2", "default")))
#else
#define NPW_KERNEL
#endif

/* round (x / 255) for 0 <= x <= 65025, exact: ((x + 128) * 257) >> 16,
 * one 16-bit high multiply per lane. */
#define DIV255(x) ((guint16) (((guint32) (guint16) ((x) + 128) * 257) >> 16))

#define BLEND(d, v, A) \
  DIV255 ((guint16) ((guint16) (v) * (A) + (guint16) (d) * (255 - (A))))

/* Each kernel has two loops: opacity 1 (the common case, the alpha used
 * as stored) and any other opacity.  The test is per row, not per pixel. */

NPW_KERNEL void
npw_blend_row_bytes (guint8 * restrict dst, const guint8 * restrict val,
    const guint8 * restrict alpha, gint n, guint op)
{
  gint i;

  if (op == 255) {
    for (i = 0; i < n; i++) {
      guint16 A = alpha[i];
      dst[i] = BLEND (dst[i], val[i], A);
    }
    return;
  }
  for (i = 0; i < n; i++) {
    guint16 A = DIV255 ((guint16) (alpha[i] * op));
    dst[i] = BLEND (dst[i], val[i], A);
  }
}

NPW_KERNEL void
npw_blend_row_unit2 (guint8 * restrict dst, const guint8 * restrict val,
    const guint8 * restrict alpha, gint n, guint op)
{
  gint i;

  if (op == 255) {
    for (i = 0; i < n; i++) {
      guint16 A = alpha[i];
      dst[2 * i + 0] = BLEND (dst[2 * i + 0], val[2 * i + 0], A);
      dst[2 * i + 1] = BLEND (dst[2 * i + 1], val[2 * i + 1], A);
    }
    return;
  }
  for (i = 0; i < n; i++) {
    guint16 A = DIV255 ((guint16) (alpha[i] * op));
    dst[2 * i + 0] = BLEND (dst[2 * i + 0], val[2 * i + 0], A);
    dst[2 * i + 1] = BLEND (dst[2 * i + 1], val[2 * i + 1], A);
  }
}

NPW_KERNEL void
npw_blend_row_unit3 (guint8 * restrict dst, const guint8 * restrict val,
    const guint8 * restrict alpha, gint n, guint op)
{
  gint i;

  if (op == 255) {
    for (i = 0; i < n; i++) {
      guint16 A = alpha[i];
      dst[3 * i + 0] = BLEND (dst[3 * i + 0], val[3 * i + 0], A);
      dst[3 * i + 1] = BLEND (dst[3 * i + 1], val[3 * i + 1], A);
      dst[3 * i + 2] = BLEND (dst[3 * i + 2], val[3 * i + 2], A);
    }
    return;
  }
  for (i = 0; i < n; i++) {
    guint16 A = DIV255 ((guint16) (alpha[i] * op));
    dst[3 * i + 0] = BLEND (dst[3 * i + 0], val[3 * i + 0], A);
    dst[3 * i + 1] = BLEND (dst[3 * i + 1], val[3 * i + 1], A);
    dst[3 * i + 2] = BLEND (dst[3 * i + 2], val[3 * i + 2], A);
  }
}

NPW_KERNEL void
npw_blend_row_unit4 (guint8 * restrict dst, const guint8 * restrict val,
    const guint8 * restrict alpha, gint n, guint op)
{
  gint i;

  if (op == 255) {
    for (i = 0; i < n; i++) {
      guint16 A = alpha[i];
      dst[4 * i + 0] = BLEND (dst[4 * i + 0], val[4 * i + 0], A);
      dst[4 * i + 1] = BLEND (dst[4 * i + 1], val[4 * i + 1], A);
      dst[4 * i + 2] = BLEND (dst[4 * i + 2], val[4 * i + 2], A);
      dst[4 * i + 3] = BLEND (dst[4 * i + 3], val[4 * i + 3], A);
    }
    return;
  }
  for (i = 0; i < n; i++) {
    guint16 A = DIV255 ((guint16) (alpha[i] * op));
    dst[4 * i + 0] = BLEND (dst[4 * i + 0], val[4 * i + 0], A);
    dst[4 * i + 1] = BLEND (dst[4 * i + 1], val[4 * i + 1], A);
    dst[4 * i + 2] = BLEND (dst[4 * i + 2], val[4 * i + 2], A);
    dst[4 * i + 3] = BLEND (dst[4 * i + 3], val[4 * i + 3], A);
  }
}
