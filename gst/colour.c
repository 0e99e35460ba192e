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


#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>

#include "colour.h"

gdouble
npw_colour_srgb_eotf (gdouble v)
{
  if (v <= 0.04045)
    return v / 12.92;
  return pow ((v + 0.055) / 1.055, 2.4);
}

gdouble
npw_colour_srgb_inverse_eotf (gdouble l)
{
  /* 0.0031308 = 0.04045 / 12.92, where the two pieces meet */
  if (l <= 0.0031308)
    return l * 12.92;
  return 1.055 * pow (l, 1.0 / 2.4) - 0.055;
}

/* ITU-R BT.2087-0, section 2, as published (each row sums to 1, so
 * white and greys stay where they are) */
const gdouble npw_colour_bt709_to_bt2020[3][3] = {
  {0.6274, 0.3293, 0.0433},
  {0.0691, 0.9195, 0.0114},
  {0.0164, 0.0880, 0.8956},
};

/* SMPTE ST 2084 */
#define PQ_M1 (2610.0 / 16384.0)
#define PQ_M2 (2523.0 / 4096.0 * 128.0)
#define PQ_C1 (3424.0 / 4096.0)
#define PQ_C2 (2413.0 / 4096.0 * 32.0)
#define PQ_C3 (2392.0 / 4096.0 * 32.0)

gdouble
npw_colour_pq_inverse_eotf (gdouble y)
{
  gdouble p;

  y = CLAMP (y, 0.0, 1.0);
  p = pow (y, PQ_M1);
  return pow ((PQ_C1 + PQ_C2 * p) / (1.0 + PQ_C3 * p), PQ_M2);
}

/* ITU-R BT.2100, table 5 */
#define HLG_A 0.17883277
#define HLG_B (1.0 - 4.0 * HLG_A)
#define HLG_C (0.5 - HLG_A * log (4.0 * HLG_A))

gdouble
npw_colour_hlg_oetf (gdouble e)
{
  gdouble v;

  if (e <= 1.0 / 12.0)
    return sqrt (3.0 * MAX (e, 0.0));
  v = HLG_A * log (12.0 * e - HLG_B) + HLG_C;
  return MIN (v, 1.0);
}

gdouble
npw_colour_hlg_inverse_oetf (gdouble v)
{
  v = CLAMP (v, 0.0, 1.0);
  if (v <= 0.5)
    return v * v / 3.0;
  return (exp ((v - HLG_C) / HLG_A) + HLG_B) / 12.0;
}

static NpwColourTransfer
transfer_class (GstVideoTransferFunction transfer)
{
  switch (transfer) {
    case GST_VIDEO_TRANSFER_SMPTE2084:
      return NPW_COLOUR_TRANSFER_PQ;
    case GST_VIDEO_TRANSFER_ARIB_STD_B67:
      return NPW_COLOUR_TRANSFER_HLG;
    default:
      return NPW_COLOUR_TRANSFER_SDR;
  }
}

void
npw_colour_conversion_init (NpwColourConversion * conv,
    GstVideoColorPrimaries primaries, GstVideoTransferFunction transfer,
    gdouble reference_white)
{
  conv->to_bt2020 = primaries == GST_VIDEO_COLOR_PRIMARIES_BT2020;
  conv->transfer = transfer_class (transfer);
  conv->active = conv->to_bt2020 || conv->transfer != NPW_COLOUR_TRANSFER_SDR;
  switch (conv->transfer) {
    case NPW_COLOUR_TRANSFER_PQ:
      /* display light: sRGB white at the reference white */
      conv->scale = reference_white / 10000.0;
      break;
    case NPW_COLOUR_TRANSFER_HLG:
      /* scene light: sRGB white at BT.2408's 75% HLG, for 203 cd/m² */
      conv->scale = npw_colour_hlg_inverse_oetf (0.75) *
          (reference_white / NPW_COLOUR_REFERENCE_WHITE);
      break;
    default:
      conv->scale = 1.0;
      break;
  }
}

gboolean
npw_colour_same_conversion (const GstVideoColorimetry * a,
    const GstVideoColorimetry * b)
{
  return (a->primaries == GST_VIDEO_COLOR_PRIMARIES_BT2020) ==
      (b->primaries == GST_VIDEO_COLOR_PRIMARIES_BT2020) &&
      transfer_class (a->transfer) == transfer_class (b->transfer);
}

static gfloat srgb16[65536];

gdouble
npw_colour_srgb_eotf16 (guint16 v)
{
  static gsize ready = 0;

  if (g_once_init_enter (&ready)) {
    guint i;

    for (i = 0; i < G_N_ELEMENTS (srgb16); i++)
      srgb16[i] = (gfloat) npw_colour_srgb_eotf (i / 65535.0);
    g_once_init_leave (&ready, 1);
  }
  return srgb16[v];
}

/* The transfer without the clip at 1 (HLG goes on past it), so that a
 * table of it interpolates across the clip's corner exactly. */
static gdouble
encode_unclipped (const NpwColourConversion * conv, gdouble l)
{
  l = MAX (l, 0.0) * conv->scale;
  switch (conv->transfer) {
    case NPW_COLOUR_TRANSFER_PQ:
      return npw_colour_pq_inverse_eotf (l);
    case NPW_COLOUR_TRANSFER_HLG:
      if (l <= 1.0 / 12.0)
        return sqrt (3.0 * l);
      return HLG_A * log (12.0 * l - HLG_B) + HLG_C;
    default:
      return npw_colour_srgb_inverse_eotf (MIN (l, 1.0));
  }
}

gdouble
npw_colour_encode (const NpwColourConversion * conv, gdouble l)
{
  return CLAMP (encode_unclipped (conv, l), 0.0, 1.0);
}

/* Octaves of l tabulated, [2^-(o+1), 2^-o) for o = 0..N_OCTAVES - 1;
 * below the last, l is interpolated from 0.  A 16-bit watermark's
 * smallest linear light after the primaries is 0.0114 / 12.92 / 65535,
 * 2^-26: every non-zero value is in a tabulated octave (smaller ones
 * are computed). */
#define N_OCTAVES 32
#define STEPS 256               /* per octave */

struct _NpwColourTable
{
  gdouble v[N_OCTAVES][STEPS + 1];      /* at (1 + k / STEPS) 2^-(o+1) */
  gdouble zero, one;
  NpwColourConversion conv;
};

NpwColourTable *
npw_colour_table_new (const NpwColourConversion * conv)
{
  NpwColourTable *table = g_try_new (NpwColourTable, 1);
  gint o, k;

  if (table == NULL)
    return NULL;
  for (o = 0; o < N_OCTAVES; o++)
    for (k = 0; k <= STEPS; k++)
      table->v[o][k] = encode_unclipped (conv,
          ldexp (1.0 + (gdouble) k / STEPS, -(o + 1)));
  table->conv = *conv;
  table->zero = encode_unclipped (conv, 0.0);
  table->one = encode_unclipped (conv, 1.0);
  return table;
}

gdouble
npw_colour_table_encode (const NpwColourTable * table, gdouble l)
{
  gdouble m, f, v;
  gint e, o, k;

  if (l >= 1.0)
    v = table->one;
  else if (l <= 0.0)
    v = table->zero;
  else {
    /* l = m 2^e, m in [0.5, 1): octave -e, position 2m - 1 in it */
    m = frexp (l, &e);
    o = -e;
    if (o >= N_OCTAVES) {
      /* below any watermark's values, but not below PQ's steepness */
      v = encode_unclipped (&table->conv, l);
    } else {
      f = (2.0 * m - 1.0) * STEPS;
      k = MIN ((gint) f, STEPS - 1);
      f -= k;
      v = table->v[o][k] + f * (table->v[o][k + 1] - table->v[o][k]);
    }
  }
  return CLAMP (v, 0.0, 1.0);
}

void
npw_colour_table_free (NpwColourTable * table)
{
  g_free (table);
}

void
npw_colour_convert_linear (const NpwColourConversion * conv,
    const NpwColourTable * table, const gdouble lin[3], gdouble out[3])
{
  gint c;

  for (c = 0; c < 3; c++) {
    gdouble l = lin[c];

    if (conv->to_bt2020) {
      const gdouble *m = npw_colour_bt709_to_bt2020[c];

      l = m[0] * lin[0] + m[1] * lin[1] + m[2] * lin[2];
    }
    out[c] = table ? npw_colour_table_encode (table, l) :
        npw_colour_encode (conv, l);
  }
}

void
npw_colour_convert (const NpwColourConversion * conv, const gdouble in[3],
    gdouble out[3])
{
  gdouble lin[3];
  gint c;

  if (!conv->active) {
    out[0] = in[0];
    out[1] = in[1];
    out[2] = in[2];
    return;
  }
  for (c = 0; c < 3; c++)
    lin[c] = npw_colour_srgb_eotf (in[c]);
  npw_colour_convert_linear (conv, NULL, lin, out);
}
