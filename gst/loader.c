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

/* What a read found out, until a result tells it. */
typedef struct
{
  gboolean pending;
  gboolean changed;
  GError *error;
  gboolean from_data;
  gchar *location;
} News;

struct _NpwLoader
{
  GstElement *element;          /* for the log */

  GMutex lock;
  /* with lock */
  gboolean started;             /* between npw_loader_start () and _stop () */
  guint serial;                 /* bumped by every request and stop */
  guint source_serial;          /* bumped by every reread request and stop */
  gboolean dirty;               /* location or data must be read again */
  NpwRequest request;           /* the newest (by number) */
  gboolean have_request;
  gboolean pending;             /* request not taken by the thread yet */
  NpwSource *latest;            /* what the streaming thread will show */
  News news;                    /* from a read whose result went stale */
  NpwLoaded result;
  gboolean done;                /* result holds a finished request */
  gboolean working;             /* a request is being run */
  NpwSlices *fill;              /* a set to complete once no request waits */
  GThread *thread;              /* runs while there are requests or a set */
  gboolean running;             /* to fill, until it sees none left */
  GCancellable *cancellable;    /* cancelled by stop () */
  gint cancelled;               /* atomic: the same, for npy.c's reads */
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

static void
news_clear (News * news)
{
  g_clear_error (&news->error);
  g_clear_pointer (&news->location, g_free);
  memset (news, 0, sizeof (*news));
}

/* Moves @loaded's news to @news (empty). */
static void
news_from_loaded (News * news, NpwLoaded * loaded)
{
  news->pending = loaded->changed || loaded->error;
  news->changed = loaded->changed;
  news->error = g_steal_pointer (&loaded->error);
  news->from_data = loaded->from_data;
  news->location = g_steal_pointer (&loaded->location);
  loaded->changed = FALSE;
  loaded->from_data = FALSE;
}

/* Moves @news (emptied) to @loaded, which has none. */
static void
news_to_loaded (News * news, NpwLoaded * loaded)
{
  if (!news->pending)
    return;
  loaded->changed = news->changed;
  loaded->error = g_steal_pointer (&news->error);
  loaded->from_data = news->from_data;
  loaded->location = g_steal_pointer (&news->location);
  news_clear (news);
}

void
npw_loaded_clear (NpwLoaded * loaded)
{
  g_clear_pointer (&loaded->source, npw_source_unref);
  g_clear_pointer (&loaded->prep, npw_prepared_free);
  g_clear_pointer (&loaded->slices, npw_slices_unref);
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

NpwSource *
npw_read_source (GBytes * data, const gchar * location, guint max_size,
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
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
        "%s: not enough memory to hold the %ux%u watermark",
        data ? "data" : location, w, h);
  return source;
}

/* One request, on the loader's thread: read when @reread, then prepare
 * for the request's caps.  @result holds the latest source on entry. */
static void
run_request (NpwLoader * loader, const NpwRequest * req, gboolean reread,
    NpwLoaded * result)
{
  NpwSource *old = NULL;

  if (reread) {
    NpwSource *source = NULL;

    result->from_data = req->data != NULL;
    if (req->data == NULL && req->location && req->location[0])
      result->location = g_strdup (req->location);
    if (req->data || result->location) {
      GST_DEBUG_OBJECT (loader->element, "reading %s",
          req->data ? "data" : result->location);
      source = npw_read_source (req->data, result->location, req->max_size,
          &result->error);
    }
    if (result->error == NULL) {
      old = g_steal_pointer (&result->source);
      result->source = source;
      result->changed = TRUE;
    }
  }
  if (g_cancellable_is_cancelled (loader->cancellable))
    goto done;

  /* every chroma phase, so that the streaming thread only swaps
   * pointers, whatever the offsets (unless the caps change meanwhile) */
  if (result->source && req->have_info &&
      npw_source_get_image (result->source)->n_frames > 1) {
    GError *error = NULL;

    result->slices = npw_slices_new (result->source, &req->info, &req->geom,
        req->max_size, req->offset_x, req->offset_y, TRUE, &error);
    GST_DEBUG_OBJECT (loader->element, "prepared %u slices for %s: %s",
        npw_source_get_image (result->source)->n_frames,
        GST_VIDEO_INFO_NAME (&req->info), error ? error->message : "done");
    /* a new animation past the limit is refused as a bad file is */
    if (result->slices == NULL && result->changed &&
        g_error_matches (error, NPW_ANIMATION_ERROR,
            NPW_ANIMATION_ERROR_TOO_LARGE)) {
      g_clear_pointer (&result->source, npw_source_unref);
      result->source = g_steal_pointer (&old);
      result->changed = FALSE;
      result->error = g_steal_pointer (&error);
    }
    g_clear_error (&error);
  } else if (result->source && req->have_info) {
    result->prep = npw_prepared_new (result->source, &req->info, &req->geom,
        req->max_size, req->offset_x, req->offset_y, TRUE);
  }
done:
  if (old)
    npw_source_unref (old);
  result->geom = req->geom;
}

/* One slice of the set to fill, then back (lock held on entry and
 * return): a request that comes meanwhile waits at most that long. */
static void
fill_one (NpwLoader * loader)
{
  NpwSlices *slices = npw_slices_ref (loader->fill), *done = NULL;
  gboolean more;

  g_mutex_unlock (&loader->lock);
  more = npw_slices_fill_one (slices);
  g_mutex_lock (&loader->lock);
  /* the streaming thread may have handed over another set meanwhile
   * (ours holds a reference, so its address is not reused) */
  if (!more && loader->fill == slices)
    done = g_steal_pointer (&loader->fill);
  g_mutex_unlock (&loader->lock);
  /* logs name the element, whose lock they may take: not under ours */
  if (done)
    GST_DEBUG_OBJECT (loader->element, "every slice prepared");
  npw_slices_unref (slices);
  npw_slices_unref (done);
  g_mutex_lock (&loader->lock);
}

/* The loader's thread: takes the newest request until none is left,
 * then fills the streaming thread's set of slices (requests first, so a
 * new watermark or geometry does not wait for slices of the old one),
 * then ends (or as soon as stop () cancels); npw_loader_request () and
 * npw_loader_fill () start another. */
static gpointer
loader_thread (gpointer data)
{
  NpwLoader *loader = data;

  /* a read in progress gives up between chunks when stop () comes */
  npy_set_thread_cancel_flag (&loader->cancelled);
  g_mutex_lock (&loader->lock);
  while ((loader->pending || loader->fill) &&
      !g_cancellable_is_cancelled (loader->cancellable)) {
    guint serial = loader->serial, source_serial = loader->source_serial;
    gboolean reread = loader->dirty;
    NpwLoaded result = { 0, }, stale = { 0, };
    NpwRequest req;

    if (!loader->pending) {
      fill_one (loader);
      continue;
    }
    loader->pending = FALSE;
    loader->working = TRUE;
    request_copy (&req, &loader->request);
    result.source = loader->latest ? npw_source_ref (loader->latest) : NULL;
    g_mutex_unlock (&loader->lock);

    run_request (loader, &req, reread, &result);
    request_clear (&req);

    g_mutex_lock (&loader->lock);
    loader->working = FALSE;
    if (reread && source_serial == loader->source_serial) {
      /* read once: later requests prepare this, not read it again (a
       * file that could not be read is not retried, nor warned about
       * again, until the location is set again) */
      if (result.error == NULL) {
        g_clear_pointer (&loader->latest, npw_source_unref);
        loader->latest = result.source ? npw_source_ref (result.source) : NULL;
      }
      loader->dirty = FALSE;
      /* told by this result, or by the next one when this is stale */
      news_clear (&loader->news);
      news_from_loaded (&loader->news, &result);
    }
    if (serial == loader->serial) {
      news_to_loaded (&loader->news, &result);
      stale = loader->result;
      loader->result = result;
      loader->done = TRUE;
      memset (&result, 0, sizeof (result));
    }
    g_mutex_unlock (&loader->lock);
    npw_loaded_clear (&stale);
    npw_loaded_clear (&result);
    g_mutex_lock (&loader->lock);
  }
  loader->running = FALSE;
  g_mutex_unlock (&loader->lock);
  return NULL;
}

NpwLoader *
npw_loader_new (GstElement * element)
{
  NpwLoader *loader = g_new0 (NpwLoader, 1);

  loader->element = element;
  g_mutex_init (&loader->lock);
  loader->cancellable = g_cancellable_new ();
  return loader;
}

void
npw_loader_free (NpwLoader * loader)
{
  npw_loader_stop (loader);
  g_object_unref (loader->cancellable);
  g_mutex_clear (&loader->lock);
  g_free (loader);
}

void
npw_loader_start (NpwLoader * loader, NpwSource * source)
{
  g_mutex_lock (&loader->lock);
  loader->started = TRUE;
  g_clear_pointer (&loader->latest, npw_source_unref);
  loader->latest = source ? npw_source_ref (source) : NULL;
  g_mutex_unlock (&loader->lock);
}

void
npw_loader_stop (NpwLoader * loader)
{
  NpwLoaded stale = { 0, };
  NpwRequest request;
  NpwSource *latest;
  NpwSlices *fill;
  GThread *thread;

  g_mutex_lock (&loader->lock);
  loader->started = FALSE;
  loader->serial++;             /* what runs now is stale */
  loader->source_serial++;
  loader->dirty = FALSE;
  loader->pending = FALSE;
  g_cancellable_cancel (loader->cancellable);
  g_atomic_int_set (&loader->cancelled, 1);
  thread = g_steal_pointer (&loader->thread);
  stale = loader->result;
  memset (&loader->result, 0, sizeof (loader->result));
  loader->done = FALSE;
  request = loader->request;
  memset (&loader->request, 0, sizeof (loader->request));
  loader->have_request = FALSE;
  latest = g_steal_pointer (&loader->latest);
  fill = g_steal_pointer (&loader->fill);
  news_clear (&loader->news);
  g_mutex_unlock (&loader->lock);

  if (thread) {
    GST_DEBUG_OBJECT (loader->element, "waiting for the loader thread");
    g_thread_join (thread);
  }
  g_cancellable_reset (loader->cancellable);
  g_atomic_int_set (&loader->cancelled, 0);
  npw_loaded_clear (&stale);
  request_clear (&request);
  if (latest)
    npw_source_unref (latest);
  npw_slices_unref (fill);
}

/* With lock: makes sure the thread runs.  Returns one that said it ends,
 * to be joined once the lock is released (it does no more after that). */
static GThread *
loader_wake (NpwLoader * loader)
{
  GThread *ended = NULL;

  if (!loader->running) {
    ended = g_steal_pointer (&loader->thread);
    loader->running = TRUE;
    loader->thread = g_thread_new ("npw-loader", loader_thread, loader);
  }
  return ended;
}

void
npw_loader_request (NpwLoader * loader, const NpwRequest * req, gboolean reread)
{
  NpwLoaded stale = { 0, };
  NpwRequest old = { 0, };
  GThread *ended = NULL;

  g_mutex_lock (&loader->lock);
  if (!loader->started || (!reread && loader->have_request &&
          (gint) (req->number - loader->request.number) <= 0)) {
    /* not started, or a newer request holds everything this one does */
    g_mutex_unlock (&loader->lock);
    return;
  }
  if (!loader->have_request ||
      (gint) (req->number - loader->request.number) > 0) {
    old = loader->request;
    request_copy (&loader->request, req);
    loader->have_request = TRUE;
  }
  loader->serial++;
  stale = loader->result;
  memset (&loader->result, 0, sizeof (loader->result));
  if (reread) {
    /* what an older read found out never takes effect */
    loader->source_serial++;
    loader->dirty = TRUE;
    news_clear (&loader->news);
  } else if (loader->done) {
    /* a result nobody took yet is stale, but not the news it carried */
    news_clear (&loader->news);
    news_from_loaded (&loader->news, &stale);
  }
  loader->done = FALSE;
  loader->pending = TRUE;
  ended = loader_wake (loader);
  g_mutex_unlock (&loader->lock);
  if (ended)
    g_thread_join (ended);
  request_clear (&old);
  npw_loaded_clear (&stale);
}

void
npw_loader_fill (NpwLoader * loader, NpwSlices * slices)
{
  NpwSlices *old;
  GThread *ended = NULL;

  if (slices && npw_slices_is_complete (slices))
    slices = NULL;
  g_mutex_lock (&loader->lock);
  if (!loader->started) {
    g_mutex_unlock (&loader->lock);
    return;
  }
  old = loader->fill;
  loader->fill = slices ? npw_slices_ref (slices) : NULL;
  if (slices)
    ended = loader_wake (loader);
  g_mutex_unlock (&loader->lock);
  if (ended)
    g_thread_join (ended);
  npw_slices_unref (old);
}

gboolean
npw_loader_busy (NpwLoader * loader)
{
  gboolean busy;

  g_mutex_lock (&loader->lock);
  busy = loader->pending || loader->working || loader->done;
  g_mutex_unlock (&loader->lock);
  return busy;
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

void
npw_loader_post_error (GstElement * element, const gchar * name,
    const GError * error, gboolean fatal)
{
  GQuark domain = GST_RESOURCE_ERROR;
  gint code = GST_RESOURCE_ERROR_READ;
  g_autofree gchar *text = NULL;
  const gchar *why = "";

  if (error->domain == G_FILE_ERROR) {
    if (error->code == G_FILE_ERROR_NOENT) {
      code = GST_RESOURCE_ERROR_NOT_FOUND;
      why = ": no such file";
    } else if (error->code == G_FILE_ERROR_NOMEM) {
      domain = GST_CORE_ERROR;
      code = GST_CORE_ERROR_FAILED;
      why = ": not enough memory";
    } else if (error->code != G_FILE_ERROR_IO) {
      code = GST_RESOURCE_ERROR_OPEN_READ;
    }
  } else if (g_error_matches (error, NPY_ERROR, NPY_ERROR_FAILED)) {
    code = GST_RESOURCE_ERROR_OPEN_READ;        /* not a regular file */
  }
  if (name)
    text = g_strdup_printf ("Could not load watermark \"%s\"%s", name, why);
  else
    text = g_strdup_printf ("Could not load the watermark given as data%s",
        why);

  if (fatal)
    gst_element_message_full (element, GST_MESSAGE_ERROR, domain, code,
        g_strdup_printf ("%s.", text), g_strdup (error->message), __FILE__,
        GST_FUNCTION, __LINE__);
  else
    gst_element_message_full (element, GST_MESSAGE_WARNING, domain, code,
        g_strdup_printf ("%s; keeping the previous one.", text),
        g_strdup (error->message), __FILE__, GST_FUNCTION, __LINE__);
}
