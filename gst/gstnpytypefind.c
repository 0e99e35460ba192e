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

/* Finds .npy files by their magic, "\x93NUMPY", and reads the header for
 * the caps (gsttypefindfunctions.c's model: peek, never read more than
 * the header).  The magic alone is enough to claim a file at the highest
 * probability: with any other version, or a header npy.c refuses, it is
 * still a .npy (not, say, MPEG audio), and npydec says what is wrong. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstnpytypefind.h"
#include "npy.h"

GST_DEBUG_CATEGORY_STATIC (npy_type_find_debug);
#define GST_CAT_DEFAULT npy_type_find_debug

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
  const guint8 *data = NULL;
  GError *error = NULL;
  NpyPreamble pre;
  NpyHeader header;
  gsize prefix, n;
  gint version;
  GstCaps *caps;
  GValue shape = G_VALUE_INIT;

  /* the longest preamble, else what the stream has of one */
  for (n = 12; n >= 6; n -= 2) {
    data = gst_type_find_peek (tf, 0, (guint) n);
    if (data)
      break;
  }
  if (data == NULL || memcmp (data, "\x93NUMPY", 6) != 0)
    return;
  version = n > 6 ? data[6] : -1;

  if (!npy_preamble_read (data, n, &pre, &error)) {
    GST_DEBUG ("a .npy magic, but: %s", error->message);
    g_clear_error (&error);
    goto other;
  }
  prefix = pre.header_offset + pre.header_len;
  data = gst_type_find_peek (tf, 0, (guint) prefix);
  if (data == NULL)
    goto other;
  if (!npy_header_parse (data, prefix, &header, &error)) {
    GST_DEBUG ("a .npy magic, but: %s", error->message);
    g_clear_error (&error);
    goto other;
  }

  caps = gst_caps_new_simple (header.ndim == 2 || header.ndim == 3 ?
      GST_NPY_IMAGE_CAPS : GST_NPY_VIDEO_CAPS,
      "version", G_TYPE_INT, (gint) header.major,
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

other:
  /* the magic, and a version byte if there is one */
  caps = gst_caps_new_empty_simple (GST_NPY_VIDEO_CAPS);
  if (version >= 0)
    gst_caps_set_simple (caps, "version", G_TYPE_INT, version, NULL);
  gst_type_find_suggest (tf, GST_TYPE_FIND_MAXIMUM, caps);
  gst_caps_unref (caps);
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
