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


/* The row kernels against the documented formula, for every overlay
 * value, frame value and alpha, at several opacities, row lengths and
 * alignments (vector bodies and scalar tails).  meson runs this test
 * once per path the kernels can take: "blend" (the default: AVX2 on x86
 * CPUs that have it) and "blend-c" (NPW_BLEND_KERNELS=c: the C built for
 * the baseline ISA, what every other CPU runs); /blend/path checks that
 * each run took the path it claims. */

#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "blend.h"

typedef struct
{
  const gchar *name;
  NpwBlendRowFunc func;
  gint unit;                    /* bytes sharing one alpha */
} Kernel;

static const Kernel kernels[] = {
  {"bytes", npw_blend_row_bytes, 1},
  {"unit2", npw_blend_row_unit2, 2},
  {"unit3", npw_blend_row_unit3, 3},
  {"unit4", npw_blend_row_unit4, 4},
};

/* The formula, with plain integer division. */
static guint8
expected (guint v, guint d, guint a, guint op)
{
  guint A = (2 * a * op + 255) / 510;

  return (2 * (v * A + d * (255 - A)) + 255) / 510;
}

/* Every (v, d, a) triple, in rows of 256 frame bytes with v and d
 * varying along the row: rows aligned to the unit (malloc's alignment),
 * and for 2- and 4-byte units also one byte off, which takes the kernels'
 * other path. */
static void
test_exhaustive (gconstpointer data)
{
  const Kernel *k = data;
  const guint ops[] = { 255, 254, 128, 77, 1, 0 };
  guint8 *dst_buf = g_malloc (256 + 8), *val_buf = g_malloc (256 + 8);
  guint8 *alpha = g_malloc (256);
  guint o, a, v, d, i, off;

  for (off = 0; off < (k->unit == 2 || k->unit == 4 ? 2 : 1); off++) {
    guint8 *dst = dst_buf + off, *val = val_buf + off;

    for (o = 0; o < G_N_ELEMENTS (ops); o++) {
      guint op = ops[o];

      for (a = 0; a < 256; a++) {
        for (v = 0; v < 256; v++) {
          gint n = 256 / k->unit;

          for (i = 0; i < 256; i++) {
            val[i] = v;
            dst[i] = i;
          }
          for (i = 0; i < (guint) n; i++)
            alpha[i] = a;
          k->func (dst, val, alpha, n, op);
          for (d = 0; d < (guint) (n * k->unit); d++) {
            if (dst[d] != expected (v, d, a, op))
              g_error ("%s: off=%u v=%u d=%u a=%u op=%u gives %u, not %u",
                  k->name, off, v, d, a, op, dst[d], expected (v, d, a, op));
          }
        }
      }
    }
  }
  g_free (dst_buf);
  g_free (val_buf);
  g_free (alpha);
}

/* One random row of @n units at @off bytes past an aligned start: only
 * the n units given are written, each by the formula. */
static void
check_row (const Kernel * k, GRand * rand, gint n, gint off)
{
  gint size = n * k->unit + 64, bytes = n * k->unit, i;
  guint8 *dst = g_malloc (size), *ref = g_malloc (size);
  guint8 *val = g_malloc (size), *alpha = g_malloc (size);
  guint op = g_rand_int_range (rand, 0, 256);

  for (i = 0; i < size; i++) {
    dst[i] = ref[i] = g_rand_int (rand);
    val[i] = g_rand_int (rand);
    alpha[i] = g_rand_int (rand);
  }
  if (off % 3 == 0)
    op = 255;
  for (i = 0; i < bytes; i++)
    ref[off + i] = expected (val[off + i], dst[off + i],
        alpha[off + i / k->unit], op);
  k->func (dst + off, val + off, alpha + off, n, op);
  g_assert_cmpmem (dst, size, ref, size);
  g_free (dst);
  g_free (ref);
  g_free (val);
  g_free (alpha);
}

/* Every length 0..200 at every start alignment 0..31, then rows as long
 * as a 1080p or 4K frame's and odd lengths past them. */
static void
test_lengths (gconstpointer data)
{
  const Kernel *k = data;
  const gint long_rows[] = { 1920, 3840, 4097, 8191 };
  GRand *rand = g_rand_new_with_seed (42);
  gint n, off, i;

  for (n = 0; n <= 200; n++)
    for (off = 0; off < 32; off++)
      check_row (k, rand, n, off);
  for (i = 0; i < (gint) G_N_ELEMENTS (long_rows); i++)
    for (off = 0; off < 4; off++)
      check_row (k, rand, long_rows[i], off);
  g_rand_free (rand);
}

/* The 16-bit kernels: portable C, built for the baseline ISA ("c"
 * runs) and for AVX2 ("avx2" runs). */
typedef struct
{
  const gchar *name;
  NpwBlendRow16Func func;
  gint unit;                    /* samples sharing one alpha */
} Kernel16;

static const Kernel16 kernels16[] = {
  {"deep-unit1", npw_blend_row16_unit1, 1},
  {"deep-unit2", npw_blend_row16_unit2, 2},
  {"deep-unit4", npw_blend_row16_unit4, 4},
};

/* blend.h's 16-bit formula with plain 64-bit division:
 * round (x / 65535), halves up, is floor ((2 x + 65535) / 131070). */
static guint
expected16 (guint v, guint d, guint a, guint op)
{
  guint64 A = (2 * (guint64) a * op + 65535) / 131070;

  return (2 * ((guint64) v * A + (guint64) d * (65535 - A)) + 65535) / 131070;
}

static guint16
swap16 (guint16 w)
{
  return (guint16) (w >> 8 | w << 8);
}

/* The frame word @w after blending, as blend.h describes it. */
static guint16
expected_word (guint16 w, guint v, guint a, guint op, guint shift,
    gboolean swap)
{
  guint d = (swap ? swap16 (w) : w) >> shift;
  guint16 out = (guint16) (expected16 (v, d, a, op) << shift);

  return swap ? swap16 (out) : out;
}

/* One row of @n units, @off bytes past an aligned start (odd: the
 * misaligned path), values at 16 - @shift bits, random or from @pick. */
static void
check_row16 (const Kernel16 * k, GRand * rand, gint n, gint off, guint op,
    guint shift, gboolean swap, const guint * pick, gint n_pick)
{
  gint samples = n * k->unit, size = (samples + 32) * 2, i;
  guint max = 65535 >> shift;
  guint8 *dst_buf = g_malloc (size + 2), *ref_buf = g_malloc (size + 2);
  guint16 *val = g_new (guint16, samples + 1), *alpha = g_new (guint16, n + 1);
  guint16 w;

  for (i = 0; i < size + 2; i++)
    dst_buf[i] = ref_buf[i] = g_rand_int (rand);
  for (i = 0; i < n; i++)
    alpha[i] = pick ? pick[g_rand_int_range (rand, 0, n_pick)] :
        (guint) g_rand_int_range (rand, 0, 65536);
  for (i = 0; i < samples; i++) {
    guint v = pick ? pick[g_rand_int_range (rand, 0, n_pick)] :
        (guint) g_rand_int_range (rand, 0, max + 1);

    val[i] = MIN (v, max);
    memcpy (&w, ref_buf + off + 2 * i, 2);
    w = expected_word (w, val[i], alpha[i / k->unit], op, shift, swap);
    memcpy (ref_buf + off + 2 * i, &w, 2);
  }
  k->func ((guint16 *) (dst_buf + off), val, alpha, n, op, shift, swap);
  for (i = 0; i < size + 2; i++)
    if (dst_buf[i] != ref_buf[i])
      g_error ("%s: n=%d off=%d op=%u shift=%u swap=%d: byte %d is %u, "
          "not %u (v=%u a=%u)", k->name, n, off, op, shift, swap, i,
          dst_buf[i], ref_buf[i], i >= off ? val[(i - off) / 2] : 0,
          i >= off ? alpha[(i - off) / 2 / k->unit] : 0);
  g_free (dst_buf);
  g_free (ref_buf);
  g_free (val);
  g_free (alpha);
}

/* Every alpha 0..65535 at full opacity (A = a) against random values,
 * the edge values of everything at the edge opacities, then random rows
 * of every length 0..130 at 16 alignments (one of them odd), for the
 * shifts of P010, P012 and the LSB-aligned formats, in both byte orders. */
static void
test_deep (gconstpointer data)
{
  const Kernel16 *k = data;
  const guint edges[] = { 0, 1, 2, 127, 128, 255, 256, 257, 1023, 4095,
    32767, 32768, 65279, 65534, 65535
  };
  const guint ops[] = { 65535, 65534, 32768, 45875, 257, 1, 0 };
  const guint shifts[] = { 0, 4, 6 };
  GRand *rand = g_rand_new_with_seed (1016);
  guint s, o, swap;
  gint n, off, i;

  for (i = 0; i < 16; i++) {
    gint units = 65536 / k->unit, j;
    guint8 *dst = g_malloc (65536 * 2), *ref = g_malloc (65536 * 2);
    guint16 *val = g_new (guint16, 65536), *alpha = g_new (guint16, units);

    for (j = 0; j < 65536; j++) {
      guint16 d = g_rand_int (rand);

      val[j] = g_rand_int (rand);
      memcpy (dst + 2 * j, &d, 2);
    }
    for (j = 0; j < units; j++)
      alpha[j] = (guint16) (j * k->unit + i * 4099);
    memcpy (ref, dst, 65536 * 2);
    for (j = 0; j < 65536; j++) {
      guint16 w;

      memcpy (&w, ref + 2 * j, 2);
      w = expected_word (w, val[j], alpha[j / k->unit], 65535, 0, FALSE);
      memcpy (ref + 2 * j, &w, 2);
    }
    k->func ((guint16 *) dst, val, alpha, units, 65535, 0, FALSE);
    g_assert_cmpmem (dst, 65536 * 2, ref, 65536 * 2);
    g_free (dst);
    g_free (ref);
    g_free (val);
    g_free (alpha);
  }

  for (s = 0; s < G_N_ELEMENTS (shifts); s++) {
    for (swap = 0; swap < 2; swap++) {
      for (o = 0; o < G_N_ELEMENTS (ops); o++)
        for (i = 0; i < 8; i++)
          check_row16 (k, rand, 257, 0, ops[o], shifts[s], swap, edges,
              G_N_ELEMENTS (edges));
      for (n = 0; n <= 130; n++)
        for (off = 0; off < 32; off += 2)
          check_row16 (k, rand, n, off == 6 ? 1 : off,
              g_rand_int_range (rand, 0, 65536), shifts[s], swap, NULL, 0);
      check_row16 (k, rand, 1920, 0, 45875, shifts[s], swap, NULL, 0);
      check_row16 (k, rand, 4097, 1, 65535, shifts[s], swap, NULL, 0);
    }
  }
  g_rand_free (rand);
}

/* Whether this CPU has AVX2, asked apart from blend-x86.c. */
static gboolean
cpu_has_avx2 (void)
{
#if (defined (__x86_64__) || defined (__i386__)) && defined (__GNUC__)
  return __builtin_cpu_supports ("avx2") != 0;
#else
  return FALSE;
#endif
}

/* The kernels chosen: AVX2 where the CPU has it, unless
 * NPW_BLEND_KERNELS=c; the C otherwise. */
static void
test_path (void)
{
  const gchar *kernels_env = g_getenv ("NPW_BLEND_KERNELS");

  g_test_message ("kernels %s, NPW_BLEND_KERNELS=%s", npw_blend_get_kernels (),
      kernels_env ? kernels_env : "");
  if (g_strcmp0 (kernels_env, "c") != 0 && cpu_has_avx2 ())
    g_assert_cmpstr (npw_blend_get_kernels (), ==, "avx2");
  else
    g_assert_cmpstr (npw_blend_get_kernels (), ==, "c");
}

/* The first use, from four threads at once, in a fresh process: each
 * thread gets the kernels chosen once and blends correctly (and
 * ThreadSanitizer, in build-tsan, sees no race). */
static gpointer
first_use_thread (gpointer data)
{
  const Kernel *k = data;
  GRand *rand = g_rand_new_with_seed (GPOINTER_TO_SIZE (g_thread_self ()));
  gint i;

  for (i = 0; i < 50; i++)
    check_row (k, rand, 1 + i * 7, i % 8);
  g_rand_free (rand);
  return NULL;
}

static void
test_first_use (void)
{
  if (g_test_subprocess ()) {
    GThread *threads[G_N_ELEMENTS (kernels)];
    guint i;

    for (i = 0; i < G_N_ELEMENTS (kernels); i++)
      threads[i] = g_thread_new ("blend", first_use_thread,
          (gpointer) & kernels[i]);
    for (i = 0; i < G_N_ELEMENTS (kernels); i++)
      g_thread_join (threads[i]);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/blend/path", test_path);
  g_test_add_func ("/blend/first-use-threads", test_first_use);

  for (i = 0; i < G_N_ELEMENTS (kernels); i++) {
    gchar *name = g_strdup_printf ("/blend/%s/exhaustive", kernels[i].name);

    g_test_add_data_func (name, &kernels[i], test_exhaustive);
    g_free (name);
    name = g_strdup_printf ("/blend/%s/lengths", kernels[i].name);
    g_test_add_data_func (name, &kernels[i], test_lengths);
    g_free (name);
  }
  for (i = 0; i < G_N_ELEMENTS (kernels16); i++) {
    gchar *name = g_strdup_printf ("/blend/%s", kernels16[i].name);

    g_test_add_data_func (name, &kernels16[i], test_deep);
    g_free (name);
  }
  return g_test_run ();
}
