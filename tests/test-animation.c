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

/* Animated watermarks: (N, H, W, 4) stacks whose slices are flat opaque
 * rectangles of colours that name the slice, so every output frame says
 * which slice it shows; checked on every frame against
 * floor (t * rate) mod N (or min (floor (t * rate), N - 1) without
 * looping), t the buffer's stream time, worked out here apart from the
 * element. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>

#include "gstnpywatermark.h"
#include "animation.h"
#include "test-util.h"

#define FRAME_W 32
#define FRAME_H 16
#define FRAME_DURATION (GST_SECOND / 25)
#define CAPS_STR "video/x-raw, format=RGBA, width=32, height=16, " \
    "framerate=25/1"
#define MARK_W 6
#define MARK_H 4

/* What a frame shows besides slices. */
#define NOTHING (-1)
#define STILL (-2)

static const guint8 background[4] = { 20, 60, 100, 255 };
static const guint8 still_rgba[4] = { 250, 250, 10, 255 };

static gchar *tmpdir;

/* The size of the frames pushed (a test may change the caps). */
static gint frame_w = FRAME_W, frame_h = FRAME_H;

/* Slice k's colour: opaque, so the frame shows it exactly. */
static void
slice_rgba (guint k, guint8 rgba[4])
{
  rgba[0] = 40 + 3 * k;
  rgba[1] = 200 - 2 * k;
  rgba[2] = 7 * k;
  rgba[3] = 255;
}

/* A version 1.0 uint8 .npy, written byte by byte so that the test does
 * not trust the reader: shape (n, height, width, 4) when @stack, else
 * (height, width, 4); frame k flat in @colour (k). */
static gchar *
write_npy (const gchar * name, gboolean stack, guint n, guint width,
    guint height, void (*colour) (guint, guint8 *))
{
  gchar *path = g_build_filename (tmpdir, name, NULL);
  g_autofree gchar *shape = stack ?
      g_strdup_printf ("(%u, %u, %u, 4)", n, height, width) :
      g_strdup_printf ("(%u, %u, 4)", height, width);
  GString *s = test_util_npy_header ("|u1", shape);
  g_autoptr (GError) error = NULL;
  guint8 rgba[4];
  gsize i;
  guint k;

  for (k = 0; k < n; k++) {
    colour (k, rgba);
    for (i = 0; i < (gsize) width * height; i++)
      g_string_append_len (s, (const gchar *) rgba, 4);
  }
  g_assert_true (g_file_set_contents (path, s->str, s->len, &error));
  g_assert_no_error (error);
  g_string_free (s, TRUE);
  return path;
}

static void
still_colour (guint k, guint8 rgba[4])
{
  memcpy (rgba, still_rgba, 4);
}

static gchar *
write_stack (const gchar * name, guint n)
{
  return write_npy (name, TRUE, n, MARK_W, MARK_H, slice_rgba);
}

static gchar *
write_still (const gchar * name)
{
  return write_npy (name, FALSE, 1, MARK_W, MARK_H, still_colour);
}

/* The reference: floor (t * rate_n / rate_d) for t in ns, in plain
 * 64-bit integers (the times used here keep t * rate_n in range). */
static gint
expected_slice (GstClockTime t, gint rate_n, gint rate_d, guint n,
    gboolean loop)
{
  guint64 k;

  g_assert_cmpuint (t, <=, G_MAXUINT64 / (guint64) MAX (rate_n, 1));
  k = t * rate_n / ((guint64) rate_d * GST_SECOND);
  return loop ? (gint) (k % n) : (gint) MIN (k, n - 1);
}

/* Which slice @buf shows (NOTHING, STILL): the marked pixels must be
 * exactly the MARK_W x MARK_H rectangle at the top-left, in one colour
 * that is a slice's or the still's. */
static gint
shown (GstBuffer * buf)
{
  GstMapInfo map;
  guint8 want[4];
  gint x, y, k = NOTHING;
  const guint8 *p0;

  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, ==, frame_w * frame_h * 4);
  p0 = map.data;
  if (memcmp (p0, background, 4) != 0) {
    if (memcmp (p0, still_rgba, 4) == 0) {
      k = STILL;
    } else {
      k = (p0[0] - 40) / 3;
      slice_rgba (k, want);
      g_assert_cmpmem (p0, 4, want, 4);
    }
  }
  for (y = 0; y < frame_h; y++)
    for (x = 0; x < frame_w; x++) {
      const guint8 *p = map.data + (y * frame_w + x) * 4;
      gboolean in = k != NOTHING && x < MARK_W && y < MARK_H;

      g_assert_cmpmem (p, 4, in ? p0 : background, 4);
    }
  gst_buffer_unmap (buf, &map);
  return k;
}

static GstBuffer *
make_frame (GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_and_alloc (frame_w * frame_h * 4);
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i += 4)
    memcpy (map.data + i, background, 4);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = FRAME_DURATION;
  return buf;
}

/* Pushes a frame at @pts and returns the slice it comes out with. */
static gint
push_shown (GstHarness * h, GstClockTime pts)
{
  GstBuffer *out;
  gint k;

  g_assert_cmpint (gst_harness_push (h, make_frame (pts)), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_nonnull (out);
  g_assert_cmpuint (GST_BUFFER_PTS (out), ==, pts);
  k = shown (out);
  gst_buffer_unref (out);
  return k;
}

static GstHarness *
new_harness (const gchar * location, GstBus ** bus)
{
  return test_util_harness_new (location, CAPS_STR, bus);
}

/* The first PTS of slice @k at 10 slices a second. */
#define SLICE_PTS(k) ((k) * GST_SECOND / 10)

/* Frames of an @n slice animation at 10 slices a second, one on each
 * slice, until every one shows its own: the background has prepared
 * them all (until then a frame may show the nearest one prepared). */
static void
wait_all_slices (GstHarness * h, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint k, right;

  do {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    for (k = 0, right = 0; k < n; k++) {
      gint shows = push_shown (h, SLICE_PTS (k));

      g_assert_cmpint (shows, >=, 0);
      g_assert_cmpint (shows, <, n);
      right += shows == (gint) k;
    }
    if (right < n)
      g_usleep (1000);
  } while (right < n);
}

/* An animation's harness once the first frame (which prepares its own
 * slice, 0) and the background have prepared every slice. */
static GstHarness *
new_ready_harness (const gchar * location, guint n, GstBus ** bus)
{
  GstHarness *h = new_harness (location, bus);

  g_assert_cmpint (push_shown (h, 0), ==, 0);
  wait_all_slices (h, n);
  return h;
}

/* Frames at @count PTS from @step apart, each checked. */
static void
check_frames (GstHarness * h, guint n, gint rate_n, gint rate_d,
    gboolean loop, guint64 step_num, guint64 step_den, guint count)
{
  guint i;

  for (i = 0; i < count; i++) {
    GstClockTime pts = gst_util_uint64_scale (i, step_num, step_den);

    g_assert_cmpint (push_shown (h, pts), ==,
        expected_slice (pts, rate_n, rate_d, n, loop));
  }
}

/* The default: 10 slices a second, looping, at 25 frames a second (so
 * some slices show on 2 frames and some on 3), through 3 rounds. */
static void
test_default_rate (void)
{
  g_autofree gchar *path = write_stack ("seven.npy", 7);
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_ready_harness (path, 7, &bus);
  gint rate_n, rate_d;
  gboolean loop;

  g_object_get (h->element, "animation-rate", &rate_n, &rate_d, NULL);
  g_object_get (h->element, "animation-loop", &loop, NULL);
  g_assert_cmpint (rate_n, ==, 10);
  g_assert_cmpint (rate_d, ==, 1);
  g_assert_true (loop);
  /* 0, 0, 0, 1, 1, 2, 2, 2, ... 6, 0, ... */
  g_assert_cmpint (push_shown (h, 0), ==, 0);
  g_assert_cmpint (push_shown (h, 3 * FRAME_DURATION), ==, 1);
  g_assert_cmpint (push_shown (h, 18 * FRAME_DURATION), ==, 0);
  check_frames (h, 7, 10, 1, TRUE, FRAME_DURATION, 1, 60);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR |
          GST_MESSAGE_WARNING));
  test_util_harness_teardown (h, bus);
}

/* Rates other than whole numbers, with frames whose PTS fall on and
 * just before the slice boundaries: 3/2 at 25 frames a second, and
 * 30000/1001 (NTSC) with frames every 1001/30000 s, their PTS rounded
 * down to the ns so floor (t * rate) is one less than the frame's
 * index but for every third frame (whose PTS is exact), and a ns later
 * the index itself: only exact arithmetic gets that right. */
static void
test_rates (void)
{
  g_autofree gchar *path = write_stack ("five.npy", 5);
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_ready_harness (path, 5, &bus);
  guint i;

  gst_util_set_object_arg (G_OBJECT (h->element), "animation-rate", "3/2");
  check_frames (h, 5, 3, 2, TRUE, FRAME_DURATION, 1, 100);

  g_object_set (h->element, "animation-rate", 30000, 1001, NULL);
  check_frames (h, 5, 30000, 1001, TRUE, 1001 * GST_SECOND, 30000, 40);
  for (i = 1; i < 40; i++) {
    GstClockTime pts = gst_util_uint64_scale (i, 1001 * GST_SECOND, 30000);

    gboolean exact = i * 1001 * GST_SECOND % 30000 == 0;

    g_assert_cmpint (expected_slice (pts, 30000, 1001, 5, TRUE), ==,
        (exact ? i : i - 1) % 5);
    g_assert_cmpint (push_shown (h, pts + 1), ==, i % 5);
  }

  /* 0: the first slice throughout */
  g_object_set (h->element, "animation-rate", 0, 1, NULL);
  for (i = 0; i < 10; i++)
    g_assert_cmpint (push_shown (h, i * GST_SECOND / 3), ==, 0);
  test_util_harness_teardown (h, bus);
}

/* animation-loop=false: the last slice stays, also when set while
 * frames flow. */
static void
test_no_loop (void)
{
  g_autofree gchar *path = write_stack ("four.npy", 4);
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_ready_harness (path, 4, &bus);

  g_object_set (h->element, "animation-loop", FALSE, NULL);
  check_frames (h, 4, 10, 1, FALSE, FRAME_DURATION, 1, 50);
  g_assert_cmpint (push_shown (h, 3600 * GST_SECOND), ==, 3);

  g_object_set (h->element, "animation-loop", TRUE, NULL);
  check_frames (h, 4, 10, 1, TRUE, FRAME_DURATION, 1, 50);
  test_util_harness_teardown (h, bus);
}

static void
push_segment (GstHarness * h, GstClockTime start, GstClockTime time)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = start;
  segment.time = time;
  segment.position = start;
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&segment)));
}

/* After a seek (a new segment), the slice follows stream time, not the
 * PTS: stream time = time + (PTS - start). */
static void
test_segments (void)
{
  g_autofree gchar *path = write_stack ("nine.npy", 9);
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_ready_harness (path, 9, &bus);
  GstClockTime pts, start = 10 * GST_SECOND, time = 0;
  guint i;

  /* a stream whose PTS start at 10 s, stream time at 0 */
  push_segment (h, start, time);
  for (i = 0; i < 30; i++) {
    pts = start + i * FRAME_DURATION;
    g_assert_cmpint (push_shown (h, pts), ==,
        expected_slice (time + pts - start, 10, 1, 9, TRUE));
  }
  g_assert_cmpint (push_shown (h, start), ==, 0);

  /* a seek to 5.35 s: PTS from 0 again, stream time from 5.35 s */
  start = 0;
  time = 5350 * GST_MSECOND;
  push_segment (h, start, time);
  g_assert_cmpint (push_shown (h, 0), ==, 53 % 9);
  for (i = 0; i < 30; i++) {
    pts = start + i * FRAME_DURATION;
    g_assert_cmpint (push_shown (h, pts), ==,
        expected_slice (time + pts - start, 10, 1, 9, TRUE));
  }

  /* back to 1.2 s, with the same PTS as before the seek */
  start = 10 * GST_SECOND;
  time = 1200 * GST_MSECOND;
  push_segment (h, start, time);
  g_assert_cmpint (push_shown (h, start), ==, 12 % 9);
  for (i = 0; i < 30; i++) {
    pts = start + i * FRAME_DURATION;
    g_assert_cmpint (push_shown (h, pts), ==,
        expected_slice (time + pts - start, 10, 1, 9, TRUE));
  }
  test_util_harness_teardown (h, bus);
}

/* A (1, H, W, 4) stack is a still: its one slice on every frame,
 * whatever the time, looping or not. */
static void
test_one_slice (void)
{
  g_autofree gchar *one = write_stack ("one.npy", 1);
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (one, &bus);
  guint i;

  for (i = 0; i < 30; i++)
    g_assert_cmpint (push_shown (h, i * FRAME_DURATION), ==, 0);
  g_object_set (h->element, "animation-loop", FALSE, NULL);
  g_assert_cmpint (push_shown (h, 3600 * GST_SECOND), ==, 0);
  test_util_harness_teardown (h, bus);
}

static gboolean
is_loaded_message (GstMessage * msg)
{
  return GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      gst_message_has_name (msg, "npywatermark-loaded");
}

/* Sets @location while frames flow: each frame from *@index on shows
 * @before (STILL or a slice of an @n_before animation) until the one
 * that posts "npywatermark-loaded" (or a warning, returned in *@msg);
 * returns what that frame shows. */
static gint
swap_to (GstHarness * h, GstBus * bus, const gchar * location, guint * index,
    guint n_before, GstMessage ** msg)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_object_set (h->element, "location", location, NULL);
  while (g_get_monotonic_time () < deadline) {
    GstClockTime pts = *index * FRAME_DURATION;
    gint k = push_shown (h, pts);

    (*index)++;
    while ((*msg = gst_bus_pop (bus)) != NULL) {
      if (is_loaded_message (*msg) ||
          GST_MESSAGE_TYPE (*msg) == GST_MESSAGE_WARNING)
        return k;
      gst_message_unref (*msg);
    }
    g_assert_cmpint (k, ==, n_before ? expected_slice (pts, 10, 1, n_before,
            TRUE) : STILL);
    g_usleep (1000);
  }
  g_error ("the element never took %s", location);
  return NOTHING;
}

/* Still -> animation -> still while PLAYING, by location and by data:
 * every frame shows the old watermark until the switch, then the new
 * one (an animation at the slice of the frame's time). */
static void
test_swap (void)
{
  g_autofree gchar *still = write_still ("still.npy");
  g_autofree gchar *anim = write_stack ("six.npy", 6);
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (still, &bus);
  g_autoptr (GBytes) data = NULL;
  gchar *contents;
  gsize len;
  GstMessage *msg;
  guint index = 0, i, round;

  g_assert_true (g_file_get_contents (anim, &contents, &len, NULL));
  data = g_bytes_new_take (contents, len);
  for (round = 0; round < 2; round++) {
    for (i = 0; i < 5; i++)
      g_assert_cmpint (push_shown (h, index++ * FRAME_DURATION), ==, STILL);

    if (round == 0) {
      g_assert_cmpint (swap_to (h, bus, anim, &index, 0, &msg), ==,
          expected_slice ((index - 1) * FRAME_DURATION, 10, 1, 6, TRUE));
    } else {
      /* data wins over location (set to the still meanwhile) */
      g_object_set (h->element, "data", data, NULL);
      g_assert_cmpint (swap_to (h, bus, still, &index, 0, &msg), ==,
          expected_slice ((index - 1) * FRAME_DURATION, 10, 1, 6, TRUE));
    }
    g_assert_true (is_loaded_message (msg));
    gst_message_unref (msg);
    for (i = 0; i < 40; i++) {
      GstClockTime pts = index++ * FRAME_DURATION;

      g_assert_cmpint (push_shown (h, pts), ==,
          expected_slice (pts, 10, 1, 6, TRUE));
    }

    if (round == 0) {
      g_assert_cmpint (swap_to (h, bus, still, &index, 6, &msg), ==, STILL);
    } else {
      g_object_set (h->element, "data", NULL, NULL);
      g_assert_cmpint (swap_to (h, bus, still, &index, 6, &msg), ==, STILL);
    }
    g_assert_true (is_loaded_message (msg));
    gst_message_unref (msg);
  }
  g_assert_null (gst_bus_pop (bus));
  test_util_harness_teardown (h, bus);
}

typedef struct
{
  GstElement *element;
  const gchar *paths[2];
  volatile gint stop;
} Stress;

static gpointer
stress_thread (gpointer data)
{
  Stress *st = data;
  guint i;

  for (i = 0; !g_atomic_int_get (&st->stop); i++) {
    g_object_set (st->element, "animation-rate", 1 + i % 50, 1 + i % 7,
        "animation-loop", i % 3 != 0, NULL);
    if (i % 10 == 0)
      g_object_set (st->element, "location", st->paths[i / 10 % 2], NULL);
    g_usleep (200);
  }
  return NULL;
}

/* An application thread changing the rate, the loop and the location
 * (still <-> animation) while frames flow: every frame shows the still
 * or a slice, whole (and TSan sees no race). */
static void
test_stress (void)
{
  g_autofree gchar *still = write_still ("still.npy");
  g_autofree gchar *anim = write_stack ("eight.npy", 8);
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (still, &bus);
  Stress st = { h->element, {anim, still}, 0 };
  GThread *thread = g_thread_new ("stress", stress_thread, &st);
  guint i, stills = 0;

  for (i = 0; i < 2000; i++) {
    gint k = push_shown (h, i * FRAME_DURATION);

    g_assert_cmpint (k, >=, STILL);
    g_assert_cmpint (k, <, 8);
    g_assert_cmpint (k, !=, NOTHING);
    stills += k == STILL;
  }
  g_atomic_int_set (&st.stop, 1);
  g_thread_join (thread);
  g_test_message ("%u frames of the still, %u of slices", stills,
      2000 - stills);
  test_util_harness_teardown (h, bus);
}

#define BIG_CAPS "video/x-raw, format=RGBA, width=1024, height=1024, " \
    "framerate=25/1"

/* Pushes a 1024x1024 frame and returns its first pixel's red. */
static guint
push_big (GstHarness * h, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_and_alloc (1024 * 1024 * 4);
  GstMapInfo map;
  guint red;

  gst_buffer_memset (buf, 0, 0, 1024 * 1024 * 4);
  GST_BUFFER_PTS (buf) = pts;
  g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
  buf = gst_harness_pull (h);
  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  red = map.data[0];
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  return red;
}

static GstHarness *
new_big_harness (const gchar * location, gboolean tile, GstBus * bus)
{
  GstElement *element =
      gst_object_ref_sink (gst_element_factory_make ("npywatermark", NULL));
  GstHarness *h;

  g_object_set (element, "location", location, "tile", tile, NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, BIG_CAPS);
  return h;
}

/* N times the prepared pixels past 64 Mi: 64 tiled 1x1 slices on
 * 1024x1024 frames (a tiled canvas is the frame plus one period plus
 * 4 pixels each side: 1033 x 1033, 68.3 M pixels in all).  At caps time
 * an error naming the file; as a swap while PLAYING, a warning naming it
 * and the previous watermark stays; after a geometry change, a warning
 * and none drawn. */
static void
test_limit (void)
{
  g_autofree gchar *big = write_npy ("tiled64.npy", TRUE, 64, 1, 1,
      slice_rgba);
  g_autofree gchar *dot = write_npy ("dot.npy", FALSE, 1, 1, 1,
      still_colour);
  g_autoptr (GstBus) bus = gst_bus_new ();
  g_autoptr (GstBus) bus2 = gst_bus_new ();
  g_autoptr (GstBus) bus3 = gst_bus_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;
  GstHarness *h;
  GstMessage *msg;
  gint64 deadline;

  h = new_big_harness (big, TRUE, bus);
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_and_alloc (1024 *
              1024 * 4)), ==, GST_FLOW_NOT_NEGOTIATED);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &error, &debug);
  g_test_message ("error: %s (%s)", error->message, debug);
  g_assert_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, big));
  g_assert_nonnull (strstr (error->message, "too large"));
  g_assert_nonnull (strstr (debug, "the limit is 67108864"));
  gst_message_unref (msg);
  g_clear_error (&error);
  g_clear_pointer (&debug, g_free);
  test_util_harness_teardown (h, bus);

  /* as a swap: refused in the background, the still stays */
  h = new_big_harness (dot, TRUE, bus2);
  g_assert_cmpuint (push_big (h, 0), ==, still_rgba[0]);
  g_object_set (h->element, "location", big, NULL);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while ((msg = gst_bus_pop_filtered (bus2, GST_MESSAGE_WARNING |
              GST_MESSAGE_ELEMENT)) == NULL) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_assert_cmpuint (push_big (h, 0), ==, still_rgba[0]);
    g_usleep (1000);
  }
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_WARNING);
  gst_message_parse_warning (msg, &error, &debug);
  g_test_message ("warning: %s (%s)", error->message, debug);
  g_assert_nonnull (strstr (error->message, big));
  g_assert_nonnull (strstr (debug, "the limit is 67108864"));
  gst_message_unref (msg);
  g_clear_error (&error);
  g_clear_pointer (&debug, g_free);
  g_assert_cmpuint (push_big (h, 0), ==, still_rgba[0]);
  g_assert_cmpuint (push_big (h, GST_SECOND), ==, still_rgba[0]);
  test_util_harness_teardown (h, bus2);

  /* a geometry change taking an animation past it: one warning, no
   * watermark; back under it, the animation again */
  h = new_big_harness (big, FALSE, bus3);
  g_assert_cmpuint (push_big (h, 0), ==, 40);
  /* slice 1 once the background has it (slice 0 until then) */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (push_big (h, GST_SECOND / 10) != 40 + 3) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (1000);
  }
  g_object_set (h->element, "tile", TRUE, NULL);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (;;) {
    guint red = push_big (h, GST_SECOND / 10);

    /* the frame that finds it past the limit is not drawn */
    if ((msg = gst_bus_pop_filtered (bus3, GST_MESSAGE_WARNING)) != NULL) {
      g_assert_cmpuint (red, ==, 0);
      break;
    }
    g_assert_cmpuint (red, ==, 40 + 3);
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (1000);
  }
  gst_message_parse_warning (msg, &error, &debug);
  g_test_message ("warning: %s (%s)", error->message, debug);
  g_assert_nonnull (strstr (error->message, big));
  g_assert_nonnull (strstr (error->message, "drawing none"));
  gst_message_unref (msg);
  g_assert_cmpuint (push_big (h, 0), ==, 0);
  g_object_set (h->element, "tile", FALSE, NULL);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (push_big (h, GST_SECOND / 5) == 0) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (1000);
  }
  g_assert_cmpuint (push_big (h, GST_SECOND / 5), ==, 40 + 3 * 2);
  g_assert_null (gst_bus_pop_filtered (bus3, GST_MESSAGE_WARNING |
          GST_MESSAGE_ERROR));
  test_util_harness_teardown (h, bus3);
}

/* A stack may take no more memory than a max-size square still read at
 * 16 bits: (5, 4, 4, 4) uint8 is 320 bytes, a 4x4 still 128. */
static void
test_stack_bytes (void)
{
  g_autofree gchar *path = write_npy ("five4.npy", TRUE, 5, 4, 4,
      slice_rgba);
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  g_autoptr (GstBus) bus = gst_bus_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;
  GstMessage *msg;

  gst_element_set_bus (element, bus);
  g_object_set (element, "location", path, "max-size", 4, NULL);
  g_assert_cmpint (gst_element_set_state (element, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &error, &debug);
  g_test_message ("error: %s (%s)", error->message, debug);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (debug, "the limit is 128 bytes"));
  gst_message_unref (msg);
  gst_element_set_state (element, GST_STATE_NULL);

  /* one size up it plays */
  g_object_set (element, "max-size", 9, NULL);
  g_assert_cmpint (gst_element_set_state (element, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (element, GST_STATE_NULL);
  gst_element_set_bus (element, NULL);
  gst_object_unref (element);
}

/* Slices (and stills) prepared on the thread that pushes (the harness's
 * streaming thread), from the element's log. */
static GThread *streaming_thread;
static gint streaming_slices;

static void
count_streaming_slices (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *text = gst_debug_message_get (message);
  guint n;

  if (g_thread_self () != streaming_thread)
    return;
  if (g_str_has_prefix (text, "prepared slice ") ||
      g_str_has_prefix (text, "preparing slice ") ||
      g_str_has_prefix (text, "prepared for "))
    g_atomic_int_add (&streaming_slices, 1);
  else if (sscanf (text, "prepared %u slices", &n) == 1)
    g_atomic_int_add (&streaming_slices, n);
}

/* A gate the background waits at before each slice it prepares
 * (npw_slices_set_fill_hook ()): closed, it prepares none. */
static GMutex gate_lock;
static GCond gate_cond;
static gboolean gate_open = TRUE;
static gint gate_calls;

static void
gate_hook (guint slice)
{
  g_atomic_int_inc (&gate_calls);
  g_mutex_lock (&gate_lock);
  while (!gate_open)
    g_cond_wait (&gate_cond, &gate_lock);
  g_mutex_unlock (&gate_lock);
}

static void
gate_set (gboolean open)
{
  g_mutex_lock (&gate_lock);
  gate_open = open;
  g_cond_broadcast (&gate_cond);
  g_mutex_unlock (&gate_lock);
}

/* Pushes frames on every slice of an @n slice animation (but @own)
 * while the background prepares none: each shows @own, the one the
 * first frame after the caps prepared, and the streaming thread
 * prepares no other. */
static void
check_nearest (GstHarness * h, guint n, gint own)
{
  gint before = g_atomic_int_get (&streaming_slices);
  guint k, round;

  for (round = 0; round < 2; round++)
    for (k = 0; k < n; k++)
      g_assert_cmpint (push_shown (h, SLICE_PTS (k)), ==, own);
  g_assert_cmpint (g_atomic_int_get (&streaming_slices), ==, before);
}

/* New caps for a 30-slice animation (at start, then 32x16 -> 48x24
 * while playing), its slices playing as large ones (none quick to
 * prepare): the streaming thread prepares only the slice the first
 * frame after them shows, never one a later frame needs before the
 * background has it (that frame shows the nearest one prepared, without
 * waiting); once the background has them all, every frame shows its
 * own slice. */
static void
test_caps_change_one_slice (void)
{
  g_autofree gchar *path = write_stack ("thirty.npy", 30);
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h;
  guint quick;

  streaming_thread = g_thread_self ();
  g_atomic_int_set (&streaming_slices, 0);
  gst_debug_set_threshold_for_name ("npywatermark", GST_LEVEL_DEBUG);
  gst_debug_add_log_function (count_streaming_slices, NULL, NULL);
  npw_slices_set_fill_hook (gate_hook);
  quick = npw_slices_set_quick_pixels (0);
  gate_set (FALSE);

  h = new_harness (path, &bus);
  g_assert_cmpint (push_shown (h, 0), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&streaming_slices), ==, 1);
  check_nearest (h, 30, 0);
  gate_set (TRUE);
  wait_all_slices (h, 30);
  check_frames (h, 30, 10, 1, TRUE, FRAME_DURATION, 1, 100);

  /* new caps while playing: the first frame on them is on slice 7 */
  gate_set (FALSE);
  frame_w = 48;
  frame_h = 24;
  gst_harness_set_src_caps_str (h, "video/x-raw, format=RGBA, width=48, "
      "height=24, framerate=25/1");
  g_assert_cmpint (push_shown (h, SLICE_PTS (7)), ==, 7);
  g_assert_cmpint (g_atomic_int_get (&streaming_slices), ==, 2);
  check_nearest (h, 30, 7);
  gate_set (TRUE);
  wait_all_slices (h, 30);
  check_frames (h, 30, 10, 1, TRUE, FRAME_DURATION, 1, 100);

  g_test_message ("%d slices prepared on the streaming thread",
      g_atomic_int_get (&streaming_slices));
  g_assert_cmpint (g_atomic_int_get (&streaming_slices), ==, 2);
  gst_debug_remove_log_function (count_streaming_slices);
  gst_debug_unset_threshold_for_name ("npywatermark");
  npw_slices_set_fill_hook (NULL);
  npw_slices_set_quick_pixels (quick);
  frame_w = FRAME_W;
  frame_h = FRAME_H;
  test_util_harness_teardown (h, bus);
}

static gpointer
open_gate_later (gpointer data)
{
  g_usleep (50 * 1000);
  gate_set (TRUE);
  return NULL;
}

/* stop () while the background is held before a slice: it waits for it,
 * and nothing of the element prepares slices once it has returned. */
static void
test_stop_while_filling (void)
{
  g_autofree gchar *path = write_stack ("twelve.npy", 12);
  guint round, quick = npw_slices_set_quick_pixels (0);

  npw_slices_set_fill_hook (gate_hook);
  for (round = 0; round < 3; round++) {
    g_autoptr (GstBus) bus = NULL;
    GstHarness *h;
    GThread *opener;
    gint calls;

    gate_set (FALSE);
    h = new_harness (path, &bus);
    g_assert_cmpint (push_shown (h, SLICE_PTS (5)), ==, 5);
    g_assert_cmpint (push_shown (h, SLICE_PTS (6)), ==, 5);
    opener = g_thread_new ("opener", open_gate_later, NULL);
    test_util_harness_teardown (h, bus);
    calls = g_atomic_int_get (&gate_calls);
    g_usleep (20 * 1000);
    g_assert_cmpint (g_atomic_int_get (&gate_calls), ==, calls);
    g_thread_join (opener);
  }
  npw_slices_set_fill_hook (NULL);
  npw_slices_set_quick_pixels (quick);
}

/* Pushes a frame at @pts that the watermark covers whole, and returns
 * the slice it shows. */
static gint
push_covered (GstHarness * h, GstClockTime pts)
{
  GstBuffer *out;
  GstMapInfo map;
  guint8 want[4];
  gsize i;
  gint k;

  g_assert_cmpint (gst_harness_push (h, make_frame (pts)), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_true (gst_buffer_map (out, &map, GST_MAP_READ));
  k = (map.data[0] - 40) / 3;
  slice_rgba (k, want);
  for (i = 0; i < map.size; i += 4)
    g_assert_cmpmem (map.data + i, 4, want, 4);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  return k;
}

/* Offsets moving past the window cut from an animation larger than the
 * frame: each frame shows its own slice (prepared with a new set, as
 * after new caps), and the background prepares nothing for sets that
 * serve one frame; once the offsets stay, it completes the set. */
static void
test_moving_offsets (void)
{
  g_autofree gchar *path = write_npy ("wide.npy", TRUE, 4, 1024, FRAME_H,
      slice_rgba);
  g_autoptr (GstBus) bus = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  GstHarness *h;
  gint calls;
  guint i, k, right, quick = npw_slices_set_quick_pixels (0);

  npw_slices_set_fill_hook (gate_hook);
  gate_set (TRUE);
  calls = g_atomic_int_get (&gate_calls);
  h = new_harness (path, &bus);
  for (i = 0; i < 12; i++) {
    g_object_set (h->element, "offset-x", -70 * (gint) i, NULL);
    g_assert_cmpint (push_covered (h, SLICE_PTS (i % 4)), ==, i % 4);
    /* time for a background handed the set to start on it */
    g_usleep (2000);
  }
  g_assert_cmpint (g_atomic_int_get (&gate_calls), ==, calls);

  do {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    for (k = 0, right = 0; k < 4; k++)
      right += push_covered (h, SLICE_PTS (k)) == (gint) k;
  } while (right < 4);
  /* the three slices the streaming thread did not prepare, once each */
  g_assert_cmpint (g_atomic_int_get (&gate_calls), ==, calls + 3);
  npw_slices_set_fill_hook (NULL);
  npw_slices_set_quick_pixels (quick);
  test_util_harness_teardown (h, bus);
}

/* Small slices (NPW_ANIMATION_QUICK_PIXELS) with the background held:
 * each frame prepares its own slice when it is missing, so every frame
 * shows it exactly (a transcode, faster than the background). */
static void
test_quick_slices (void)
{
  g_autofree gchar *path = write_stack ("ten.npy", 10);
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h;

  streaming_thread = g_thread_self ();
  g_atomic_int_set (&streaming_slices, 0);
  gst_debug_set_threshold_for_name ("npywatermark", GST_LEVEL_DEBUG);
  gst_debug_add_log_function (count_streaming_slices, NULL, NULL);
  npw_slices_set_fill_hook (gate_hook);
  gate_set (FALSE);
  h = new_harness (path, &bus);
  check_frames (h, 10, 10, 1, TRUE, FRAME_DURATION, 1, 100);
  g_assert_cmpint (g_atomic_int_get (&streaming_slices), ==, 10);
  gst_debug_remove_log_function (count_streaming_slices);
  gst_debug_unset_threshold_for_name ("npywatermark");
  gate_set (TRUE);
  npw_slices_set_fill_hook (NULL);
  test_util_harness_teardown (h, bus);
}

/* New caps while a swap is read and prepared in the background: the
 * loader is asked again, for the new caps, so the new watermark (a
 * (1, H, W, 4) still, or an animation) comes prepared for them and the
 * streaming thread prepares none of it. */
static void
test_caps_change_during_swap (void)
{
  g_autofree gchar *still = write_still ("still.npy");
  g_autofree gchar *one = write_stack ("one.npy", 1);
  g_autofree gchar *anim = write_stack ("three.npy", 3);
  const gchar *targets[] = { one, anim };
  guint i;

  streaming_thread = g_thread_self ();
  for (i = 0; i < G_N_ELEMENTS (targets); i++) {
    g_autoptr (GstBus) bus = NULL;
    GstHarness *h = new_harness (still, &bus);
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    GstMessage *msg = NULL;

    g_assert_cmpint (push_shown (h, 0), ==, STILL);
    /* no frame takes the result before the caps come */
    g_object_set (h->element, "location", targets[i], NULL);
    frame_w = 48;
    frame_h = 24;
    gst_harness_set_src_caps_str (h, "video/x-raw, format=RGBA, width=48, "
        "height=24, framerate=25/1");

    g_atomic_int_set (&streaming_slices, 0);
    gst_debug_set_threshold_for_name ("npywatermark", GST_LEVEL_DEBUG);
    gst_debug_add_log_function (count_streaming_slices, NULL, NULL);
    while (msg == NULL) {
      gint k = push_shown (h, 0);

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
      g_assert_cmpint (k, ==, msg ? 0 : STILL);
      g_usleep (1000);
    }
    g_assert_true (is_loaded_message (msg));
    gst_message_unref (msg);
    g_assert_cmpint (push_shown (h, 0), ==, 0);
    gst_debug_remove_log_function (count_streaming_slices);
    gst_debug_unset_threshold_for_name ("npywatermark");
    g_assert_cmpint (g_atomic_int_get (&streaming_slices), ==, 0);
    frame_w = FRAME_W;
    frame_h = FRAME_H;
    test_util_harness_teardown (h, bus);
  }
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  GST_ELEMENT_REGISTER (npywatermark, NULL);

  tmpdir = g_dir_make_tmp ("test-animation-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/animation/default-rate", test_default_rate);
  g_test_add_func ("/animation/rates", test_rates);
  g_test_add_func ("/animation/no-loop", test_no_loop);
  g_test_add_func ("/animation/segments", test_segments);
  g_test_add_func ("/animation/one-slice", test_one_slice);
  g_test_add_func ("/animation/swap", test_swap);
  g_test_add_func ("/animation/stress", test_stress);
  g_test_add_func ("/animation/limit", test_limit);
  g_test_add_func ("/animation/stack-bytes", test_stack_bytes);
  g_test_add_func ("/animation/caps-change-one-slice",
      test_caps_change_one_slice);
  g_test_add_func ("/animation/stop-while-filling", test_stop_while_filling);
  g_test_add_func ("/animation/moving-offsets", test_moving_offsets);
  g_test_add_func ("/animation/quick-slices", test_quick_slices);
  g_test_add_func ("/animation/caps-change-during-swap",
      test_caps_change_during_swap);

  ret = g_test_run ();

  {
    g_autoptr (GDir) dir = g_dir_open (tmpdir, 0, NULL);
    const gchar *name;

    while (dir && (name = g_dir_read_name (dir)) != NULL) {
      g_autofree gchar *p = g_build_filename (tmpdir, name, NULL);
      g_remove (p);
    }
  }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  gst_deinit ();
  return ret;
}
