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

/**
 * SECTION:element-npydec
 * @title: npydec
 *
 * Decodes a NumPy .npy array into raw video, read by the project's .npy
 * reader with its meaning of shapes and dtypes.  An (H, W) or (H, W, C)
 * array is one frame, then EOS, as pngdec does for a still; an
 * (N, H, W, C) stack is N frames at #GstNpyDec:framerate, with
 * timestamps and durations, seekable in TIME (a seek lands on the frame
 * showing at that time).  Seeks behave as GstBaseSrc's: flushing or
 * not, segment seeks ending in SEGMENT_DONE, the seek's seqnum on the
 * SEGMENT and on the EOS or SEGMENT_DONE, a seek that cannot be done
 * (start after stop, reverse rates, after an error) refused before
 * anything is flushed.  The typefinder names a still image/x-npy, so
 * gst-discoverer and GES take it for an image, as a PNG.
 *
 * | array | dtype | output |
 * |---|---|---|
 * | (H, W, 4) RGBA, (H, W, 2) gray + alpha | bool, 8-bit values | RGBA |
 * | (H, W, 3) RGB | bool, 8-bit values | RGB |
 * | (H, W), (H, W, 1) gray | bool, 8-bit values | GRAY8 |
 * | 2, 3 or 4 channels | uint16, float | RGBA64_LE |
 * | gray | uint16, float | GRAY16_LE |
 *
 * "8-bit values" are uint8 and the other integer types holding 0..255;
 * uint16 is kept, floats are 0..1 (or 0..255 when a value is above 1.0)
 * scaled to 0..65535.  Gray + alpha and RGB at 16 bits come out as
 * RGBA64_LE (GStreamer has no gray + alpha format), RGB with an opaque
 * alpha.
 *
 * The whole file is collected as it streams in (as pngdec does), its
 * header checked first, so a shape over #GstNpyDec:max-size or
 * #GstNpyDec:max-bytes is refused before its data is read; the result
 * is held at 4 bytes per pixel (8 for 16-bit formats) for all frames.
 * Frames are pushed from a task of the source pad, which seeks in
 * memory.  Push mode only: in pull mode the task would start pushing
 * while decodebin is still setting up the always source pad.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=logo.npy ! npydec ! videoconvert ! pngenc ! filesink location=logo.png
 * gst-launch-1.0 filesrc location=stack.npy ! npydec framerate=10/1 ! videoconvert ! autovideosink
 * gst-play-1.0 stack.npy
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstnpydec.h"
#include "gstnpytypefind.h"

GST_DEBUG_CATEGORY_STATIC (gst_npy_dec_debug);
#define GST_CAT_DEFAULT gst_npy_dec_debug

enum
{
  PROP_0,
  PROP_FRAMERATE,
  PROP_MAX_SIZE,
  PROP_MAX_BYTES,
};

#define DEFAULT_FPS_N 25
#define DEFAULT_FPS_D 1
#define DEFAULT_MAX_SIZE NPY_DEFAULT_MAX_SIDE
/* 1 GiB of decoded frames: a 16000x16000 RGBA still, or 120 frames of
 * 1080p RGBA. */
#define DEFAULT_MAX_BYTES (G_GUINT64_CONSTANT (1) << 30)

#define READ_FLAGS (NPY_READ_STACK | NPY_READ_DEPTH_AUTO)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_NPY_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE ("{ RGBA, RGB, GRAY8, RGBA64_LE, "
            "GRAY16_LE }")));

#define gst_npy_dec_parent_class parent_class
G_DEFINE_TYPE (GstNpyDec, gst_npy_dec, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (npydec, "npydec", GST_RANK_PRIMARY,
    GST_TYPE_NPY_DEC);

static void gst_npy_dec_loop (GstPad * pad);

/* ------------------------------------------------------------------ */
/* Errors */

/* What to call the input in messages: upstream's file name or URI. */
static gchar *
source_name (GstNpyDec * self)
{
  GstQuery *query = gst_query_new_uri ();
  gchar *uri = NULL, *name = NULL;

  if (gst_pad_peer_query (self->sinkpad, query))
    gst_query_parse_uri (query, &uri);
  gst_query_unref (query);
  if (uri && g_str_has_prefix (uri, "file:")) {
    gchar *filename = g_filename_from_uri (uri, NULL, NULL);
    if (filename)
      name = g_filename_display_name (filename);
    g_free (filename);
  }
  if (name == NULL)
    name = uri ? g_strdup (uri) : g_strdup ("the stream");
  g_free (uri);
  return name;
}

/* Marks the element failed (seeks refused from then on: before the
 * message, which an application may answer with a seek) and posts
 * @error. */
static void
post_error (GstNpyDec * self, const GError * error)
{
  gchar *name = source_name (self);

  g_atomic_int_set (&self->failed, TRUE);

  if (g_error_matches (error, NPY_ERROR, NPY_ERROR_TOO_LARGE))
    GST_ELEMENT_ERROR (self, STREAM, DECODE, ("The array in \"%s\" is "
            "larger than the decoder's limits (max-size, max-bytes): %s.",
            name, error->message), ("%s: %s", name, error->message));
  else
    GST_ELEMENT_ERROR (self, STREAM, DECODE, ("Could not decode \"%s\" as "
            "a .npy array: %s.", name, error->message), ("%s: %s", name,
            error->message));
  g_free (name);
}

/* ------------------------------------------------------------------ */
/* The array */

static GstClockTime
frame_time (GstNpyDec * self, guint64 frame)
{
  return gst_util_uint64_scale (frame, (guint64) self->out_fps_d * GST_SECOND,
      self->out_fps_n);
}

static GstClockTime
stack_duration (GstNpyDec * self)
{
  return frame_time (self, self->image->n_frames);
}

/* The frame showing at stream time @t. */
static guint64
frame_at (GstNpyDec * self, GstClockTime t)
{
  if (!self->stack)
    return 0;
  return gst_util_uint64_scale (t, self->out_fps_n,
      (guint64) self->out_fps_d * GST_SECOND);
}

/* Reads the array from the whole file in @data; FALSE with an error
 * posted. */
static gboolean
gst_npy_dec_set_array (GstNpyDec * self, const guint8 * data, gsize size)
{
  GError *error = NULL;
  NpyHeader header;
  NpyImage *image;
  GstVideoFormat format;
  guint max_size;
  guint64 max_bytes;

  GST_OBJECT_LOCK (self);
  max_size = self->max_size;
  max_bytes = self->max_bytes;
  self->out_fps_n = self->fps_n;
  self->out_fps_d = self->fps_d;
  GST_OBJECT_UNLOCK (self);

  image = npy_image_new_from_data_full (data, size, max_size, max_bytes,
      READ_FLAGS, &error);
  if (image == NULL) {
    post_error (self, error);
    g_error_free (error);
    return FALSE;
  }
  /* read once already, so this cannot fail */
  if (npy_header_parse (data, size, &header, NULL)) {
    self->stack = header.ndim == 4;
    npy_header_clear (&header);
  }

  if (image->depth == 16)
    format = image->channels == 1 ? GST_VIDEO_FORMAT_GRAY16_LE :
        GST_VIDEO_FORMAT_RGBA64_LE;
  else if (image->channels == 1)
    format = GST_VIDEO_FORMAT_GRAY8;
  else if (image->channels == 3)
    format = GST_VIDEO_FORMAT_RGB;
  else
    format = GST_VIDEO_FORMAT_RGBA;
  gst_video_info_set_format (&self->info, format, image->width, image->height);
  if (self->stack) {
    self->info.fps_n = self->out_fps_n;
    self->info.fps_d = self->out_fps_d;
  } else {
    self->info.fps_n = 0;
    self->info.fps_d = 1;
  }
  GST_DEBUG_OBJECT (self, "%ux%u, %u frame(s), %u channel(s), depth %u: %s",
      image->width, image->height, image->n_frames, image->channels,
      image->depth, gst_video_format_to_string (format));
  self->image = image;
  GST_OBJECT_LOCK (self);
  if (self->stack) {
    self->segment.duration = stack_duration (self);
    self->duration = self->segment.duration;
  }
  self->seekable = TRUE;
  GST_OBJECT_UNLOCK (self);
  self->frame = frame_at (self, self->segment.start);
  return TRUE;
}

/* Frame @k as a buffer in the output format. */
static GstBuffer *
gst_npy_dec_make_frame (GstNpyDec * self, guint64 k)
{
  const NpyImage *image = self->image;
  const gsize w = image->width, h = image->height;
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, self->info.size, NULL);
  GstVideoFrame frame;
  gsize x, y;

  if (buffer == NULL)
    return NULL;
  if (!gst_video_frame_map (&frame, &self->info, buffer, GST_MAP_WRITE)) {
    gst_buffer_unref (buffer);
    return NULL;
  }
  for (y = 0; y < h; y++) {
    guint8 *d = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
    gsize first = ((gsize) k * h + y) * w * 4;

    switch (GST_VIDEO_INFO_FORMAT (&self->info)) {
      case GST_VIDEO_FORMAT_RGBA:
        memcpy (d, image->rgba + first, w * 4);
        break;
      case GST_VIDEO_FORMAT_RGB:{
        const guint8 *s = image->rgba + first;
        for (x = 0; x < w; x++, d += 3, s += 4) {
          d[0] = s[0];
          d[1] = s[1];
          d[2] = s[2];
        }
        break;
      }
      case GST_VIDEO_FORMAT_GRAY8:{
        const guint8 *s = image->rgba + first;
        for (x = 0; x < w; x++)
          d[x] = s[4 * x];
        break;
      }
      case GST_VIDEO_FORMAT_RGBA64_LE:{
        const guint16 *s = image->rgba16 + first;
        for (x = 0; x < w * 4; x++)
          GST_WRITE_UINT16_LE (d + 2 * x, s[x]);
        break;
      }
      case GST_VIDEO_FORMAT_GRAY16_LE:{
        const guint16 *s = image->rgba16 + first;
        for (x = 0; x < w; x++)
          GST_WRITE_UINT16_LE (d + 2 * x, s[4 * x]);
        break;
      }
      default:
        g_assert_not_reached ();
    }
  }
  gst_video_frame_unmap (&frame);

  if (self->stack) {
    GST_BUFFER_PTS (buffer) = frame_time (self, k);
    GST_BUFFER_DURATION (buffer) = frame_time (self, k + 1) -
        GST_BUFFER_PTS (buffer);
  } else {
    /* a still: at the segment's start, for as long as it lasts */
    GST_BUFFER_PTS (buffer) = self->segment.start;
  }
  GST_BUFFER_OFFSET (buffer) = k;
  GST_BUFFER_OFFSET_END (buffer) = k + 1;
  return buffer;
}

/* EOS with the seqnum of the seek that started the segment. */
static GstEvent *
gst_npy_dec_new_eos (GstNpyDec * self)
{
  GstEvent *event = gst_event_new_eos ();

  gst_event_set_seqnum (event, self->seqnum);
  return event;
}

/* STREAM_START, upstream's stream id if it had one. */
static void
gst_npy_dec_start_stream (GstNpyDec * self)
{
  gchar *id = gst_pad_create_stream_id (self->srcpad, GST_ELEMENT (self),
      self->stream_id ? NULL : "npy");
  GstEvent *event = gst_event_new_stream_start (self->stream_id ?
      self->stream_id : id);

  gst_event_set_group_id (event, gst_util_group_id_next ());
  gst_pad_push_event (self->srcpad, event);
  g_free (id);
  self->started = TRUE;
}

static void
gst_npy_dec_push_segment (GstNpyDec * self)
{
  GstEvent *event = gst_event_new_segment (&self->segment);

  gst_event_set_seqnum (event, self->seqnum);
  gst_pad_push_event (self->srcpad, event);
  self->need_segment = FALSE;
  self->discont = TRUE;
}

/* ------------------------------------------------------------------ */
/* Collecting the file */

/* @buffer appended to what came so far.  Returns FALSE with
 * an error posted. */
static gboolean
gst_npy_dec_collect (GstNpyDec * self, GstBuffer * buffer)
{
  GError *error = NULL;
  guint64 need;
  gsize avail, n;
  guint max_size;
  guint64 max_bytes;
  gboolean ok;

  if (self->raw == NULL) {
    const guint8 *data;
    NpyPreamble pre;
    gsize prefix;

    gst_adapter_push (self->adapter, buffer);
    avail = gst_adapter_available (self->adapter);
    /* the preamble, then the whole header it announces */
    n = MIN (avail, 12);
    data = gst_adapter_map (self->adapter, n);
    ok = npy_preamble_read (data, n, &pre, &error);
    gst_adapter_unmap (self->adapter);
    if (!ok) {
      if (g_error_matches (error, NPY_ERROR, NPY_ERROR_TRUNCATED_HEADER)) {
        g_error_free (error);
        return TRUE;            /* more bytes may complete it */
      }
      goto bad_header;
    }
    prefix = pre.header_offset + pre.header_len;
    if (avail < prefix)
      return TRUE;
    GST_OBJECT_LOCK (self);
    max_size = self->max_size;
    max_bytes = self->max_bytes;
    GST_OBJECT_UNLOCK (self);
    data = gst_adapter_map (self->adapter, prefix);
    ok = npy_image_check_header (data, prefix, max_size, max_bytes,
        READ_FLAGS, &need, &error);
    gst_adapter_unmap (self->adapter);
    if (!ok)
      goto bad_header;
    self->raw_size = (gsize) need;
    self->raw = g_try_malloc (self->raw_size);
    if (self->raw == NULL) {
      g_atomic_int_set (&self->failed, TRUE);
      GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, (NULL),
          ("not enough memory to read %" G_GSIZE_FORMAT " bytes",
              self->raw_size));
      return FALSE;
    }
    self->raw_len = MIN (avail, self->raw_size);
    gst_adapter_copy (self->adapter, self->raw, 0, self->raw_len);
    gst_adapter_clear (self->adapter);
  } else {
    self->raw_len += gst_buffer_extract (buffer, 0,
        self->raw + self->raw_len, self->raw_size - self->raw_len);
    gst_buffer_unref (buffer);
  }

  if (self->raw_len < self->raw_size)
    return TRUE;
  ok = gst_npy_dec_set_array (self, self->raw, self->raw_len);
  g_clear_pointer (&self->raw, g_free);
  return ok;

  /* ERRORS */
bad_header:
  {
    post_error (self, error);
    g_error_free (error);
    return FALSE;
  }
}

/* Upstream's EOS before the file was whole: the reader says
 * what is wrong with what came. */
static void
gst_npy_dec_incomplete (GstNpyDec * self)
{
  GError *error = NULL;
  NpyImage *image;

  if (self->raw) {
    image = npy_image_new_from_data_full (self->raw, self->raw_len, 0, 0,
        READ_FLAGS, &error);
  } else {
    gsize n = gst_adapter_available (self->adapter);
    const guint8 *data = n ? gst_adapter_map (self->adapter, n) : NULL;

    image = npy_image_new_from_data_full (data, n, 0, 0, READ_FLAGS, &error);
    if (n)
      gst_adapter_unmap (self->adapter);
  }
  if (image) {
    /* a file cut short is never an image: only if the reader changed */
    npy_image_free (image);
    g_set_error_literal (&error, NPY_ERROR, NPY_ERROR_TRUNCATED_DATA,
        "the stream ended before the array did");
  }
  post_error (self, error);
  g_error_free (error);
}

static GstFlowReturn
gst_npy_dec_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstNpyDec *self = GST_NPY_DEC (parent);
  gboolean ok;

  if (self->image || g_atomic_int_get (&self->failed)) {
    /* bytes after the array, as NumPy ignores them */
    gst_buffer_unref (buffer);
    return self->image ? GST_FLOW_EOS : GST_FLOW_ERROR;
  }
  GST_PAD_STREAM_LOCK (self->srcpad);
  ok = gst_npy_dec_collect (self, buffer);
  g_atomic_int_set (&self->failed, !ok);
  if (ok && self->image)
    gst_pad_start_task (self->srcpad, (GstTaskFunction) gst_npy_dec_loop,
        self->srcpad, NULL);
  GST_PAD_STREAM_UNLOCK (self->srcpad);
  if (!ok)
    return GST_FLOW_ERROR;
  return self->image ? GST_FLOW_EOS : GST_FLOW_OK;
}

static gboolean
gst_npy_dec_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstNpyDec *self = GST_NPY_DEC (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:{
      const gchar *id;
      gst_event_parse_stream_start (event, &id);
      g_free (self->stream_id);
      self->stream_id = g_strdup (id);
      gst_event_unref (event);
      return TRUE;
    }
    case GST_EVENT_CAPS:
    case GST_EVENT_SEGMENT:
      /* ours come from the source pad's task */
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_EOS:
      gst_event_unref (event);
      GST_PAD_STREAM_LOCK (self->srcpad);
      if (self->image == NULL) {
        if (!g_atomic_int_get (&self->failed))
          gst_npy_dec_incomplete (self);
        g_atomic_int_set (&self->failed, TRUE);
        /* EOS in a stream, as GstVideoDecoder forwards it: decodebin3
         * waits for a stream-start */
        if (!self->started) {
          gst_npy_dec_start_stream (self);
          gst_npy_dec_push_segment (self);
        }
        gst_pad_push_event (self->srcpad, gst_npy_dec_new_eos (self));
      }
      /* else the task sends EOS after the last frame */
      GST_PAD_STREAM_UNLOCK (self->srcpad);
      return TRUE;
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
      /* upstream's flushes are not ours: our task seeks in memory */
      gst_event_unref (event);
      return TRUE;
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

/* ------------------------------------------------------------------ */
/* Playing it */

static void
gst_npy_dec_pause (GstNpyDec * self, GstFlowReturn ret)
{
  GST_DEBUG_OBJECT (self, "pausing: %s", gst_flow_get_name (ret));
  gst_pad_pause_task (self->srcpad);
  if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
    GST_ELEMENT_FLOW_ERROR (self, ret);
    gst_pad_push_event (self->srcpad, gst_npy_dec_new_eos (self));
  }
}

/* The end of the segment: EOS, or SEGMENT_DONE after a segment seek, as
 * GstBaseSrc ends them, with the seek's seqnum. */
static void
gst_npy_dec_end (GstNpyDec * self)
{
  GstMessage *msg;
  GstEvent *event;
  gint64 position;

  gst_pad_pause_task (self->srcpad);
  if (!(self->segment.flags & GST_SEGMENT_FLAG_SEGMENT)) {
    gst_pad_push_event (self->srcpad, gst_npy_dec_new_eos (self));
    return;
  }
  position = GST_CLOCK_TIME_IS_VALID (self->segment.stop) ?
      self->segment.stop : self->stack ? stack_duration (self) :
      self->segment.start;
  msg = gst_message_new_segment_done (GST_OBJECT (self), GST_FORMAT_TIME,
      position);
  gst_message_set_seqnum (msg, self->seqnum);
  gst_element_post_message (GST_ELEMENT (self), msg);
  event = gst_event_new_segment_done (GST_FORMAT_TIME, position);
  gst_event_set_seqnum (event, self->seqnum);
  gst_pad_push_event (self->srcpad, event);
}

static void
gst_npy_dec_loop (GstPad * pad)
{
  GstNpyDec *self = GST_NPY_DEC (GST_PAD_PARENT (pad));
  GstFlowReturn ret;
  GstBuffer *buffer;

  if (!self->started) {
    GstCaps *caps = gst_video_info_to_caps (&self->info);
    GstTagList *tags;

    gst_npy_dec_start_stream (self);
    gst_pad_set_caps (pad, caps);
    gst_caps_unref (caps);
    /* what pngdec says of its stream */
    tags = gst_tag_list_new (GST_TAG_VIDEO_CODEC, self->stack ?
        "NumPy .npy stack" : "NumPy .npy image", NULL);
    gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
    gst_pad_push_event (pad, gst_event_new_tag (tags));
  }
  if (self->need_segment)
    gst_npy_dec_push_segment (self);

  if (self->frame >= self->image->n_frames || (self->stack &&
          GST_CLOCK_TIME_IS_VALID (self->segment.stop) &&
          frame_time (self, self->frame) >= self->segment.stop)) {
    GST_DEBUG_OBJECT (self, "all frames pushed");
    gst_npy_dec_end (self);
    return;
  }

  buffer = gst_npy_dec_make_frame (self, self->frame);
  if (buffer == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, (NULL),
        ("cannot allocate a frame of %" G_GSIZE_FORMAT " bytes",
            self->info.size));
    gst_npy_dec_pause (self, GST_FLOW_ERROR);
    return;
  }
  if (self->discont) {
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  self->frame++;
  ret = gst_pad_push (pad, buffer);
  if (ret != GST_FLOW_OK)
    gst_npy_dec_pause (self, ret);
}

/* Where a seek's start or stop lands, as gst_segment_do_seek () puts it:
 * @unset where a SET position is -1, @current where the type is NONE (or
 * END with no known duration). */
static guint64
seek_position (GstSeekType type, gint64 position, guint64 unset,
    guint64 current, guint64 duration)
{
  switch (type) {
    case GST_SEEK_TYPE_SET:
      return position == -1 ? unset : (guint64) MAX (position, 0);
    case GST_SEEK_TYPE_END:
      if (duration == GST_CLOCK_TIME_NONE)
        return current;
      return (guint64) MAX ((gint64) duration + position, 0);
    default:
      return current;
  }
}

/* What gst_segment_do_seek () would make of the seek: FALSE where it
 * would fail (on an assertion when start is after stop), so that such a
 * seek is refused before anything is flushed. */
static gboolean
seek_is_valid (const GstSegment * segment, GstSeekType start_type,
    gint64 start, GstSeekType stop_type, gint64 stop)
{
  guint64 duration = segment->duration;
  guint64 new_start, new_stop;

  new_start = seek_position (start_type, start, 0, segment->start, duration);
  if (duration != GST_CLOCK_TIME_NONE)
    new_start = MIN (new_start, duration);
  new_stop = seek_position (stop_type, stop, GST_CLOCK_TIME_NONE,
      segment->stop, duration);
  if (new_stop != GST_CLOCK_TIME_NONE && duration != GST_CLOCK_TIME_NONE)
    new_stop = MIN (new_stop, duration);

  return new_stop == GST_CLOCK_TIME_NONE || new_start <= new_stop;
}

/* A TIME seek, forward, as GstBaseSrc does one: refused before anything
 * is flushed if it cannot be done; then the frame showing at the new
 * start, and on, with the seek's seqnum on the SEGMENT and on the EOS or
 * SEGMENT_DONE that ends it. */
static gboolean
gst_npy_dec_seek (GstNpyDec * self, GstEvent * event)
{
  GstFormat format;
  GstSeekFlags flags;
  GstSeekType start_type, stop_type;
  gint64 start, stop;
  gdouble rate;
  gboolean flush;
  guint32 seqnum = gst_event_get_seqnum (event);
  GstSegment segment;

  gst_event_parse_seek (event, &rate, &format, &flags, &start_type, &start,
      &stop_type, &stop);
  if (format != GST_FORMAT_TIME || rate <= 0.0) {
    GST_DEBUG_OBJECT (self, "only forward seeks in TIME");
    return FALSE;
  }
  if (g_atomic_int_get (&self->failed)) {
    /* as pngdec: nothing to seek in (and the stream lock may be held by
     * an EOS waiting in a sink's preroll) */
    GST_DEBUG_OBJECT (self, "no array to seek in");
    return FALSE;
  }
  flush = (flags & GST_SEEK_FLAG_FLUSH) != 0;

  /* not the stream lock: the task may hold it, blocked downstream */
  GST_OBJECT_LOCK (self);
  segment = self->segment;
  GST_OBJECT_UNLOCK (self);
  if (!seek_is_valid (&segment, start_type, start, stop_type, stop)) {
    GST_DEBUG_OBJECT (self, "refused: the seek would start after its stop");
    return FALSE;
  }

  if (flush) {
    GstEvent *e = gst_event_new_flush_start ();
    gst_event_set_seqnum (e, seqnum);
    gst_pad_push_event (self->srcpad, e);
  } else {
    gst_pad_pause_task (self->srcpad);
  }
  GST_PAD_STREAM_LOCK (self->srcpad);

  segment = self->segment;
  /* again: another seek may have come in between */
  if (seek_is_valid (&segment, start_type, start, stop_type, stop))
    gst_segment_do_seek (&segment, rate, format, flags, start_type, start,
        stop_type, stop, NULL);
  if (flush) {
    GstEvent *e = gst_event_new_flush_stop (TRUE);
    gst_event_set_seqnum (e, seqnum);
    gst_pad_push_event (self->srcpad, e);
  }
  GST_OBJECT_LOCK (self);
  self->segment = segment;
  GST_OBJECT_UNLOCK (self);
  self->seqnum = seqnum;
  self->need_segment = TRUE;
  if (segment.flags & GST_SEGMENT_FLAG_SEGMENT) {
    /* paired with the SEGMENT_DONE that ends it, as GstBaseSrc does */
    GstMessage *msg = gst_message_new_segment_start (GST_OBJECT (self),
        GST_FORMAT_TIME, segment.start);

    gst_message_set_seqnum (msg, seqnum);
    gst_element_post_message (GST_ELEMENT (self), msg);
  }
  if (self->image) {
    self->frame = frame_at (self, segment.start);
    GST_DEBUG_OBJECT (self, "seek to %" GST_TIME_FORMAT ": frame %"
        G_GUINT64_FORMAT, GST_TIME_ARGS (segment.start), self->frame);
    gst_pad_start_task (self->srcpad, (GstTaskFunction) gst_npy_dec_loop,
        self->srcpad, NULL);
  }
  GST_PAD_STREAM_UNLOCK (self->srcpad);
  return TRUE;
}

static gboolean
gst_npy_dec_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstNpyDec *self = GST_NPY_DEC (parent);
  gboolean ret;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEEK:
      ret = gst_npy_dec_seek (self, event);
      gst_event_unref (event);
      return ret;
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

static gboolean
gst_npy_dec_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstNpyDec *self = GST_NPY_DEC (parent);
  GstClockTime duration;
  GstFormat format;
  gboolean known, seekable;

  /* not the stream lock: the task holds it while downstream blocks */
  GST_OBJECT_LOCK (self);
  duration = self->duration;
  seekable = self->seekable;
  GST_OBJECT_UNLOCK (self);
  known = GST_CLOCK_TIME_IS_VALID (duration);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_DURATION:
      gst_query_parse_duration (query, &format, NULL);
      if (format == GST_FORMAT_TIME && known) {
        gst_query_set_duration (query, format, duration);
        return TRUE;
      }
      break;
    case GST_QUERY_SEEKING:
      gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
      if (format == GST_FORMAT_TIME) {
        /* a still too, once read (as pngdec's, through upstream) */
        gst_query_set_seeking (query, format, seekable, 0,
            known ? (gint64) duration : -1);
        return TRUE;
      }
      break;
    default:
      break;
  }
  return gst_pad_query_default (pad, parent, query);
}

/* ------------------------------------------------------------------ */
/* Pads and states */

static void
gst_npy_dec_reset (GstNpyDec * self)
{
  g_clear_pointer (&self->image, npy_image_free);
  g_clear_pointer (&self->raw, g_free);
  g_clear_pointer (&self->stream_id, g_free);
  self->raw_size = self->raw_len = 0;
  gst_adapter_clear (self->adapter);
  GST_OBJECT_LOCK (self);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  GST_OBJECT_UNLOCK (self);
  self->frame = 0;
  self->stack = FALSE;
  self->started = FALSE;
  g_atomic_int_set (&self->failed, FALSE);
  self->seqnum = gst_util_seqnum_next ();
  self->need_segment = TRUE;
  GST_OBJECT_LOCK (self);
  self->duration = GST_CLOCK_TIME_NONE;
  self->seekable = FALSE;
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_npy_dec_sink_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstNpyDec *self = GST_NPY_DEC (parent);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (!active)
    return gst_pad_stop_task (self->srcpad);
  return TRUE;
}

static gboolean
gst_npy_dec_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (!active)
    return gst_pad_stop_task (pad);
  return TRUE;
}

static GstStateChangeReturn
gst_npy_dec_change_state (GstElement * element, GstStateChange transition)
{
  GstNpyDec *self = GST_NPY_DEC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    gst_npy_dec_reset (self);
  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_npy_dec_reset (self);
  return ret;
}

/* ------------------------------------------------------------------ */
/* Properties */

static void
gst_npy_dec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstNpyDec *self = GST_NPY_DEC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FRAMERATE:
      self->fps_n = gst_value_get_fraction_numerator (value);
      self->fps_d = gst_value_get_fraction_denominator (value);
      break;
    case PROP_MAX_SIZE:
      self->max_size = g_value_get_uint (value);
      break;
    case PROP_MAX_BYTES:
      self->max_bytes = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_npy_dec_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstNpyDec *self = GST_NPY_DEC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FRAMERATE:
      gst_value_set_fraction (value, self->fps_n, self->fps_d);
      break;
    case PROP_MAX_SIZE:
      g_value_set_uint (value, self->max_size);
      break;
    case PROP_MAX_BYTES:
      g_value_set_uint64 (value, self->max_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_npy_dec_finalize (GObject * object)
{
  GstNpyDec *self = GST_NPY_DEC (object);

  gst_npy_dec_reset (self);
  g_object_unref (self->adapter);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_npy_dec_class_init (GstNpyDecClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_npy_dec_debug, "npydec", 0,
      "NumPy .npy decoder");

  gobject_class->set_property = gst_npy_dec_set_property;
  gobject_class->get_property = gst_npy_dec_get_property;
  gobject_class->finalize = gst_npy_dec_finalize;

  g_object_class_install_property (gobject_class, PROP_FRAMERATE,
      gst_param_spec_fraction ("framerate", "Frame rate",
          "Frames per second of an (N, H, W, C) stack (read when the "
          "array is)", 1, G_MAXINT, G_MAXINT, 1, DEFAULT_FPS_N,
          DEFAULT_FPS_D, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE,
      g_param_spec_uint ("max-size", "Maximum size",
          "Largest height or width of the array, in pixels; larger shapes "
          "are refused after reading the header only", 1, 65535,
          DEFAULT_MAX_SIZE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MAX_BYTES,
      g_param_spec_uint64 ("max-bytes", "Maximum bytes",
          "Largest decoded array (all frames, 4 bytes per pixel, 8 for "
          "16-bit formats), in bytes; 0: no limit but memory", 0,
          G_MAXUINT64, DEFAULT_MAX_BYTES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "NumPy .npy decoder", "Codec/Decoder/Image",
      "Decodes a NumPy .npy array into video frames: one for an image, N "
      "for an (N, H, W, C) stack", "gst-npywatermark authors");
  element_class->change_state = gst_npy_dec_change_state;
}

static void
gst_npy_dec_init (GstNpyDec * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_activatemode_function (self->sinkpad,
      gst_npy_dec_sink_activate_mode);
  gst_pad_set_chain_function (self->sinkpad, gst_npy_dec_chain);
  gst_pad_set_event_function (self->sinkpad, gst_npy_dec_sink_event);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_activatemode_function (self->srcpad,
      gst_npy_dec_src_activate_mode);
  gst_pad_set_event_function (self->srcpad, gst_npy_dec_src_event);
  gst_pad_set_query_function (self->srcpad, gst_npy_dec_src_query);
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->fps_n = DEFAULT_FPS_N;
  self->fps_d = DEFAULT_FPS_D;
  self->max_size = DEFAULT_MAX_SIZE;
  self->max_bytes = DEFAULT_MAX_BYTES;
  self->adapter = gst_adapter_new ();
  self->duration = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->need_segment = TRUE;
}
