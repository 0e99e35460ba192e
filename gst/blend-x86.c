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


/* The 8-bit kernels in AVX2 for x86 CPUs that have it, chosen at run
 * time by blend.c: 16 16-bit lanes a step, which the same formula in C
 * built for AVX2 does not match (1.1-1.3x slower with GCC and clang,
 * README "Speed").  Intrinsics, so GCC, clang and MSVC build the same
 * code; GCC and clang enable AVX2 for these functions only, by
 * attribute, so the rest of the program keeps the baseline ISA.
 *
 * blend.h's formula in 16-bit lanes:
 *   out = ((v * A + d * (255 - A) + 128) * 257) >> 16
 * (A = ((a * op + 128) * 257) >> 16 for the opacity), which is round
 * (x / 255) with halves up for 0 <= x <= 65025.  Each kernel does 32
 * frame bytes a step and returns how many units it did: blend.c's C
 * does the last few. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "blend-x86.h"

#ifdef NPW_BLEND_HAVE_X86

#include <immintrin.h>
#ifdef _MSC_VER
#include <intrin.h>
#endif

gboolean
npw_blend_x86_have_avx2 (void)
{
#if defined (__GNUC__) || defined (__clang__)
  /* Also checks that the OS saves the YMM registers (XGETBV). */
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx2") != 0;
#elif defined (_MSC_VER)
  int r[4];

  __cpuid (r, 0);
  if (r[0] < 7)
    return FALSE;
  __cpuid (r, 1);
  /* OSXSAVE and AVX, then YMM state enabled by the OS */
  if ((r[2] & (1 << 27)) == 0 || (r[2] & (1 << 28)) == 0)
    return FALSE;
  if ((_xgetbv (0) & 6) != 6)
    return FALSE;
  __cpuidex (r, 7, 0);
  return (r[1] & (1 << 5)) != 0;
#else
  return FALSE;
#endif
}

/* 16 bytes widened to 16-bit lanes. */
static inline NPW_AVX2 __m256i
load16 (const guint8 * p)
{
  return _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) p));
}

/* round (x / 255) of each lane, for 0 <= x <= 65025 */
static inline NPW_AVX2 __m256i
div255 (__m256i x)
{
  return _mm256_mulhi_epu16 (_mm256_add_epi16 (x, _mm256_set1_epi16 (128)),
      _mm256_set1_epi16 (257));
}

static inline NPW_AVX2 __m256i
blend (__m256i d, __m256i v, __m256i A)
{
  __m256i inv = _mm256_sub_epi16 (_mm256_set1_epi16 (255), A);

  return div255 (_mm256_add_epi16 (_mm256_mullo_epi16 (v, A),
          _mm256_mullo_epi16 (d, inv)));
}

/* Blends 32 bytes at @dst with the alphas of each half in @A0 and @A1
 * (opacity not yet applied). */
static inline NPW_AVX2 void
blend32 (guint8 * dst, const guint8 * val, __m256i A0, __m256i A1,
    __m256i op, gboolean with_op)
{
  __m256i r0, r1;

  if (with_op) {
    A0 = div255 (_mm256_mullo_epi16 (A0, op));
    A1 = div255 (_mm256_mullo_epi16 (A1, op));
  }
  r0 = blend (load16 (dst), load16 (val), A0);
  r1 = blend (load16 (dst + 16), load16 (val + 16), A1);
  /* packus works within 128-bit halves: put the quadwords back in order */
  _mm256_storeu_si256 ((__m256i *) dst,
      _mm256_permute4x64_epi64 (_mm256_packus_epi16 (r0, r1), 0xd8));
}

NPW_AVX2 gint
npw_blend_x86_avx2_bytes (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op)
{
  __m256i op16 = _mm256_set1_epi16 ((gint16) op);
  gint i;

  for (i = 0; i + 32 <= n; i += 32)
    blend32 (dst + i, val + i, load16 (alpha + i), load16 (alpha + i + 16),
        op16, op != 255);
  return i;
}

NPW_AVX2 gint
npw_blend_x86_avx2_unit2 (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op)
{
  __m256i op16 = _mm256_set1_epi16 ((gint16) op);
  gint i;

  /* 16 units, 32 bytes: each alpha doubled */
  for (i = 0; i + 16 <= n; i += 16) {
    __m128i a = _mm_loadu_si128 ((const __m128i *) (alpha + i));

    blend32 (dst + 2 * i, val + 2 * i,
        _mm256_cvtepu8_epi16 (_mm_unpacklo_epi8 (a, a)),
        _mm256_cvtepu8_epi16 (_mm_unpackhi_epi8 (a, a)), op16, op != 255);
  }
  return i;
}

NPW_AVX2 gint
npw_blend_x86_avx2_unit4 (guint8 * dst, const guint8 * val,
    const guint8 * alpha, gint n, guint op)
{
  __m256i op16 = _mm256_set1_epi16 ((gint16) op);
  gint i;

  /* 8 units, 32 bytes: each alpha four times */
  for (i = 0; i + 8 <= n; i += 8) {
    __m128i a = _mm_loadl_epi64 ((const __m128i *) (alpha + i));
    __m128i a2 = _mm_unpacklo_epi8 (a, a);

    blend32 (dst + 4 * i, val + 4 * i,
        _mm256_cvtepu8_epi16 (_mm_unpacklo_epi16 (a2, a2)),
        _mm256_cvtepu8_epi16 (_mm_unpackhi_epi16 (a2, a2)), op16, op != 255);
  }
  return i;
}

#endif /* NPW_BLEND_HAVE_X86 */
