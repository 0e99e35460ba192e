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

/* The typefinder for .npy files: image/x-npy or video/x-npy. */

#ifndef __GST_NPY_TYPE_FIND_H__
#define __GST_NPY_TYPE_FIND_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Every file starting with "\x93NUMPY" is claimed.  A 2- or 3-D array
 * is an image (image/x-npy: gst-discoverer and GES then treat it as a
 * still, as they do PNG), anything else video/x-npy: a 4-D stack, and a
 * file npydec will refuse (another version, an unreadable header, a
 * shape it does not take), which playbin3 then hands to npydec to say
 * why (it selects no stream of an unknown type such as application/...).
 * Fields: version (int), descr (string, the dtype as written, "<f4"),
 * fortran-order (boolean), shape (array of ints: < 480, 640, 4 >, left
 * out if a dimension is above G_MAXINT); a file whose header cannot be
 * read has the version only, if that.  npydec also takes
 * application/x-npy, what the typefinder named every .npy before. */
#define GST_NPY_IMAGE_CAPS "image/x-npy"
#define GST_NPY_VIDEO_CAPS "video/x-npy"
#define GST_NPY_OTHER_CAPS "application/x-npy"
#define GST_NPY_CAPS GST_NPY_IMAGE_CAPS "; " GST_NPY_VIDEO_CAPS "; " \
    GST_NPY_OTHER_CAPS

gboolean gst_npy_type_find_register (GstPlugin * plugin);

G_END_DECLS

#endif /* __GST_NPY_TYPE_FIND_H__ */
