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

/* What several test programs need: which checker they run under,
 * removing their temporary directories, and .npy headers written by
 * hand (not by the reader under test). */

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

/* UNDER_TSAN: built with ThreadSanitizer. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif

/* RUNNING_ON_VALGRIND: 0 where valgrind's header is not installed. */
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#ifdef G_OS_UNIX
#include <string.h>
#include <sys/resource.h>

/* Caps the address space (RLIMIT_AS) at its current size, VmSize in
 * /proc/self/status, plus @headroom_mb.  Not for ASan, whose shadow
 * memory needs the address space, nor valgrind, which has an allocator
 * of its own: the callers check UNDER_ASAN and RUNNING_ON_VALGRIND. */
static inline void
test_util_cap_address_space (guint headroom_mb)
{
  gchar *status = NULL;
  const gchar *line;
  guint64 vm_kb;
  struct rlimit rl;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL,
          NULL));
  line = strstr (status, "\nVmSize:");
  g_assert_nonnull (line);
  vm_kb = g_ascii_strtoull (line + strlen ("\nVmSize:"), NULL, 10);
  g_assert_cmpuint (vm_kb, >, 0);
  g_free (status);
  rl.rlim_cur = rl.rlim_max = (vm_kb + headroom_mb * 1024) * 1024;
  g_assert_cmpint (setrlimit (RLIMIT_AS, &rl), ==, 0);
}
#endif

/* The test program's temporary folder, "@tmpl" as g_dir_make_tmp ()
 * takes it.  g_test_trap_subprocess () runs main () again in a child: the
 * child gets its parent's folder (NPW_TEST_TMP_DIR) instead of making one
 * that no one would remove. */
static inline gchar *
test_util_make_tmp_dir (const gchar * tmpl)
{
  GError *error = NULL;
  gchar *dir;

  if (g_test_subprocess () && g_getenv ("NPW_TEST_TMP_DIR"))
    return g_strdup (g_getenv ("NPW_TEST_TMP_DIR"));
  dir = g_dir_make_tmp (tmpl, &error);
  g_assert_no_error (error);
  g_setenv ("NPW_TEST_TMP_DIR", dir, TRUE);
  return dir;
}

static inline void test_util_remove_tree (const gchar * path);

/* Removes the folder of test_util_make_tmp_dir () and all it holds, in
 * the test program only (a child's files are its parent's to remove);
 * frees @dir. */
static inline void
test_util_remove_tmp_dir (gchar * dir)
{
  if (!g_test_subprocess ())
    test_util_remove_tree (dir);
  g_free (dir);
}

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

/* A .npy 1.0 preamble and header @dict (as given, even a bad one),
 * padded with spaces and a newline to a multiple of 64 bytes as NumPy
 * writes it; the data is to be appended. */
static inline GString *
test_util_npy_header_dict (const gchar * dict)
{
  GString *s = g_string_new_len ("\x93NUMPY\x01\x00\0\0", 10);

  g_string_append (s, dict);
  while ((s->len + 1) % 64)
    g_string_append_c (s, ' ');
  g_string_append_c (s, '\n');
  s->str[8] = (gchar) ((s->len - 10) & 0xff);
  s->str[9] = (gchar) ((s->len - 10) >> 8);
  return s;
}

/* The same for an array of dtype @descr ("|u1", "<u2", ...) and @shape
 * (Python's tuple syntax: "(4, 6, 4)"), C order. */
static inline GString *
test_util_npy_header (const gchar * descr, const gchar * shape)
{
  gchar *dict = g_strdup_printf ("{'descr': '%s', 'fortran_order': False, "
      "'shape': %s, }", descr, shape);
  GString *s = test_util_npy_header_dict (dict);

  g_free (dict);
  return s;
}

#ifdef __GST_HARNESS_H__
/* A harness around a new npywatermark reading @location (NULL: none;
 * set before the harness starts it, so start () reads it), with its own
 * bus in *@bus and @caps on its source. */
static inline GstHarness *
test_util_harness_new (const gchar * location, const gchar * caps,
    GstBus ** bus)
{
  GstElement *element =
      gst_object_ref_sink (gst_element_factory_make ("npywatermark", NULL));
  GstHarness *h;

  if (location)
    g_object_set (element, "location", location, NULL);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  *bus = gst_bus_new ();
  gst_element_set_bus (h->element, *bus);
  gst_harness_set_src_caps_str (h, caps);
  return h;
}

/* The element holds its bus and queued messages hold the element: break
 * the cycle before the harness takes it down. */
static inline void
test_util_harness_teardown (GstHarness * h, GstBus * bus)
{
  gst_element_set_bus (h->element, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_harness_teardown (h);
}
#endif

#ifdef __GST_H__
/* Counts the debug messages that start with @prefix, from any thread:
 *   TestLogCounter c = { "reading " };
 *   gst_debug_add_log_function (test_util_count_log, &c, NULL);
 *   ... g_atomic_int_get (&c.count) ...
 *   gst_debug_remove_log_function (test_util_count_log);
 * Removed by function, so one counter at a time: GStreamer keeps the old
 * list when a log function is removed (valgrind calls it definitely
 * lost), and gst.supp's entry for that names
 * gst_debug_remove_log_function (), not its _by_data () sibling. */
typedef struct
{
  const gchar *prefix;
  gint count;
} TestLogCounter;

static inline void
test_util_count_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  TestLogCounter *counter = user_data;

  if (g_str_has_prefix (gst_debug_message_get (message), counter->prefix))
    g_atomic_int_inc (&counter->count);
}
#endif

#endif /* __TEST_UTIL_H__ */
