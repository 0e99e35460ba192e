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


/* The background piece: a location or `data` turned into a source, and
 * prepared for the caps and geometry of the request, on one thread of
 * its own that exists only while there is work (none in READY/NULL);
 * between requests, the same thread completes the streaming thread's
 * set of animation slices.
 * The application thread makes requests (property changes), the
 * streaming thread takes the results at a frame boundary, and stop ()
 * cancels and joins whatever still runs.  A newer request makes older
 * ones stale; what a stale read found out (a new watermark, or why it
 * could not be read) is still told once, with the next result. */

#ifndef __NPW_LOADER_H__
#define __NPW_LOADER_H__

#include <gst/video/video.h>

#include "npy.h"
#include "geometry.h"
#include "prepare.h"
#include "animation.h"

G_BEGIN_DECLS

/* What a request prepares for: the element's properties and caps when it
 * was made. */
typedef struct
{
  gchar *location;
  GBytes *data;                 /* wins over location */
  guint max_size;
  NpwGeometry geom;
  GstVideoInfo info;
  gboolean have_info;
  gint offset_x, offset_y;
  guint number;                 /* a later change has a higher number */
} NpwRequest;

/* What a finished request produced. */
typedef struct
{
  NpwSource *source;            /* what to show (NULL: nothing) */
  NpwPrepared *prep;            /* prepared for the request's caps, or NULL */
  NpwSlices *slices;            /* the same for an animation */
  NpwGeometry geom;

  /* news from a read, told once (by this result or a later one when the
   * read's own result went stale): */
  gboolean changed;             /* source is a new watermark (or none) */
  GError *error;                /* the read failed; source is the old one */
  gboolean from_data;           /* what was read: the data property, */
  gchar *location;              /* or this file (NULL: none) */
} NpwLoaded;

typedef struct _NpwLoader NpwLoader;

/* @element names the log lines (not reffed: the element owns the
 * loader). */
NpwLoader *npw_loader_new (GstElement * element);

/* Stops, then frees. */
void npw_loader_free (NpwLoader * loader);

/* start (): later requests that do not reread prepare from @source (what
 * start () read; NULL: nothing). */
void npw_loader_start (NpwLoader * loader, NpwSource * source);

/* stop (): cancels the request in progress, waits for the thread to end
 * and drops every source, result and request: nothing of the loader
 * runs or holds pixels afterwards.  Application thread (state change). */
void npw_loader_stop (NpwLoader * loader);

/* Queues @req (its strings and bytes are copied); @reread: the location
 * or data changed and must be read.  Ignored when not started.  Any
 * thread, without the element's lock: requests from two threads may come
 * in either order, and one numbered before the newest only adds its
 * reread. */
void npw_loader_request (NpwLoader * loader, const NpwRequest * req,
    gboolean reread);

/* Completes @slices (the streaming thread's new set; NULL: none) in the
 * background, one slice at a time when no request waits, instead of
 * the set handed over before (which is no longer filled).  Ignored when
 * not started.  Streaming thread. */
void npw_loader_fill (NpwLoader * loader, NpwSlices * slices);

/* TRUE when a request is waiting, running, or finished and not taken
 * yet: its result is for the caps it was made with.  Any thread. */
gboolean npw_loader_busy (NpwLoader * loader);

/* Moves a finished result to @out; FALSE when there is none.  Streaming
 * thread. */
gboolean npw_loader_take (NpwLoader * loader, NpwLoaded * out);

void npw_loaded_clear (NpwLoaded * loaded);

/* Reads a watermark from @data when set, else from @location: a still
 * or an (N, H, W, C) stack, whose frames together may take no more
 * memory than one max_size x max_size still. */
NpyImage *npw_read_image (GBytes * data, const gchar * location,
    guint max_size, GError ** error);

/* npw_read_image () made a source; NULL with @error when either fails
 * (a 16-bit array also needs memory for its 8-bit copy).  Any thread. */
NpwSource *npw_read_source (GBytes * data, const gchar * location,
    guint max_size, GError ** error);

/* Posts why the watermark @name could not be read (@error from
 * npw_read_source ()): an error when @fatal, else a warning saying the
 * previous one stays.  The code follows the reader's errno:
 * RESOURCE/NOT_FOUND for a missing file, OPEN_READ for one that cannot
 * be opened (or is not a regular file), READ for an I/O error or a file
 * that is not a usable .npy, CORE/FAILED for memory. */
void npw_loader_post_error (GstElement * element, const gchar * name,
    const GError * error, gboolean fatal);

G_END_DECLS

#endif /* __NPW_LOADER_H__ */
