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


/* The formats beyond the first twenty, 8-bit and deep (10, 12, 16 bits),
 * through GstHarness against a reference at the format's depth written
 * here from the formulas: each component read and written where
 * GstVideoFormatInfo puts it (plane, offset, stride, subsampling, shift,
 * byte order), the caps' matrix from gst_video_color_matrix_get_Kr_Kb (),
 * limited or full range at the depth, chroma samples taking the mean
 * alpha and alpha-weighted mean colour of the pixels they cover, and the
 * blend in floating point.  Odd offsets, the watermark clipped on each
 * side, two opacities; and a genuinely 16-bit watermark's precision in
 * 16-bit frames, which an 8-bit reduction anywhere would exceed. */

#include <math.h>
#include <string.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gstnpywatermark.h"
#include "overlay.h"
#include "test-util.h"

/* worst difference seen, in levels, per depth */
static gdouble worst[17];

/* A watermark as values 0..1, straight alpha, and how it is stored. */
typedef struct
{
  gint width, height;
  gboolean deep;                /* uint16 .npy, else uint8 */
  gdouble *rgba;
  GBytes *npy;
} Mark;

static GBytes *
npy_bytes (const gchar * descr, gint w, gint h, const void *data, gsize size)
{
  gchar *shape = g_strdup_printf ("(%d, %d, 4)", h, w);
  GString *s = test_util_npy_header (descr, shape);

  g_string_append_len (s, data, size);
  g_free (shape);
  return g_string_free_to_bytes (s);
}

/* Random colours; alpha often 0 or opaque, as in real watermarks, else
 * anything (at 16 bits: values no 8-bit one can hold). */
static Mark *
mark_new (GRand * rand, gint w, gint h, gboolean deep)
{
  Mark *m = g_new0 (Mark, 1);
  gsize n = (gsize) w * h * 4, i;
  guint16 *v16 = g_new (guint16, n);
  guint8 *v8 = g_new (guint8, n);

  m->width = w;
  m->height = h;
  m->deep = deep;
  m->rgba = g_new (gdouble, n);
  for (i = 0; i < n; i++) {
    guint max = deep ? 65535 : 255;
    guint v = g_rand_int_range (rand, 0, max + 1);

    if (i % 4 == 3) {
      gint kind = g_rand_int_range (rand, 0, 4);

      v = kind == 0 ? 0 : kind == 1 ? max : v;
    }
    v16[i] = GUINT16_TO_LE (v);
    v8[i] = v;
    m->rgba[i] = v / (gdouble) max;
  }
  m->npy = deep ? npy_bytes ("<u2", w, h, v16, n * 2) :
      npy_bytes ("|u1", w, h, v8, n);
  g_free (v16);
  g_free (v8);
  return m;
}

static void
mark_free (Mark * m)
{
  g_bytes_unref (m->npy);
  g_free (m->rgba);
  g_free (m);
}

/* Where component @c sits in its pixel, in bytes.  GStreamer 1.22's
 * table says byte 1 for V of P010, P012 and P016 (NV12's value); the
 * format is 16-bit words, U then V, as its unpack function reads it
 * (/formats/p010-layout checks that). */
static gint
comp_offset (const GstVideoFormatInfo * f, gint c)
{
  switch (GST_VIDEO_FORMAT_INFO_FORMAT (f)) {
    case GST_VIDEO_FORMAT_P010_10LE:
    case GST_VIDEO_FORMAT_P010_10BE:
    case GST_VIDEO_FORMAT_P012_LE:
    case GST_VIDEO_FORMAT_P012_BE:
    case GST_VIDEO_FORMAT_P016_LE:
    case GST_VIDEO_FORMAT_P016_BE:
      return c == 2 ? 2 : 0;
    default:
      return GST_VIDEO_FORMAT_INFO_POFFSET (f, c);
  }
}

/* One component's sample (@sx, @sy) in the frame, at its depth. */
static guint8 *
sample_ptr (const GstVideoInfo * info, guint8 * data, gint c, gint sx, gint sy)
{
  const GstVideoFormatInfo *f = info->finfo;
  gint p = GST_VIDEO_FORMAT_INFO_PLANE (f, c);

  return data + info->offset[p] + (gsize) sy *info->stride[p] +
      (gsize) sx *GST_VIDEO_FORMAT_INFO_PSTRIDE (f, c) + comp_offset (f, c);
}

static guint
sample_get (const GstVideoInfo * info, guint8 * data, gint c, gint sx, gint sy)
{
  const GstVideoFormatInfo *f = info->finfo;
  const guint8 *q = sample_ptr (info, data, c, sx, sy);
  guint depth = GST_VIDEO_FORMAT_INFO_DEPTH (f, c), w;

  if (depth <= 8)
    return q[0];
  w = GST_VIDEO_FORMAT_INFO_IS_LE (f) ? q[0] | q[1] << 8 : q[0] << 8 | q[1];
  return (w >> GST_VIDEO_FORMAT_INFO_SHIFT (f, c)) & ((1u << depth) - 1);
}

static void
sample_set (const GstVideoInfo * info, guint8 * data, gint c, gint sx,
    gint sy, guint v)
{
  const GstVideoFormatInfo *f = info->finfo;
  guint8 *q = sample_ptr (info, data, c, sx, sy);
  guint w;

  if (GST_VIDEO_FORMAT_INFO_DEPTH (f, c) <= 8) {
    q[0] = v;
    return;
  }
  w = v << GST_VIDEO_FORMAT_INFO_SHIFT (f, c);
  q[GST_VIDEO_FORMAT_INFO_IS_LE (f) ? 0 : 1] = w & 0xff;
  q[GST_VIDEO_FORMAT_INFO_IS_LE (f) ? 1 : 0] = w >> 8;
}

static gint
comp_width (const GstVideoInfo * info, gint c)
{
  return GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (info->finfo, c, info->width);
}

static gint
comp_height (const GstVideoInfo * info, gint c)
{
  return GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (info->finfo, c, info->height);
}

/* Random bytes, then every sample a random value at its depth (the
 * padding bits of P010 and I420_10LE zero, as GStreamer writes them). */
static GstBuffer *
random_frame (GRand * rand, const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstMapInfo map;
  gsize i;
  gint c, sx, sy;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = g_rand_int (rand);
  for (c = 0; c < (gint) GST_VIDEO_INFO_N_COMPONENTS (info); c++) {
    guint max = (1u << GST_VIDEO_FORMAT_INFO_DEPTH (info->finfo, c)) - 1;

    for (sy = 0; sy < comp_height (info, c); sy++)
      for (sx = 0; sx < comp_width (info, c); sx++)
        sample_set (info, map.data, c, sx, sy,
            g_rand_int_range (rand, 0, max + 1));
  }
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* Component @c of colour @rgb (0..1) at the depth, from the formulas. */
static gdouble
ref_value (const GstVideoInfo * info, gint c, const gdouble * rgb)
{
  const GstVideoFormatInfo *f = info->finfo;
  gint depth = GST_VIDEO_FORMAT_INFO_DEPTH (f, c);
  gdouble max = (1u << depth) - 1, Kr, Kb, Y, v;
  gboolean full = info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;

  if (c == GST_VIDEO_COMP_A)
    return max;
  if (GST_VIDEO_FORMAT_INFO_IS_RGB (f))
    return rgb[c] * max;
  g_assert_true (gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix,
          &Kr, &Kb));
  Y = Kr * rgb[0] + (1 - Kr - Kb) * rgb[1] + Kb * rgb[2];
  if (c == 0)
    v = full ? Y * max : (16 + 219 * Y) * (1 << (depth - 8));
  else {
    gdouble C = c == 1 ? (rgb[2] - Y) / (2 * (1 - Kb)) :
        (rgb[0] - Y) / (2 * (1 - Kr));

    v = full ? (1 << (depth - 1)) + C * max :
        (128 + 224 * C) * (1 << (depth - 8));
  }
  return CLAMP (v, 0.0, max);
}

/* The frame @in with @mark at (@x, @y) and @opacity, against @out:
 * returns the largest difference in levels of the component's depth. */
static gdouble
ref_check (const GstVideoInfo * info, guint8 * in, guint8 * out,
    const Mark * mark, gint x, gint y, gdouble opacity, gdouble * levels)
{
  const GstVideoFormatInfo *f = info->finfo;
  gdouble max_diff = 0;
  gint c, sx, sy;

  for (c = 0; c < (gint) GST_VIDEO_INFO_N_COMPONENTS (info); c++) {
    gint cw = 1 << GST_VIDEO_FORMAT_INFO_W_SUB (f, c);
    gint ch = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (f, c);

    for (sy = 0; sy < comp_height (info, c); sy++) {
      for (sx = 0; sx < comp_width (info, c); sx++) {
        gdouble sa = 0, rgb[3] = { 0, 0, 0 }, A, d, expect, diff;
        gint px, py, k;

        for (py = sy * ch; py < sy * ch + ch; py++) {
          for (px = sx * cw; px < sx * cw + cw; px++) {
            gint mx = px - x, my = py - y;
            const gdouble *m;

            if (mx < 0 || my < 0 || mx >= mark->width || my >= mark->height)
              continue;
            m = mark->rgba + ((gsize) my * mark->width + mx) * 4;
            sa += m[3];
            for (k = 0; k < 3; k++)
              rgb[k] += m[3] * m[k];
          }
        }
        d = sample_get (info, in, c, sx, sy);
        expect = d;
        if (sa > 0) {
          for (k = 0; k < 3; k++)
            rgb[k] /= sa;
          A = sa / (cw * ch) * opacity;
          expect = ref_value (info, c, rgb) * A + d * (1 - A);
        }
        diff = fabs (sample_get (info, out, c, sx, sy) - expect);
        if (diff > max_diff) {
          max_diff = diff;
          if (levels)
            g_test_message ("comp %d sample (%d, %d): %u, expected %.3f "
                "(from %.0f)", c, sx, sy, sample_get (info, out, c, sx, sy),
                expect, d);
        }
      }
    }
  }
  if (levels)
    *levels = max_diff;
  return max_diff;
}

static gchar *
colorimetry_string (GstVideoColorRange range, GstVideoColorMatrix matrix)
{
  GstVideoColorimetry cinfo = { range, matrix, GST_VIDEO_TRANSFER_BT709,
    GST_VIDEO_COLOR_PRIMARIES_BT709
  };

  return gst_video_colorimetry_to_string (&cinfo);
}

/* The element's output for @mark at (@x, @y) on a random frame; returns
 * the largest difference from the reference, in levels. */
static gdouble
run_case (GRand * rand, GstVideoFormat format, gint w, gint h,
    const gchar * colorimetry, const Mark * mark, gint x, gint y,
    gdouble opacity)
{
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstCaps *caps = gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, gst_video_format_to_string (format),
      "width", G_TYPE_INT, w, "height", G_TYPE_INT, h,
      "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
  GstHarness *harness;
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstMapInfo in_map, out_map;
  guint8 *before;
  gdouble diff;

  if (colorimetry)
    gst_caps_set_simple (caps, "colorimetry", G_TYPE_STRING, colorimetry, NULL);
  g_assert_true (gst_video_info_from_caps (&info, caps));
  g_object_set (element, "data", mark->npy, "opacity", opacity,
      "offset-x", x, "offset-y", y, NULL);
  harness = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_harness_set_caps (harness, gst_caps_ref (caps), caps);

  in = random_frame (rand, &info);
  gst_buffer_map (in, &in_map, GST_MAP_READ);
  before = g_memdup2 (in_map.data, in_map.size);
  gst_buffer_unmap (in, &in_map);
  out = gst_harness_push_and_pull (harness, in);
  g_assert_nonnull (out);
  g_assert_cmpuint (gst_buffer_get_size (out), ==, info.size);
  gst_buffer_map (out, &out_map, GST_MAP_READ);
  ref_check (&info, before, out_map.data, mark, x, y, opacity, &diff);
  gst_buffer_unmap (out, &out_map);
  gst_buffer_unref (out);
  gst_harness_teardown (harness);
  g_free (before);

  {
    gint depth = GST_VIDEO_FORMAT_INFO_DEPTH (info.finfo, 0);

    worst[depth] = MAX (worst[depth], diff);
  }
  return diff;
}

typedef struct
{
  GstVideoFormat format;
} FormatCase;

/* 8 bits: the 8-bit path's rounding (alpha times opacity rounded to
 * 1/255, then the value); deeper: the bounds of issue 10 (1-2 levels at
 * 10 and 12 bits, a quarter of an 8-bit level at 16). */
static gdouble
tolerance (GstVideoFormat format)
{
  gint depth = GST_VIDEO_FORMAT_INFO_DEPTH (gst_video_format_get_info
      (format), 0);

  return depth <= 8 ? 2.0 : depth < 16 ? 2.0 : 64.0;
}

/* Odd offsets inside, then clipped on the left and top, on the right
 * and bottom, and on every side at once (larger than the frame), in a
 * frame of whole chroma blocks and in an odd-sized one. */
static void
test_format (gconstpointer data)
{
  const FormatCase *fc = data;
  const GstVideoFormatInfo *finfo = gst_video_format_get_info (fc->format);
  gboolean yuv = GST_VIDEO_FORMAT_INFO_IS_YUV (finfo) ||
      GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo);
  GRand *rand = g_rand_new_with_seed (fc->format);
  const gint sizes[][2] = { {64, 48}, {61, 45} };
  const gdouble opacities[] = { 1.0, 0.6 };
  gchar *limited709 = colorimetry_string (GST_VIDEO_COLOR_RANGE_16_235,
      GST_VIDEO_COLOR_MATRIX_BT709);
  gchar *full601 = colorimetry_string (GST_VIDEO_COLOR_RANGE_0_255,
      GST_VIDEO_COLOR_MATRIX_BT601);
  gchar *limited2020 = colorimetry_string (GST_VIDEO_COLOR_RANGE_16_235,
      GST_VIDEO_COLOR_MATRIX_BT2020);
  const gchar *colorimetries[] = { limited709, full601, limited2020 };
  guint p, o, c, deep, z;

  for (z = 0; z < G_N_ELEMENTS (sizes); z++) {
    gint fw = sizes[z][0], fh = sizes[z][1];
    const gint places[][4] = {
      /* mark w, h, x, y */
      {23, 17, 5, 3},
      {23, 17, -7, -5},
      {23, 17, fw - 11, fh - 9},
      {fw + 9, fh + 7, -3, -5},
    };

    deep = z;                   /* uint8 marks in one size, uint16 in the other */
    for (p = 0; p < G_N_ELEMENTS (places); p++) {
      Mark *mark = mark_new (rand, places[p][0], places[p][1], deep);

      for (o = 0; o < G_N_ELEMENTS (opacities); o++) {
        for (c = 0; c < (yuv ? G_N_ELEMENTS (colorimetries) : 1); c++) {
          gdouble diff = run_case (rand, fc->format, fw, fh,
              yuv ? colorimetries[c] : NULL, mark, places[p][2],
              places[p][3], opacities[o]);

          g_test_message ("%s, %s mark %dx%d at (%d, %d), opacity %.1f, "
              "%s: %.3f levels", gst_video_format_to_string (fc->format),
              deep ? "uint16" : "uint8", places[p][0], places[p][1],
              places[p][2], places[p][3], opacities[o],
              yuv ? colorimetries[c] : "rgb", diff);
          g_assert_cmpfloat (diff, <=, tolerance (fc->format));
        }
      }
      mark_free (mark);
    }
  }
  g_free (limited709);
  g_free (full601);
  g_free (limited2020);
  g_rand_free (rand);
}

/* A smooth uint16 watermark, none of its values a multiple of 257, into
 * 16-bit frames at an opacity that 8 bits cannot hold (0.7 * 255 =
 * 178.5): within a quarter of an 8-bit level (64) of the exact result,
 * where reducing the watermark or the opacity to 8 bits costs up to 128. */
static void
test_precision16 (void)
{
  const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_RGBA64_LE,
    GST_VIDEO_FORMAT_Y444_16LE, GST_VIDEO_FORMAT_GRAY16_LE,
    GST_VIDEO_FORMAT_GRAY16_BE, GST_VIDEO_FORMAT_P016_LE
  };
  GRand *rand = g_rand_new_with_seed (16);
  gchar *full709 = colorimetry_string (GST_VIDEO_COLOR_RANGE_0_255,
      GST_VIDEO_COLOR_MATRIX_BT709);
  const gint w = 40, h = 30;
  Mark *mark = g_new0 (Mark, 1);
  guint16 *v16 = g_new (guint16, w * h * 4);
  guint f;
  gint i;

  mark->width = w;
  mark->height = h;
  mark->deep = TRUE;
  mark->rgba = g_new (gdouble, w * h * 4);
  for (i = 0; i < w * h * 4; i++) {
    gint px = i / 4, c = i % 4;
    guint v = (guint) (((px % w) * 1637 + (px / w) * 911 + c * 4099) % 65535);

    if (v % 257 == 0)
      v++;
    if (c == 3)
      v = 128 + (v % 65000);
    v16[i] = GUINT16_TO_LE (v);
    mark->rgba[i] = v / 65535.0;
  }
  mark->npy = npy_bytes ("<u2", w, h, v16, (gsize) w * h * 8);

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    gdouble diff = run_case (rand, formats[f], 64, 48, full709, mark, 7, 5,
        0.7);

    g_test_message ("%s: %.3f levels of 65535",
        gst_video_format_to_string (formats[f]), diff);
    g_assert_cmpfloat (diff, <=, 64.0);
  }
  mark_free (mark);
  g_free (v16);
  g_free (full709);
  g_rand_free (rand);
}

/* Runs @format with @mark scaled and tiled on a frame whose samples are
 * a pattern of 8-bit values times @mul; returns the output buffer, with
 * the caps in @info. */
static GstBuffer *
run_scaled (GstVideoFormat format, const Mark * mark, guint mul,
    GstVideoInfo * info)
{
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstCaps *caps = gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, gst_video_format_to_string (format),
      "width", G_TYPE_INT, 90, "height", G_TYPE_INT, 62,
      "framerate", GST_TYPE_FRACTION, 30, 1,
      "colorimetry", G_TYPE_STRING, "bt709", NULL);
  GstHarness *harness;
  GstBuffer *in, *out;
  GstMapInfo map;
  gint c, sx, sy;

  g_assert_true (gst_video_info_from_caps (info, caps));
  g_object_set (element, "data", mark->npy, "opacity", 0.8, "size", 0.37,
      "tile", TRUE, "tile-spacing", 3, "offset-x", 5, "offset-y", -3, NULL);
  harness = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_harness_set_caps (harness, gst_caps_ref (caps), caps);

  in = gst_buffer_new_allocate (NULL, info->size, NULL);
  gst_buffer_map (in, &map, GST_MAP_WRITE);
  for (c = 0; c < (gint) GST_VIDEO_INFO_N_COMPONENTS (info); c++)
    for (sy = 0; sy < comp_height (info, c); sy++)
      for (sx = 0; sx < comp_width (info, c); sx++)
        sample_set (info, map.data, c, sx, sy,
            (16 + (sx * 7 + sy * 3 + c * 50) % 220) * mul);
  gst_buffer_unmap (in, &map);
  out = gst_harness_push_and_pull (harness, in);
  g_assert_nonnull (out);
  gst_harness_teardown (harness);
  return out;
}

/* Scaling and tiling at 16 bits (the 16-bit canvas, a uint16 watermark)
 * against the 8-bit path on the same frame and watermark (reduced to 8
 * bits there), brought to the depth: the two differ by the 8-bit path's
 * roundings only. */
static void
test_scaled_tiled (void)
{
  const GstVideoFormat pairs[][2] = {
    {GST_VIDEO_FORMAT_RGBA64_LE, GST_VIDEO_FORMAT_RGBA},
    {GST_VIDEO_FORMAT_P010_10LE, GST_VIDEO_FORMAT_NV12},
    {GST_VIDEO_FORMAT_I422_10BE, GST_VIDEO_FORMAT_Y42B},
    {GST_VIDEO_FORMAT_Y444_16LE, GST_VIDEO_FORMAT_Y444},
  };
  GRand *rand = g_rand_new_with_seed (37);
  Mark *mark = mark_new (rand, 41, 29, TRUE);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (pairs); i++) {
    gint depth = GST_VIDEO_FORMAT_INFO_DEPTH (gst_video_format_get_info
        (pairs[i][0]), 0);
    /* 8-bit values at the depth: x 257 for RGB, x 2^(depth - 8) for
     * limited-range YUV */
    guint mul = GST_VIDEO_FORMAT_INFO_IS_RGB (gst_video_format_get_info
        (pairs[i][0])) ? 257 : 1u << (depth - 8);
    GstVideoInfo info_deep, info8;
    GstBuffer *deep = run_scaled (pairs[i][0], mark, mul, &info_deep);
    GstBuffer *b8 = run_scaled (pairs[i][1], mark, 1, &info8);
    GstMapInfo map_deep, map8;
    gdouble worst_diff = 0;
    gint c, sx, sy, changed = 0;

    gst_buffer_map (deep, &map_deep, GST_MAP_READ);
    gst_buffer_map (b8, &map8, GST_MAP_READ);
    for (c = 0; c < (gint) GST_VIDEO_INFO_N_COMPONENTS (&info8); c++) {
      for (sy = 0; sy < comp_height (&info8, c); sy++) {
        for (sx = 0; sx < comp_width (&info8, c); sx++) {
          guint d = sample_get (&info_deep, map_deep.data, c, sx, sy);
          guint e = sample_get (&info8, map8.data, c, sx, sy);
          guint orig = 16 + (sx * 7 + sy * 3 + c * 50) % 220;

          worst_diff = MAX (worst_diff, fabs (d - (gdouble) e * mul));
          changed += e != orig;
        }
      }
    }
    g_test_message ("%s against %s: %.0f levels (%d samples drawn)",
        gst_video_format_to_string (pairs[i][0]),
        gst_video_format_to_string (pairs[i][1]), worst_diff, changed);
    /* the watermark is there, and within two 8-bit levels */
    g_assert_cmpint (changed, >, 1000);
    g_assert_cmpfloat (worst_diff, <=, 2.0 * mul);
    gst_buffer_unmap (deep, &map_deep);
    gst_buffer_unmap (b8, &map8);
    gst_buffer_unref (deep);
    gst_buffer_unref (b8);
  }
  mark_free (mark);
  g_rand_free (rand);
}

/* An 8-bit watermark into a 16-bit frame is expanded exactly (v * 257):
 * an opaque pixel lands as its value times 257, no rounding at all. */
static void
test_expand8 (void)
{
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  const guint8 px[4] = { 1, 128, 254, 255 };
  GBytes *npy = npy_bytes ("|u1", 1, 1, px, 4);
  GstHarness *harness;
  GstBuffer *in, *out;
  GstMapInfo map;
  guint16 v[4];

  g_object_set (element, "data", npy, NULL);
  harness = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_harness_set_src_caps_str (harness, "video/x-raw,format=RGBA64_LE,"
      "width=2,height=2,framerate=30/1");
  in = gst_buffer_new_and_alloc (32);
  gst_buffer_memset (in, 0, 0x5a, 32);
  out = gst_harness_push_and_pull (harness, in);
  gst_buffer_map (out, &map, GST_MAP_READ);
  memcpy (v, map.data, 8);
  gst_buffer_unmap (out, &map);
  g_assert_cmpuint (GUINT16_FROM_LE (v[0]), ==, 257);
  g_assert_cmpuint (GUINT16_FROM_LE (v[1]), ==, 128 * 257);
  g_assert_cmpuint (GUINT16_FROM_LE (v[2]), ==, 254 * 257);
  g_assert_cmpuint (GUINT16_FROM_LE (v[3]), ==, 65535);
  gst_buffer_unref (out);
  gst_harness_teardown (harness);
  g_bytes_unref (npy);
}

/* P010's chroma as GStreamer's own unpack function reads it: U in the
 * first 16-bit word of each pair, V in the second. */
static void
test_p010_layout (void)
{
  const GstVideoFormatInfo *f =
      gst_video_format_get_info (GST_VIDEO_FORMAT_P010_10LE);
  GstVideoInfo info;
  guint8 *frame;
  guint16 ayuv[2 * 4];
  gpointer planes[GST_VIDEO_MAX_PLANES];

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_P010_10LE, 2, 2);
  frame = g_malloc0 (info.size);
  /* U = 0x100, V = 0x300 (10-bit), in the high bits of LE words */
  frame[info.offset[1] + 0] = (0x100 << 6) & 0xff;
  frame[info.offset[1] + 1] = (0x100 << 6) >> 8;
  frame[info.offset[1] + 2] = (0x300 << 6) & 0xff;
  frame[info.offset[1] + 3] = (0x300 << 6) >> 8;
  planes[0] = frame + info.offset[0];
  planes[1] = frame + info.offset[1];
  f->unpack_func (f, GST_VIDEO_PACK_FLAG_TRUNCATE_RANGE, ayuv,
      (const gpointer *) planes, info.stride, 0, 0, 2);
  g_assert_cmphex (ayuv[2] >> 6, ==, 0x100);
  g_assert_cmphex (ayuv[3] >> 6, ==, 0x300);
  g_free (frame);
}

/* Every format the element takes negotiates through its pad templates. */
static void
test_in_template (void)
{
  static const GstVideoFormat required[] = {
    GST_VIDEO_FORMAT_P010_10LE, GST_VIDEO_FORMAT_I420_10LE,
    GST_VIDEO_FORMAT_GRAY16_LE, GST_VIDEO_FORMAT_RGBA64_LE,
    GST_VIDEO_FORMAT_AYUV64, GST_VIDEO_FORMAT_Y41B, GST_VIDEO_FORMAT_A420
  };
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstPad *pad = gst_element_get_static_pad (element, "sink");
  GstCaps *caps = gst_pad_get_pad_template_caps (pad);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (required); i++) {
    GstCaps *one = gst_caps_new_simple ("video/x-raw", "format",
        G_TYPE_STRING, gst_video_format_to_string (required[i]), NULL);

    g_assert_true (gst_caps_can_intersect (caps, one));
    gst_caps_unref (one);
  }
  gst_caps_unref (caps);
  gst_object_unref (pad);
  gst_object_unref (element);
}

/* A watermark cut into the stretches the blend treats apart (see
 * overlay.c's runs): long transparent gaps it skips, long opaque
 * stretches it copies at full opacity, short gaps and short opaque bits
 * it blends through, partial alpha; shifted on every row so that the
 * frame's edges and the chroma blocks cut each kind somewhere. */
static Mark *
mark_new_runs (GRand * rand, gint w, gint h, gboolean deep)
{
  Mark *m = mark_new (rand, w, h, deep);
  guint max = deep ? 65535 : 255;
  guint16 *v16 = g_new (guint16, (gsize) w * h * 4);
  guint8 *v8 = g_new (guint8, (gsize) w * h * 4);
  gint x, y, k;

  for (y = 0; y < h; y++) {
    for (x = 0; x < w; x++) {
      gsize i = ((gsize) y * w + x) * 4;
      gint phase = (x + 7 * y) % 200;
      guint a;

      if (phase < 90 || (phase >= 150 && phase < 153))
        a = 0;                  /* a long gap; a short one */
      else if (phase < 140 || (phase >= 170 && phase < 172))
        a = max;                /* a long opaque stretch; a short one */
      else
        a = g_rand_int_range (rand, 0, max + 1);
      m->rgba[i + 3] = a / (gdouble) max;
      for (k = 0; k < 4; k++) {
        guint v = k == 3 ? a : (guint) (m->rgba[i + k] * max + 0.5);

        v16[i + k] = GUINT16_TO_LE (v);
        v8[i + k] = v;
      }
    }
  }
  g_bytes_unref (m->npy);
  m->npy = deep ? npy_bytes ("<u2", w, h, v16, (gsize) w * h * 8) :
      npy_bytes ("|u1", w, h, v8, (gsize) w * h * 4);
  g_free (v16);
  g_free (v8);
  return m;
}

/* Every layout (packed RGB of 3 and 4 bytes, gray, packed 4:2:2, planar
 * and semi-planar YUV, deep) with the watermark above: inside the frame,
 * clipped on the left and top, clipped on the right and bottom; at full
 * opacity (the copies) and below. */
static void
test_runs (void)
{
  const GstVideoFormat run_formats[] = {
    GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB,
    GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR,
    GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_UYVY,
    GST_VIDEO_FORMAT_AYUV, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_NV21, GST_VIDEO_FORMAT_Y444, GST_VIDEO_FORMAT_Y41B,
    GST_VIDEO_FORMAT_NV16, GST_VIDEO_FORMAT_A420,
    GST_VIDEO_FORMAT_P010_10LE, GST_VIDEO_FORMAT_I422_10BE,
    GST_VIDEO_FORMAT_GRAY16_BE, GST_VIDEO_FORMAT_RGBA64_LE,
  };
  const gint places[][2] = { {5, 3}, {-13, -5}, {37, 29} };
  const gdouble opacities[] = { 1.0, 0.6 };
  GRand *rand = g_rand_new_with_seed (24);
  guint f, p, o;

  for (f = 0; f < G_N_ELEMENTS (run_formats); f++) {
    const GstVideoFormatInfo *finfo =
        gst_video_format_get_info (run_formats[f]);
    gboolean deep = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0) > 8;
    Mark *mark = mark_new_runs (rand, 410, 40, deep);

    for (p = 0; p < G_N_ELEMENTS (places); p++) {
      for (o = 0; o < G_N_ELEMENTS (opacities); o++) {
        gdouble diff = run_case (rand, run_formats[f], 446, 62, NULL, mark,
            places[p][0], places[p][1], opacities[o]);

        g_test_message ("%s at (%d, %d), opacity %.1f: %.3f levels",
            gst_video_format_to_string (run_formats[f]), places[p][0],
            places[p][1], opacities[o], diff);
        g_assert_cmpfloat (diff, <=, tolerance (run_formats[f]));
      }
    }
    mark_free (mark);
  }
  g_rand_free (rand);
}

static const GstVideoFormat formats[] = {
  /* 8 bits */
  GST_VIDEO_FORMAT_NV16, GST_VIDEO_FORMAT_NV24, GST_VIDEO_FORMAT_Y41B,
  GST_VIDEO_FORMAT_A420, GST_VIDEO_FORMAT_VUYA,
  /* deep */
  GST_VIDEO_FORMAT_P010_10LE, GST_VIDEO_FORMAT_P010_10BE,
  GST_VIDEO_FORMAT_P012_LE, GST_VIDEO_FORMAT_P012_BE,
  GST_VIDEO_FORMAT_P016_LE, GST_VIDEO_FORMAT_P016_BE,
  GST_VIDEO_FORMAT_I420_10LE, GST_VIDEO_FORMAT_I420_10BE,
  GST_VIDEO_FORMAT_I420_12LE, GST_VIDEO_FORMAT_I420_12BE,
  GST_VIDEO_FORMAT_I422_10LE, GST_VIDEO_FORMAT_I422_10BE,
  GST_VIDEO_FORMAT_I422_12LE, GST_VIDEO_FORMAT_I422_12BE,
  GST_VIDEO_FORMAT_Y444_10LE, GST_VIDEO_FORMAT_Y444_10BE,
  GST_VIDEO_FORMAT_Y444_12LE, GST_VIDEO_FORMAT_Y444_12BE,
  GST_VIDEO_FORMAT_Y444_16LE, GST_VIDEO_FORMAT_Y444_16BE,
  GST_VIDEO_FORMAT_GRAY16_LE, GST_VIDEO_FORMAT_GRAY16_BE,
  GST_VIDEO_FORMAT_RGBA64_LE, GST_VIDEO_FORMAT_RGBA64_BE,
  GST_VIDEO_FORMAT_ARGB64, GST_VIDEO_FORMAT_ARGB64_BE,
  GST_VIDEO_FORMAT_BGRA64_LE, GST_VIDEO_FORMAT_ABGR64_BE,
  GST_VIDEO_FORMAT_AYUV64,
};

/* The pad templates' list and what the overlay prepares are one list:
 * every format, in or out of it, gets the same answer from both. */
static void
test_one_list (void)
{
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstPad *pad = gst_element_get_static_pad (element, "sink");
  GstCaps *caps = gst_pad_get_pad_template_caps (pad);
  GstCaps *sw = gst_caps_copy_nth (caps, 0);
  guint f, n = 0;

  for (f = GST_VIDEO_FORMAT_I420; f < 200; f++) {
    const gchar *name = gst_video_format_to_string (f);
    GstCaps *one;

    if (name == NULL || g_str_equal (name, "UNKNOWN"))
      continue;
    one = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, name,
        NULL);
    g_assert_true (npw_overlay_supports_format (f) ==
        gst_caps_can_intersect (sw, one));
    n += npw_overlay_supports_format (f);
    gst_caps_unref (one);
  }
  g_test_message ("%u formats", n);
  g_assert_cmpuint (n, >, 50);
  gst_caps_unref (sw);
  gst_caps_unref (caps);
  gst_object_unref (pad);
  gst_object_unref (element);
}

int
main (int argc, char **argv)
{
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  GST_ELEMENT_REGISTER (npywatermark, NULL);

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    FormatCase *fc = g_new0 (FormatCase, 1);
    gchar *name = g_strdup_printf ("/formats/%s",
        gst_video_format_to_string (formats[i]));

    fc->format = formats[i];
    g_test_add_data_func_full (name, fc, test_format, g_free);
    g_free (name);
  }
  g_test_add_func ("/formats/precision-16", test_precision16);
  g_test_add_func ("/formats/scaled-tiled", test_scaled_tiled);
  g_test_add_func ("/formats/expand-8-to-16", test_expand8);
  g_test_add_func ("/formats/in-template", test_in_template);
  g_test_add_func ("/formats/one-list", test_one_list);
  g_test_add_func ("/formats/p010-layout", test_p010_layout);
  g_test_add_func ("/formats/runs", test_runs);

  ret = g_test_run ();
  /* TAP comments: the measured precision, for the README */
  for (i = 8; i <= 16; i++)
    if (worst[i] > 0)
      g_print ("# worst difference at %u bits: %.3f levels\n", i, worst[i]);
  return ret;
}
