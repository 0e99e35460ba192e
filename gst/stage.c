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

#include "stage.h"

GST_DEBUG_CATEGORY_EXTERN (gst_npy_watermark_debug);
#define GST_CAT_DEFAULT gst_npy_watermark_debug

void
npw_stage_init (NpwStage * stage, GstElement * element, NpwLoader * loader,
    const NpwGeometry * geom)
{
  memset (stage, 0, sizeof (*stage));
  stage->element = element;
  stage->loader = loader;
  stage->geom = *geom;
  stage->show.owner = GST_OBJECT (element);
  stage->compo = npw_composition_new (GST_OBJECT (element));
}

void
npw_stage_clear (NpwStage * stage)
{
  npw_stage_reset (stage);
  g_clear_pointer (&stage->compo, npw_composition_free);
}

void
npw_stage_reset (NpwStage * stage)
{
  npw_stage_set_source (stage, NULL);
  npw_composition_reset (stage->compo);
  stage->have_info = FALSE;
  stage->draw = FALSE;
}

/* A set of slices that a second frame uses (or none) goes to the
 * background to be completed, and the one before stops being filled. */
static void
npw_stage_hand_over (NpwStage * stage)
{
  if (!stage->show.slices_changed)
    return;
  stage->show.slices_changed = FALSE;
  npw_loader_fill (stage->loader, stage->show.slices_fresh ? NULL :
      stage->show.slices);
}

void
npw_stage_set_source (NpwStage * stage, NpwSource * source)
{
  if (source && source == stage->source) {
    npw_source_unref (source);
    return;
  }
  npw_show_clear (&stage->show);
  npw_stage_hand_over (stage);
  stage->prep = NULL;
  g_clear_pointer (&stage->source, npw_source_unref);
  stage->source = source;
}

gboolean
npw_stage_load (NpwStage * stage, GstElement * element, GBytes * data,
    const gchar * location, guint max_size)
{
  g_autoptr (GError) error = NULL;
  NpwSource *source;

  if (data == NULL && (location == NULL || location[0] == '\0')) {
    GST_WARNING_OBJECT (element, "no location set, passing buffers through");
    npw_stage_set_source (stage, NULL);
    return TRUE;
  }
  source = npw_read_source (data, location, max_size, &error);
  npw_stage_set_source (stage, source);
  if (source == NULL) {
    npw_loader_post_error (element, data ? NULL : location, error, TRUE);
    return FALSE;
  }
  GST_INFO_OBJECT (element, "loaded %s: %ux%u, %u frames",
      data ? "data" : location, npw_source_get_image (source)->width,
      npw_source_get_image (source)->height,
      npw_source_get_image (source)->n_frames);
  return TRUE;
}

gboolean
npw_stage_set_caps (NpwStage * stage, GstCaps * outcaps,
    const GstVideoInfo * info, guint max_size, gint offset_x, gint offset_y,
    GError ** error)
{
  gboolean ok;

  if (!npw_composition_set_caps (stage->compo, outcaps))
    return FALSE;
  stage->info = *info;
  stage->have_info = TRUE;

  if (npw_composition_attach_only (stage->compo))
    return TRUE;
  if (stage->source && npw_source_get_image (stage->source)->n_frames > 1) {
    /* which slice the first frame shows is known only then */
    ok = npw_show_set_caps (&stage->show, stage->source, info, &stage->geom,
        max_size, offset_x, offset_y, error);
    npw_stage_hand_over (stage);
    return ok;
  }
  /* a size seen before, or a pipeline reused for another picture of the
   * same format, finds its overlay in the cache */
  return npw_show_prepare (&stage->show, stage->source, info, &stage->geom,
      max_size, offset_x, offset_y, 0, &stage->prep, error);
}

void
npw_stage_take (NpwStage * stage, GstElement * element, NpwLoaded * result,
    GstClockTime timestamp)
{
  if (result->error)
    npw_loader_post_error (element, result->from_data ? NULL :
        result->location, result->error, FALSE);

  npw_stage_set_source (stage, g_steal_pointer (&result->source));
  stage->geom = result->geom;
  if (stage->have_info)
    npw_show_keep (&stage->show, &result->prep, &result->slices,
        stage->source, &stage->info, &stage->geom);
  npw_stage_hand_over (stage);

  if (result->changed) {
    GST_INFO_OBJECT (element, "switched to %s at %" GST_TIME_FORMAT,
        result->from_data ? "data" : result->location ? result->location :
        "(none)", GST_TIME_ARGS (timestamp));
    gst_element_post_message (element,
        gst_message_new_element (GST_OBJECT (element),
            gst_structure_new ("npywatermark-loaded",
                "location", G_TYPE_STRING, result->location,
                "data", G_TYPE_BOOLEAN, result->from_data,
                "timestamp", G_TYPE_UINT64, (guint64) timestamp, NULL)));
  }
  npw_loaded_clear (result);
}

gboolean
npw_stage_frame (NpwStage * stage, GstPad * srcpad, GstClockTime stream_time,
    guint op, gint x, gint y, gint rate_n, gint rate_d, gboolean loop,
    guint max_size, GError ** error)
{
  gboolean ok;

  stage->op = op;
  stage->x = x;
  stage->y = y;
  stage->draw = FALSE;
  if (stage->source == NULL || op == 0)
    return TRUE;

  npw_composition_decide (stage->compo, srcpad);
  stage->slice = npw_animation_slice (stream_time, rate_n, rate_d,
      npw_source_get_image (stage->source)->n_frames, loop);
  if (npw_composition_attach_only (stage->compo)) {
    stage->draw = TRUE;
    return TRUE;
  }
  /* the cached overlay serves unless the geometry or, for a watermark
   * larger than the frame, the offsets moved past what was cut */
  ok = npw_show_prepare (&stage->show, stage->source,
      stage->have_info ? &stage->info : NULL, &stage->geom, max_size,
      x, y, stage->slice, &stage->prep, error);
  npw_stage_hand_over (stage);
  if (!ok)
    return FALSE;
  stage->draw = npw_composition_attaching (stage->compo) ||
      (stage->prep != NULL && npw_prepared_is_visible (stage->prep, x, y, op));
  return TRUE;
}

/* Narrows @view to @crop's rectangle; FALSE when it lies outside. */
static gboolean
npw_stage_crop_view (GstVideoFrame * view, const GstVideoCropMeta * crop)
{
  const GstVideoFormatInfo *finfo = view->info.finfo;
  guint x = crop->x, y = crop->y, p, c, sub_w = 0, sub_h = 0;

  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
    sub_w = MAX (sub_w, GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c));
    sub_h = MAX (sub_h, GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c));
  }
  /* packed 4:2:2 units are two pixels wide too */
  x &= ~((1u << sub_w) - 1);
  y &= ~((1u << sub_h) - 1);
  if (x + crop->width > (guint) GST_VIDEO_FRAME_WIDTH (view)
      || y + crop->height > (guint) GST_VIDEO_FRAME_HEIGHT (view))
    return FALSE;
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (view); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];

    gst_video_format_info_component (finfo, p, comp);
    view->data[p] = (guint8 *) view->data[p] +
        (gsize) (y >> GST_VIDEO_FORMAT_INFO_H_SUB (finfo, comp[0])) *
        GST_VIDEO_FRAME_PLANE_STRIDE (view, p) +
        (gsize) (x >> GST_VIDEO_FORMAT_INFO_W_SUB (finfo, comp[0])) *
        GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp[0]);
  }
  GST_VIDEO_INFO_WIDTH (&view->info) = crop->width;
  GST_VIDEO_INFO_HEIGHT (&view->info) = crop->height;
  return TRUE;
}

void
npw_stage_blend (NpwStage * stage, GstVideoFrame * frame)
{
  GstVideoCropMeta *crop;
  GstVideoFrame view;

  if (!stage->draw || stage->prep == NULL)
    return;

  /* A frame with a crop meta (a videocrop before a sink that crops) is
   * the visible rectangle: draw there, from its top-left (rounded down
   * to whole chroma blocks in subsampled formats). */
  view = *frame;
  crop = gst_buffer_get_video_crop_meta (frame->buffer);
  if (crop && !npw_stage_crop_view (&view, crop))
    return;
  if (GST_VIDEO_FRAME_WIDTH (&view) != GST_VIDEO_INFO_WIDTH (&stage->info)
      || GST_VIDEO_FRAME_HEIGHT (&view) != GST_VIDEO_INFO_HEIGHT (&stage->info)) {
    GST_DEBUG_OBJECT (stage->element, "a %dx%d frame for %dx%d caps: "
        "not drawn",
        GST_VIDEO_FRAME_WIDTH (&view), GST_VIDEO_FRAME_HEIGHT (&view),
        GST_VIDEO_INFO_WIDTH (&stage->info),
        GST_VIDEO_INFO_HEIGHT (&stage->info));
    return;
  }
  npw_prepared_blend (stage->prep, &view, stage->x, stage->y, stage->op);
}
