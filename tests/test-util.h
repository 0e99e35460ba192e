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

/* What several test programs need: which checker they run under, and
 * removing their temporary directories. */

#ifndef __TEST_UTIL_H__
#define __TEST_UTIL_H__

#include <glib.h>
#include <glib/gstdio.h>

/* UNDER_ASAN: built with AddressSanitizer (GCC's or clang's flag). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* RUNNING_ON_VALGRIND: 0 where valgrind's header is not installed. */
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

/* Removes @path and, if it is a directory, what it holds. */
static inline void
test_util_remove_tree (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir) {
    const gchar *name;
    while ((name = g_dir_read_name (dir))) {
      gchar *child = g_build_filename (path, name, NULL);
      test_util_remove_tree (child);
      g_free (child);
    }
    g_dir_close (dir);
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

#endif /* __TEST_UTIL_H__ */
