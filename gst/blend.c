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


/* The kernels are ORC programs (blendorc.orc): liborc turns them into
 * SIMD code for the CPU it runs on, with any compiler, and runs the C
 * that orcc wrote beside them where it cannot.  On x86 CPUs with AVX2
 * the hand-written kernels of blend-x86.c take their place (ORC 0.4.33
 * has no AVX).  The choice is made once, on first use, with the ORC
 * programs compiled then; NPW_BLEND_KERNELS=orc in the environment
 * keeps ORC's (for tests and for comparing). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <orc/orc.h>

#include "blend.h"
#include "blend-x86.h"
#include "blendorc.h"

/* round (x / 255) for 0 <= x <= 65025, exact: div255w of ORC. */
#define DIV255(x) ((guint) (((x) + 128 + (((x) + 128) >> 8)) >> 8))

static void orc_bytes (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);
static void orc_unit2 (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);
static void orc_unit4 (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);

/* The 16-bit kernels: portable C that GCC and clang vectorise (32-bit
 * lanes), compiled once for the baseline ISA and once for AVX2. */
typedef void (*NpwDeepFunc) (guint16 * dst, const guint16 * val,
    const guint16 * alpha, gint n, guint op, guint shift);

typedef struct
{
  const gchar *name;
  NpwBlendRowFunc bytes, unit2, unit4;
  /* [unit 1, 2, 4][native, swapped] */
  NpwDeepFunc deep[3][2];
} NpwKernels;

/* round (x / 65535) for 0 <= x <= 65535 * 65535, exact, in 32 bits */
static inline G_ALWAYS_INLINE guint32
div65535 (guint32 x)
{
  x += 32768;
  return (x + (x >> 16)) >> 16;
}

static inline G_ALWAYS_INLINE guint32
bswap16 (guint32 x)
{
  return ((x >> 8) | (x << 8)) & 0xffff;
}

/* One sample: d is the frame word, A the alpha with opacity applied. */
static inline G_ALWAYS_INLINE guint16
deep_sample (guint32 d, guint32 v, guint32 A, guint shift, gboolean swap)
{
  if (swap)
    d = bswap16 (d);
  d = div65535 (v * A + (d >> shift) * (65535 - A)) << shift;
  return swap ? bswap16 (d) : d;
}

/* With one alpha per sample the blend is one plain loop; with @unit
 * samples to an alpha, the alphas (opacity applied) are first spread
 * over their samples a chunk at a time, so that the blend stays that
 * loop, the shape both compilers vectorise.  Full opacity skips the
 * multiply. */
#define DEEP_CHUNK 512

static inline G_ALWAYS_INLINE void
deep_body (guint16 * dst, const guint16 * val, const guint16 * alpha, gint n,
    guint op, guint shift, gint unit, gboolean swap)
{
  guint16 spread[DEEP_CHUNK];
  gint i, k;

  if (unit == 1) {
    if (op == 65535) {
      for (i = 0; i < n; i++)
        dst[i] = deep_sample (dst[i], val[i], alpha[i], shift, swap);
    } else {
      for (i = 0; i < n; i++)
        dst[i] = deep_sample (dst[i], val[i],
            div65535 ((guint32) alpha[i] * op), shift, swap);
    }
    return;
  }
  while (n > 0) {
    gint m = MIN (n, DEEP_CHUNK / unit);

    for (i = 0; i < m; i++) {
      guint16 A = op == 65535 ? alpha[i] : div65535 ((guint32) alpha[i] * op);

      for (k = 0; k < unit; k++)
        spread[unit * i + k] = A;
    }
    for (i = 0; i < unit * m; i++)
      dst[i] = deep_sample (dst[i], val[i], spread[i], shift, swap);
    dst += unit * m;
    val += unit * m;
    alpha += m;
    n -= m;
  }
}

#define DEEP_KERNEL(name, attr, unit, swap) \
static attr void \
name (guint16 * dst, const guint16 * val, const guint16 * alpha, gint n, \
    guint op, guint shift) \
{ \
  deep_body (dst, val, alpha, n, op, shift, unit, swap); \
}

#define DEEP_KERNELS(prefix, attr) \
DEEP_KERNEL (prefix##_1, attr, 1, FALSE) \
DEEP_KERNEL (prefix##_1s, attr, 1, TRUE) \
DEEP_KERNEL (prefix##_2, attr, 2, FALSE) \
DEEP_KERNEL (prefix##_2s, attr, 2, TRUE) \
DEEP_KERNEL (prefix##_4, attr, 4, FALSE) \
DEEP_KERNEL (prefix##_4s, attr, 4, TRUE)

DEEP_KERNELS (deep_c,)
#define DEEP_TABLE(prefix) { { prefix##_1, prefix##_1s }, \
    { prefix##_2, prefix##_2s }, { prefix##_4, prefix##_4s } }
     static const NpwKernels orc_kernels = { "orc", orc_bytes, orc_unit2,
       orc_unit4, DEEP_TABLE (deep_c)
     };

#ifdef NPW_BLEND_HAVE_X86
DEEP_KERNELS (deep_avx2, NPW_AVX2)
     static const NpwKernels avx2_kernels = { "avx2", npw_blend_x86_avx2_bytes,
       npw_blend_x86_avx2_unit2, npw_blend_x86_avx2_unit4,
       DEEP_TABLE (deep_avx2)
     };
#endif

/* Set once the programs are compiled and the kernels chosen.  The flag
 * is read with an atomic in every call (one load per row), so no thread
 * can see it set before what npw_blend_init () stored. */
static gint ready;
static GMutex init_lock;
static const NpwKernels *kernels;

void
npw_blend_init (void)
{
  const gchar *env;

  if (G_LIKELY (g_atomic_int_get (&ready)))
    return;
  g_mutex_lock (&init_lock);
  if (!ready) {
    orc_init ();
    npw_blend_orc_init ();
    env = g_getenv ("NPW_BLEND_KERNELS");
    kernels = &orc_kernels;
#ifdef NPW_BLEND_HAVE_X86
    if ((env == NULL || strcmp (env, "orc") != 0)
        && npw_blend_x86_have_avx2 ())
      kernels = &avx2_kernels;
#endif
    g_atomic_int_set (&ready, 1);
  }
  g_mutex_unlock (&init_lock);
}

const gchar *
npw_blend_get_kernels (void)
{
  npw_blend_init ();
  return kernels->name;
}

static void
orc_bytes (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  if (op == 255)
    npw_orc_blend_bytes (dst, val, alpha, n);
  else
    npw_orc_blend_bytes_op (dst, val, alpha, op, n);
}

static void
orc_unit2 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  if (op == 255)
    npw_orc_blend_unit2 (dst, val, alpha, n);
  else
    npw_orc_blend_unit2_op (dst, val, alpha, op, n);
}

static void
orc_unit4 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  if (op == 255)
    npw_orc_blend_unit4 (dst, val, alpha, n);
  else
    npw_orc_blend_unit4_op (dst, val, alpha, op, n);
}

/* Rows whose alpha cannot ride in a unit kernel: each pixel's alpha,
 * opacity applied, is spread over its @unit bytes in a buffer on the
 * stack, a chunk of the row at a time, and blended as bytes.  For 3-byte
 * units (no such type in ORC or a vector register) and for 2- and 4-byte
 * rows not aligned to their unit, which orcc's C would read through
 * misaligned pointers. */
#define SPREAD_BYTES 1536       /* a multiple of 2, 3 and 4 */

static void
blend_spread (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op, gint unit)
{
  guint8 spread[SPREAD_BYTES];

  while (n > 0) {
    gint m = MIN (n, SPREAD_BYTES / unit), i, k;

    if (op == 255) {
      for (i = 0; i < m; i++)
        for (k = 0; k < unit; k++)
          spread[unit * i + k] = alpha[i];
    } else {
      for (i = 0; i < m; i++)
        for (k = 0; k < unit; k++)
          spread[unit * i + k] = DIV255 (alpha[i] * op);
    }
    kernels->bytes (dst, val, spread, unit * m, 255);
    dst += unit * m;
    val += unit * m;
    alpha += m;
    n -= m;
  }
}

#define MISALIGNED(dst, val, unit) \
  ((((guintptr) (dst)) | ((guintptr) (val))) & ((unit) - 1))

void
npw_blend_row_bytes (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  npw_blend_init ();
  kernels->bytes (dst, val, alpha, n, op);
}

void
npw_blend_row_unit2 (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  npw_blend_init ();
  if (G_UNLIKELY (MISALIGNED (dst, val, 2)))
    blend_spread (dst, val, alpha, n, op, 2);
  else
    kernels->unit2 (dst, val, alpha, n, op);
}

void
npw_blend_row_unit3 (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  npw_blend_init ();
  blend_spread (dst, val, alpha, n, op, 3);
}

void
npw_blend_row_unit4 (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  npw_blend_init ();
  if (G_UNLIKELY (MISALIGNED (dst, val, 4)))
    blend_spread (dst, val, alpha, n, op, 4);
  else
    kernels->unit4 (dst, val, alpha, n, op);
}

/* A misaligned 16-bit row (never from GStreamer's allocators, but a
 * buffer may come from anywhere): through an aligned copy. */
static void
deep_row (guint16 * dst, const guint16 * val, const guint16 * alpha, gint n,
    guint op, guint shift, gboolean swap, gint u)
{
  gint unit = 1 << u;

  npw_blend_init ();
  if (G_LIKELY (((guintptr) dst & 1) == 0)) {
    kernels->deep[u][swap != FALSE] (dst, val, alpha, n, op, shift);
    return;
  }
  while (n > 0) {
    guint16 tmp[DEEP_CHUNK];
    gint m = MIN (n, DEEP_CHUNK / unit);

    memcpy (tmp, dst, (gsize) m * unit * 2);
    kernels->deep[u][swap != FALSE] (tmp, val, alpha, m, op, shift);
    memcpy (dst, tmp, (gsize) m * unit * 2);
    dst += m * unit;
    val += m * unit;
    alpha += m;
    n -= m;
  }
}

void
npw_blend_row16_unit1 (guint16 * dst, const guint16 * val,
    const guint16 * alpha, gint n, guint op, guint shift, gboolean swap)
{
  deep_row (dst, val, alpha, n, op, shift, swap, 0);
}

void
npw_blend_row16_unit2 (guint16 * dst, const guint16 * val,
    const guint16 * alpha, gint n, guint op, guint shift, gboolean swap)
{
  deep_row (dst, val, alpha, n, op, shift, swap, 1);
}

void
npw_blend_row16_unit4 (guint16 * dst, const guint16 * val,
    const guint16 * alpha, gint n, guint op, guint shift, gboolean swap)
{
  deep_row (dst, val, alpha, n, op, shift, swap, 2);
}
