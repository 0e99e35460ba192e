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

#include <string.h>
#include <gio/gio.h>

#include "loader.h"

GST_DEBUG_CATEGORY_EXTERN (gst_npy_watermark_debug);
#define GST_CAT_DEFAULT gst_npy_watermark_debug

struct _NpwLoader
{
  GMutex lock;
  /* with lock */
  guint serial;                 /* bumped by every request and reset */
  guint source_serial;          /* bumped by every request that rereads */
  gboolean dirty;               /* location or data must be read again */
  NpwRequest request;           /* the newest */
  NpwSource *latest;            /* what the streaming thread will show */
  NpwLoaded result;
  gboolean done;                /* result holds a finished request */
  gboolean carry_changed;       /* a new watermark was in a dropped result */

  GThreadPool *pool;            /* one thread: newer requests win */
};

static void
request_clear (NpwRequest * req)
{
  g_clear_pointer (&req->location, g_free);
  g_clear_pointer (&req->data, g_bytes_unref);
}

static void
request_copy (NpwRequest * dst, const NpwRequest * src)
{
  *dst = *src;
  dst->location = g_strdup (src->location);
  dst->data = src->data ? g_bytes_ref (src->data) : NULL;
}

void
npw_loaded_clear (NpwLoaded * loaded)
{
  g_clear_pointer (&loaded->source, npw_source_unref);
  g_clear_pointer (&loaded->prep, npw_prepared_free);
  g_clear_pointer (&loaded->slices, npw_slices_free);
  g_clear_error (&loaded->error);
  g_clear_pointer (&loaded->location, g_free);
  memset (loaded, 0, sizeof (*loaded));
}

/* Stacks for animations; uint16 and float arrays keep their 16 bits, for
 * deep frames. */
#define READ_FLAGS (NPY_READ_STACK | NPY_READ_DEPTH_AUTO)

NpyImage *
npw_read_image (GBytes * data, const gchar * location, guint max_size,
    GError ** error)
{
  /* a stack may take the memory of one max_size square still read at
   * 16 bits per channel (the reader counts 16-bit values twice) */
  guint64 max_bytes = (guint64) max_size * max_size * 8;

  if (data) {
    gsize size;
    const guint8 *bytes = g_bytes_get_data (data, &size);

    return npy_image_new_from_data_full (bytes, size, max_size, max_bytes,
        READ_FLAGS, error);
  }
  return npy_image_new_from_file_full (location, max_size, max_bytes,
      READ_FLAGS, error);
}

/* npw_read_image () made a source; NULL with @error set when either
 * fails (a 16-bit array also needs memory for its 8-bit copy). */
static NpwSource *
read_source (GBytes * data, const gchar * location, guint max_size,
    GError ** error)
{
  NpyImage *image = npw_read_image (data, location, max_size, error);
  guint w, h;
  NpwSource *source;

  if (image == NULL)
    return NULL;
  w = image->width;
  h = image->height;
  source = npw_source_new (image);
  if (source == NULL)
    g_set_error (error, NPY_ERROR, NPY_ERROR_FAILED,
        "%s: not enough memory to hold the %ux%u watermark",
        data ? "data" : location, w, h);
  return source;
}

static void
loader_job (gpointer data, gpointer user_data)
{
  NpwLoader *loader = user_data;
  guint serial = GPOINTER_TO_UINT (data), source_serial;
  NpwLoaded result = { 0, }, stale = { 0, };
  NpwSource *old = NULL;
  NpwRequest req;
  gboolean reread;

  g_mutex_lock (&loader->lock);
  if (serial != loader->serial) {
    g_mutex_unlock (&loader->lock);
    return;
  }
  reread = loader->dirty;
  source_serial = loader->source_serial;
  request_copy (&req, &loader->request);
  result.source = loader->latest ? npw_source_ref (loader->latest) : NULL;
  g_mutex_unlock (&loader->lock);

  /* what the loaded message names: NULL for data, or for no watermark */
  if (req.data == NULL && req.location && req.location[0])
    result.location = g_strdup (req.location);
  if (reread) {
    NpwSource *source = NULL;

    if (req.data || result.location) {
      GST_DEBUG ("reading %s", req.data ? "data" : result.location);
      source = read_source (req.data, result.location, req.max_size,
          &result.error);
    }
    if (result.error == NULL) {
      old = g_steal_pointer (&result.source);
      result.source = source;
      result.changed = TRUE;
    }
  }
  /* every chroma phase, so that the streaming thread only swaps
   * pointers, whatever the offsets (unless the caps change meanwhile) */
  if (result.source && req.have_info &&
      npw_source_get_image (result.source)->n_frames > 1) {
    GError *error = NULL;

    result.slices = npw_slices_new (result.source, &req.info, &req.geom,
        req.max_size, req.offset_x, req.offset_y, TRUE, &error);
    /* a new animation past the limit is refused as a bad file is */
    if (result.slices == NULL && result.changed &&
        g_error_matches (error, NPW_ANIMATION_ERROR,
            NPW_ANIMATION_ERROR_TOO_LARGE)) {
      g_clear_pointer (&result.source, npw_source_unref);
      result.source = g_steal_pointer (&old);
      result.changed = FALSE;
      result.error = g_steal_pointer (&error);
    }
    g_clear_error (&error);
  } else if (result.source && req.have_info) {
    result.prep = npw_prepared_new (result.source, &req.info, &req.geom,
        req.max_size, req.offset_x, req.offset_y, TRUE);
  }
  if (old)
    npw_source_unref (old);
  result.geom = req.geom;
  request_clear (&req);

  g_mutex_lock (&loader->lock);
  if (reread && result.error == NULL && source_serial == loader->source_serial) {
    /* later requests prepare this one, not read it again */
    g_clear_pointer (&loader->latest, npw_source_unref);
    loader->latest = result.source ? npw_source_ref (result.source) : NULL;
    loader->dirty = FALSE;
  }
  if (serial == loader->serial) {
    result.changed |= loader->carry_changed;
    loader->carry_changed = FALSE;
    stale = loader->result;
    loader->result = result;
    loader->done = TRUE;
    memset (&result, 0, sizeof (result));
  }
  g_mutex_unlock (&loader->lock);
  npw_loaded_clear (&stale);
  npw_loaded_clear (&result);
}

NpwLoader *
npw_loader_new (void)
{
  NpwLoader *loader = g_new0 (NpwLoader, 1);

  g_mutex_init (&loader->lock);
  loader->pool = g_thread_pool_new (loader_job, loader, 1, FALSE, NULL);
  return loader;
}

void
npw_loader_free (NpwLoader * loader)
{
  /* every queued job is stale now: each runs, sees so and returns */
  g_mutex_lock (&loader->lock);
  loader->serial++;
  g_mutex_unlock (&loader->lock);
  g_thread_pool_free (loader->pool, FALSE, TRUE);
  npw_loaded_clear (&loader->result);
  request_clear (&loader->request);
  g_clear_pointer (&loader->latest, npw_source_unref);
  g_mutex_clear (&loader->lock);
  g_free (loader);
}

void
npw_loader_reset (NpwLoader * loader, NpwSource * source)
{
  NpwLoaded stale = { 0, };

  g_mutex_lock (&loader->lock);
  loader->serial++;             /* a job in progress is now stale */
  loader->dirty = FALSE;
  loader->done = FALSE;
  loader->carry_changed = FALSE;
  stale = loader->result;
  memset (&loader->result, 0, sizeof (loader->result));
  g_clear_pointer (&loader->latest, npw_source_unref);
  loader->latest = source ? npw_source_ref (source) : NULL;
  g_mutex_unlock (&loader->lock);
  npw_loaded_clear (&stale);
}

void
npw_loader_request (NpwLoader * loader, const NpwRequest * req, gboolean reread)
{
  NpwLoaded stale = { 0, };
  NpwRequest old;

  g_mutex_lock (&loader->lock);
  old = loader->request;
  request_copy (&loader->request, req);
  loader->serial++;
  if (reread) {
    loader->source_serial++;
    loader->dirty = TRUE;
  }
  /* a result nobody took yet is stale, but not the news it carried */
  stale = loader->result;
  loader->carry_changed |= loader->done && stale.changed;
  memset (&loader->result, 0, sizeof (loader->result));
  loader->done = FALSE;
  g_thread_pool_push (loader->pool, GUINT_TO_POINTER (loader->serial), NULL);
  g_mutex_unlock (&loader->lock);
  request_clear (&old);
  npw_loaded_clear (&stale);
}

gboolean
npw_loader_take (NpwLoader * loader, NpwLoaded * out)
{
  gboolean done;

  g_mutex_lock (&loader->lock);
  done = loader->done;
  if (done) {
    *out = loader->result;
    memset (&loader->result, 0, sizeof (loader->result));
    loader->done = FALSE;
  }
  g_mutex_unlock (&loader->lock);
  return done;
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

void
npw_kept_set (NpwKept * kept, NpwSource * source)
{
  g_clear_pointer (&kept->source, npw_source_unref);
  g_clear_pointer (&kept->data, g_bytes_unref);
  g_clear_pointer (&kept->location, g_free);
  g_clear_pointer (&kept->stamp, g_free);
  kept->source = source;
}

gboolean
npw_kept_load (NpwKept * kept, GBytes * data, const gchar * location,
    guint max_size, GError ** error)
{
  g_autofree gchar *stamp = NULL;
  NpwSource *source;

  if (data == NULL)
    stamp = file_stamp (location);
  if (kept->source && kept->max_size == max_size && (data ?
          kept->data == data : stamp && !g_strcmp0 (kept->location, location)
          && !g_strcmp0 (kept->stamp, stamp))) {
    GST_DEBUG ("%s unchanged, not read again", data ? "data" : location);
    return TRUE;
  }
  source = read_source (data, location, max_size, error);
  npw_kept_set (kept, source);
  if (source == NULL)
    return FALSE;
  kept->data = data ? g_bytes_ref (data) : NULL;
  kept->location = data ? NULL : g_strdup (location);
  kept->stamp = g_steal_pointer (&stamp);
  kept->max_size = max_size;
  GST_INFO ("loaded %s: %ux%u, %u frames", data ? "data" : location,
      npw_source_get_image (source)->width,
      npw_source_get_image (source)->height,
      npw_source_get_image (source)->n_frames);
  return TRUE;
}
