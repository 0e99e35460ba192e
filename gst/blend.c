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
static void orc_unit3 (guint8 * dst, const guint8 * val,
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
  /* [unit 1, 2, 3, 4] */
  NpwBlendRowFunc row[4];
  /* [unit 1, 2, 4][native, swapped] */
  NpwDeepFunc deep[3][2];
} NpwKernels;

/* The 8-bit kernels in C, in 16-bit lanes.  round (y / 255), halves up,
 * is (y + 127) / 255 for an integer y (255 is odd: no y / 255 ends in
 * exactly .5), and y + 127 <= 65152 fits in 16 bits; both compilers turn
 * a 16-bit division by 255 into a high multiply and a shift.  Each
 * product is cast to 16 bits as it is made: without that clang keeps C's
 * 32-bit int lanes, half as many to a vector. */
static inline G_ALWAYS_INLINE guint8
blend8 (guint16 d, guint16 v, guint16 A)
{
  guint16 y = (guint16) (v * A) + (guint16) (d * (guint16) (255 - A)) + 127;

  return (guint8) (y / 255);
}

static inline G_ALWAYS_INLINE guint8
opacity8 (guint16 a, guint16 op)
{
  guint16 y = (guint16) (a * op) + 127;

  return (guint8) (y / 255);
}

#define SPREAD_BYTES 1536       /* a multiple of 2, 3 and 4 */

/* Alpha a of each of @m units copied to its @unit bytes (2 and 4 as
 * one wide store, which both compilers vectorise). */
static inline G_ALWAYS_INLINE void
spread_alpha (guint32 * spread, const guint8 * alpha, gint m, guint op,
    gint unit)
{
  guint16 *s16 = (guint16 *) spread;
  guint8 *s8 = (guint8 *) spread;
  gint i, k;

  for (i = 0; i < m; i++) {
    guint8 A = op == 255 ? alpha[i] : opacity8 (alpha[i], op);

    if (unit == 4)
      spread[i] = A * 0x01010101u;
    else if (unit == 2)
      s16[i] = A * 0x0101u;
    else
      for (k = 0; k < unit; k++)
        s8[unit * i + k] = A;
  }
}

static inline G_ALWAYS_INLINE void
byte_body (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op, gint unit)
{
  guint32 spread[SPREAD_BYTES / 4];
  gint i;

  if (unit == 1) {
    if (op == 255) {
      for (i = 0; i < n; i++)
        dst[i] = blend8 (dst[i], val[i], alpha[i]);
    } else {
      for (i = 0; i < n; i++)
        dst[i] = blend8 (dst[i], val[i], opacity8 (alpha[i], op));
    }
    return;
  }
  while (n > 0) {
    gint m = MIN (n, SPREAD_BYTES / unit);
    const guint8 *a = (const guint8 *) spread;

    if (op == 255)
      spread_alpha (spread, alpha, m, 255, unit);
    else
      spread_alpha (spread, alpha, m, op, unit);
    for (i = 0; i < unit * m; i++)
      dst[i] = blend8 (dst[i], val[i], a[i]);
    dst += unit * m;
    val += unit * m;
    alpha += m;
    n -= m;
  }
}

#define BYTE_KERNEL(name, attr, unit) \
static attr void \
name (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n, \
    guint op) \
{ \
  byte_body (dst, val, alpha, n, op, unit); \
}

#define BYTE_KERNELS(prefix, attr) \
BYTE_KERNEL (prefix##_1, attr, 1) \
BYTE_KERNEL (prefix##_2, attr, 2) \
BYTE_KERNEL (prefix##_3, attr, 3) \
BYTE_KERNEL (prefix##_4, attr, 4)

BYTE_KERNELS (byte_c,)
#ifdef NPW_BLEND_HAVE_X86
BYTE_KERNELS (byte_avx2, NPW_AVX2)
#endif

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
static const NpwKernels orc_kernels = { "orc",
  {orc_bytes, orc_unit2, orc_unit3, orc_unit4}, DEEP_TABLE (deep_c)
};
static const NpwKernels c_kernels = { "c",
  {byte_c_1, byte_c_2, byte_c_3, byte_c_4}, DEEP_TABLE (deep_c)
};

#ifdef NPW_BLEND_HAVE_X86
DEEP_KERNELS (deep_avx2, NPW_AVX2)
static void avx2_unit3 (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op);
static const NpwKernels avx2_kernels = { "avx2",
  {npw_blend_x86_avx2_bytes, npw_blend_x86_avx2_unit2, avx2_unit3,
    npw_blend_x86_avx2_unit4}, DEEP_TABLE (deep_avx2)
};
static const NpwKernels c_avx2_kernels = { "c-avx2",
  {byte_avx2_1, byte_avx2_2, byte_avx2_3, byte_avx2_4},
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
    if (g_strcmp0 (env, "c") == 0)
      kernels = &c_kernels;
#ifdef NPW_BLEND_HAVE_X86
    if (npw_blend_x86_have_avx2 ()) {
      if (g_strcmp0 (env, "c-avx2") == 0)
        kernels = &c_avx2_kernels;
      else if (env == NULL || strcmp (env, "avx2") == 0)
        kernels = &avx2_kernels;
    }
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

/* Rows whose alpha cannot ride in an ORC unit kernel: each pixel's alpha,
 * opacity applied, is spread over its @unit bytes in a buffer on the
 * stack, a chunk of the row at a time, and blended as bytes.  For 3-byte
 * units (no such type in ORC or a vector register) and for 2- and 4-byte
 * rows not aligned to their unit, which orcc's C would read through
 * misaligned pointers. */
static void
blend_spread (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op, gint unit, NpwBlendRowFunc bytes)
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
    bytes (dst, val, spread, unit * m, 255);
    dst += unit * m;
    val += unit * m;
    alpha += m;
    n -= m;
  }
}

#define MISALIGNED(dst, val, unit) \
  ((((guintptr) (dst)) | ((guintptr) (val))) & ((unit) - 1))

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
  if (G_UNLIKELY (MISALIGNED (dst, val, 2)))
    blend_spread (dst, val, alpha, n, op, 2, orc_bytes);
  else if (op == 255)
    npw_orc_blend_unit2 (dst, val, alpha, n);
  else
    npw_orc_blend_unit2_op (dst, val, alpha, op, n);
}

static void
orc_unit3 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  blend_spread (dst, val, alpha, n, op, 3, orc_bytes);
}

static void
orc_unit4 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  if (G_UNLIKELY (MISALIGNED (dst, val, 4)))
    blend_spread (dst, val, alpha, n, op, 4, orc_bytes);
  else if (op == 255)
    npw_orc_blend_unit4 (dst, val, alpha, n);
  else
    npw_orc_blend_unit4_op (dst, val, alpha, op, n);
}

#ifdef NPW_BLEND_HAVE_X86
static void
avx2_unit3 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  blend_spread (dst, val, alpha, n, op, 3, npw_blend_x86_avx2_bytes);
}
#endif

void
npw_blend_row_bytes (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  npw_blend_init ();
  kernels->row[0] (dst, val, alpha, n, op);
}

void
npw_blend_row_unit2 (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  npw_blend_init ();
  kernels->row[1] (dst, val, alpha, n, op);
}

void
npw_blend_row_unit3 (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  npw_blend_init ();
  kernels->row[2] (dst, val, alpha, n, op);
}

void
npw_blend_row_unit4 (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  npw_blend_init ();
  kernels->row[3] (dst, val, alpha, n, op);
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
