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

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gst/pbutils/pbutils.h>
#include <gst/video/video.h>

#include <gst/app/gstappsrc.h>

#include "log.h"
#include "mp4edit.h"
#include "video.h"

#define GST_CAT_DEFAULT batch_debug

/* Reading a file's headers (the probe) takes milliseconds; this is a net
 * against a demuxer that never exposes its streams. */
#define PROBE_TIMEOUT (30 * GST_SECOND)

/* A video that writes no frame for this long has stalled: reported as
 * failed rather than holding the run forever. */
#define STALL_TIMEOUT (120 * G_USEC_PER_SEC)

/* How often the worker looks at the bus, the signal flag and the clock. */
#define POLL_INTERVAL (100 * GST_MSECOND)

/* What the queues to the muxer may hold, in time only (no byte or buffer
 * limit): the audio and subtitle queues take the encoder's look-ahead
 * (x264's veryslow preset holds 60 frames plus its threads' and
 * B-frames', under 4 s at 24 fps) while the muxer waits for video, so
 * that the demuxer never blocks on them first.  Compressed data: a few
 * MB.  The queue before the decoder holds a second of compressed video:
 * when it is full the demuxer waits, which starves nothing. */
#define QUEUE_TIME (10 * GST_SECOND)
#define DECODER_QUEUE_TIME GST_SECOND

/* A file whose streams end this much before the container's duration is
 * truncated (a faststart MP4 cut short plays to EOS without an error). */
#define TRUNCATION_TOLERANCE (GST_SECOND / 2)

static const gchar *const video_extensions[] = {
  ".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", NULL
};

/* x264's presets, fastest first: the VPx and AV1 encoders map them. */
static const gchar *const presets[] = {
  "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
  "slower", "veryslow", NULL
};

/* Memory (README: "Memory").  A frame of more pixels than 1080p's
 * (2560x1440, 3840x2160) is large: every frame held by the decoder or
 * the encoder then costs 5 MB to 25 MB, and what the codecs hold by
 * default (x264's medium: 40 frames of look-ahead, a frame per thread,
 * each also kept by x264enc until it is encoded) comes to gigabytes at
 * 4K.  For large frames the decoder threads by slices, and the encoders
 * hold no frame for look-ahead (x264's rc-lookahead, x265's, libvpx's
 * lag-in-frames) or B-frames, and thread by slices (x264: one frame for
 * all threads) or one frame at a time (x265), with one reference frame
 * (x264's are 40 MB each at 4K with their half-pixel planes): a 4K H.264
 * video at medium then peaks at 370-460 MiB instead of 720-990.  1080p
 * and smaller are left as they were. */
#define LARGE_FRAME_PIXELS (1920 * 1088)
#define LARGE_THREADS_MAX 8

static gboolean
is_large (gint width, gint height)
{
  return width * (gint64) height > LARGE_FRAME_PIXELS;
}

/* A codec family: what the input's parsed caps are called, the encoder
 * that writes it again, the parser that readies it for the muxer. */
typedef struct
{
  const gchar *caps_name;
  const gchar *label;
  const gchar *encoder;
  const gchar *parser;          /* NULL: the muxer takes the encoder's */
  gboolean deep;                /* the encoder writes 10 bits */
} Family;

static const Family families[] = {
  {"video/x-h264", "H.264", "x264enc", "h264parse", FALSE},
  {"video/x-h265", "HEVC", "x265enc", "h265parse", TRUE},
  {"video/x-vp8", "VP8", "vp8enc", NULL, FALSE},
  {"video/x-vp9", "VP9", "vp9enc", "vp9parse", TRUE},
  {"video/x-av1", "AV1", "av1enc", "av1parse", TRUE},
};

#define H264_FAMILY (&families[0])

/* The muxer by the output's extension. */
static const struct
{
  const gchar *extension;
  const gchar *muxer;
} muxers[] = {
  {".mp4", "mp4mux"}, {".m4v", "mp4mux"}, {".mov", "qtmux"},
  {".mkv", "matroskamux"}, {".webm", "webmmux"}, {".avi", "avimux"},
};

gboolean
batch_video_preset_valid (const gchar * name)
{
  return name && g_strv_contains (presets, name);
}

static guint
preset_index (const gchar * name)
{
  guint i;

  for (i = 0; presets[i]; i++)
    if (g_str_equal (presets[i], name))
      return i;
  return 5;                     /* medium */
}

gboolean
batch_video_has_video_name (const gchar * name)
{
  const gchar *dot = strrchr (name, '.');
  guint i;

  for (i = 0; dot && video_extensions[i]; i++)
    if (g_ascii_strcasecmp (dot, video_extensions[i]) == 0)
      return TRUE;
  return FALSE;
}

guint
batch_video_claim (GPtrArray * pictures, const gchar * output_folder)
{
  guint i, n = 0;

  for (i = 0; i < pictures->len; i++) {
    BatchPicture *p = pictures->pdata[i];
    g_autofree gchar *path = NULL;

    if (p->output_path || !batch_video_has_video_name (p->relative))
      continue;
    path = g_build_filename (output_folder, p->relative, NULL);
    p->output_path = g_strdup (path);
    p->unsupported = NULL;
    p->video = TRUE;
    n++;
  }
  return n;
}

void
batch_video_result_clear (BatchVideoResult * result)
{
  g_clear_pointer (&result->codec_in, g_free);
  g_clear_pointer (&result->codec_out, g_free);
  g_clear_pointer (&result->encoder, g_free);
  g_clear_pointer (&result->container, g_free);
  g_clear_pointer (&result->output_path, g_free);
}

static const Family *
family_of (const GstCaps * caps)
{
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps,
          0));
  guint i;

  for (i = 0; i < G_N_ELEMENTS (families); i++)
    if (g_str_equal (name, families[i].caps_name))
      return &families[i];
  return NULL;
}

static gchar *
codec_label (const GstCaps * caps)
{
  const Family *f = family_of (caps);

  if (f)
    return g_strdup (f->label);
  if (!gst_caps_is_fixed (caps))
    return g_strdup (gst_structure_get_name (gst_caps_get_structure (caps, 0)));
  return gst_pb_utils_get_codec_description (caps);
}

static const gchar *
muxer_for (const gchar * path)
{
  const gchar *dot = strrchr (path, '.');
  guint i;

  for (i = 0; dot && i < G_N_ELEMENTS (muxers); i++)
    if (g_ascii_strcasecmp (dot, muxers[i].extension) == 0)
      return muxers[i].muxer;
  return "mp4mux";
}

/* Whether @muxer has a request pad for video that takes @caps_name. */
static gboolean
muxer_takes (const gchar * muxer, const gchar * caps_name)
{
  g_autoptr (GstElementFactory) factory = gst_element_factory_find (muxer);
  g_autoptr (GstCaps) want = gst_caps_new_empty_simple (caps_name);
  const GList *l;

  if (factory == NULL)
    return FALSE;
  for (l = gst_element_factory_get_static_pad_templates (factory); l;
      l = l->next) {
    GstStaticPadTemplate *t = l->data;
    g_autoptr (GstCaps) caps = NULL;

    if (t->direction != GST_PAD_SINK || !g_str_has_prefix (t->name_template,
            "video"))
      continue;
    caps = gst_static_caps_get (&t->static_caps);
    if (gst_caps_can_intersect (caps, want))
      return TRUE;
  }
  return FALSE;
}

static gboolean
have_element (const gchar * name)
{
  g_autoptr (GstElementFactory) factory = gst_element_factory_find (name);

  return factory != NULL;
}

/* @path with .mp4 for its extension: where a WebM whose video had to
 * become H.264 is written. */
static gchar *
mp4_name (const gchar * path)
{
  const gchar *dot = strrchr (path, '.');
  g_autofree gchar *stem = g_strndup (path, dot ? (gsize) (dot - path) :
      strlen (path));

  return g_strconcat (stem, ".mp4", NULL);
}

static gboolean
is_webm (const gchar * path)
{
  const gchar *dot = strrchr (path, '.');

  return dot && g_ascii_strcasecmp (dot, ".webm") == 0;
}

gchar *
batch_video_existing_output (const BatchPicture * video)
{
  g_autofree gchar *mp4 = NULL;
  g_autofree gchar *sibling = NULL;

  if (g_file_test (video->output_path, G_FILE_TEST_EXISTS))
    return g_strdup (video->output_path);
  if (!is_webm (video->output_path))
    return NULL;
  /* the MP4 a WebM was written as (make_plan), unless an input of that
   * name has it as its own output */
  mp4 = mp4_name (video->output_path);
  sibling = mp4_name (video->input_path);
  if (g_file_test (mp4, G_FILE_TEST_EXISTS)
      && !g_file_test (sibling, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&mp4);
  return NULL;
}

/* ------------------------------------------------------------- probe */

/* What the headers say: the streams and the duration. */
typedef struct
{
  GMutex lock;
  guint pads, pads_with_caps;   /* with lock */
  GstCaps *video_caps;          /* the first video stream's, parsed */
  GstPad *video_pad;            /* parsebin's, for the duration query */
  guint videos, audios, subtitles, others;
  gchar *audio_codecs;          /* "AAC, Opus", for the dry run */
  GstElement *pipeline;
} Probe;

static gboolean
is_subtitle (const GstCaps * caps)
{
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps,
          0));

  return g_str_has_prefix (name, "text/") || g_str_has_prefix (name,
      "subtitle/") || g_str_has_prefix (name, "subpicture/")
      || g_str_equal (name, "application/x-ssa")
      || g_str_equal (name, "application/x-ass")
      || g_str_equal (name, "application/x-usf")
      || g_str_equal (name, "application/x-subtitle-vtt");
}

typedef enum
{
  STREAM_VIDEO,
  STREAM_AUDIO,
  STREAM_SUBTITLE,
  STREAM_OTHER
} StreamKind;

static StreamKind
stream_kind (const GstCaps * caps)
{
  const gchar *name;

  if (caps == NULL || gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    return STREAM_OTHER;
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  /* a cover picture (image/jpeg) is not a video stream */
  if (g_str_has_prefix (name, "video/"))
    return STREAM_VIDEO;
  if (g_str_has_prefix (name, "audio/"))
    return STREAM_AUDIO;
  if (is_subtitle (caps))
    return STREAM_SUBTITLE;
  return STREAM_OTHER;
}

/* parsebin exposes a file's streams all at once, before any data (it
 * emits no "no-more-pads"), some without caps yet (AVI): the streams are
 * known when every pad has had its caps. */
static GstPadProbeReturn
probe_caps (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Probe *probe = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gboolean all;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&probe->lock);
  all = ++probe->pads_with_caps == probe->pads;
  g_mutex_unlock (&probe->lock);
  if (all)
    gst_element_post_message (probe->pipeline,
        gst_message_new_application (NULL,
            gst_structure_new_empty ("npw-streams-known")));
  return GST_PAD_PROBE_REMOVE;
}

/* Counts @pad's stream once its caps are known. */
static void
probe_count (Probe * probe, GstPad * pad, GstCaps * caps)
{
  g_mutex_lock (&probe->lock);
  switch (stream_kind (caps)) {
    case STREAM_VIDEO:
      if (probe->videos++ == 0) {
        probe->video_caps = gst_caps_ref (caps);
        probe->video_pad = gst_object_ref (pad);
      }
      break;
    case STREAM_AUDIO:{
      g_autofree gchar *label = codec_label (caps);
      gchar *joined = probe->audio_codecs ?
          g_strdup_printf ("%s, %s", probe->audio_codecs, label) :
          g_strdup (label);

      g_free (probe->audio_codecs);
      probe->audio_codecs = joined;
      probe->audios++;
      break;
    }
    case STREAM_SUBTITLE:
      probe->subtitles++;
      break;
    default:
      probe->others++;
      break;
  }
  g_mutex_unlock (&probe->lock);
}

static void
probe_pad_added (GstElement * parsebin, GstPad * pad, gpointer data)
{
  Probe *probe = data;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) sinkpad = NULL;

  g_mutex_lock (&probe->lock);
  probe->pads++;
  g_mutex_unlock (&probe->lock);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, probe_caps,
      probe, NULL);

  /* not waiting for data: the headers are all the probe wants */
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (probe->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
}

static void
probe_clear (Probe * probe)
{
  if (probe->pipeline) {
    gst_element_set_state (probe->pipeline, GST_STATE_NULL);
    gst_object_unref (probe->pipeline);
  }
  gst_clear_caps (&probe->video_caps);
  gst_clear_object (&probe->video_pad);
  g_free (probe->audio_codecs);
  g_mutex_clear (&probe->lock);
}

/* A GStreamer error as a reason for people. */
static void
set_error_from_message (GError ** error, GstMessage * msg)
{
  g_autoptr (GError) gerror = NULL;
  g_autofree gchar *debug = NULL;

  gst_message_parse_error (msg, &gerror, &debug);
  GST_DEBUG ("error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (msg),
      gerror->message, debug ? debug : "");
  if (g_error_matches (gerror, GST_STREAM_ERROR,
          GST_STREAM_ERROR_TYPE_NOT_FOUND)
      || g_error_matches (gerror, GST_STREAM_ERROR,
          GST_STREAM_ERROR_WRONG_TYPE))
    g_set_error (error, gerror->domain, gerror->code, "not a video file "
        "GStreamer can read (%s)", gerror->message);
  else if (g_error_matches (gerror, GST_CORE_ERROR,
          GST_CORE_ERROR_MISSING_PLUGIN))
    g_set_error (error, gerror->domain, gerror->code, "%s (a GStreamer "
        "plugin is missing)", gerror->message);
  else
    g_set_error (error, gerror->domain, gerror->code, "%s (%s)",
        gerror->message, GST_MESSAGE_SRC_NAME (msg));
}

/* Reads @path's headers. */
static gboolean
probe_file (const gchar * path, Probe * probe, GError ** error)
{
  GstElement *src, *parse;
  g_autoptr (GstBus) bus = NULL;
  GstMessage *msg;
  gboolean ok = FALSE;

  g_mutex_init (&probe->lock);
  probe->pipeline = gst_pipeline_new ("probe");
  src = gst_element_factory_make ("filesrc", NULL);
  parse = gst_element_factory_make ("parsebin", NULL);
  if (src == NULL || parse == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "filesrc or parsebin is missing (gstreamer1.0-plugins-base)");
    return FALSE;
  }
  g_object_set (src, "location", path, NULL);
  gst_bin_add_many (GST_BIN (probe->pipeline), src, parse, NULL);
  gst_element_link (src, parse);
  g_signal_connect (parse, "pad-added", G_CALLBACK (probe_pad_added), probe);

  bus = gst_element_get_bus (probe->pipeline);
  /* PLAYING: in PAUSED the first stream's sink would hold the demuxer
   * before the other streams had their caps */
  if (gst_element_set_state (probe->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      set_error_from_message (error, msg);
      gst_message_unref (msg);
    } else {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
          "the file could not be opened");
    }
    return FALSE;
  }

  msg = gst_bus_timed_pop_filtered (bus, PROBE_TIMEOUT,
      GST_MESSAGE_ERROR | GST_MESSAGE_APPLICATION | GST_MESSAGE_EOS);
  if (msg && GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR) {
    GList *l;

    GST_OBJECT_LOCK (parse);
    for (l = GST_ELEMENT_PADS (parse); l; l = l->next) {
      GstPad *pad = l->data;
      g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

      if (GST_PAD_IS_SRC (pad) && caps)
        probe_count (probe, pad, caps);
    }
    GST_OBJECT_UNLOCK (parse);
  }
  if (msg == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "its streams could not be read in %u seconds",
        (guint) (PROBE_TIMEOUT / GST_SECOND));
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    set_error_from_message (error, msg);
  } else if (probe->videos == 0) {
    if (probe->audios)
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
          "no video stream (audio only: %s)", probe->audio_codecs);
    else
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
          "no video stream");
  } else {
    ok = TRUE;
  }
  if (msg)
    gst_message_unref (msg);
  return ok;
}

/* -------------------------------------------------------------- plan */

/* What will be done to a video, decided from its probe. */
typedef struct
{
  const Family *in;             /* NULL: a codec of no family here */
  const Family *out;
  const gchar *muxer;
  gchar *output_path;           /* may differ from the picture's (WebM) */
  gchar *fallback;              /* why the codec or container changed */
  GstClockTime duration;
  gint fps_n, fps_d;
  guint width, height;
  /* the first video stream's caps as the probe's parsebin gave them (the
   * run's gives the same stream): its pad may come before its caps */
  GstCaps *in_caps;
  /* the input's audio tracks whose edit skips priming (mp4edit.h),
   * written by mp4mux or qtmux; NULL if none */
  GPtrArray *audio;
} Plan;

static void
plan_clear (Plan * plan)
{
  g_free (plan->output_path);
  g_free (plan->fallback);
  gst_clear_caps (&plan->in_caps);
  g_clear_pointer (&plan->audio, g_ptr_array_unref);
}

static gboolean
make_plan (const BatchPicture * video, Probe * probe, Plan * plan,
    BatchVideoResult * result, GError ** error)
{
  GstStructure *s = gst_caps_get_structure (probe->video_caps, 0);
  gint64 duration = -1;
  gint w = 0, h = 0;

  plan->in = family_of (probe->video_caps);
  plan->in_caps = gst_caps_ref (probe->video_caps);
  plan->out = plan->in;
  plan->muxer = muxer_for (video->output_path);
  plan->output_path = g_strdup (video->output_path);

  if (plan->out && !have_element (plan->out->encoder)) {
    plan->fallback = g_strdup_printf ("%s is not installed: written as "
        "H.264", plan->out->encoder);
    plan->out = NULL;
  }
  if (plan->out && plan->out != H264_FAMILY
      && !muxer_takes (plan->muxer, plan->out->caps_name)) {
    plan->fallback = g_strdup_printf ("%s cannot carry %s: written as "
        "H.264", plan->muxer, plan->out->label);
    plan->out = NULL;
  }
  if (plan->out == NULL || plan->out == H264_FAMILY) {
    if (plan->out == NULL && plan->fallback == NULL) {
      g_autofree gchar *label = codec_label (probe->video_caps);

      plan->fallback = g_strdup_printf ("%s has no encoder family here: "
          "written as H.264", label);
    }
    plan->out = H264_FAMILY;
    if (!have_element ("x264enc")) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
          "no encoder for its video: install gstreamer1.0-plugins-ugly "
          "(x264enc)");
      return FALSE;
    }
    if (!muxer_takes (plan->muxer, "video/x-h264")) {
      /* WebM carries no H.264: MP4 under the same base name */
      gchar *why = g_strdup_printf ("%s%sWebM cannot carry H.264, so "
          "written as MP4", plan->fallback ? plan->fallback : "",
          plan->fallback ? "; " : "");
      g_autofree gchar *sibling = mp4_name (video->input_path);
      gchar *mp4;

      /* an input of that name has its own output there */
      if (g_file_test (sibling, G_FILE_TEST_EXISTS)) {
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
            "WebM cannot carry H.264 and its MP4 name is that of %s", sibling);
        g_free (why);
        return FALSE;
      }
      mp4 = mp4_name (plan->output_path);
      g_free (plan->output_path);
      plan->output_path = mp4;
      plan->muxer = "mp4mux";
      g_free (plan->fallback);
      plan->fallback = why;
    }
  }
  if (!have_element (plan->muxer)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "%s is not installed", plan->muxer);
    return FALSE;
  }

  gst_structure_get_int (s, "width", &w);
  gst_structure_get_int (s, "height", &h);
  plan->width = w;
  plan->height = h;
  if (!gst_structure_get_fraction (s, "framerate", &plan->fps_n,
          &plan->fps_d) || plan->fps_d == 0) {
    plan->fps_n = 0;
    plan->fps_d = 1;
  }
  plan->duration = GST_CLOCK_TIME_NONE;
  if (gst_pad_query_duration (probe->video_pad, GST_FORMAT_TIME, &duration)
      && duration > 0)
    plan->duration = duration;

  result->codec_in = codec_label (probe->video_caps);
  result->codec_out = g_strdup (plan->out->label);
  result->encoder = g_strdup (plan->out->encoder);
  result->container = g_strdup (plan->muxer);
  if (!g_str_equal (plan->output_path, video->output_path))
    result->output_path = g_strdup (plan->output_path);
  result->in_width = w;
  result->in_height = h;
  result->audio_streams = probe->audios;
  result->subtitle_streams = probe->subtitles;
  result->duration = plan->duration;
  if (GST_CLOCK_TIME_IS_VALID (plan->duration) && plan->fps_n > 0)
    result->expected_frames = gst_util_uint64_scale_round (plan->duration,
        plan->fps_n, plan->fps_d * GST_SECOND);
  if (probe->videos > 1)
    GST_WARNING ("%s: %u video streams: only the first is written",
        video->relative, probe->videos);
  return TRUE;
}

/* Output size: @height rounded down to even (4:2:0), width to keep the
 * displayed aspect, rounded to even. */
static void
output_size (gint width, gint height, gint par_n, gint par_d,
    gint output_height, gint * out_w, gint * out_h)
{
  gdouble display_w = (gdouble) width * par_n / par_d;
  gint h = MAX (2, output_height & ~1);
  gdouble w = display_w * h / MAX (height, 1);

  /* a size the caps do not say yet (the dry run's probe) stays 0 */
  *out_w = width <= 0 || height <= 0 ? 0 :
      MAX (2, (gint) floor (MIN (w, BATCH_HEIGHT_MAX * 4.0) / 2.0 + 0.5) * 2);
  *out_h = h;
}

gboolean
batch_video_check (const BatchWorkerSettings * s, const BatchPicture * video,
    BatchVideoResult * result, GError ** error)
{
  Probe probe = { 0, };
  Plan plan = { 0, };
  gboolean ok;

  ok = probe_file (video->input_path, &probe, error)
      && make_plan (video, &probe, &plan, result, error);
  if (ok) {
    gint w, h;

    /* The rotation is not known before decoding: sizes as stored. */
    output_size (plan.width, plan.height, 1, 1, s->output_height, &w, &h);
    result->out_width = w;
    result->out_height = h;
    if (plan.fallback)
      GST_DEBUG ("%s: %s", video->relative, plan.fallback);
  }
  plan_clear (&plan);
  probe_clear (&probe);
  return ok;
}

/* --------------------------------------------------------------- run */

typedef struct
{
  const BatchWorkerSettings *settings;
  const BatchPicture *video;
  Plan *plan;
  BatchVideoResult *result;
  BatchVideoProgress *progress;
  GstElement *pipeline;
  GstElement *mux;

  GMutex lock;
  GError *error;                /* with lock: the first one */
  gboolean have_video;          /* with lock */
  guint audio_pads, subtitle_pads;      /* with lock */
  GPtrArray *reads;             /* with lock: ReadAudio, one per track read
                                 * from the file */
  GstElement *size;             /* the scaler's capsfilter */
  GstElement *format;           /* the encoder's capsfilter */
  GstElement *mark;

  gint frames_in;               /* atomic: demuxed video frames */
  gint frames_out;              /* atomic: frames given to the encoder */
  GstClockTime end;             /* with lock: latest stream end seen */
  GstDateTime *created;         /* with lock: the input's creation time */
  GHashTable *durations;        /* with lock: demuxed frames' PTS ->
                                 * duration, until decoded */
  gint64 last_progress;         /* worker: when frames_out last moved */
  gint last_frames;             /* worker: frames_out then */
} Run;

/* An audio track read from the file (plan->audio): its appsrc, the file
 * and the next packet, used by its demuxer pad's streaming thread only,
 * after on_pad_added () set them. */
typedef struct
{
  Run *run;
  const BatchMp4Audio *track;
  GstElement *src;
  GFileInputStream *file;
  guint next;
} ReadAudio;

static void
read_audio_free (ReadAudio * r)
{
  g_object_unref (r->file);
  g_free (r);
}

static void
run_fail (Run * run, GError * error)
{
  GstElement *pipeline = run->pipeline;

  g_mutex_lock (&run->lock);
  if (run->error == NULL)
    run->error = g_error_copy (error);
  g_mutex_unlock (&run->lock);
  gst_element_post_message (pipeline, gst_message_new_application (NULL,
          gst_structure_new_empty ("npw-failed")));
  g_error_free (error);
}

/* The latest end, in stream time, of what went into the muxer. */
static void
note_end (Run * run, GstPad * pad, GstBuffer * buffer)
{
  g_autoptr (GstEvent) event = NULL;
  const GstSegment *segment;
  GstClockTime ts = GST_BUFFER_PTS_IS_VALID (buffer) ?
      GST_BUFFER_PTS (buffer) : GST_BUFFER_DTS (buffer);
  guint64 end;

  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return;
  if (GST_BUFFER_DURATION_IS_VALID (buffer))
    ts += GST_BUFFER_DURATION (buffer);
  event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  if (event == NULL)
    return;
  gst_event_parse_segment (event, &segment);
  if (segment->format != GST_FORMAT_TIME
      || !gst_segment_to_stream_time_full (segment, GST_FORMAT_TIME, ts, &end))
    return;
  g_mutex_lock (&run->lock);
  if (!GST_CLOCK_TIME_IS_VALID (run->end) || end > run->end)
    run->end = end;
  g_mutex_unlock (&run->lock);
}

static GstPadProbeReturn
count_in (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Run *run = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  g_atomic_int_inc (&run->frames_in);
  if (GST_BUFFER_PTS_IS_VALID (buffer) && GST_BUFFER_DURATION_IS_VALID (buffer)) {
    g_mutex_lock (&run->lock);
    g_hash_table_insert (run->durations, g_memdup2 (&GST_BUFFER_PTS (buffer),
            sizeof (GstClockTime)), g_memdup2 (&GST_BUFFER_DURATION (buffer),
            sizeof (GstClockTime)));
    g_mutex_unlock (&run->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* A decoder gives a variable-rate stream's frames no duration (its caps
 * have no frame rate): each gets its demuxed one back, without which
 * mp4mux drops the last frame. */
static void
restore_duration (Run * run, GstPadProbeInfo * info)
{
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  GstClockTime *duration;

  if (!GST_BUFFER_PTS_IS_VALID (buffer))
    return;
  g_mutex_lock (&run->lock);
  duration = g_hash_table_lookup (run->durations, &pts);
  if (duration && !GST_BUFFER_DURATION_IS_VALID (buffer)) {
    buffer = gst_buffer_make_writable (buffer);
    GST_BUFFER_DURATION (buffer) = *duration;
    GST_PAD_PROBE_INFO_DATA (info) = buffer;
  }
  g_hash_table_remove (run->durations, &pts);
  g_mutex_unlock (&run->lock);
}

static GstPadProbeReturn
count_out (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Run *run = data;

  restore_duration (run, info);

  g_atomic_int_inc (&run->frames_out);
  if (run->progress)
    g_atomic_int_inc (&run->progress->frames_done);
  note_end (run, pad, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

/* The input's creation time, from the demuxer's tags (QuickTime's mvhd,
 * Matroska's DateUTC): each muxer writes the time it ran instead.
 * matroskamux takes it as "creation-time" (set here, before any data
 * reaches it: tags come first on every stream). */
static GstPadProbeReturn
keep_creation_time (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Run *run = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstTagList *tags;
  GstDateTime *created = NULL;
  gboolean first = FALSE;

  if (GST_EVENT_TYPE (event) != GST_EVENT_TAG)
    return GST_PAD_PROBE_OK;
  gst_event_parse_tag (event, &tags);
  if (!gst_tag_list_get_date_time (tags, GST_TAG_DATE_TIME, &created))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&run->lock);
  if (run->created == NULL && gst_date_time_has_second (created)) {
    run->created = gst_date_time_ref (created);
    first = TRUE;
  }
  g_mutex_unlock (&run->lock);
  /* matroskamux's property is a GDateTime, not a GstDateTime */
  if (first && g_object_class_find_property (G_OBJECT_GET_CLASS (run->mux),
          "creation-time")) {
    g_autoptr (GDateTime) utc = gst_date_time_to_g_date_time (created);

    if (utc)
      g_object_set (run->mux, "creation-time", utc, NULL);
  }
  gst_date_time_unref (created);
  return GST_PAD_PROBE_OK;
}

/* matroskademux (1.22) starts a file whose first block is not at 0 (as
 * FFmpeg writes H.264 beside Opus: its first frame at 7 ms) with a
 * segment from that time, then, after the first buffer, one from 0: the
 * first frame's running time is 0, every later one's its own time, and
 * the muxer wrote the first frame at 0 instead of 7 ms.  Matroska's block
 * times are the presentation times: each stream's segments start at 0
 * here, so every frame keeps the time the file gives it. */
static GstPadProbeReturn
keep_matroska_times (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstSegment *in;
  GstSegment segment;
  GstEvent *out;

  if (GST_EVENT_TYPE (event) != GST_EVENT_SEGMENT)
    return GST_PAD_PROBE_OK;
  gst_event_parse_segment (event, &in);
  if (in->format != GST_FORMAT_TIME || in->rate != 1.0 || in->start == 0
      || in->base != 0 || in->time != 0)
    return GST_PAD_PROBE_OK;
  gst_segment_copy_into (in, &segment);
  segment.start = 0;
  segment.position = 0;
  out = gst_event_new_segment (&segment);
  gst_event_set_seqnum (out, gst_event_get_seqnum (event));
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = out;
  return GST_PAD_PROBE_OK;
}

/* Whether @bin holds, at any depth, an element of factory @name. */
static gboolean
bin_holds (GstBin * bin, const gchar * name)
{
  GstIterator *it = gst_bin_iterate_recurse (bin);
  GValue item = G_VALUE_INIT;
  gboolean found = FALSE, done = FALSE;

  while (!found && !done) {
    switch (gst_iterator_next (it, &item)) {
      case GST_ITERATOR_OK:{
        GstElementFactory *f =
            gst_element_get_factory (g_value_get_object (&item));

        found = f && g_str_equal (GST_OBJECT_NAME (f), name);
        g_value_reset (&item);
        break;
      }
      case GST_ITERATOR_RESYNC:
        gst_iterator_resync (it);
        break;
      default:
        done = TRUE;
        break;
    }
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

/* mp4mux and qtmux write the time they ran as the movie's creation time
 * (mvhd), and have no property for it: the input's is written into the
 * movie header as it goes by, one buffer (README: "--videos"). */
static GstPadProbeReturn
write_creation_time (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Run *run = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 head[8];
  GstMapInfo map;
  gint64 seconds;
  gsize i;

  if (gst_buffer_extract (buffer, 0, head, 8) != 8
      || memcmp (head + 4, "moov", 4) != 0)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&run->lock);
  if (run->created) {
    g_autoptr (GDateTime) utc = gst_date_time_to_g_date_time (run->created);

    seconds = utc ? g_date_time_to_unix (utc) : -1;
  } else {
    seconds = -1;
  }
  g_mutex_unlock (&run->lock);
  if (seconds < 0)
    return GST_PAD_PROBE_OK;
  /* QuickTime counts from 1904 */
  seconds += G_GINT64_CONSTANT (2082844800);

  buffer = gst_buffer_make_writable (buffer);
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READWRITE))
    return GST_PAD_PROBE_OK;
  /* the header's first child box: size, "mvhd", version, flags, times */
  for (i = 8; i + 28 <= map.size;) {
    guint32 size = GST_READ_UINT32_BE (map.data + i);

    if (memcmp (map.data + i + 4, "mvhd", 4) == 0) {
      guint8 *p = map.data + i + 12;

      if (map.data[i + 8] == 1 && i + 28 <= map.size) {
        GST_WRITE_UINT64_BE (p, seconds);
        GST_WRITE_UINT64_BE (p + 8, seconds);
      } else if (seconds <= G_MAXUINT32) {
        GST_WRITE_UINT32_BE (p, seconds);
        GST_WRITE_UINT32_BE (p + 4, seconds);
      }
      break;
    }
    if (size < 8 || size > map.size - i)
      break;
    i += size;
  }
  gst_buffer_unmap (buffer, &map);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
stream_end (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  note_end (data, pad, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

/* The decoded (and turned) frame's caps: sets the output size, the
 * margin and the encoder's format before they negotiate. */
static GstPadProbeReturn
on_raw_caps (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Run *run = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const BatchWorkerSettings *s = run->settings;
  GstCaps *caps;
  GstVideoInfo vinfo;
  g_autoptr (GstCaps) size = NULL;
  g_autoptr (GstCaps) format = NULL;
  gint w, h;
  gboolean deep;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  if (!gst_video_info_from_caps (&vinfo, caps))
    return GST_PAD_PROBE_OK;

  output_size (GST_VIDEO_INFO_WIDTH (&vinfo), GST_VIDEO_INFO_HEIGHT (&vinfo),
      MAX (1, GST_VIDEO_INFO_PAR_N (&vinfo)),
      MAX (1, GST_VIDEO_INFO_PAR_D (&vinfo)), s->output_height, &w, &h);
  size = gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT, w,
      "height", G_TYPE_INT, h, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1,
      NULL);
  g_object_set (run->size, "caps", size, NULL);

  /* 4:2:0, 8 bits from 8 bits; 10 bits kept where the codec has them */
  deep = GST_VIDEO_INFO_COMP_DEPTH (&vinfo, 0) > 8 && run->plan->out->deep;
  format = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      deep ? "I420_10LE" : "I420", NULL);
  g_object_set (run->format, "caps", format, NULL);

  g_object_set (run->mark, "offset-x", batch_margin_pixels (&s->margin, w, h),
      "offset-y", batch_margin_pixels (&s->margin, w, h), NULL);

  g_mutex_lock (&run->lock);
  run->result->out_width = w;
  run->result->out_height = h;
  run->result->bit_depth = deep ? 10 : 8;
  g_mutex_unlock (&run->lock);
  GST_DEBUG ("%s: decoded %dx%d %s -> %dx%d %s", run->video->relative,
      GST_VIDEO_INFO_WIDTH (&vinfo), GST_VIDEO_INFO_HEIGHT (&vinfo),
      GST_VIDEO_INFO_NAME (&vinfo), w, h, deep ? "I420_10LE" : "I420");
  return GST_PAD_PROBE_OK;
}

/* A variable frame rate's caps say 0/1 (or, from qtdemux, 1000000000/1);
 * given that, 1.22's mp4mux drops the last frame.  The encoder is told a
 * nominal rate instead: the frames keep their own times, and so does the
 * muxer. */
#define MAX_NOMINAL_RATE 240
static GstPadProbeReturn
nominal_rate (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;
  gint n, d;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  if (!gst_structure_get_fraction (gst_caps_get_structure (caps, 0),
          "framerate", &n, &d) || (n > 0 && d > 0 && n / d <= MAX_NOMINAL_RATE))
    return GST_PAD_PROBE_OK;
  caps = gst_caps_copy (caps);
  gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (caps);
  gst_caps_unref (caps);
  gst_event_unref (event);
  return GST_PAD_PROBE_OK;
}

/* 1.22's matroskademux reads the HDR mastering luminances on another
 * scale than its muxer writes them (10000000:50 comes back 2000000:10),
 * and h265parse keeps what the caps say over the stream's own SEI.  From
 * Matroska, the demuxer's values are dropped, so that a second h265parse
 * puts the SEI's in the caps, for x265enc to write again. */
static GstPadProbeReturn
drop_container_hdr (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  caps = gst_caps_copy (caps);
  gst_structure_remove_fields (gst_caps_get_structure (caps, 0),
      "mastering-display-info", "content-light-level", NULL);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (caps);
  gst_caps_unref (caps);
  gst_event_unref (event);
  return GST_PAD_PROBE_OK;
}

static gboolean
is_matroska (const gchar * path)
{
  const gchar *dot = strrchr (path, '.');

  return dot && (g_ascii_strcasecmp (dot, ".mkv") == 0
      || g_ascii_strcasecmp (dot, ".webm") == 0);
}

/* The encoder, set for constant quality (README: "--videos"). */
static GstElement *
make_encoder (const Run * run)
{
  const BatchWorkerSettings *s = run->settings;
  const Family *f = run->plan->out;
  GstElement *enc = gst_element_factory_make (f->encoder, NULL);
  guint speed = preset_index (s->video_preset);
  /* VP8, VP9 and AV1 have no CRF in 1.22: their 0..63 quantizer scale */
  guint q = (guint) floor (s->video_crf * 63.0 / 51.0 + 0.5);
  /* GStreamer 1.22's mp4mux and qtmux write B-frames' composition
   * offsets without the edit list that takes the first one back: every
   * frame would show two frames late, behind its audio.  AVI has no
   * composition times at all.  Only Matroska and WebM keep them. */
  gboolean bframes = g_str_equal (run->plan->muxer, "matroskamux")
      || g_str_equal (run->plan->muxer, "webmmux");
  gint out_w, out_h;
  gboolean large;

  if (enc == NULL)
    return NULL;
  /* the stored size: a rotated video's output is no larger */
  output_size (run->plan->width, run->plan->height, 1, 1, s->output_height,
      &out_w, &out_h);
  large = is_large (out_w, out_h);
  /* Large frames: each frame an encoder holds is one more of them (see
   * LARGE_FRAME_PIXELS), so none is held for look-ahead or B-frames,
   * and threads share a frame (slices) rather than each taking one. */
  bframes = bframes && !large;

  if (g_str_equal (f->encoder, "x264enc")) {
    gst_util_set_object_arg (G_OBJECT (enc), "pass", "qual");
    /* pass=qual alone also caps the rate at the bitrate property (2048
     * kbit/s) through a VBV buffer: no buffer, no cap, a true CRF */
    g_object_set (enc, "quantizer", (guint) MIN (s->video_crf, 50),
        "vbv-buf-capacity", 0, NULL);
    gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", s->video_preset);
    if (!bframes)
      g_object_set (enc, "bframes", 0, NULL);
    if (large)
      g_object_set (enc, "sliced-threads", TRUE, "threads",
          (guint) CLAMP (g_get_num_processors (), 1, LARGE_THREADS_MAX),
          "rc-lookahead", 0, "ref", 1, NULL);
  } else if (g_str_equal (f->encoder, "x265enc")) {
    g_autofree gchar *options = g_strdup_printf ("crf=%d%s%s", s->video_crf,
        bframes ? "" : ":bframes=0", large ? ":frame-threads=1:"
        "lookahead-slices=0:rc-lookahead=0:ref=1" : "");

    g_object_set (enc, "option-string", options, NULL);
    gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", s->video_preset);
  } else if (g_str_equal (f->encoder, "av1enc")) {
    gst_util_set_object_arg (G_OBJECT (enc), "end-usage", "q");
    g_object_set (enc, "min-quantizer", q, "max-quantizer", q,
        "cpu-used", 8 - (gint) speed, "row-mt", TRUE, NULL);
    if (speed <= 2)
      gst_util_set_object_arg (G_OBJECT (enc), "usage-profile", "realtime");
  } else {
    /* vp8enc, vp9enc: constrained quality, with a bitrate ceiling of a
     * bit per pixel per frame, far above what the quality level asks */
    guint64 pixels = (guint64) MAX (run->plan->width, 16) *
        MAX (run->plan->height, 16);
    gdouble fps = run->plan->fps_n > 0 ?
        (gdouble) run->plan->fps_n / run->plan->fps_d : 60.0;
    gdouble ceiling = MAX (pixels, (guint64) s->output_height *
        s->output_height * 4) * MAX (fps, 1.0);

    gst_util_set_object_arg (G_OBJECT (enc), "end-usage", "cq");
    g_object_set (enc, "cq-level", (gint) q, "min-quantizer", 0,
        "max-quantizer", 63, "target-bitrate",
        (gint) MIN (ceiling, (gdouble) G_MAXINT), "cpu-used",
        8 - (gint) speed, "deadline", (gint64) (speed <= 2 ? 1 : 1000000),
        "threads", (gint) MIN (g_get_num_processors (), 16), NULL);
    if (g_str_equal (f->encoder, "vp9enc"))
      g_object_set (enc, "row-mt", TRUE, NULL);
    /* libvpx's look-ahead (vp9enc's default: 25 frames, 0.9 GB at 4K) */
    if (large)
      g_object_set (enc, "lag-in-frames", 0, NULL);
  }
  return enc;
}

/* matroskademux gives Matroska's UTF-8 subtitles as Pango markup (its
 * text escaped), which matroskamux does not take: they go back as the
 * UTF-8 text they were (capssetter says so, this unescapes). */
static GstPadProbeReturn
markup_to_text (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  static const struct
  {
    const gchar *entity;
    gchar c;
  } entities[] = {
    {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&apos;", '\''},
    {"&quot;", '"'},
  };
  GstBuffer *in, *out;
  GstMapInfo map;
  GString *text;
  gsize i, e;

  in = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!gst_buffer_map (in, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  text = g_string_sized_new (map.size);
  for (i = 0; i < map.size;) {
    for (e = 0; e < G_N_ELEMENTS (entities); e++) {
      gsize len = strlen (entities[e].entity);

      if (map.size - i >= len
          && memcmp (map.data + i, entities[e].entity, len) == 0) {
        g_string_append_c (text, entities[e].c);
        i += len;
        break;
      }
    }
    if (e == G_N_ELEMENTS (entities))
      g_string_append_c (text, map.data[i++]);
  }
  gst_buffer_unmap (in, &map);
  i = text->len;
  out = gst_buffer_new_wrapped (g_string_free (text, FALSE), i);
  gst_buffer_copy_into (out, in, GST_BUFFER_COPY_METADATA, 0, -1);
  gst_buffer_unref (in);
  GST_PAD_PROBE_INFO_DATA (info) = out;
  return GST_PAD_PROBE_OK;
}

/* Links @last (the end of @pad's branch, whose stream has @caps) to a
 * new pad of the muxer; @template: that pad's template, for a branch
 * whose own caps query cannot answer yet (the read audio's appsrc, before
 * the stream's caps event), taken if @caps intersect its caps. */
static gboolean
link_to_muxer (Run * run, GstPad * pad, const GstCaps * caps,
    GstElement * last, const gchar * template, GError ** error)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (last, "src");
  GstPadTemplate *templ = template ?
      gst_element_get_pad_template (run->mux, template) : NULL;
  g_autoptr (GstPad) sink = NULL;

  if (template == NULL)
    sink = gst_element_get_compatible_pad (run->mux, src, NULL);
  else if (templ && gst_caps_can_intersect (caps,
          GST_PAD_TEMPLATE_CAPS (templ)))
    sink = gst_element_request_pad (run->mux, templ, NULL, NULL);

  if (sink == NULL || gst_pad_link_full (src, sink, template ?
          GST_PAD_LINK_CHECK_HIERARCHY : GST_PAD_LINK_CHECK_DEFAULT) !=
      GST_PAD_LINK_OK) {
    if (sink)
      gst_element_release_request_pad (run->mux, sink);
    g_autofree gchar *label = codec_label (caps);

    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
        "%s cannot carry its %s stream (%s)", run->plan->muxer,
        stream_kind (caps) == STREAM_AUDIO ? "audio" : "subtitle", label);
    return FALSE;
  }
  return TRUE;
}

static GstElement *
make_queue (GstClockTime limit)
{
  GstElement *queue = gst_element_factory_make ("queue", NULL);

  g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0,
      "max-size-time", (guint64) limit, NULL);
  return queue;
}

/* Adds @elements (NULL-terminated) to the pipeline, links them in a row
 * from @pad and starts them. */
static gboolean
add_branch (Run * run, GstPad * pad, GstElement ** elements)
{
  g_autoptr (GstPad) first = NULL;
  guint i;

  for (i = 0; elements[i]; i++)
    gst_bin_add (GST_BIN (run->pipeline), elements[i]);
  for (i = 0; elements[i + 1]; i++)
    if (!gst_element_link (elements[i], elements[i + 1]))
      return FALSE;
  for (i = 0; elements[i]; i++)
    gst_element_sync_state_with_parent (elements[i]);
  first = gst_element_get_static_pad (elements[0], "sink");
  return gst_pad_link (pad, first) == GST_PAD_LINK_OK;
}

/* The highest-ranked decoder that takes @caps themselves, not only their
 * media type: vp8alphadecodebin and vp9alphadecodebin outrank vp8dec and
 * vp9dec but take only a stream with an alpha channel. */
static GstElement *
make_decoder (const GstCaps * caps)
{
  GList *all = gst_element_factory_list_get_elements
      (GST_ELEMENT_FACTORY_TYPE_DECODER | GST_ELEMENT_FACTORY_TYPE_MEDIA_VIDEO,
      GST_RANK_MARGINAL);
  GList *fit = gst_element_factory_list_filter (all, caps, GST_PAD_SINK,
      FALSE);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  GstElement *decoder = NULL;
  gint width = 0, height = 0;
  GList *l;

  fit = g_list_sort (fit, gst_plugin_feature_rank_compare_func);
  for (l = fit; l && decoder == NULL; l = l->next) {
    GstElement *candidate = gst_element_factory_create (l->data, NULL);
    g_autoptr (GstPad) sink = candidate ?
        gst_element_get_static_pad (candidate, "sink") : NULL;

    if (sink && gst_pad_query_accept_caps (sink, (GstCaps *) caps))
      decoder = candidate;
    else if (candidate)
      gst_object_unref (candidate);
  }
  /* none says yes (caps short of a field the templates list): the first,
   * as decodebin would */
  if (decoder == NULL && fit)
    decoder = gst_element_factory_create (fit->data, NULL);
  gst_plugin_feature_list_free (fit);
  gst_plugin_feature_list_free (all);

  /* Frame threading keeps a frame per thread on top of the references:
   * 250 MB more at 4K.  Slices, where the stream has them, share one. */
  gst_structure_get_int (s, "width", &width);
  gst_structure_get_int (s, "height", &height);
  if (decoder && is_large (width, height)
      && g_object_class_find_property (G_OBJECT_GET_CLASS (decoder),
          "thread-type"))
    gst_util_set_object_arg (G_OBJECT (decoder), "thread-type", "slice");
  /* Decoding into our buffers, libav keeps each reference frame, so the
   * decoder base class copies it into freshly allocated memory to hand it
   * on writable (pooled memory is never shared), and npywatermark writes
   * every frame: a frame's allocation and page faults each time.  Without
   * direct rendering the copy goes into a buffer of the decoder's pool,
   * reused (README: "Memory"). */
  if (decoder && g_object_class_find_property (G_OBJECT_GET_CLASS (decoder),
          "direct-rendering"))
    g_object_set (decoder, "direct-rendering", FALSE, NULL);
  return decoder;
}

static gboolean
add_video_branch (Run * run, GstPad * pad, const GstCaps * caps,
    GError ** error)
{
  const BatchWorkerSettings *s = run->settings;
  /* A pad that came before its caps offers what it could give (VP9 with
   * and without alpha, any size): the decoder is chosen, and sized, for
   * what the probe saw the stream give. */
  GstElement *decoder = make_decoder (gst_caps_is_fixed (caps) ? caps :
      run->plan->in_caps);
  GstElement *encoder = make_encoder (run);
  GstElement *parser = run->plan->out->parser ?
      gst_element_factory_make (run->plan->out->parser, NULL) : NULL;
  GstElement *elements[16];
  GstElement *flip, *scale;
  g_autoptr (GstPad) probe_pad = NULL;
  guint n = 0;

  if (decoder == NULL) {
    g_autofree gchar *label = codec_label (caps);

    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "no decoder for its %s video (install gstreamer1.0-libav)", label);
    gst_clear_object (&encoder);
    gst_clear_object (&parser);
    return FALSE;
  }
  if (encoder == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "%s cannot be made", run->plan->out->encoder);
    gst_object_unref (decoder);
    gst_clear_object (&parser);
    return FALSE;
  }

  flip = gst_element_factory_make ("videoflip", NULL);
  gst_util_set_object_arg (G_OBJECT (flip), "video-direction", "auto");
  scale = gst_element_factory_make ("videoscale", NULL);
  run->size = gst_element_factory_make ("capsfilter", NULL);
  run->mark = gst_element_factory_make ("npywatermark", NULL);
  run->format = gst_element_factory_make ("capsfilter", NULL);
  g_object_set (run->mark, "data", s->npy_data, "opacity", s->opacity,
      "position", s->position, "size", s->size, "tile", s->tile,
      "tile-spacing", s->tile_spacing, NULL);

  elements[n++] = make_queue (DECODER_QUEUE_TIME);
  if (run->plan->in && g_str_equal (run->plan->in->caps_name, "video/x-h265")
      && is_matroska (run->video->input_path)) {
    g_autoptr (GstPad) queue_src = gst_element_get_static_pad (elements[0],
        "src");

    gst_pad_add_probe (queue_src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        drop_container_hdr, NULL, NULL);
    elements[n++] = gst_element_factory_make ("h265parse", NULL);
  }
  elements[n++] = decoder;
  elements[n++] = gst_element_factory_make ("videoconvert", NULL);
  elements[n++] = flip;
  elements[n++] = scale;
  elements[n++] = run->size;
  elements[n++] = run->mark;
  elements[n++] = gst_element_factory_make ("videoconvert", NULL);
  elements[n++] = run->format;
  elements[n++] = encoder;
  if (parser)
    elements[n++] = parser;
  elements[n++] = make_queue (QUEUE_TIME);
  elements[n] = NULL;

  probe_pad = gst_element_get_static_pad (scale, "sink");
  gst_pad_add_probe (probe_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_raw_caps, run, NULL);
  gst_clear_object (&probe_pad);
  probe_pad = gst_element_get_static_pad (encoder, "sink");
  gst_pad_add_probe (probe_pad, GST_PAD_PROBE_TYPE_BUFFER, count_out, run,
      NULL);
  gst_pad_add_probe (probe_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      nominal_rate, NULL, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_in, run, NULL);

  if (!add_branch (run, pad, elements)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "the video stream could not be linked");
    return FALSE;
  }
  return link_to_muxer (run, pad, caps, elements[n - 1], NULL, error);
}

/* Gives the muxer @r's audio packets up to @until, all if NONE, read
 * from the file and timed from the media's start, priming included: the
 * edit written afterwards skips it.  The input pad's streaming thread. */
static gboolean
push_audio (ReadAudio * r, GstClockTime until)
{
  const BatchMp4Audio *a = r->track;

  while (r->next < a->n) {
    guint i = r->next;
    GstClockTime start = gst_util_uint64_scale (a->times[i], GST_SECOND,
        a->media_scale);
    GstClockTime end = gst_util_uint64_scale (a->times[i + 1], GST_SECOND,
        a->media_scale);
    GError *error = NULL;
    GstBuffer *buffer;
    GstMapInfo map;
    gsize got = 0;
    gboolean ok;

    if (GST_CLOCK_TIME_IS_VALID (until) && start > until)
      break;
    buffer = gst_buffer_new_allocate (NULL, a->sizes[i], NULL);
    gst_buffer_map (buffer, &map, GST_MAP_WRITE);
    ok = g_seekable_seek (G_SEEKABLE (r->file), a->offsets[i], G_SEEK_SET,
        NULL, &error)
        && g_input_stream_read_all (G_INPUT_STREAM (r->file),
        map.data, map.size, &got, NULL, &error) && got == map.size;
    gst_buffer_unmap (buffer, &map);
    if (!ok) {
      run_fail (r->run, g_error_new (GST_RESOURCE_ERROR,
              GST_RESOURCE_ERROR_READ, "cannot read its audio: %s",
              error ? error->message : "the file ends before its packets"));
      g_clear_error (&error);
      gst_buffer_unref (buffer);
      return FALSE;
    }
    GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) = start;
    GST_BUFFER_DURATION (buffer) = end - start;
    if (i == 0)
      GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
    r->next++;
    /* not OK: the pipeline is stopping */
    if (gst_app_src_push_buffer (GST_APP_SRC (r->src), buffer) != GST_FLOW_OK)
      return FALSE;
  }
  return TRUE;
}

/* qtdemux's audio pad when the audio is read from the file: its packets
 * are dropped (the last is missing, see mp4edit.h) but pace the read
 * ones, so that audio and video reach the muxer interleaved; its caps
 * and tags (the language) go on to the appsrc, and its end ends it. */
static GstPadProbeReturn
pace_audio (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  ReadAudio *r = data;
  GstEvent *event;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstClockTime ts = GST_BUFFER_DTS_OR_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

    if (GST_CLOCK_TIME_IS_VALID (ts))
      push_audio (r, ts);
    return GST_PAD_PROBE_DROP;
  }
  event = GST_PAD_PROBE_INFO_EVENT (info);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      g_object_set (r->src, "caps", caps, NULL);
      break;
    }
    case GST_EVENT_TAG:
      gst_element_send_event (r->src, gst_event_ref (event));
      break;
    case GST_EVENT_EOS:
      if (push_audio (r, GST_CLOCK_TIME_NONE))
        gst_app_src_end_of_stream (GST_APP_SRC (r->src));
      break;
    default:
      break;
  }
  return GST_PAD_PROBE_OK;
}

/* @track, read from the file: appsrc ! queue ! MUXER, and qtdemux's
 * pad to a fakesink through pace_audio (). */
static gboolean
add_read_audio_branch (Run * run, GstPad * pad, const GstCaps * caps,
    const BatchMp4Audio * track, GError ** error)
{
  g_autoptr (GFile) file = g_file_new_for_path (run->video->input_path);
  GFileInputStream *stream = g_file_read (file, NULL, error);
  GstElement *src, *queue, *sink;
  GstElement *drain[] = { NULL, NULL };
  g_autoptr (GstPad) queue_src = NULL;
  ReadAudio *r;

  if (stream == NULL)
    return FALSE;
  r = g_new0 (ReadAudio, 1);
  r->run = run;
  r->track = track;
  r->file = stream;
  g_mutex_lock (&run->lock);
  g_ptr_array_add (run->reads, r);
  g_mutex_unlock (&run->lock);
  src = gst_element_factory_make ("appsrc", NULL);
  queue = make_queue (QUEUE_TIME);
  sink = gst_element_factory_make ("fakesink", NULL);
  /* unfixed caps (MP3: parsebin gives the pad before its caps) come
   * fixed in the stream's caps event (pace_audio ()), before its first
   * packet; appsrc would send on any it is given */
  g_object_set (src, "format", GST_FORMAT_TIME, "caps",
      gst_caps_is_fixed (caps) ? caps : NULL, NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  r->src = src;
  gst_bin_add_many (GST_BIN (run->pipeline), src, queue, NULL);
  if (!gst_element_link (src, queue)
      || !link_to_muxer (run, pad, caps, queue, "audio_%u", error))
    return FALSE;
  queue_src = gst_element_get_static_pad (queue, "src");
  gst_pad_add_probe (queue_src, GST_PAD_PROBE_TYPE_BUFFER, stream_end, run,
      NULL);
  gst_element_sync_state_with_parent (queue);
  gst_element_sync_state_with_parent (src);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, pace_audio, r, NULL);
  drain[0] = sink;
  return add_branch (run, pad, drain);
}

/* The read track (plan->audio) whose packets the pad of stream @id
 * gives, by the track ID that ends qtdemux's stream IDs ("<upstream>/<track
 * ID>"), if no pad took it yet.  With the run's lock. */
static const BatchMp4Audio *
track_of (Run * run, const gchar * id)
{
  const gchar *slash = id ? strrchr (id, '/') : NULL;
  gchar *end = NULL;
  guint64 track_id;
  guint i, j;

  if (slash == NULL)
    return NULL;
  track_id = g_ascii_strtoull (slash + 1, &end, 10);
  if (end == slash + 1 || *end != '\0')
    return NULL;
  for (i = 0; i < run->plan->audio->len; i++) {
    const BatchMp4Audio *track = g_ptr_array_index (run->plan->audio, i);

    if (track->track_id != track_id)
      continue;
    for (j = 0; j < run->reads->len; j++)
      if (((ReadAudio *) g_ptr_array_index (run->reads, j))->track == track)
        return NULL;
    return track;
  }
  return NULL;
}

static void
on_pad_added (GstElement * parsebin, GstPad * pad, gpointer data)
{
  Run *run = data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  g_autofree gchar *stream_id = gst_pad_get_stream_id (pad);
  GError *error = NULL;
  StreamKind kind;
  gboolean first_video = FALSE;
  const BatchMp4Audio *read_track = NULL;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  kind = stream_kind (caps);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      keep_creation_time, run, NULL);
  if (bin_holds (GST_BIN (parsebin), "matroskademux"))
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        keep_matroska_times, NULL, NULL);

  g_mutex_lock (&run->lock);
  if (kind == STREAM_VIDEO && !run->have_video)
    first_video = run->have_video = TRUE;
  if (kind == STREAM_AUDIO && run->plan->audio)
    read_track = track_of (run, stream_id);
  g_mutex_unlock (&run->lock);

  if (first_video) {
    if (!add_video_branch (run, pad, caps, &error))
      run_fail (run, error);
  } else if (read_track) {
    if (!add_read_audio_branch (run, pad, caps, read_track, &error)) {
      if (error == NULL)
        g_set_error (&error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
            "its audio could not be linked");
      run_fail (run, error);
    }
  } else if (kind == STREAM_AUDIO || kind == STREAM_SUBTITLE) {
    GstElement *queue = make_queue (QUEUE_TIME);
    GstElement *elements_text[] = { queue, NULL, NULL };
    g_autoptr (GstPad) src = gst_element_get_static_pad (queue, "src");
    GstStructure *s = gst_caps_get_structure (caps, 0);
    GstElement *last = queue;

    if (gst_structure_has_name (s, "text/x-raw")
        && g_strcmp0 (gst_structure_get_string (s, "format"),
            "pango-markup") == 0
        && g_str_equal (run->plan->muxer, "matroskamux")
        && (last = gst_element_factory_make ("capssetter", NULL))) {
      g_autoptr (GstCaps) utf8 = gst_caps_from_string ("text/x-raw, "
          "format=utf8");
      g_autoptr (GstPad) text_src = gst_element_get_static_pad (last, "src");

      g_object_set (last, "caps", utf8, "replace", TRUE, "join", FALSE, NULL);
      gst_pad_add_probe (text_src, GST_PAD_PROBE_TYPE_BUFFER, markup_to_text,
          NULL, NULL);
      elements_text[1] = last;
    } else {
      last = queue;
    }

    if (!add_branch (run, pad, elements_text)
        || !link_to_muxer (run, pad, caps, last, NULL, &error)) {
      if (error == NULL)
        g_set_error (&error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
            "a stream could not be linked");
      run_fail (run, error);
      return;
    }
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, stream_end, run, NULL);
  } else {
    /* a second video stream, data or a cover picture: not written */
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);
    GstElement *elements[] = { sink, NULL };
    g_autofree gchar *text = gst_caps_to_string (caps);

    GST_INFO ("%s: a stream not written: %s", run->video->relative, text);
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
    add_branch (run, pad, elements);
  }
}

static gboolean
check_complete (Run * run, GError ** error)
{
  gint in = g_atomic_int_get (&run->frames_in);
  gint out = g_atomic_int_get (&run->frames_out);
  GstClockTime duration = run->plan->duration;

  run->result->frames = out;
  if (out == 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "no video frame could be decoded (%d in the file)", in);
    return FALSE;
  }
  if (out < in) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "corrupt video: %d of its %d frames could not be decoded",
        in - out, in);
    return FALSE;
  }
  if (GST_CLOCK_TIME_IS_VALID (duration) && GST_CLOCK_TIME_IS_VALID (run->end)
      && run->end + TRUNCATION_TOLERANCE < duration) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "truncated: the container says %.2f s, its streams end at %.2f s "
        "(%d frames)", duration / (gdouble) GST_SECOND,
        run->end / (gdouble) GST_SECOND, out);
    return FALSE;
  }
  return TRUE;
}

/* Runs the pipeline to EOS, an error, a signal or a stall. */
static gboolean
run_pipeline (Run * run, const volatile sig_atomic_t * cancel, GError ** error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (run->pipeline);

  run->last_progress = g_get_monotonic_time ();
  if (gst_element_set_state (run->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

    if (run->error)
      g_propagate_error (error, g_steal_pointer (&run->error));
    else if (msg)
      set_error_from_message (error, msg);
    else
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
          "the pipeline could not start");
    if (msg)
      gst_message_unref (msg);
    return FALSE;
  }

  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, POLL_INTERVAL,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_APPLICATION);

    if (cancel && *cancel) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "interrupted");
      if (msg)
        gst_message_unref (msg);
      return FALSE;
    }
    if (msg == NULL) {
      gint frames = g_atomic_int_get (&run->frames_out);
      gint64 now = g_get_monotonic_time ();

      if (frames != run->last_frames) {
        run->last_frames = frames;
        run->last_progress = now;
      } else if (now - run->last_progress > STALL_TIMEOUT) {
        g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
            "no frame for %u seconds, given up (after %d frames)",
            (guint) (STALL_TIMEOUT / G_USEC_PER_SEC),
            g_atomic_int_get (&run->frames_out));
        return FALSE;
      }
      continue;
    }
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        gst_message_unref (msg);
        return check_complete (run, error);
      case GST_MESSAGE_ERROR:
        g_mutex_lock (&run->lock);
        if (run->error)
          g_propagate_error (error, g_steal_pointer (&run->error));
        g_mutex_unlock (&run->lock);
        if (*error == NULL)
          set_error_from_message (error, msg);
        gst_message_unref (msg);
        return FALSE;
      default:
        if (gst_message_has_name (msg, "npw-failed")) {
          g_mutex_lock (&run->lock);
          g_propagate_error (error, g_steal_pointer (&run->error));
          g_mutex_unlock (&run->lock);
          gst_message_unref (msg);
          return FALSE;
        }
        gst_message_unref (msg);
        break;
    }
  }
}

gboolean
batch_video_process (const BatchWorkerSettings * s, const BatchPicture * video,
    BatchVideoResult * result, BatchVideoProgress * progress,
    const volatile sig_atomic_t * cancel, GError ** error)
{
  Probe probe = { 0, };
  Plan plan = { 0, };
  Run run = { 0, };
  g_autofree gchar *temp = NULL;
  g_autofree gchar *folder = NULL;
  GstElement *src, *parse, *sink;
  g_autoptr (GPtrArray) reads = NULL;
  gint fd;
  gint expected = 0;
  gboolean ok = FALSE;

  if (!probe_file (video->input_path, &probe, error)
      || !make_plan (video, &probe, &plan, result, error)) {
    probe_clear (&probe);
    plan_clear (&plan);
    return FALSE;
  }
  probe_clear (&probe);
  if (g_str_equal (plan.muxer, "mp4mux") || g_str_equal (plan.muxer, "qtmux"))
    plan.audio = batch_mp4_audio_read (video->input_path);
  if (plan.fallback)
    GST_WARNING ("%s: %s", video->relative, plan.fallback);

  folder = g_path_get_dirname (plan.output_path);
  temp = batch_files_temp_template (plan.output_path);
  fd = g_mkstemp_full (temp, O_WRONLY, 0600);
  if (fd < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot write in %s: %s", folder, g_strerror (errno));
    plan_clear (&plan);
    return FALSE;
  }
  g_close (fd, NULL);

  run.settings = s;
  run.video = video;
  run.plan = &plan;
  run.result = result;
  run.progress = progress;
  run.end = GST_CLOCK_TIME_NONE;
  run.durations = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      g_free);
  run.reads = g_ptr_array_new_with_free_func ((GDestroyNotify)
      read_audio_free);
  g_mutex_init (&run.lock);
  run.pipeline = gst_pipeline_new ("video");
  src = gst_element_factory_make ("filesrc", NULL);
  parse = gst_element_factory_make ("parsebin", NULL);
  run.mux = gst_element_factory_make (plan.muxer, NULL);
  sink = gst_element_factory_make ("filesink", NULL);
  g_object_set (src, "location", video->input_path, NULL);
  g_object_set (sink, "location", temp, NULL);
  gst_bin_add_many (GST_BIN (run.pipeline), src, parse, run.mux, sink, NULL);
  gst_element_link (src, parse);
  gst_element_link (run.mux, sink);
  if (g_str_equal (plan.muxer, "mp4mux") || g_str_equal (plan.muxer, "qtmux")) {
    GstPad *mux_src = gst_element_get_static_pad (run.mux, "src");

    gst_pad_add_probe (mux_src, GST_PAD_PROBE_TYPE_BUFFER,
        write_creation_time, &run, NULL);
    gst_object_unref (mux_src);
  }
  g_signal_connect (parse, "pad-added", G_CALLBACK (on_pad_added), &run);

  GST_DEBUG ("%s: %s -> %s (%s, crf %d, %s) in %s, %" GST_TIME_FORMAT,
      video->relative, result->codec_in, plan.out->label, plan.out->encoder,
      s->video_crf, s->video_preset, plan.muxer, GST_TIME_ARGS (plan.duration));
  if (progress && result->expected_frames) {
    expected = (gint) MIN (result->expected_frames, G_MAXINT / 4);
    g_atomic_int_add (&progress->frames_total, expected);
  }

  ok = run_pipeline (&run, cancel, error);
  gst_element_set_state (run.pipeline, GST_STATE_NULL);
  result->frames = g_atomic_int_get (&run.frames_out);
  /* the bar's total now has the frames this video really had */
  if (progress)
    g_atomic_int_add (&progress->frames_total,
        g_atomic_int_get (&run.frames_out) - expected);
  gst_object_unref (run.pipeline);
  g_clear_error (&run.error);
  if (run.created)
    gst_date_time_unref (run.created);
  g_hash_table_unref (run.durations);
  g_mutex_lock (&run.lock);
  reads = g_steal_pointer (&run.reads);
  g_mutex_unlock (&run.lock);
  g_mutex_clear (&run.lock);
  /* tracks read from the file: their edits go into the output */
  if (ok && reads->len > 0) {
    g_autoptr (GPtrArray) tracks = g_ptr_array_new ();
    guint i;

    for (i = 0; i < reads->len; i++)
      g_ptr_array_add (tracks, (gpointer) ((ReadAudio *)
              g_ptr_array_index (reads, i))->track);
    ok = batch_mp4_audio_write_edits (temp, tracks, error);
  }

  if (ok && (g_chmod (temp, s->file_mode) != 0 ||
          g_rename (temp, plan.output_path) != 0)) {
    gint saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
        "cannot write %s: %s", plan.output_path, saved == ENOENT ?
        "its temporary file was removed during the run" : g_strerror (saved));
    ok = FALSE;
  }
  if (!ok) {
    g_unlink (temp);
    if (!g_file_test (folder, G_FILE_TEST_IS_DIR)
        && !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_clear_error (error);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
          "cannot write in %s: the folder was removed during the run", folder);
    }
  }
  plan_clear (&plan);
  return ok;
}
