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


/* bench-element: npywatermark against gdkpixbufoverlay (the stock element
 * that stamps an image file on video), in one process and one run.
 *
 * For each format and overlay (the 400x100 logo; a full-frame one that
 * is partly opaque everywhere; a full-frame one 90% transparent, as a
 * tiled watermark is) it pushes the same 1920x1080 frame
 * through GstHarness instances of identity (the baseline: buffer
 * handling only), npywatermark and gdkpixbufoverlay with the same logo
 * as a PNG, and prints the net CPU time per frame (element minus
 * identity), the ratio gdkpixbufoverlay / npywatermark, and the
 * bandwidth bound of the work: bytes read and written for the pixels the
 * overlay covers (frame bytes in and out plus the prepared overlay's
 * bytes read) divided by the memcpy rate measured in the same run.  Frames
 * rotate through 24 buffers so that, as behind a decoder, they come from
 * memory rather than cache (the prepared overlay, read every frame, may
 * stay cached, as it would in a real pipeline).
 *
 *   tests/bench/bench-element [--frames N] [--full-only] [--npy-only] [--deep]
 *                             [--hdr] [--offsets]
 *
 * --deep measures the 10-bit formats instead (P010_10LE, I420_10LE),
 * with the watermark as a uint16 .npy (kept at 16 bits) for npywatermark
 * and the same logo as an 8-bit PNG for gdkpixbufoverlay (gdk-pixbuf has
 * no 16-bit pixels; it blends through GStreamer's 16-bit unpack and
 * pack), and FFmpeg's overlay filter in yuv420p10le when `ffmpeg` is on
 * the PATH.
 *
 * --hdr (also part of --deep) measures P010_10LE frames with bt2100-pq
 * colorimetry beside the same frames as SDR (bt709): the HDR watermark's
 * colours are converted once per prepare, so the per-frame figures
 * should match; the first frame's time (negotiation and prepare) shows
 * what the conversion costs once.
 *
 * --offsets measures only a 2600x1300 watermark centred on 1080p RGBA and
 * I420, static and with offset-x moving every frame (a scroll): what a
 * copy larger than the frame costs when its offsets move.
 *
 * --full-only keeps the two full-frame overlays, --npy-only leaves out
 * gdkpixbufoverlay: what tests/bench/bench-compilers runs in a GCC and a
 * clang build to compare the kernels.
 *
 * Not a test: it prints figures and always exits 0 when it could run. */

#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gstnpywatermark.h"
#include "test-util.h"

#define W 1920
#define H 1080

/* 24 frames: 75 MB of I420, 200 MB of RGBA, past any L3 cache */
#define N_BUFS 24

static gint n_frames = 120;
static gboolean full_only = FALSE;
static gboolean npy_only = FALSE;
static gboolean deep = FALSE;
static gboolean hdr = FALSE;
static gboolean offsets = FALSE;

static gdouble
cpu_seconds (void)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
#else
  return g_get_monotonic_time () / 1e6;
#endif
}

/* memcpy rate in bytes moved (read + written) per second. */
static gdouble
memcpy_rate (void)
{
  gsize size = 64 << 20;
  guint8 *a = g_malloc (size), *b = g_malloc (size);
  gdouble best = 0;
  gint i;

  memset (a, 1, size);
  memset (b, 2, size);
  for (i = 0; i < 8; i++) {
    gdouble t0 = cpu_seconds (), t;

    memcpy (i % 2 ? a : b, i % 2 ? b : a, size);
    t = cpu_seconds () - t0;
    if (t > 0)
      best = MAX (best, 2.0 * size / t);
  }
  g_free (a);
  g_free (b);
  return best;
}

typedef struct
{
  const gchar *name;
  gint w, h;
  guint8 *rgba;
  gchar *npy;
  gchar *png;
  gsize nontransparent;         /* pixels with alpha > 0 */
} Logo;

static void
write_npy (Logo * logo, const gchar * dir)
{
  gchar *shape = g_strdup_printf ("(%d, %d, 4)", logo->h, logo->w);
  GString *s = test_util_npy_header (deep ? "<u2" : "|u1", shape);
  gsize size;

  size = (gsize) logo->w * logo->h * 4;
  if (deep) {
    gsize i;

    /* 16-bit values no 8-bit one can hold */
    for (i = 0; i < size; i++) {
      guint16 v = GUINT16_TO_LE (logo->rgba[i] * 257 - (logo->rgba[i] ?
              (i & 127) : 0));

      g_string_append_len (s, (const gchar *) &v, 2);
    }
  } else {
    g_string_append_len (s, (const gchar *) logo->rgba, size);
  }
  logo->npy = g_strdup_printf ("%s/%s.npy", dir, logo->name);
  g_file_set_contents (logo->npy, s->str, s->len, NULL);
  g_string_free (s, TRUE);
  g_free (shape);
}

/* The same pixels as a PNG, written by pngenc. */
static void
write_png (Logo * logo, const gchar * dir)
{
  gchar *desc;
  GstElement *pipe;
  GstElement *src;
  GstBuffer *buf;
  GstMessage *msg;
  GstBus *bus;

  logo->png = g_strdup_printf ("%s/%s.png", dir, logo->name);
  desc = g_strdup_printf ("appsrc name=src caps=video/x-raw,format=RGBA,"
      "width=%d,height=%d,framerate=0/1 ! pngenc ! filesink location=\"%s\"",
      logo->w, logo->h, logo->png);
  pipe = gst_parse_launch (desc, NULL);
  g_assert_nonnull (pipe);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  buf = gst_buffer_new_memdup (logo->rgba, (gsize) logo->w * logo->h * 4);
  gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  bus = gst_element_get_bus (pipe);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipe);
  g_free (desc);
}

/* A 400x100 logo: a translucent plate with opaque strokes, transparent
 * around it, like examples/watermark.npy. */
static void
make_logo (Logo * logo)
{
  gint x, y;

  logo->name = "logo-400x100";
  logo->w = 400;
  logo->h = 100;
  logo->rgba = g_malloc ((gsize) logo->w * logo->h * 4);
  for (y = 0; y < logo->h; y++) {
    for (x = 0; x < logo->w; x++) {
      guint8 *p = logo->rgba + 4 * (y * logo->w + x);
      gboolean plate = x > 4 && x < logo->w - 4 && y > 4 && y < logo->h - 4;
      gboolean stroke = plate && ((x / 6 + y / 6) % 5 == 0);

      p[0] = stroke ? 255 : 20;
      p[1] = stroke ? 255 : 60;
      p[2] = stroke ? 255 : 140;
      p[3] = stroke ? 230 : plate ? 115 : 0;
    }
  }
}

/* A full-frame overlay whose every pixel is partly opaque: the worst
 * case, nothing can be skipped. */
static void
make_full (Logo * logo)
{
  gint x, y;

  logo->name = "full-1920x1080";
  logo->w = W;
  logo->h = H;
  logo->rgba = g_malloc ((gsize) logo->w * logo->h * 4);
  for (y = 0; y < logo->h; y++) {
    for (x = 0; x < logo->w; x++) {
      guint8 *p = logo->rgba + 4 * ((gsize) y * logo->w + x);

      p[0] = x * 255 / W;
      p[1] = y * 255 / H;
      p[2] = (x + y) & 255;
      p[3] = 16 + ((x ^ y) & 127);
    }
  }
}

/* A full-frame overlay 90% transparent: a grid of 64x32 marks (a
 * translucent plate with opaque bars) in 192x108 cells, each column of
 * marks a little lower than the one before, so that every row of the
 * frame crosses some, as with a tiled diagonal watermark.  What a frame
 * costs should follow the 10% drawn. */
static void
make_sparse (Logo * logo)
{
  gint x, y;

  logo->name = "sparse-1920x1080";
  logo->w = W;
  logo->h = H;
  logo->rgba = g_malloc0 ((gsize) logo->w * logo->h * 4);
  for (y = 0; y < logo->h; y++) {
    for (x = 0; x < logo->w; x++) {
      guint8 *p = logo->rgba + 4 * ((gsize) y * logo->w + x);
      gint col = x / 192, cx = x % 192;
      gint cy = (y + 1080 - col * 23) % 108;
      gboolean bar = (cx / 8) % 2 == 0;

      if (cy < 38 || cy >= 70 || cx < 64 || cx >= 128)
        continue;
      p[0] = bar ? 255 : 20;
      p[1] = bar ? 255 : 60;
      p[2] = bar ? 255 : 140;
      p[3] = bar ? 255 : 96;
    }
  }
}

static void
count_visible (Logo * logo)
{
  gsize i;

  logo->nontransparent = 0;
  for (i = 0; i < (gsize) logo->w * logo->h; i++)
    logo->nontransparent += logo->rgba[4 * i + 3] != 0;
}

/* CPU seconds per frame for @element pushing the same frame n times, on
 * frames of @colorimetry (NULL: the format's default); the first frame's
 * CPU seconds (negotiation, the overlay's preparation) in @first, when
 * not NULL. */
static gdouble
run_moving (const gchar * factory, const gchar * location,
    GstVideoFormat format, const gchar * colorimetry, gdouble * first,
    gboolean move);

static gdouble
run_full (const gchar * factory, const gchar * location,
    GstVideoFormat format, const gchar * colorimetry, gdouble * first)
{
  return run_moving (factory, location, format, colorimetry, first, FALSE);
}

/* The same, npywatermark centred with offset-x moving by 7 pixels a
 * frame through -300 ... 299 when @move (a scroll), else at 0. */
static gdouble
run_moving (const gchar * factory, const gchar * location,
    GstVideoFormat format, const gchar * colorimetry, gdouble * first,
    gboolean move)
{
  GstElement *element = gst_element_factory_make (factory, NULL);
  GstVideoInfo info;
  GstCaps *caps;
  GstHarness *h;
  GstBuffer *bufs[N_BUFS], *buf;
  gdouble t0, t;
  gint i;

  if (element == NULL)
    return -1;
  if (location)
    g_object_set (element, "location", location, NULL);
  if (offsets && location)
    g_object_set (element, "position", 4, NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);

  gst_video_info_set_format (&info, format, W, H);
  caps = gst_video_info_to_caps (&info);
  gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
  if (colorimetry)
    gst_caps_set_simple (caps, "colorimetry", G_TYPE_STRING, colorimetry, NULL);

  /* Frames cycle through more memory than any cache holds, as a
   * decoder's output would; each is handed on writable, so nobody
   * copies it. */
  for (i = 0; i < N_BUFS; i++) {
    bufs[i] = gst_buffer_new_allocate (NULL, info.size, NULL);
    gst_buffer_memset (bufs[i], 0, 0x60 + i, info.size);
  }
  /* warm up: negotiation, overlay preparation, first-touch page faults */
  t0 = cpu_seconds ();
  gst_harness_set_caps (h, gst_caps_ref (caps), caps);
  for (i = 0; i < N_BUFS; i++) {
    bufs[i] = gst_harness_push_and_pull (h, bufs[i]);
    if (i == 0 && first)
      *first = cpu_seconds () - t0;
  }

  t0 = cpu_seconds ();
  for (i = 0; i < n_frames; i++) {
    buf = bufs[i % N_BUFS];
    GST_BUFFER_PTS (buf) = i * GST_SECOND / 30;
    if (move)
      g_object_set (h->element, "offset-x", (i * 7) % 600 - 300, NULL);
    bufs[i % N_BUFS] = gst_harness_push_and_pull (h, buf);
  }
  t = (cpu_seconds () - t0) / n_frames;

  for (i = 0; i < N_BUFS; i++)
    gst_buffer_unref (bufs[i]);
  gst_harness_teardown (h);
  return t;
}

static gdouble
run (const gchar * factory, const gchar * location, GstVideoFormat format)
{
  return run_full (factory, location, format, NULL, NULL);
}

/* npywatermark on P010_10LE as SDR (bt709) and as HDR10 (bt2100-pq),
 * best of 3 each: per frame, and the first frame. */
static void
run_hdr (const Logo * logos, guint l0)
{
  const gchar *spaces[] = { "bt709", "bt2100-pq" };
  guint l, s, k;

  g_print ("\nP010_10LE, SDR beside HDR10: CPU ms per frame, net of "
      "identity (best of 3), and the first frame (prepare)\n\n");
  g_print ("%-15s %-10s %13s %9s %14s\n", "overlay", "caps", "npywatermark",
      "HDR/SDR", "first frame");
  for (l = l0; l < 2; l++) {
    gdouble per[2] = { 0, 0 };

    for (s = 0; s < 2; s++) {
      gdouble best = G_MAXDOUBLE, first_best = G_MAXDOUBLE;

      for (k = 0; k < 3; k++) {
        gdouble base = run_full ("identity", NULL,
            GST_VIDEO_FORMAT_P010_10LE, spaces[s], NULL);
        gdouble first = 0, t = run_full ("npywatermark", logos[l].npy,
            GST_VIDEO_FORMAT_P010_10LE, spaces[s], &first) - base;

        best = MIN (best, t);
        first_best = MIN (first_best, first);
      }
      per[s] = best;
      if (s == 0)
        g_print ("%-15s %-10s %13.3f %9s %14.3f\n", logos[l].name,
            spaces[s], best * 1e3, "-", first_best * 1e3);
      else
        g_print ("%-15s %-10s %13.3f %8.2fx %14.3f\n", logos[l].name,
            spaces[s], best * 1e3, per[1] / per[0], first_best * 1e3);
    }
  }
}

/* FFmpeg's overlay filter in yuv420p10le: CPU seconds (user + system of
 * the child) per frame for n frames of a 1080p source overlaid with the
 * PNG, minus the same run without the overlay; -1 when it fails. */
static gdouble
ffmpeg_cpu (const gchar * ffmpeg, const gchar * png, gint frames)
{
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);
  gint status = 0;
  gdouble t = -1;
  struct rusage before, after;
  const gchar *common[] = { "-v", "error", "-nostdin", "-threads", "1",
    "-filter_threads", "1", "-f", "lavfi", "-i"
  };
  guint i;

  g_ptr_array_add (args, g_strdup (ffmpeg));
  for (i = 0; i < G_N_ELEMENTS (common); i++)
    g_ptr_array_add (args, g_strdup (common[i]));
  g_ptr_array_add (args, g_strdup_printf ("color=c=0x606060:s=%dx%d:r=30",
          W, H));
  if (png) {
    g_ptr_array_add (args, g_strdup ("-loop"));
    g_ptr_array_add (args, g_strdup ("1"));
    g_ptr_array_add (args, g_strdup ("-i"));
    g_ptr_array_add (args, g_strdup (png));
  }
  g_ptr_array_add (args, g_strdup ("-filter_complex"));
  g_ptr_array_add (args, g_strdup (png ?
          "[0:v]format=yuv420p10le[b];[1:v]format=yuva420p10le[o];"
          "[b][o]overlay=0:0:format=yuv420p10" : "[0:v]format=yuv420p10le"));
  g_ptr_array_add (args, g_strdup ("-frames:v"));
  g_ptr_array_add (args, g_strdup_printf ("%d", frames));
  g_ptr_array_add (args, g_strdup ("-f"));
  g_ptr_array_add (args, g_strdup ("null"));
  g_ptr_array_add (args, g_strdup ("-"));
  g_ptr_array_add (args, NULL);

  getrusage (RUSAGE_CHILDREN, &before);
  if (g_spawn_sync (NULL, (gchar **) args->pdata, NULL, G_SPAWN_DEFAULT,
          NULL, NULL, NULL, NULL, &status, NULL) && status == 0) {
    getrusage (RUSAGE_CHILDREN, &after);
    t = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
        (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6 +
        (after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
        (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
  }
  g_ptr_array_unref (args);
  return t;
}

/* FFmpeg's net CPU seconds per frame for @logo, -1 when it failed. */
static gdouble
run_ffmpeg (const gchar * ffmpeg, const Logo * logo)
{
  gdouble with = ffmpeg_cpu (ffmpeg, logo->png, n_frames);
  gdouble without = ffmpeg_cpu (ffmpeg, NULL, n_frames);

  if (with < 0 || without < 0)
    return -1;
  return (with - without) / n_frames;
}

/* Bytes the blend must move for @logo at (0,0): the frame's bytes under
 * its pixels that are not transparent, read and written, plus the
 * prepared overlay read once for them. */
static gdouble
touched_bytes (const Logo * logo, GstVideoFormat format)
{
  gdouble px = (gdouble) logo->nontransparent;

  switch (format) {
    case GST_VIDEO_FORMAT_P010_10LE:
      /* frame: 3 B/px in and out; overlay: Y value + alpha (4 B/px),
       * UV pair + alpha per 4 px (1.5 B/px) */
      return px * (3 * 2 + 4 + 1.5);
    case GST_VIDEO_FORMAT_I420_10LE:
      /* as P010, chroma U and V each with its alpha (2 B/px) */
      return px * (3 * 2 + 4 + 2);
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_NV12:
      /* frame: 1.5 B/px in and out; overlay: Y value + alpha (2 B/px),
       * chroma values + alpha (0.75 B/px for I420, 0.75 for NV12) */
      return px * (1.5 * 2 + 2 + 0.75);
    case GST_VIDEO_FORMAT_RGBA:
    default:
      /* frame: 4 B/px in and out; overlay: 4 values + alpha */
      return px * (4 * 2 + 5);
  }
}

/* A 2600x1300 watermark (partly opaque everywhere) centred on 1080p,
 * static and scrolling: CPU ms per frame net of identity, best of 3. */
static void
run_offsets (void)
{
  const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_RGBA,
    GST_VIDEO_FORMAT_I420
  };
  gchar *dir = g_dir_make_tmp ("bench-element-XXXXXX", NULL);
  Logo big = { "big-2600x1300", 2600, 1300 };
  guint f, k;
  gint x, y;

  big.rgba = g_malloc ((gsize) big.w * big.h * 4);
  for (y = 0; y < big.h; y++) {
    for (x = 0; x < big.w; x++) {
      guint8 *p = big.rgba + 4 * ((gsize) y * big.w + x);

      p[0] = x * 255 / big.w;
      p[1] = y * 255 / big.h;
      p[2] = (x + y) & 255;
      p[3] = 16 + ((x ^ y) & 127);
    }
  }
  write_npy (&big, dir);
  g_print ("%s centred on 1920x1080, offset-x static (0) and scrolling "
      "(7 pixels a frame, -300 ... 299): CPU ms per frame, net of "
      "identity, best of 3\n\n", big.name);
  g_print ("%-9s %9s %9s %9s\n", "format", "static", "moving", "ratio");
  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    gdouble still = G_MAXDOUBLE, moving = G_MAXDOUBLE;

    for (k = 0; k < 3; k++) {
      gdouble base = run ("identity", NULL, formats[f]);

      still = MIN (still, run_moving ("npywatermark", big.npy, formats[f],
              NULL, NULL, FALSE) - base);
      moving = MIN (moving, run_moving ("npywatermark", big.npy, formats[f],
              NULL, NULL, TRUE) - base);
    }
    g_print ("%-9s %9.3f %9.3f %8.2fx\n",
        gst_video_format_to_string (formats[f]), still * 1e3, moving * 1e3,
        moving / still);
  }
  g_unlink (big.npy);
  g_free (big.npy);
  g_free (big.rgba);
  g_rmdir (dir);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    {"frames", 'n', 0, G_OPTION_ARG_INT, &n_frames,
        "Frames per measurement (default 120)", "N"},
    {"full-only", 0, 0, G_OPTION_ARG_NONE, &full_only,
        "Only the full-frame overlay", NULL},
    {"npy-only", 0, 0, G_OPTION_ARG_NONE, &npy_only,
        "Leave out gdkpixbufoverlay", NULL},
    {"deep", 0, 0, G_OPTION_ARG_NONE, &deep,
        "10-bit formats, a 16-bit watermark, FFmpeg where installed", NULL},
    {"hdr", 0, 0, G_OPTION_ARG_NONE, &hdr,
        "Only P010_10LE as HDR10 (bt2100-pq) beside SDR (bt709)", NULL},
    {"offsets", 0, 0, G_OPTION_ARG_NONE, &offsets,
        "Only a 2600x1300 watermark, static and with moving offsets", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- npywatermark benchmark");
  const GstVideoFormat formats8[] = { GST_VIDEO_FORMAT_I420,
    GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_RGBA
  };
  const GstVideoFormat formats_deep[] = { GST_VIDEO_FORMAT_P010_10LE,
    GST_VIDEO_FORMAT_I420_10LE
  };
  const GstVideoFormat *formats;
  guint n_formats;
  gchar *ffmpeg;
  Logo logos[3] = { {0} };
  GError *error = NULL;
  gchar *dir;
  gdouble rate;
  guint f, l;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("bench-element: %s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);
  GST_ELEMENT_REGISTER (npywatermark, NULL);
  if (hdr) {
    deep = TRUE;
    npy_only = TRUE;
  }

  if (!npy_only && !gst_element_factory_find ("gdkpixbufoverlay")) {
    g_printerr ("bench-element: gdkpixbufoverlay is missing "
        "(Debian: gstreamer1.0-plugins-good)\n");
    return 2;
  }

  if (offsets) {
    run_offsets ();
    return 0;
  }
  formats = deep ? formats_deep : formats8;
  n_formats = deep ? G_N_ELEMENTS (formats_deep) : G_N_ELEMENTS (formats8);
  ffmpeg = deep && !npy_only ? g_find_program_in_path ("ffmpeg") : NULL;

  dir = g_dir_make_tmp ("bench-element-XXXXXX", NULL);
  make_logo (&logos[0]);
  make_full (&logos[1]);
  make_sparse (&logos[2]);
  for (l = 0; l < G_N_ELEMENTS (logos); l++) {
    count_visible (&logos[l]);
    write_npy (&logos[l], dir);
    if (!npy_only)
      write_png (&logos[l], dir);
  }

  rate = memcpy_rate ();
  g_print ("%s1920x1080 frames, %d per measurement; memcpy %.1f GB/s "
      "(read + written)\n", deep ? "16-bit watermark, " : "", n_frames,
      rate / 1e9);
  g_print ("CPU ms per frame, net of identity (%s)\n\n",
#ifdef CLOCK_THREAD_CPUTIME_ID
      "thread CPU time"
#else
      "wall time"
#endif
      );
  g_print ("%-9s %-15s %9s %13s %11s %16s %10s %12s%s\n", "format",
      "overlay", "identity", "npywatermark", "bound", "gdkpixbufoverlay",
      "gdk/npy", "npy/bound", ffmpeg ? "       ffmpeg  ffmpeg/npy" : "");

  for (f = 0; f < n_formats && !hdr; f++) {
    for (l = full_only ? 1 : 0; l < G_N_ELEMENTS (logos); l++) {
      gdouble base = run ("identity", NULL, formats[f]);
      gdouble npy = run ("npywatermark", logos[l].npy, formats[f]) - base;
      gdouble gdk = npy_only ? 0 :
          run ("gdkpixbufoverlay", logos[l].png, formats[f]) - base;
      gdouble bound = touched_bytes (&logos[l], formats[f]) / rate;

      if (npy_only)
        g_print ("%-9s %-15s %9.3f %13.3f %11.3f %16s %10s %11.2fx",
            gst_video_format_to_string (formats[f]), logos[l].name,
            base * 1e3, npy * 1e3, bound * 1e3, "-", "-", npy / bound);
      else
        g_print ("%-9s %-15s %9.3f %13.3f %11.3f %16.3f %9.1fx %11.2fx",
            gst_video_format_to_string (formats[f]), logos[l].name,
            base * 1e3, npy * 1e3, bound * 1e3, gdk * 1e3, gdk / npy,
            npy / bound);
      if (ffmpeg) {
        gdouble ff = run_ffmpeg (ffmpeg, &logos[l]);

        g_print (" %12.3f %10.1fx", ff * 1e3, ff / npy);
      }
      g_print ("\n");
    }
  }
  if (deep && !npy_only && !ffmpeg)
    g_print ("\nffmpeg is not installed: no FFmpeg column\n");
  if (deep)
    run_hdr (logos, full_only ? 1 : 0);
  g_free (ffmpeg);

  for (l = 0; l < G_N_ELEMENTS (logos); l++) {
    g_unlink (logos[l].npy);
    if (logos[l].png)
      g_unlink (logos[l].png);
    g_free (logos[l].npy);
    g_free (logos[l].png);
    g_free (logos[l].rgba);
  }
  g_rmdir (dir);
  g_free (dir);
  return 0;
}
