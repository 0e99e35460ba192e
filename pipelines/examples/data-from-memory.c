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

/* npywatermark's `data` from C: a .npy read once into memory, then given
 * to the element as a GBytes (the same bytes can be shared by as many
 * elements as there are pipelines; the element keeps a reference).
 *
 *   data-from-memory LOGO.npy OUT.png
 *
 * Stamps one 320x240 test frame and writes OUT.png whole or not at all
 * (a temporary name beside it, renamed at the end).  Build:
 *
 *   cc data-from-memory.c -o data-from-memory \
 *       $(pkg-config --cflags --libs gstreamer-1.0)
 */

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contents = NULL, *tmp = NULL, *debug = NULL;
  GstElement *pipeline, *wm, *sink;
  GstMessage *msg;
  GBytes *bytes;
  gsize len;
  gboolean ok;

  gst_init (&argc, &argv);
  if (argc != 3) {
    g_printerr ("usage: data-from-memory LOGO.npy OUT.png\n");
    return 2;
  }
  if (!g_file_get_contents (argv[1], &contents, &len, &error)) {
    g_printerr ("data-from-memory: %s\n", error->message);
    return 1;
  }
  /* the whole file, as numpy.save wrote it */
  bytes = g_bytes_new_take (g_steal_pointer (&contents), len);

  pipeline = gst_parse_launch ("videotestsrc num-buffers=1 pattern=black ! "
      "video/x-raw,width=320,height=240 ! npywatermark name=wm ! "
      "videoconvert ! pngenc ! filesink name=sink", &error);
  if (pipeline == NULL) {
    g_printerr ("data-from-memory: %s\n", error->message);
    g_bytes_unref (bytes);
    return 1;
  }
  wm = gst_bin_get_by_name (GST_BIN (pipeline), "wm");
  g_object_set (wm, "data", bytes, NULL);
  g_bytes_unref (bytes);        /* the element holds its own reference */
  gst_object_unref (wm);

  tmp = g_strdup_printf ("%s.part", argv[2]);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "location", tmp, NULL);
  gst_object_unref (sink);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  ok = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (!ok) {
    gst_message_parse_error (msg, &error, &debug);
    g_printerr ("data-from-memory: %s: %s\n", argv[1], error->message);
    g_unlink (tmp);
  } else if (g_rename (tmp, argv[2]) != 0) {
    g_printerr ("data-from-memory: %s: %s\n", argv[2], g_strerror (errno));
    g_unlink (tmp);
    ok = FALSE;
  }
  gst_message_unref (msg);
  gst_object_unref (pipeline);
  return ok ? 0 : 1;
}
