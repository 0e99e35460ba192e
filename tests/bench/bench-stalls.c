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


/* bench-stalls: how long npywatermark holds the streaming thread, from
 * pad probes: the time from a buffer entering its sink pad to its leaving
 * the source pad (caps events and set_info included, as the element runs
 * them on the same thread before the buffer).
 *
 * - caps change: a 30-slice 1920x1080 animation, frames 1280x720 then
 *   1920x1080 (a capsfilter changed while playing): the worst buffer
 *   after the change, and the first buffer of the stream; then the first
 *   buffer on the new caps (which prepares its slice; with the streaming
 *   thread's CPU time, apart from waiting for a core on a loaded machine)
 *   and the later ones (which should never wait for one);
 * - size change: an 8000x6000 watermark on 1080p I420, size 0.25 -> 0.3
 *   while playing: the worst buffer after it;
 * - offsets: a 2600x1300 watermark on 1080p RGBA, static and with
 *   offset-x moving by 7 pixels every frame: the median buffer, and the
 *   worst; at the top left (offset-x 7, 14, ...: the copy's right part
 *   leaves the frame) and centred (offset-x -300 ... 299: a scroll, the
 *   copy cut on both sides);
 * - composition fade: the overlay-composition path (a sink announcing
 *   the meta), a 1920x1080 and a 400x100 watermark on 1080p RGBA,
 *   opacity static and fading in and out (11 levels, 20 frames a
 *   cycle): median, mean and worst buffer.
 *
 *   bench-stalls [-n FRAMES] */

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "test-util.h"

static gint n_frames = 60;
static gchar *tmpdir;
/* opacity set before each buffer: 0.05 ... 0.95 and back in 10 steps */
static gboolean fading;

typedef struct
{
  gint64 in;                    /* when the buffer entered, µs */
  GArray *ms;                   /* per buffer, ms */
  GstElement *element;
  gint move;                    /* offset-x step per frame, 0: none */
  gint x;
  gint from;                    /* offset-x is from + x mod 600 */
  gboolean caps;                /* a caps event came before the buffer */
  gboolean after_caps;          /* the buffer in the element follows one */
  guint caps_at;                /* the last such buffer's index in ms */
  gdouble cpu_in;               /* the streaming thread's CPU time, ms */
  gdouble caps_cpu;             /* what that buffer took of it */
  void (*change) (GstElement * pipe);   /* called at buffer n_frames / 2 */
  GstElement *pipe;
} Probe;

/* The calling thread's CPU time in ms (-1 where there is no such
 * clock): on a loaded machine, the work a buffer took apart from the
 * wait for a core. */
static gdouble
thread_cpu_ms (void)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
#endif
  return -1;
}

static GstPadProbeReturn
in_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Probe *p = data;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS) {
      p->in = g_get_monotonic_time ();
      p->cpu_in = thread_cpu_ms ();
      p->caps = TRUE;
    }
    return GST_PAD_PROBE_OK;
  }
  if (p->caps) {
    /* set_info () ran at the caps event, on this thread */
    p->caps = FALSE;
    p->after_caps = TRUE;
    return GST_PAD_PROBE_OK;
  }
  if (p->change && p->ms->len == (guint) n_frames / 2) {
    gdouble mark = -1;

    /* on the streaming thread, so that it lands between two buffers */
    g_array_append_val (p->ms, mark);
    p->change (p->pipe);
    p->change = NULL;
  }
  if (fading) {
    guint k = p->ms->len % 20;

    g_object_set (p->element, "opacity", 0.05 + 0.09 * (k < 10 ? k : 20 - k),
        NULL);
  }
  if (p->move) {
    p->x += p->move;
    g_object_set (p->element, "offset-x", p->from + p->x % 600, NULL);
  }
  p->in = g_get_monotonic_time ();
  p->cpu_in = thread_cpu_ms ();
  return GST_PAD_PROBE_OK;
}

/* A sink that draws the overlay composition itself, as far as the
 * element can tell: the meta in its answer to the allocation query. */
static GstPadProbeReturn
announce_meta (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION)
    gst_query_add_allocation_meta (query,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
out_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Probe *p = data;
  gdouble ms = (g_get_monotonic_time () - p->in) / 1000.0;

  if (p->after_caps) {
    p->after_caps = FALSE;
    p->caps_at = p->ms->len;
    p->caps_cpu = thread_cpu_ms () - p->cpu_in;
  }
  g_array_append_val (p->ms, ms);
  return GST_PAD_PROBE_OK;
}

/* A .npy of @n slices (0: a still) of @w x @h RGBA, a gradient. */
static gchar *
write_npy (const gchar * name, gint n, gint w, gint h)
{
  g_autofree gchar *shape = n ? g_strdup_printf ("(%d, %d, %d, 4)", n, h, w)
      : g_strdup_printf ("(%d, %d, 4)", h, w);
  gchar *path = g_build_filename (tmpdir, name, NULL);
  GString *s = test_util_npy_header ("|u1", shape);
  gsize head = s->len, i, total = (gsize) MAX (n, 1) * w * h * 4;
  FILE *f;

  g_string_set_size (s, head + total);
  for (i = 0; i < total; i++)
    s->str[head + i] = (gchar) ((i * 7) & 0xff);
  f = g_fopen (path, "wb");
  g_assert (f && fwrite (s->str, 1, s->len, f) == s->len);
  fclose (f);
  g_string_free (s, TRUE);
  return path;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
max_from (GArray * ms, guint from)
{
  gdouble m = 0;
  guint i;

  for (i = from; i < ms->len; i++)
    m = MAX (m, g_array_index (ms, gdouble, i));
  return m;
}

static gdouble
mean_from (GArray * ms, guint from)
{
  gdouble sum = 0;
  guint i;

  for (i = from; i < ms->len; i++)
    sum += g_array_index (ms, gdouble, i);
  return sum / MAX (ms->len - from, 1);
}

static gdouble
median_from (GArray * ms, guint from)
{
  GArray *c = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gdouble m;

  g_array_append_vals (c, &g_array_index (ms, gdouble, from), ms->len - from);
  g_array_sort (c, cmp_double);
  m = g_array_index (c, gdouble, c->len / 2);
  g_array_unref (c);
  return m;
}

/* Runs @desc (with elements "w" and "cf") for n_frames, calling @change
 * at frame n_frames / 2; returns the per-buffer times, and in *@caps_at
 * (when not NULL) the index of the last buffer that followed caps. */
static GArray *
run (const gchar * desc, gint move, gint from,
    void (*change) (GstElement * pipe), guint * caps_at, gdouble * caps_cpu)
{
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *w = gst_bin_get_by_name (GST_BIN (pipe), "w");
  GstElement *sink_el = gst_bin_get_by_name (GST_BIN (pipe), "meta-sink");
  GstPad *sink = gst_element_get_static_pad (w, "sink");
  GstPad *src = gst_element_get_static_pad (w, "src");
  Probe p = {.ms = g_array_new (FALSE, FALSE, sizeof (gdouble)),.element =
        w,.move = move,.from = from,.change = change,.pipe = pipe
  };
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg;

  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, in_probe, &p, NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, out_probe, &p, NULL);
  if (sink_el) {
    GstPad *pad = gst_element_get_static_pad (sink_el, "sink");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
        announce_meta, NULL, NULL);
    gst_object_unref (pad);
    gst_object_unref (sink_el);
  }
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  for (;;) {
    msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    {
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
        GError *e = NULL;

        gst_message_parse_error (msg, &e, NULL);
        g_printerr ("error: %s\n", e->message);
        g_error_free (e);
      }
      gst_message_unref (msg);
      break;
    }
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (w);
  gst_object_unref (pipe);
  if (caps_at)
    *caps_at = p.caps_at;
  if (caps_cpu)
    *caps_cpu = p.caps_cpu;
  return p.ms;
}

static guint
mark_index (GArray * ms)
{
  guint i;

  for (i = 0; i < ms->len; i++)
    if (g_array_index (ms, gdouble, i) < 0)
      return i + 1;
  return ms->len;
}

static void
to_1080p (GstElement * pipe)
{
  GstElement *cf = gst_bin_get_by_name (GST_BIN (pipe), "cf");
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=I420,"
      "width=1920,height=1080,framerate=30/1");

  g_object_set (cf, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_object_unref (cf);
}

static void
size_03 (GstElement * pipe)
{
  GstElement *w = gst_bin_get_by_name (GST_BIN (pipe), "w");

  g_object_set (w, "size", 0.3, NULL);
  gst_object_unref (w);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    {"frames", 'n', 0, G_OPTION_ARG_INT, &n_frames, "frames per run", "N"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- npywatermark's stalls");
  g_autofree gchar *anim = NULL, *big = NULL, *wide = NULL, *desc = NULL;
  GArray *ms;
  guint at, caps_at;
  gdouble still, moving, caps_cpu;
  gint centred, i;
  GstElementFactory *factory;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, NULL))
    return 2;
  g_option_context_free (ctx);
  if (!(factory = gst_element_factory_find ("npywatermark"))) {
    g_printerr ("bench-stalls: no npywatermark element: run it with "
        "GST_PLUGIN_PATH=build/gst\n");
    return 1;
  }
  gst_object_unref (factory);
  tmpdir = g_dir_make_tmp ("bench-stalls-XXXXXX", NULL);

  anim = write_npy ("anim.npy", 30, 1920, 1080);
  desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=black ! "
      "capsfilter name=cf caps=video/x-raw,format=I420,width=1280,height=720,"
      "framerate=30/1 ! npywatermark name=w location=%s ! fakesink",
      n_frames, anim);
  ms = run (desc, 0, 0, to_1080p, &caps_at, &caps_cpu);
  at = mark_index (ms);
  printf ("caps change, 30-slice 1920x1080 animation: first buffer %.1f ms, "
      "worst after the change %.1f ms, median before %.2f ms\n",
      g_array_index (ms, gdouble, 0), max_from (ms, at), median_from (ms, 1));
  if (caps_at > at && caps_at + 1 < ms->len)
    printf ("  (the first buffer on the new caps %.1f ms, %.1f ms of it on "
        "a core; the later ones at most %.1f ms)\n",
        g_array_index (ms, gdouble, caps_at), caps_cpu,
        max_from (ms, caps_at + 1));
  g_array_unref (ms);
  g_unlink (anim);

  big = write_npy ("big.npy", 0, 8000, 6000);
  g_free (desc);
  desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=black ! "
      "video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! "
      "npywatermark name=w location=%s size=0.25 ! fakesink", n_frames, big);
  ms = run (desc, 0, 0, size_03, NULL, NULL);
  at = mark_index (ms);
  printf ("size change, 8000x6000 on 1080p I420: first buffer %.1f ms, "
      "worst after the change %.1f ms\n", g_array_index (ms, gdouble, 0),
      max_from (ms, at));
  g_array_unref (ms);
  g_unlink (big);

  wide = write_npy ("wide.npy", 0, 2600, 1300);
  for (centred = 0; centred < 2; centred++) {
    g_free (desc);
    desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=black ! "
        "video/x-raw,format=RGBA,width=1920,height=1080,framerate=30/1 ! "
        "npywatermark name=w location=%s position=%s ! fakesink", n_frames,
        wide, centred ? "center" : "top-left");
    ms = run (desc, 0, 0, NULL, NULL, NULL);
    still = median_from (ms, 5);
    g_array_unref (ms);
    /* top-left: offset-x 7, 14, ... (the copy's right part leaves the
     * frame); centred: a scroll, offset-x -300 ... 299, the copy cut on
     * both sides */
    ms = run (desc, 7, centred ? -300 : 0, NULL, NULL, NULL);
    moving = median_from (ms, 5);
    printf ("offsets, 2600x1300 on 1080p RGBA, %s: static %.2f ms, moving "
        "%.2f ms (median), %.1fx; worst moving %.2f ms\n",
        centred ? "centred, scrolling" : "top-left", still, moving,
        moving / still, max_from (ms, 5));
    g_array_unref (ms);
  }
  g_unlink (wide);

  /* the composition path (a sink that draws the meta), a 1920x1080
   * watermark and a 400x100 one, opacity static and fading */
  for (i = 0; i < 2; i++) {
    g_autofree gchar *mark = write_npy ("mark.npy", 0, i ? 400 : 1920,
        i ? 100 : 1080);
    gdouble still_mean;

    g_free (desc);
    desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=black ! "
        "video/x-raw,format=RGBA,width=1920,height=1080,framerate=30/1 ! "
        "npywatermark name=w location=%s opacity=0.5 ! "
        "video/x-raw(memory:SystemMemory,meta:GstVideoOverlayComposition) ! "
        "fakesink name=meta-sink", n_frames, mark);
    ms = run (desc, 0, 0, NULL, NULL, NULL);
    still = median_from (ms, 5);
    still_mean = mean_from (ms, 5);
    g_array_unref (ms);
    fading = TRUE;
    ms = run (desc, 0, 0, NULL, NULL, NULL);
    fading = FALSE;
    printf ("composition fade, %s on 1080p RGBA (20-frame cycle of 11 "
        "levels): static %.3f ms, fading %.3f ms (median); mean %.3f and "
        "%.3f ms; worst fading %.3f ms\n", i ? "400x100" : "1920x1080", still,
        median_from (ms, 5), still_mean, mean_from (ms, 5), max_from (ms, 5));
    g_array_unref (ms);
    g_unlink (mark);
  }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return 0;
}
