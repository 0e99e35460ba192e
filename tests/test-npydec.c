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

/* Tests for the .npy typefinder and npydec.
 *
 * tests/gen_npydec.py writes .npy files with NumPy and, for each, the
 * frames npydec must output, computed in NumPy; the typefinder's caps are
 * checked against the header NumPy says it wrote.  Every file is decoded
 * straight from filesrc and through a queue in 7-byte buffers. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/base/gsttypefindhelper.h>
#include <gst/video/video.h>
#include "test-util.h"

static gchar *tmp_dir;
static GPtrArray *cases;        /* of Case, freed at the end */

typedef struct
{
  gchar *dir;
  gchar *name;
  gboolean npy;
  gchar *format;
  guint width, height, frames;
  gint version;
  gchar *descr;
  gboolean fortran;
  gchar *shape;
} Case;

static void
case_free (gpointer data)
{
  Case *c = data;

  g_free (c->dir);
  g_free (c->name);
  g_free (c->format);
  g_free (c->descr);
  g_free (c->shape);
  g_free (c);
}

static gchar *
case_path (const Case * c, const gchar * ext)
{
  return g_strdup_printf ("%s/%s.%s", c->dir, c->name, ext);
}

/* ------------------------------------------------------------------ */
/* Running a pipeline to its end */

typedef struct
{
  GPtrArray *samples;
  GError *error;
  gchar *debug;
} Run;

static void
run_clear (Run * run)
{
  g_clear_pointer (&run->samples, g_ptr_array_unref);
  g_clear_error (&run->error);
  g_clear_pointer (&run->debug, g_free);
}

/* Plays @pipeline, waits for EOS or an error, then takes what @sink (or
 * the appsink called "sink") holds. */
static void
run_to_end_with_sink (GstElement * pipeline, GstElement * sink, Run * run)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  GstSample *sample;

  g_assert_nonnull (sink);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  g_assert_nonnull (msg);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &run->error, &run->debug);
  gst_message_unref (msg);
  if (run->samples == NULL)
    run->samples = g_ptr_array_new_with_free_func ((GDestroyNotify)
        gst_sample_unref);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 0)))
    g_ptr_array_add (run->samples, sample);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
}

static void
run_to_end (GstElement * pipeline, Run * run)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");

  run_to_end_with_sink (pipeline, sink, run);
  gst_object_unref (sink);
}

static void
run_launch (const gchar * description, Run * run)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);

  g_assert_no_error (error);
  run_to_end (pipeline, run);
  gst_object_unref (pipeline);
}

/* ------------------------------------------------------------------ */
/* Checking frames */

static guint
pixel_bytes (GstVideoFormat format)
{
  switch (format) {
    case GST_VIDEO_FORMAT_RGBA:
      return 4;
    case GST_VIDEO_FORMAT_RGB:
      return 3;
    case GST_VIDEO_FORMAT_GRAY8:
      return 1;
    case GST_VIDEO_FORMAT_RGBA64_LE:
      return 8;
    case GST_VIDEO_FORMAT_GRAY16_LE:
      return 2;
    default:
      g_assert_not_reached ();
      return 0;
  }
}

/* Sample @i of @run is frame @k of @c: its caps, timestamps (at
 * @fps_n/@fps_d for a stack) and every row of pixels. */
static void
check_frame (const Case * c, const gchar * frames, GstSample * sample,
    guint k, gint fps_n, gint fps_d)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  gsize row;
  guint y;

  g_assert_true (gst_video_info_from_caps (&info,
          gst_sample_get_caps (sample)));
  g_assert_cmpstr (gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&info)),
      ==, c->format);
  g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, c->width);
  g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&info), ==, c->height);
  g_assert_cmpint (GST_VIDEO_INFO_FPS_N (&info), ==, fps_n);
  g_assert_cmpint (GST_VIDEO_INFO_FPS_D (&info), ==, fps_d);
  if (fps_n > 0) {
    GstClockTime pts = gst_util_uint64_scale (k, fps_d * GST_SECOND, fps_n);
    GstClockTime end = gst_util_uint64_scale (k + 1, fps_d * GST_SECOND,
        fps_n);
    g_assert_cmpuint (GST_BUFFER_PTS (buffer), ==, pts);
    g_assert_cmpuint (GST_BUFFER_DURATION (buffer), ==, end - pts);
  } else {
    g_assert_cmpuint (GST_BUFFER_PTS (buffer), ==, 0);
  }

  row = (gsize) c->width * pixel_bytes (GST_VIDEO_INFO_FORMAT (&info));
  g_assert_true (gst_video_frame_map (&frame, &info, buffer, GST_MAP_READ));
  for (y = 0; y < c->height; y++) {
    const guint8 *got = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame,
        0) + y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
    g_assert_cmpmem (got, row, frames + ((gsize) k * c->height + y) * row, row);
  }
  gst_video_frame_unmap (&frame);
}

static gboolean
is_stack (const Case * c)
{
  gchar **dims = g_strsplit (c->shape, ",", -1);
  gboolean stack = g_strv_length (dims) == 4;

  g_strfreev (dims);
  return stack;
}

static void
check_run (const Case * c, const Run * run)
{
  gchar *path = case_path (c, "frames"), *frames;
  gsize len;
  GError *error = NULL;
  guint k;

  g_assert_no_error (run->error);
  g_file_get_contents (path, &frames, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (run->samples->len, ==, c->frames);
  for (k = 0; k < run->samples->len; k++)
    check_frame (c, frames, g_ptr_array_index (run->samples, k), k,
        is_stack (c) ? 25 : 0, 1);
  g_free (frames);
  g_free (path);
}

/* ------------------------------------------------------------------ */
/* The typefinder */

static GstCaps *
type_find_file (const gchar * path, GstTypeFindProbability * prob)
{
  gchar *data;
  gsize len;
  GError *error = NULL;
  GstCaps *caps;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  caps = gst_type_find_helper_for_data (NULL, (const guint8 *) data, len, prob);
  g_free (data);
  return caps;
}

static void
test_type_find (gconstpointer data)
{
  const Case *c = data;
  gchar *path = case_path (c, "npy");
  GstTypeFindProbability prob = 0;
  GstCaps *caps = type_find_file (path, &prob);

  if (c->npy) {
    GstStructure *s;
    const GValue *shape;
    gchar **dims;
    gint version;
    gboolean fortran;
    guint i;

    g_assert_nonnull (caps);
    g_assert_cmpint (prob, ==, GST_TYPE_FIND_MAXIMUM);
    s = gst_caps_get_structure (caps, 0);
    /* stills are images, as PNGs are, for gst-discoverer and GES */
    dims = g_strsplit (c->shape, ",", -1);
    g_assert_cmpstr (gst_structure_get_name (s), ==,
        g_strv_length (dims) == 4 ? "video/x-npy" : "image/x-npy");
    g_strfreev (dims);
    g_assert_true (gst_structure_get_int (s, "version", &version));
    g_assert_cmpint (version, ==, c->version);
    g_assert_cmpstr (gst_structure_get_string (s, "descr"), ==, c->descr);
    g_assert_true (gst_structure_get_boolean (s, "fortran-order", &fortran));
    g_assert_cmpint (fortran, ==, c->fortran);
    shape = gst_structure_get_value (s, "shape");
    g_assert_nonnull (shape);
    dims = g_strsplit (c->shape, ",", -1);
    g_assert_cmpuint (gst_value_array_get_size (shape), ==,
        g_strv_length (dims));
    for (i = 0; dims[i]; i++)
      g_assert_cmpint (g_value_get_int (gst_value_array_get_value (shape, i)),
          ==, atoi (dims[i]));
    g_strfreev (dims);
  } else {
    gchar *contents;
    gsize len;
    gboolean magic;

    g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
    magic = len >= 6 && memcmp (contents, "\x93NUMPY", 6) == 0;
    g_free (contents);
    if (magic) {
      /* claimed, whatever its version, for npydec to say what is wrong */
      g_assert_nonnull (caps);
      g_assert_cmpint (prob, ==, GST_TYPE_FIND_MAXIMUM);
      g_assert_true (gst_structure_has_name (gst_caps_get_structure (caps,
                  0), "video/x-npy"));
    } else if (caps) {
      g_test_message ("%s: %" GST_PTR_FORMAT, c->name, caps);
      g_assert_false (g_str_has_suffix (gst_structure_get_name
              (gst_caps_get_structure (caps, 0)), "/x-npy"));
    }
  }
  if (caps)
    gst_caps_unref (caps);
  g_free (path);
}

/* The command-line tool a user would try first. */
static void
test_type_find_tool (void)
{
  g_autofree gchar *npy = g_build_filename (tmp_dir, "numpy",
      "u1-4ch-c-v1.npy", NULL);
  g_autofree gchar *text = g_build_filename (tmp_dir, "numpy", "text.npy",
      NULL);
  const gchar *argv[] = { "gst-typefind-1.0", npy, text, NULL };
  g_autofree gchar *out = NULL;
  GError *error = NULL;
  gchar **lines;
  gint status;

#ifdef UNDER_ASAN
  g_test_skip ("the installed gst-typefind-1.0 cannot load an ASan plugin");
  return;
#endif
  if (!g_file_test (npy, G_FILE_TEST_EXISTS)) {
    g_test_skip ("no NumPy files");
    return;
  }
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
          NULL, &status, &error));
  g_assert_no_error (error);
  g_test_message ("%s", out);
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >=, 2);
  g_assert_true (g_str_has_prefix (lines[0], npy));
  g_assert_nonnull (strstr (lines[0], " - image/x-npy, version=(int)1,"
          " descr=(string)\"\\|u1\", fortran-order=(boolean)false, "
          "shape=(int)< 5, 7, 4 >"));
  g_assert_true (g_str_has_prefix (lines[1], text));
  g_assert_null (strstr (lines[1], "x-npy"));
  g_strfreev (lines);
}

/* ------------------------------------------------------------------ */
/* npydec */

static void
test_decode (gconstpointer data)
{
  const Case *c = data;
  gchar *path = case_path (c, "npy");
  gchar *plain = g_strdup_printf ("filesrc location=\"%s\" ! npydec ! "
      "appsink name=sink sync=false wait-on-eos=false", path);
  gchar *push = g_strdup_printf ("filesrc location=\"%s\" blocksize=7 ! "
      "queue ! npydec ! appsink name=sink sync=false wait-on-eos=false", path);
  Run run = { 0, };

  run_launch (plain, &run);
  check_run (c, &run);
  run_clear (&run);
  run_launch (push, &run);
  check_run (c, &run);
  run_clear (&run);
  g_free (push);
  g_free (plain);
  g_free (path);
}

static Case *stack_case;        /* a uint8 RGBA stack, for the tests below */
static Case *still_case;        /* a uint8 RGBA image */

static gchar *
read_frames (const Case * c)
{
  gchar *path = case_path (c, "frames"), *frames;
  GError *error = NULL;

  g_file_get_contents (path, &frames, NULL, &error);
  g_assert_no_error (error);
  g_free (path);
  return frames;
}

/* framerate: timestamps and durations follow it. */
static void
test_stack_framerate (void)
{
  g_autofree gchar *path = case_path (stack_case, "npy");
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "npydec framerate=7/3 ! appsink name=sink sync=false wait-on-eos=false",
      path);
  g_autofree gchar *frames = read_frames (stack_case);
  Run run = { 0, };
  guint k;

  run_launch (desc, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.samples->len, ==, stack_case->frames);
  for (k = 0; k < run.samples->len; k++)
    check_frame (stack_case, frames, g_ptr_array_index (run.samples, k), k,
        7, 3);
  run_clear (&run);
}

/* A flushing seek lands on the frame showing at that time; a stop time
 * ends the stream after the frame showing before it; duration and
 * seekability are answered. */
static void
test_stack_seek (gconstpointer data)
{
  gboolean queue = GPOINTER_TO_INT (data);
  g_autofree gchar *path = case_path (stack_case, "npy");
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" %s ! "
      "npydec framerate=10/1 ! appsink name=sink sync=false wait-on-eos=false",
      path,
      queue ? "blocksize=7 ! queue" : "");
  g_autofree gchar *frames = read_frames (stack_case);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstQuery *query;
  gboolean seekable;
  gint64 duration = -1, start, stop;
  Run run = { 0, };

  g_assert_nonnull (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE), ==, GST_STATE_CHANGE_SUCCESS);

  g_assert_true (gst_element_query_duration (pipeline, GST_FORMAT_TIME,
          &duration));
  g_assert_cmpint (duration, ==, 4 * GST_SECOND / 10);
  query = gst_query_new_seeking (GST_FORMAT_TIME);
  g_assert_true (gst_element_query (pipeline, query));
  gst_query_parse_seeking (query, NULL, &seekable, &start, &stop);
  g_assert_true (seekable);
  g_assert_cmpint (start, ==, 0);
  g_assert_cmpint (stop, ==, duration);
  gst_query_unref (query);

  /* 0.25 s is in frame 2 (0.2 .. 0.3 s) */
  g_assert_true (gst_element_seek (pipeline, 1.0, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, GST_SEEK_TYPE_SET,
          250 * GST_MSECOND, GST_SEEK_TYPE_NONE, -1));
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE), ==, GST_STATE_CHANGE_SUCCESS);
  run_to_end (pipeline, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.samples->len, ==, 2);
  check_frame (stack_case, frames, g_ptr_array_index (run.samples, 0), 2,
      10, 1);
  check_frame (stack_case, frames, g_ptr_array_index (run.samples, 1), 3,
      10, 1);
  run_clear (&run);

  /* from frame 1 to 0.3 s: frames 1 and 2 */
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE), ==, GST_STATE_CHANGE_SUCCESS);
  g_assert_true (gst_element_seek (pipeline, 1.0, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, 100 * GST_MSECOND,
          GST_SEEK_TYPE_SET, 300 * GST_MSECOND));
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE), ==, GST_STATE_CHANGE_SUCCESS);
  run_to_end (pipeline, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.samples->len, ==, 2);
  check_frame (stack_case, frames, g_ptr_array_index (run.samples, 0), 1,
      10, 1);
  check_frame (stack_case, frames, g_ptr_array_index (run.samples, 1), 2,
      10, 1);
  run_clear (&run);
  gst_object_unref (pipeline);
}

/* Seeks as GstBaseSrc does them: the seek's seqnum on the SEGMENT and on
 * the EOS or SEGMENT_DONE; impossible seeks refused before anything is
 * flushed (a CRITICAL aborts the test), the pipeline working after. */
typedef struct
{
  GMutex lock;
  guint32 segment, end;         /* seqnums seen last */
  GstEventType end_type;
} Seen;

static GstPadProbeReturn
seen_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Seen *seen = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  g_mutex_lock (&seen->lock);
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
    seen->segment = gst_event_get_seqnum (event);
  else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS ||
      GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT_DONE) {
    seen->end = gst_event_get_seqnum (event);
    seen->end_type = GST_EVENT_TYPE (event);
  }
  g_mutex_unlock (&seen->lock);
  return GST_PAD_PROBE_OK;
}

/* Sends a seek; its seqnum in *@seqnum. */
static gboolean
send_seek (GstElement * pipeline, GstSeekFlags flags, gdouble rate,
    GstSeekType start_type, gint64 start, GstSeekType stop_type, gint64 stop,
    guint32 * seqnum)
{
  GstEvent *seek = gst_event_new_seek (rate, GST_FORMAT_TIME, flags,
      start_type, start, stop_type, stop);

  if (seqnum)
    *seqnum = gst_event_get_seqnum (seek);
  return gst_element_send_event (pipeline, seek);
}

/* Waits for @type on the bus; checks its seqnum and the sink's. */
static void
expect_end (GstElement * pipeline, Seen * seen, GstMessageType type,
    guint32 seqnum)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      type | GST_MESSAGE_ERROR);
  gint i;

  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, type);
  g_assert_cmpuint (gst_message_get_seqnum (msg), ==, seqnum);
  gst_message_unref (msg);
  gst_object_unref (bus);
  /* the message may come before the event reaches the sink */
  for (i = 0; i < 1000; i++) {
    gboolean done;

    g_mutex_lock (&seen->lock);
    done = seen->end == seqnum;
    g_mutex_unlock (&seen->lock);
    if (done)
      break;
    g_usleep (1000);
  }
  g_mutex_lock (&seen->lock);
  g_assert_cmpuint (seen->segment, ==, seqnum);
  g_assert_cmpuint (seen->end, ==, seqnum);
  g_assert_cmpint (seen->end_type, ==, type == GST_MESSAGE_EOS ?
      GST_EVENT_EOS : GST_EVENT_SEGMENT_DONE);
  g_mutex_unlock (&seen->lock);
}

static void
test_stack_seek_seqnum (void)
{
  g_autofree gchar *path = case_path (stack_case, "npy");
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "npydec framerate=10/1 ! fakesink name=sink sync=false", path);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  const GstSeekFlags flush = GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE;
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  Seen seen = { 0, };
  guint32 seqnum;

  g_mutex_init (&seen.lock);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, seen_probe,
      &seen, NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE), ==, GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS);
  g_assert_nonnull (msg);
  gst_message_unref (msg);

  /* flushing, with a stop */
  g_assert_true (send_seek (pipeline, flush, 1.0, GST_SEEK_TYPE_SET,
          100 * GST_MSECOND, GST_SEEK_TYPE_SET, 300 * GST_MSECOND, &seqnum));
  expect_end (pipeline, &seen, GST_MESSAGE_EOS, seqnum);
  /* a segment seek ends in SEGMENT_DONE */
  g_assert_true (send_seek (pipeline, flush | GST_SEEK_FLAG_SEGMENT, 1.0,
          GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_SET, 200 * GST_MSECOND, &seqnum));
  expect_end (pipeline, &seen, GST_MESSAGE_SEGMENT_DONE, seqnum);
  /* start after stop, given or kept: refused */
  g_assert_false (send_seek (pipeline, flush, 1.0, GST_SEEK_TYPE_SET,
          300 * GST_MSECOND, GST_SEEK_TYPE_SET, 100 * GST_MSECOND, NULL));
  g_assert_true (send_seek (pipeline, flush, 1.0, GST_SEEK_TYPE_SET, 0,
          GST_SEEK_TYPE_SET, 100 * GST_MSECOND, &seqnum));
  expect_end (pipeline, &seen, GST_MESSAGE_EOS, seqnum);
  g_assert_false (send_seek (pipeline, flush, 1.0, GST_SEEK_TYPE_SET,
          300 * GST_MSECOND, GST_SEEK_TYPE_NONE, -1, NULL));
  /* reverse: refused */
  g_assert_false (send_seek (pipeline, flush, -1.0, GST_SEEK_TYPE_SET, 0,
          GST_SEEK_TYPE_SET, 300 * GST_MSECOND, NULL));
  /* and after all that, it plays */
  g_assert_true (send_seek (pipeline, flush, 1.0, GST_SEEK_TYPE_SET,
          200 * GST_MSECOND, GST_SEEK_TYPE_SET, -1, &seqnum));
  expect_end (pipeline, &seen, GST_MESSAGE_EOS, seqnum);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_mutex_clear (&seen.lock);
}

/* After an error (a stack cut short) every seek is refused, as pngdec
 * does; a non-flushing one used to wait forever for the stream lock. */
static void
test_stack_seek_after_error (void)
{
  g_autofree gchar *good = case_path (stack_case, "npy");
  g_autofree gchar *cut = g_build_filename (tmp_dir, "cut-seek.npy", NULL);
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "npydec ! fakesink", cut);
  GstElement *pipeline;
  GstMessage *msg;
  GstBus *bus;
  gchar *contents;
  gsize len;
  guint i;

  g_assert_true (g_file_get_contents (good, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (cut, contents, len - 1, NULL));
  g_free (contents);
  for (i = 0; i < 2; i++) {
    pipeline = gst_parse_launch (desc, NULL);
    bus = gst_element_get_bus (pipeline);
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_ERROR);
    g_assert_nonnull (msg);
    gst_message_unref (msg);
    g_assert_false (send_seek (pipeline, i ? GST_SEEK_FLAG_FLUSH :
            GST_SEEK_FLAG_NONE, 1.0, GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_NONE,
            -1, NULL));
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (bus);
    gst_object_unref (pipeline);
  }
  g_unlink (cut);
}

/* decodebin finds the typefinder and npydec by themselves. */
static void
test_decodebin (void)
{
  const Case *cases[] = { still_case, stack_case };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path = case_path (cases[i], "npy");
    g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
        "decodebin ! appsink name=sink sync=false wait-on-eos=false", path);
    Run run = { 0, };

    run_launch (desc, &run);
    check_run (cases[i], &run);
    run_clear (&run);
  }
}

/* So does playbin, as gst-play-1.0 uses it. */
static void
test_playbin (void)
{
  const Case *cases[] = { still_case, stack_case };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path = case_path (cases[i], "npy");
    g_autofree gchar *uri = gst_filename_to_uri (path, NULL);
    GstElement *playbin = gst_element_factory_make ("playbin", NULL);
    GstElement *sink = gst_element_factory_make ("appsink", "sink");
    GstCaps *caps = gst_caps_from_string ("video/x-raw, format=RGBA");
    Run run = { 0, };

    g_assert_nonnull (playbin);
    g_object_set (sink, "caps", caps, "sync", FALSE, "wait-on-eos", FALSE,
        NULL);
    gst_caps_unref (caps);
    g_object_set (playbin, "uri", uri, "video-sink", sink, "audio-sink",
        gst_element_factory_make ("fakesink", NULL), NULL);
    run_to_end_with_sink (playbin, sink, &run);
    check_run (cases[i], &run);
    run_clear (&run);
    gst_object_unref (playbin);
  }
}

/* Bad input: an element error naming the file, in both modes. */
static void
expect_error (const gchar * path, const gchar * props, const gchar * reason)
{
  guint mode;

  for (mode = 0; mode < 2; mode++) {
    g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" %s ! "
        "npydec %s ! appsink name=sink sync=false wait-on-eos=false", path,
        mode ? "! queue" : "", props);
    Run run = { 0, };

    run_launch (desc, &run);
    g_assert_error (run.error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE);
    g_assert_nonnull (strstr (run.error->message, path));
    g_assert_nonnull (run.debug);
    g_test_message ("%s / %s", run.error->message, run.debug);
    g_assert_nonnull (strstr (run.debug, reason));
    g_assert_cmpuint (run.samples->len, ==, 0);
    run_clear (&run);
  }
}

/* The same through decodebin: the typefinder hands the file to npydec. */
static void
expect_error_decodebin (const gchar * path, const gchar * reason)
{
  g_autofree gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "decodebin ! appsink name=sink sync=false wait-on-eos=false", path);
  Run run = { 0, };

  run_launch (desc, &run);
  g_assert_nonnull (run.error);
  g_test_message ("%s", run.error->message);
  g_assert_nonnull (strstr (run.error->message, reason));
  run_clear (&run);
}

static void
test_errors (void)
{
  g_autofree gchar *good = case_path (stack_case, "npy");
  g_autofree gchar *cut = g_build_filename (tmp_dir, "cut.npy", NULL);
  g_autofree gchar *empty = g_build_filename (tmp_dir, "empty.npy", NULL);
  g_autofree gchar *text = g_build_filename (tmp_dir, "text.npy", NULL);
  g_autofree gchar *v9 = g_build_filename (tmp_dir, "v9.npy", NULL);
  gchar *contents;
  gsize len;

  g_assert_true (g_file_get_contents (good, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (cut, contents, len - 1, NULL));
  /* a good file but for its version byte: typefound as a .npy (not MPEG
   * audio), refused by npydec with the reason */
  contents[6] = 9;
  g_assert_true (g_file_set_contents (v9, contents, len, NULL));
  g_free (contents);
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_true (g_file_set_contents (text, "{'descr': '<f4'}", -1, NULL));

  expect_error (cut, "", "file seems truncated: the shape needs 560 bytes "
      "of data, only 559 present");
  expect_error (empty, "", "the file is empty");
  expect_error (text, "", "not a .npy file");
  expect_error (v9, "", "unsupported .npy version 9.0");
  expect_error_decodebin (v9, "unsupported .npy version 9.0");
  /* 4 frames of 7x5 RGBA: 560 bytes */
  expect_error (good, "max-bytes=559", "the limit is 559 bytes");
  expect_error (good, "max-size=6", "the limit is 6 on each side");
  g_unlink (cut);
  g_unlink (empty);
  g_unlink (text);
  g_unlink (v9);
}

/* ------------------------------------------------------------------ */

static gboolean numpy_missing;

static void
test_numpy_missing (void)
{
  g_test_skip ("NumPy is not available: no .npy files to decode");
}

static void
add_cases (void)
{
  const gchar *python = g_getenv ("NPY_TEST_PYTHON");
  g_autofree gchar *script = g_test_build_filename (G_TEST_DIST,
      "gen_npydec.py", NULL);
  g_autofree gchar *dir = g_build_filename (tmp_dir, "numpy", NULL);
  g_autofree gchar *manifest_path = g_build_filename (dir, "manifest.txt",
      NULL);
  g_autofree gchar *manifest = NULL, *err = NULL;
  const gchar *argv[4];
  GError *error = NULL;
  gchar **lines;
  gint status;
  guint i;

  if (python == NULL || *python == '\0')
    python = "/usr/bin/python3";
  argv[0] = python;
  argv[1] = script;
  argv[2] = dir;
  argv[3] = NULL;
  g_mkdir (dir, 0700);
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (g_spawn_check_wait_status (status, &error) == FALSE) {
    if (g_error_matches (error, G_SPAWN_EXIT_ERROR, 77)) {
      numpy_missing = TRUE;
      g_clear_error (&error);
      return;
    }
    g_error ("%s failed: %s\n%s", script, error->message, err);
  }
  g_assert_true (g_file_get_contents (manifest_path, &manifest, NULL, NULL));
  lines = g_strsplit (manifest, "\n", -1);
  for (i = 0; lines[i]; i++) {
    gchar **f = g_strsplit (lines[i], " ", -1);
    guint nf = g_strv_length (f);
    g_autofree gchar *tf = NULL, *dec = NULL;
    Case *c;

    if (nf == 0) {
      g_strfreev (f);
      continue;
    }
    c = g_new0 (Case, 1);
    c->dir = g_strdup (dir);
    c->name = g_strdup (f[0]);
    if (nf == 10 && strcmp (f[1], "npy") == 0) {
      c->npy = TRUE;
      c->format = g_strdup (f[2]);
      c->width = atoi (f[3]);
      c->height = atoi (f[4]);
      c->frames = atoi (f[5]);
      c->version = atoi (f[6]);
      c->descr = g_strdup (f[7]);
      c->fortran = strcmp (f[8], "True") == 0;
      c->shape = g_strdup (f[9]);
    } else {
      g_assert_cmpuint (nf, ==, 2);
      g_assert_cmpstr (f[1], ==, "other");
    }
    g_strfreev (f);

    if (c->npy && strcmp (c->name, "stack-u1-4ch") == 0)
      stack_case = c;
    if (c->npy && strcmp (c->name, "u1-4ch-c-v1") == 0)
      still_case = c;
    tf = g_strdup_printf ("/npydec/typefind/%s", c->name);
    g_ptr_array_add (cases, c);
    g_test_add_data_func (tf, c, test_type_find);
    if (c->npy) {
      dec = g_strdup_printf ("/npydec/decode/%s", c->name);
      g_test_add_data_func (dec, c, test_decode);
    }
  }
  g_strfreev (lines);
  g_assert_nonnull (stack_case);
  g_assert_nonnull (still_case);
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* The plugin just built, in this process whatever the registry says:
   * the stock plugin scanner cannot load an ASan build of it. */
  if (g_getenv ("NPY_PLUGIN")) {
    GstPlugin *plugin = gst_plugin_load_file (g_getenv ("NPY_PLUGIN"),
        &error);
    g_assert_no_error (error);
    gst_object_unref (plugin);
  }
  tmp_dir = g_dir_make_tmp ("test-npydec-XXXXXX", &error);
  g_assert_no_error (error);

  cases = g_ptr_array_new_with_free_func (case_free);
  add_cases ();
  if (numpy_missing) {
    g_test_add_func ("/npydec/numpy", test_numpy_missing);
  } else {
    g_test_add_func ("/npydec/typefind/tool", test_type_find_tool);
    g_test_add_func ("/npydec/stack/framerate", test_stack_framerate);
    g_test_add_data_func ("/npydec/stack/seek/filesrc", GINT_TO_POINTER (0),
        test_stack_seek);
    g_test_add_data_func ("/npydec/stack/seek/queue", GINT_TO_POINTER (1),
        test_stack_seek);
    g_test_add_func ("/npydec/stack/seek/seqnum", test_stack_seek_seqnum);
    g_test_add_func ("/npydec/stack/seek/after-error",
        test_stack_seek_after_error);
    g_test_add_func ("/npydec/autoplug/decodebin", test_decodebin);
    g_test_add_func ("/npydec/autoplug/playbin", test_playbin);
    g_test_add_func ("/npydec/errors", test_errors);
  }

  ret = g_test_run ();
  g_ptr_array_unref (cases);
  test_util_remove_tree (tmp_dir);
  g_free (tmp_dir);
  gst_deinit ();
  return ret;
}
