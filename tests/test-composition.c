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


/* The overlay-composition meta path: real GL pipelines (Mesa's llvmpipe
 * through headless EGL; skipped when GL cannot start) against the CPU
 * blend, textoverlay and npywatermark both shown, negotiation with and
 * without the meta, the window size, and the metas proposed upstream. */

#include <string.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gstnpywatermark.h"
#include "test-util.h"

#define W 320
#define H 240
#define CAPS_TAIL ",format=RGBA,width=320,height=240,framerate=30/1"
#define RAW "video/x-raw" CAPS_TAIL
#define META_RAW "video/x-raw(memory:SystemMemory, " \
  "meta:GstVideoOverlayComposition)" CAPS_TAIL

static GBytes *watermark;
static gboolean have_gl;
static const gchar *no_gl = "GL could not be initialised (no EGL device)";

/* A 60x40 uint8 RGBA .npy: a colour ramp, a soft alpha ramp and an
 * opaque core, so rounding at every alpha level shows. */
static GBytes *
make_watermark (void)
{
  GString *s = test_util_npy_header ("|u1", "(40, 60, 4)");
  gint x, y;

  for (y = 0; y < 40; y++) {
    for (x = 0; x < 60; x++) {
      gboolean core = x >= 15 && x < 45 && y >= 10 && y < 30;

      g_string_append_c (s, (gchar) 250);
      g_string_append_c (s, (gchar) (x * 4));
      g_string_append_c (s, (gchar) (y * 6));
      g_string_append_c (s, (gchar) (core ? 255 : (x * 4 + y) & 0xff));
    }
  }
  return g_string_free_to_bytes (s);
}

typedef struct
{
  gboolean had_meta;
  guint n_rects;
  gint first_y, last_y;         /* render y of the first and last rectangle */
} Seen;

static GstPadProbeReturn
look (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Seen *seen = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstVideoOverlayCompositionMeta *meta =
      gst_buffer_get_video_overlay_composition_meta (buf);
  gint x;
  guint w, h;

  if (meta == NULL || seen->had_meta)
    return GST_PAD_PROBE_OK;
  seen->had_meta = TRUE;
  seen->n_rects = gst_video_overlay_composition_n_rectangles (meta->overlay);
  gst_video_overlay_rectangle_get_render_rectangle
      (gst_video_overlay_composition_get_rectangle (meta->overlay, 0), &x,
      &seen->first_y, &w, &h);
  gst_video_overlay_rectangle_get_render_rectangle
      (gst_video_overlay_composition_get_rectangle (meta->overlay,
          seen->n_rects - 1), &x, &seen->last_y, &w, &h);
  return GST_PAD_PROBE_OK;
}

/* Runs @desc (an appsink "out" at its end, npywatermark "wm" if any, set
 * up with @props and the test watermark) for one frame; returns it as
 * W x H RGBA, and in @seen what left npywatermark.  NULL, with @error,
 * when the pipeline cannot be made or fails. */
static guint8 *
run (const gchar * desc, const gchar * props, Seen * seen, GError ** error)
{
  gchar *full = g_strdup_printf (desc, props ? props : "");
  GstElement *pipe = gst_parse_launch (full, error);
  GstElement *wm, *out;
  GstSample *sample = NULL;
  GstMessage *msg;
  GstBus *bus;
  guint8 *pixels = NULL;

  g_free (full);
  if (pipe == NULL)
    return NULL;
  if (*error) {
    gst_object_unref (pipe);
    return NULL;
  }
  wm = gst_bin_get_by_name (GST_BIN (pipe), "wm");
  if (wm) {
    GstPad *src = gst_element_get_static_pad (wm, "src");

    g_object_set (wm, "data", watermark, NULL);
    if (seen) {
      memset (seen, 0, sizeof (*seen));
      gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, look, seen, NULL);
    }
    gst_object_unref (src);
    gst_object_unref (wm);
  }
  out = gst_bin_get_by_name (GST_BIN (pipe), "out");
  g_assert_nonnull (out);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  /* an error does not wake a waiting appsink: bounded wait, then the bus */
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out), 60 * GST_SECOND);
  if (sample) {
    GstBuffer *buf = gst_sample_get_buffer (sample);

    g_assert_cmpuint (gst_buffer_get_size (buf), ==, W * H * 4);
    pixels = g_malloc (W * H * 4);
    gst_buffer_extract (buf, 0, pixels, W * H * 4);
    gst_sample_unref (sample);
  } else {
    bus = gst_element_get_bus (pipe);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg)
      gst_message_parse_error (msg, error, NULL);
    else
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "no frame");
    g_clear_pointer (&msg, gst_message_unref);
    gst_object_unref (bus);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (pipe);
  return pixels;
}

static guint8 *
run_ok (const gchar * desc, const gchar * props, Seen * seen)
{
  GError *error = NULL;
  guint8 *pixels = run (desc, props, seen, &error);
  guint tries = 1;

  /* Mesa's EGL on a loaded machine now and then fails to make a context
   * current (EGL_BAD_DISPLAY, seen once in a CI run of the whole suite):
   * the GL library's failure, before any element of ours is involved.
   * Two more tries; any other error fails at once. */
  while (error && tries++ < 3 && g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND) &&
      strstr (error->message, "GL Context") != NULL) {
    g_test_message ("%s: %s; trying again", desc, error->message);
    g_clear_error (&error);
    pixels = run (desc, props, seen, &error);
  }
  g_assert_no_error (error);
  g_assert_nonnull (pixels);
  return pixels;
}

/* Largest difference inside [x0, x1) x [y0, y1), and how many pixels
 * differ at all. */
static gint
max_diff (const guint8 * a, const guint8 * b, gint x0, gint y0, gint x1,
    gint y1, gint * n_differ)
{
  gint x, y, c, m = 0;

  *n_differ = 0;
  for (y = y0; y < y1; y++) {
    for (x = x0; x < x1; x++) {
      gboolean differ = FALSE;

      for (c = 0; c < 4; c++) {
        gint d = ABS (a[(y * W + x) * 4 + c] - b[(y * W + x) * 4 + c]);

        m = MAX (m, d);
        differ |= d > 0;
      }
      *n_differ += differ;
    }
  }
  return m;
}

#define SRC "videotestsrc num-buffers=1 ! " RAW " ! "
#define GL_PIPE SRC "glupload ! npywatermark name=wm %s ! " \
  "gloverlaycompositor ! gldownload ! " RAW " ! appsink name=out sync=false"
#define CPU_PIPE SRC "npywatermark name=wm %s ! " RAW \
  " ! appsink name=out sync=false"
#define PLAIN_PIPE SRC "appsink name=out sync=false"

typedef struct
{
  const gchar *props;
  guint n_rects;                /* rectangles attached (0: any number > 1) */
} GlCase;

static const GlCase gl_cases[] = {
  {"", 1},
  {"position=bottom-right offset-x=7 offset-y=5 size=0.3", 1},
  {"position=center size=0.4 opacity=0.45 offset-x=-3", 1},
  {"tile=true size=0.1 tile-spacing=3 offset-x=-11 opacity=0.6", 0},
  /* larger than the frame: cut to it */
  {"size=2.0 position=right offset-x=-40", 1},
  {"tile=true size=1.5 tile-spacing=5 offset-x=-200 offset-y=-30", 2},
};

/* The GPU's blend gives the CPU path's pixels within a level or two. */
static void
test_gl_pixels (gconstpointer data)
{
  const GlCase *gc = data;
  guint8 *gl, *cpu, *plain;
  Seen seen;
  gint n, d;

  if (!have_gl) {
    g_test_skip (no_gl);
    return;
  }
  gl = run_ok (GL_PIPE, gc->props, &seen);
  cpu = run_ok (CPU_PIPE, gc->props, NULL);
  plain = run_ok (PLAIN_PIPE, NULL, NULL);

  g_assert_true (seen.had_meta);
  if (gc->n_rects)
    g_assert_cmpuint (seen.n_rects, ==, gc->n_rects);
  else
    g_assert_cmpuint (seen.n_rects, >, 1);
  d = max_diff (gl, cpu, 0, 0, W, H, &n);
  g_test_message ("%s: %u rectangles, GL vs CPU: max %d, %d pixels differ",
      gc->props, seen.n_rects, d, n);
  g_assert_cmpint (d, <=, 2);
  /* and the watermark is there at all */
  max_diff (cpu, plain, 0, 0, W, H, &n);
  g_assert_cmpint (n, >, 500);
  g_free (gl);
  g_free (cpu);
  g_free (plain);
}

typedef struct
{
  GstElement *wm;
  guint frame;
} Fade;

/* 0.3, 0.6, 0.9, 0.6, 0.3, 0.6, ...: each level on the way up and down */
static gdouble
fade_level (guint frame)
{
  static const gdouble levels[] = { 0.3, 0.6, 0.9, 0.6 };

  return levels[frame % G_N_ELEMENTS (levels)];
}

static GstPadProbeReturn
fade_step (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Fade *fade = user_data;

  g_object_set (fade->wm, "opacity", fade_level (fade->frame++), NULL);
  return GST_PAD_PROBE_OK;
}

/* The frames of @desc (npywatermark "wm", appsink "out") with the
 * opacity set before each frame to fade_level (). */
static GPtrArray *
run_fade (const gchar * desc)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func (g_free);
  GstElement *pipe = gst_parse_launch (desc, NULL), *out;
  Fade fade = { NULL, 0 };
  GstSample *sample;
  GstPad *sink;

  g_assert_nonnull (pipe);
  fade.wm = gst_bin_get_by_name (GST_BIN (pipe), "wm");
  out = gst_bin_get_by_name (GST_BIN (pipe), "out");
  g_object_set (fade.wm, "data", watermark, NULL);
  sink = gst_element_get_static_pad (fade.wm, "sink");
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, fade_step, &fade, NULL);
  gst_object_unref (sink);
  g_assert_cmpint (gst_element_set_state (pipe, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (out)))) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_assert_cmpuint (map.size, ==, W * H * 4);
    g_ptr_array_add (frames, g_memdup2 (map.data, map.size));
    gst_buffer_unmap (buf, &map);
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (fade.wm);
  gst_object_unref (pipe);
  return frames;
}

/* A fade through gloverlaycompositor: each frame, at its own opacity,
 * gives the CPU path's pixels at that opacity, the second and third
 * time at a level too (when the rectangles share the pixels made the
 * first time). */
static void
test_gl_fade (void)
{
#define FADE_SRC "videotestsrc num-buffers=9 ! " RAW " ! "
  GPtrArray *gl, *cpu;
  guint f;

  if (!have_gl) {
    g_test_skip (no_gl);
    return;
  }
  gl = run_fade (FADE_SRC "glupload ! npywatermark name=wm position=center ! "
      "gloverlaycompositor ! gldownload ! " RAW " ! appsink name=out "
      "sync=false");
  cpu = run_fade (FADE_SRC "npywatermark name=wm position=center ! " RAW
      " ! appsink name=out sync=false");
  g_assert_cmpuint (gl->len, ==, 9);
  g_assert_cmpuint (cpu->len, ==, 9);
  for (f = 0; f < 9; f++) {
    gint n, d = max_diff (g_ptr_array_index (gl, f),
        g_ptr_array_index (cpu, f), 0, 0, W, H, &n);

    g_test_message ("frame %u at %.1f: GL vs CPU max %d, %d pixels differ", f,
        fade_level (f), d, n);
    g_assert_cmpint (d, <=, 2);
    /* and the opacity changed the frame */
    if (f > 0) {
      max_diff (g_ptr_array_index (cpu, f), g_ptr_array_index (cpu, f - 1),
          W / 2 - 30, H / 2 - 20, W / 2 + 30, H / 2 + 20, &n);
      g_assert_cmpint (n, >, 1000);
    }
  }
  g_ptr_array_unref (gl);
  g_ptr_array_unref (cpu);
#undef FADE_SRC
}

/* textoverlay before npywatermark: its text and our watermark both
 * reach the frame, text first. */
static void
test_gl_textoverlay (void)
{
  const gchar *both_pipe = SRC "glupload ! textoverlay text=XXXX "
      "font-desc=\"Sans 24\" valignment=top halignment=left ! "
      "npywatermark name=wm %s ! gloverlaycompositor ! gldownload ! " RAW
      " ! appsink name=out sync=false";
  const gchar *props = "position=bottom-right";
  guint8 *both, *cpu, *plain;
  Seen seen;
  gint n, d;

  if (!have_gl) {
    g_test_skip (no_gl);
    return;
  }
  both = run_ok (both_pipe, props, &seen);
  cpu = run_ok (CPU_PIPE, props, NULL);
  plain = run_ok (PLAIN_PIPE, NULL, NULL);

  g_assert_true (seen.had_meta);
  g_assert_cmpuint (seen.n_rects, ==, 2);
  g_assert_cmpint (seen.first_y, <, H / 2);     /* the text's */
  g_assert_cmpint (seen.last_y, ==, H - 40);    /* ours */
  /* the text in the top half */
  max_diff (both, plain, 0, 0, W, H / 2, &n);
  g_assert_cmpint (n, >, 100);
  /* the watermark in the bottom half, as the CPU blend draws it */
  d = max_diff (both, cpu, 0, H / 2, W, H, &n);
  g_assert_cmpint (d, <=, 2);
  max_diff (cpu, plain, 0, H / 2, W, H, &n);
  g_assert_cmpint (n, >, 500);
  g_free (both);
  g_free (cpu);
  g_free (plain);
}

/* System memory to a sink that does not take the meta: the caps may
 * carry the feature, but the element blends as before. */
static void
test_sysmem_without_meta (void)
{
  const gchar *any_pipe = SRC "npywatermark name=wm %s ! "
      "appsink name=out sync=false";
  guint8 *any, *cpu;
  Seen seen;
  gint n;

  any = run_ok (any_pipe, "position=center", &seen);
  cpu = run_ok (CPU_PIPE, "position=center", NULL);
  g_assert_false (seen.had_meta);
  g_assert_cmpint (max_diff (any, cpu, 0, 0, W, H, &n), ==, 0);
  g_free (any);
  g_free (cpu);
}

/* GL memory where nothing downstream takes the meta: refused when
 * linking or negotiating, not a crash or a failing frame. */
static void
test_gl_without_meta (void)
{
  const gchar *pipe = SRC "glupload ! npywatermark name=wm %s ! "
      "video/x-raw(memory:GLMemory) ! gldownload ! " RAW
      " ! appsink name=out sync=false";
  GError *error = NULL;
  guint8 *pixels;

  if (!have_gl) {
    g_test_skip (no_gl);
    return;
  }
  pixels = run (pipe, "", NULL, &error);
  g_assert_null (pixels);
  g_assert_nonnull (error);
  g_test_message ("refused: %s", error->message);
  g_clear_error (&error);
}

static GstBuffer *
gray_buffer (void)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, W * H * 4, NULL);

  gst_buffer_memset (buf, 0, 0x80, W * H * 4);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

static GstHarness *
harness_new (const gchar * props)
{
  GstElement *wm = gst_element_factory_make ("npywatermark", NULL);
  GstHarness *h;

  g_object_set (wm, "data", watermark, NULL);
  if (props && *props) {
    /* "key=value" pairs, space-separated, all set before the harness
     * starts the element (a geometry set after is taken in the
     * background, maybe not by the first frame) */
    gchar **pairs = g_strsplit (props, " ", -1);
    guint i;

    for (i = 0; pairs[i]; i++) {
      gchar **kv = g_strsplit (pairs[i], "=", 2);

      gst_util_set_object_arg (G_OBJECT (wm), kv[0], kv[1]);
      g_strfreev (kv);
    }
    g_strfreev (pairs);
  }
  h = gst_harness_new_with_element (wm, "sink", "src");
  gst_object_unref (wm);
  return h;
}

/* A sink taking the meta in system memory, with a window twice the
 * frame: the frame is left as it is, the rectangle comes at the window's
 * resolution, after a composition already on the buffer; then the sink
 * drops the meta. */
static void
test_window_and_existing (void)
{
  GstHarness *h = harness_new (NULL);
  GstStructure *params = gst_structure_new ("GstVideoOverlayCompositionMeta",
      "width", G_TYPE_UINT, 2 * W, "height", G_TYPE_UINT, 2 * H, NULL);
  GstVideoOverlayCompositionMeta *meta;
  GstVideoOverlayRectangle *theirs, *ours;
  GstVideoOverlayComposition *comp;
  GstBuffer *in, *out, *pixels;
  GstVideoMeta *vmeta;
  GstMapInfo map;
  gint x, y;
  guint w, hh, i;

  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, params);
  gst_structure_free (params);
  gst_harness_set_caps_str (h, RAW, META_RAW);

  /* what textoverlay before us would have attached */
  pixels = gst_buffer_new_allocate (NULL, 8 * 8 * 4, NULL);
  gst_buffer_memset (pixels, 0, 0xff, 8 * 8 * 4);
  gst_buffer_add_video_meta (pixels, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, 8, 8);
  theirs = gst_video_overlay_rectangle_new_raw (pixels, 100, 100, 8, 8,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  comp = gst_video_overlay_composition_new (theirs);
  in = gray_buffer ();
  gst_buffer_add_video_overlay_composition_meta (in, comp);
  gst_video_overlay_composition_unref (comp);
  gst_buffer_unref (pixels);

  out = gst_harness_push_and_pull (h, in);
  meta = gst_buffer_get_video_overlay_composition_meta (out);
  g_assert_nonnull (meta);
  g_assert_cmpuint (gst_video_overlay_composition_n_rectangles
      (meta->overlay), ==, 2);
  g_assert_true (gst_video_overlay_composition_get_rectangle (meta->overlay,
          0) == theirs);
  ours = gst_video_overlay_composition_get_rectangle (meta->overlay, 1);
  gst_video_overlay_rectangle_get_render_rectangle (ours, &x, &y, &w, &hh);
  g_assert_cmpint (x, ==, 0);
  g_assert_cmpint (y, ==, 0);
  g_assert_cmpuint (w, ==, 60);
  g_assert_cmpuint (hh, ==, 40);
  vmeta = gst_buffer_get_video_meta
      (gst_video_overlay_rectangle_get_pixels_unscaled_argb (ours,
          GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE));
  g_assert_cmpuint (vmeta->width, ==, 120);
  g_assert_cmpuint (vmeta->height, ==, 80);

  /* the frame itself untouched */
  gst_buffer_map (out, &map, GST_MAP_READ);
  for (i = 0; i < map.size; i++)
    if (map.data[i] != 0x80)
      break;
  g_assert_cmpuint (i, ==, map.size);
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_video_overlay_rectangle_unref (theirs);

  /* the next frame shares the composition: built once */
  out = gst_harness_push_and_pull (h, gray_buffer ());
  meta = gst_buffer_get_video_overlay_composition_meta (out);
  g_assert_nonnull (meta);
  g_assert_cmpuint (gst_video_overlay_composition_n_rectangles
      (meta->overlay), ==, 1);
  g_assert_true (gst_video_overlay_composition_get_rectangle (meta->overlay,
          0) == ours);
  gst_buffer_unref (out);

  /* downstream no longer takes the meta: renegotiated on reconfigure,
   * and blended into the frame */
  gst_harness_set_sink_caps_str (h, RAW);
  gst_harness_push_upstream_event (h, gst_event_new_reconfigure ());
  out = gst_harness_push_and_pull (h, gray_buffer ());
  g_assert_null (gst_buffer_get_video_overlay_composition_meta (out));
  gst_buffer_map (out, &map, GST_MAP_READ);
  g_assert_cmpuint (map.data[(20 * W + 30) * 4], ==, 250);      /* the core */
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

/* A (3, 4, 6, 4) stack, slice k opaque with red 60 + 60 k. */
static GBytes *
make_stack (void)
{
  GString *s = test_util_npy_header ("|u1", "(3, 4, 6, 4)");
  gint k, i;

  for (k = 0; k < 3; k++) {
    for (i = 0; i < 4 * 6; i++) {
      g_string_append_c (s, (gchar) (60 + 60 * k));
      g_string_append_c (s, 10);
      g_string_append_c (s, 20);
      g_string_append_c (s, (gchar) 255);
    }
  }
  return g_string_free_to_bytes (s);
}

/* An animation through the meta: frame t shows slice floor (t * 10) mod 3,
 * and a slice shown again reuses the pixels made the first time. */
static void
test_animation (void)
{
  GstElement *wm = gst_element_factory_make ("npywatermark", NULL);
  GBytes *stack = make_stack ();
  GstBuffer *first[3] = { NULL, };
  GstHarness *h;
  guint f;

  g_object_set (wm, "data", stack, NULL);
  h = gst_harness_new_with_element (wm, "sink", "src");
  gst_object_unref (wm);
  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_harness_set_caps_str (h, RAW, META_RAW);
  for (f = 0; f < 9; f++) {
    GstBuffer *in = gray_buffer (), *out, *pixels;
    GstVideoOverlayCompositionMeta *meta;
    GstVideoOverlayRectangle *rect;
    guint slice = f % 3;
    GstMapInfo map;

    GST_BUFFER_PTS (in) = f * GST_SECOND / 10 + GST_MSECOND;
    out = gst_harness_push_and_pull (h, in);
    meta = gst_buffer_get_video_overlay_composition_meta (out);
    g_assert_nonnull (meta);
    rect = gst_video_overlay_composition_get_rectangle (meta->overlay, 0);
    pixels = gst_video_overlay_rectangle_get_pixels_unscaled_argb (rect,
        GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
    gst_buffer_map (pixels, &map, GST_MAP_READ);
    /* BGRA in memory on little-endian machines, ARGB on big-endian */
    g_assert_cmpuint (map.data[G_BYTE_ORDER == G_LITTLE_ENDIAN ? 2 : 1], ==,
        60 + 60 * slice);
    gst_buffer_unmap (pixels, &map);
    if (first[slice] == NULL)
      first[slice] = gst_buffer_ref (pixels);
    else
      g_assert_true (pixels == first[slice]);
    gst_buffer_unref (out);
  }
  for (f = 0; f < 3; f++)
    gst_buffer_unref (first[f]);
  g_bytes_unref (stack);
  gst_harness_teardown (h);
}

static TestLogCounter faded_copies = { "faded copy" };

/* A fade on the composition path (opacity controlled every frame, in and
 * out, twice): every frame's rectangle has the watermark's alphas at
 * that opacity, round (a * op / 255), its colours untouched; and each
 * opacity level is faded once, not once a frame. */
static void
test_fade (void)
{
  GstHarness *h = harness_new (NULL);
  GstBuffer *first[9] = { NULL, };
  guint pass, k, n_frames = 0;

  gst_debug_set_threshold_for_name ("npywatermark", GST_LEVEL_DEBUG);
  gst_debug_add_log_function (test_util_count_log, &faded_copies, NULL);
  g_atomic_int_set (&faded_copies.count, 0);
  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_harness_set_caps_str (h, RAW, META_RAW);
  for (pass = 0; pass < 2; pass++) {
    for (k = 0; k < 18; k++) {
      gdouble opacity = (k < 9 ? k + 1 : 18 - k) / 10.0;
      guint op = (guint) (opacity * 255.0 + 0.5), x, y;
      GstVideoOverlayCompositionMeta *meta;
      GstVideoOverlayRectangle *rect;
      GstBuffer *out, *pixels;
      GstMapInfo map;

      g_object_set (h->element, "opacity", opacity, NULL);
      out = gst_harness_push_and_pull (h, gray_buffer ());
      meta = gst_buffer_get_video_overlay_composition_meta (out);
      g_assert_nonnull (meta);
      rect = gst_video_overlay_composition_get_rectangle (meta->overlay, 0);
      g_assert_cmpfloat (gst_video_overlay_rectangle_get_global_alpha (rect),
          ==, 1.0);
      pixels = gst_video_overlay_rectangle_get_pixels_unscaled_argb (rect,
          GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
      gst_buffer_map (pixels, &map, GST_MAP_READ);
      g_assert_cmpuint (map.size, ==, 60 * 40 * 4);
      for (y = 0; y < 40; y++) {
        for (x = 0; x < 60; x++) {
          const guint8 *p = map.data + (y * 60 + x) * 4;
          gboolean core = x >= 15 && x < 45 && y >= 10 && y < 30;
          guint a = core ? 255 : (x * 4 + y) & 0xff;
          /* BGRA in memory on little-endian machines, ARGB on big */
          guint ai = G_BYTE_ORDER == G_LITTLE_ENDIAN ? 3 : 0;
          guint ri = G_BYTE_ORDER == G_LITTLE_ENDIAN ? 2 : 1;

          g_assert_cmpuint (p[ai], ==, (2 * a * op + 255) / 510);
          g_assert_cmpuint (p[ri], ==, 250);
        }
      }
      gst_buffer_unmap (pixels, &map);
      /* the same level, the same pixels: on the way out and the second
       * time round */
      if (first[k < 9 ? k : 17 - k] == NULL)
        first[k < 9 ? k : 17 - k] = gst_buffer_ref (pixels);
      else
        g_assert_true (pixels == first[k < 9 ? k : 17 - k]);
      gst_buffer_unref (out);
      n_frames++;
    }
  }
  /* 0.1 ... 0.9: nine levels, over 36 frames */
  g_assert_cmpuint (n_frames, ==, 36);
  g_assert_cmpint (g_atomic_int_get (&faded_copies.count), ==, 9);
  for (k = 0; k < 9; k++)
    gst_buffer_unref (first[k]);
  gst_debug_remove_log_function (test_util_count_log);
  gst_debug_unset_threshold_for_name ("npywatermark");
  gst_harness_teardown (h);
}

/* A copy larger than the frame (640x427 on 320x240) with offsets moving
 * at every frame: one rectangle reaching past the frame's edges, its
 * pixels made once (cut again at every frame before).  The library's CPU
 * blend takes it (its own rounding, up to 22 levels from ours, so only
 * that it draws over the whole frame); gloverlaycompositor's pixels for
 * such a rectangle are checked against ours in /composition/gl/pixels/4. */
static void
test_moving_large (void)
{
  GstHarness *h = harness_new ("size=2.0 position=center"),
      *cpu = harness_new ("size=2.0 position=center");
  GstBuffer *first = NULL;
  gint i;

  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_harness_set_caps_str (h, RAW, META_RAW);
  gst_harness_set_caps_str (cpu, RAW, RAW);
  for (i = 0; i < 12; i++) {
    gint ox = i * 17 - 90, oy = 40 - i * 7, x, y, n, d;
    GstVideoOverlayCompositionMeta *meta;
    GstVideoOverlayRectangle *rect;
    GstBuffer *out, *want, *pixels;
    GstVideoFrame frame;
    GstVideoInfo info;
    GstMapInfo a, b;
    guint w, hh;

    g_object_set (h->element, "offset-x", ox, "offset-y", oy, NULL);
    g_object_set (cpu->element, "offset-x", ox, "offset-y", oy, NULL);
    out = gst_harness_push_and_pull (h, gray_buffer ());
    want = gst_harness_push_and_pull (cpu, gray_buffer ());
    meta = gst_buffer_get_video_overlay_composition_meta (out);
    g_assert_nonnull (meta);
    g_assert_cmpuint (gst_video_overlay_composition_n_rectangles
        (meta->overlay), ==, 1);
    rect = gst_video_overlay_composition_get_rectangle (meta->overlay, 0);
    gst_video_overlay_rectangle_get_render_rectangle (rect, &x, &y, &w, &hh);
    /* centred: (320 - 640) / 2 + ox, (240 - 427) / 2 + oy, rounded down */
    g_assert_cmpint (x, ==, -160 + ox);
    g_assert_cmpint (y, ==, -94 + oy);
    g_assert_cmpuint (w, ==, 640);
    g_assert_cmpuint (hh, ==, 427);
    pixels = gst_video_overlay_rectangle_get_pixels_unscaled_argb (rect,
        GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
    if (first == NULL)
      first = gst_buffer_ref (pixels);
    else
      g_assert_true (pixels == first);

    out = gst_buffer_make_writable (out);
    gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, W, H);
    g_assert_true (gst_video_frame_map (&frame, &info, out, GST_MAP_READWRITE));
    g_assert_true (gst_video_overlay_composition_blend (meta->overlay, &frame));
    gst_video_frame_unmap (&frame);
    gst_buffer_map (out, &a, GST_MAP_READ);
    gst_buffer_map (want, &b, GST_MAP_READ);
    d = max_diff (a.data, b.data, 0, 0, W, H, &n);
    g_test_message ("offsets %d,%d: library vs element max %d, %d pixels "
        "differ", ox, oy, d, n);
    g_assert_cmpint (d, <=, 32);
    /* the watermark over the whole frame (gray is 0x80 everywhere) */
    for (n = 0, d = 0; d < W * H * 4; d += 4)
      n += a.data[d] != 0x80 || a.data[d + 1] != 0x80;
    g_assert_cmpint (n, >, W * H * 9 / 10);
    gst_buffer_unmap (out, &a);
    gst_buffer_unmap (want, &b);
    gst_buffer_unref (out);
    gst_buffer_unref (want);
  }
  gst_buffer_unref (first);
  gst_harness_teardown (h);
  gst_harness_teardown (cpu);
}

static gpointer
change_properties (gpointer data)
{
  GstElement *wm = data;
  gint i;

  for (i = 0; i < 300; i++) {
    g_object_set (wm, "offset-x", (i * 7) % 50 - 20, "offset-y", i % 13,
        "opacity", (i % 5) / 4.0, NULL);
    if (i % 10 == 0)
      g_object_set (wm, "tile", (i / 10) % 2 == 1, "size", (i % 3) * 0.2,
          "position", (i / 10) % 9, NULL);
    g_usleep (200);
  }
  return NULL;
}

/* Properties changed from another thread while frames flow: every frame
 * gets a whole composition (or none at opacity 0), and the last values
 * win. */
static void
test_live_changes (void)
{
  GstHarness *h = harness_new (NULL);
  GstElement *wm = h->element;
  GstVideoOverlayCompositionMeta *meta;
  GstVideoOverlayRectangle *rect;
  GThread *thread;
  GstBuffer *out;
  gint i, x = -1, y = -1;
  guint w = 0, hh = 0, n = 0;

  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_harness_set_caps_str (h, RAW, META_RAW);
  thread = g_thread_new ("props", change_properties, wm);
  for (i = 0; i < 100; i++) {
    out = gst_harness_push_and_pull (h, gray_buffer ());
    meta = gst_buffer_get_video_overlay_composition_meta (out);
    if (meta)
      g_assert_cmpuint (gst_video_overlay_composition_n_rectangles
          (meta->overlay), >=, 1);
    gst_buffer_unref (out);
  }
  g_thread_join (thread);

  g_object_set (wm, "offset-x", 5, "offset-y", 6, "opacity", 1.0, "tile",
      FALSE, "size", 0.0, "position", 0, NULL);
  /* geometry is prepared in the background: a few frames later */
  for (i = 0; i < 500; i++) {
    out = gst_harness_push_and_pull (h, gray_buffer ());
    meta = gst_buffer_get_video_overlay_composition_meta (out);
    g_assert_nonnull (meta);
    n = gst_video_overlay_composition_n_rectangles (meta->overlay);
    rect = gst_video_overlay_composition_get_rectangle (meta->overlay, 0);
    gst_video_overlay_rectangle_get_render_rectangle (rect, &x, &y, &w, &hh);
    gst_buffer_unref (out);
    if (n == 1 && x == 5 && y == 6 && w == 60 && hh == 40)
      break;
    g_usleep (2000);
  }
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (x, ==, 5);
  g_assert_cmpint (y, ==, 6);
  g_assert_cmpuint (w, ==, 60);
  g_assert_cmpuint (hh, ==, 40);
  gst_harness_teardown (h);
}

static gboolean
has_meta (GstQuery * query, GType api)
{
  return gst_query_find_allocation_meta (query, api, NULL);
}

/* Upstream is promised only the metas that stay correct: the crop (the
 * blend honours it) and the layout when blending; when attaching, the
 * composition but not the crop. */
static void
test_proposed_metas (gconstpointer data)
{
  gboolean attach = GPOINTER_TO_INT (data);
  GstHarness *h = harness_new (NULL);
  GstCaps *caps;
  GstQuery *query;

  gst_harness_add_propose_allocation_meta (h, GST_VIDEO_META_API_TYPE, NULL);
  gst_harness_add_propose_allocation_meta (h, GST_VIDEO_CROP_META_API_TYPE,
      NULL);
  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_AFFINE_TRANSFORMATION_META_API_TYPE, NULL);
  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_harness_set_caps_str (h, RAW, attach ? META_RAW : RAW);

  caps = gst_caps_from_string (RAW);
  query = gst_query_new_allocation (caps, TRUE);
  g_assert_true (gst_pad_peer_query (h->srcpad, query));
  g_assert_true (has_meta (query, GST_VIDEO_META_API_TYPE));
  g_assert_false (has_meta (query,
          GST_VIDEO_AFFINE_TRANSFORMATION_META_API_TYPE));
  g_assert_true (has_meta (query, GST_VIDEO_CROP_META_API_TYPE) == !attach);
  g_assert_true (has_meta (query,
          GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE) == attach);
  gst_query_unref (query);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

/* GL starts: llvmpipe through EGL without a display. */
static gboolean
gl_works (void)
{
  GError *error = NULL;
  GstElement *pipe = gst_parse_launch ("videotestsrc num-buffers=1 ! "
      "glupload ! gldownload ! fakesink", &error);
  GstMessage *msg;
  GstBus *bus;
  gboolean ok;

  if (pipe == NULL || error) {
    g_clear_error (&error);
    g_clear_object (&pipe);
    return FALSE;
  }
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  ok = msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  g_clear_pointer (&msg, gst_message_unref);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return ok;
}

/* A downstream that takes anything (appsink, fakesink): the element
 * blends, so its caps carry no meta feature, and the samples can be
 * relayed into a pipeline that knows nothing of the meta. */
static void
test_any_downstream (void)
{
  GstHarness *h = harness_new (NULL);
  GstCaps *caps;
  GstBuffer *out;
  GstMapInfo map;

  gst_harness_set_src_caps_str (h, RAW);
  out = gst_harness_push_and_pull (h, gray_buffer ());
  caps = gst_pad_get_current_caps (h->element->srcpads->data);
  g_test_message ("src caps %" GST_PTR_FORMAT, caps);
  g_assert_false (gst_caps_features_contains (gst_caps_get_features (caps, 0),
          GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION));
  g_assert_null (gst_buffer_get_video_overlay_composition_meta (out));
  gst_buffer_map (out, &map, GST_MAP_READ);
  g_assert_cmpuint (map.data[(20 * W + 30) * 4], ==, 250);      /* the core */
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

/* The application's relay: appsink -> appsrc ! videoconvert ! pngenc. */
static void
test_appsink_relay (void)
{
  GstElement *a = gst_parse_launch ("videotestsrc num-buffers=1 ! "
      "video/x-raw,format=RGBA,width=64,height=48 ! npywatermark name=w ! "
      "appsink name=sink", NULL);
  GstElement *b = gst_parse_launch ("appsrc name=src format=time ! "
      "videoconvert ! pngenc ! fakesink", NULL);
  GstElement *w = gst_bin_get_by_name (GST_BIN (a), "w");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (a), "sink");
  GstElement *src = gst_bin_get_by_name (GST_BIN (b), "src");
  GstBus *bus = gst_element_get_bus (b);
  GstSample *sample;
  GstMessage *msg;

  g_object_set (w, "data", watermark, NULL);
  gst_element_set_state (a, GST_STATE_PLAYING);
  sample = gst_app_sink_pull_sample (GST_APP_SINK (sink));
  g_assert_nonnull (sample);
  g_test_message ("sample caps %" GST_PTR_FORMAT, gst_sample_get_caps (sample));
  gst_element_set_state (b, GST_STATE_PLAYING);
  g_assert_cmpint (gst_app_src_push_sample (GST_APP_SRC (src), sample), ==,
      GST_FLOW_OK);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  g_assert_nonnull (msg);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *error = NULL;

    gst_message_parse_error (msg, &error, NULL);
    g_error ("relay failed: %s", error->message);
  }
  gst_message_unref (msg);
  gst_sample_unref (sample);
  gst_element_set_state (a, GST_STATE_NULL);
  gst_element_set_state (b, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (w);
  gst_object_unref (a);
  gst_object_unref (b);
}

static guint window_scale = 2;

/* Downstream's answer to the allocation query, with the window size of
 * the moment (a GL window being resized). */
static GstPadProbeReturn
window_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  guint index;

  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION &&
      gst_query_find_allocation_meta (query,
          GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, &index)) {
    GstStructure *params =
        gst_structure_new ("GstVideoOverlayCompositionMeta", "width",
        G_TYPE_UINT, window_scale * W, "height", G_TYPE_UINT,
        window_scale * H, NULL);

    gst_query_remove_nth_allocation_meta (query, index);
    gst_query_add_allocation_meta (query,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, params);
    gst_structure_free (params);
  }
  return GST_PAD_PROBE_OK;
}

static guint
rectangle_width (GstBuffer * out)
{
  GstVideoOverlayCompositionMeta *meta =
      gst_buffer_get_video_overlay_composition_meta (out);
  GstVideoOverlayRectangle *rect;

  g_assert_nonnull (meta);
  rect = gst_video_overlay_composition_get_rectangle (meta->overlay, 0);
  return gst_buffer_get_video_meta
      (gst_video_overlay_rectangle_get_pixels_unscaled_argb (rect,
          GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE))->width;
}

/* A reconfigure that gives the same caps still asks downstream again:
 * the window's new size sets the rectangle's resolution. */
static void
test_window_resized (void)
{
  GstHarness *h = harness_new (NULL);
  GstBuffer *out;

  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_pad_add_probe (h->element->srcpads->data,
      GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM | GST_PAD_PROBE_TYPE_PULL,
      window_probe, NULL, NULL);
  window_scale = 2;
  gst_harness_set_caps_str (h, RAW, META_RAW);
  out = gst_harness_push_and_pull (h, gray_buffer ());
  g_assert_cmpuint (rectangle_width (out), ==, 120);
  gst_buffer_unref (out);

  window_scale = 3;
  gst_harness_push_upstream_event (h, gst_event_new_reconfigure ());
  out = gst_harness_push_and_pull (h, gray_buffer ());
  g_assert_cmpuint (rectangle_width (out), ==, 180);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

/* Caps that leave only the meta (memory the CPU cannot map) towards a
 * downstream that did not announce it: a warning, not a watermark that
 * silently vanishes. */
static void
test_unannounced_meta_warns (void)
{
  GstHarness *h = harness_new (NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GstBuffer *out;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_caps_str (h, "video/x-raw(memory:NPWTestMemory)"
      CAPS_TAIL, "video/x-raw(memory:NPWTestMemory, "
      "meta:GstVideoOverlayComposition)" CAPS_TAIL);
  out = gst_harness_push_and_pull (h, gray_buffer ());
  g_assert_nonnull (gst_buffer_get_video_overlay_composition_meta (out));
  gst_buffer_unref (out);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  g_assert_nonnull (msg);
  gst_message_unref (msg);
  /* once */
  out = gst_harness_push_and_pull (h, gray_buffer ());
  gst_buffer_unref (out);
  g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING));
  gst_element_set_bus (h->element, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  guint i;
  int ret;

  /* headless: no X or Wayland display on CI */
  g_setenv ("GST_GL_WINDOW", "egl-device", FALSE);
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  GST_ELEMENT_REGISTER (npywatermark, NULL);
  watermark = make_watermark ();
  /* Mesa's loader and llvmpipe report errors and leaks of their own
   * under valgrind and ASan, whose full allocation stacks (needed for
   * the GLib suppressions) also make llvmpipe minutes slower per case;
   * under TSan, races of their own.  The plain run checks GL. */
  if (RUNNING_ON_VALGRIND)
    no_gl = "not under valgrind";
#if defined(UNDER_ASAN) || defined(UNDER_TSAN)
  else if (TRUE)
    no_gl = "not under a sanitizer";
#endif
  else
    have_gl = gl_works ();
  if (!have_gl)
    g_printerr ("# GL cases skip: %s\n", no_gl);

  for (i = 0; i < G_N_ELEMENTS (gl_cases); i++) {
    gchar *name = g_strdup_printf ("/composition/gl/pixels/%u", i);

    g_test_add_data_func (name, &gl_cases[i], test_gl_pixels);
    g_free (name);
  }
  g_test_add_func ("/composition/gl/textoverlay", test_gl_textoverlay);
  g_test_add_func ("/composition/gl/fade", test_gl_fade);
  g_test_add_func ("/composition/gl/without-meta", test_gl_without_meta);
  g_test_add_func ("/composition/sysmem/without-meta",
      test_sysmem_without_meta);
  g_test_add_func ("/composition/sysmem/window-existing-reconfigure",
      test_window_and_existing);
  g_test_add_func ("/composition/sysmem/live-changes", test_live_changes);
  g_test_add_func ("/composition/sysmem/fade", test_fade);
  g_test_add_func ("/composition/sysmem/moving-large", test_moving_large);
  g_test_add_func ("/composition/sysmem/any-downstream", test_any_downstream);
  g_test_add_func ("/composition/sysmem/appsink-relay", test_appsink_relay);
  g_test_add_func ("/composition/sysmem/window-resized", test_window_resized);
  g_test_add_func ("/composition/other-memory/unannounced-meta-warns",
      test_unannounced_meta_warns);
  g_test_add_func ("/composition/sysmem/animation", test_animation);
  g_test_add_data_func ("/composition/allocation/blend",
      GINT_TO_POINTER (FALSE), test_proposed_metas);
  g_test_add_data_func ("/composition/allocation/attach",
      GINT_TO_POINTER (TRUE), test_proposed_metas);

  ret = g_test_run ();
  g_bytes_unref (watermark);
  gst_deinit ();
  return ret;
}
