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


/* Two implementations of blend.h's formula, chosen once, on first use:
 *
 * - portable C, which GCC and clang vectorise for the baseline ISA of
 *   any CPU (SSE2 on x86-64, NEON on arm64), 8-bit and 16-bit;
 * - on x86 CPUs with AVX2: the 8-bit kernels in AVX2 intrinsics
 *   (blend-x86.c), and the same 16-bit C compiled for AVX2 by attribute.
 *
 * Issue 20 measured a third, ORC (liborc's run-time code, as in
 * GStreamer's compositor), against these: plain C for the baseline ISA
 * ran at ORC's speed with GCC and clang (0.94-1.07x), and AVX2 C for the
 * 8-bit kernels 1.1-1.3x behind the intrinsics (README, "Speed").
 * NPW_BLEND_KERNELS=c in the environment forces the baseline C (for the
 * tests and for comparing). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "blend.h"
#include "blend-x86.h"

typedef void (*NpwDeepFunc) (guint16 * dst, const guint16 * val,
    const guint16 * alpha, gint n, guint op, guint shift);

typedef struct
{
  const gchar *name;
  /* [unit 1, 2, 3, 4] */
  NpwBlendRowFunc row[4];
  /* [unit 1, 2, 4][native, swapped] */
  const NpwDeepFunc (*deep)[2];
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

/* The alphas of a chunk of a row, one per frame byte: written as 16- or
 * 32-bit words, read as bytes. */
typedef union
{
  guint8 b[SPREAD_BYTES];
  guint16 w[SPREAD_BYTES / 2];
  guint32 l[SPREAD_BYTES / 4];
} NpwSpread;

/* Alpha a of each of @m units copied to its @unit bytes (2 and 4 as
 * one wide store, which both compilers vectorise). */
static inline G_ALWAYS_INLINE void
spread_alpha (NpwSpread * spread, const guint8 * alpha, gint m, guint op,
    gint unit)
{
  gint i, k;

  for (i = 0; i < m; i++) {
    guint8 A = op == 255 ? alpha[i] : opacity8 (alpha[i], op);

    if (unit == 4)
      spread->l[i] = A * 0x01010101u;
    else if (unit == 2)
      spread->w[i] = A * 0x0101u;
    else
      for (k = 0; k < unit; k++)
        spread->b[unit * i + k] = A;
  }
}

static inline G_ALWAYS_INLINE void
byte_body (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op, gint unit)
{
  NpwSpread spread;
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

    if (op == 255)
      spread_alpha (&spread, alpha, m, 255, unit);
    else
      spread_alpha (&spread, alpha, m, op, unit);
    for (i = 0; i < unit * m; i++)
      dst[i] = blend8 (dst[i], val[i], spread.b[i]);
    dst += unit * m;
    val += unit * m;
    alpha += m;
    n -= m;
  }
}

static void
byte_c_1 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  byte_body (dst, val, alpha, n, op, 1);
}

static void
byte_c_2 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  byte_body (dst, val, alpha, n, op, 2);
}

static void
byte_c_3 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  byte_body (dst, val, alpha, n, op, 3);
}

static void
byte_c_4 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  byte_body (dst, val, alpha, n, op, 4);
}

/* The 16-bit kernels: portable C that GCC and clang vectorise (32-bit
 * lanes), compiled once for the baseline ISA and once for AVX2. */

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
DEEP_KERNEL (prefix##_4s, attr, 4, TRUE) \
static const NpwDeepFunc prefix##_table[3][2] = { \
  { prefix##_1, prefix##_1s }, { prefix##_2, prefix##_2s }, \
  { prefix##_4, prefix##_4s } \
}

/* deep_c_1 ... deep_c_4s and deep_c_table */
DEEP_KERNELS (deep_c,);

static const NpwKernels c_kernels = { "c",
  {byte_c_1, byte_c_2, byte_c_3, byte_c_4}, deep_c_table
};

#ifdef NPW_BLEND_HAVE_X86
/* The AVX2 kernels take whole vector steps; the C takes the rest. */
static void
avx2_bytes (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  gint done = npw_blend_x86_avx2_bytes (dst, val, alpha, n, op);

  if (done < n)
    byte_c_1 (dst + done, val + done, alpha + done, n - done, op);
}

static void
avx2_unit2 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  gint done = npw_blend_x86_avx2_unit2 (dst, val, alpha, n, op);

  if (done < n)
    byte_c_2 (dst + 2 * done, val + 2 * done, alpha + done, n - done, op);
}

/* 3-byte units have no vector type: their alphas are spread over their
 * bytes a chunk at a time, and blended as bytes. */
static void
avx2_unit3 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  NpwSpread spread;

  while (n > 0) {
    gint m = MIN (n, SPREAD_BYTES / 3);

    spread_alpha (&spread, alpha, m, op, 3);
    avx2_bytes (dst, val, spread.b, 3 * m, 255);
    dst += 3 * m;
    val += 3 * m;
    alpha += m;
    n -= m;
  }
}

static void
avx2_unit4 (guint8 * dst, const guint8 * val, const guint8 * alpha, gint n,
    guint op)
{
  gint done = npw_blend_x86_avx2_unit4 (dst, val, alpha, n, op);

  if (done < n)
    byte_c_4 (dst + 4 * done, val + 4 * done, alpha + done, n - done, op);
}

DEEP_KERNELS (deep_avx2, NPW_AVX2);

static const NpwKernels avx2_kernels = { "avx2",
  {avx2_bytes, avx2_unit2, avx2_unit3, avx2_unit4}, deep_avx2_table
};
#endif

/* The kernels for this CPU, chosen by the first call from any thread. */
static const NpwKernels *
get_kernels (void)
{
  static const NpwKernels *kernels = NULL;

  if (g_once_init_enter (&kernels)) {
    const NpwKernels *k = &c_kernels;

#ifdef NPW_BLEND_HAVE_X86
    if (g_strcmp0 (g_getenv ("NPW_BLEND_KERNELS"), "c") != 0
        && npw_blend_x86_have_avx2 ())
      k = &avx2_kernels;
#endif
    g_once_init_leave (&kernels, k);
  }
  return kernels;
}

const gchar *
npw_blend_get_kernels (void)
{
  return get_kernels ()->name;
}

void
npw_blend_row_bytes (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  get_kernels ()->row[0] (dst, val, alpha, n, op);
}

void
npw_blend_row_unit2 (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  get_kernels ()->row[1] (dst, val, alpha, n, op);
}

void
npw_blend_row_unit3 (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  get_kernels ()->row[2] (dst, val, alpha, n, op);
}

void
npw_blend_row_unit4 (guint8 * dst, const guint8 * val, const guint8 * alpha,
    gint n, guint op)
{
  get_kernels ()->row[3] (dst, val, alpha, n, op);
}

/* A misaligned 16-bit row (never from GStreamer's allocators, but a
 * buffer may come from anywhere): through an aligned copy. */
static void
deep_row (guint16 * dst, const guint16 * val, const guint16 * alpha, gint n,
    guint op, guint shift, gboolean swap, gint u)
{
  const NpwKernels *k = get_kernels ();
  gint unit = 1 << u;

  if (G_LIKELY (((guintptr) dst & 1) == 0)) {
    k->deep[u][swap != FALSE] (dst, val, alpha, n, op, shift);
    return;
  }
  while (n > 0) {
    guint16 tmp[DEEP_CHUNK];
    gint m = MIN (n, DEEP_CHUNK / unit);

    memcpy (tmp, dst, (gsize) m * unit * 2);
    k->deep[u][swap != FALSE] (tmp, val, alpha, m, op, shift);
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
