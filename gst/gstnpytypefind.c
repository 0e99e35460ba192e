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

/* Finds .npy files by their magic, "\x93NUMPY" and a version byte of 1,
 * 2 or 3 with minor 0, as NumPy's own reader does, and reads the header
 * for the caps fields (gsttypefindfunctions.c's model: peek, never read
 * more than the header). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstnpytypefind.h"
#include "npy.h"

GST_DEBUG_CATEGORY_STATIC (npy_type_find_debug);
#define GST_CAT_DEFAULT npy_type_find_debug

/* NumPy writes headers of 118 to a few hundred bytes (more for
 * structured dtypes); a longer one gets version-only caps. */
#define MAX_HEADER_PEEK (64 * 1024)

static GstStaticCaps npy_caps = GST_STATIC_CAPS (GST_NPY_CAPS);

/* The shape as an array of ints, "< 480, 640, 4 >"; FALSE if a
 * dimension does not fit in an int. */
static gboolean
shape_to_value (const NpyHeader * header, GValue * value)
{
  guint i;

  g_value_init (value, GST_TYPE_ARRAY);
  for (i = 0; i < header->ndim; i++) {
    GValue dim = G_VALUE_INIT;

    if (header->shape[i] > G_MAXINT) {
      g_value_unset (value);
      return FALSE;
    }
    g_value_init (&dim, G_TYPE_INT);
    g_value_set_int (&dim, (gint) header->shape[i]);
    gst_value_array_append_and_take_value (value, &dim);
  }
  return TRUE;
}

static void
npy_type_find (GstTypeFind * tf, gpointer unused)
{
  const guint8 *data = gst_type_find_peek (tf, 0, 10);
  GError *error = NULL;
  NpyHeader header;
  guint major;
  guint64 prefix;
  GstCaps *caps;
  GValue shape = G_VALUE_INIT;

  if (data == NULL || memcmp (data, "\x93NUMPY", 6) != 0)
    return;
  major = data[6];
  if (major < 1 || major > 3 || data[7] != 0)
    return;

  if (major == 1) {
    prefix = 10 + GST_READ_UINT16_LE (data + 8);
  } else {
    data = gst_type_find_peek (tf, 0, 12);
    if (data == NULL)
      goto version_only;
    prefix = 12 + (guint64) GST_READ_UINT32_LE (data + 8);
  }
  if (prefix > MAX_HEADER_PEEK)
    goto version_only;
  data = gst_type_find_peek (tf, 0, (guint) prefix);
  if (data == NULL)
    goto version_only;
  if (!npy_header_parse (data, (gsize) prefix, &header, &error)) {
    GST_DEBUG ("a .npy magic, but: %s", error->message);
    g_clear_error (&error);
    goto version_only;
  }

  caps = gst_caps_new_simple (GST_NPY_CAPS,
      "version", G_TYPE_INT, (gint) major,
      "descr", G_TYPE_STRING, header.descr,
      "fortran-order", G_TYPE_BOOLEAN, header.fortran_order, NULL);
  if (shape_to_value (&header, &shape)) {
    gst_caps_set_value (caps, "shape", &shape);
    g_value_unset (&shape);
  }
  gst_type_find_suggest (tf, GST_TYPE_FIND_MAXIMUM, caps);
  gst_caps_unref (caps);
  npy_header_clear (&header);
  return;

version_only:
  /* Eight bytes of magic and version are still a .npy: its decoder will
   * say what is wrong with the rest. */
  gst_type_find_suggest_simple (tf, GST_TYPE_FIND_LIKELY, GST_NPY_CAPS,
      "version", G_TYPE_INT, (gint) major, NULL);
}

gboolean
gst_npy_type_find_register (GstPlugin * plugin)
{
  GstCaps *caps = gst_static_caps_get (&npy_caps);
  gboolean ret;

  GST_DEBUG_CATEGORY_INIT (npy_type_find_debug, "npytypefind", 0,
      ".npy typefinder");
  ret = gst_type_find_register (plugin, "application/x-npy",
      GST_RANK_PRIMARY, npy_type_find, "npy", caps, NULL, NULL);
  gst_caps_unref (caps);
  return ret;
}
