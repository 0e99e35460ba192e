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
 * alignments (vector bodies and scalar tails).  Both the dispatched
 * kernels (AVX2 where the CPU has it) and a baseline copy built without
 * target_clones are checked, so the fallback is tested on any machine. */

#include <glib.h>

#include "blend.h"

/* The baseline copy: the same source, renamed, with no clones. */
void base_blend_row_bytes (guint8 *, const guint8 *, const guint8 *, gint,
    guint);
void base_blend_row_unit2 (guint8 *, const guint8 *, const guint8 *, gint,
    guint);
void base_blend_row_unit3 (guint8 *, const guint8 *, const guint8 *, gint,
    guint);
void base_blend_row_unit4 (guint8 *, const guint8 *, const guint8 *, gint,
    guint);
#undef HAVE_CONFIG_H
#undef HAVE_TARGET_CLONES
#define npw_blend_row_bytes base_blend_row_bytes
#define npw_blend_row_unit2 base_blend_row_unit2
#define npw_blend_row_unit3 base_blend_row_unit3
#define npw_blend_row_unit4 base_blend_row_unit4
#include "blend.c"
#undef npw_blend_row_bytes
#undef npw_blend_row_unit2
#undef npw_blend_row_unit3
#undef npw_blend_row_unit4

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
  {"base-bytes", base_blend_row_bytes, 1},
  {"base-unit2", base_blend_row_unit2, 2},
  {"base-unit3", base_blend_row_unit3, 3},
  {"base-unit4", base_blend_row_unit4, 4},
};

/* The formula, with plain integer division. */
static guint8
expected (guint v, guint d, guint a, guint op)
{
  guint A = (2 * a * op + 255) / 510;

  return (2 * (v * A + d * (255 - A)) + 255) / 510;
}

/* Every (v, d, a) triple, in rows of 256 frame bytes with v and d
 * varying along the row. */
static void
test_exhaustive (gconstpointer data)
{
  const Kernel *k = data;
  const guint ops[] = { 255, 254, 128, 77, 1, 0 };
  guint8 dst[256 + 8], val[256], alpha[256];
  guint o, a, v, d, i;

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
            g_error ("%s: v=%u d=%u a=%u op=%u gives %u, not %u", k->name,
                v, d, a, op, dst[d], expected (v, d, a, op));
        }
      }
    }
  }
}

/* Random rows of every length 0..200 at every start alignment 0..31:
 * only the n units given are written, each by the formula. */
static void
test_lengths (gconstpointer data)
{
  const Kernel *k = data;
  GRand *rand = g_rand_new_with_seed (42);
  guint8 *dst = g_malloc (1024), *ref = g_malloc (1024);
  guint8 *val = g_malloc (1024), *alpha = g_malloc (1024);
  gint n, off, i;

  for (n = 0; n <= 200; n++) {
    for (off = 0; off < 32; off++) {
      guint op = g_rand_int_range (rand, 0, 256);
      gint bytes = n * k->unit;

      for (i = 0; i < 1024; i++) {
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
      g_assert_cmpmem (dst, 1024, ref, 1024);
    }
  }
  g_free (dst);
  g_free (ref);
  g_free (val);
  g_free (alpha);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);

  for (i = 0; i < G_N_ELEMENTS (kernels); i++) {
    gchar *name = g_strdup_printf ("/blend/%s/exhaustive", kernels[i].name);

    g_test_add_data_func (name, &kernels[i], test_exhaustive);
    g_free (name);
    name = g_strdup_printf ("/blend/%s/lengths", kernels[i].name);
    g_test_add_data_func (name, &kernels[i], test_lengths);
    g_free (name);
  }
  return g_test_run ();
}
