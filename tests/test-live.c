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

/* Live control of npywatermark: controller fades and slides, location
 * swaps while frames flow, bad swaps, removal, and an application thread
 * changing every property while thousands of frames pass.
 *
 * Frames are one flat colour and watermarks are flat rectangles, so each
 * output frame says on its own which (location, opacity, offset-x,
 * offset-y) it was blended with: the pixels that differ from the
 * background must form one filled rectangle of one colour. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/controller/gstdirectcontrolbinding.h>

#include "gstnpywatermark.h"
#include "test-util.h"

#define FRAME_W 32
#define FRAME_H 16
#define FPS 25
#define FRAME_DURATION (GST_SECOND / FPS)       /* 40 ms, exact */
#define CAPS_STR "video/x-raw, format=RGBA, width=32, height=16, " \
    "framerate=25/1"

/* Background of every frame, opaque. */
static const guint8 background[4] = { 20, 60, 100, 255 };

/* The watermarks: flat rectangles of one RGBA colour. */
typedef struct
{
  const gchar *name;
  guint width, height;
  guint8 rgba[4];
} Mark;

static const Mark mark_a = { "a.npy", 6, 4, {200, 40, 40, 255} };
static const Mark mark_b = { "b.npy", 5, 3, {40, 200, 40, 160} };

static gchar *tmpdir;

static gchar *
mark_path (const Mark * mark)
{
  return g_build_filename (tmpdir, mark->name, NULL);
}

/* A version 1.0 .npy, uint8, shape (height, width, 4), written byte by
 * byte so the test does not trust the reader it checks. */
static void
write_npy (const gchar * path, guint width, guint height, const guint8 rgba[4])
{
  g_autofree gchar *shape = g_strdup_printf ("(%u, %u, 4)", height, width);
  GString *s = test_util_npy_header ("|u1", shape);
  g_autoptr (GError) error = NULL;
  gsize i;

  for (i = 0; i < (gsize) width * height; i++)
    g_string_append_len (s, (const gchar *) rgba, 4);
  g_file_set_contents (path, s->str, s->len, &error);
  g_assert_no_error (error);
  g_string_free (s, TRUE);
}

/* round (x / 255), the reference written apart from the kernels. */
static guint
div255 (guint x)
{
  return (guint) floor (x / 255.0 + 0.5);
}

/* What a background pixel under @mark becomes at opacity @opacity:
 * op = round (opacity * 255), A = round (a * op / 255),
 * out = round ((v * A + d * (255 - A)) / 255); the frame's alpha is
 * composited "over", so an opaque frame stays opaque. */
static void
expected_colour (const Mark * mark, gdouble opacity, guint8 out[4])
{
  guint op = (guint) floor (opacity * 255.0 + 0.5);
  guint a = div255 (mark->rgba[3] * op);
  guint c;

  for (c = 0; c < 3; c++)
    out[c] = div255 (mark->rgba[c] * a + background[c] * (255 - a));
  out[3] = a + div255 (background[3] * (255 - a));
}

static GstBuffer *
make_frame (guint index)
{
  GstBuffer *buf = gst_buffer_new_and_alloc (FRAME_W * FRAME_H * 4);
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i += 4)
    memcpy (map.data + i, background, 4);
  gst_buffer_unmap (buf, &map);

  GST_BUFFER_PTS (buf) = index * FRAME_DURATION;
  GST_BUFFER_DURATION (buf) = FRAME_DURATION;
  return buf;
}

/* What a frame shows: the pixels that differ from the background. */
typedef struct
{
  gboolean marked;              /* some pixel differs */
  gboolean flat;                /* they fill one rectangle, one colour */
  gint x, y, w, h;              /* that rectangle */
  guint8 rgba[4];               /* its colour */
} Look;

static Look
look_at (GstBuffer * buf)
{
  Look look = { FALSE, TRUE, 0, 0, 0, 0, {0, 0, 0, 0} };
  gint x0 = FRAME_W, y0 = FRAME_H, x1 = -1, y1 = -1, x, y;
  GstMapInfo map;

  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, ==, FRAME_W * FRAME_H * 4);

  for (y = 0; y < FRAME_H; y++)
    for (x = 0; x < FRAME_W; x++) {
      const guint8 *p = map.data + (y * FRAME_W + x) * 4;

      if (memcmp (p, background, 4) == 0)
        continue;
      if (!look.marked)
        memcpy (look.rgba, p, 4);
      else if (memcmp (p, look.rgba, 4) != 0)
        look.flat = FALSE;
      look.marked = TRUE;
      x0 = MIN (x0, x);
      y0 = MIN (y0, y);
      x1 = MAX (x1, x);
      y1 = MAX (y1, y);
    }

  if (look.marked) {
    look.x = x0;
    look.y = y0;
    look.w = x1 - x0 + 1;
    look.h = y1 - y0 + 1;
    /* Every pixel of the bounding box must be marked. */
    for (y = y0; y <= y1; y++)
      for (x = x0; x <= x1; x++)
        if (memcmp (map.data + (y * FRAME_W + x) * 4, background, 4) == 0)
          look.flat = FALSE;
  }

  gst_buffer_unmap (buf, &map);
  return look;
}

/* Asserts @buf shows @mark at (@x, @y), clipped to the frame, at
 * @opacity; @mark NULL: the frame is untouched. */
static void
assert_frame (GstBuffer * buf, const Mark * mark, gdouble opacity, gint x,
    gint y)
{
  Look look = look_at (buf);
  guint8 want[4];

  if (mark == NULL) {
    g_assert_false (look.marked);
    return;
  }

  expected_colour (mark, opacity, want);
  g_assert_true (look.marked);
  g_assert_true (look.flat);
  g_assert_cmpint (look.x, ==, MAX (x, 0));
  g_assert_cmpint (look.y, ==, MAX (y, 0));
  g_assert_cmpint (look.x + look.w, ==, MIN (x + (gint) mark->width, FRAME_W));
  g_assert_cmpint (look.y + look.h, ==, MIN (y + (gint) mark->height, FRAME_H));
  g_assert_cmpmem (look.rgba, 4, want, 4);
}

/* A harness around a fresh npywatermark showing @mark (or nothing), with
 * a bus of its own so the test can read what the element posts. */
static GstHarness *
new_harness (const Mark * mark, GstBus ** bus)
{
  g_autofree gchar *path = mark ? mark_path (mark) : NULL;

  return test_util_harness_new (path, CAPS_STR, bus);
}

/* Pushes frame @index and pulls it back: exactly one buffer out, the
 * same frame (timestamp), nothing lost or duplicated. */
static GstBuffer *
push_pull (GstHarness * h, guint index)
{
  GstBuffer *out;

  g_assert_cmpint (gst_harness_push (h, make_frame (index)), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_nonnull (out);
  g_assert_cmpuint (GST_BUFFER_PTS (out), ==, index * FRAME_DURATION);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  return out;
}

static GstMessage *
pop_message (GstBus * bus, GstMessageType types)
{
  return gst_bus_pop_filtered (bus, types);
}

static gboolean
is_loaded_message (GstMessage * msg)
{
  return GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      gst_message_has_name (msg, "npywatermark-loaded");
}

/* Frames while a new location is read in the background: pushes frames
 * from *@index on (a little apart, as a live source would), each checked
 * to show @before, until one posts "npywatermark-loaded" or a warning.
 * That frame is returned and *@index moves past it. */
static GstBuffer *
push_until_switch (GstHarness * h, GstBus * bus, guint * index,
    const Mark * before, GstMessage ** msg)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  *msg = NULL;
  while (g_get_monotonic_time () < deadline) {
    GstBuffer *out = push_pull (h, *index);

    (*index)++;
    while ((*msg = pop_message (bus, GST_MESSAGE_ANY)) != NULL) {
      if (is_loaded_message (*msg) ||
          GST_MESSAGE_TYPE (*msg) == GST_MESSAGE_WARNING)
        return out;
      gst_message_unref (*msg);
    }
    assert_frame (out, before, 1.0, 0, 0);
    gst_buffer_unref (out);
    g_usleep (1000);
  }
  g_error ("the element never took the new location");
  return NULL;
}

/* A GstController fade from 0 to 1 over 17 frame durations: frame i
 * carries opacity i / 17, so op = 15 * i exactly, and frame 0 (opacity
 * 0) passes through untouched. */
static void
test_fade (void)
{
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&mark_a, &bus);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GstTimedValueControlSource *tvcs = GST_TIMED_VALUE_CONTROL_SOURCE (cs);
  guint i;

  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  g_assert_true (gst_timed_value_control_source_set (tvcs, 0, 0.0));
  g_assert_true (gst_timed_value_control_source_set (tvcs,
          17 * FRAME_DURATION, 1.0));
  g_assert_true (gst_object_add_control_binding (GST_OBJECT (h->element),
          gst_direct_control_binding_new (GST_OBJECT (h->element),
              "opacity", cs)));

  for (i = 0; i <= 20; i++) {
    GstBuffer *in = make_frame (i);
    GstBuffer *out;
    gdouble opacity = MIN (i, 17) / 17.0;

    /* Keep a ref: a frame the element draws on is then copied, one it
     * passes through comes back as the very same buffer. */
    gst_buffer_ref (in);
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    out = gst_harness_pull (h);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, i * FRAME_DURATION);

    if (i == 0) {
      g_assert_true (out == in);
      assert_frame (out, NULL, 0, 0, 0);
    } else {
      guint8 want[4];

      expected_colour (&mark_a, opacity, want);
      /* The fade really is linear in op: 15 per frame. */
      g_assert_cmpuint (want[0], ==, div255 (200 * 15 * MIN (i, 17) +
              20 * (255 - 15 * MIN (i, 17))));
      assert_frame (out, &mark_a, opacity, 0, 0);
    }
    gst_buffer_unref (in);
    gst_buffer_unref (out);
  }

  g_assert_null (pop_message (bus, GST_MESSAGE_ANY));
  gst_object_unref (cs);
  test_util_harness_teardown (h, bus);
}

/* A slide: offset-x bound absolutely (control values are pixels) moves
 * one pixel per frame, from -6 (just outside, nothing drawn) to 30
 * (clipped on the right). */
static void
test_slide (void)
{
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&mark_a, &bus);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GstTimedValueControlSource *tvcs = GST_TIMED_VALUE_CONTROL_SOURCE (cs);
  guint i;

  g_object_set (h->element, "offset-y", 5, NULL);
  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  gst_timed_value_control_source_set (tvcs, 0, -6.0);
  gst_timed_value_control_source_set (tvcs, 36 * FRAME_DURATION, 30.0);
  gst_object_add_control_binding (GST_OBJECT (h->element),
      gst_direct_control_binding_new_absolute (GST_OBJECT (h->element),
          "offset-x", cs));

  for (i = 0; i <= 36; i++) {
    GstBuffer *out = push_pull (h, i);
    gint x = (gint) i - 6;

    assert_frame (out, i == 0 ? NULL : &mark_a, 1.0, x, 5);
    gst_buffer_unref (out);
  }

  gst_object_unref (cs);
  test_util_harness_teardown (h, bus);
}

/* A new location while frames flow: frames show the old watermark until
 * the one the "npywatermark-loaded" message names, and the new one from
 * that frame on; every frame comes out once, in order. */
static void
test_swap (void)
{
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&mark_a, &bus);
  g_autofree gchar *path_b = mark_path (&mark_b);
  GstMessage *msg;
  GstBuffer *out;
  const GstStructure *s;
  guint64 timestamp;
  guint index = 0, first_b, i;

  for (i = 0; i < 5; i++) {
    out = push_pull (h, index++);
    assert_frame (out, &mark_a, 1.0, 0, 0);
    gst_buffer_unref (out);
  }

  g_object_set (h->element, "location", path_b, NULL);
  out = push_until_switch (h, bus, &index, &mark_a, &msg);
  first_b = index - 1;

  g_assert_true (is_loaded_message (msg));
  g_assert_true (GST_MESSAGE_SRC (msg) == GST_OBJECT (h->element));
  s = gst_message_get_structure (msg);
  g_assert_cmpstr (gst_structure_get_string (s, "location"), ==, path_b);
  g_assert_true (gst_structure_get_uint64 (s, "timestamp", &timestamp));
  g_assert_cmpuint (timestamp, ==, first_b * FRAME_DURATION);
  g_assert_cmpuint (timestamp, ==, GST_BUFFER_PTS (out));
  gst_message_unref (msg);

  assert_frame (out, &mark_b, 1.0, 0, 0);
  gst_buffer_unref (out);
  for (i = 0; i < 10; i++) {
    out = push_pull (h, index++);
    assert_frame (out, &mark_b, 1.0, 0, 0);
    gst_buffer_unref (out);
  }

  /* One switch, one message, nothing else. */
  g_assert_null (pop_message (bus, GST_MESSAGE_ANY));
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, index);
  test_util_harness_teardown (h, bus);
}

/* A new location that cannot be used: one warning naming the file (with
 * @code: NOT_FOUND for a missing file, READ for a bad one), the old
 * watermark stays, and no "loaded" message. */
static void
check_bad_swap (const gchar * bad_path, gint code)
{
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&mark_a, &bus);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;
  g_autofree gchar *location = NULL;
  GstMessage *msg;
  GstBuffer *out;
  guint index = 0, i;

  out = push_pull (h, index++);
  assert_frame (out, &mark_a, 1.0, 0, 0);
  gst_buffer_unref (out);

  g_object_set (h->element, "location", bad_path, NULL);
  out = push_until_switch (h, bus, &index, &mark_a, &msg);
  assert_frame (out, &mark_a, 1.0, 0, 0);
  gst_buffer_unref (out);

  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_WARNING);
  gst_message_parse_warning (msg, &error, &debug);
  g_test_message ("warning: %s (%s)", error->message, debug);
  g_assert_error (error, GST_RESOURCE_ERROR, code);
  g_assert_nonnull (strstr (error->message, bad_path));
  gst_message_unref (msg);

  /* The element keeps its location property as set, and draws on. */
  g_object_get (h->element, "location", &location, NULL);
  g_assert_cmpstr (location, ==, bad_path);
  for (i = 0; i < 20; i++) {
    out = push_pull (h, index++);
    assert_frame (out, &mark_a, 1.0, 0, 0);
    gst_buffer_unref (out);
    g_usleep (500);
  }
  g_assert_null (pop_message (bus, GST_MESSAGE_ANY));

  /* A good file afterwards still works. */
  {
    g_autofree gchar *path_b = mark_path (&mark_b);

    g_object_set (h->element, "location", path_b, NULL);
    out = push_until_switch (h, bus, &index, &mark_a, &msg);
    g_assert_true (is_loaded_message (msg));
    assert_frame (out, &mark_b, 1.0, 0, 0);
    gst_message_unref (msg);
    gst_buffer_unref (out);
  }

  test_util_harness_teardown (h, bus);
}

static void
test_bad_swap_garbage (void)
{
  g_autofree gchar *path = g_build_filename (tmpdir, "garbage.npy", NULL);

  g_assert_true (g_file_set_contents (path, "this is not a .npy file\n",
          -1, NULL));
  check_bad_swap (path, GST_RESOURCE_ERROR_READ);
}

static void
test_bad_swap_missing (void)
{
  g_autofree gchar *path = g_build_filename (tmpdir, "missing.npy", NULL);

  check_bad_swap (path, GST_RESOURCE_ERROR_NOT_FOUND);
}

/* The same path set again while frames flow rereads the file: a
 * watermark rewritten in place is picked up without a new name. */
static void
test_same_location_rereads (void)
{
  static const Mark first = { "rewritten.npy", 6, 4, {200, 40, 40, 255} };
  g_autofree gchar *path = mark_path (&first);
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h;
  GstMessage *msg;
  GstBuffer *out;
  guint index = 0;

  write_npy (path, first.width, first.height, first.rgba);
  h = new_harness (&first, &bus);
  out = push_pull (h, index++);
  assert_frame (out, &first, 1.0, 0, 0);
  gst_buffer_unref (out);

  /* rewritten in place with mark_b's size and colour */
  write_npy (path, mark_b.width, mark_b.height, mark_b.rgba);
  g_object_set (h->element, "location", path, NULL);
  out = push_until_switch (h, bus, &index, &first, &msg);
  g_assert_true (is_loaded_message (msg));
  assert_frame (out, &mark_b, 1.0, 0, 0);
  gst_message_unref (msg);
  gst_buffer_unref (out);

  test_util_harness_teardown (h, bus);
}

/* NULL or "" while frames flow: the watermark goes from the frame the
 * message names on (the buffers then pass through untouched), and a
 * location set again brings it back. */
static void
check_remove (const gchar * empty)
{
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&mark_a, &bus);
  g_autofree gchar *path_a = mark_path (&mark_a);
  GstMessage *msg;
  GstBuffer *out, *in;
  guint64 timestamp;
  guint index = 0, i;

  out = push_pull (h, index++);
  assert_frame (out, &mark_a, 1.0, 0, 0);
  gst_buffer_unref (out);

  g_object_set (h->element, "location", empty, NULL);
  out = push_until_switch (h, bus, &index, &mark_a, &msg);
  g_assert_true (is_loaded_message (msg));
  g_assert_null (gst_structure_get_string (gst_message_get_structure (msg),
          "location"));
  g_assert_true (gst_structure_get_uint64 (gst_message_get_structure (msg),
          "timestamp", &timestamp));
  g_assert_cmpuint (timestamp, ==, GST_BUFFER_PTS (out));
  gst_message_unref (msg);
  assert_frame (out, NULL, 0, 0, 0);
  gst_buffer_unref (out);

  /* Passthrough: the same buffer comes back, not a copy. */
  for (i = 0; i < 5; i++) {
    in = gst_buffer_ref (make_frame (index++));
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    out = gst_harness_pull (h);
    g_assert_true (out == in);
    assert_frame (out, NULL, 0, 0, 0);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }

  g_object_set (h->element, "location", path_a, NULL);
  out = push_until_switch (h, bus, &index, NULL, &msg);
  g_assert_true (is_loaded_message (msg));
  assert_frame (out, &mark_a, 1.0, 0, 0);
  gst_message_unref (msg);
  gst_buffer_unref (out);

  g_assert_null (pop_message (bus, GST_MESSAGE_ANY));
  test_util_harness_teardown (h, bus);
}

static void
test_remove_null (void)
{
  check_remove (NULL);
}

static void
test_remove_empty (void)
{
  check_remove ("");
}

/* The values the application thread picks from. */
static const gdouble stress_opacity[] = { 0.25, 0.5, 1.0 };
static const gint stress_x[] = { 0, 5, 11, -2 };
static const gint stress_y[] = { 0, 3, 7 };

typedef struct
{
  GstElement *element;
  gchar *locations[3];          /* a, b, "" */
  gint stop;
  gint sets;                    /* atomic */
} Stress;

static gpointer
stress_thread (gpointer data)
{
  Stress *stress = data;
  GRand *rand = g_rand_new_with_seed (5);

  while (!g_atomic_int_get (&stress->stop)) {
    switch (g_rand_int_range (rand, 0, 5)) {
      case 0:
        g_object_set (stress->element, "opacity",
            stress_opacity[g_rand_int_range (rand, 0, 3)], NULL);
        break;
      case 1:
        g_object_set (stress->element, "offset-x",
            stress_x[g_rand_int_range (rand, 0, 4)], NULL);
        break;
      case 2:
        g_object_set (stress->element, "offset-y",
            stress_y[g_rand_int_range (rand, 0, 3)], NULL);
        break;
      case 3:
        /* Mostly real files: an empty location is a short-lived state. */
        g_object_set (stress->element, "location",
            stress->locations[g_rand_int_range (rand, 0, 5) / 2], NULL);
        break;
      default:
        /* Several at once, as one g_object_set. */
        g_object_set (stress->element,
            "opacity", stress_opacity[g_rand_int_range (rand, 0, 3)],
            "offset-x", stress_x[g_rand_int_range (rand, 0, 4)],
            "offset-y", stress_y[g_rand_int_range (rand, 0, 3)], NULL);
        break;
    }
    g_atomic_int_inc (&stress->sets);
  }

  g_rand_free (rand);
  return NULL;
}

/* Which of the values set a frame was blended with; -1 if none fits. */
static gint
identify (const Look * look)
{
  const Mark *marks[2] = { &mark_a, &mark_b };
  guint m, o, xi, yi;

  if (!look->marked)
    return 0;
  if (!look->flat)
    return -1;

  for (m = 0; m < 2; m++)
    for (o = 0; o < G_N_ELEMENTS (stress_opacity); o++)
      for (xi = 0; xi < G_N_ELEMENTS (stress_x); xi++)
        for (yi = 0; yi < G_N_ELEMENTS (stress_y); yi++) {
          gint x = stress_x[xi], y = stress_y[yi];
          guint8 want[4];

          expected_colour (marks[m], stress_opacity[o], want);
          if (memcmp (want, look->rgba, 4) == 0 &&
              look->x == MAX (x, 0) && look->y == y &&
              look->x + look->w == x + (gint) marks[m]->width &&
              look->h == (gint) marks[m]->height)
            return 1 + ((m * 3 + o) * 4 + xi) * 3 + yi;
        }
  return -1;
}

/* Counts the swaps posted so far; every file is good, so there must be
 * no warning or error. */
static guint
drain_loaded (GstBus * bus)
{
  GstMessage *msg;
  guint loaded = 0;

  while ((msg = pop_message (bus, GST_MESSAGE_ANY))) {
    g_assert_true (is_loaded_message (msg));
    loaded++;
    gst_message_unref (msg);
  }
  return loaded;
}

/* An application thread sets every property in a tight loop while at
 * least 4000 frames flow: no crash, and every frame is blended wholly
 * with one consistent set of values among those set. */
static void
test_stress (void)
{
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&mark_a, &bus);
  Stress stress = { h->element, {mark_path (&mark_a), mark_path (&mark_b),
      g_strdup ("")}, 0, 0
  };
  gboolean seen[1 + 2 * 3 * 4 * 3] = { FALSE, };
  guint8 colours[6][4];
  GThread *thread;
  gint64 deadline;
  guint i, j, kinds = 0, loaded = 0;

  /* The test can tell every (location, opacity) apart by colour. */
  for (i = 0; i < 6; i++) {
    expected_colour (i < 3 ? &mark_a : &mark_b, stress_opacity[i % 3],
        colours[i]);
    for (j = 0; j < i; j++)
      g_assert_true (memcmp (colours[i], colours[j], 4) != 0);
  }

  thread = g_thread_new ("app", stress_thread, &stress);
  while (g_atomic_int_get (&stress.sets) == 0)
    g_thread_yield ();

  /* Frames go faster than a thread starts: go on, within reason, until
   * the values really changed under them. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (i = 0; i < 4000 || ((kinds <= 20 || loaded <= 10) &&
          g_get_monotonic_time () < deadline); i++) {
    GstBuffer *out = push_pull (h, i);
    Look look = look_at (out);
    gint kind = identify (&look);

    if (kind < 0)
      g_error ("frame %u is torn or wrong: marked %d flat %d at %d,%d "
          "%dx%d colour %u,%u,%u,%u", i, look.marked, look.flat, look.x,
          look.y, look.w, look.h, look.rgba[0], look.rgba[1], look.rgba[2],
          look.rgba[3]);
    if (!seen[kind])
      kinds++;
    seen[kind] = TRUE;
    gst_buffer_unref (out);
    if (i % 64 == 0)
      loaded += drain_loaded (bus);
  }
  g_atomic_int_set (&stress.stop, 1);
  g_thread_join (thread);
  loaded += drain_loaded (bus);

  g_test_message ("%u frames, %d property sets, %u swaps, %u kinds of "
      "frame seen", i, stress.sets, loaded, kinds);
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, i);
  /* The loop really ran across the frames, not before or after them. */
  g_assert_cmpint (stress.sets, >, 1000);
  g_assert_cmpuint (loaded, >, 10);
  g_assert_cmpuint (kinds, >, 20);

  for (i = 0; i < 3; i++)
    g_free (stress.locations[i]);
  test_util_harness_teardown (h, bus);
}

/* The same in a real pipeline: a live videotestsrc, a swap from the
 * application thread while PLAYING; the pipeline's bus tells when it
 * took effect. */
static void
test_pipeline_swap (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path_a = mark_path (&mark_a);
  g_autofree gchar *path_b = mark_path (&mark_b);
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true "
      "num-buffers=30 pattern=black ! " CAPS_STR " ! "
      "npywatermark name=wm location=%s ! fakesink name=sink", path_a);
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *wm;
  GstBus *bus;
  GstMessage *msg;
  gboolean swapped = FALSE, loaded = FALSE;

  g_assert_no_error (error);
  wm = gst_bin_get_by_name (GST_BIN (pipeline), "wm");
  bus = gst_element_get_bus (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);

  while ((msg = gst_bus_timed_pop_filtered (bus, 20 * GST_MSECOND,
              GST_MESSAGE_ERROR | GST_MESSAGE_WARNING | GST_MESSAGE_EOS |
              GST_MESSAGE_ELEMENT)) || !loaded) {
    if (msg == NULL) {
      if (!swapped) {
        /* From the application thread, while PLAYING. */
        g_object_set (wm, "location", path_b, NULL);
        swapped = TRUE;
      }
      continue;
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    g_assert_true (is_loaded_message (msg));
    g_assert_true (swapped);
    g_assert_cmpstr (gst_structure_get_string (gst_message_get_structure
            (msg), "location"), ==, path_b);
    loaded = TRUE;
    gst_message_unref (msg);
  }
  g_assert_true (loaded);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (wm);
  gst_object_unref (pipeline);
}

static GBytes *
mark_bytes (const Mark * mark)
{
  g_autofree gchar *path = mark_path (mark);
  gchar *contents;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_bytes_new_take (contents, len);
}

/* One rule for "data" in every state: set, it wins over location; set
 * while PLAYING, it swaps the watermark as a new location does (posting
 * npywatermark-loaded, location NULL); a location set meanwhile changes
 * nothing until data goes back to NULL. */
static void
test_data_swap (void)
{
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GBytes) a = mark_bytes (&mark_a);
  g_autoptr (GBytes) b = mark_bytes (&mark_b);
  g_autofree gchar *path_a = mark_path (&mark_a);
  g_autofree gchar *path_b = mark_path (&mark_b);
  GstElement *element =
      gst_object_ref_sink (gst_element_factory_make ("npywatermark", NULL));
  GstHarness *h;
  GstMessage *msg;
  GstBuffer *out;
  guint index = 0, i;

  /* data wins over a location set before start */
  g_object_set (element, "location", path_b, "data", a, NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, CAPS_STR);
  out = push_pull (h, index++);
  assert_frame (out, &mark_a, 1.0, 0, 0);
  gst_buffer_unref (out);

  g_object_set (h->element, "data", b, NULL);
  out = push_until_switch (h, bus, &index, &mark_a, &msg);
  g_assert_true (is_loaded_message (msg));
  g_assert_null (gst_structure_get_string (gst_message_get_structure (msg),
          "location"));
  gst_message_unref (msg);
  assert_frame (out, &mark_b, 1.0, 0, 0);
  gst_buffer_unref (out);

  /* a location while data is set: kept for later, nothing changes */
  g_object_set (h->element, "location", path_a, NULL);
  for (i = 0; i < 20; i++) {
    out = push_pull (h, index++);
    assert_frame (out, &mark_b, 1.0, 0, 0);
    gst_buffer_unref (out);
    g_usleep (1000);
  }
  g_assert_null (pop_message (bus, GST_MESSAGE_ANY));

  /* data back to NULL: the location */
  g_object_set (h->element, "data", NULL, NULL);
  out = push_until_switch (h, bus, &index, &mark_b, &msg);
  g_assert_true (is_loaded_message (msg));
  g_assert_cmpstr (gst_structure_get_string (gst_message_get_structure (msg),
          "location"), ==, path_a);
  gst_message_unref (msg);
  assert_frame (out, &mark_a, 1.0, 0, 0);
  gst_buffer_unref (out);

  g_assert_null (pop_message (bus, GST_MESSAGE_ANY));
  test_util_harness_teardown (h, bus);
}

/* The rectangle @mark shows at @position (0 top-left, 4 centre, 8
 * bottom-right) and @size (0 or 0.5) with offsets inward, worked out
 * from the documented formulas. */
static void
geometry_rect (const Mark * mark, gint position, gdouble size, gint ox,
    gint oy, gint * x, gint * y, gint * w, gint * h)
{
  *w = mark->width;
  *h = mark->height;
  if (size > 0) {
    gdouble s = MIN (size * FRAME_W / mark->width,
        size * FRAME_H / mark->height);

    *w = MAX (1, (gint) floor (mark->width * s + 0.5));
    *h = MAX (1, (gint) floor (mark->height * s + 0.5));
  }
  switch (position) {
    case 0:
      *x = ox;
      *y = oy;
      break;
    case 4:
      *x = (FRAME_W - *w) / 2 + ox;
      *y = (FRAME_H - *h) / 2 + oy;
      break;
    default:
      *x = FRAME_W - *w - ox;
      *y = FRAME_H - *h - oy;
      break;
  }
}

/* A change of position (or size) while PLAYING takes effect from one
 * frame on, without a frame lost or torn, and stays. */
static void
test_geometry_swap (void)
{
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&mark_a, &bus);
  const struct
  {
    gint position;
    gdouble size;
  } steps[] = { {8, 0}, {4, 0}, {4, 0.5}, {0, 0.5}, {0, 0} };
  guint index = 0, s, i;
  gint x, y, w, hh;

  g_object_set (h->element, "offset-x", 2, "offset-y", 1, NULL);
  for (i = 0; i < 3; i++) {
    GstBuffer *out = push_pull (h, index++);

    assert_frame (out, &mark_a, 1.0, 2, 1);
    gst_buffer_unref (out);
  }
  for (s = 0; s < G_N_ELEMENTS (steps); s++) {
    gboolean switched = FALSE;
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    g_object_set (h->element, "position", steps[s].position, "size",
        steps[s].size, NULL);
    geometry_rect (&mark_a, steps[s].position, steps[s].size, 2, 1, &x, &y,
        &w, &hh);
    for (i = 0; !switched || i < 10; i++) {
      GstBuffer *out = push_pull (h, index++);
      Look look = look_at (out);

      g_assert_true (look.marked);
      g_assert_true (look.flat);
      if (look.x == MAX (x, 0) && look.y == MAX (y, 0) &&
          look.x + look.w == MIN (x + w, FRAME_W) &&
          look.y + look.h == MIN (y + hh, FRAME_H)) {
        switched = TRUE;
      } else {
        /* the old geometry until the switch, never after it */
        g_assert_false (switched);
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_usleep (1000);
      }
      gst_buffer_unref (out);
    }
  }
  g_assert_null (pop_message (bus, GST_MESSAGE_ANY));
  test_util_harness_teardown (h, bus);
}

typedef struct
{
  GstElement *element;
  gint stop;
  gint sets;                    /* atomic */
} GeometryStress;

static const gint geometry_positions[] = { 0, 4, 8 };

static gpointer
geometry_stress_thread (gpointer data)
{
  GeometryStress *stress = data;
  GRand *rand = g_rand_new_with_seed (6);

  while (!g_atomic_int_get (&stress->stop)) {
    g_object_set (stress->element,
        "position", geometry_positions[g_rand_int_range (rand, 0, 3)],
        "size", g_rand_boolean (rand) ? 0.5 : 0.0,
        "opacity", stress_opacity[g_rand_int_range (rand, 0, 3)],
        "offset-x", stress_x[g_rand_int_range (rand, 0, 4)],
        "offset-y", stress_y[g_rand_int_range (rand, 0, 3)], NULL);
    g_atomic_int_inc (&stress->sets);
    if (g_rand_int_range (rand, 0, 4) == 0)
      g_usleep (200);
  }
  g_rand_free (rand);
  return NULL;
}

/* Whether @look is @mark drawn with one of the stress values. */
static gboolean
geometry_fits (const Look * look)
{
  guint p, si, o, xi, yi;

  if (!look->marked || !look->flat)
    return FALSE;
  for (p = 0; p < G_N_ELEMENTS (geometry_positions); p++)
    for (si = 0; si < 2; si++)
      for (o = 0; o < G_N_ELEMENTS (stress_opacity); o++)
        for (xi = 0; xi < G_N_ELEMENTS (stress_x); xi++)
          for (yi = 0; yi < G_N_ELEMENTS (stress_y); yi++) {
            guint8 want[4];
            gint x, y, w, h;

            geometry_rect (&mark_a, geometry_positions[p], si * 0.5,
                stress_x[xi], stress_y[yi], &x, &y, &w, &h);
            expected_colour (&mark_a, stress_opacity[o], want);
            if (memcmp (want, look->rgba, 4) == 0 &&
                look->x == MAX (x, 0) && look->y == MAX (y, 0) &&
                look->x + look->w == MIN (x + w, FRAME_W) &&
                look->y + look->h == MIN (y + h, FRAME_H))
              return TRUE;
          }
  return FALSE;
}

/* An application thread changes position, size, opacity and offsets in
 * a loop while 3000 frames flow: every frame is whole, drawn with one
 * consistent set of values. */
static void
test_geometry_stress (void)
{
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&mark_a, &bus);
  GeometryStress stress = { h->element, 0, 0 };
  GThread *thread;
  guint i;

  thread = g_thread_new ("app", geometry_stress_thread, &stress);
  while (g_atomic_int_get (&stress.sets) == 0)
    g_thread_yield ();
  for (i = 0; i < 3000; i++) {
    GstBuffer *out = push_pull (h, i);
    Look look = look_at (out);

    if (!geometry_fits (&look))
      g_error ("frame %u is torn or wrong: marked %d flat %d at %d,%d "
          "%dx%d colour %u,%u,%u,%u", i, look.marked, look.flat, look.x,
          look.y, look.w, look.h, look.rgba[0], look.rgba[1], look.rgba[2],
          look.rgba[3]);
    gst_buffer_unref (out);
  }
  g_atomic_int_set (&stress.stop, 1);
  g_thread_join (thread);
  g_test_message ("3000 frames, %d geometry sets", stress.sets);
  g_assert_null (pop_message (bus, GST_MESSAGE_ANY));
  test_util_harness_teardown (h, bus);
}

/* ------------------------------------------------------------------ */
/* Who owns what: swaps, restarts and stop () (issue 20) */

/* Watermarks larger than the frame, which take a while to read: the
 * frame shows their colour all over.  huge.npy is @huge_side square,
 * colour a, with its bottom-right FRAME_W x FRAME_H corner colour b, so
 * the bottom-right position shows b. */
static const Mark big_a = { "big-a.npy", 1000, 1000, {200, 40, 40, 255} };
static const Mark big_b = { "big-b.npy", 1000, 1000, {40, 200, 40, 160} };

#define HUGE_SIDE 3000

static TestLogCounter reads_started = { "reading " };

/* Sets @location on @element and returns once the background read of
 * it has begun (the element logs "reading <file>"). */
static void
set_location_and_wait_for_read (GstElement * element, const gchar * location)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  gst_debug_set_threshold_for_name ("npywatermark", GST_LEVEL_DEBUG);
  gst_debug_add_log_function (test_util_count_log, &reads_started, NULL);
  g_atomic_int_set (&reads_started.count, 0);
  g_object_set (element, "location", location, NULL);
  while (g_atomic_int_get (&reads_started.count) == 0) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (100);
  }
  gst_debug_remove_log_function (test_util_count_log);
  gst_debug_unset_threshold_for_name ("npywatermark");
}

static gchar *
huge_path (void)
{
  return g_build_filename (tmpdir, "huge.npy", NULL);
}

static void
write_huge_npy (void)
{
  g_autofree gchar *shape = g_strdup_printf ("(%u, %u, 4)", HUGE_SIDE,
      HUGE_SIDE);
  g_autofree gchar *path = huge_path ();
  GString *s = test_util_npy_header ("|u1", shape);
  gsize head = s->len, x, y;
  g_autoptr (GError) error = NULL;
  guint8 *p;

  g_string_set_size (s, head + (gsize) HUGE_SIDE * HUGE_SIDE * 4);
  p = (guint8 *) s->str + head;
  for (y = 0; y < HUGE_SIDE; y++)
    for (x = 0; x < HUGE_SIDE; x++, p += 4)
      memcpy (p, x >= HUGE_SIDE - FRAME_W && y >= HUGE_SIDE - FRAME_H ?
          mark_b.rgba : mark_a.rgba, 4);
  g_file_set_contents (path, s->str, s->len, &error);
  g_assert_no_error (error);
  g_string_free (s, TRUE);
}

/* TRUE when @buf is all @mark's colour (a mark covering the frame). */
static gboolean
shows_all_of (GstBuffer * buf, const Mark * mark)
{
  Look look = look_at (buf);
  guint8 want[4];

  expected_colour (mark, 1.0, want);
  return look.marked && look.flat && look.w == FRAME_W && look.h == FRAME_H
      && memcmp (look.rgba, want, 4) == 0;
}

/* TRUE when @buf shows @mark alone at (@x, @y). */
static gboolean
shows_at (GstBuffer * buf, const Mark * mark, gint x, gint y)
{
  Look look = look_at (buf);
  guint8 want[4];

  expected_colour (mark, 1.0, want);
  return look.marked && look.flat && look.x == x && look.y == y &&
      look.w == (gint) mark->width && look.h == (gint) mark->height &&
      memcmp (look.rgba, want, 4) == 0;
}

/* Counts the "loaded" messages on @bus (checking each names @path) and
 * the warnings. */
static void
count_messages (GstBus * bus, const gchar * path, guint * loaded,
    guint * warnings)
{
  GstMessage *msg;

  while ((msg = pop_message (bus, GST_MESSAGE_ANY)) != NULL) {
    if (is_loaded_message (msg)) {
      const GstStructure *st = gst_message_get_structure (msg);

      g_assert_cmpstr (gst_structure_get_string (st, "location"), ==, path);
      (*loaded)++;
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      (*warnings)++;
    }
    gst_message_unref (msg);
  }
}

/* A location change followed within a few milliseconds by a geometry
 * change, while the file is still being read: every swap posts exactly
 * one "loaded" message naming the file, with the first frame that shows
 * it.  (Before, the read's result went stale and the geometry's result
 * brought the new file with no message: most swaps were silent.) */
static void
test_swap_then_geometry (void)
{
  g_autofree gchar *pa = mark_path (&big_a);
  g_autofree gchar *pb = mark_path (&big_b);
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&big_a, &bus);
  guint index = 0, i, silent = 0, late = 0;
  GstBuffer *out;

  out = push_pull (h, index++);
  g_assert_true (shows_all_of (out, &big_a));
  gst_buffer_unref (out);

  for (i = 0; i < 20; i++) {
    const Mark *target = i % 2 ? &big_a : &big_b;
    const gchar *path = i % 2 ? pa : pb;
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    guint loaded = 0, warnings = 0, after;

    g_object_set (h->element, "location", path, NULL);
    g_usleep (g_test_rand_int_range (0, 2000));
    g_object_set (h->element, "position", geometry_positions[i % 3], NULL);
    for (;;) {
      gboolean shown;

      out = push_pull (h, index++);
      shown = shows_all_of (out, target);
      gst_buffer_unref (out);
      after = loaded;
      count_messages (bus, path, &loaded, &warnings);
      if (shown) {
        /* the message comes with the first frame that shows it */
        if (loaded != 1)
          late++;
        break;
      }
      g_assert_cmpuint (loaded, ==, 0);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (500);
    }
    /* and no second one */
    for (after = 0; after < 10; after++) {
      out = push_pull (h, index++);
      g_assert_true (shows_all_of (out, target));
      gst_buffer_unref (out);
      g_usleep (2000);
    }
    count_messages (bus, path, &loaded, &warnings);
    g_assert_cmpuint (warnings, ==, 0);
    if (loaded == 0)
      silent++;
    else
      g_assert_cmpuint (loaded, ==, 1);
  }
  g_test_message ("%u of 20 swaps posted no message, %u not with the "
      "first frame showing it", silent, late);
  g_assert_cmpuint (silent, ==, 0);
  g_assert_cmpuint (late, ==, 0);
  test_util_harness_teardown (h, bus);
}

/* A read in flight when the element stops is not used after it starts
 * again: a geometry change later shows what start () read, never the
 * file of the old read. */
static void
test_restart_during_read (void)
{
  g_autofree gchar *pa = mark_path (&mark_a);
  g_autofree gchar *huge = huge_path ();
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&mark_a, &bus);
  guint index = 0, i;
  GstBuffer *out;

  out = push_pull (h, index++);
  assert_frame (out, &mark_a, 1.0, 0, 0);
  gst_buffer_unref (out);

  set_location_and_wait_for_read (h->element, huge);
  gst_element_set_state (h->element, GST_STATE_READY);
  g_object_set (h->element, "location", pa, NULL);
  gst_element_set_state (h->element, GST_STATE_PLAYING);
  out = push_pull (h, index++);
  assert_frame (out, &mark_a, 1.0, 0, 0);
  gst_buffer_unref (out);

  /* long enough for a read left running to end */
  g_usleep (RUNNING_ON_VALGRIND ? 3 * G_USEC_PER_SEC : 300000);
  g_object_set (h->element, "position", 8, NULL);
  for (i = 0;; i++) {
    gboolean moved;

    out = push_pull (h, index++);
    moved = !shows_at (out, &mark_a, 0, 0);
    if (moved)
      assert_frame (out, &mark_a, 1.0, FRAME_W - (gint) mark_a.width,
          FRAME_H - (gint) mark_a.height);
    gst_buffer_unref (out);
    if (moved)
      break;
    g_assert_cmpuint (i, <, 10000);
    g_usleep (1000);
  }
  test_util_harness_teardown (h, bus);
}

typedef struct
{
  GstElement *element;
  gint done;
} Starter;

static gpointer
start_thread (gpointer data)
{
  Starter *st = data;

  gst_element_set_state (st->element, GST_STATE_PLAYING);
  g_atomic_int_set (&st->done, 1);
  return NULL;
}

/* A property set while start () reads the file is acted on: frames show
 * it once it is prepared, as when it is set while playing. */
static void
check_change_during_start (const gchar * name, const gchar * value,
    const Mark * want, gboolean whole)
{
  g_autofree gchar *huge = huge_path ();
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (NULL, &bus);
  Starter st = { h->element, 0 };
  guint index = 0, i;
  gboolean during;
  GstBuffer *out;
  GThread *thread;

  out = push_pull (h, index++);
  assert_frame (out, NULL, 1.0, 0, 0);
  gst_buffer_unref (out);
  gst_element_set_state (h->element, GST_STATE_READY);
  g_object_set (h->element, "location", huge, NULL);

  thread = g_thread_new ("start", start_thread, &st);
  g_usleep (2000);
  during = !g_atomic_int_get (&st.done);
  gst_util_set_object_arg (G_OBJECT (h->element), name, value);
  g_thread_join (thread);
  g_test_message ("%s set %s start () returned", name,
      during ? "before" : "after");

  for (i = 0;; i++) {
    gboolean shown;

    out = push_pull (h, index++);
    shown = whole ? shows_all_of (out, want) : shows_at (out, want, 0, 0);
    gst_buffer_unref (out);
    if (shown)
      break;
    g_assert_cmpuint (i, <, 10000);
    g_usleep (1000);
  }
  test_util_harness_teardown (h, bus);
}

static void
test_location_during_start (void)
{
  g_autofree gchar *pb = mark_path (&mark_b);

  check_change_during_start ("location", pb, &mark_b, FALSE);
}

static void
test_position_during_start (void)
{
  /* huge.npy's bottom-right corner is colour b */
  check_change_during_start ("position", "bottom-right", &mark_b, TRUE);
}

/* Threads of the element in this process (Linux), -1 elsewhere: the
 * loader's thread is named "npw-loader".  A count of all threads would
 * also see GLib's shared pool, whose idle threads come and go. */
static gint
element_thread_count (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;
  gint n = 0;

  if (dir == NULL)
    return -1;
  while ((tid = g_dir_read_name (dir))) {
    g_autofree gchar *path = g_build_filename ("/proc/self/task", tid, "comm",
        NULL);
    g_autofree gchar *name = NULL;

    if (g_file_get_contents (path, &name, NULL, NULL) &&
        g_str_has_prefix (name, "npw-"))
      n++;
  }
  g_dir_close (dir);
  return n;
}

/* The process's resident memory in KiB (Linux), 0 elsewhere. */
static guint64
rss_kib (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmRSS:");
  return line ? g_ascii_strtoull (line + 6, NULL, 10) : 0;
}

/* After stop () no thread of the element runs, a read in flight
 * included, and no watermark pixels are held. */
static void
test_stop_leaves_nothing (void)
{
  g_autofree gchar *huge = huge_path ();
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&mark_a, &bus);
  guint64 playing, ready;
  GstBuffer *out;
  gint before;

  before = element_thread_count ();
  if (before < 0) {
    g_test_skip ("no /proc/self/task");
    test_util_harness_teardown (h, bus);
    return;
  }
  out = push_pull (h, 0);
  gst_buffer_unref (out);
  set_location_and_wait_for_read (h->element, huge);
  g_assert_cmpint (element_thread_count (), >, 0);
  gst_element_set_state (h->element, GST_STATE_NULL);
  g_assert_cmpint (element_thread_count (), ==, 0);

  /* the huge watermark, drawn, then READY */
  gst_element_set_state (h->element, GST_STATE_PLAYING);
  out = push_pull (h, 1);
  g_assert_true (shows_all_of (out, &mark_a));
  gst_buffer_unref (out);
  playing = rss_kib ();
  gst_element_set_state (h->element, GST_STATE_READY);
  ready = rss_kib ();
  g_test_message ("RSS %" G_GUINT64_FORMAT " KiB playing, %" G_GUINT64_FORMAT
      " KiB in READY", playing, ready);
  g_assert_cmpint (element_thread_count (), ==, 0);
  /* the parsed array alone is 34 MiB; sanitizers and valgrind keep freed
   * memory for themselves */
#if !defined (UNDER_ASAN) && !defined (UNDER_TSAN)
  if (!RUNNING_ON_VALGRIND && playing > 0)
    g_assert_cmpuint (playing, >, ready + 30 * 1024);
#endif
  test_util_harness_teardown (h, bus);
}

/* A live swap that fails warns once, not again at every later geometry
 * change; the old watermark stays, and the location property reads back
 * what was asked (documented). */
static void
test_bad_swap_warns_once (void)
{
  g_autofree gchar *missing = g_build_filename (tmpdir, "missing.npy", NULL);
  g_autofree gchar *location = NULL;
  g_autoptr (GstBus) bus = NULL;
  GstHarness *h = new_harness (&mark_a, &bus);
  guint index = 0, loaded = 0, warnings = 0, s, i;
  GstMessage *msg;
  GstBuffer *out;

  g_object_set (h->element, "location", missing, NULL);
  out = push_until_switch (h, bus, &index, &mark_a, &msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_WARNING);
  gst_message_unref (msg);
  gst_buffer_unref (out);

  for (s = 0; s < 5; s++) {
    gint pos = s % 2 ? 0 : 8;
    gint x = pos ? FRAME_W - (gint) mark_a.width : 0;
    gint y = pos ? FRAME_H - (gint) mark_a.height : 0;

    g_object_set (h->element, "position", pos, NULL);
    for (i = 0;; i++) {
      gboolean moved;

      out = push_pull (h, index++);
      moved = shows_at (out, &mark_a, x, y);
      gst_buffer_unref (out);
      count_messages (bus, NULL, &loaded, &warnings);
      if (moved)
        break;
      g_assert_cmpuint (i, <, 10000);
      g_usleep (1000);
    }
  }
  g_assert_cmpuint (loaded, ==, 0);
  g_assert_cmpuint (warnings, ==, 0);
  g_object_get (h->element, "location", &location, NULL);
  g_assert_cmpstr (location, ==, missing);
  test_util_harness_teardown (h, bus);
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  GST_ELEMENT_REGISTER (npywatermark, NULL);

  tmpdir = test_util_make_tmp_dir ("test-live-XXXXXX");
  {
    g_autofree gchar *a = mark_path (&mark_a);
    g_autofree gchar *b = mark_path (&mark_b);

    write_npy (a, mark_a.width, mark_a.height, mark_a.rgba);
    write_npy (b, mark_b.width, mark_b.height, mark_b.rgba);
    g_free (a);
    g_free (b);
    a = mark_path (&big_a);
    b = mark_path (&big_b);
    write_npy (a, big_a.width, big_a.height, big_a.rgba);
    write_npy (b, big_b.width, big_b.height, big_b.rgba);
    write_huge_npy ();
  }

  g_test_add_func ("/live/control/fade", test_fade);
  g_test_add_func ("/live/control/slide", test_slide);
  g_test_add_func ("/live/location/swap", test_swap);
  g_test_add_func ("/live/location/bad-swap-garbage", test_bad_swap_garbage);
  g_test_add_func ("/live/location/bad-swap-missing", test_bad_swap_missing);
  g_test_add_func ("/live/location/same-location-rereads",
      test_same_location_rereads);
  g_test_add_func ("/live/location/remove-null", test_remove_null);
  g_test_add_func ("/live/location/remove-empty", test_remove_empty);
  g_test_add_func ("/live/location/pipeline-swap", test_pipeline_swap);
  g_test_add_func ("/live/stress", test_stress);
  g_test_add_func ("/live/data/swap", test_data_swap);
  g_test_add_func ("/live/geometry/swap", test_geometry_swap);
  g_test_add_func ("/live/geometry/stress", test_geometry_stress);
  g_test_add_func ("/live/owner/swap-then-geometry", test_swap_then_geometry);
  g_test_add_func ("/live/owner/restart-during-read", test_restart_during_read);
  g_test_add_func ("/live/owner/location-during-start",
      test_location_during_start);
  g_test_add_func ("/live/owner/position-during-start",
      test_position_during_start);
  g_test_add_func ("/live/owner/stop-leaves-nothing", test_stop_leaves_nothing);
  g_test_add_func ("/live/owner/bad-swap-warns-once", test_bad_swap_warns_once);

  ret = g_test_run ();
  test_util_remove_tmp_dir (tmpdir);
  gst_deinit ();
  return ret;
}
