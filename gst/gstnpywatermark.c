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
 * Stamps a watermark kept as a NumPy `.npy` array onto video frames: at
 * any of nine anchors (#GstNpyWatermark:position) with offsets counted
 * inward from the anchored edges, at its own size or scaled relative to
 * the frame (#GstNpyWatermark:size), once or tiled over the whole frame
 * (#GstNpyWatermark:tile), clipped on every side.  An (N, H, W, C)
 * array plays as an animation (#GstNpyWatermark:animation-rate).
 *
 * The array is read when the element starts, then scaled, tiled, cropped
 * to what can appear on the frame and converted to the negotiated format
 * and colorimetry once per file, caps or geometry change; a frame costs
 * only the blend of the covered area.  It works in place, natively in
 * RGB, YUV and gray formats: decoders and cameras connect to it with no
 * videoconvert.  Each pixel's alpha times the opacity weighs the
 * watermark over the frame (Porter-Duff "over" for a frame alpha), with
 * exact rounding; the project's README gives the formulas, the .npy
 * shapes and dtypes read, and the figures.  The watermark is sRGB: on
 * frames with PQ, HLG or BT.2020 colorimetry its colours are converted
 * to the frame's, its white at #GstNpyWatermark:reference-white.
 *
 * With no watermark or opacity 0, buffers pass through untouched.  A new
 * #GstNpyWatermark:location or #GstNpyWatermark:data, and a change of
 * position, size, tile, tile-spacing or reference-white, is prepared in a
 * background
 * thread and used from the next frame boundary after that, every frame
 * whole.  A new watermark posts an element message "npywatermark-loaded"
 * (fields "location", "data" and "timestamp", the first buffer carrying
 * it); one that cannot be read posts a warning and the previous watermark
 * stays.  Nothing of the element runs, and no watermark is held, in
 * READY and NULL: start () reads the file again.
 * Opacity and offsets are controllable and apply to the very frame their
 * value is for.
 *
 * Frames in GL, DMABuf, VA or other memory are not mapped: when
 * downstream takes #GstVideoOverlayCompositionMeta (glimagesink,
 * gloverlaycompositor, hardware sinks), the watermark is attached as one
 * rectangle per visible tile, after any composition already there
 * (textoverlay before it), built once per watermark, caps, geometry or
 * window size; the sink blends it.  Without the meta downstream, system
 * memory is blended as above and other memory refused at negotiation.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=photo.jpg ! jpegdec ! npywatermark location=logo.npy ! jpegenc quality=100 ! filesink location=out.jpg
 * ]| Watermarks a JPEG in the decoder's own I420 or GRAY8, without conversion.
 * |[
 * gst-launch-1.0 videotestsrc ! npywatermark location=logo.npy opacity=0.5 position=bottom-right offset-x=16 offset-y=16 size=0.2 ! autovideosink
 * ]| A half-transparent watermark a fifth of the frame's size, 16 pixels in from the bottom-right corner.
 * |[
 * gst-launch-1.0 videotestsrc ! npywatermark location=logo.npy opacity=0.3 tile=true tile-spacing=40 ! autovideosink
 * ]| The watermark repeated over the whole frame.
 * |[
 * gst-launch-1.0 videotestsrc ! glupload ! npywatermark location=logo.npy position=bottom-right ! glimagesink
 * ]| GL frames: the sink draws the watermark on the GPU.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstnpywatermark.h"
#include "colour.h"
#include "npy.h"
#include "stage.h"

GST_DEBUG_CATEGORY (gst_npy_watermark_debug);
#define GST_CAT_DEFAULT gst_npy_watermark_debug

struct _GstNpyWatermark
{
  GstVideoFilter parent;

  /* properties, with LOCK */
  gchar *location;
  GBytes *data;                 /* a .npy held in memory: wins over location */
  gdouble opacity;
  gint offset_x;
  gint offset_y;
  guint max_size;
  NpwGeometry geom;
  gint rate_n, rate_d;          /* animation-rate */
  gboolean loop;

  /* background preparation, with LOCK */
  gboolean started;             /* between a successful start () and stop () */
  guint requests;               /* numbers the loader's requests */
  GstVideoInfo info;            /* negotiated caps */
  gboolean have_info;
  NpwLoader *loader;            /* has a lock of its own */

  /* streaming thread only (and start/stop, when it is not running) */
  NpwStage stage;
};

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_DATA,
  PROP_OPACITY,
  PROP_OFFSET_X,
  PROP_OFFSET_Y,
  PROP_MAX_SIZE,
  PROP_POSITION,
  PROP_SIZE,
  PROP_TILE,
  PROP_TILE_SPACING,
  PROP_ANIMATION_RATE,
  PROP_ANIMATION_LOOP,
  PROP_REFERENCE_WHITE,
};

#define DEFAULT_LOCATION NULL
#define DEFAULT_OPACITY 1.0
#define DEFAULT_OFFSET_X 0
#define DEFAULT_OFFSET_Y 0
/* 16384 x 16384 RGBA is 1 GiB: survivable on a machine with a few GB */
#define DEFAULT_MAX_SIZE 16384
#define DEFAULT_POSITION NPW_POSITION_TOP_LEFT
#define DEFAULT_SIZE 0.0
#define DEFAULT_TILE FALSE
#define DEFAULT_TILE_SPACING 0
#define DEFAULT_ANIMATION_RATE_N 10
#define DEFAULT_ANIMATION_RATE_D 1
#define DEFAULT_ANIMATION_LOOP TRUE
#define DEFAULT_REFERENCE_WHITE NPW_COLOUR_REFERENCE_WHITE

#define VIDEO_CAPS GST_VIDEO_CAPS_MAKE (NPW_OVERLAY_FORMATS) ";" \
  NPW_COMPOSITION_CAPS

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (VIDEO_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (VIDEO_CAPS));

G_DEFINE_TYPE (GstNpyWatermark, gst_npy_watermark, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (npywatermark, "npywatermark", GST_RANK_NONE,
    GST_TYPE_NPY_WATERMARK);

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
static gboolean gst_npy_watermark_propose_allocation (GstBaseTransform *
    trans, GstQuery * decide_query, GstQuery * query);
static gboolean gst_npy_watermark_decide_allocation (GstBaseTransform *
    trans, GstQuery * query);
static gboolean gst_npy_watermark_src_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn gst_npy_watermark_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)
#define PARAM_LIVE (PARAM_FLAGS | GST_PARAM_MUTABLE_PLAYING)
#define PARAM_CONTROLLED (PARAM_LIVE | GST_PARAM_CONTROLLABLE)

static void
gst_npy_watermark_class_init (GstNpyWatermarkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_npy_watermark_debug, "npywatermark", 0,
      "NumPy .npy watermark");
  /* G_DEFINE_QUARK's static is set on first use without a barrier: set
   * it here, before the loader and streaming threads both raise these */
  npy_error_quark ();
  npw_animation_error_quark ();

  gobject_class->set_property = gst_npy_watermark_set_property;
  gobject_class->get_property = gst_npy_watermark_get_property;
  gobject_class->finalize = gst_npy_watermark_finalize;

  /**
   * GstNpyWatermark:location:
   *
   * Path of the .npy watermark.  A missing or bad file is an error at
   * start.  While PLAYING a new location (or the same one, to reread a
   * file rewritten in place) is read in the background and used from the
   * next frame boundary on; a bad file then only posts a warning (once)
   * and the previous watermark stays, while the property reads back the
   * path asked for.  NULL or "" removes the watermark.  Ignored while
   * #GstNpyWatermark:data is set.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Path of the .npy watermark (NULL or \"\": none)",
          DEFAULT_LOCATION, PARAM_LIVE));
  /**
   * GstNpyWatermark:data:
   *
   * The bytes of a .npy file, for applications that hold the watermark
   * in memory (read once, shared by many pipelines).  When set it wins
   * over #GstNpyWatermark:location in every state; setting it while
   * PLAYING swaps the watermark as a new location does, and setting NULL
   * goes back to the location.  For GES projects (see set_property) it
   * reads back padded with NULs to a multiple of 3 bytes, and unset as
   * three NULs (not NULL); set back, those or an empty GBytes mean
   * unset.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DATA,
      g_param_spec_boxed ("data", "Data",
          "The bytes of a .npy file; when set, used instead of location",
          G_TYPE_BYTES, PARAM_LIVE));
  /**
   * GstNpyWatermark:opacity:
   *
   * Multiplies the watermark's alpha: 0 is invisible (buffers pass
   * through), 1 the array's own alpha.  Controllable.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_OPACITY,
      g_param_spec_double ("opacity", "Opacity",
          "Multiplies the watermark's alpha (0..1, 0: passthrough)",
          0.0, 1.0, DEFAULT_OPACITY, PARAM_CONTROLLED));
  /**
   * GstNpyWatermark:offset-x:
   *
   * Horizontal distance in pixels from the anchored edge, counted inward
   * (ImageMagick's -gravity with -geometry): from the left edge for the
   * left anchors, from the right edge for the right ones, from the centre
   * (positive: rightwards) for the centred ones.  A negative value moves
   * the watermark outward and clips it.  Unlike gdkpixbufoverlay, a
   * negative value does not count from the right edge: use
   * #GstNpyWatermark:position for that.  Controllable (animate it with
   * an absolute control binding).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_OFFSET_X,
      g_param_spec_int ("offset-x", "X offset",
          "Pixels inward from the anchored left/right edge (negative: "
          "outward; not from the right as in gdkpixbufoverlay)",
          G_MININT, G_MAXINT, DEFAULT_OFFSET_X, PARAM_CONTROLLED));
  /**
   * GstNpyWatermark:offset-y:
   *
   * Vertical distance in pixels from the anchored edge, counted inward,
   * as #GstNpyWatermark:offset-x.  Controllable.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_OFFSET_Y,
      g_param_spec_int ("offset-y", "Y offset",
          "Pixels inward from the anchored top/bottom edge (negative: "
          "outward; not from the bottom as in gdkpixbufoverlay)",
          G_MININT, G_MAXINT, DEFAULT_OFFSET_Y, PARAM_CONTROLLED));
  /**
   * GstNpyWatermark:max-size:
   *
   * The largest height or width of .npy array accepted, in pixels,
   * checked from the header before anything is allocated.  The default,
   * 16384, bounds the parsed array to 1 GiB.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE,
      g_param_spec_uint ("max-size", "Maximum size",
          "Largest height or width of .npy array accepted, in pixels",
          1, 65535, DEFAULT_MAX_SIZE, PARAM_FLAGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstNpyWatermark:position:
   *
   * The corner, edge centre or centre of the frame the watermark is
   * anchored to; the offsets count inward from it.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_POSITION,
      g_param_spec_enum ("position", "Position",
          "Where the watermark is anchored", NPW_TYPE_POSITION,
          DEFAULT_POSITION, PARAM_LIVE));
  /**
   * GstNpyWatermark:size:
   *
   * 0 draws the watermark at its own size.  A value above 0 scales it,
   * aspect kept, to fit a box of size times the frame's width by size
   * times its height: s = min (size * W / w, size * H / h).  So 0.25 puts
   * a 400x100 logo at 480x120 on 1920x1080 frames.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SIZE,
      g_param_spec_double ("size", "Size",
          "Fraction of the frame the watermark fits in, aspect kept "
          "(0: its own size; above 1 is larger than the frame, with a "
          "warning at start)", 0.0, 100.0, DEFAULT_SIZE, PARAM_LIVE));
  /**
   * GstNpyWatermark:tile:
   *
   * Repeats the placed watermark over the whole frame, on a grid anchored
   * at the placed copy with a period of its size plus
   * #GstNpyWatermark:tile-spacing.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_TILE,
      g_param_spec_boolean ("tile", "Tile",
          "Repeat the watermark over the whole frame", DEFAULT_TILE,
          PARAM_LIVE));
  /**
   * GstNpyWatermark:tile-spacing:
   *
   * Pixels of gap between tiled copies, horizontally and vertically.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_TILE_SPACING,
      g_param_spec_int ("tile-spacing", "Tile spacing",
          "Pixels between tiled copies", 0, G_MAXINT / 2,
          DEFAULT_TILE_SPACING, PARAM_LIVE));
  /**
   * GstNpyWatermark:animation-rate:
   *
   * Slices per second of an (N, H, W, C) watermark: the frame at stream
   * time t shows slice floor (t * rate) mod N (see
   * #GstNpyWatermark:animation-loop), so seeks and segments show the
   * slice of their time.  All N slices are prepared in the background (a
   * caps change prepares the slice shown at once, the rest follow); N
   * times the pixels one prepared slice covers may not pass 64 Mi (32
   * whole 1080p frames), and the stack as read may not take more memory
   * than a
   * #GstNpyWatermark:max-size square still read
   * at 16 bits (max-size² x 8 bytes).  0 shows slice 0.
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_ANIMATION_RATE,
      gst_param_spec_fraction ("animation-rate", "Animation rate",
          "Slices per second of an (N, H, W, C) watermark", 0, 1, G_MAXINT,
          1, DEFAULT_ANIMATION_RATE_N, DEFAULT_ANIMATION_RATE_D, PARAM_LIVE));
  /**
   * GstNpyWatermark:animation-loop:
   *
   * Whether an animated watermark starts over after its last slice; when
   * FALSE the last slice stays: slice min (floor (t * rate), N - 1).
   *
   * Since: 0.3
   */
  g_object_class_install_property (gobject_class, PROP_ANIMATION_LOOP,
      g_param_spec_boolean ("animation-loop", "Animation loop",
          "Start an animated watermark over after its last slice",
          DEFAULT_ANIMATION_LOOP, PARAM_LIVE));
  /**
   * GstNpyWatermark:reference-white:
   *
   * The brightness, in cd/m², at which the watermark's white is shown on
   * PQ (bt2100-pq) frames, and, relative to BT.2408's 203 cd/m² at 75%
   * HLG, on HLG (bt2100-hlg) frames.  The watermark is sRGB; on frames
   * with PQ or HLG transfer or BT.2020 primaries (bt2100-pq, bt2100-hlg,
   * bt2020, bt2020-10) its colours are linearised, moved to BT.2020
   * primaries and encoded with the frame's transfer once per change;
   * frames without colorimetry or with SDR BT.709, BT.601 or sRGB
   * colorimetry take its values as they are.  A change is prepared in
   * the background like a geometry change.
   *
   * Since: 0.4
   */
  g_object_class_install_property (gobject_class, PROP_REFERENCE_WHITE,
      g_param_spec_double ("reference-white", "Reference white",
          "cd/m² of the watermark's white on PQ and HLG frames (ITU-R "
          "BT.2408: 203); PQ, HLG and BT.2020 frames get the watermark's "
          "sRGB colours converted, others as they are",
          1.0, 10000.0, DEFAULT_REFERENCE_WHITE, PARAM_LIVE));

  gst_element_class_set_static_metadata (element_class,
      "NumPy watermark overlay", "Filter/Effect/Video",
      "Alpha-composites a NumPy .npy RGBA array onto video frames",
      "gst-npywatermark developers <dev@gst-npywatermark.invalid>");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_type_mark_as_plugin_api (NPW_TYPE_POSITION, 0);

  trans_class->transform_ip_on_passthrough = FALSE;
  trans_class->start = GST_DEBUG_FUNCPTR (gst_npy_watermark_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_npy_watermark_stop);
  trans_class->before_transform =
      GST_DEBUG_FUNCPTR (gst_npy_watermark_before_transform);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (npw_composition_transform_caps);
  trans_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_npy_watermark_propose_allocation);
  trans_class->decide_allocation =
      GST_DEBUG_FUNCPTR (gst_npy_watermark_decide_allocation);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_npy_watermark_src_event);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_npy_watermark_transform_ip);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_npy_watermark_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_npy_watermark_transform_frame_ip);
}

static void
gst_npy_watermark_init (GstNpyWatermark * self)
{
  NpwGeometry geom = NPW_GEOMETRY_INIT;

  self->location = g_strdup (DEFAULT_LOCATION);
  self->opacity = DEFAULT_OPACITY;
  self->offset_x = DEFAULT_OFFSET_X;
  self->offset_y = DEFAULT_OFFSET_Y;
  self->max_size = DEFAULT_MAX_SIZE;
  self->geom = geom;
  self->loader = npw_loader_new (GST_ELEMENT (self));
  npw_stage_init (&self->stage, GST_ELEMENT (self), self->loader, &geom);
  self->rate_n = DEFAULT_ANIMATION_RATE_N;
  self->rate_d = DEFAULT_ANIMATION_RATE_D;
  self->loop = DEFAULT_ANIMATION_LOOP;
  /* Blending costs far less than a frame: dropping late frames here
   * would save little, and a swap's message must name a frame that is
   * output.  The "qos" property can still turn it on. */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}

static void
gst_npy_watermark_finalize (GObject * object)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (object);

  /* the loader is stopped first; the stage then hands it nothing */
  npw_loader_stop (self->loader);
  npw_stage_clear (&self->stage);
  npw_loader_free (self->loader);
  g_free (self->location);
  g_clear_pointer (&self->data, g_bytes_unref);

  G_OBJECT_CLASS (gst_npy_watermark_parent_class)->finalize (object);
}

/* Something to prepare changed while started: records what to ask the
 * loader for in *@req (with LOCK; its strings and bytes are copies, its
 * number orders it among all requests).  Hand it to
 * gst_npy_watermark_send_request () once the lock is released.  TRUE when
 * there is something to send. */
static gboolean
gst_npy_watermark_make_request (GstNpyWatermark * self, NpwRequest * req,
    gboolean reread, gboolean * any_reread)
{
  if (!self->started)
    return FALSE;
  req->location = g_strdup (self->location);
  req->data = self->data ? g_bytes_ref (self->data) : NULL;
  req->max_size = self->max_size;
  req->geom = self->geom;
  req->info = self->info;
  req->have_info = self->have_info;
  req->offset_x = self->offset_x;
  req->offset_y = self->offset_y;
  req->number = ++self->requests;
  *any_reread = reread;
  return TRUE;
}

/* Outside the lock: the loader copies @req (cleared here) and starts its
 * thread if none runs. */
static void
gst_npy_watermark_send_request (GstNpyWatermark * self, NpwRequest * req,
    gboolean reread)
{
  npw_loader_request (self->loader, req, reread);
  g_clear_pointer (&req->location, g_free);
  g_clear_pointer (&req->data, g_bytes_unref);
}

/* `data` as GStreamer 1.22 can write into a GES project and read back:
 * it serialises a GBytes as unquoted base64, which its parser takes only
 * without '=' padding, that is for a multiple of 3 bytes, and a NULL or
 * empty GBytes as nothing, which it cannot parse at all.  So the bytes
 * set are kept padded with NULs to a multiple of 3 (a .npy reader
 * ignores bytes after the array, as NumPy does), and unset `data` reads
 * as three NULs, which set back means unset, as an empty GBytes does. */
static const guint8 no_data[3];

/* One for the process: a GValue's copy must not be the last reference,
 * which PyGObject drops (GES's get_child_property () gave b""). */
static GBytes *
no_data_bytes (void)
{
  static GBytes *bytes;

  if (g_once_init_enter (&bytes))
    g_once_init_leave (&bytes, g_bytes_new_static (no_data, sizeof no_data));
  return bytes;
}

static gboolean
is_no_data (GBytes * bytes)
{
  gsize size;
  const guint8 *p = g_bytes_get_data (bytes, &size);

  return size <= sizeof (no_data) && memcmp (p, no_data, size) == 0;
}

static GBytes *
pad_data (GBytes * bytes)
{
  gsize size, padded;
  const guint8 *p = g_bytes_get_data (bytes, &size);
  guint8 *copy;

  if (size % 3 == 0)
    return bytes;
  padded = size + 3 - size % 3;
  copy = g_malloc0 (padded);
  memcpy (copy, p, size);
  g_bytes_unref (bytes);
  return g_bytes_new_take (copy, padded);
}

static void
gst_npy_watermark_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (object);
  GBytes *old_data = NULL;
  NpwRequest req = { 0, };
  gboolean send = FALSE, reread = FALSE;
  NpwGeometry geom;

  GST_OBJECT_LOCK (self);
  geom = self->geom;
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      /* even the same path: the file may have been rewritten */
      if (self->data == NULL)
        send = gst_npy_watermark_make_request (self, &req, TRUE, &reread);
      break;
    case PROP_DATA:
      old_data = self->data;
      self->data = g_value_dup_boxed (value);
      if (self->data && is_no_data (self->data))
        g_clear_pointer (&self->data, g_bytes_unref);
      else if (self->data)
        self->data = pad_data (self->data);
      if (self->data != old_data)
        send = gst_npy_watermark_make_request (self, &req, TRUE, &reread);
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
    case PROP_POSITION:
      self->geom.position = g_value_get_enum (value);
      break;
    case PROP_SIZE:
      self->geom.size = g_value_get_double (value);
      break;
    case PROP_TILE:
      self->geom.tile = g_value_get_boolean (value);
      break;
    case PROP_TILE_SPACING:
      self->geom.tile_spacing = g_value_get_int (value);
      break;
    case PROP_ANIMATION_RATE:
      self->rate_n = gst_value_get_fraction_numerator (value);
      self->rate_d = gst_value_get_fraction_denominator (value);
      break;
    case PROP_ANIMATION_LOOP:
      self->loop = g_value_get_boolean (value);
      break;
    case PROP_REFERENCE_WHITE:
      self->geom.reference_white = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  if (!npw_geometry_equal (&geom, &self->geom))
    send = gst_npy_watermark_make_request (self, &req, FALSE, &reread);
  GST_OBJECT_UNLOCK (self);
  if (send)
    gst_npy_watermark_send_request (self, &req, reread);
  if (old_data)
    g_bytes_unref (old_data);
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
      if (self->data)
        g_value_set_boxed (value, self->data);
      else
        g_value_set_boxed (value, no_data_bytes ());
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
    case PROP_POSITION:
      g_value_set_enum (value, self->geom.position);
      break;
    case PROP_SIZE:
      g_value_set_double (value, self->geom.size);
      break;
    case PROP_TILE:
      g_value_set_boolean (value, self->geom.tile);
      break;
    case PROP_TILE_SPACING:
      g_value_set_int (value, self->geom.tile_spacing);
      break;
    case PROP_ANIMATION_RATE:
      gst_value_set_fraction (value, self->rate_n, self->rate_d);
      break;
    case PROP_ANIMATION_LOOP:
      g_value_set_boolean (value, self->loop);
      break;
    case PROP_REFERENCE_WHITE:
      g_value_set_double (value, self->geom.reference_white);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}


/* start () reads the watermark (an error there is fatal), on the
 * application thread, before any buffer.  A property changed while it
 * reads is acted on once it is done, as it would be while PLAYING. */
static gboolean
gst_npy_watermark_start (GstBaseTransform * trans)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (trans);
  g_autofree gchar *location = NULL;
  g_autoptr (GBytes) data = NULL;
  NpwGeometry geom;
  guint max_size;
  gboolean reread, send = FALSE;
  NpwRequest req = { 0, };

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  data = self->data ? g_bytes_ref (self->data) : NULL;
  max_size = self->max_size;
  geom = self->geom;
  self->stage.geom = geom;
  GST_OBJECT_UNLOCK (self);

  /* size is a fraction: size=10 (a percentage typed into it) draws the
   * watermark ten times the frame.  Said, not refused: above 1 is valid,
   * only rarely meant. */
  if (self->stage.geom.size > 1.0)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("size=%g makes the watermark %g times the frame's size: size is "
            "a fraction (0.2 is a fifth of the frame).",
            self->stage.geom.size, self->stage.geom.size), (NULL));

  if (!npw_stage_load (&self->stage, GST_ELEMENT (self), data, location,
          max_size))
    return FALSE;
  npw_loader_start (self->loader, self->stage.source);

  GST_OBJECT_LOCK (self);
  self->started = TRUE;
  /* what was set during the read: in the background, as when PLAYING */
  reread = self->data != data || (self->data == NULL &&
      g_strcmp0 (self->location, location) != 0);
  if (reread || !npw_geometry_equal (&geom, &self->geom)) {
    GST_DEBUG_OBJECT (self, "properties changed during start");
    send = gst_npy_watermark_make_request (self, &req, reread, &reread);
  }
  GST_OBJECT_UNLOCK (self);
  if (send)
    gst_npy_watermark_send_request (self, &req, reread);
  return TRUE;
}

/* Nothing of ours runs, and no watermark pixels are held, once it
 * returns: the loader's thread is cancelled and joined. */
static gboolean
gst_npy_watermark_stop (GstBaseTransform * trans)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (trans);

  GST_OBJECT_LOCK (self);
  self->started = FALSE;
  self->have_info = FALSE;
  GST_OBJECT_UNLOCK (self);
  npw_loader_stop (self->loader);
  npw_stage_reset (&self->stage);
  return TRUE;
}

static void
gst_npy_watermark_post_prepare_error (GstNpyWatermark * self,
    const GError * error, gboolean fatal)
{
  g_autofree gchar *name = NULL;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->data ? "(data)" : self->location);
  GST_OBJECT_UNLOCK (self);
  npw_show_post_error (GST_ELEMENT (self), self->stage.source, name,
      &self->stage.info, error, fatal);
}

static gboolean
gst_npy_watermark_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (filter);
  g_autoptr (GError) error = NULL;
  gint offset_x, offset_y;
  guint max_size;
  NpwRequest req = { 0, };
  gboolean send = FALSE, reread = FALSE;

  GST_OBJECT_LOCK (self);
  self->info = *in_info;
  self->have_info = TRUE;
  offset_x = self->offset_x;
  offset_y = self->offset_y;
  max_size = self->max_size;
  GST_OBJECT_UNLOCK (self);
  /* What the loader prepares now is for the old caps: ask again, for
   * these (an animation's slices for them come from the stage).  A
   * request made since the caps were stored is for them already. */
  if (npw_loader_busy (self->loader)) {
    GST_OBJECT_LOCK (self);
    send = gst_npy_watermark_make_request (self, &req, FALSE, &reread);
    GST_OBJECT_UNLOCK (self);
  }
  if (send)
    gst_npy_watermark_send_request (self, &req, reread);

  if (npw_stage_set_caps (&self->stage, outcaps, in_info, max_size,
          offset_x, offset_y, &error))
    return TRUE;
  if (error)
    gst_npy_watermark_post_prepare_error (self, error, TRUE);
  else
    GST_ERROR_OBJECT (self, "unsupported format %s",
        GST_VIDEO_INFO_NAME (in_info));
  return FALSE;
}


static void
gst_npy_watermark_before_transform (GstBaseTransform * trans, GstBuffer * buf)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (trans);
  GstClockTime timestamp = GST_BUFFER_PTS (buf);
  GstClockTime stream_time;
  g_autoptr (GError) error = NULL;
  NpwLoaded result;
  gint rate_n, rate_d, x, y;
  gboolean loop;
  gdouble opacity;
  guint max_size;

  /* Controlled properties take the value for this buffer's time. */
  stream_time = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME,
      timestamp);
  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    gst_object_sync_values (GST_OBJECT (self), stream_time);

  if (npw_loader_take (self->loader, &result))
    npw_stage_take (&self->stage, GST_ELEMENT (self), &result, timestamp);

  /* One consistent set of values for the whole frame. */
  GST_OBJECT_LOCK (self);
  opacity = self->opacity;
  x = self->offset_x;
  y = self->offset_y;
  rate_n = self->rate_n;
  rate_d = self->rate_d;
  loop = self->loop;
  max_size = self->max_size;
  GST_OBJECT_UNLOCK (self);

  if (!npw_stage_frame (&self->stage, trans->srcpad, stream_time,
          npw_opacity_encode (opacity), x, y, rate_n, rate_d, loop,
          max_size, &error)) {
    gst_npy_watermark_post_prepare_error (self, error, FALSE);
    npw_stage_set_source (&self->stage, NULL);
  }
  gst_base_transform_set_passthrough (trans, !self->stage.draw);
}


static GstFlowReturn
gst_npy_watermark_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  npw_stage_blend (&GST_NPY_WATERMARK (filter)->stage, frame);
  return GST_FLOW_OK;
}

/* Only the metas that stay correct through us go upstream. */
static gboolean
gst_npy_watermark_propose_allocation (GstBaseTransform * trans,
    GstQuery * decide_query, GstQuery * query)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (trans);

  if (!GST_BASE_TRANSFORM_CLASS
      (gst_npy_watermark_parent_class)->propose_allocation (trans, decide_query,
          query))
    return FALSE;
  npw_composition_decide (self->stage.compo, trans->srcpad);
  npw_composition_filter_metas (self->stage.compo, query);
  return TRUE;
}

/* Downstream's answer, on every reconfigure (textoverlay renegotiates
 * on each): whether it takes the composition meta, and its window size. */
static gboolean
gst_npy_watermark_decide_allocation (GstBaseTransform * trans, GstQuery * query)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (trans);
  GstCaps *caps;

  gst_query_parse_allocation (query, &caps, NULL);
  if (caps)
    npw_composition_decide_query (self->stage.compo, trans->srcpad, caps,
        query);
  return GST_BASE_TRANSFORM_CLASS
      (gst_npy_watermark_parent_class)->decide_allocation (trans, query);
}

/* textoverlay renegotiates on every reconfigure; GstBaseTransform does
 * not ask downstream again when the caps stay the same. */
static gboolean
gst_npy_watermark_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE)
    npw_composition_reconfigure (self->stage.compo);
  return GST_BASE_TRANSFORM_CLASS (gst_npy_watermark_parent_class)->src_event
      (trans, event);
}

/* Attaches the composition or, through GstVideoFilter, blends. */
static GstFlowReturn
gst_npy_watermark_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstNpyWatermark *self = GST_NPY_WATERMARK (trans);
  NpwStage *stage = &self->stage;
  g_autoptr (GError) error = NULL;
  guint max_size;

  /* new caps may have come since before_transform () */
  npw_composition_decide (stage->compo, trans->srcpad);
  if (!npw_composition_attaching (stage->compo))
    return stage->prep == NULL ? GST_FLOW_OK :
        GST_BASE_TRANSFORM_CLASS (gst_npy_watermark_parent_class)->transform_ip
        (trans, buf);
  GST_OBJECT_LOCK (self);
  max_size = self->max_size;
  GST_OBJECT_UNLOCK (self);
  if (!npw_composition_attach (stage->compo, buf, stage->source,
          stage->slice, &stage->info, &stage->geom, max_size, stage->x,
          stage->y, NPW_OPACITY_8 (stage->op), &error))
    gst_npy_watermark_post_prepare_error (self, error, FALSE);
  return GST_FLOW_OK;
}
