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
 * SECTION:element-npywatermark
 * @title: npywatermark
 *
 * Stamps a watermark kept as a NumPy `.npy` array onto video frames, at
 * the frame's top-left corner plus #GstNpyWatermark:offset-x and
 * #GstNpyWatermark:offset-y, clipped on every side.
 *
 * The array is read when the element starts and prepared once for the
 * negotiated format and colorimetry, so a frame costs only the blend of
 * the overlay's area.  The element works in place, natively in RGB
 * (RGBA, BGRA, ARGB, ABGR, RGBx, BGRx, xRGB, xBGR, RGB, BGR), YUV (AYUV,
 * I420, YV12, NV12, NV21, Y42B, Y444, YUY2, UYVY) and GRAY8: decoders and
 * cameras connect to it with no videoconvert.
 *
 * ## Supported arrays
 *
 * `.npy` versions 1.0, 2.0 and 3.0, C or Fortran order, shaped (H, W, 4)
 * RGBA, (H, W, 3) RGB (opaque), (H, W, 2) gray + alpha, or (H, W, 1) and
 * (H, W) gray whose value is also its alpha (PIL's "L" mask).  dtypes:
 * bool (0/255), uint8, uint16 (a 16-bit image, scaled to 8 bits), other
 * integers holding 0..255, and float16/32/64 (0..1 when every value is
 * at most 1.0, else 0..255).
 *
 * ## Alpha and opacity
 *
 * Each pixel's effective alpha is A = round (alpha * round (opacity * 255)
 * / 255); a colour byte becomes round ((overlay * A + frame * (255 - A)) /
 * 255).  A frame alpha channel becomes A + frame_alpha * (255 - A) / 255
 * (Porter-Duff "over"), so an opaque frame stays opaque.  (PIL's paste,
 * which the original script used, would instead replace the frame's alpha
 * with a mix of both; for the RGB pictures it wrote this is the same.)
 * In YUV formats the overlay is converted with the caps' matrix and range;
 * each subsampled chroma sample gets the mean alpha of the pixels it
 * covers and their alpha-weighted mean colour.
 *
 * With no location, an empty one, or opacity 0, buffers pass through
 * untouched.  While PLAYING, a new location is read in a background
 * thread and takes effect at the next frame boundary after the read; the
 * element then posts an element message "npywatermark-loaded" (fields
 * "location" and "timestamp", the first buffer carrying it).  A new file
 * that cannot be read posts a warning and the previous watermark stays.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=photo.jpg ! jpegdec ! npywatermark location=logo.npy ! jpegenc quality=100 ! filesink location=out.jpg
 * ]| Watermarks a JPEG in the decoder's own I420 or GRAY8, without conversion.
 * |[
 * gst-launch-1.0 videotestsrc ! npywatermark location=logo.npy opacity=0.5 offset-x=16 offset-y=16 ! autovideosink
 * ]| A half-transparent watermark 16 pixels from the corner.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <gio/gio.h>

#include "gstnpywatermark.h"

GST_DEBUG_CATEGORY_STATIC (gst_npy_watermark_debug);
#define GST_CAT_DEFAULT gst_npy_watermark_debug

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_DATA,
  PROP_OPACITY,
  PROP_OFFSET_X,
  PROP_OFFSET_Y,
  PROP_MAX_SIZE,
};

#define DEFAULT_LOCATION NULL
#define DEFAULT_OPACITY 1.0
#define DEFAULT_OFFSET_X 0
#define DEFAULT_OFFSET_Y 0
#define DEFAULT_MAX_SIZE NPY_DEFAULT_MAX_SIDE

#define VIDEO_CAPS GST_VIDEO_CAPS_MAKE (NPW_OVERLAY_FORMATS)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (VIDEO_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (VIDEO_CAPS));

G_DEFINE_TYPE (GstNpyWatermark, gst_npy_watermark, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (npywatermark, "npywatermark", GST_RANK_NONE,
    GST_TYPE_NPY_WATERMARK);

typedef struct
{
  gchar *location;
  guint serial;
  guint max_size;
} LoadJob;

static void gst_npy_watermark_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_npy_watermark_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_npy_watermark_finalize (GObject * object);
static gboolean gst_npy_watermark_start (GstBaseTransform * trans);
static gboolean gst_npy_watermark_stop (GstBaseTransform * trans);
static void gst_npy_watermark_before_transform (GstBaseTransform * trans,
    GstBuffer * buf);
static gboolean gst_npy_watermark_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static GstFlowReturn gst_npy_watermark_transform_frame_ip (GstVideoFilter *
    filter, GstVideoFrame * frame);
static void gst_npy_watermark_load_func (gpointer data, gpointer user_data);

static void
gst_npy_watermark_class_init (GstNpyWatermarkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_npy_watermark_debug, "npywatermark", 0,
      "NumPy .npy watermark");

  gobject_class->set_property = gst_npy_watermark_set_property;
  gobject_class->get_property = gst_npy_watermark_get_property;
  gobject_class->finalize = gst_npy_watermark_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Path of the .npy watermark (HxWx4 RGBA, HxWx3, HxWx2, HxW). "
          "A missing or bad file is an error at start; while PLAYING a new "
          "location (or the same one, to reread it) is read in the "
          "background and used from the next frame on, and a bad file only "
          "posts a warning. NULL or \"\" removes the watermark",
          DEFAULT_LOCATION,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_DATA,
      g_param_spec_boxed ("data", "Data",
          "The bytes of a .npy file, for applications that hold it in "
          "memory (read once, shared by many pipelines); when set, used "
          "instead of location",
          G_TYPE_BYTES,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_OPACITY,
      g_param_spec_double ("opacity", "Opacity",
          "Multiplies the watermark's alpha (0: invisible, passthrough)",
          0.0, 1.0, DEFAULT_OPACITY,
          G_PARAM_READWRITE | GST_PARAM_CONTROLLABLE |
          GST_PARAM_MUTABLE_PLAYING | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_OFFSET_X,
      g_param_spec_int ("offset-x", "X offset",
          "Horizontal position of the watermark's left edge, in pixels "
          "from the frame's left edge (negative clips it; animate it with "
          "an absolute control binding)",
          G_MININT, G_MAXINT, DEFAULT_OFFSET_X,
          G_PARAM_READWRITE | GST_PARAM_CONTROLLABLE |
          GST_PARAM_MUTABLE_PLAYING | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_OFFSET_Y,
      g_param_spec_int ("offset-y", "Y offset",
          "Vertical position of the watermark's top edge, in pixels "
          "from the frame's top edge (negative clips it; animate it with "
          "an absolute control binding)",
          G_MININT, G_MAXINT, DEFAULT_OFFSET_Y,
          G_PARAM_READWRITE | GST_PARAM_CONTROLLABLE |
          GST_PARAM_MUTABLE_PLAYING | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE,
      g_param_spec_uint ("max-size", "Maximum size",
          "Largest height or width of .npy array accepted, in pixels; "
          "larger shapes are refused before anything is allocated",
          1, 65535, DEFAULT_MAX_SIZE,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "NumPy watermark overlay", "Filter/Effect/Video",
      "Alpha-composites a NumPy .npy RGBA array onto video frames",
      "gst-npywatermark authors");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->transform_ip_on_passthrough = FALSE;
  trans_class->start = GST_DEBUG_FUNCPTR (gst_npy_watermark_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_npy_watermark_stop);
  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_npy_watermark_before_transform);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_npy_watermark_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_npy_watermark_transform_frame_ip);
}

static void
gst_npy_watermark_init (GstNpyWatermark * self)
{
  self->location = g_strdup (DEFAULT_LOCATION);
  self->opacity = DEFAULT_OPACITY;
  self->offset_x = DEFAULT_OFFSET_X;
  self->offset_y = DEFAULT_OFFSET_Y;
  self->max_size = DEFAULT_MAX_SIZE;
  /* Blending costs far less than a frame: dropping late frames here
   * would save little, and a swap's message must name a frame that is
   * output.  The "qos" property can still turn it on. */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
  /* One reader thread is plenty: a newer location makes older reads
   * stale, and they are dropped. */
  self->loader = g_thread_pool_new (gst_npy_watermark_load_func, self, 1,
      FALSE, NULL);
}

/* Moves a finished read out of self (call with OBJECT_LOCK), so that it
 * can be used, or freed with load_clear () after unlocking: an image may
 * be large and the streaming thread waits for the lock every frame. */
static void
gst_npy_watermark_steal_load (GstNpyWatermark * self, GstNpyWatermarkLoad * out)
{
  *out = self->load;
  memset (&self->load, 0, sizeof (self->load));
}

static void
load_clear (GstNpyWatermarkLoad * load)
{
  g_clear_pointer (&load->image, npy_image_free);
  g_clear_pointer (&load->overlay, npw_overlay_free);
  g_clear_error (&load->error);
  g_clear_pointer (&load->location, g_free);
  load->done = FALSE;
}

static void
gst_npy_watermark_finalize (GObject * object)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (object);

  /* Every queued read is stale now: each runs, sees so and frees its
   * job; one in progress only touches self under the lock. */
  GST_OBJECT_LOCK (self);
  self->load_serial++;
  GST_OBJECT_UNLOCK (self);
  g_thread_pool_free (self->loader, FALSE, TRUE);
  load_clear (&self->load);
  g_free (self->location);
  g_clear_pointer (&self->data, g_bytes_unref);
  g_clear_pointer (&self->image_data, g_bytes_unref);
  g_free (self->image_location);
  g_free (self->image_stamp);
  g_clear_pointer (&self->image, npy_image_free);
  g_clear_pointer (&self->overlay, npw_overlay_free);

  G_OBJECT_CLASS (gst_npy_watermark_parent_class)->finalize (object);
}

static gboolean
location_is_empty (const gchar * location)
{
  return location == NULL || location[0] == '\0';
}

/* A new location while started: read it off the streaming thread.  Call
 * with OBJECT_LOCK; a read nobody took yet goes to @stale, to be freed
 * after unlocking. */
static void
gst_npy_watermark_reload (GstNpyWatermark * self, GstNpyWatermarkLoad * stale)
{
  gst_npy_watermark_steal_load (self, stale);
  self->load_serial++;

  if (location_is_empty (self->location)) {
    /* Nothing to read: the watermark goes at the next frame. */
    self->load.done = TRUE;
  } else {
    LoadJob *job = g_new0 (LoadJob, 1);

    job->location = g_strdup (self->location);
    job->serial = self->load_serial;
    job->max_size = self->max_size;
    g_thread_pool_push (self->loader, job, NULL);
  }
}

static void
gst_npy_watermark_load_func (gpointer data, gpointer user_data)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (user_data);
  LoadJob *job = data;
  NpyImage *image = NULL;
  NpwOverlay *overlay = NULL;
  GstNpyWatermarkLoad replaced = { 0, };
  GstVideoInfo info;
  GError *error = NULL;
  gboolean stale, have_info;

  gst_video_info_init (&info);

  GST_OBJECT_LOCK (self);
  stale = job->serial != self->load_serial;
  GST_OBJECT_UNLOCK (self);

  if (!stale) {
    GST_DEBUG_OBJECT (self, "reading %s", job->location);
    image = npy_image_new_from_file (job->location, job->max_size, &error);

    /* Prepare it here too, for the caps of the moment, so the streaming
     * thread only swaps pointers (unless the caps change meanwhile). */
    GST_OBJECT_LOCK (self);
    have_info = self->have_info;
    info = self->info;
    GST_OBJECT_UNLOCK (self);
    if (image && have_info)
      overlay = npw_overlay_new (image, &info);

    GST_OBJECT_LOCK (self);
    if (job->serial == self->load_serial) {
      gst_npy_watermark_steal_load (self, &replaced);
      self->load.done = TRUE;
      self->load.image = g_steal_pointer (&image);
      self->load.overlay = g_steal_pointer (&overlay);
      self->load.info = info;
      self->load.error = g_steal_pointer (&error);
      self->load.location = g_steal_pointer (&job->location);
    }
    GST_OBJECT_UNLOCK (self);
    load_clear (&replaced);
  }

  if (image)
    npy_image_free (image);
  if (overlay)
    npw_overlay_free (overlay);
  g_clear_error (&error);
  g_free (job->location);
  g_free (job);
}

static void
gst_npy_watermark_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (object);
  GstNpyWatermarkLoad stale = { 0, };

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      /* Even the same path: the file may have been rewritten. */
      if (self->started)
        gst_npy_watermark_reload (self, &stale);
      break;
    case PROP_DATA:
      g_clear_pointer (&self->data, g_bytes_unref);
      self->data = g_value_dup_boxed (value);
      break;
    case PROP_OPACITY:
      self->opacity = g_value_get_double (value);
      break;
    case PROP_OFFSET_X:
      self->offset_x = g_value_get_int (value);
      break;
    case PROP_OFFSET_Y:
      self->offset_y = g_value_get_int (value);
      break;
    case PROP_MAX_SIZE:
      self->max_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  load_clear (&stale);
}

static void
gst_npy_watermark_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_DATA:
      g_value_set_boxed (value, self->data);
      break;
    case PROP_OPACITY:
      g_value_set_double (value, self->opacity);
      break;
    case PROP_OFFSET_X:
      g_value_set_int (value, self->offset_x);
      break;
    case PROP_OFFSET_Y:
      g_value_set_int (value, self->offset_y);
      break;
    case PROP_MAX_SIZE:
      g_value_set_uint (value, self->max_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Makes self->overlay serve frames described by @info: kept when it was
 * prepared for the same format and colorimetry, prepared anew from
 * self->image otherwise.  FALSE when memory for it cannot be had.
 * Streaming thread (set_info, or a swap at a frame boundary). */
static gboolean
gst_npy_watermark_prepare (GstNpyWatermark * self, const GstVideoInfo * info)
{
  if (self->overlay && npw_overlay_fits (self->overlay, info)) {
    GST_DEBUG_OBJECT (self, "overlay kept for %dx%d",
        GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
    return TRUE;
  }

  g_clear_pointer (&self->overlay, npw_overlay_free);
  if (self->image == NULL)
    return TRUE;
  self->overlay = npw_overlay_new (self->image, info);
  if (self->overlay == NULL)
    return FALSE;
  GST_DEBUG_OBJECT (self, "prepared %ux%u overlay for %s %dx%d",
      self->image->width, self->image->height, GST_VIDEO_INFO_NAME (info),
      GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
  return TRUE;
}

/* What identifies the file's contents without reading them: device,
 * inode, size, modification and change times (the unix attributes are
 * absent elsewhere, the rest is portable).  NULL when it cannot be
 * looked at. */
static gchar *
file_stamp (const gchar * location)
{
  g_autoptr (GFile) file = g_file_new_for_path (location);
  g_autoptr (GFileInfo) info = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_UNIX_DEVICE ","
      G_FILE_ATTRIBUTE_UNIX_INODE "," G_FILE_ATTRIBUTE_STANDARD_SIZE ","
      G_FILE_ATTRIBUTE_TIME_MODIFIED "," G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC
      "," G_FILE_ATTRIBUTE_TIME_CHANGED "," G_FILE_ATTRIBUTE_TIME_CHANGED_USEC,
      G_FILE_QUERY_INFO_NONE, NULL, NULL);
  if (info == NULL)
    return NULL;
  return g_strdup_printf ("%u:%" G_GUINT64_FORMAT ":%" G_GOFFSET_FORMAT
      ":%" G_GUINT64_FORMAT ".%06u:%" G_GUINT64_FORMAT ".%06u",
      g_file_info_get_attribute_uint32 (info, G_FILE_ATTRIBUTE_UNIX_DEVICE),
      g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_UNIX_INODE),
      g_file_info_get_size (info),
      g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED),
      g_file_info_get_attribute_uint32 (info,
          G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC),
      g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_CHANGED),
      g_file_info_get_attribute_uint32 (info,
          G_FILE_ATTRIBUTE_TIME_CHANGED_USEC));
}

/* A new image: the cache key and the prepared overlay go with the old. */
static void
gst_npy_watermark_set_image (GstNpyWatermark * self, NpyImage * image)
{
  g_clear_pointer (&self->image, npy_image_free);
  g_clear_pointer (&self->overlay, npw_overlay_free);
  g_clear_pointer (&self->image_location, g_free);
  g_clear_pointer (&self->image_stamp, g_free);
  g_clear_pointer (&self->image_data, g_bytes_unref);
  self->image = image;
}

static gboolean
gst_npy_watermark_start (GstBaseTransform * trans)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (trans);
  GstNpyWatermarkLoad stale = { 0, };
  g_autofree gchar *location = NULL;
  g_autofree gchar *stamp = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (GError) error = NULL;
  guint max_size;

  GST_OBJECT_LOCK (self);
  self->load_serial++;
  gst_npy_watermark_steal_load (self, &stale);
  location = g_strdup (self->location);
  data = self->data ? g_bytes_ref (self->data) : NULL;
  max_size = self->max_size;
  GST_OBJECT_UNLOCK (self);
  load_clear (&stale);

  if (data) {
    gsize size;
    const guint8 *bytes = g_bytes_get_data (data, &size);

    /* the same bytes as last time: nothing to parse */
    if (self->image && self->image_data == data &&
        self->image_max_size == max_size)
      goto started;
    gst_npy_watermark_set_image (self, npy_image_new_from_data (bytes, size,
            max_size, &error));
    if (self->image == NULL)
      goto bad_data;
    self->image_data = g_bytes_ref (data);
    self->image_max_size = max_size;
    goto started;
  }

  if (location_is_empty (location)) {
    GST_WARNING_OBJECT (self, "no location set, passing buffers through");
    gst_npy_watermark_set_image (self, NULL);
    goto started;
  }

  if (!g_file_test (location, G_FILE_TEST_EXISTS))
    goto not_found;

  /* A pipeline reused for many pictures (READY between them) reads the
   * file once, not once per picture, unless it changed on disk; the
   * overlay prepared for the last caps stays too. */
  stamp = file_stamp (location);
  if (self->image && stamp && g_strcmp0 (self->image_location, location) == 0
      && g_strcmp0 (self->image_stamp, stamp) == 0
      && self->image_max_size == max_size) {
    GST_DEBUG_OBJECT (self, "%s unchanged, not read again", location);
    goto started;
  }

  gst_npy_watermark_set_image (self, npy_image_new_from_file (location,
          max_size, &error));
  if (self->image == NULL)
    goto load_failed;

  self->image_location = g_strdup (location);
  self->image_stamp = g_steal_pointer (&stamp);
  self->image_max_size = max_size;
  GST_INFO_OBJECT (self, "loaded %s: %ux%u", location, self->image->width,
      self->image->height);

started:
  GST_OBJECT_LOCK (self);
  self->started = TRUE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;

  /* ERRORS */
bad_data:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Could not load the watermark given as data."),
        ("%s", error->message));
    return FALSE;
  }
not_found:
  {
    gst_npy_watermark_set_image (self, NULL);
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Could not load watermark \"%s\": no such file.", location),
        ("%s does not exist", location));
    return FALSE;
  }
load_failed:
  {
    if (error->domain == NPY_ERROR && error->code != NPY_ERROR_FAILED)
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("Could not load watermark \"%s\".", location),
          ("%s", error->message));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not load watermark \"%s\".", location),
          ("%s", error->message));
    return FALSE;
  }
}

static gboolean
gst_npy_watermark_stop (GstBaseTransform * trans)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (trans);
  GstNpyWatermarkLoad stale = { 0, };

  GST_OBJECT_LOCK (self);
  self->started = FALSE;
  self->have_info = FALSE;
  self->load_serial++;          /* a read in progress is now stale */
  gst_npy_watermark_steal_load (self, &stale);
  GST_OBJECT_UNLOCK (self);
  load_clear (&stale);

  /* self->image and self->overlay stay for the next start () */
  self->draw = FALSE;

  return TRUE;
}

static gboolean
gst_npy_watermark_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (filter);

  if (!npw_overlay_supports_format (GST_VIDEO_INFO_FORMAT (in_info)))
    goto unsupported;

  GST_OBJECT_LOCK (self);
  self->info = *in_info;
  self->have_info = TRUE;
  GST_OBJECT_UNLOCK (self);

  /* A new size, or a pipeline reused for another picture, keeps the
   * overlay prepared for the same format and colorimetry. */
  if (!gst_npy_watermark_prepare (self, in_info))
    goto no_memory;

  return TRUE;

  /* ERRORS */
unsupported:
  {
    GST_ERROR_OBJECT (self, "unsupported format %s",
        GST_VIDEO_INFO_NAME (in_info));
    return FALSE;
  }
no_memory:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Not enough memory to prepare the %ux%u watermark.",
            self->image->width, self->image->height),
        ("for %s frames", GST_VIDEO_INFO_NAME (in_info)));
    return FALSE;
  }
}

/* Takes a finished read, if any.  Streaming thread. */
static void
gst_npy_watermark_take_load (GstNpyWatermark * self, GstClockTime timestamp)
{
  GstNpyWatermarkLoad load;
  GstVideoInfo info;
  gboolean have_info;

  GST_OBJECT_LOCK (self);
  if (!self->load.done) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  gst_npy_watermark_steal_load (self, &load);
  have_info = self->have_info;
  info = self->info;
  GST_OBJECT_UNLOCK (self);

  if (load.error) {
    if (!g_file_test (load.location, G_FILE_TEST_EXISTS))
      GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
          ("Could not load watermark \"%s\": no such file; keeping the "
              "previous one.", load.location), ("%s", load.error->message));
    else
      GST_ELEMENT_WARNING (self, RESOURCE, READ,
          ("Could not load watermark \"%s\"; keeping the previous one.",
              load.location), ("%s", load.error->message));
    load_clear (&load);
    return;
  }

  /* not what start () read: read again at the next start () */
  gst_npy_watermark_set_image (self, g_steal_pointer (&load.image));
  if (load.overlay && have_info && npw_overlay_fits (load.overlay, &info))
    self->overlay = g_steal_pointer (&load.overlay);
  else if (have_info && !gst_npy_watermark_prepare (self, &info))
    GST_ELEMENT_WARNING (self, RESOURCE, NO_SPACE_LEFT,
        ("Not enough memory to prepare the %ux%u watermark; drawing none.",
            self->image->width, self->image->height), (NULL));

  GST_INFO_OBJECT (self, "switched to %s at %" GST_TIME_FORMAT,
      load.location ? load.location : "(none)", GST_TIME_ARGS (timestamp));
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("npywatermark-loaded",
              "location", G_TYPE_STRING, load.location,
              "timestamp", G_TYPE_UINT64, (guint64) timestamp, NULL)));
  load_clear (&load);
}

static void
gst_npy_watermark_before_transform (GstBaseTransform * trans, GstBuffer * buf)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (trans);
  GstClockTime timestamp = GST_BUFFER_PTS (buf);
  GstClockTime stream_time;
  gdouble opacity;

  /* Controlled properties take the value for this buffer's time. */
  stream_time = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME,
      timestamp);
  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    gst_object_sync_values (GST_OBJECT (self), stream_time);

  gst_npy_watermark_take_load (self, timestamp);

  /* One consistent set of values for the whole frame. */
  GST_OBJECT_LOCK (self);
  opacity = self->opacity;
  self->frame_x = self->offset_x;
  self->frame_y = self->offset_y;
  GST_OBJECT_UNLOCK (self);
  self->frame_op = (guint) floor (opacity * 255.0 + 0.5);

  self->draw = self->overlay != NULL && self->frame_op > 0 &&
      npw_overlay_is_visible (self->overlay, self->frame_x, self->frame_y);
  gst_base_transform_set_passthrough (trans, !self->draw);
}

static GstFlowReturn
gst_npy_watermark_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (filter);

  if (self->draw)
    npw_overlay_blend (self->overlay, frame, self->frame_x, self->frame_y,
        self->frame_op);

  return GST_FLOW_OK;
}
