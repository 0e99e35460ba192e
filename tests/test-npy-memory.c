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

/* The .npy reader's memory: reading a large file costs the result (4
 * bytes per pixel, 8 at depth 16) plus a bounded chunk, for every dtype
 * and order, and a huge shape is an error, never an abort.
 *
 * Each case runs in a subprocess and reads its peak resident size
 * (VmHWM in /proc/self/status) before and after.  The files are sparse:
 * their data is zeros except for a few values written at the end, which
 * the result must show.  Under ASan, whose allocator and shadow memory
 * change the figures, the peak is not checked; valgrind skips them. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <sys/resource.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "npy.h"
#include "test-util.h"

#ifdef UNDER_ASAN
/* A failed large allocation returns NULL, as malloc does.  No cap on
 * allocations: the peak cases need 183 MiB. */
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "allocator_may_return_null=1";
}
#endif

#define MIB (1024 * 1024)

/* What reading may use above the result: the chunk buffers (2.5 MiB)
 * and the process's own growth (stdio, GLib). */
#define SLACK_MIB 12

static gchar *tmp_dir;

/* Writes a sparse .npy 1.0 file: the header, @data_len bytes of data of
 * which only the last @tail_len are written (from @tail). */
static gchar *
write_sparse (const gchar * name, const gchar * descr, gboolean fortran,
    const gchar * shape, guint64 data_len, const void *tail, gsize tail_len)
{
  gchar *path = g_build_filename (tmp_dir, name, NULL);
  g_autofree gchar *dict = g_strdup_printf ("{'descr': '%s', "
      "'fortran_order': %s, 'shape': %s, }", descr,
      fortran ? "True" : "False", shape);
  gsize len = strlen (dict), total = (10 + len + 1 + 63) / 64 * 64;
  guint8 pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0 };
  FILE *f = g_fopen (path, "wb");
  gsize i;

  g_assert_nonnull (f);
  pre[8] = (guint8) ((total - 10) & 0xff);
  pre[9] = (guint8) ((total - 10) >> 8);
  g_assert_cmpuint (fwrite (pre, 1, 10, f), ==, 10);
  g_assert_cmpuint (fwrite (dict, 1, len, f), ==, len);
  for (i = 10 + len; i < total - 1; i++)
    g_assert_cmpint (fputc (' ', f), ==, ' ');
  g_assert_cmpint (fputc ('\n', f), ==, '\n');
  g_assert_cmpint (fseeko (f, (off_t) (total + data_len - tail_len),
          SEEK_SET), ==, 0);
  if (tail_len)
    g_assert_cmpuint (fwrite (tail, 1, tail_len, f), ==, tail_len);
  else if (data_len)
    g_assert_cmpint (fputc (0, f), ==, 0);
  g_assert_cmpint (fclose (f), ==, 0);
  return path;
}

/* Peak resident size of this process so far, in bytes. */
static guint64
peak_rss (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL,
          NULL));
  line = strstr (status, "\nVmHWM:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("\nVmHWM:"), NULL, 10) * 1024;
}

static gboolean
measuring (void)
{
#ifdef UNDER_ASAN
  return FALSE;
#else
  return !RUNNING_ON_VALGRIND;
#endif
}

typedef struct
{
  const gchar *name;
  const gchar *descr;
  gboolean fortran;
  guint channels;
  guint elem_size;
  NpyReadFlags flags;
  /* the last element's value, its bytes, and what the last pixel of the
   * result must be */
  guint8 tail[4];
  guint16 last_pixel[4];
} PeakCase;

#define W 8000
#define H 6000

static const PeakCase peak_cases[] = {
  /* read straight into place */
  {"uint8-rgba", "|u1", FALSE, 4, 1, NPY_READ_DEFAULT,
      {77}, {0, 0, 0, 77}},
  /* 200.0 at the very end: a 0..255 image, known only at the last
   * element, so the whole array is converted twice */
  {"float32-rgba", "<f4", FALSE, 4, 4, NPY_READ_DEFAULT,
      {0x00, 0x00, 0x48, 0x43}, {0, 0, 0, 200}},
  /* per channel plane: the last element is the last pixel's blue */
  {"uint8-rgb-fortran", "|u1", TRUE, 3, 1, NPY_READ_DEFAULT,
      {9}, {0, 0, 9, 255}},
  /* 0.5 at 16 bits: round (0.5 * 65535) = 32768 */
  {"float32-gray-depth16", "<f4", FALSE, 1, 4, NPY_READ_DEPTH_16,
      {0x00, 0x00, 0x00, 0x3f}, {32768, 32768, 32768, 32768}},
};

static void
test_peak (gconstpointer data)
{
  const PeakCase *c = data;

  if (RUNNING_ON_VALGRIND) {
    /* minutes for 48 million pixels, and nothing measured */
    g_test_skip ("the peak is not measured under valgrind");
    return;
  }
  if (g_test_subprocess ()) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *shape = g_strdup_printf ("(%d, %d, %u)", H, W,
        c->channels);
    guint64 data_len = (guint64) W * H * c->channels * c->elem_size;
    g_autofree gchar *path = write_sparse (c->name, c->descr, c->fortran,
        shape, data_len, c->tail, c->elem_size);
    guint64 before, after, result;
    NpyImage *image;
    gsize last = ((gsize) W * H - 1) * 4;
    guint i;

    before = peak_rss ();
    image = npy_image_new_from_file_full (path, 0, 0, c->flags, &error);
    after = peak_rss ();
    g_assert_no_error (error);
    g_assert_nonnull (image);
    g_assert_cmpuint (image->width, ==, W);
    g_assert_cmpuint (image->height, ==, H);
    g_assert_cmpuint (image->channels, ==, c->channels);
    result = (guint64) W *H * 4 * (image->depth / 8);
    for (i = 0; i < 4; i++) {
      if (image->depth == 16)
        g_assert_cmpuint (image->rgba16[last + i], ==, c->last_pixel[i]);
      else
        g_assert_cmpuint (image->rgba[last + i], ==, c->last_pixel[i]);
    }
    if (image->depth == 16)
      g_assert_cmpuint (image->rgba16[0], ==, 0);
    else
      g_assert_cmpuint (image->rgba[0], ==, 0);
    g_test_message ("%s: file %" G_GUINT64_FORMAT " MiB, result %"
        G_GUINT64_FORMAT " MiB, peak RSS grew by %" G_GUINT64_FORMAT
        " MiB", c->name, data_len / MIB, result / MIB, (after - before) / MIB);
    if (measuring ()) {
      g_assert_cmpuint (after - before, <=, result + SLACK_MIB * MIB);
      /* the result was written, not left as untouched pages */
      g_assert_cmpuint (after - before, >=, result - result / 8);
    }
    npy_image_free (image);
    g_unlink (path);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR |
      G_TEST_SUBPROCESS_INHERIT_STDOUT);
  g_test_trap_assert_passed ();
}

/* Caps the address space at its current size plus @headroom_mb (RLIMIT_AS,
 * test_util_cap_address_space ()).  FALSE, no cap, under ASan (whose
 * shadow memory needs the address space) and valgrind. */
static gboolean
cap_memory (guint headroom_mb)
{
#ifdef UNDER_ASAN
  return FALSE;
#else
  if (RUNNING_ON_VALGRIND)
    return FALSE;
  test_util_cap_address_space (headroom_mb);
  return TRUE;
#endif
}

/* (32768, 32768, 4) uint8 backed by a 4 GiB sparse file, under a 256 MiB
 * cap: refused by a byte limit before anything is allocated, and without
 * a limit the failed allocation is an error naming the file, not an
 * abort (GByteArray used to abort at 4 GiB). */
static void
test_huge_sparse (void)
{
  if (g_test_subprocess ()) {
    g_autoptr (GError) error = NULL;
    guint64 data_len = (guint64) 32768 * 32768 * 4;
    g_autofree gchar *path = write_sparse ("huge.npy", "|u1", FALSE,
        "(32768, 32768, 4)", data_len, NULL, 0);
    gboolean capped = cap_memory (256);

    g_assert_null (npy_image_new_from_file_full (path, 0, 1 << 30,
            NPY_READ_DEFAULT, &error));
    g_assert_error (error, NPY_ERROR, NPY_ERROR_TOO_LARGE);
    g_assert_true (g_str_has_prefix (error->message, path));
    g_assert_nonnull (strstr (error->message, "4294967296 bytes"));
    g_assert_nonnull (strstr (error->message, "limit is 1073741824 bytes"));
    g_test_message ("%s", error->message);
    g_clear_error (&error);

    if (capped) {
      gpointer p;

      g_assert_null (npy_image_new_from_file (path, 0, &error));
      g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM);
      g_assert_true (g_str_has_prefix (error->message, path));
      g_assert_nonnull (strstr (error->message, "not enough memory"));
      g_test_message ("%s", error->message);
      /* the cap is what stopped it */
      p = g_try_malloc (data_len);
      g_assert_null (p);
    }
    g_unlink (path);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR |
      G_TEST_SUBPROCESS_INHERIT_STDOUT);
  g_test_trap_assert_passed ();
}

/* The same shape with only 16 bytes of data: truncated, said at once,
 * under the cap. */
static void
test_huge_truncated (void)
{
  if (g_test_subprocess ()) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *path = write_sparse ("short.npy", "|u1", FALSE,
        "(32768, 32768, 4)", 16, NULL, 0);

    cap_memory (64);
    g_assert_null (npy_image_new_from_file (path, 0, &error));
    g_assert_error (error, NPY_ERROR, NPY_ERROR_TRUNCATED_DATA);
    g_assert_nonnull (strstr (error->message, "needs 4294967296 bytes"));
    g_unlink (path);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR |
      G_TEST_SUBPROCESS_INHERIT_STDOUT);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("test-npy-memory-XXXXXX", &error);
  g_assert_no_error (error);

  for (i = 0; i < G_N_ELEMENTS (peak_cases); i++) {
    g_autofree gchar *name = g_strdup_printf ("/npy-memory/peak/%s",
        peak_cases[i].name);
    g_test_add_data_func (name, &peak_cases[i], test_peak);
  }
  g_test_add_func ("/npy-memory/huge/sparse", test_huge_sparse);
  g_test_add_func ("/npy-memory/huge/truncated", test_huge_truncated);

  ret = g_test_run ();
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
