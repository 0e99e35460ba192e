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

/* Embedding npywatermark in an application, with live control.
 *
 *   fade-and-swap FIRST.npy SECOND.npy [OUT.mkv]
 *
 * Plays two seconds of a live test source (frames timed as a camera
 * delivers them) through npywatermark.  A GstInterpolationControlSource
 * fades FIRST in over the first second; after one second the application
 * swaps to SECOND from its own thread.  The element reads the new file in the
 * background and posts "npywatermark-loaded" naming the first frame that
 * carries it; this program prints it, with that frame's number (counted,
 * not worked out from the timestamp: a live source's first frame is
 * seldom at 0).  With OUT.mkv the frames are kept (VP8 in Matroska), else
 * they are discarded.  NPW_SOURCE replaces the test source with a
 * gst-launch-1.0 description, as in pipelines/live.sh; give it
 * num-buffers=60 (e.g. "v4l2src device=/dev/video0 num-buffers=60").
 *
 * Exit status: 0 when the swap took effect, 1 otherwise.
 *
 * Build against an installed plugin:
 *   cc fade-and-swap.c -o fade-and-swap \
 *       $(pkg-config --cflags --libs gstreamer-controller-1.0)
 */

#include <stdlib.h>
#include <gst/gst.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/controller/gstdirectcontrolbinding.h>

#define FPS 30
#define FRAMES (2 * FPS)
#define FADE_TIME GST_SECOND
#define SWAP_AFTER_MS 1000

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *watermark;
  const gchar *second;
  gboolean asked;               /* the application set the new location */
  gboolean swapped;             /* the element says it is in use */
  GstClockTime swap_time;       /* from the first frame carrying it */
  guint swap_frame;             /* its number, from 0 */
  gboolean failed;
  GMutex lock;
  GArray *stamps;               /* with lock: each frame's PTS, in order */
} App;

/* Streaming thread: notes each frame's timestamp as it reaches the
 * element, so that a timestamp it reports can be given its frame number. */
static GstPadProbeReturn
note_frame (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  App *app = data;
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  g_mutex_lock (&app->lock);
  g_array_append_val (app->stamps, pts);
  g_mutex_unlock (&app->lock);
  return GST_PAD_PROBE_OK;
}

/* The number (from 0) of the frame stamped @pts, or G_MAXUINT. */
static guint
frame_number (App * app, GstClockTime pts)
{
  guint i, n = G_MAXUINT;

  g_mutex_lock (&app->lock);
  for (i = 0; i < app->stamps->len && n == G_MAXUINT; i++)
    if (g_array_index (app->stamps, GstClockTime, i) == pts)
      n = i;
  g_mutex_unlock (&app->lock);
  return n;
}

/* The application's side of a live change: just set the property.  The
 * element reads the file off the streaming thread. */
static gboolean
swap_watermark (gpointer data)
{
  App *app = data;
  gint64 position = -1;

  gst_element_query_position (app->pipeline, GST_FORMAT_TIME, &position);
  g_print ("at %" GST_TIME_FORMAT ": setting location to %s\n",
      GST_TIME_ARGS (position), app->second);
  g_object_set (app->watermark, "location", app->second, NULL);
  app->asked = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  App *app = data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);
      guint64 timestamp;

      if (!gst_structure_has_name (s, "npywatermark-loaded") ||
          !gst_structure_get_uint64 (s, "timestamp", &timestamp))
        break;
      app->swapped = TRUE;
      app->swap_time = timestamp;
      app->swap_frame = frame_number (app, timestamp);
      g_print ("%s in use from %" GST_TIME_FORMAT " (frame %u)\n",
          gst_structure_get_string (s, "location"),
          GST_TIME_ARGS (timestamp), app->swap_frame);
      break;
    }
    case GST_MESSAGE_WARNING:{
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_warning (msg, &error, &debug);
      g_printerr ("fade-and-swap: warning: %s\n", error->message);
      break;
    }
    case GST_MESSAGE_ERROR:{
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_error (msg, &error, &debug);
      g_printerr ("fade-and-swap: %s\n(%s)\n", error->message, debug);
      app->failed = TRUE;
      g_main_loop_quit (app->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* videotestsrc (live) ! capsfilter ! npywatermark ! sink, where sink is
 * fakesink or videoconvert ! vp8enc ! matroskamux ! filesink. */
static GstElement *
build_pipeline (const gchar * first, const gchar * out, GstElement ** wm)
{
  GstElement *pipeline = gst_pipeline_new ("fade-and-swap");
  const gchar *source = g_getenv ("NPW_SOURCE");
  GstElement *src = source ?
      gst_parse_bin_from_description (source, TRUE, NULL) :
      gst_element_factory_make ("videotestsrc", NULL);
  GstElement *filter = gst_element_factory_make ("capsfilter", NULL);
  GstElement *watermark = gst_element_factory_make ("npywatermark", NULL);
  g_autoptr (GstCaps) caps = NULL;

  if (watermark == NULL) {
    g_printerr ("fade-and-swap: no npywatermark element: install the "
        "plugin or set GST_PLUGIN_PATH\n");
    exit (1);
  }
  if (src == NULL) {
    g_printerr ("fade-and-swap: NPW_SOURCE \"%s\" is not a pipeline "
        "description\n", source);
    exit (1);
  }

  if (source == NULL) {
    /* A flat slate blue, on which the fade is easy to follow. */
    g_object_set (src, "is-live", TRUE, "num-buffers", FRAMES,
        "foreground-color", 0xff406080, NULL);
    gst_util_set_object_arg (G_OBJECT (src), "pattern", "solid-color");
  }
  caps = gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT, 320,
      "height", G_TYPE_INT, 240, "framerate", GST_TYPE_FRACTION, FPS, 1, NULL);
  g_object_set (filter, "caps", caps, NULL);
  g_object_set (watermark, "location", first, NULL);

  gst_bin_add_many (GST_BIN (pipeline), src, filter, watermark, NULL);
  gst_element_link_many (src, filter, watermark, NULL);

  if (out) {
    GstElement *convert = gst_element_factory_make ("videoconvert", NULL);
    GstElement *encode = gst_element_factory_make ("vp8enc", NULL);
    GstElement *mux = gst_element_factory_make ("matroskamux", NULL);
    GstElement *sink = gst_element_factory_make ("filesink", NULL);

    /* Real time, and a bitrate high enough to check the frames. */
    g_object_set (encode, "deadline", (gint64) 1, "target-bitrate", 4000000,
        NULL);
    g_object_set (sink, "location", out, NULL);
    gst_bin_add_many (GST_BIN (pipeline), convert, encode, mux, sink, NULL);
    gst_element_link_many (watermark, convert, encode, mux, sink, NULL);
  } else {
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);

    gst_bin_add (GST_BIN (pipeline), sink);
    gst_element_link (watermark, sink);
  }

  *wm = watermark;
  return pipeline;
}

/* Opacity from 0 at the first frame to 1 at FADE_TIME: the element
 * takes each frame's value for the frame's own timestamp. */
static void
add_fade (GstElement * watermark)
{
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GstTimedValueControlSource *tvcs = GST_TIMED_VALUE_CONTROL_SOURCE (cs);

  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  gst_timed_value_control_source_set (tvcs, 0, 0.0);
  gst_timed_value_control_source_set (tvcs, FADE_TIME, 1.0);
  gst_object_add_control_binding (GST_OBJECT (watermark),
      gst_direct_control_binding_new (GST_OBJECT (watermark), "opacity", cs));
  gst_object_unref (cs);
}

int
main (int argc, char **argv)
{
  App app = { NULL, };
  GstElement *pipeline;
  GstBus *bus;

  gst_init (&argc, &argv);
  if (argc < 3 || argc > 4) {
    g_printerr ("usage: %s FIRST.npy SECOND.npy [OUT.mkv]\n", argv[0]);
    return 2;
  }
  app.second = argv[2];

  pipeline = build_pipeline (argv[1], argc > 3 ? argv[3] : NULL,
      &app.watermark);
  app.pipeline = pipeline;
  add_fade (app.watermark);
  g_mutex_init (&app.lock);
  app.stamps = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  {
    GstPad *pad = gst_element_get_static_pad (app.watermark, "sink");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, note_frame, &app, NULL);
    gst_object_unref (pad);
  }

  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, on_message, &app);
  g_timeout_add (SWAP_AFTER_MS, swap_watermark, &app);

  g_print ("fading in %s over %" GST_TIME_FORMAT "\n", argv[1],
      GST_TIME_ARGS (FADE_TIME));
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* Say why (e.g. FIRST could not be read): the error is on the bus. */
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

    if (msg) {
      on_message (bus, msg, &app);
      gst_message_unref (msg);
    }
    app.failed = TRUE;
  } else {
    g_main_loop_run (app.loop);
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_main_loop_unref (app.loop);
  g_array_unref (app.stamps);
  g_mutex_clear (&app.lock);

  if (app.failed)
    return 1;
  if (!app.swapped) {
    g_printerr ("fade-and-swap: %s never took effect%s\n", app.second,
        app.asked ? "" : " (the stream ended first)");
    return 1;
  }
  g_print ("done: %d frames, %s from frame %u\n", FRAMES, app.second,
      app.swap_frame);
  return 0;
}
