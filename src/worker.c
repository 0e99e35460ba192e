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
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include "jpegscaled.h"
#include "log.h"
#include "metadata.h"
#include "png16.h"
#include "probe.h"
#include "worker.h"

#define GST_CAT_DEFAULT batch_debug

/* Safety net: a picture that neither finishes nor fails in this time is
 * reported as failed rather than holding the run forever. */
#define PICTURE_TIMEOUT (120 * GST_SECOND)

/* videoscale makes no side longer than this (JPEG's own limit, 65500,
 * is higher). */
#define SCALER_MAX_SIDE 32767

/* YUV as JPEG stores it (full range, BT.601, centred chroma): what
 * jpegdec outputs and jpegenc assumes. */
#define JPEG_YUV_CAPS "video/x-raw, format=I420, colorimetry=1:4:0:0, " \
  "chroma-site=jpeg"
/* Formats pictures without the round trip keep, alpha included. */
#define LOSSLESS_CAPS "video/x-raw, format={ RGBA, RGB, GRAY8 }"
/* 16-bit PNGs: libpng's frames (png16.h) and pngdec's 16-bit gray, in
 * the formats npywatermark blends at 16 bits. */
#define DEEP_RGB_CAPS "video/x-raw, format=RGBA64_LE"
#define DEEP_GRAY_CAPS "video/x-raw, format=GRAY16_LE"
/* What webpenc is given: RGB, not I420, whose range libwebp would take
 * as limited (JPEG's is full). */
#define WEBP_CAPS "video/x-raw, format={ RGBA, RGB }"

/* webpenc's limits (its source template). */
#define WEBP_MIN_SIDE 16
#define WEBP_MAX_SIDE 16383

/* A kind of pipeline: decoder, round trip or not, encoder. */
enum
{
  CHAIN_JPEG_IN = 0,
  CHAIN_PNG_IN = 1,
  CHAIN_WEBP_IN = 2,
  CHAIN_PIXBUF_IN = 3,          /* TIFF, BMP, GIF: gdkpixbufdec */
  CHAIN_IN_MASK = 3,
  CHAIN_ROUND_TRIP = 1 << 2,
  CHAIN_JPEG_OUT = 0 << 3,
  CHAIN_PNG_OUT = 1 << 3,
  CHAIN_WEBP_OUT = 2 << 3,
  CHAIN_OUT_MASK = 3 << 3,
  CHAIN_DEEP = 1 << 5,          /* a 16-bit PNG, written at 16 bits */
  CHAIN_LIBPNG = 1 << 6,        /* ... read and written with png16.c */
  CHAIN_SCALED = 1 << 7,        /* a JPEG decoded by jpegscaled.c */
  N_CHAINS = 1 << 8
};

typedef struct
{
  GstElement *pipeline;
  GstElement *src;
  GstElement *flip;             /* NULL: png16.c turns the picture */
  GstElement *size;             /* capsfilter: the output size */
  GstElement *mark;
  GstElement *sink;
  GstBus *bus;
  gint frames;                  /* buffers the sink got for this picture */
  guint kind;
  GstSample *sample;            /* CHAIN_LIBPNG: what appsink got */
  BatchMetadata metadata;       /* this picture's, put in by the probe */
} Chain;

struct _BatchWorker
{
  const BatchWorkerSettings *settings;
  Chain *chains[N_CHAINS];      /* built when first needed */
};

BatchWorker *
batch_worker_new (const BatchWorkerSettings * settings)
{
  BatchWorker *worker = g_new0 (BatchWorker, 1);

  worker->settings = settings;
  return worker;
}

static void
chain_free (Chain * chain)
{
  gst_element_set_state (chain->pipeline, GST_STATE_NULL);
  gst_object_unref (chain->bus);
  gst_object_unref (chain->pipeline);
  batch_metadata_clear (&chain->metadata);
  g_clear_pointer (&chain->sample, gst_sample_unref);
  g_free (chain);
}

void
batch_worker_free (BatchWorker * worker)
{
  guint i;

  for (i = 0; i < N_CHAINS; i++)
    if (worker->chains[i])
      chain_free (worker->chains[i]);
  g_free (worker);
}

static void
set_caps (GstElement * capsfilter, const gchar * description)
{
  GstCaps *caps = gst_caps_from_string (description);

  g_object_set (capsfilter, "caps", caps, NULL);
  gst_caps_unref (caps);
}

/* jpegenc hands libjpeg the frame's rows in place ("raw data"), and
 * libjpeg reads them in whole 8x8 blocks of every MCU: for a width that
 * is not a multiple of 16 it reads past the last pixel into the stride
 * padding and the start of the next row.  Those bytes are garbage (they
 * change from run to run) and, after the DCT, show as blotches in the
 * right-most column of blocks.  libjpeg's own path (PIL's) replicates the
 * last pixel instead: so does this probe, on a copy whose rows are long
 * enough, described by a GstVideoMeta (jpegenc maps frames with it). */
static GstPadProbeReturn
pad_rows_for_jpegenc (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *in = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  GstVideoFrame src, dst;
  GstVideoInfo vinfo;
  GstBuffer *out;
  gsize offsets[GST_VIDEO_MAX_PLANES] = { 0, };
  gint strides[GST_VIDEO_MAX_PLANES] = { 0, };
  gsize size = 0;
  guint p;

  if (caps == NULL || !gst_video_info_from_caps (&vinfo, caps)
      || GST_VIDEO_INFO_FORMAT (&vinfo) != GST_VIDEO_FORMAT_I420
      || GST_VIDEO_INFO_WIDTH (&vinfo) % 16 == 0)
    return GST_PAD_PROBE_OK;

  for (p = 0; p < 3; p++) {
    /* Whole MCUs (16 luma, 8 chroma samples), plus a spare block. */
    strides[p] = (GST_ROUND_UP_16 (GST_VIDEO_INFO_WIDTH (&vinfo)) + 16) /
        (p ? 2 : 1);
    offsets[p] = size;
    size += (gsize) strides[p] * GST_VIDEO_INFO_COMP_HEIGHT (&vinfo, p);
  }

  out = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_copy_into (out, in, GST_BUFFER_COPY_METADATA, 0, -1);
  gst_buffer_add_video_meta_full (out, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_I420, GST_VIDEO_INFO_WIDTH (&vinfo),
      GST_VIDEO_INFO_HEIGHT (&vinfo), 3, offsets, strides);

  if (!gst_video_frame_map (&src, &vinfo, in, GST_MAP_READ)) {
    gst_buffer_unref (out);
    return GST_PAD_PROBE_OK;
  }
  if (!gst_video_frame_map (&dst, &vinfo, out, GST_MAP_WRITE)) {
    gst_video_frame_unmap (&src);
    gst_buffer_unref (out);
    return GST_PAD_PROBE_OK;
  }

  for (p = 0; p < 3; p++) {
    guint w = GST_VIDEO_FRAME_COMP_WIDTH (&src, p);
    guint h = GST_VIDEO_FRAME_COMP_HEIGHT (&src, p);
    guint8 *s = GST_VIDEO_FRAME_PLANE_DATA (&src, p);
    guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (&dst, p);
    gint ss = GST_VIDEO_FRAME_PLANE_STRIDE (&src, p);
    gint ds = GST_VIDEO_FRAME_PLANE_STRIDE (&dst, p);
    guint y;

    for (y = 0; y < h; y++) {
      memcpy (d + (gsize) y * ds, s + (gsize) y * ss, w);
      memset (d + (gsize) y * ds + w, s[(gsize) y * ss + w - 1], ds - w);
    }
  }

  gst_video_frame_unmap (&dst);
  gst_video_frame_unmap (&src);
  gst_buffer_unref (in);
  GST_PAD_PROBE_INFO_DATA (info) = out;
  return GST_PAD_PROBE_OK;
}

static void
add_jpegenc_probe (GstElement * jpegenc)
{
  GstPad *pad = gst_element_get_static_pad (jpegenc, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, pad_rows_for_jpegenc,
      NULL, NULL);
  gst_object_unref (pad);
}

/* Counts what reaches filesink: a picture must give exactly one frame. */
static GstPadProbeReturn
count_frames (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Chain *chain = data;

  g_atomic_int_inc (&chain->frames);
  return GST_PAD_PROBE_OK;
}

/* The input's metadata, put into the encoded output: only the headers
 * are touched, the compressed picture is shared. */
static GstPadProbeReturn
insert_metadata (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Chain *chain = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  switch (chain->kind & CHAIN_OUT_MASK) {
    case CHAIN_PNG_OUT:
      buffer = batch_metadata_insert_png (&chain->metadata, buffer);
      break;
    case CHAIN_WEBP_OUT:
      buffer = batch_metadata_insert_webp (&chain->metadata, buffer);
      break;
    default:
      buffer = batch_metadata_insert_jpeg (&chain->metadata, buffer);
      break;
  }
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  return GST_PAD_PROBE_OK;
}

/* Keeps the frame for png16.c to encode. */
static GstFlowReturn
keep_sample (GstAppSink * sink, gpointer data)
{
  Chain *chain = data;

  g_clear_pointer (&chain->sample, gst_sample_unref);
  chain->sample = gst_app_sink_pull_sample (sink);
  return GST_FLOW_OK;
}

static const gchar *
decoder_description (guint kind)
{
  if (kind & (CHAIN_LIBPNG | CHAIN_SCALED))
    return "";                  /* appsrc gives png16.c's, jpegscaled.c's */
  switch (kind & CHAIN_IN_MASK) {
    case CHAIN_PNG_IN:
      return "pngdec name=dec ! ";
    case CHAIN_WEBP_IN:
      return "webpdec name=dec ! ";
    case CHAIN_PIXBUF_IN:
      return "gdkpixbufdec name=dec ! ";
    default:
      return "jpegdec name=dec idct-method=islow ! ";
  }
}

static const gchar *
encoder_description (guint kind)
{
  if (kind & CHAIN_LIBPNG)
    return "appsink name=sink";
  switch (kind & CHAIN_OUT_MASK) {
    case CHAIN_PNG_OUT:
      return "pngenc name=enc ! filesink name=sink";
    case CHAIN_WEBP_OUT:
      return "webpenc name=enc ! filesink name=sink";
    default:
      return "jpegenc name=enc ! filesink name=sink";
  }
}

/* Whether npywatermark blends @format itself: its deep formats are newer
 * than its 8-bit ones.  Else the chain blends at 8 bits. */
static gboolean
element_takes (GstElement * mark, const gchar * format)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (mark, "sink");
  g_autoptr (GstCaps) caps = gst_pad_get_pad_template_caps (pad);
  g_autoptr (GstCaps) want = gst_caps_new_simple ("video/x-raw", "format",
      G_TYPE_STRING, format, NULL);

  return gst_caps_can_intersect (caps, want);
}

/* One buffer is one whole picture: a TIME segment and "parsed" make
 * the decoder take it as one frame, so it neither scans every byte for
 * markers nor decodes a second picture appended after the first (MPO,
 * phone gain maps), which PIL and the script ignore too.  NULL for raw
 * video (CHAIN_LIBPNG, CHAIN_SCALED), whose caps are set for each
 * picture. */
static GstCaps *
source_caps (guint kind)
{
  if (kind & (CHAIN_LIBPNG | CHAIN_SCALED))
    return NULL;
  switch (kind & CHAIN_IN_MASK) {
    case CHAIN_JPEG_IN:
      return gst_caps_new_simple ("image/jpeg", "parsed", G_TYPE_BOOLEAN,
          TRUE, NULL);
    case CHAIN_PNG_IN:
      return gst_caps_new_simple ("image/png", "parsed", G_TYPE_BOOLEAN,
          TRUE, NULL);
    case CHAIN_WEBP_IN:
      return gst_caps_new_empty_simple ("image/webp");
    default:
      /* gdk-pixbuf finds the format from the bytes, and gdkpixbufdec's
       * template has no caps for GIF: none are set, as filesrc does. */
      return NULL;
  }
}

/*   appsrc ! {jpegdec|pngdec|webpdec|gdkpixbufdec} ! videoscale ! videoconvert ! videoflip !
 *   capsfilter (size) [! jpegenc quality=Q ! jpegdec] ! videoconvert !
 *   capsfilter (blend) ! npywatermark ! videoconvert ! capsfilter (encode) !
 *   {jpegenc|pngenc|webpenc} ! filesink
 *
 * A JPEG decoded at reduced size (CHAIN_SCALED) has no decoder: appsrc
 * gives jpegscaled.c's frame, as jpegdec would have, only smaller.
 * A 16-bit PNG other than gray (CHAIN_LIBPNG) has no decoder nor encoder:
 * appsrc gives png16.c's RGBA64_LE frame, already turned (videoflip has
 * no 16-bit RGB format), and appsink takes it back to png16.c.  16-bit
 * gray goes pngdec (GRAY16_BE) to pngenc (GRAY16_BE).
 *
 * The videoconverts are passthrough whenever the formats already agree:
 * a colour JPEG to a JPEG goes decoder, scaler, round trip, watermark and
 * encoder in I420 without a single conversion.  jpegenc is always given
 * I420: given RGB it would write an RGB JPEG, not the YCbCr 4:2:0 that
 * PIL wrote (and jpegdec only decodes those to I420). */
static Chain *
chain_new (const BatchWorkerSettings * s, guint kind, GError ** error)
{
  g_autofree gchar *description = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) blend = NULL;
  g_autoptr (GstElement) encode = NULL;
  g_autoptr (GstElement) mark = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstCaps) src_caps = NULL;
  Chain *chain;

  description = g_strdup_printf ("appsrc name=src ! %s"
      "videoscale method=catrom add-borders=false ! %s"
      "capsfilter name=size ! %s"
      "videoconvert ! capsfilter name=blend ! "
      "npywatermark name=mark ! videoconvert ! capsfilter name=encode ! "
      "%s sync=false",
      decoder_description (kind), kind & CHAIN_LIBPNG ? "" :
      "videoconvert ! videoflip name=flip ! ", kind & CHAIN_ROUND_TRIP ?
      "jpegenc name=lossy ! jpegdec idct-method=islow ! " : "",
      encoder_description (kind));

  pipeline = gst_parse_launch_full (description, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (pipeline == NULL)
    return NULL;

  chain = g_new0 (Chain, 1);
  chain->kind = kind;
  chain->src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  chain->flip = gst_bin_get_by_name (GST_BIN (pipeline), "flip");
  chain->size = gst_bin_get_by_name (GST_BIN (pipeline), "size");
  chain->sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  blend = gst_bin_get_by_name (GST_BIN (pipeline), "blend");
  encode = gst_bin_get_by_name (GST_BIN (pipeline), "encode");
  mark = gst_bin_get_by_name (GST_BIN (pipeline), "mark");

  /* The bin holds the elements; these are borrowed from here on. */
  gst_object_unref (chain->src);
  if (chain->flip)
    gst_object_unref (chain->flip);
  gst_object_unref (chain->size);
  gst_object_unref (chain->sink);

  src_caps = source_caps (kind);
  g_object_set (chain->src, "caps", src_caps, "format", GST_FORMAT_TIME,
      "max-bytes", (guint64) 0, NULL);

  /* A decode error is an error, not a warning and a dropped frame (the
   * GstVideoDecoder default, which left an empty output).  The base
   * class' setter: jpegdec has a deprecated dummy "max-errors". */
  {
    g_autoptr (GstElement) dec = gst_bin_get_by_name (GST_BIN (pipeline),
        "dec");
    g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (chain->sink,
        "sink");

    if (GST_IS_VIDEO_DECODER (dec))
      gst_video_decoder_set_max_errors (GST_VIDEO_DECODER (dec), 0);
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_frames,
        chain, NULL);
  }

  if (kind & CHAIN_ROUND_TRIP) {
    g_autoptr (GstElement) lossy = gst_bin_get_by_name (GST_BIN (pipeline),
        "lossy");

    g_object_set (lossy, "quality", s->quality, NULL);
    add_jpegenc_probe (lossy);
  }
  if (kind & CHAIN_LIBPNG) {
    GstAppSinkCallbacks callbacks = { NULL, NULL, keep_sample, };

    gst_app_sink_set_callbacks (GST_APP_SINK (chain->sink), &callbacks, chain,
        NULL);
  } else {
    g_autoptr (GstElement) enc = gst_bin_get_by_name (GST_BIN (pipeline),
        "enc");
    g_autoptr (GstPad) srcpad = gst_element_get_static_pad (enc, "src");

    if ((kind & CHAIN_OUT_MASK) == CHAIN_JPEG_OUT) {
      g_object_set (enc, "quality", s->output_quality, NULL);
      add_jpegenc_probe (enc);
    } else if ((kind & CHAIN_OUT_MASK) == CHAIN_WEBP_OUT) {
      g_object_set (enc, "quality", (gfloat) s->output_quality, NULL);
    }
    gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER, insert_metadata,
        chain, NULL);
  }

  /* Blend where the pixels already are, except a round-tripped picture
   * bound for PNG or WebP, blended in RGB as PIL did.  A 16-bit PNG is
   * blended at 16 bits where the element can, else at 8 (and written at
   * 16 bits all the same). */
  if (kind & CHAIN_LIBPNG)
    set_caps (blend, element_takes (mark, "RGBA64_LE") ? DEEP_RGB_CAPS :
        "video/x-raw, format=RGBA");
  else if (kind & CHAIN_DEEP)
    set_caps (blend, element_takes (mark, "GRAY16_LE") ? DEEP_GRAY_CAPS :
        "video/x-raw, format=GRAY8");
  else if ((kind & CHAIN_ROUND_TRIP)
      && (kind & CHAIN_OUT_MASK) != CHAIN_JPEG_OUT)
    set_caps (blend, "video/x-raw, format=RGB");
  else if (kind & CHAIN_ROUND_TRIP)
    set_caps (blend, JPEG_YUV_CAPS);
  else
    set_caps (blend, LOSSLESS_CAPS);
  /* JPEG outputs are colour YUV 4:2:0 like PIL's: even gray pictures,
   * which the script converted to RGB before saving. */
  switch (kind & CHAIN_OUT_MASK) {
    case CHAIN_PNG_OUT:
      /* pngenc's one 16-bit format is GRAY16_BE */
      set_caps (encode, kind & CHAIN_LIBPNG ? DEEP_RGB_CAPS :
          kind & CHAIN_DEEP ? "video/x-raw, format=GRAY16_BE" : LOSSLESS_CAPS);
      break;
    case CHAIN_WEBP_OUT:
      set_caps (encode, WEBP_CAPS);
      break;
    default:
      set_caps (encode, JPEG_YUV_CAPS);
      break;
  }

  /* The bytes read once for the whole run: every pipeline parses the
   * same data, and a file replaced mid-run changes nothing. */
  g_object_set (mark, "data", s->npy_data, "opacity", s->opacity,
      "position", s->position, "size", s->size, "tile", s->tile,
      "tile-spacing", s->tile_spacing, NULL);
  chain->mark = mark;

  chain->bus = gst_element_get_bus (pipeline);
  chain->pipeline = g_steal_pointer (&pipeline);
  return chain;
}

/* The script: scale = output_height / height; width = int (width * scale),
 * in doubles.  At least one pixel. */
static gint
scaled_width (guint width, guint height, gint output_height)
{
  gdouble scale = (gdouble) output_height / (gdouble) height;
  gdouble w = (gdouble) width * scale;

  return w < 1.0 ? 1 : w > G_MAXINT ? G_MAXINT : (gint) w;
}

static GstVideoOrientationMethod
orientation_method (guint exif_orientation)
{
  switch (exif_orientation) {
    case 2:
      return GST_VIDEO_ORIENTATION_HORIZ;
    case 3:
      return GST_VIDEO_ORIENTATION_180;
    case 4:
      return GST_VIDEO_ORIENTATION_VERT;
    case 5:
      return GST_VIDEO_ORIENTATION_UL_LR;
    case 6:
      return GST_VIDEO_ORIENTATION_90R;
    case 7:
      return GST_VIDEO_ORIENTATION_UR_LL;
    case 8:
      return GST_VIDEO_ORIENTATION_90L;
    default:
      return GST_VIDEO_ORIENTATION_IDENTITY;
  }
}

/* The output's format, from its name (files.c gives TIFF, BMP and GIF
 * inputs a ".png" one). */
static guint
output_kind (const gchar * path)
{
  const gchar *dot = strrchr (path, '.');

  if (dot && g_ascii_strcasecmp (dot, ".png") == 0)
    return CHAIN_PNG_OUT;
  if (dot && g_ascii_strcasecmp (dot, ".webp") == 0)
    return CHAIN_WEBP_OUT;
  return CHAIN_JPEG_OUT;
}

static guint
input_kind (BatchPictureFormat format)
{
  switch (format) {
    case BATCH_PICTURE_JPEG:
      return CHAIN_JPEG_IN;
    case BATCH_PICTURE_PNG:
      return CHAIN_PNG_IN;
    case BATCH_PICTURE_WEBP:
      return CHAIN_WEBP_IN;
    default:
      return CHAIN_PIXBUF_IN;
  }
}

/* Runs @chain over @buffer (the file, or png16.c's frame) once; FALSE
 * with @error on failure.  Takes @buffer. */
static gboolean
chain_run (Chain * chain, GstBuffer * buffer, GError ** error)
{
  GstMessage *msg;
  gboolean ok = FALSE, started = TRUE;

  if (gst_element_set_state (chain->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* The bus says why, if anything does. */
    msg = gst_bus_pop_filtered (chain->bus, GST_MESSAGE_ERROR);
    started = FALSE;
    gst_buffer_unref (buffer);
    goto failed;
  }

  g_atomic_int_set (&chain->frames, 0);
  GST_BUFFER_PTS (buffer) = 0;
  gst_app_src_push_buffer (GST_APP_SRC (chain->src), buffer);
  gst_app_src_end_of_stream (GST_APP_SRC (chain->src));

  msg = gst_bus_timed_pop_filtered (chain->bus, PICTURE_TIMEOUT,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    /* EOS after no frame: something dropped the picture quietly */
    if (g_atomic_int_get (&chain->frames) == 1) {
      ok = TRUE;
    } else {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
          "corrupt picture data: the decoder gave %d pictures, not 1",
          g_atomic_int_get (&chain->frames));
      gst_message_unref (msg);
      msg = NULL;
    }
  }

failed:
  if (!ok && error && *error == NULL) {
    if (msg == NULL && !started) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
          "the pipeline could not start");
    } else if (msg == NULL) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
          "no result after %u seconds, given up",
          (guint) (PICTURE_TIMEOUT / GST_SECOND));
    } else {
      g_autoptr (GError) gerror = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_error (msg, &gerror, &debug);
      GST_DEBUG ("error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (msg),
          gerror->message, debug);
      /* A decoder that gives up without a message of its own leaves only
       * the source's "Internal data stream error": say what it means. */
      if (g_error_matches (gerror, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED)
          && msg->src == GST_OBJECT (chain->src))
        g_set_error (error, gerror->domain, gerror->code, "%s",
            debug && strstr (debug, "not-negotiated") ?
            "unsupported picture layout (no format could be negotiated)" :
            "corrupt or unsupported picture data (the decoder gave up)");
      else if (msg->src == GST_OBJECT (chain->sink))
        g_set_error (error, gerror->domain, gerror->code,
            "cannot write the output: %s", gerror->message);
      else
        g_set_error (error, gerror->domain, gerror->code, "%s (%s)",
            gerror->message, GST_MESSAGE_SRC_NAME (msg));
    }
  }
  if (msg)
    gst_message_unref (msg);

  /* READY, not NULL: the elements keep what they set up once.  Only
   * filesink goes to NULL: it holds its file open until then.  The bus
   * is emptied so that nothing of this picture leaks into the next. */
  gst_element_set_state (chain->pipeline, GST_STATE_READY);
  gst_element_set_state (chain->sink, GST_STATE_NULL);
  gst_bus_set_flushing (chain->bus, TRUE);
  gst_bus_set_flushing (chain->bus, FALSE);
  return ok;
}

/* What is known of a picture before any pipeline runs. */
typedef struct
{
  GBytes *file;
  BatchPictureInfo info;        /* orientation 1 if not applied */
  guint kind;
  gint out_width;
} Plan;

/* Reads and probes @picture and works out its output, with every check
 * that needs no decoding. */
static gboolean
plan_picture (const BatchWorkerSettings * s, const BatchPicture * picture,
    Plan * plan, BatchWorkerResult * result, GError ** error)
{
  BatchPictureInfo *info = &plan->info;
  const guint8 *contents;
  gsize length;
  guint64 file_size;
  guint width, height, kind;
  gint out_width;

  /* Read, not mapped: a file truncated or on a failing network mount
   * while mapped would kill the whole run with SIGBUS.  Up to the
   * picture's end: memory follows the picture, not the file's size. */
  plan->file = batch_files_read_picture (picture->input_path, s->max_pixels,
      &file_size, error);
  if (plan->file == NULL)
    return FALSE;
  contents = g_bytes_get_data (plan->file, &length);
  if (!batch_probe_full (contents, length, s->max_pixels, info, error))
    return FALSE;
  if (file_size > length)
    GST_WARNING ("%s: the file is %" G_GUINT64_FORMAT " bytes, more than "
        "its picture: only the first %" G_GSIZE_FORMAT " were read",
        picture->relative, file_size, length);
  result->in_width = info->width;
  result->in_height = info->height;

  if (!s->auto_orient)
    info->orientation = 1;
  width = info->orientation >= 5 ? info->height : info->width;
  height = info->orientation >= 5 ? info->width : info->height;
  out_width = scaled_width (width, height, s->output_height);

  kind = input_kind (info->format) | output_kind (picture->output_path);
  /* 16-bit PNGs keep their depth: no JPEG round trip (8 bits) */
  if (info->format == BATCH_PICTURE_PNG && info->png_depth == 16
      && (kind & CHAIN_OUT_MASK) == CHAIN_PNG_OUT)
    kind |= CHAIN_DEEP | (batch_png16_handles (info->png_depth,
            info->png_colour_type) ? CHAIN_LIBPNG : 0);
  else if (info->colour == BATCH_COLOUR_RGB)
    kind |= CHAIN_ROUND_TRIP;

  /* videoscale's limit (32767) is below JPEG's (65500) and binds
   * every kind of picture: say so, rather than "not negotiated". */
  if (out_width > SCALER_MAX_SIDE) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "%ux%u scaled to a height of %d would be %d pixels wide, more than "
        "the %d GStreamer's videoscale can make", width, height,
        s->output_height, out_width, SCALER_MAX_SIDE);
    return FALSE;
  }
  if ((kind & CHAIN_OUT_MASK) == CHAIN_WEBP_OUT && (out_width < WEBP_MIN_SIDE
          || s->output_height < WEBP_MIN_SIDE || out_width > WEBP_MAX_SIDE
          || s->output_height > WEBP_MAX_SIDE)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "a %dx%d WebP cannot be written: GStreamer's webpenc makes sides "
        "of %d to %d pixels", out_width, s->output_height, WEBP_MIN_SIDE,
        WEBP_MAX_SIDE);
    return FALSE;
  }
  plan->kind = kind;
  plan->out_width = out_width;
  result->out_width = out_width;
  result->out_height = s->output_height;
  return TRUE;
}

gboolean
batch_worker_check (const BatchWorkerSettings * s, const BatchPicture * picture,
    BatchWorkerResult * result, GError ** error)
{
  Plan plan = { 0, };
  gboolean ok = plan_picture (s, picture, &plan, result, error);

  g_clear_pointer (&plan.file, g_bytes_unref);
  return ok;
}

/* Encodes the frame @chain's appsink kept as a 16-bit PNG of
 * @colour_type, with the input's metadata, into @temp. */
static gboolean
write_png16 (Chain * chain, guint colour_type, const gchar * temp,
    GError ** error)
{
  g_autoptr (GError) local_error = NULL;
  GstVideoInfo vinfo;
  GstBuffer *png;
  GstMapInfo map;
  gboolean ok;

  if (chain->sample == NULL
      || !gst_video_info_from_caps (&vinfo,
          gst_sample_get_caps (chain->sample))) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "no watermarked frame to write");
    return FALSE;
  }
  png = batch_png16_write (gst_sample_get_buffer (chain->sample), &vinfo,
      colour_type, error);
  if (png == NULL)
    return FALSE;
  png = batch_metadata_insert_png (&chain->metadata, png);

  gst_buffer_map (png, &map, GST_MAP_READ);
  ok = g_file_set_contents_full (temp, (const gchar *) map.data, map.size,
      G_FILE_SET_CONTENTS_NONE, 0600, &local_error);
  gst_buffer_unmap (png, &map);
  gst_buffer_unref (png);
  if (!ok)
    g_set_error (error, G_FILE_ERROR, local_error->code,
        "cannot write the output: %s", local_error->message);
  return ok;
}

gboolean
batch_worker_process (BatchWorker * worker, const BatchPicture * picture,
    BatchWorkerResult * result, GError ** error)
{
  const BatchWorkerSettings *s = worker->settings;
  g_autoptr (GBytes) file = NULL;
  g_autofree gchar *temp = NULL;
  g_autofree gchar *caps = NULL;
  g_autofree gchar *folder = NULL;
  g_autoptr (GstBuffer) scaled = NULL;
  GstBuffer *input;
  GstVideoInfo scaled_info;
  Plan plan = { 0, };
  BatchPictureInfo info;
  gsize length;
  guint kind;
  gint out_width, fd, margin;
  gboolean ok;
  Chain *chain;

  if (!plan_picture (s, picture, &plan, result, error)) {
    g_clear_pointer (&plan.file, g_bytes_unref);
    result->out_width = result->out_height = 0;
    return FALSE;
  }
  file = plan.file;
  length = g_bytes_get_size (file);
  info = plan.info;
  kind = plan.kind;
  out_width = plan.out_width;
  /* known once written */
  result->out_width = result->out_height = 0;

  /* A JPEG at least twice as large as its output is decoded here at 1/2,
   * 1/4 or 1/8 of its size (jpegscaled.h), still no smaller than the
   * output; any it does not take goes to jpegdec whole. */
  if ((kind & CHAIN_IN_MASK) == CHAIN_JPEG_IN) {
    guint eighths = batch_jpeg_scaled_eighths (info.orientation >= 5 ?
        info.width : info.height, s->output_height);

    if (eighths < 8)
      scaled = batch_jpeg_scaled_decode (g_bytes_get_data (file, NULL),
          length, eighths, &scaled_info);
    if (scaled) {
      GST_DEBUG ("%s: decoded at %u/8, %ux%u", picture->input_path, eighths,
          GST_VIDEO_INFO_WIDTH (&scaled_info),
          GST_VIDEO_INFO_HEIGHT (&scaled_info));
      kind |= CHAIN_SCALED;
    }
  }

  chain = worker->chains[kind];
  if (chain == NULL) {
    chain = worker->chains[kind] = chain_new (s, kind, error);
    if (chain == NULL)
      return FALSE;
  }

  caps = g_strdup_printf ("%s, width=%d, height=%d",
      kind & CHAIN_ROUND_TRIP ? JPEG_YUV_CAPS : kind & CHAIN_LIBPNG ?
      DEEP_RGB_CAPS : kind & CHAIN_DEEP ? DEEP_GRAY_CAPS : LOSSLESS_CAPS,
      out_width, s->output_height);
  set_caps (chain->size, caps);
  if (chain->flip)
    g_object_set (chain->flip, "video-direction",
        orientation_method (info.orientation), NULL);
  margin = batch_margin_pixels (&s->margin, out_width, s->output_height);
  g_object_set (chain->mark, "offset-x", margin, "offset-y", margin, NULL);

  batch_metadata_clear (&chain->metadata);
  if (!s->strip_metadata) {
    gboolean gray = (kind & CHAIN_OUT_MASK) == CHAIN_PNG_OUT
        && (kind & CHAIN_IN_MASK) != CHAIN_PIXBUF_IN
        && (info.colour == BATCH_COLOUR_GRAY || ((kind & CHAIN_LIBPNG)
            && info.png_colour_type == 4));

    batch_metadata_read (&chain->metadata, g_bytes_get_data (file, NULL),
        length, info.format);
    batch_metadata_fit (&chain->metadata, info.orientation != 1, out_width,
        s->output_height, gray ? "GRAY" : "RGB ");
  }

  if (kind & CHAIN_LIBPNG) {
    GstVideoInfo vinfo;
    g_autoptr (GstCaps) raw = NULL;

    /* tests/batch/test_png16.py checks this scope against pngdec's */
    GST_DEBUG ("%s: 16-bit PNG of colour type %u, read with libpng",
        picture->input_path, info.png_colour_type);
    input = batch_png16_read (g_bytes_get_data (file, NULL), length,
        info.orientation, &vinfo, error);
    if (input == NULL)
      return FALSE;
    raw = gst_video_info_to_caps (&vinfo);
    g_object_set (chain->src, "caps", raw, NULL);
  } else if (kind & CHAIN_SCALED) {
    g_autoptr (GstCaps) raw = gst_video_info_to_caps (&scaled_info);

    g_object_set (chain->src, "caps", raw, NULL);
    input = g_steal_pointer (&scaled);
  } else {
    input = gst_buffer_new_wrapped_bytes (file);
  }

  /* Written under a hidden temporary name in the same folder, renamed
   * when complete: a killed run leaves no half-written picture. */
  folder = g_path_get_dirname (picture->output_path);
  /* fd, open until the end, holds the lock that tells another run's
   * cleanup the file is ours (files.c). */
  fd = batch_files_make_temp (picture->output_path, &temp);
  if (fd < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot write in %s: %s", folder, g_strerror (errno));
    gst_buffer_unref (input);
    goto no_temp;
  }
  if (!(kind & CHAIN_LIBPNG))
    g_object_set (chain->sink, "location", temp, NULL);

  GST_DEBUG ("%s: %ux%u orientation %u -> %dx%d, pipeline kind %u",
      picture->input_path, info.width, info.height, info.orientation,
      out_width, s->output_height, kind);

  ok = chain_run (chain, input, error);
  if (ok && (kind & CHAIN_LIBPNG))
    ok = write_png16 (chain, info.png_colour_type, temp, error);
  g_clear_pointer (&chain->sample, gst_sample_unref);
  /* webpdec and webpenc of GStreamer 1.22 unref a codec state the base
   * class has already freed when they start again after READY (valgrind:
   * invalid read in gst_video_codec_state_unref from libgstwebp): their
   * pipelines are built afresh for each picture. */
  if ((kind & CHAIN_IN_MASK) == CHAIN_WEBP_IN
      || (kind & CHAIN_OUT_MASK) == CHAIN_WEBP_OUT) {
    chain_free (chain);
    worker->chains[kind] = NULL;
  }
  if (!ok)
    goto failed;
  result->out_width = out_width;
  result->out_height = s->output_height;

  if (g_chmod (temp, s->file_mode) != 0 ||
      g_rename (temp, picture->output_path) != 0) {
    gint saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
        "cannot write %s: %s", picture->output_path, saved == ENOENT ?
        "its temporary file was removed during the run" : g_strerror (saved));
    goto failed;
  }
  g_close (fd, NULL);
  return TRUE;

failed:
  g_unlink (temp);
  g_close (fd, NULL);
no_temp:
  /* The run made the output folders before starting: one missing now was
   * removed while the run went.  Say so, rather than a bare "No such file
   * or directory" from whichever step noticed. */
  if (!g_file_test (folder, G_FILE_TEST_IS_DIR)) {
    g_clear_error (error);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "cannot write in %s: the folder was removed during the run", folder);
  }
  return FALSE;
}
