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

#include "gstnpywatermark.h"
#include "gstnpydec.h"
#include "gstnpytypefind.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  /* npy-watermark registers its own copy of the element before it loads
   * any plugin.  When a typefind (this plugin's application/x-npy, run
   * on any file whose extension names no type, such as a phone's .MOV)
   * then loads this plugin into it, the type exists already: registering
   * it again would only warn and fail, and the program's copy serves. */
  if (g_type_from_name ("GstNpyWatermark") == 0)
    ret |= GST_ELEMENT_REGISTER (npywatermark, plugin);
  ret |= GST_ELEMENT_REGISTER (npydec, plugin);
  ret |= gst_npy_type_find_register (plugin);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, npywatermark,
    "NumPy .npy arrays: a watermark filter, a decoder and a typefinder",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
