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

/* bench-decode: the batch's decode stage, stock and ours, in one run.
 *
 * Decodes every JPEG of a folder (default: bench-batch's photos) as
 * npy-watermark did before, whole with jpegdec (appsrc ! jpegdec
 * idct-method=islow ! fakesink, the pipeline reused with READY between
 * pictures), and as it does now, at N/8 of its size with
 * src/jpegscaled.c for an output HEIGHT lines high, and prints the CPU
 * seconds of each (user + system of the process, best of REPEAT) and
 * the scales chosen.  The photos should carry no EXIF orientation.
 *
 *   bench-decode [FOLDER [HEIGHT [REPEAT]]] */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>

#include "jpegscaled.h"
#include "log.h"

GST_DEBUG_CATEGORY (batch_debug);

typedef struct
{
  GBytes *data;
  guint width, height;
} Photo;

static gdouble
cpu_seconds (void)
{
  struct rusage u;

  getrusage (RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
      u.ru_stime.tv_usec / 1e6;
}

/* Width and height from the first SOF marker; FALSE if none. */
static gboolean
jpeg_size (const guint8 * d, gsize n, guint * w, guint * h)
{
  gsize i = 2;

  while (i + 9 < n && d[i] == 0xff) {
    guint marker = d[i + 1], length = (d[i + 2] << 8) | d[i + 3];

    if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8
        && marker != 0xcc) {
      *h = (d[i + 5] << 8) | d[i + 6];
      *w = (d[i + 7] << 8) | d[i + 8];
      return TRUE;
    }
    i += 2 + length;
  }
  return FALSE;
}

static gdouble
run_jpegdec (GArray * photos)
{
  GstElement *pipeline = gst_parse_launch ("appsrc name=src format=time "
      "caps=image/jpeg,parsed=true ! jpegdec idct-method=islow ! "
      "fakesink sync=false", NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstBus *bus = gst_element_get_bus (pipeline);
  gdouble t0 = cpu_seconds (), t;
  guint i;

  for (i = 0; i < photos->len; i++) {
    Photo *p = &g_array_index (photos, Photo, i);
    GstBuffer *buffer = gst_buffer_new_wrapped_bytes (p->data);
    GstMessage *msg;

    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    GST_BUFFER_PTS (buffer) = 0;
    gst_app_src_push_buffer (GST_APP_SRC (src), buffer);
    gst_app_src_end_of_stream (GST_APP_SRC (src));
    msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      g_error ("bench-decode: jpegdec failed on photo %u", i);
    gst_message_unref (msg);
    gst_element_set_state (pipeline, GST_STATE_READY);
  }
  t = cpu_seconds () - t0;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  return t;
}

static gdouble
run_scaled (GArray * photos, guint height, guint * counts)
{
  gdouble t0 = cpu_seconds ();
  guint i;

  for (i = 0; i < photos->len; i++) {
    Photo *p = &g_array_index (photos, Photo, i);
    guint eighths = batch_jpeg_scaled_eighths (p->height, height);
    GstBuffer *frame;
    GstVideoInfo info;
    gsize size;
    const guint8 *data = g_bytes_get_data (p->data, &size);

    /* 8/8: the batch gives it to jpegdec, which decodes as this does */
    frame = batch_jpeg_scaled_decode (data, size, eighths, &info);
    if (frame == NULL)
      g_error ("bench-decode: photo %u is not a JPEG jpegscaled.c takes "
          "(YCbCr 4:2:0 or gray)", i);
    counts[eighths]++;
    gst_buffer_unref (frame);
  }
  return cpu_seconds () - t0;
}

int
main (int argc, char **argv)
{
  const gchar *folder = argc > 1 ? argv[1] : "/tmp/npw-bench/photos";
  guint height = argc > 2 ? atoi (argv[2]) : 1080;
  gint repeat = argc > 3 ? atoi (argv[3]) : 3, r;
  g_autoptr (GArray) photos = g_array_new (FALSE, FALSE, sizeof (Photo));
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gdouble best_dec = G_MAXDOUBLE, best_scaled = G_MAXDOUBLE;
  guint counts[9] = { 0, }, i, n;
  gdouble mpix = 0;
  const gchar *name;

  gst_init (&argc, &argv);
  GST_DEBUG_CATEGORY_INIT (batch_debug, "npy-watermark", 0, "bench");
  dir = g_dir_open (folder, 0, NULL);
  if (dir == NULL)
    g_error ("bench-decode: cannot read %s (run tests/bench/bench-batch "
        "once to make its photos)", folder);
  while ((name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, ".jpg") || g_str_has_suffix (name, ".jpeg"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (i = 0; i < names->len; i++) {
    g_autofree gchar *path = g_build_filename (folder, names->pdata[i], NULL);
    gchar *contents;
    gsize length;
    Photo p;

    if (!g_file_get_contents (path, &contents, &length, NULL)
        || !jpeg_size ((const guint8 *) contents, length, &p.width, &p.height))
      g_error ("bench-decode: cannot read %s", path);
    p.data = g_bytes_new_take (contents, length);
    mpix += p.width * (gdouble) p.height / 1e6;
    g_array_append_val (photos, p);
  }

  for (r = 0; r < repeat; r++) {
    memset (counts, 0, sizeof (counts));
    best_dec = MIN (best_dec, run_jpegdec (photos));
    best_scaled = MIN (best_scaled, run_scaled (photos, height, counts));
  }

  printf ("%u JPEGs (%.0f Mpixel) for an output %u lines high, CPU seconds "
      "(best of %d)\n", photos->len, mpix, height, repeat);
  printf ("  jpegdec, whole (before)         %6.2f s\n", best_dec);
  printf ("  jpegscaled.c, at N/8 (now)      %6.2f s  %.2fx\n", best_scaled,
      best_dec / best_scaled);
  printf ("  scales:");
  for (n = 1; n <= 8; n++)
    if (counts[n])
      printf (" %u/8 x%u", n, counts[n]);
  printf ("\n");

  for (i = 0; i < photos->len; i++)
    g_bytes_unref (g_array_index (photos, Photo, i).data);
  return 0;
}
