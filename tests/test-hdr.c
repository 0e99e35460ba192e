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

/* The watermark on HDR and wide-gamut frames (gst/colour.c and its use
 * by the overlay): the colour functions against hand-computed values and
 * a second implementation written here from the standards' formulas,
 * then the element's output on PQ, HLG, BT.2020 and BT.709 frames
 * against values computed here from those formulas, and SDR frames
 * bit-identical to the output before the conversion existed. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "colour.h"
#include "gstnpywatermark.h"
#include "test-util.h"

/* ---- the formulas, written again from the documents ---- */

/* IEC 61966-2-1 */
static gdouble
ref_srgb_to_linear (gdouble v)
{
  return v <= 0.04045 ? v / 12.92 : pow ((v + 0.055) / 1.055, 2.4);
}

static gdouble
ref_linear_to_srgb (gdouble l)
{
  return l <= 0.04045 / 12.92 ? 12.92 * l : 1.055 * pow (l, 1 / 2.4) - 0.055;
}

/* SMPTE ST 2084, equation 5.2, with L in cd/m² */
static gdouble
ref_pq (gdouble cd)
{
  const gdouble m1 = 0.1593017578125, m2 = 78.84375;
  const gdouble c1 = 0.8359375, c2 = 18.8515625, c3 = 18.6875;
  gdouble y = pow (MIN (MAX (cd, 0) / 10000.0, 1.0), m1);

  return pow ((c1 + c2 * y) / (1 + c3 * y), m2);
}

/* ITU-R BT.2100-2 table 5, a b c as printed there */
#define REF_A 0.17883277
#define REF_B 0.28466892
#define REF_C 0.55991073

static gdouble
ref_hlg (gdouble e)
{
  if (e <= 0)
    return 0;
  if (e <= 1.0 / 12)
    return sqrt (3 * e);
  return MIN (1.0, REF_A * log (12 * e - REF_B) + REF_C);
}

/* The scene light at 75% HLG: E' = 0.75 solved for E by hand,
 * (exp ((0.75 - c) / a) + b) / 12 */
#define REF_HLG_75 0.26496256

/* ITU-R BT.2087-0, equation 4 */
static const gdouble ref_709_to_2020[3][3] = {
  {0.6274, 0.3293, 0.0433},
  {0.0691, 0.9195, 0.0114},
  {0.0164, 0.0880, 0.8956},
};

typedef enum
{
  MODE_NONE,                    /* BT.709 / BT.601: values as they are */
  MODE_SDR2020,
  MODE_PQ,
  MODE_HLG,
} Mode;

/* The frame's R'G'B' for watermark R'G'B' @in (0..1). */
static void
ref_convert (Mode mode, gdouble white, const gdouble in[3], gdouble out[3])
{
  gdouble lin[3];
  gint c, k;

  if (mode == MODE_NONE) {
    memcpy (out, in, 3 * sizeof (gdouble));
    return;
  }
  for (c = 0; c < 3; c++)
    lin[c] = ref_srgb_to_linear (in[c]);
  for (c = 0; c < 3; c++) {
    gdouble l = 0;

    for (k = 0; k < 3; k++)
      l += ref_709_to_2020[c][k] * lin[k];
    if (mode == MODE_PQ)
      out[c] = ref_pq (l * white);
    else if (mode == MODE_HLG)
      out[c] = ref_hlg (l * REF_HLG_75 * white / 203.0);
    else
      out[c] = ref_linear_to_srgb (l);
  }
}

/* ---- unit tests of gst/colour.c ---- */

static void
test_srgb (void)
{
  g_assert_cmpfloat_with_epsilon (npw_colour_srgb_eotf (0.0), 0.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (npw_colour_srgb_eotf (0.04045),
      0.0031308, 1e-7);
  /* ((0.5 + 0.055) / 1.055)^2.4 */
  g_assert_cmpfloat_with_epsilon (npw_colour_srgb_eotf (0.5), 0.2140411, 1e-6);
  g_assert_cmpfloat_with_epsilon (npw_colour_srgb_eotf (1.0), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (npw_colour_srgb_inverse_eotf (0.2140411),
      0.5, 1e-6);
  for (gint v = 0; v <= 255; v++)
    g_assert_cmpfloat_with_epsilon (npw_colour_srgb_inverse_eotf
        (npw_colour_srgb_eotf (v / 255.0)), v / 255.0, 1e-12);
}

static void
test_matrix (void)
{
  gint r, c;

  g_assert_cmpfloat (npw_colour_bt709_to_bt2020[0][0], ==, 0.6274);
  g_assert_cmpfloat (npw_colour_bt709_to_bt2020[0][1], ==, 0.3293);
  g_assert_cmpfloat (npw_colour_bt709_to_bt2020[0][2], ==, 0.0433);
  for (r = 0; r < 3; r++) {
    for (c = 0; c < 3; c++)
      g_assert_cmpfloat (npw_colour_bt709_to_bt2020[r][c], ==,
          ref_709_to_2020[r][c]);
    /* D65 to D65: white stays white */
    g_assert_cmpfloat_with_epsilon (npw_colour_bt709_to_bt2020[r][0] +
        npw_colour_bt709_to_bt2020[r][1] + npw_colour_bt709_to_bt2020[r][2],
        1.0, 1e-12);
  }
}

static void
test_pq (void)
{
  gint i;

  /* BT.2408: 203 cd/m² at 58% PQ; 1000 cd/m² at 75% */
  g_assert_cmpfloat_with_epsilon (npw_colour_pq_inverse_eotf (0.0203),
      0.5807, 5e-5);
  g_assert_cmpfloat_with_epsilon (npw_colour_pq_inverse_eotf (0.1),
      0.7518, 5e-5);
  g_assert_cmpfloat_with_epsilon (npw_colour_pq_inverse_eotf (1.0), 1.0, 1e-12);
  /* c1^m2: black is 7.3e-7, not 0 */
  g_assert_cmpfloat_with_epsilon (npw_colour_pq_inverse_eotf (0.0),
      7.309e-7, 1e-9);
  g_assert_cmpfloat (npw_colour_pq_inverse_eotf (2.0), ==, 1.0);
  for (i = 0; i <= 1000; i++)
    g_assert_cmpfloat_with_epsilon (npw_colour_pq_inverse_eotf (i / 1000.0),
        ref_pq (i * 10.0), 1e-12);
}

static void
test_hlg (void)
{
  gint i;

  /* the two pieces meet at E = 1/12, E' = 0.5; E = 1 gives 1 */
  g_assert_cmpfloat_with_epsilon (npw_colour_hlg_oetf (1.0 / 12), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (npw_colour_hlg_oetf (1.0), 1.0, 1e-7);
  /* sqrt (3 * 0.03) = 0.3 */
  g_assert_cmpfloat_with_epsilon (npw_colour_hlg_oetf (0.03), 0.3, 1e-12);
  /* 0.17883277 ln (12 * 0.5 - 0.28466892) + 0.55991073 = 0.87164 */
  g_assert_cmpfloat_with_epsilon (npw_colour_hlg_oetf (0.5), 0.871643, 1e-6);
  g_assert_cmpfloat_with_epsilon (npw_colour_hlg_oetf (REF_HLG_75), 0.75, 1e-7);
  g_assert_cmpfloat_with_epsilon (npw_colour_hlg_inverse_oetf (0.75),
      REF_HLG_75, 1e-7);
  /* clipped above 1 */
  g_assert_cmpfloat (npw_colour_hlg_oetf (4.0), ==, 1.0);
  g_assert_cmpfloat (npw_colour_hlg_oetf (-1.0), ==, 0.0);
  for (i = 0; i <= 1200; i++) {
    gdouble e = i / 1000.0;

    g_assert_cmpfloat_with_epsilon (npw_colour_hlg_oetf (e), ref_hlg (e), 1e-7);
    if (e <= 1.0)
      g_assert_cmpfloat_with_epsilon (npw_colour_hlg_oetf
          (npw_colour_hlg_inverse_oetf (e)), e, 1e-12);
  }
}

/* Which colorimetries convert, as GStreamer 1.22 names them in caps. */
static void
test_conversion_kind (void)
{
  const struct
  {
    const gchar *name;
    gboolean active, to_bt2020;
    NpwColourTransfer transfer;
  } cases[] = {
    {"bt709", FALSE, FALSE, NPW_COLOUR_TRANSFER_SDR},
    {"bt601", FALSE, FALSE, NPW_COLOUR_TRANSFER_SDR},
    {"smpte240m", FALSE, FALSE, NPW_COLOUR_TRANSFER_SDR},
    {"sRGB", FALSE, FALSE, NPW_COLOUR_TRANSFER_SDR},
    {"bt2020", TRUE, TRUE, NPW_COLOUR_TRANSFER_SDR},
    {"bt2020-10", TRUE, TRUE, NPW_COLOUR_TRANSFER_SDR},
    {"bt2100-pq", TRUE, TRUE, NPW_COLOUR_TRANSFER_PQ},
    {"bt2100-hlg", TRUE, TRUE, NPW_COLOUR_TRANSFER_HLG},
    {"1:6:15:7", TRUE, TRUE, NPW_COLOUR_TRANSFER_HLG},
    /* PQ on BT.709 primaries: the transfer only */
    {"2:3:14:1", TRUE, FALSE, NPW_COLOUR_TRANSFER_PQ},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstVideoColorimetry cinfo;
    NpwColourConversion conv;

    g_assert_true (gst_video_colorimetry_from_string (&cinfo, cases[i].name));
    npw_colour_conversion_init (&conv, cinfo.primaries, cinfo.transfer, 203);
    g_assert_cmpint (conv.active, ==, cases[i].active);
    g_assert_cmpint (conv.to_bt2020, ==, cases[i].to_bt2020);
    g_assert_cmpint (conv.transfer, ==, cases[i].transfer);
  }
}

/* npw_colour_convert () against the formulas written here. */
static void
test_convert (void)
{
  const gchar *names[] = { "bt2020", "bt2100-pq", "bt2100-hlg" };
  const Mode modes[] = { MODE_SDR2020, MODE_PQ, MODE_HLG };
  const gdouble whites[] = { 100, 203, 300, 1000 };
  GRand *rand = g_rand_new_with_seed (19);
  guint m, w, i, c;

  for (m = 0; m < G_N_ELEMENTS (names); m++) {
    GstVideoColorimetry cinfo;

    g_assert_true (gst_video_colorimetry_from_string (&cinfo, names[m]));
    for (w = 0; w < G_N_ELEMENTS (whites); w++) {
      NpwColourConversion conv;

      npw_colour_conversion_init (&conv, cinfo.primaries, cinfo.transfer,
          whites[w]);
      for (i = 0; i < 200; i++) {
        gdouble in[3], got[3], want[3];

        for (c = 0; c < 3; c++)
          in[c] = i < 8 ? ((i >> c) & 1) : g_rand_double (rand);
        npw_colour_convert (&conv, in, got);
        ref_convert (modes[m], whites[w], in, want);
        for (c = 0; c < 3; c++)
          g_assert_cmpfloat_with_epsilon (got[c], want[c], 2e-7);
      }
    }
  }
  g_rand_free (rand);
}

/* The table the overlay converts through, against the exact functions:
 * every fifth linear value a 16-bit watermark gives (and the last),
 * times each coefficient of the matrix, and log-uniform random values
 * down to 2^-40.  (Every value, at seven reference whites, gave the
 * same worst case: 6.3e-7, HLG at 1000 cd/m².) */
static void
test_table (void)
{
  const gchar *names[] = { "bt2020", "bt2100-pq", "bt2100-hlg", "2:3:14:1" };
  const gdouble whites[] = { 1, 203, 1000, 10000 };
  GRand *rand = g_rand_new_with_seed (7);
  gdouble worst_err = 0;
  guint n, w, i, k;

  for (n = 0; n < G_N_ELEMENTS (names); n++) {
    GstVideoColorimetry cinfo;

    g_assert_true (gst_video_colorimetry_from_string (&cinfo, names[n]));
    for (w = 0; w < G_N_ELEMENTS (whites); w++) {
      NpwColourConversion conv;
      NpwColourTable *table;

      npw_colour_conversion_init (&conv, cinfo.primaries, cinfo.transfer,
          whites[w]);
      table = npw_colour_table_new (&conv);
      g_assert_nonnull (table);
      for (i = 0; i < 65536 + 10000; i += i < 65535 ? 5 : 1) {
        gdouble l = i < 65536 ? ref_srgb_to_linear (i / 65535.0) :
            pow (2.0, -40.0 * g_rand_double (rand));

        for (k = 0; k < (i < 65536 ? 10 : 1); k++) {
          gdouble lk = k == 0 ? l : l * ref_709_to_2020[(k - 1) / 3][(k - 1) %
              3];
          gdouble err = fabs (npw_colour_table_encode (table, lk) -
              npw_colour_encode (&conv, lk));

          worst_err = MAX (worst_err, err);
        }
      }
      g_assert_cmpfloat (npw_colour_table_encode (table, 0.0), ==,
          npw_colour_encode (&conv, 0.0));
      g_assert_cmpfloat (npw_colour_table_encode (table, 1.0), ==,
          npw_colour_encode (&conv, 1.0));
      npw_colour_table_free (table);
    }
  }
  g_test_message ("worst table error %g", worst_err);
  g_assert_cmpfloat (worst_err, <, 1e-6);
  g_rand_free (rand);
}

/* ---- the element ---- */

#define PATCH 4                 /* pixels: whole chroma blocks */
#define N_COLOURS 6
#define N_ALPHAS 2
/* literal: the .npy shape and the caps spell them */
#define FRAME_W 48
#define FRAME_H 4
G_STATIC_ASSERT (FRAME_W == PATCH * N_COLOURS * N_ALPHAS);
G_STATIC_ASSERT (FRAME_H == PATCH);

/* white, 50% grey, red, green, blue, a skin tone; at 16 bits, values
 * that are not 8-bit ones widened */
static const guint8 colours8[N_COLOURS][3] = {
  {255, 255, 255}, {128, 128, 128}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255},
  {224, 172, 140},
};

static const guint16 colours16[N_COLOURS][3] = {
  {65535, 65535, 65535}, {32768, 32768, 32768}, {65535, 0, 0},
  {0, 65535, 0}, {0, 0, 65535}, {57345, 44170, 35999},
};

static const guint alphas8[N_ALPHAS] = { 255, 128 };
static const guint alphas16[N_ALPHAS] = { 65535, 32768 };

/* Patch k (colour k / 2, alpha k % 2) covers columns PATCH k.., inside
 * a border @margin pixels wide of opaque colours no patch has: centred
 * on a FRAME_W x FRAME_H frame, the frame shows the patches and the
 * element draws a copy cut to the frame, its rows read where the array
 * has them (prepare.c's window canvas). */
static GBytes *
patches_npy_cut (gboolean deep, gint margin)
{
  gint w = FRAME_W + 2 * margin, h = FRAME_H + 2 * margin;
  g_autofree gchar *shape = g_strdup_printf ("(%d, %d, 4)", h, w);
  GString *s = test_util_npy_header (deep ? "<u2" : "|u1", shape);
  gint x, y, c;

  for (y = 0; y < h; y++) {
    for (x = 0; x < w; x++) {
      gint px = x - margin, py = y - margin;
      gboolean border = px < 0 || px >= FRAME_W || py < 0 || py >= FRAME_H;
      gint k = px / PATCH, col = k / N_ALPHAS, al = k % N_ALPHAS;

      for (c = 0; c < 4; c++) {
        guint v8 = border ? (c < 3 ? (x * 37 + y * 11 + c * 90) & 255 : 255)
            : c < 3 ? colours8[col][c] : alphas8[al];
        guint v16 = border ? v8 * 257 : c < 3 ? colours16[col][c] :
            alphas16[al];

        if (deep) {
          guint16 v = GUINT16_TO_LE (v16);

          g_string_append_len (s, (const gchar *) &v, 2);
        } else {
          g_string_append_c (s, (gchar) v8);
        }
      }
    }
  }
  return g_string_free_to_bytes (s);
}

static GBytes *
patches_npy (gboolean deep)
{
  return patches_npy_cut (deep, 0);
}

/* The 16-bit word of component @c's sample (@x, @y), in component
 * coordinates.  GStreamer 1.22's table puts V of P010 at byte 1; it is
 * at byte 2, the second word. */
static guint16 *
sample (GstVideoFrame * frame, gint c, gint x, gint y)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  gint p = GST_VIDEO_FORMAT_INFO_PLANE (finfo, c);
  gint off = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, c);

  if ((off & 1) && GST_VIDEO_FORMAT_INFO_DEPTH (finfo, c) > 8)
    off *= 2;
  return (guint16 *) ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (frame, p) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, p) +
      x * GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c) + off);
}

/* The background every frame starts as: 30% luma, neutral chroma. */
static guint
background (gint c, gint depth)
{
  return c == 0 ? (guint) floor (0.3 * ((1 << depth) - 1) + 0.5) :
      1u << (depth - 1);
}

static GstBuffer *
background_frame (const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  const GstVideoFormatInfo *finfo = info->finfo;
  GstVideoFrame frame;
  gint c, x, y;

  gst_buffer_memset (buf, 0, 0, info->size);
  g_assert_true (gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE));
  for (c = 0; c < 3; c++) {
    gint depth = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, c);
    guint shift = GST_VIDEO_FORMAT_INFO_SHIFT (finfo, c);

    for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c); y++)
      for (x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&frame, c); x++)
        if (depth > 8)
          *sample (&frame, c, x, y) =
              GUINT16_TO_LE (background (c, depth) << shift);
        else
          *(guint8 *) sample (&frame, c, x, y) = background (c, depth);
  }
  gst_video_frame_unmap (&frame);
  return buf;
}

/* BT.2100 / BT.709 quantisation of Y'CbCr at @depth bits, unrounded:
 * narrow range (219 Y' + 16) 2^(n-8), (224 C + 128) 2^(n-8); full range
 * (2^n - 1) Y', (2^n - 1) C + 2^(n-1). */
static void
ref_ycbcr (const gdouble rgb[3], gdouble kr, gdouble kb, gboolean full,
    gint depth, gdouble out[3])
{
  gdouble y = kr * rgb[0] + (1 - kr - kb) * rgb[1] + kb * rgb[2];
  gdouble cb = (rgb[2] - y) / (2 * (1 - kb));
  gdouble cr = (rgb[0] - y) / (2 * (1 - kr));
  gdouble n = 1 << (depth - 8), max = (1 << depth) - 1;

  if (full) {
    out[0] = max * y;
    out[1] = max * cb + (1 << (depth - 1));
    out[2] = max * cr + (1 << (depth - 1));
  } else {
    out[0] = (219 * y + 16) * n;
    out[1] = (224 * cb + 128) * n;
    out[2] = (224 * cr + 128) * n;
  }
}

typedef struct
{
  const gchar *colorimetry;     /* as in caps */
  Mode mode;
  gdouble kr, kb;
  gboolean full;
} Space;

static const Space spaces[] = {
  {"bt2100-pq", MODE_PQ, 0.2627, 0.0593, FALSE},
  {"bt2100-hlg", MODE_HLG, 0.2627, 0.0593, FALSE},
  {"1:6:15:7", MODE_HLG, 0.2627, 0.0593, TRUE}, /* full-range HLG */
  {"1:6:14:7", MODE_PQ, 0.2627, 0.0593, TRUE},  /* full-range PQ */
  {"bt2020", MODE_SDR2020, 0.2627, 0.0593, FALSE},
  {"bt2020-10", MODE_SDR2020, 0.2627, 0.0593, FALSE},
  {"bt709", MODE_NONE, 0.2126, 0.0722, FALSE},
};

static const GstVideoFormat formats[] = {
  GST_VIDEO_FORMAT_P010_10LE, GST_VIDEO_FORMAT_I420_10LE,
  GST_VIDEO_FORMAT_Y444_12LE,
};

/* 8-bit frames of converted colours: the colours rounded once, after
 * the matrix, then the 8-bit blend's rounding (0.5 level each); rounding
 * the converted R'G'B' to 8 bits before the matrix would add up to 0.5
 * more. */
#define EIGHT_BIT_TOLERANCE 0.8

/* 8-bit frames, watermarks 8-bit only (what the element gives them). */
static const GstVideoFormat formats8[] = {
  GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_Y444, GST_VIDEO_FORMAT_NV12,
};

/* Largest error against the formulas seen, in levels, by depth. */
static gdouble worst[17];

/* Runs the patches through npywatermark on @format frames of @space and
 * checks every sample of every patch against the formulas; returns the
 * largest error in levels.  @got_white, when not NULL, gets the opaque
 * white patch's luma as the formulas give it (unrounded). */
static gdouble
run_patches_cut (GstVideoFormat format, const Space * space, gboolean deep,
    gdouble reference_white, gdouble * got_white, gint margin)
{
  g_autoptr (GBytes) npy = patches_npy_cut (deep, margin);
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstCaps *caps = gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, gst_video_format_to_string (format),
      "width", G_TYPE_INT, FRAME_W, "height", G_TYPE_INT, FRAME_H,
      "framerate", GST_TYPE_FRACTION, 30, 1,
      "colorimetry", G_TYPE_STRING, space->colorimetry, NULL);
  const GstVideoFormatInfo *finfo;
  GstHarness *h;
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *out;
  gdouble err = 0;
  gint k, c, x, y;

  g_assert_true (gst_video_info_from_caps (&info, caps));
  finfo = info.finfo;
  g_object_set (element, "data", npy, "reference-white", reference_white, NULL);
  gst_util_set_object_arg (G_OBJECT (element), "position", "center");
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_harness_set_caps (h, gst_caps_ref (caps), caps);
  out = gst_harness_push_and_pull (h, background_frame (&info));
  g_assert_nonnull (out);
  g_assert_true (gst_video_frame_map (&frame, &info, out, GST_MAP_READ));

  for (k = 0; k < N_COLOURS * N_ALPHAS; k++) {
    gint col = k / N_ALPHAS, al = k % N_ALPHAS;
    gdouble in[3], rgb[3], want[3], alpha;

    for (c = 0; c < 3; c++)
      in[c] = deep ? colours16[col][c] / 65535.0 : colours8[col][c] / 255.0;
    alpha = deep ? alphas16[al] / 65535.0 : alphas8[al] / 255.0;
    ref_convert (space->mode, reference_white, in, rgb);
    ref_ycbcr (rgb, space->kr, space->kb, space->full,
        GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0), want);
    if (got_white && k == 0)
      *got_white = want[0];

    for (c = 0; c < 3; c++) {
      gint depth = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, c);
      guint shift = GST_VIDEO_FORMAT_INFO_SHIFT (finfo, c);
      gint ws = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
      gint hs = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
      /* "over" on the background, in the frame's signal domain */
      gdouble bg = background (c, depth);
      gdouble expect = bg + alpha * (want[c] - bg);

      for (y = 0; y < GST_VIDEO_SUB_SCALE (hs, PATCH); y++) {
        for (x = GST_VIDEO_SUB_SCALE (ws, k * PATCH);
            x < GST_VIDEO_SUB_SCALE (ws, (k + 1) * PATCH); x++) {
          guint v = depth > 8 ?
              GUINT16_FROM_LE (*sample (&frame, c, x, y)) >> shift :
              *(guint8 *) sample (&frame, c, x, y);
          gdouble e = fabs (v - expect);

          if (e > err)
            err = e;
          if (e > (depth > 10 ? 4.0 : depth > 8 ? 2.0 : EIGHT_BIT_TOLERANCE))
            g_error ("%s %s %s wm, white %g, patch %d comp %d: got %u, "
                "want %.2f", gst_video_format_to_string (format),
                space->colorimetry, deep ? "16-bit" : "8-bit",
                reference_white, k, c, v, expect);
        }
      }
    }
  }
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  {
    gint depth = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0);

    worst[depth] = MAX (worst[depth], err);
  }
  return err;
}

static gdouble
run_patches (GstVideoFormat format, const Space * space, gboolean deep,
    gdouble reference_white, gdouble * got_white)
{
  return run_patches_cut (format, space, deep, reference_white, got_white, 0);
}

/* Every deep format, colorimetry and watermark depth at BT.2408's
 * reference white, the patches inside a border @margin pixels wide. */
static void
run_all_patches (gint margin)
{
  guint f, s, d;

  for (f = 0; f < G_N_ELEMENTS (formats); f++)
    for (s = 0; s < G_N_ELEMENTS (spaces); s++)
      for (d = 0; d < 2; d++)
        run_patches_cut (formats[f], &spaces[s], d, 203.0, NULL, margin);
}

static void
test_element_patches (void)
{
  run_all_patches (0);
}

/* The same with the patches in a larger array, cut to the frame (8-bit
 * frames too): every conversion reads the array's rows in place. */
static void
test_element_patches_cut (void)
{
  guint f, s;

  run_all_patches (8);
  for (f = 0; f < G_N_ELEMENTS (formats8); f++)
    for (s = 0; s < G_N_ELEMENTS (spaces); s++)
      run_patches_cut (formats8[f], &spaces[s], FALSE, 203.0, NULL, 8);
}

/* 8-bit frames with the same caps are converted the same way, each
 * colour rounded once at 8 bits. */
static void
test_element_patches_8bit (void)
{
  guint f, s;

  for (f = 0; f < G_N_ELEMENTS (formats8); f++)
    for (s = 0; s < G_N_ELEMENTS (spaces); s++)
      if (spaces[s].mode != MODE_NONE)
        run_patches (formats8[f], &spaces[s], FALSE, 203.0, NULL);
}

/* Opaque random colours on 8-bit Y444 frames: each sample is the
 * formula's value rounded once (within half a level), not the matrix of
 * R'G'B' already rounded to 8 bits (up to a level off). */
static void
test_element_8bit_rounded_once (void)
{
  const guint spaces_used[] = { 0, 1, 4 };      /* PQ, HLG, BT.2020 SDR */
  GRand *rand = g_rand_new_with_seed (8);
  gdouble err = 0;
  guint s;

  for (s = 0; s < G_N_ELEMENTS (spaces_used); s++) {
    const Space *space = &spaces[spaces_used[s]];
    GString *npy = test_util_npy_header ("|u1", "(32, 32, 4)");
    GBytes *bytes;
    guint8 rgba[32 * 32 * 4];
    GstElement *element = gst_element_factory_make ("npywatermark", NULL);
    GstCaps *caps = gst_caps_new_simple ("video/x-raw",
        "format", G_TYPE_STRING, "Y444", "width", G_TYPE_INT, 32,
        "height", G_TYPE_INT, 32, "framerate", GST_TYPE_FRACTION, 30, 1,
        "colorimetry", G_TYPE_STRING, space->colorimetry, NULL);
    GstVideoInfo info;
    GstVideoFrame frame;
    GstHarness *h;
    GstBuffer *out;
    gint i, c;

    for (i = 0; i < 32 * 32 * 4; i++)
      rgba[i] = (i & 3) == 3 ? 255 : g_rand_int_range (rand, 0, 256);
    g_string_append_len (npy, (const gchar *) rgba, sizeof (rgba));
    bytes = g_string_free_to_bytes (npy);
    g_assert_true (gst_video_info_from_caps (&info, caps));
    g_object_set (element, "data", bytes, NULL);
    g_bytes_unref (bytes);
    h = gst_harness_new_with_element (element, "sink", "src");
    gst_object_unref (element);
    gst_harness_set_caps (h, gst_caps_ref (caps), caps);
    out = gst_harness_push_and_pull (h, background_frame (&info));
    g_assert_true (gst_video_frame_map (&frame, &info, out, GST_MAP_READ));
    for (i = 0; i < 32 * 32; i++) {
      gdouble in[3], rgb[3], want[3];

      for (c = 0; c < 3; c++)
        in[c] = rgba[4 * i + c] / 255.0;
      ref_convert (space->mode, 203, in, rgb);
      ref_ycbcr (rgb, space->kr, space->kb, space->full, 8, want);
      for (c = 0; c < 3; c++) {
        guint v = *(guint8 *) sample (&frame, c, i % 32, i / 32);

        err = MAX (err, fabs (v - want[c]));
      }
    }
    gst_video_frame_unmap (&frame);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
  g_rand_free (rand);
  /* half a level, plus the 16-bit intermediate's half of 1/257 level
   * (0.87 measured with R'G'B' rounded to 8 bits first) */
  g_assert_cmpfloat (err, <=, 0.5 + 0.5 / 257 * 2);
}

/* reference-white 100, 203, 300 and 1000: PQ white at that many cd/m²,
 * HLG white scaled from 75% (clipped at 1). */
static void
test_element_reference_white (void)
{
  const gdouble whites[] = { 100, 203, 300, 1000 };
  const guint pq = 0, hlg = 1;
  gdouble white_y[2][G_N_ELEMENTS (whites)];
  guint f, w, d;

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    for (w = 0; w < G_N_ELEMENTS (whites); w++) {
      for (d = 0; d < 2; d++) {
        run_patches (formats[f], &spaces[pq], d, whites[w], &white_y[0][w]);
        run_patches (formats[f], &spaces[hlg], d, whites[w], &white_y[1][w]);
      }
    }
  }
  /* the standards' landmarks, in the last format's (Y444_12LE) narrow
   * 12-bit range: PQ 203 cd/m² at 58%, 1000 at 75%; HLG 203 at 75%,
   * 1000 clipped at 100% */
  g_assert_cmpfloat_with_epsilon ((white_y[pq][1] / 16 - 16) / 219, 0.5807,
      1e-4);
  g_assert_cmpfloat_with_epsilon ((white_y[pq][3] / 16 - 16) / 219, 0.7518,
      1e-4);
  g_assert_cmpfloat_with_epsilon ((white_y[hlg][1] / 16 - 16) / 219, 0.75,
      1e-4);
  g_assert_cmpfloat_with_epsilon ((white_y[hlg][3] / 16 - 16) / 219, 1.0, 1e-9);
}

/* reference-white changed while PLAYING takes effect at a later frame
 * (prepared in the background, as a geometry change). */
static void
test_reference_white_live (void)
{
  g_autoptr (GBytes) npy = patches_npy (FALSE);
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstHarness *h;
  GstVideoInfo info;
  GstCaps *caps;
  guint16 first = 0, last = 0;
  gint i;

  caps = gst_caps_from_string ("video/x-raw, format=P010_10LE, width="
      G_STRINGIFY (FRAME_W) ", height=" G_STRINGIFY (FRAME_H)
      ", framerate=30/1, colorimetry=bt2100-pq");
  g_assert_true (gst_video_info_from_caps (&info, caps));
  g_object_set (element, "data", npy, NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_harness_set_caps (h, gst_caps_ref (caps), caps);

  for (i = 0; i < 200; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h, background_frame (&info));
    GstVideoFrame frame;
    guint16 y;

    g_assert_true (gst_video_frame_map (&frame, &info, out, GST_MAP_READ));
    y = GUINT16_FROM_LE (*sample (&frame, 0, 0, 0)) >> 6;
    gst_video_frame_unmap (&frame);
    gst_buffer_unref (out);
    if (i == 0) {
      first = y;
      g_object_set (h->element, "reference-white", 1000.0, NULL);
    }
    last = y;
    if (last != first)
      break;
    g_usleep (2000);
  }
  gst_harness_teardown (h);
  /* 58% PQ, then 75% PQ, of 876 levels above 64 */
  g_assert_cmpint (first, ==, (gint) floor ((219 * 0.5807 + 16) * 4 + 0.5));
  g_assert_cmpint (abs (last - (gint) floor ((219 * 0.75183 + 16) * 4 +
              0.5)), <=, 1);
}

/* New caps that differ in the transfer only (bt2020 to bt2100-pq, the
 * same matrix, range and primaries) prepare again: the cache of
 * prepared overlays does not hand back the SDR one. */
static void
test_caps_change (void)
{
  const gchar *names[] = { "bt2020", "bt2100-pq", "bt2020" };
  const gdouble want[] = { 940, (219 * 0.5807 + 16) * 4, 940 };
  g_autoptr (GBytes) npy = patches_npy (FALSE);
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstHarness *h;
  guint i;

  g_object_set (element, "data", npy, NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GstCaps *caps = gst_caps_new_simple ("video/x-raw",
        "format", G_TYPE_STRING, "P010_10LE", "width", G_TYPE_INT, FRAME_W,
        "height", G_TYPE_INT, FRAME_H, "framerate", GST_TYPE_FRACTION, 30, 1,
        "colorimetry", G_TYPE_STRING, names[i], NULL);
    GstVideoInfo info;
    GstVideoFrame frame;
    GstBuffer *out;
    guint y;

    g_assert_true (gst_video_info_from_caps (&info, caps));
    gst_harness_set_caps (h, gst_caps_ref (caps), caps);
    out = gst_harness_push_and_pull (h, background_frame (&info));
    g_assert_true (gst_video_frame_map (&frame, &info, out, GST_MAP_READ));
    /* the opaque white patch */
    y = GUINT16_FROM_LE (*sample (&frame, 0, 1, 1)) >> 6;
    gst_video_frame_unmap (&frame);
    gst_buffer_unref (out);
    g_assert_cmpfloat (fabs (y - want[i]), <=, 1.0);
  }
  gst_harness_teardown (h);
}

/* RGB and gray frames with PQ caps take the converted R'G'B' (or its
 * luma) directly; 8-bit frames are converted the same way. */
static void
test_element_rgb_gray_8bit (void)
{
  const struct
  {
    const gchar *caps;
    gint depth;
  } cases[] = {
    {"format=RGBA64_LE, colorimetry=1:1:14:7", 16},
    {"format=GRAY16_LE, colorimetry=bt2100-pq", 16},
    {"format=I420, colorimetry=bt2100-pq", 8},
    {"format=RGBA, colorimetry=1:1:14:7", 8},
  };
  g_autoptr (GBytes) npy = patches_npy (FALSE);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *s = g_strdup_printf ("video/x-raw, %s, width=" G_STRINGIFY (FRAME_W)
        ", height=" G_STRINGIFY (FRAME_H) ", framerate=30/1", cases[i].caps);
    GstCaps *caps = gst_caps_from_string (s);
    GstElement *element = gst_element_factory_make ("npywatermark", NULL);
    GstVideoInfo info;
    GstHarness *h;
    GstBuffer *in, *out;
    GstVideoFrame frame;
    gint k;

    g_assert_true (gst_video_info_from_caps (&info, caps));
    g_object_set (element, "data", npy, NULL);
    h = gst_harness_new_with_element (element, "sink", "src");
    gst_object_unref (element);
    gst_harness_set_caps (h, gst_caps_ref (caps), caps);
    in = gst_buffer_new_allocate (NULL, info.size, NULL);
    gst_buffer_memset (in, 0, 0, info.size);
    out = gst_harness_push_and_pull (h, in);
    g_assert_true (gst_video_frame_map (&frame, &info, out, GST_MAP_READ));

    /* the opaque patches on a black frame */
    for (k = 0; k < N_COLOURS * N_ALPHAS; k += N_ALPHAS) {
      gint col = k / N_ALPHAS, c;
      gdouble in3[3], rgb[3];
      gint x = k * PATCH + 1, max = (1 << cases[i].depth) - 1;

      for (c = 0; c < 3; c++)
        in3[c] = colours8[col][c] / 255.0;
      ref_convert (MODE_PQ, 203, in3, rgb);
      if (GST_VIDEO_INFO_IS_RGB (&info)) {
        for (c = 0; c < 3; c++) {
          const guint8 *p = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&frame,
              c) + x * GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, c);
          gint v = cases[i].depth == 16 ? GUINT16_FROM_LE (*(guint16 *) p) : *p;

          g_assert_cmpfloat (fabs (v - rgb[c] * max), <=,
              cases[i].depth == 16 ? 2.0 : 1.0);
        }
      } else {
        gdouble want[3];
        const guint8 *p = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&frame,
            0) + x * GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, 0);
        gint v = cases[i].depth == 16 ? GUINT16_FROM_LE (*(guint16 *) p) : *p;

        /* gray: luma, full range as GStreamer's gray formats are */
        ref_ycbcr (rgb, 0.2627, 0.0593,
            info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255,
            cases[i].depth, want);
        g_assert_cmpfloat (fabs (v - want[0]), <=,
            cases[i].depth == 16 ? 4.0 : 1.0);
      }
    }
    gst_video_frame_unmap (&frame);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
    g_free (s);
  }
}

/* ---- SDR frames: bit-identical to the output before colour.c ---- */

/* A deterministic watermark of every kind of pixel, and a frame of
 * deterministic noise; the output's SHA-256.  The digests below were
 * taken with this code from the build before the conversion existed
 * (commit 26c073e). */
static gchar *
sdr_digest (const gchar * format, const gchar * colorimetry, gboolean deep)
{
  const gint w = 37, h = 21, fw = 64, fh = 48;
  GString *s = test_util_npy_header (deep ? "<u2" : "|u1", "(21, 37, 4)");
  GRand *rand = g_rand_new_with_seed (2024);
  g_autoptr (GBytes) npy = NULL;
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  gchar *caps_str, *digest;
  GstHarness *h_;
  GstBuffer *in, *out;
  GstMapInfo map;
  GstVideoInfo info;
  GstCaps *caps;
  gint i;

  for (i = 0; i < w * h * 4; i++) {
    if (deep) {
      guint16 v = GUINT16_TO_LE (g_rand_int_range (rand, 0, 65536));

      g_string_append_len (s, (const gchar *) &v, 2);
    } else {
      g_string_append_c (s, (gchar) g_rand_int_range (rand, 0, 256));
    }
  }
  npy = g_string_free_to_bytes (s);
  caps_str = g_strdup_printf ("video/x-raw, format=%s, width=%d, height=%d, "
      "framerate=30/1%s%s", format, fw, fh, colorimetry ? ", colorimetry=" :
      "", colorimetry ? colorimetry : "");
  caps = gst_caps_from_string (caps_str);
  g_assert_true (gst_video_info_from_caps (&info, caps));
  g_object_set (element, "data", npy, "offset-x", 5, "offset-y", 3,
      "opacity", 0.7, NULL);
  h_ = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_harness_set_caps (h_, gst_caps_ref (caps), caps);
  in = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_buffer_map (in, &map, GST_MAP_WRITE);
  for (i = 0; i < (gint) map.size; i++)
    map.data[i] = (guint8) g_rand_int (rand);
  gst_buffer_unmap (in, &map);
  out = gst_harness_push_and_pull (h_, in);
  gst_buffer_map (out, &map, GST_MAP_READ);
  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, map.data, map.size);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_harness_teardown (h_);
  g_rand_free (rand);
  g_free (caps_str);
  return digest;
}

static const struct
{
  const gchar *format, *colorimetry;
  gboolean deep;
  const gchar *digest;
} sdr_cases[] = {
#include "test-hdr-digests.h"
};

static void
test_sdr_identical (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sdr_cases); i++) {
    g_autofree gchar *got = sdr_digest (sdr_cases[i].format,
        sdr_cases[i].colorimetry, sdr_cases[i].deep);

    if (g_strcmp0 (got, sdr_cases[i].digest) != 0)
      g_error ("%s %s %s-bit: output changed (%s, was %s)",
          sdr_cases[i].format, sdr_cases[i].colorimetry ?
          sdr_cases[i].colorimetry : "(none)", sdr_cases[i].deep ? "16" : "8",
          got, sdr_cases[i].digest);
  }
}

int
main (int argc, char **argv)
{
  gint ret, d;

  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  GST_ELEMENT_REGISTER (npywatermark, NULL);

  /* the digest table's lines, from the build under test */
  if (argc > 1 && strcmp (argv[1], "--print-digests") == 0) {
    const gchar *fmts[] = { "I420", "NV12", "RGBA", "AYUV", "GRAY8",
      "P010_10LE", "I420_10LE", "Y444_12LE", "RGBA64_LE", "GRAY16_LE"
    };
    const gchar *cols[] = { NULL, "bt709", "bt601", "sRGB", "1:4:0:0" };
    guint f, c, dp;

    for (f = 0; f < G_N_ELEMENTS (fmts); f++)
      for (c = 0; c < G_N_ELEMENTS (cols); c++)
        for (dp = 0; dp < 2; dp++) {
          gchar *dg = sdr_digest (fmts[f], cols[c], dp);

          g_print ("  {\"%s\", %s%s%s, %s, \"%s\"},\n", fmts[f],
              cols[c] ? "\"" : "", cols[c] ? cols[c] : "NULL",
              cols[c] ? "\"" : "", dp ? "TRUE" : "FALSE", dg);
          g_free (dg);
        }
    return 0;
  }

  g_test_add_func ("/hdr/colour/srgb", test_srgb);
  g_test_add_func ("/hdr/colour/bt2087-matrix", test_matrix);
  g_test_add_func ("/hdr/colour/pq", test_pq);
  g_test_add_func ("/hdr/colour/hlg", test_hlg);
  g_test_add_func ("/hdr/colour/which-colorimetries", test_conversion_kind);
  g_test_add_func ("/hdr/colour/convert", test_convert);
  g_test_add_func ("/hdr/colour/table", test_table);
  g_test_add_func ("/hdr/element/patches", test_element_patches);
  g_test_add_func ("/hdr/element/patches-8bit", test_element_patches_8bit);
  g_test_add_func ("/hdr/element/patches-cut", test_element_patches_cut);
  g_test_add_func ("/hdr/element/8bit-rounded-once",
      test_element_8bit_rounded_once);
  g_test_add_func ("/hdr/element/reference-white",
      test_element_reference_white);
  g_test_add_func ("/hdr/element/reference-white-live",
      test_reference_white_live);
  g_test_add_func ("/hdr/element/rgb-gray-8bit", test_element_rgb_gray_8bit);
  g_test_add_func ("/hdr/element/caps-change", test_caps_change);
  g_test_add_func ("/hdr/element/sdr-bit-identical", test_sdr_identical);

  ret = g_test_run ();
  for (d = 8; d <= 16; d++)
    if (worst[d] > 0)
      g_print ("# worst error against the formulas at %d bits: %.3f levels\n",
          d, worst[d]);
  return ret;
}
