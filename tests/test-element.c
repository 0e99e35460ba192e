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


/* npywatermark through GstHarness: every format against the reference
 * blend in reference.c, clipping, offsets, opacity, passthrough, and
 * errors for missing and malformed files. */

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gstnpywatermark.h"
#include "npy.h"
#include "reference.h"
#include "geometry.h"
#include "test-util.h"

static gchar *tmpdir;

/* Counts what the element logs about reading and preparing. */
static gint overlays_kept, reads_started;

static void
count_skipped_reads (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *text = gst_debug_message_get (message);

  if (g_str_has_prefix (text, "overlay kept for"))
    g_atomic_int_inc (&overlays_kept);
  else if (g_str_has_prefix (text, "reading "))
    g_atomic_int_inc (&reads_started);
}


/* A harness around an element configured before it starts, as
 * gst-launch and applications do (a location set while running is read
 * in the background instead; see test-live.c). */
static GstHarness *
harness_new (const gchar * location, gdouble opacity, gint x, gint y)
{
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstHarness *h;

  g_object_set (element, "location", location, "opacity", opacity,
      "offset-x", x, "offset-y", y, NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  return h;
}

/* Writes a version 1.0 .npy with @header and @size bytes of @data. */
static gchar *
write_raw_npy (const gchar * name, const gchar * header, const guint8 * data,
    gsize size)
{
  GString *s = test_util_npy_header_dict (header);
  gchar *path = g_build_filename (tmpdir, name, NULL);
  GError *error = NULL;

  g_string_append_len (s, (const gchar *) data, size);
  g_file_set_contents (path, s->str, s->len, &error);
  g_assert_no_error (error);
  g_string_free (s, TRUE);
  return path;
}

/* Writes @image as a uint8 (H, W, 4) .npy; returns its path. */
static gchar *
write_npy (const RefImage * image, const gchar * name)
{
  gchar *header = g_strdup_printf ("{'descr': '|u1', 'fortran_order': False, "
      "'shape': (%d, %d, 4), }", image->height, image->width);
  gchar *path = write_raw_npy (name, header, image->rgba,
      (gsize) image->width * image->height * 4);

  g_free (header);
  return path;
}

/* Random pixels; alpha is 0 and 255 often, as in real watermarks. */
static RefImage *
random_image (GRand * rand, gint w, gint h)
{
  RefImage *image = g_new0 (RefImage, 1);
  gsize i;

  image->width = w;
  image->height = h;
  image->rgba = g_malloc ((gsize) w * h * 4);
  for (i = 0; i < (gsize) w * h; i++) {
    guint32 r = g_rand_int (rand);
    gint kind = g_rand_int_range (rand, 0, 4);

    image->rgba[4 * i + 0] = r;
    image->rgba[4 * i + 1] = r >> 8;
    image->rgba[4 * i + 2] = r >> 16;
    image->rgba[4 * i + 3] = kind == 0 ? 0 : kind == 1 ? 255 : r >> 24;
  }
  return image;
}

static RefImage *
flat_image (gint w, gint h, guint8 r, guint8 g, guint8 b, guint8 a)
{
  RefImage *image = g_new0 (RefImage, 1);
  gsize i;

  image->width = w;
  image->height = h;
  image->rgba = g_malloc ((gsize) w * h * 4);
  for (i = 0; i < (gsize) w * h; i++) {
    image->rgba[4 * i + 0] = r;
    image->rgba[4 * i + 1] = g;
    image->rgba[4 * i + 2] = b;
    image->rgba[4 * i + 3] = a;
  }
  return image;
}

static void
ref_image_free (RefImage * image)
{
  g_free (image->rgba);
  g_free (image);
}

static GstCaps *
make_caps (GstVideoFormat format, gint w, gint h, const gchar * colorimetry)
{
  GstCaps *caps = gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, gst_video_format_to_string (format),
      "width", G_TYPE_INT, w, "height", G_TYPE_INT, h,
      "framerate", GST_TYPE_FRACTION, 30, 1, NULL);

  if (colorimetry)
    gst_caps_set_simple (caps, "colorimetry", G_TYPE_STRING, colorimetry, NULL);
  return caps;
}

static GstBuffer *
random_frame (GRand * rand, const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = g_rand_int (rand);
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* Pushes @in through a harness set up with @caps, @path, offsets and
 * opacity, and returns the output buffer. */
static GstBuffer *
run_element (GstCaps * caps, const gchar * path, gint x, gint y,
    gdouble opacity, GstBuffer * in)
{
  GstHarness *h = harness_new (path, opacity, x, y);
  GstBuffer *out;

  gst_harness_set_caps (h, gst_caps_ref (caps), caps);
  out = gst_harness_push_and_pull (h, in);
  g_assert_nonnull (out);
  gst_harness_teardown (h);
  return out;
}

/* The element's output for @image on a random frame against the
 * reference; returns the largest difference. */
static gint
check_blend (GRand * rand, GstVideoFormat format, gint w, gint h,
    const gchar * colorimetry, const RefImage * image, gint x, gint y,
    gdouble opacity, GstBuffer ** out_buf)
{
  GstCaps *caps = make_caps (format, w, h, colorimetry);
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstMapInfo map;
  guint8 *expected;
  gchar *path = write_npy (image, "check.npy");
  gint diff;

  g_assert_true (gst_video_info_from_caps (&info, caps));
  in = random_frame (rand, &info);
  gst_buffer_map (in, &map, GST_MAP_READ);
  expected = g_memdup2 (map.data, map.size);
  gst_buffer_unmap (in, &map);
  ref_blend (&info, expected, image, x, y, opacity);

  out = run_element (caps, path, x, y, opacity, in);
  g_assert_cmpuint (gst_buffer_get_size (out), ==, info.size);
  gst_buffer_map (out, &map, GST_MAP_READ);
  diff = ref_max_diff (&info, map.data, expected);
  gst_buffer_unmap (out, &map);

  if (out_buf)
    *out_buf = out;
  else
    gst_buffer_unref (out);
  g_free (expected);
  g_free (path);
  return diff;
}

typedef struct
{
  GstVideoFormat format;
  gint tolerance;               /* 0: exact */
} FormatCase;

static const GstVideoFormat rgb_formats[] = {
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB,
  GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_RGBx, GST_VIDEO_FORMAT_BGRx,
  GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR, GST_VIDEO_FORMAT_RGB,
  GST_VIDEO_FORMAT_BGR,
};

static const GstVideoFormat yuv_formats[] = {
  GST_VIDEO_FORMAT_AYUV, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_YV12,
  GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_NV21, GST_VIDEO_FORMAT_Y42B,
  GST_VIDEO_FORMAT_Y444, GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_UYVY,
  GST_VIDEO_FORMAT_GRAY8,
};

/* Placements that exercise every clipping edge and chroma phase:
 * inside, odd offsets, negative offsets, past the right/bottom edge,
 * larger than the frame on every side, and fully outside. */
static const struct
{
  gint fw, fh, iw, ih, x, y;
} placements[] = {
  {64, 48, 20, 14, 0, 0},
  {64, 48, 21, 15, 5, 7},
  {63, 47, 19, 13, -3, -5},
  {65, 49, 30, 30, 50, 30},
  {33, 21, 80, 60, -9, -11},
  {32, 24, 17, 9, 31, 23},
  {40, 30, 16, 16, -16, 4},
  {7, 5, 3, 3, 1, 1},
  {1, 1, 4, 4, -1, -2},
};

static void
test_format (gconstpointer data)
{
  const FormatCase *fc = data;
  GRand *rand = g_rand_new_with_seed (fc->format);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (placements); i++) {
    RefImage *image = random_image (rand, placements[i].iw, placements[i].ih);
    gint diff = check_blend (rand, fc->format, placements[i].fw,
        placements[i].fh, NULL, image, placements[i].x, placements[i].y,
        1.0, NULL);

    if (diff > fc->tolerance)
      g_test_message ("placement %u: frame %dx%d, image %dx%d at %d,%d: "
          "max diff %d", i, placements[i].fw, placements[i].fh,
          placements[i].iw, placements[i].ih, placements[i].x,
          placements[i].y, diff);
    g_assert_cmpint (diff, <=, fc->tolerance);

    diff = check_blend (rand, fc->format, placements[i].fw, placements[i].fh,
        NULL, image, placements[i].x, placements[i].y, 0.37, NULL);
    g_assert_cmpint (diff, <=, fc->tolerance);
    ref_image_free (image);
  }
  g_rand_free (rand);
}

/* Buffers pass untouched (and unmapped for writing) when there is
 * nothing to draw. */
static void
assert_passthrough (const gchar * location, gdouble opacity, gint x, gint y)
{
  GstHarness *h = harness_new (location, opacity, x, y);
  GstCaps *caps = make_caps (GST_VIDEO_FORMAT_RGBA, 32, 16, NULL);
  GstVideoInfo info;
  GRand *rand = g_rand_new_with_seed (7);
  GstBuffer *in, *out;
  GstMapInfo a, b;

  gst_video_info_from_caps (&info, caps);
  gst_harness_set_caps (h, gst_caps_ref (caps), caps);
  in = random_frame (rand, &info);
  gst_buffer_ref (in);
  out = gst_harness_push_and_pull (h, in);
  /* passthrough hands on the very same buffer */
  g_assert_true (out == in);
  gst_buffer_map (in, &a, GST_MAP_READ);
  gst_buffer_map (out, &b, GST_MAP_READ);
  g_assert_cmpmem (a.data, a.size, b.data, b.size);
  gst_buffer_unmap (in, &a);
  gst_buffer_unmap (out, &b);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
  g_rand_free (rand);
}

static gchar *
opaque_white_npy (void)
{
  RefImage *image = flat_image (8, 8, 255, 255, 255, 255);
  gchar *path = write_npy (image, "white.npy");

  ref_image_free (image);
  return path;
}

static void
test_passthrough_opacity_zero (void)
{
  gchar *path = opaque_white_npy ();

  assert_passthrough (path, 0.0, 0, 0);
  g_free (path);
}

static void
test_passthrough_no_location (void)
{
  assert_passthrough (NULL, 1.0, 0, 0);
  assert_passthrough ("", 1.0, 0, 0);
}

static void
test_passthrough_outside (void)
{
  gchar *path = opaque_white_npy ();

  assert_passthrough (path, 1.0, 32, 0);
  assert_passthrough (path, 1.0, 0, 16);
  assert_passthrough (path, 1.0, -8, 0);
  assert_passthrough (path, 1.0, G_MININT, G_MAXINT);
  g_free (path);
}

/* opacity set between two buffers applies from the second on */
static void
test_opacity_change (void)
{
  gchar *path = opaque_white_npy ();
  GstHarness *h = harness_new (path, 1.0, 0, 0);
  GstCaps *caps = make_caps (GST_VIDEO_FORMAT_RGBx, 16, 8, NULL);
  const gdouble values[] = { 1.0, 0.5, 0.0, 0.25, 1.0 };
  GstVideoInfo info;
  guint i;

  gst_video_info_from_caps (&info, caps);
  gst_harness_set_caps (h, gst_caps_ref (caps), caps);

  for (i = 0; i < G_N_ELEMENTS (values); i++) {
    GstBuffer *in = gst_buffer_new_allocate (NULL, info.size, NULL), *out;
    GstMapInfo map;
    gint A = (gint) (values[i] * 255 + 0.5);

    gst_buffer_memset (in, 0, 0, info.size);
    g_object_set (h->element, "opacity", values[i], NULL);
    out = gst_harness_push_and_pull (h, in);
    gst_buffer_map (out, &map, GST_MAP_READ);
    /* white over black: every covered byte is A (red at 0,0; a pixel
     * outside the 8x8 overlay stays black) */
    g_assert_cmpint (map.data[0], ==, A);
    g_assert_cmpint (map.data[4 * 7 + 2], ==, A);
    g_assert_cmpint (map.data[4 * 8], ==, 0);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (path);
}

/* The hand-worked example of the README's formula. */
static void
test_hand_values (void)
{
  GRand *rand = g_rand_new_with_seed (1);
  RefImage *image = flat_image (1, 1, 200, 100, 0, 128);
  GstBuffer *out;
  GstMapInfo map;
  gchar *path = write_npy (image, "one.npy");
  GstCaps *caps = make_caps (GST_VIDEO_FORMAT_RGBA, 2, 1, NULL);
  GstBuffer *in = gst_buffer_new_allocate (NULL, 8, NULL);
  const guint8 frame[8] = { 10, 20, 30, 255, 1, 2, 3, 4 };

  gst_buffer_fill (in, 0, frame, 8);
  out = run_element (caps, path, 0, 0, 1.0, in);
  gst_buffer_map (out, &map, GST_MAP_READ);
  /* A = 128: (200*128 + 10*127)/255 = 105.38 -> 105;
   * (100*128 + 20*127)/255 = 60.16 -> 60; (0 + 30*127)/255 = 14.94 -> 15;
   * alpha 128 + 255*127/255 = 255 */
  g_assert_cmpint (map.data[0], ==, 105);
  g_assert_cmpint (map.data[1], ==, 60);
  g_assert_cmpint (map.data[2], ==, 15);
  g_assert_cmpint (map.data[3], ==, 255);
  g_assert_cmpmem (map.data + 4, 4, frame + 4, 4);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  ref_image_free (image);
  g_free (path);
  g_rand_free (rand);
}

/* A black frame of @size bytes (zeroed: valgrind checks every byte the
 * kernels read). */
static GstBuffer *
black_frame (gsize size)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);

  gst_buffer_memset (buf, 0, 0, size);
  return buf;
}

/* size is a fraction: a value above 1 (a percentage typed into it)
 * starts with a warning on the bus naming the value; 1 and below start
 * quietly. */
static void
test_size_above_one_warns (void)
{
  const gdouble sizes[] = { 10.0, 1.0, 0.2 };
  RefImage image = { 4, 2, (guint8 *) "\xff\0\0\xff\xff\0\0\xff"
        "\xff\0\0\xff\xff\0\0\xff\xff\0\0\xff\xff\0\0\xff"
        "\xff\0\0\xff\xff\0\0\xff"
  };
  g_autofree gchar *path = write_npy (&image, "size-warns.npy");
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    GstElement *element = gst_element_factory_make ("npywatermark", NULL);
    GstBus *bus = gst_bus_new ();
    GstMessage *msg;

    gst_element_set_bus (element, bus);
    g_object_set (element, "location", path, "size", sizes[i], NULL);
    g_assert_cmpint (gst_element_set_state (element, GST_STATE_PAUSED), !=,
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
    if (sizes[i] > 1.0) {
      GError *error = NULL;

      g_assert_nonnull (msg);
      gst_message_parse_warning (msg, &error, NULL);
      g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
      g_assert_nonnull (strstr (error->message, "size=10 "));
      g_assert_nonnull (strstr (error->message, "fraction"));
      g_error_free (error);
      gst_message_unref (msg);
    } else {
      g_assert_null (msg);
    }
    gst_element_set_state (element, GST_STATE_NULL);
    gst_element_set_bus (element, NULL);
    gst_object_unref (bus);
    gst_object_unref (element);
  }
}

/* Runs a harness whose element fails to start and returns the error. */
static GError *
start_error (const gchar * location, gchar ** debug)
{
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *error = NULL;

  gst_element_set_bus (element, bus);
  g_object_set (element, "location", location, NULL);
  /* start () runs on the way to PAUSED, and fails */
  g_assert_cmpint (gst_element_set_state (element, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &error, debug);
  gst_message_unref (msg);
  gst_element_set_state (element, GST_STATE_NULL);
  gst_element_set_bus (element, NULL);
  gst_object_unref (bus);
  gst_object_unref (element);
  return error;
}

/* A start () that failed leaves the element stopped: a location set
 * afterwards (in NULL) is only read at the next start, not in the
 * background. */
static void
test_error_then_set_location (void)
{
  gchar *missing = g_build_filename (tmpdir, "no-such.npy", NULL);
  gchar *good = opaque_white_npy ();
  gchar *debug = NULL;
  GError *error = start_error (missing, &debug);
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstBus *bus = gst_bus_new ();

  g_error_free (error);
  g_free (debug);
  gst_debug_set_threshold_for_name ("npywatermark", GST_LEVEL_DEBUG);
  gst_debug_add_log_function (count_skipped_reads, NULL, NULL);
  g_atomic_int_set (&reads_started, 0);

  gst_element_set_bus (element, bus);
  g_object_set (element, "location", missing, NULL);
  g_assert_cmpint (gst_element_set_state (element, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  g_object_set (element, "location", good, NULL);
  g_usleep (50000);
  g_assert_cmpint (g_atomic_int_get (&reads_started), ==, 0);
  /* and the next start reads it */
  g_assert_cmpint (gst_element_set_state (element, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);

  gst_element_set_state (element, GST_STATE_NULL);
  gst_debug_remove_log_function (count_skipped_reads);
  gst_debug_unset_threshold_for_name ("npywatermark");
  gst_element_set_bus (element, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (element);
  g_free (missing);
  g_free (good);
}

static void
test_error_missing (void)
{
  gchar *path = g_build_filename (tmpdir, "no-such.npy", NULL);
  gchar *debug = NULL;
  GError *error = start_error (path, &debug);

  g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
  g_error_free (error);
  g_free (debug);
  g_free (path);
}

/* Each malformed file fails start () with RESOURCE/READ, the user text
 * naming the file, the debug text carrying the reader's reason. */
static void
test_error_malformed (void)
{
  const guint8 zeros[64] = { 0 };
  const struct
  {
    const gchar *header;
    gsize size;
    const gchar *reason;
  } cases[] = {
    {"{'descr': '|O', 'fortran_order': False, 'shape': (2, 2), }", 32,
        "|O"},
    {"{'descr': '|u1', 'fortran_order': False, 'shape': (4, 4, 4), }", 10,
        "truncated"},
    {"{'descr': '|u1', 'shape': (2, 2), }", 4, "fortran_order"},
    {"{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 7), }", 28,
        "7"},
    {"[1, 2, 3]", 0, "dict"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *path = write_raw_npy ("bad.npy", cases[i].header, zeros,
        cases[i].size);
    gchar *debug = NULL;
    GError *error = start_error (path, &debug);

    g_test_message ("%s -> %s / %s", cases[i].header, error->message, debug);
    g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
    g_assert_nonnull (strstr (error->message, path));
    g_assert_nonnull (debug);
    g_assert_nonnull (strstr (debug, cases[i].reason));
    g_error_free (error);
    g_free (debug);
    g_free (path);
  }

  /* not a .npy at all */
  {
    gchar *path = g_build_filename (tmpdir, "text.npy", NULL);
    gchar *debug = NULL;
    GError *error;

    g_assert_true (g_file_set_contents (path, "hello, world\n", -1, NULL));
    error = start_error (path, &debug);
    g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
    g_assert_nonnull (strstr (error->message, path));
    g_error_free (error);
    g_free (debug);
    g_free (path);
  }
}

static void
test_caps_change (void)
{
  /* A caps change rebuilds the overlay for the new format. */
  RefImage *image = flat_image (4, 4, 255, 0, 0, 255);
  gchar *path = write_npy (image, "red.npy");
  GstHarness *h = harness_new (path, 1.0, 0, 0);
  GstVideoFormat formats[] = { GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA,
    GST_VIDEO_FORMAT_RGB
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstCaps *caps = make_caps (formats[i], 4, 4, NULL);
    GstVideoInfo info;
    GstBuffer *out;
    GstMapInfo map;
    gint r = formats[i] == GST_VIDEO_FORMAT_BGRA ? 2 : 0;

    gst_video_info_from_caps (&info, caps);
    gst_harness_set_caps (h, gst_caps_ref (caps), caps);
    out = gst_harness_push_and_pull (h, black_frame (info.size));
    gst_buffer_map (out, &map, GST_MAP_READ);
    g_assert_cmpint (map.data[r], ==, 255);
    g_assert_cmpint (map.data[2 - r], ==, 0);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  ref_image_free (image);
  g_free (path);
}

/* Random blends under each matrix and range are within 2 levels of the
 * reference; a flat opaque colour comes out exactly as the standard's
 * formula gives, and differs between matrices and between ranges. */
static const struct
{
  const gchar *colorimetry;
  gdouble kr, kb;
  gboolean full;
} colorimetries[] = {
  {"bt601", 0.299, 0.114, FALSE},
  {"bt709", 0.2126, 0.0722, FALSE},
  /* BT.2020's matrix on BT.709 primaries: "bt2020" itself also moves
   * the colours to BT.2020 primaries (test-hdr.c) */
  {"2:6:5:1", 0.2627, 0.0593, FALSE},
  {"1:4:0:0", 0.299, 0.114, TRUE},      /* full-range BT.601, as JPEG */
  {"1:3:5:1", 0.2126, 0.0722, TRUE},    /* full-range BT.709 */
};

static void
expected_yuv (guint8 r, guint8 g, guint8 b, gdouble kr, gdouble kb,
    gboolean full, gint yuv[3])
{
  gdouble ey = (kr * r + (1 - kr - kb) * g + kb * b) / 255.0;
  gdouble pb = (b / 255.0 - ey) / (2 * (1 - kb));
  gdouble pr = (r / 255.0 - ey) / (2 * (1 - kr));

  yuv[0] = (gint) ((full ? 255 * ey : 16 + 219 * ey) + 0.5);
  yuv[1] = (gint) (128 + (full ? 255 : 224) * pb + 0.5);
  yuv[2] = (gint) (128 + (full ? 255 : 224) * pr + 0.5);
}

static void
flat_yuv (GstVideoFormat format, gint w, gint h, const gchar * colorimetry,
    guint8 r, guint8 g, guint8 b, gint yuv[3])
{
  GRand *rand = g_rand_new_with_seed (3);
  RefImage *image = flat_image (w + 2, h + 2, r, g, b, 255);
  GstCaps *caps = make_caps (format, w, h, colorimetry);
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *out;
  gint x, y, c;

  gst_video_info_from_caps (&info, caps);
  gst_caps_unref (caps);
  /* odd offset: the overlay still covers the whole frame */
  check_blend (rand, format, w, h, colorimetry, image, -1, -1, 1.0, &out);
  gst_video_frame_map (&frame, &info, out, GST_MAP_READ);
  for (c = 0; c < 3; c++) {
    gint cw = GST_VIDEO_FRAME_COMP_WIDTH (&frame, c);
    gint ch = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c);
    const guint8 *data = GST_VIDEO_FRAME_COMP_DATA (&frame, c);
    gint stride = GST_VIDEO_FRAME_COMP_STRIDE (&frame, c);
    gint pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, c);

    yuv[c] = data[0];
    for (y = 0; y < ch; y++)
      for (x = 0; x < cw; x++)
        g_assert_cmpint (data[y * stride + x * pstride], ==, yuv[c]);
  }
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (out);
  ref_image_free (image);
  g_rand_free (rand);
}

static void
test_colorimetry (void)
{
  GRand *rand = g_rand_new_with_seed (11);
  const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_I420,
    GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_Y444
  };
  const guint8 colours[][3] = { {200, 100, 50}, {0, 255, 0}, {255, 255, 255},
  {0, 0, 0}, {30, 60, 240}
  };
  gint got[G_N_ELEMENTS (colorimetries)][3];
  guint i, f, k;

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    for (i = 0; i < G_N_ELEMENTS (colorimetries); i++) {
      RefImage *image = random_image (rand, 23, 17);
      gint diff = check_blend (rand, formats[f], 40, 30,
          colorimetries[i].colorimetry, image, 3, -1, 0.8, NULL);

      g_assert_cmpint (diff, <=, 2);
      ref_image_free (image);

      for (k = 0; k < G_N_ELEMENTS (colours); k++) {
        gint want[3];

        flat_yuv (formats[f], 12, 10, colorimetries[i].colorimetry,
            colours[k][0], colours[k][1], colours[k][2], got[i]);
        expected_yuv (colours[k][0], colours[k][1], colours[k][2],
            colorimetries[i].kr, colorimetries[i].kb,
            colorimetries[i].full, want);
        g_assert_cmpint (got[i][0], ==, want[0]);
        g_assert_cmpint (got[i][1], ==, want[1]);
        g_assert_cmpint (got[i][2], ==, want[2]);
      }
    }
    /* the last colour: every matrix and range gives its own values */
    g_assert_true (got[0][0] != got[1][0] || got[0][1] != got[1][1]);
    g_assert_true (got[1][0] != got[2][0] || got[1][1] != got[2][1]);
    g_assert_true (got[0][0] != got[3][0]);
    g_assert_true (got[1][0] != got[4][0]);
  }
  g_rand_free (rand);
}

/* Caps without colorimetry: GStreamer's default for the size (BT.601
 * for SD, BT.709 for HD), as videoconvert would assume. */
static void
test_default_colorimetry (void)
{
  gint sd[3], hd[3], want[3];

  flat_yuv (GST_VIDEO_FORMAT_I420, 64, 48, NULL, 30, 60, 240, sd);
  expected_yuv (30, 60, 240, 0.299, 0.114, FALSE, want);
  g_assert_cmpmem (sd, sizeof (sd), want, sizeof (want));
  flat_yuv (GST_VIDEO_FORMAT_I420, 1280, 720, NULL, 30, 60, 240, hd);
  expected_yuv (30, 60, 240, 0.2126, 0.0722, FALSE, want);
  g_assert_cmpmem (hd, sizeof (hd), want, sizeof (want));
}

/* GRAY8 takes the overlay's luma. */
static void
test_gray (void)
{
  GRand *rand = g_rand_new_with_seed (5);
  RefImage *image = flat_image (4, 4, 200, 100, 50, 255);
  GstBuffer *out;
  GstMapInfo map;
  GstVideoInfo info;
  GstCaps *caps = make_caps (GST_VIDEO_FORMAT_GRAY8, 4, 4, NULL);
  gint want[3];

  gst_video_info_from_caps (&info, caps);
  gst_caps_unref (caps);
  check_blend (rand, GST_VIDEO_FORMAT_GRAY8, 4, 4, NULL, image, 0, 0, 1.0,
      &out);
  expected_yuv (200, 100, 50, 0.299, 0.114,
      info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255, want);
  gst_buffer_map (out, &map, GST_MAP_READ);
  g_assert_cmpint (map.data[0], ==, want[0]);
  g_assert_cmpint (map.data[3], ==, want[0]);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  ref_image_free (image);
  g_rand_free (rand);
}

/* The bundled examples/watermark.npy, written by NumPy: its pixels are
 * taken straight from the file's data (a '|u1' C-order (H, W, 4) array
 * after the header), not through the reader under test. */
static RefImage *
numpy_logo (gchar ** path)
{
  const gchar *srcdir = g_getenv ("G_TEST_SRCDIR");
  RefImage *image = g_new0 (RefImage, 1);
  gchar *contents;
  gsize len, hlen;
  GError *error = NULL;

  *path = g_build_filename (srcdir ? srcdir : "tests", "..", "examples",
      "watermark.npy", NULL);
  g_file_get_contents (*path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (contents, 8, "\x93NUMPY\x01\x00", 8);
  hlen = (guint8) contents[8] | ((guint8) contents[9] << 8);
  g_assert_nonnull (g_strstr_len (contents + 10, hlen, "(100, 400, 4)"));
  g_assert_nonnull (g_strstr_len (contents + 10, hlen, "u1"));
  image->width = 400;
  image->height = 100;
  g_assert_cmpuint (len, ==, 10 + hlen + 400 * 100 * 4);
  image->rgba = g_memdup2 (contents + 10 + hlen, 400 * 100 * 4);
  g_free (contents);
  return image;
}

/* The NumPy-written logo on every format, at odd offsets. */
static void
test_numpy_logo (void)
{
  GRand *rand = g_rand_new_with_seed (9);
  gchar *path;
  RefImage *image = numpy_logo (&path);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (rgb_formats); i++)
    g_assert_cmpint (check_blend (rand, rgb_formats[i], 321, 123, NULL,
            image, -7, 3, 0.9, NULL), ==, 0);
  for (i = 0; i < G_N_ELEMENTS (yuv_formats); i++)
    g_assert_cmpint (check_blend (rand, yuv_formats[i], 321, 123, "bt709",
            image, 5, -3, 0.9, NULL), <=, 2);
  ref_image_free (image);
  g_free (path);
  g_rand_free (rand);
}

/* Parses @desc, plays it to EOS (an error fails the test naming both)
 * and returns the pipeline, still PLAYING, for the caller to inspect. */
static GstElement *
play_to_eos (const gchar * desc)
{
  GError *error = NULL;
  GstElement *pipe = gst_parse_launch (desc, &error);
  GstBus *bus;
  GstMessage *msg;

  g_assert_no_error (error);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipe);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &error, NULL);
    g_error ("%s: %s", desc, error->message);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  return pipe;
}

static void
stop_pipeline (GstElement * pipe)
{
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
}

/* Decoders and cameras connect straight to the element: the pipeline
 * runs without a converter and npywatermark sees the decoder's format. */
static void
assert_negotiates (const gchar * head, const gchar * tail,
    const gchar * want_format)
{
  gchar *logo = g_build_filename (g_getenv ("G_TEST_SRCDIR") ?
      g_getenv ("G_TEST_SRCDIR") : "tests", "..", "examples",
      "watermark.npy", NULL);
  gchar *desc = g_strdup_printf ("%s ! npywatermark name=wm location=\"%s\" "
      "! %s", head, logo, tail);
  GstElement *pipe = play_to_eos (desc);
  GstElement *wm = gst_bin_get_by_name (GST_BIN (pipe), "wm");
  GstPad *pad = gst_element_get_static_pad (wm, "sink");
  GstCaps *caps = gst_pad_get_current_caps (pad);

  g_assert_nonnull (caps);
  g_assert_cmpstr (gst_structure_get_string (gst_caps_get_structure (caps, 0),
          "format"), ==, want_format);
  gst_caps_unref (caps);
  gst_object_unref (pad);
  gst_object_unref (wm);
  stop_pipeline (pipe);
  g_free (desc);
  g_free (logo);
}

static void
test_negotiation (void)
{
  /* JPEG's sampling -> what jpegdec 1.22 outputs (its caps list I420,
   * the RGB family and GRAY8; 4:2:2 and 4:4:4 come out as I420) */
  const gchar *jpeg_formats[][2] = { {"I420", "I420"}, {"Y42B", "I420"},
  {"Y444", "I420"}, {"GRAY8", "GRAY8"}
  };
  guint i;

  if (!gst_element_factory_find ("jpegdec")) {
    g_test_skip ("jpegdec/jpegenc missing (gstreamer1.0-plugins-good)");
    return;
  }
  /* jpegdec gives what the JPEG holds */
  for (i = 0; i < G_N_ELEMENTS (jpeg_formats); i++) {
    gchar *head = g_strdup_printf ("videotestsrc num-buffers=2 ! "
        "video/x-raw,format=%s,width=160,height=120 ! jpegenc ! jpegdec",
        jpeg_formats[i][0]);

    assert_negotiates (head, "jpegenc ! fakesink", jpeg_formats[i][1]);
    g_free (head);
  }
  /* camera formats, straight into an encoder */
  assert_negotiates ("videotestsrc num-buffers=2 ! "
      "video/x-raw,format=YUY2,width=160,height=120", "jpegenc ! fakesink",
      "YUY2");
  assert_negotiates ("videotestsrc num-buffers=2 ! "
      "video/x-raw,format=NV12,width=160,height=120", "jpegenc ! fakesink",
      "NV12");
  assert_negotiates ("videotestsrc num-buffers=2 ! "
      "video/x-raw,format=UYVY,width=160,height=120", "jpegenc ! fakesink",
      "UYVY");
}

static guint8
first_red (GstHarness * h, gint w)
{
  GstBuffer *out = gst_harness_push_and_pull (h,
      black_frame ((gsize) w * w * 4));
  GstMapInfo map;
  guint8 red;

  gst_buffer_map (out, &map, GST_MAP_READ);
  red = map.data[0];
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  return red;
}

/* A pipeline reused for many pictures goes through READY between them:
 * each start reads the file as it is then (nothing is held in READY),
 * and while playing, an overlay prepared for a size seen before is found
 * in the cache. */
static void
test_reuse_across_restarts (void)
{
  RefImage *grey = flat_image (4, 4, 100, 100, 100, 255);
  RefImage *red = flat_image (5, 5, 250, 0, 0, 255);
  gchar *path = write_npy (grey, "reused.npy");
  GstHarness *h = harness_new (path, 1.0, 0, 0);

  gst_debug_set_threshold_for_name ("npywatermark", GST_LEVEL_DEBUG);
  gst_debug_add_log_function (count_skipped_reads, NULL, NULL);
  g_atomic_int_set (&overlays_kept, 0);
  gst_harness_set_caps (h, make_caps (GST_VIDEO_FORMAT_RGBA, 4, 4, NULL),
      make_caps (GST_VIDEO_FORMAT_RGBA, 4, 4, NULL));
  g_assert_cmpint (first_red (h, 4), ==, 100);

  gst_element_set_state (h->element, GST_STATE_READY);
  gst_element_set_state (h->element, GST_STATE_PLAYING);
  g_assert_cmpint (first_red (h, 4), ==, 100);

  /* another size, then the first again: found in the cache */
  gst_harness_set_caps (h, make_caps (GST_VIDEO_FORMAT_RGBA, 6, 6, NULL),
      make_caps (GST_VIDEO_FORMAT_RGBA, 6, 6, NULL));
  g_assert_cmpint (first_red (h, 6), ==, 100);
  g_assert_cmpint (g_atomic_int_get (&overlays_kept), ==, 0);
  gst_harness_set_caps (h, make_caps (GST_VIDEO_FORMAT_RGBA, 4, 4, NULL),
      make_caps (GST_VIDEO_FORMAT_RGBA, 4, 4, NULL));
  g_assert_cmpint (first_red (h, 4), ==, 100);
  g_assert_cmpint (g_atomic_int_get (&overlays_kept), ==, 1);

  /* rewritten in READY: read again */
  gst_element_set_state (h->element, GST_STATE_READY);
  g_free (write_npy (red, "reused.npy"));
  gst_element_set_state (h->element, GST_STATE_PLAYING);
  g_assert_cmpint (first_red (h, 4), ==, 250);

  gst_debug_remove_log_function (count_skipped_reads);
  gst_debug_unset_threshold_for_name ("npywatermark");
  gst_harness_teardown (h);
  ref_image_free (grey);
  ref_image_free (red);
  g_free (path);
}

/* The launch lines of the element's documentation (and README), run as
 * written but for file names and the display sink. */
static void
test_doc_launch_lines (void)
{
  gchar *logo = g_build_filename (g_getenv ("G_TEST_SRCDIR") ?
      g_getenv ("G_TEST_SRCDIR") : "tests", "..", "examples",
      "watermark.npy", NULL);
  gchar *photo = g_build_filename (tmpdir, "photo.jpg", NULL);
  gchar *out = g_build_filename (tmpdir, "out.jpg", NULL);
  gchar *lines[4];
  guint i;

  if (!gst_element_factory_find ("jpegdec")) {
    g_test_skip ("jpegdec/jpegenc missing (gstreamer1.0-plugins-good)");
    return;
  }
  lines[0] = g_strdup_printf ("videotestsrc num-buffers=1 ! "
      "video/x-raw,width=640,height=480 ! jpegenc ! filesink location=\"%s\"",
      photo);
  lines[1] = g_strdup_printf ("filesrc location=\"%s\" ! jpegdec ! "
      "npywatermark location=\"%s\" ! jpegenc quality=100 ! "
      "filesink location=\"%s\"", photo, logo, out);
  lines[2] = g_strdup_printf ("videotestsrc num-buffers=3 ! npywatermark "
      "location=\"%s\" opacity=0.5 position=bottom-right offset-x=16 "
      "offset-y=16 size=0.2 ! videoconvert ! fakesink", logo);
  lines[3] = g_strdup_printf ("videotestsrc num-buffers=3 ! npywatermark "
      "location=\"%s\" opacity=0.3 tile=true tile-spacing=40 ! fakesink", logo);
  for (i = 0; i < G_N_ELEMENTS (lines); i++) {
    stop_pipeline (play_to_eos (lines[i]));
    g_free (lines[i]);
  }
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
  g_free (logo);
  g_free (photo);
  g_free (out);
}

/* The "data" property: a .npy held in memory, used instead of location;
 * bad bytes fail start () with RESOURCE/READ and the reader's reason. */
static void
test_data_property (void)
{
  RefImage *image = flat_image (2, 2, 0, 0, 200, 255);
  gchar *path = write_npy (image, "data.npy");
  gchar *contents;
  gsize length;
  GBytes *bytes;
  GstElement *element;
  GstHarness *h;
  GstBuffer *out;
  GstMapInfo map;
  GstBus *bus;
  GstMessage *msg;
  GError *error = NULL;
  gchar *debug = NULL;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  bytes = g_bytes_new_take (contents, length);
  element = gst_element_factory_make ("npywatermark", NULL);
  /* data wins over a location that does not even exist */
  g_object_set (element, "data", bytes, "location", "/nonexistent.npy", NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_harness_set_caps (h, make_caps (GST_VIDEO_FORMAT_RGBA, 4, 4, NULL),
      make_caps (GST_VIDEO_FORMAT_RGBA, 4, 4, NULL));
  out = gst_harness_push_and_pull (h, black_frame (4 * 4 * 4));
  gst_buffer_map (out, &map, GST_MAP_READ);
  g_assert_cmpint (map.data[2], ==, 200);
  g_assert_cmpint (map.data[4 * 3 + 2], ==, 0);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  gst_object_unref (element);
  g_bytes_unref (bytes);

  element = gst_element_factory_make ("npywatermark", NULL);
  bus = gst_bus_new ();
  gst_element_set_bus (element, bus);
  bytes = g_bytes_new_static ("\x93NUMPY\x09\x00", 8);
  g_object_set (element, "data", bytes, NULL);
  g_assert_cmpint (gst_element_set_state (element, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &error, &debug);
  g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
  g_assert_nonnull (strstr (debug, "version"));
  g_error_free (error);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_state (element, GST_STATE_NULL);
  gst_element_set_bus (element, NULL);
  gst_object_unref (bus);
  gst_object_unref (element);
  g_bytes_unref (bytes);
  ref_image_free (image);
  g_free (path);
}

/* A frame carrying GstVideoCropMeta (videocrop before a sink that crops,
 * as ximagesink does) is its visible rectangle: the watermark goes at
 * that rectangle's top-left, and nothing outside it changes. */
static void
test_crop_meta (void)
{
  RefImage *blue = flat_image (20, 10, 0, 0, 255, 255);
  gchar *path = write_npy (blue, "crop.npy");
  GstHarness *h = harness_new (path, 1.0, 0, 0);
  GstBuffer *buf, *out;
  GstVideoCropMeta *crop;
  GstMapInfo map;
  gsize offset[4] = { 0, };
  gint stride[4] = { 320 * 4, };
  gsize i;

  gst_harness_set_caps (h, make_caps (GST_VIDEO_FORMAT_BGRx, 220, 140, NULL),
      make_caps (GST_VIDEO_FORMAT_BGRx, 220, 140, NULL));
  buf = gst_buffer_new_allocate (NULL, 320 * 240 * 4, NULL);
  gst_buffer_memset (buf, 0, 0x40, 320 * 240 * 4);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_BGRx, 320, 240, 1, offset, stride);
  crop = gst_buffer_add_video_crop_meta (buf);
  crop->x = 100;
  crop->y = 100;
  crop->width = 220;
  crop->height = 140;
  out = gst_harness_push_and_pull (h, buf);
  g_assert_nonnull (out);
  gst_buffer_map (out, &map, GST_MAP_READ);
  for (i = 0; i < 320 * 240; i++) {
    gsize x = i % 320, y = i / 320;
    gboolean under = x >= 100 && x < 120 && y >= 100 && y < 110;
    const guint8 want[3] = { under ? 255 : 0x40, under ? 0 : 0x40,
      under ? 0 : 0x40
    };

    if (memcmp (map.data + 4 * i, want, 3) != 0)
      g_error ("pixel %" G_GSIZE_FORMAT ",%" G_GSIZE_FORMAT " is %u,%u,%u",
          x, y, map.data[4 * i], map.data[4 * i + 1], map.data[4 * i + 2]);
  }
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  ref_image_free (blue);
  g_free (path);
}

/* ---- geometry: position, size, tiling ---- */

/* The watermark as drawn on a @fw x @fh frame, written from the
 * documented formulas (independently of gst/geometry.c and
 * gst/prepare.c): copy (i, j) at x0 + i (w + spacing), y0 + j (h +
 * spacing), with x0 = offset (left anchors), W - w - offset (right),
 * floor ((W - w) / 2) + offset (centred).  The result reaches 4 pixels
 * past the right and bottom edges, where chroma samples straddle them. */
static RefImage *
drawn_image (const RefImage * copy, gint fw, gint fh, gint position,
    gint ox, gint oy, gboolean tile, gint spacing)
{
  RefImage *d = g_new0 (RefImage, 1);
  gint col = position % 3, row = position / 3;
  gint64 x0, y0, px = copy->width + spacing, py = copy->height + spacing;
  gint X, Y;

  x0 = col == 0 ? ox : col == 2 ? (gint64) fw - copy->width - ox :
      (gint64) floor ((fw - copy->width) / 2.0) + ox;
  y0 = row == 0 ? oy : row == 2 ? (gint64) fh - copy->height - oy :
      (gint64) floor ((fh - copy->height) / 2.0) + oy;
  d->width = fw + 4;
  d->height = fh + 4;
  d->rgba = g_malloc0 ((gsize) d->width * d->height * 4);
  for (Y = 0; Y < d->height; Y++) {
    for (X = 0; X < d->width; X++) {
      gint64 u = X - x0, v = Y - y0;

      if (tile) {
        u = ((u % px) + px) % px;
        v = ((v % py) + py) % py;
      }
      if (u < 0 || v < 0 || u >= copy->width || v >= copy->height)
        continue;
      memcpy (d->rgba + ((gsize) Y * d->width + X) * 4,
          copy->rgba + ((gsize) v * copy->width + u) * 4, 4);
    }
  }
  return d;
}

typedef struct
{
  gint position;
  gdouble size;
  gboolean tile;
  gint spacing;
} GeomProps;

/* The element's output for @path with @props on a random frame. */
static GstBuffer *
run_geometry (GRand * rand, const GstVideoInfo * info, const gchar * path,
    const GeomProps * props, gint x, gint y, gdouble opacity, guint8 ** input)
{
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstHarness *h;
  GstBuffer *in, *out;
  GstMapInfo map;

  g_object_set (element, "location", path, "opacity", opacity,
      "offset-x", x, "offset-y", y, "position", props->position,
      "size", props->size, "tile", props->tile, "tile-spacing",
      props->spacing, NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_harness_set_caps (h, gst_video_info_to_caps ((GstVideoInfo *) info),
      gst_video_info_to_caps ((GstVideoInfo *) info));
  in = random_frame (rand, info);
  gst_buffer_map (in, &map, GST_MAP_READ);
  *input = g_memdup2 (map.data, map.size);
  gst_buffer_unmap (in, &map);
  out = gst_harness_push_and_pull (h, in);
  g_assert_nonnull (out);
  gst_harness_teardown (h);
  return out;
}

/* Largest difference between the element and the reference blend of
 * @drawn_copy (the copy as the reference expects it drawn) laid out by
 * the formulas. */
static gint
check_geometry (GRand * rand, GstVideoFormat format, gint fw, gint fh,
    const RefImage * image, const RefImage * drawn_copy,
    const GeomProps * props, gint x, gint y, gdouble opacity)
{
  GstCaps *caps = make_caps (format, fw, fh, NULL);
  g_autofree gchar *path = write_npy (image, "geometry.npy");
  g_autofree guint8 *expected = NULL;
  GstVideoInfo info;
  RefImage *drawn;
  GstBuffer *out;
  GstMapInfo map;
  gint diff;

  g_assert_true (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  out = run_geometry (rand, &info, path, props, x, y, opacity, &expected);
  drawn = drawn_image (drawn_copy, fw, fh, props->position, x, y,
      props->tile, props->spacing);
  ref_blend (&info, expected, drawn, 0, 0, opacity);
  gst_buffer_map (out, &map, GST_MAP_READ);
  diff = ref_max_diff (&info, map.data, expected);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  ref_image_free (drawn);
  return diff;
}

static const gint geometry_offsets[][2] = {
  {0, 0}, {7, 5}, {-6, -3}, {3, -8}, {200, 150}, {-40, 12},
};

/* Every anchor with offsets inward, outward and past the frame, on an
 * RGB format (exact) and on subsampled YUV at odd sizes (2 levels). */
static void
test_positions (void)
{
  const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_RGBA,
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_YUY2
  };
  GRand *rand = g_rand_new_with_seed (90);
  RefImage *image = random_image (rand, 31, 17);
  gint p, o;
  guint f;

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    for (p = 0; p < 9; p++) {
      for (o = 0; o < (gint) G_N_ELEMENTS (geometry_offsets); o++) {
        GeomProps props = { p, 0.0, FALSE, 0 };
        gint diff = check_geometry (rand, formats[f], 101, 77, image, image,
            &props, geometry_offsets[o][0], geometry_offsets[o][1], 0.8);

        if (diff > (f == 0 ? 0 : 2))
          g_test_message ("%s position %d offsets %d,%d: diff %d",
              gst_video_format_to_string (formats[f]), p,
              geometry_offsets[o][0], geometry_offsets[o][1], diff);
        g_assert_cmpint (diff, <=, f == 0 ? 0 : 2);
      }
    }
  }
  ref_image_free (image);
  g_rand_free (rand);
}

/* Tiles with and without spacing, partial at every edge; tiles larger
 * than the frame; a copy larger than the frame at every anchor. */
static void
test_tiles (void)
{
  const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_RGBA,
    GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV21,
    GST_VIDEO_FORMAT_UYVY, GST_VIDEO_FORMAT_AYUV
  };
  const struct
  {
    gint iw, ih, spacing, position, x, y;
    gboolean tile;
  } cases[] = {
    {13, 9, 0, 0, 0, 0, TRUE},
    {13, 9, 5, 0, 3, 7, TRUE},
    {13, 9, 4, 4, -5, 2, TRUE},
    {13, 9, 1, 8, 11, -6, TRUE},
    {1, 1, 0, 0, 0, 0, TRUE},
    {3, 2, 1, 2, 1, 1, TRUE},
    {80, 50, 10, 0, -7, -3, TRUE},      /* tiles larger than the frame */
    {50, 40, 300, 4, 0, 0, TRUE},       /* one copy, spacing past the frame */
    {150, 120, 0, 0, -9, -11, FALSE},   /* a copy larger than the frame */
    {150, 120, 0, 4, 3, 5, FALSE},
    {150, 120, 0, 8, -21, 1, FALSE},
    /* just past the bottom and the right edge of a frame of odd size:
     * only the chroma samples straddling the edge are reached */
    {13, 9, 0, 8, 0, -9, FALSE},
    {13, 9, 0, 8, -13, 0, FALSE},
  };
  GRand *rand = g_rand_new_with_seed (91);
  guint f, c;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    RefImage *image = random_image (rand, cases[c].iw, cases[c].ih);

    for (f = 0; f < G_N_ELEMENTS (formats); f++) {
      GeomProps props = { cases[c].position, 0.0, cases[c].tile,
        cases[c].spacing
      };
      gint tol = GST_VIDEO_FORMAT_INFO_IS_RGB (gst_video_format_get_info
          (formats[f])) ? 0 : 2;
      gint diff = check_geometry (rand, formats[f], 67, 45, image, image,
          &props, cases[c].x, cases[c].y, 0.9);

      if (diff > tol)
        g_test_message ("case %u %s: diff %d", c,
            gst_video_format_to_string (formats[f]), diff);
      g_assert_cmpint (diff, <=, tol);
    }
    ref_image_free (image);
  }
  g_rand_free (rand);
}

/* Counts the overlays the streaming thread prepares from the source. */
static gint overlays_prepared;

static void
count_prepares (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (g_str_has_prefix (gst_debug_message_get (message), "prepared for"))
    g_atomic_int_inc (&overlays_prepared);
}

/* Offsets that change at every frame (a scroll, a slide) with a copy
 * larger than the frame: each frame matches the reference at its own
 * offsets, and a copy within a few frames' pixels is prepared once, not
 * cut again at each frame.  The copies: wider than the frame by more
 * than a row's margin in RGBA (200x50) and in every format (480x20),
 * and one too large to keep whole (150x120), cut to each frame. */
static void
test_moving_offsets (void)
{
  const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_RGBA,
    GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_Y41B, GST_VIDEO_FORMAT_AYUV
  };
  const struct
  {
    gint iw, ih, position;
    gboolean whole;
  } cases[] = {
    {200, 50, 4, TRUE},
    {480, 20, 0, TRUE},
    {480, 20, 8, TRUE},
    {150, 120, 4, FALSE},
  };
  /* steps of 7 and 5 both ways, past both edges, and back */
  const gint steps[][2] = {
    {0, 0}, {7, 5}, {14, 10}, {21, 15}, {28, -20}, {-7, -25}, {-50, 3},
    {-57, 8}, {-64, 13}, {-120, 0}, {-240, -1}, {-230, 2}, {90, 30},
    {97, 35}, {0, 0}, {1, 1}, {3, 2},
  };
  GRand *rand = g_rand_new_with_seed (92);
  guint f, c, i;

  gst_debug_set_threshold_for_name ("npywatermark", GST_LEVEL_DEBUG);
  gst_debug_add_log_function (count_prepares, NULL, NULL);
  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    RefImage *image = random_image (rand, cases[c].iw, cases[c].ih);
    g_autofree gchar *path = write_npy (image, "moving.npy");

    for (f = 0; f < G_N_ELEMENTS (formats); f++) {
      GstCaps *caps = make_caps (formats[f], 67, 45, NULL);
      GstElement *element = gst_element_factory_make ("npywatermark", NULL);
      gint tol = GST_VIDEO_FORMAT_INFO_IS_RGB (gst_video_format_get_info
          (formats[f])) ? 0 : 2;
      GstVideoInfo info;
      GstHarness *h;

      g_assert_true (gst_video_info_from_caps (&info, caps));
      g_object_set (element, "location", path, "opacity", 0.9, "position",
          cases[c].position, NULL);
      h = gst_harness_new_with_element (element, "sink", "src");
      gst_object_unref (element);
      g_atomic_int_set (&overlays_prepared, 0);
      gst_harness_set_caps (h, gst_caps_ref (caps), caps);

      for (i = 0; i < G_N_ELEMENTS (steps); i++) {
        GstBuffer *in = random_frame (rand, &info), *out;
        g_autofree guint8 *expected = NULL;
        RefImage *drawn;
        GstMapInfo map;
        gint diff;

        g_object_set (h->element, "offset-x", steps[i][0], "offset-y",
            steps[i][1], NULL);
        gst_buffer_map (in, &map, GST_MAP_READ);
        expected = g_memdup2 (map.data, map.size);
        gst_buffer_unmap (in, &map);
        out = gst_harness_push_and_pull (h, in);
        drawn = drawn_image (image, 67, 45, cases[c].position, steps[i][0],
            steps[i][1], FALSE, 0);
        ref_blend (&info, expected, drawn, 0, 0, 0.9);
        gst_buffer_map (out, &map, GST_MAP_READ);
        diff = ref_max_diff (&info, map.data, expected);
        gst_buffer_unmap (out, &map);
        if (diff > tol)
          g_test_message ("%dx%d on %s, frame %u at %d,%d: diff %d",
              cases[c].iw, cases[c].ih,
              gst_video_format_to_string (formats[f]), i, steps[i][0],
              steps[i][1], diff);
        g_assert_cmpint (diff, <=, tol);
        gst_buffer_unref (out);
        ref_image_free (drawn);
      }
      /* kept whole: prepared for the first frame only */
      if (cases[c].whole)
        g_assert_cmpint (g_atomic_int_get (&overlays_prepared), ==, 1);
      gst_harness_teardown (h);
    }
    ref_image_free (image);
  }
  gst_debug_remove_log_function (count_prepares);
  gst_debug_unset_threshold_for_name ("npywatermark");
  g_rand_free (rand);
}

/* An element with @path centred at these offsets, opacity 0.8, set
 * before it starts (a change while it runs takes effect a few frames
 * later). */
static GstHarness *
centred_harness (const gchar * path, gint x, gint y)
{
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstHarness *h;

  g_object_set (element, "location", path, "opacity", 0.8, "offset-x", x,
      "offset-y", y, "position", 4, NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  return h;
}

/* Deep formats, where the reference above does not reach: with offsets
 * moving, each frame equals what a new element, started at that frame's
 * offsets, draws on the same input (the views a scroll blends from are
 * cut at other columns than a new element's, the rows' runs with them). */
static void
test_moving_offsets_deep (void)
{
  const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_P010_10LE,
    GST_VIDEO_FORMAT_I420_10LE, GST_VIDEO_FORMAT_Y444_16BE,
    GST_VIDEO_FORMAT_RGBA64_LE, GST_VIDEO_FORMAT_AYUV64
  };
  const gint steps[][2] = {
    {0, 0}, {7, 5}, {14, 10}, {-60, -3}, {-67, 2}, {-120, 0}, {-240, -1},
    {-233, 2}, {90, 30}, {97, 35}, {1, 1},
  };
  GRand *rand = g_rand_new_with_seed (93);
  RefImage *image = random_image (rand, 480, 20);
  g_autofree gchar *path = write_npy (image, "moving-deep.npy");
  guint f, i;

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstCaps *caps = make_caps (formats[f], 67, 45, NULL);
    GstVideoInfo info;
    GstHarness *h;

    g_assert_true (gst_video_info_from_caps (&info, caps));
    h = centred_harness (path, 0, 0);
    gst_harness_set_caps (h, gst_caps_ref (caps), gst_caps_ref (caps));
    for (i = 0; i < G_N_ELEMENTS (steps); i++) {
      GstBuffer *in = random_frame (rand, &info), *out, *want;
      GstHarness *fresh = centred_harness (path, steps[i][0], steps[i][1]);
      GstMapInfo a, b;

      gst_harness_set_caps (fresh, gst_caps_ref (caps), gst_caps_ref (caps));
      g_object_set (h->element, "offset-x", steps[i][0], "offset-y",
          steps[i][1], NULL);
      want = gst_harness_push_and_pull (fresh, gst_buffer_copy_deep (in));
      out = gst_harness_push_and_pull (h, in);
      gst_buffer_map (out, &a, GST_MAP_READ);
      gst_buffer_map (want, &b, GST_MAP_READ);
      if (memcmp (a.data, b.data, a.size) != 0)
        g_test_message ("%s frame %u at %d,%d differs",
            gst_video_format_to_string (formats[f]), i, steps[i][0],
            steps[i][1]);
      g_assert_cmpmem (a.data, a.size, b.data, b.size);
      gst_buffer_unmap (out, &a);
      gst_buffer_unmap (want, &b);
      gst_buffer_unref (out);
      gst_buffer_unref (want);
      gst_harness_teardown (fresh);
    }
    gst_harness_teardown (h);
    gst_caps_unref (caps);
  }
  ref_image_free (image);
  g_rand_free (rand);
}

/* The red footprint of an opaque red watermark on a black frame. */
static void
red_footprint (gint fw, gint fh, const RefImage * image,
    const GeomProps * props, gint * x0, gint * y0, gint * w, gint * h)
{
  GRand *rand = g_rand_new_with_seed (1);
  g_autofree gchar *path = write_npy (image, "footprint.npy");
  g_autofree guint8 *input = NULL;
  GstCaps *caps = make_caps (GST_VIDEO_FORMAT_RGBA, fw, fh, NULL);
  GstVideoInfo info;
  GstBuffer *out;
  GstMapInfo map;
  gint x, y, x1 = -1, y1 = -1;

  g_assert_true (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  out = run_geometry (rand, &info, path, props, 0, 0, 1.0, &input);
  *x0 = fw;
  *y0 = fh;
  gst_buffer_map (out, &map, GST_MAP_READ);
  for (y = 0; y < fh; y++)
    for (x = 0; x < fw; x++)
      if (!memcmp (map.data + (gsize) y * fw * 4 + x * 4, "\xfa\0\0", 3)
          && memcmp (input + (gsize) y * fw * 4 + x * 4, "\xfa\0\0", 3)) {
        *x0 = MIN (*x0, x);
        *y0 = MIN (*y0, y);
        x1 = MAX (x1, x);
        y1 = MAX (y1, y);
      }
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  g_rand_free (rand);
  *w = x1 - *x0 + 1;
  *h = y1 - *y0 + 1;
}

/* The issue's own figures: size=0.25 puts a 400x100 logo at 480x120 on
 * 1920x1080 and at 270x68 on a portrait 1080x1920; bottom-right with
 * offsets lands where W - w - offset says. */
static void
test_size_hand_values (void)
{
  RefImage *logo = flat_image (400, 100, 250, 0, 0, 255);
  GeomProps props = { 0, 0.25, FALSE, 0 };
  gint x, y, w, h;

  red_footprint (1920, 1080, logo, &props, &x, &y, &w, &h);
  g_assert_cmpint (x, ==, 0);
  g_assert_cmpint (y, ==, 0);
  g_assert_cmpint (w, ==, 480);
  g_assert_cmpint (h, ==, 120);
  red_footprint (1080, 1920, logo, &props, &x, &y, &w, &h);
  g_assert_cmpint (w, ==, 270);
  g_assert_cmpint (h, ==, 68);
  props.position = 8;
  red_footprint (1080, 1920, logo, &props, &x, &y, &w, &h);
  g_assert_cmpint (x, ==, 1080 - 270);
  g_assert_cmpint (y, ==, 1920 - 68);
  props.position = 4;
  red_footprint (1081, 1921, logo, &props, &x, &y, &w, &h);
  g_assert_cmpint (x, ==, (1081 - 270) / 2);
  g_assert_cmpint (y, ==, (1921 - 68) / 2);
  ref_image_free (logo);
}

/* A smooth watermark with soft, partly transparent edges, as logos are. */
static RefImage *
soft_image (GRand * rand, gint w, gint h)
{
  RefImage *image = g_new0 (RefImage, 1);
  gint x, y;

  image->width = w;
  image->height = h;
  image->rgba = g_malloc ((gsize) w * h * 4);
  for (y = 0; y < h; y++) {
    for (x = 0; x < w; x++) {
      guint8 *p = image->rgba + ((gsize) y * w + x) * 4;
      gdouble dx = (x + 0.5) / w - 0.5, dy = (y + 0.5) / h - 0.5;
      gdouble r = sqrt (dx * dx + dy * dy);

      p[0] = (guint8) (255 * x / MAX (1, w - 1));
      p[1] = (guint8) (255 * y / MAX (1, h - 1));
      p[2] = (x / 4 + y / 4) % 2 ? 230 : 20;
      p[3] = r < 0.3 ? 255 : r > 0.5 ? 0 : (guint8) (255 * (0.5 - r) / 0.2);
    }
  }
  return image;
}

/* Resizes @image to @w x @h with Pillow (premultiplied "RGBa", bicubic),
 * a resampler written separately from gst/scale.c. */
static RefImage *
pillow_resize (const RefImage * image, gint w, gint h)
{
  const gchar *python = g_getenv ("NPY_TEST_PYTHON");
  g_autofree gchar *in = write_npy (image, "resize-in.npy");
  g_autofree gchar *out = g_build_filename (tmpdir, "resize-out.npy", NULL);
  g_autofree gchar *script = g_strdup_printf ("import numpy, sys\n"
      "from PIL import Image\n"
      "a = numpy.load(sys.argv[1])\n"
      "im = Image.fromarray(a, 'RGBA').convert('RGBa')\n"
      "im = im.resize((%d, %d), Image.BICUBIC, reducing_gap=2.0)"
      ".convert('RGBA')\n"
      "numpy.save(sys.argv[2], numpy.ascontiguousarray(numpy.asarray(im)))\n",
      w, h);
  const gchar *argv[] = { python, "-c", script, in, out, NULL };
  g_autoptr (GError) error = NULL;
  NpyImage *npy;
  RefImage *r;
  gint status;

  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL, 0, NULL, NULL,
          NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  npy = npy_image_new_from_file (out, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (npy->width, ==, w);
  g_assert_cmpint (npy->height, ==, h);
  r = g_new0 (RefImage, 1);
  r->width = w;
  r->height = h;
  r->rgba = g_memdup2 (npy->rgba, (gsize) w * h * 4);
  npy_image_free (npy);
  return r;
}

/* Scaling down (averaging) and up (interpolating) against Pillow's
 * resize of the premultiplied image (with the same reducing_gap): the
 * blended frames agree within 3 levels (Pillow keeps premultiplied colour
 * in 8 bits). */
static void
test_scaling (void)
{
  const struct
  {
    gint iw, ih, fw, fh;
    gdouble size;
    gint position;
    gboolean tile;
  } cases[] = {
    {300, 200, 320, 240, 0.2, 0, FALSE},        /* down 4.7x: 64x43 */
    {300, 200, 321, 241, 0.5, 8, FALSE},        /* down 1.9x */
    {40, 30, 320, 240, 0.5, 4, FALSE},  /* up 4x */
    {37, 23, 200, 150, 0.3, 0, TRUE},   /* up, tiled */
    {600, 400, 160, 120, 1.5, 4, FALSE},        /* larger than the frame */
  };
  const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_RGBA,
    GST_VIDEO_FORMAT_I420
  };
  GRand *rand = g_rand_new_with_seed (92);
  guint c, f;

  if (!g_getenv ("NPY_TEST_PYTHON") || !*g_getenv ("NPY_TEST_PYTHON")) {
    g_test_skip ("no python3 for the Pillow reference");
    return;
  }
  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    RefImage *image = soft_image (rand, cases[c].iw, cases[c].ih);
    gdouble s = MIN (cases[c].size * cases[c].fw / cases[c].iw,
        cases[c].size * cases[c].fh / cases[c].ih);
    gint w = MAX (1, (gint) floor (cases[c].iw * s + 0.5));
    gint h = MAX (1, (gint) floor (cases[c].ih * s + 0.5));
    RefImage *pil = pillow_resize (image, w, h);

    for (f = 0; f < G_N_ELEMENTS (formats); f++) {
      GeomProps props = { cases[c].position, cases[c].size, cases[c].tile, 3 };
      gint diff = check_geometry (rand, formats[f], cases[c].fw,
          cases[c].fh, image, pil, &props, 5, 3, 1.0);

      g_test_message ("scale case %u (%dx%d -> %dx%d) %s: max diff %d", c,
          cases[c].iw, cases[c].ih, w, h,
          gst_video_format_to_string (formats[f]), diff);
      g_assert_cmpint (diff, <=, 3);
    }
    ref_image_free (pil);
    ref_image_free (image);
  }
  g_rand_free (rand);
}

/* The tile walk (geometry.c) against a count of every copy k in a wide
 * range, done by hand: copies at origin + k * period (once when period is
 * 0) that overlap [0, extent), and the part of each on it. */
static void
test_tile_walk (void)
{
  gint64 origin, period, extent;
  gint len;

  for (origin = -40; origin <= 40; origin++)
    for (len = 1; len <= 9; len++)
      for (period = 0; period <= len + 4; period += (period ? 1 : len))
        for (extent = 1; extent <= 17; extent++) {
          gint64 first = 0, n = 0, got_n, got_first, k, lo, hi;

          for (k = -200; k <= 200; k++) {
            gint64 pos = origin + k * period;

            if ((period == 0 && k != 0) || pos >= extent || pos + len <= 0)
              continue;
            if (n == 0)
              first = pos;
            n++;
            npw_geometry_clip (pos, len, extent, &lo, &hi);
            g_assert_cmpint (lo, ==, MAX (0, -pos));
            g_assert_cmpint (hi, ==, MIN (len, extent - pos));
          }
          got_first = npw_geometry_copies (origin, len, period, extent, &got_n);
          g_assert_cmpint (got_n, ==, n);
          if (n > 0)
            g_assert_cmpint (got_first, ==, first);
        }
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  GST_ELEMENT_REGISTER (npywatermark, NULL);

  tmpdir = g_dir_make_tmp ("test-element-XXXXXX", &error);
  g_assert_no_error (error);

  for (i = 0; i < G_N_ELEMENTS (rgb_formats); i++) {
    FormatCase *fc = g_new0 (FormatCase, 1);
    gchar *name = g_strdup_printf ("/element/rgb/%s",
        gst_video_format_to_string (rgb_formats[i]));

    fc->format = rgb_formats[i];
    fc->tolerance = 0;
    g_test_add_data_func_full (name, fc, test_format, g_free);
    g_free (name);
  }
  for (i = 0; i < G_N_ELEMENTS (yuv_formats); i++) {
    FormatCase *fc = g_new0 (FormatCase, 1);
    gchar *name = g_strdup_printf ("/element/yuv/%s",
        gst_video_format_to_string (yuv_formats[i]));

    fc->format = yuv_formats[i];
    fc->tolerance = 2;
    g_test_add_data_func_full (name, fc, test_format, g_free);
    g_free (name);
  }
  g_test_add_func ("/element/hand-values", test_hand_values);
  g_test_add_func ("/element/crop-meta", test_crop_meta);
  g_test_add_func ("/element/geometry/positions", test_positions);
  g_test_add_func ("/element/geometry/tile-walk", test_tile_walk);
  g_test_add_func ("/element/geometry/tiles", test_tiles);
  g_test_add_func ("/element/geometry/moving-offsets", test_moving_offsets);
  g_test_add_func ("/element/geometry/moving-offsets-deep",
      test_moving_offsets_deep);
  g_test_add_func ("/element/geometry/size-hand-values", test_size_hand_values);
  g_test_add_func ("/element/geometry/size-above-one-warns",
      test_size_above_one_warns);
  g_test_add_func ("/element/geometry/scaling", test_scaling);
  g_test_add_func ("/element/numpy-logo", test_numpy_logo);
  g_test_add_func ("/element/negotiation", test_negotiation);
  g_test_add_func ("/element/doc-launch-lines", test_doc_launch_lines);
  g_test_add_func ("/element/yuv/colorimetry", test_colorimetry);
  g_test_add_func ("/element/yuv/default-colorimetry",
      test_default_colorimetry);
  g_test_add_func ("/element/yuv/gray-luma", test_gray);
  g_test_add_func ("/element/passthrough/opacity-zero",
      test_passthrough_opacity_zero);
  g_test_add_func ("/element/passthrough/no-location",
      test_passthrough_no_location);
  g_test_add_func ("/element/passthrough/outside", test_passthrough_outside);
  g_test_add_func ("/element/opacity/change", test_opacity_change);
  g_test_add_func ("/element/caps-change", test_caps_change);
  g_test_add_func ("/element/data-property", test_data_property);
  g_test_add_func ("/element/reuse-across-restarts",
      test_reuse_across_restarts);
  g_test_add_func ("/element/error/missing", test_error_missing);
  g_test_add_func ("/element/error/malformed", test_error_malformed);
  g_test_add_func ("/element/error/then-set-location",
      test_error_then_set_location);

  ret = g_test_run ();

  {
    GDir *dir = g_dir_open (tmpdir, 0, NULL);
    const gchar *name;
    while (dir && (name = g_dir_read_name (dir))) {
      gchar *p = g_build_filename (tmpdir, name, NULL);
      g_unlink (p);
      g_free (p);
    }
    if (dir)
      g_dir_close (dir);
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return ret;
}
