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

/* Runs a fuzz target's LLVMFuzzerTestOneInput () on every file of the
 * directories given as arguments, one g_test case per file, without
 * libFuzzer: the ordinary build (and build-asan) replays the seed corpus
 * and every input the fuzzers found, so a fixed bug stays fixed.
 *
 * Usage: replay-npy DIR...    (or replay-overlay DIR...) */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib.h>

#include "fuzz.h"

static void
replay_one (gconstpointer data)
{
  const gchar *path = data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  /* A failed check aborts inside; returning is the pass. */
  g_assert_cmpint (LLVMFuzzerTestOneInput ((const guint8 *) contents,
          length), ==, 0);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* Adds one case per regular file of @dir, in name order; returns how
 * many. */
static guint
add_dir (const gchar * dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = g_dir_open (dir, 0, &error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *base = g_path_get_basename (dir);
  const gchar *name;
  guint i;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add (names, g_strdup (name));
    g_free (path);
  }
  g_ptr_array_sort (names, compare_names);

  for (i = 0; i < names->len; i++) {
    const gchar *n = g_ptr_array_index (names, i);
    g_autofree gchar *test = g_strdup_printf ("/replay/%s/%s", base, n);

    g_test_add_data_func_full (test, g_build_filename (dir, n, NULL),
        replay_one, g_free);
  }
  return names->len;
}

int
main (int argc, char **argv)
{
  guint total = 0;
  gint i;

  g_test_init (&argc, &argv, NULL);

  for (i = 1; i < argc; i++)
    total += add_dir (argv[i]);
  /* An empty run would pass while replaying nothing. */
  if (total == 0) {
    g_printerr ("%s: no inputs found in the directories given\n", argv[0]);
    return 1;
  }
  return g_test_run ();
}
