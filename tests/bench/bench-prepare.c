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


/* bench-prepare: what preparing the overlay costs, and what it keeps.
 *
 * For each case (a watermark, a geometry, frames of a format and size)
 * a fresh process starts the element, then prints:
 * - first: milliseconds on the streaming thread from the caps to the
 *   first blended frame (set_info prepares the overlay there);
 * - frame: the median blend of a frame afterwards;
 * - resize: the caps change to 1280x720 (a new size: prepared again);
 * - peak: the process's peak RSS over what it held before the element
 *   started (reading the file included), beside the size of the .npy's
 *   RGBA array: what preparing adds is the difference.
 *
 *   bench-prepare [-n FRAMES] */

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gstnpywatermark.h"
#include "test-util.h"

typedef struct
{
  const gchar *name;
  gint w, h;                    /* the watermark */
  const gchar *format;
  gdouble size;
  gboolean tile;
  const gchar *colorimetry;     /* NULL: the format's default */
} Case;

static const Case cases[] = {
  {"logo", 400, 100, "I420", 0, FALSE},
  {"full-frame", 1920, 1080, "I420", 0, FALSE},
  {"full-frame", 1920, 1080, "NV12", 0, FALSE},
  {"full-frame", 1920, 1080, "RGBA", 0, FALSE},
  /* larger than the frame, cut to it: the batch's big watermark */
  {"2600x1300 cut", 2600, 1300, "I420", 0, FALSE},
  {"logo tiled", 400, 100, "I420", 0, TRUE},
  {"logo tiled", 400, 100, "RGBA", 0, TRUE},
  {"8000x6000", 8000, 6000, "I420", 0, FALSE},
  {"8000x6000 size=0.25", 8000, 6000, "I420", 0.25, FALSE},
  {"16000x16000", 16000, 16000, "I420", 0, FALSE},
  /* deep frames: a 16-bit canvas and 16-bit planes */
  {"logo", 400, 100, "P010_10LE", 0, FALSE},
  {"full-frame", 1920, 1080, "P010_10LE", 0, FALSE},
  {"full-frame", 1920, 1080, "I420_10LE", 0, FALSE},
  {"logo tiled", 400, 100, "P010_10LE", 0, TRUE},
  {"8000x6000 size=0.25", 8000, 6000, "P010_10LE", 0.25, FALSE},
  /* HDR10: the colours converted once per prepare (gst/colour.c) */
  {"logo bt2100-pq", 400, 100, "P010_10LE", 0, FALSE, "bt2100-pq"},
  {"full-frame bt2100-pq", 1920, 1080, "P010_10LE", 0, FALSE, "bt2100-pq"},
  {"tiled bt2100-pq", 400, 100, "P010_10LE", 0, TRUE, "bt2100-pq"},
};

static gint n_frames = 60;

static gdouble
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static gsize
vm_hwm_kb (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "\nVmHWM:");
  return line ? g_ascii_strtoull (line + 7, NULL, 10) : 0;
}

/* A (h, w, 4) uint8 .npy of a soft-edged disc pattern, written row by
 * row so that making it costs no more than a row of memory. */
static gchar *
write_watermark (const gchar * dir, gint w, gint h)
{
  gchar *path = g_strdup_printf ("%s/wm-%dx%d.npy", dir, w, h);
  g_autofree gchar *shape = g_strdup_printf ("(%d, %d, 4)", h, w);
  g_autofree guint8 *row = g_malloc ((gsize) w * 4);
  GString *header;
  FILE *f;
  gint x, y;

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return path;
  f = g_fopen (path, "wb");
  g_assert_nonnull (f);
  header = test_util_npy_header ("|u1", shape);
  fwrite (header->str, 1, header->len, f);
  g_string_free (header, TRUE);
  for (y = 0; y < h; y++) {
    for (x = 0; x < w; x++) {
      guint8 *p = row + (gsize) x * 4;
      gint cx = x % 200 - 100, cy = y % 200 - 100;
      gint r2 = cx * cx + cy * cy;

      p[0] = x;
      p[1] = y;
      p[2] = x ^ y;
      p[3] = r2 < 6400 ? 255 : r2 > 10000 ? 0 : (10000 - r2) * 255 / 3600;
    }
    fwrite (row, 1, (gsize) w * 4, f);
  }
  g_assert_cmpint (fclose (f), ==, 0);
  return path;
}

static GstCaps *
caps_for (const gchar * format, const gchar * colorimetry, gint w, gint h)
{
  GstCaps *caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      format, "width", G_TYPE_INT, w, "height", G_TYPE_INT, h, "framerate",
      GST_TYPE_FRACTION, 30, 1, NULL);

  if (colorimetry)
    gst_caps_set_simple (caps, "colorimetry", G_TYPE_STRING, colorimetry, NULL);
  return caps;
}

static GstBuffer *
frame_for (GstCaps * caps)
{
  GstVideoInfo info;
  GstBuffer *buf;

  gst_video_info_from_caps (&info, caps);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_buffer_memset (buf, 0, 0x80, info.size);
  return buf;
}

/* Pushes one frame; returns milliseconds spent. */
static gdouble
push_one (GstHarness * h, GstBuffer * buf)
{
  gdouble t0 = now_ms (), t;
  GstBuffer *out;

  out = gst_harness_push_and_pull (h, gst_buffer_ref (buf));
  t = now_ms () - t0;
  g_assert_nonnull (out);
  gst_buffer_unref (out);
  return t;
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static void
run_case (const Case * c, const gchar * path)
{
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstCaps *caps = caps_for (c->format, c->colorimetry, 1920, 1080);
  GstCaps *small = caps_for (c->format, c->colorimetry, 1280, 720);
  GstBuffer *buf = frame_for (caps), *buf_small = frame_for (small);
  gdouble t0, first, resize, *times = g_new (gdouble, n_frames);
  gsize before;
  GstHarness *h;
  gint i;

  g_object_set (element, "location", path, "opacity", 0.7, "position", 8,
      "offset-x", 24, "offset-y", 24, "size", c->size, "tile", c->tile,
      "tile-spacing", c->tile ? 40 : 0, NULL);
  before = vm_hwm_kb ();
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  /* the file is read in start (), before the caps: not counted here */
  gst_harness_play (h);

  t0 = now_ms ();
  gst_harness_set_caps (h, gst_caps_ref (caps), gst_caps_ref (caps));
  push_one (h, buf);
  first = now_ms () - t0;
  for (i = 0; i < n_frames; i++)
    times[i] = push_one (h, buf);
  qsort (times, n_frames, sizeof (gdouble), cmp_double);
  t0 = now_ms ();
  gst_harness_set_caps (h, gst_caps_ref (small), gst_caps_ref (small));
  push_one (h, buf_small);
  resize = now_ms () - t0;

  printf ("%-22s %-5s %9.1f %9.2f %9.1f %9.0f %9.0f\n", c->name, c->format,
      first, times[n_frames / 2], resize,
      (vm_hwm_kb () - before) / 1024.0, (gdouble) c->w * c->h * 4 / 1048576);

  gst_harness_teardown (h);
  gst_buffer_unref (buf);
  gst_buffer_unref (buf_small);
  gst_caps_unref (caps);
  gst_caps_unref (small);
  g_free (times);
}

int
main (int argc, char **argv)
{
  gint one = -1;
  GOptionEntry entries[] = {
    {"frames", 'n', 0, G_OPTION_ARG_INT, &n_frames, "Frames per case", "N"},
    {"case", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &one, NULL, NULL},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = NULL;
  guint i;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("bench-prepare: %s\n", error->message);
    return 2;
  }
  gst_init (NULL, NULL);
  GST_ELEMENT_REGISTER (npywatermark, NULL);
  dir = g_build_filename (g_get_tmp_dir (), "bench-prepare", NULL);
  g_mkdir_with_parents (dir, 0700);

  if (one >= 0) {
    g_autofree gchar *path = write_watermark (dir, cases[one].w,
        cases[one].h);

    run_case (&cases[one], path);
    return 0;
  }

  printf ("1080p frames, position=bottom-right, opacity 0.7; ms on the "
      "streaming thread, MiB\n");
  printf ("%-22s %-5s %9s %9s %9s %9s %9s\n", "watermark", "fmt", "first",
      "frame", "resize", "peak", "npy RGBA");
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path = write_watermark (dir, cases[i].w, cases[i].h);
    g_autofree gchar *arg = g_strdup_printf ("--case=%u", i);
    g_autofree gchar *frames = g_strdup_printf ("--frames=%d", n_frames);
    const gchar *child[] = { argv[0], arg, frames, NULL };
    gint status;

    fflush (stdout);
    /* a process each, so that each peak is its own */
    if (!g_spawn_sync (NULL, (gchar **) child, NULL, G_SPAWN_DEFAULT, NULL,
            NULL, NULL, NULL, &status, &error)) {
      g_printerr ("bench-prepare: %s\n", error->message);
      return 1;
    }
  }
  return 0;
}
