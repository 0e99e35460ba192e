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


/* Background preparation: a changed location, data or geometry is read
 * and prepared on a thread of its own, and the streaming thread takes
 * the result at a frame boundary.  A newer request makes older ones
 * stale; a read that is still needed is not lost to a newer request that
 * only changes the geometry. */

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
} NpwRequest;

/* What a finished request produced. */
typedef struct
{
  gboolean changed;             /* a new watermark (or none) */
  NpwSource *source;            /* what to show (NULL: nothing) */
  NpwPrepared *prep;            /* prepared for the request's caps, or NULL */
  NpwSlices *slices;            /* the same for an animation */
  NpwGeometry geom;
  GError *error;                /* a read that failed; source is the old one */
  gchar *location;              /* what it read (NULL: data, or nothing) */
} NpwLoaded;

typedef struct _NpwLoader NpwLoader;

NpwLoader *npw_loader_new (void);

/* Waits for a job in progress, then frees everything. */
void npw_loader_free (NpwLoader * loader);

/* Drops pending work; later requests that do not reread prepare from
 * @source (what start () read; NULL: nothing). */
void npw_loader_reset (NpwLoader * loader, NpwSource * source);

/* Queues @req (its strings and bytes are copied); @reread: the location
 * or data changed and must be read. */
void npw_loader_request (NpwLoader * loader, const NpwRequest * req,
    gboolean reread);

/* Moves a finished result to @out; FALSE when there is none. */
gboolean npw_loader_take (NpwLoader * loader, NpwLoaded * out);

void npw_loaded_clear (NpwLoaded * loaded);

/* Reads a watermark from @data when set, else from @location: a still
 * or an (N, H, W, C) stack, whose frames together may take no more
 * memory than one max_size x max_size still. */
NpyImage *npw_read_image (GBytes * data, const gchar * location,
    guint max_size, GError ** error);

/* What start () read last, and from what: a pipeline reused for many
 * pictures (READY between them) reads the file once, and again only when
 * it changes on disk (its device, inode, size, modification or change
 * time). */
typedef struct
{
  NpwSource *source;
  GBytes *data;                 /* the bytes it was parsed from, or */
  gchar *location;              /* the file, with */
  gchar *stamp;                 /* the file's identity, size and times */
  guint max_size;               /* the limit it passed */
} NpwKept;

/* Makes kept->source the watermark of @data, else of @location, reading
 * only when what it holds came from elsewhere.  FALSE, with @error and
 * no source, when it cannot be read. */
gboolean npw_kept_load (NpwKept * kept, GBytes * data, const gchar * location,
    guint max_size, GError ** error);

/* Takes @source (a swap, or NULL): read again at the next load. */
void npw_kept_set (NpwKept * kept, NpwSource * source);

G_END_DECLS

#endif /* __NPW_LOADER_H__ */
