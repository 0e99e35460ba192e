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

/* Limits: a .npy claiming a huge shape is refused before anything is
 * allocated, the element's max-size property lowers the limit, and
 * frames of every size from 1x1 up are blended without a byte written
 * outside the watermark (frame-check.c), in every format.
 *
 * "Before anything is allocated" is proved by running the reader with
 * little memory: in a subprocess whose address space is capped
 * (RLIMIT_AS) a few tens of MB above what it already uses, or, under
 * AddressSanitizer, whose shadow memory needs the address space, with
 * ASan's own cap on any single allocation.  A reader that allocated for
 * the claimed shape first would abort there. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <sys/resource.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "npy.h"
#include "gstnpywatermark.h"
#include "colour.h"
#include "frame-check.h"
#include "test-util.h"

/* Memory the reader may use above what the process already has. */
#define HEADROOM_MB 64

#ifdef UNDER_ASAN
/* Any single allocation above this is an error report and an abort;
 * ASAN_OPTIONS in the environment still override it. */
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "max_allocation_size_mb=64:allocator_may_return_null=0";
}
#endif

static gchar *tmp_dir;

/* A .npy 1.0 file: the header dict padded to a multiple of 64 bytes,
 * then @data_len bytes of data (0, 1, 2, ...). */
static GBytes *
make_npy (const gchar * descr, const gchar * shape, gsize data_len)
{
  GString *s = test_util_npy_header (descr, shape);
  gsize i;

  for (i = 0; i < data_len; i++)
    g_string_append_c (s, (gchar) (guint8) i);
  return g_string_free_to_bytes (s);
}

/* Caps what this process may allocate: its address space at the current
 * size plus HEADROOM_MB (RLIMIT_AS), or under ASan, whose shadow memory
 * needs the address space, the per-allocation cap of
 * __asan_default_options ().  FALSE under valgrind, which has its own
 * allocator: the checks then run unproved. */
static gboolean
cap_memory (void)
{
#ifdef UNDER_ASAN
  return TRUE;
#else
  if (RUNNING_ON_VALGRIND)
    return FALSE;
  test_util_cap_address_space (HEADROOM_MB);
  return TRUE;
#endif
}

typedef struct
{
  const gchar *descr;
  const gchar *shape;
  gsize data_len;
  guint max_side;
  NpyError code;
} HugeCase;

static const HugeCase huge_cases[] = {
  /* 4 GiB of uint8 claimed, 16 bytes present */
  {"|u1", "(32768, 32768, 4)", 16, 0, NPY_ERROR_TRUNCATED_DATA},
  /* 32 GiB of float64 */
  {"<f8", "(32768, 32768, 4)", 64, 0, NPY_ERROR_TRUNCATED_DATA},
  /* within the default limit on each side, 2^30 pixels */
  {"|u1", "(32768, 32768)", 1, 0, NPY_ERROR_TRUNCATED_DATA},
  /* over the default limit */
  {"|u1", "(32769, 1, 4)", 16, 0, NPY_ERROR_TOO_LARGE},
  {"|u1", "(1, 4294967296, 4)", 16, 0, NPY_ERROR_TOO_LARGE},
  /* more elements than memory can address */
  {"<u8", "(4294967296, 4294967296, 4)", 16, 0, NPY_ERROR_BAD_SHAPE},
  {"|u1", "(18446744073709551615, 18446744073709551615, 4)", 16, 0,
      NPY_ERROR_BAD_SHAPE},
  /* a lowered limit refuses what the default would have read */
  {"|u1", "(9, 9, 4)", 9 * 9 * 4, 8, NPY_ERROR_TOO_LARGE},
  {"|u1", "(1, 9)", 9, 8, NPY_ERROR_TOO_LARGE},
};

static void
run_huge_cases (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (huge_cases); i++) {
    const HugeCase *c = &huge_cases[i];
    g_autoptr (GBytes) bytes = make_npy (c->descr, c->shape, c->data_len);
    g_autoptr (GError) error = NULL;
    gsize size;
    const guint8 *data = g_bytes_get_data (bytes, &size);
    NpyImage *image;

    image = npy_image_new_from_data (data, size, c->max_side, &error);
    g_assert_null (image);
    g_assert_error (error, NPY_ERROR, (gint) c->code);
  }
}

static void
test_huge_shape (void)
{
  if (g_test_subprocess ()) {
    cap_memory ();
    run_huge_cases ();
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A file on disk is not read beyond its header when the header already
 * says no: a 1 GiB (sparse) file claiming 40000x40000 RGBA is refused by
 * the size limit under the same memory cap, without reading its bytes. */
static void
test_huge_file_not_read (void)
{
  g_autofree gchar *path = g_build_filename (tmp_dir, "sparse.npy", NULL);
  g_autoptr (GBytes) head = make_npy ("|u1", "(40000, 40000, 4)", 0);
  gsize size;
  const guint8 *data = g_bytes_get_data (head, &size);
  FILE *f = g_fopen (path, "wb");

  g_assert_nonnull (f);
  g_assert_cmpuint (fwrite (data, 1, size, f), ==, size);
  g_assert_cmpint (fseek (f, (1L << 30) - 1, SEEK_SET), ==, 0);
  g_assert_cmpint (fputc (0, f), ==, 0);
  g_assert_cmpint (fclose (f), ==, 0);

  if (g_test_subprocess ()) {
    g_autoptr (GError) error = NULL;

    cap_memory ();
    g_assert_null (npy_image_new_from_file (path, 0, &error));
    g_assert_error (error, NPY_ERROR, NPY_ERROR_TOO_LARGE);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_unlink (path);
}

/* Only regular files: a folder (or a FIFO, /dev/zero) is refused before
 * anything is read. */
static void
test_not_regular (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (npy_image_new_from_file (tmp_dir, 0, &error));
  g_assert_error (error, NPY_ERROR, NPY_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);
  g_assert_null (npy_image_new_from_file ("/dev/zero", 0, &error));
  g_assert_error (error, NPY_ERROR, NPY_ERROR_FAILED);
}

/* The cap itself works: the same subprocess asking for the memory a
 * reader that trusted the shape would is stopped.  Without this the test
 * above could not fail. */
static void
test_huge_shape_cap_works (void)
{
  if (RUNNING_ON_VALGRIND) {
    g_test_skip ("no memory cap under valgrind");
    return;
  }
  if (g_test_subprocess ()) {
    guint8 *p;

    g_assert_true (cap_memory ());
    p = g_malloc ((gsize) 32768 * 32768 * 4);
    memset (p, 1, 4096);
    g_free (p);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
}

/* Starts an element reading @path with max-size @max_size; returns the
 * error it posted, or NULL if it started. */
static GError *
element_start (const gchar * path, guint max_size, gchar ** debug)
{
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstBus *bus = gst_bus_new ();
  GstStateChangeReturn ret;
  GstMessage *msg;
  GError *error = NULL;

  g_assert_nonnull (element);
  gst_element_set_bus (element, bus);
  g_object_set (element, "location", path, "max-size", max_size, NULL);
  /* start () reads the file on the way to PAUSED */
  ret = gst_element_set_state (element, GST_STATE_PAUSED);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg) {
    g_assert_cmpint (ret, ==, GST_STATE_CHANGE_FAILURE);
    gst_message_parse_error (msg, &error, debug);
    gst_message_unref (msg);
  } else {
    g_assert_cmpint (ret, !=, GST_STATE_CHANGE_FAILURE);
  }
  gst_element_set_state (element, GST_STATE_NULL);
  gst_element_set_bus (element, NULL);
  gst_object_unref (bus);
  gst_object_unref (element);
  return error;
}

/* The (32768, 32768, 4) uint8 file of the geometry issue, whole (4 GiB,
 * sparse): the element's default max-size refuses it from the header,
 * naming the file and the limit; with max-size raised to take it, the
 * 4 GiB it needs cannot be had under the memory cap, and that is an
 * error too, never an abort. */
static void
test_element_full_size_huge (void)
{
  g_autoptr (GBytes) head = make_npy ("|u1", "(32768, 32768, 4)", 0);
  g_autofree gchar *path = g_build_filename (tmp_dir, "32768.npy", NULL);
  gsize size;
  const guint8 *data = g_bytes_get_data (head, &size);
  FILE *f = g_fopen (path, "wb");

  g_assert_nonnull (f);
  g_assert_cmpuint (fwrite (data, 1, size, f), ==, size);
  g_assert_cmpint (fseeko (f, (off_t) size + (4LL << 30) - 1, SEEK_SET), ==, 0);
  g_assert_cmpint (fputc (0, f), ==, 0);
  g_assert_cmpint (fclose (f), ==, 0);

  if (g_test_subprocess ()) {
    g_autofree gchar *debug = NULL;
    GError *error;
    guint max_size;
    GstElement *element = gst_element_factory_make ("npywatermark", NULL);

    g_object_get (element, "max-size", &max_size, NULL);
    gst_object_unref (element);
    g_assert_cmpuint (max_size, <, 32768);
    cap_memory ();
    error = element_start (path, max_size, &debug);
    g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
    g_assert_nonnull (strstr (error->message, path));
    g_assert_nonnull (debug);
    g_assert_nonnull (strstr (debug, "limit is"));
    g_clear_error (&error);
    g_clear_pointer (&debug, g_free);

#ifdef UNDER_ASAN
    /* ASan aborts on the 4 GiB request itself; the cap is RLIMIT_AS */
    return;
#endif
    error = element_start (path, 32768, &debug);
    /* out of memory is not a resource the user can fix */
    g_assert_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "not enough memory"));
    g_assert_nonnull (strstr (error->message, path));
    g_test_message ("max-size 32768: %s (%s)", error->message, debug);
    g_clear_error (&error);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_unlink (path);
}

/* max-size lowers the limit: a 40x30 file is refused at 39, with a
 * message naming the size and the limit, and read at 40. */
static void
test_element_max_size (void)
{
  g_autoptr (GBytes) bytes = make_npy ("|u1", "(30, 40, 4)", 30 * 40 * 4);
  g_autofree gchar *path = g_build_filename (tmp_dir, "40x30.npy", NULL);
  g_autofree gchar *debug = NULL;
  GError *error;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
          g_bytes_get_size (bytes), NULL));

  error = element_start (path, 39, &debug);
  g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (debug);
  g_assert_nonnull (strstr (debug, "40x30"));
  g_assert_nonnull (strstr (debug, "limit is 39"));
  g_clear_error (&error);

  error = element_start (path, 40, NULL);
  g_assert_no_error (error);
  g_assert_cmpint (g_unlink (path), ==, 0);
}

/* Sends caps of @w x @h Y444 to an element holding a @side x @side
 * watermark, under the memory cap; returns whether they were taken. */
static gboolean
element_caps_under_cap (gint side, gint w, gint h, GstBus ** bus_out,
    GstElement ** element_out)
{
  g_autofree gchar *shape = g_strdup_printf ("(%d, %d, 4)", side, side);
  g_autoptr (GBytes) bytes = make_npy ("|u1", shape, (gsize) side * side * 4);
  g_autofree gchar *path = g_strdup_printf ("%s/%d.npy", tmp_dir, side);
  GstElement *element = gst_element_factory_make ("npywatermark", NULL);
  GstBus *bus = gst_bus_new ();
  GstPad *sink = gst_element_get_static_pad (element, "sink");
  GstCaps *caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      "Y444", "width", G_TYPE_INT, w, "height", G_TYPE_INT, h, "framerate",
      GST_TYPE_FRACTION, 30, 1, NULL);
  gboolean taken;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes,
              NULL), g_bytes_get_size (bytes), NULL));
  g_clear_pointer (&bytes, g_bytes_unref);
  gst_element_set_bus (element, bus);
  g_object_set (element, "location", path, NULL);
  g_assert_cmpint (gst_element_set_state (element, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_true (cap_memory ());
  gst_pad_send_event (sink, gst_event_new_stream_start ("limits"));
  taken = gst_pad_send_event (sink, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_object_unref (sink);
  *bus_out = bus;
  *element_out = element;
  return taken;
}

static void
element_caps_done (GstBus * bus, GstElement * element)
{
  gst_element_set_state (element, GST_STATE_NULL);
  gst_element_set_bus (element, NULL);
  gst_object_unref (bus);
  gst_object_unref (element);
}

/* The element tests below need RLIMIT_AS: ASan caps single allocations
 * only, and valgrind has no cap.  FALSE (the test skipped) there. */
static gboolean
rlimit_cap_usable (void)
{
#ifdef UNDER_ASAN
  g_test_skip ("ASan caps single allocations only: this needs RLIMIT_AS");
  return FALSE;
#else
  if (RUNNING_ON_VALGRIND) {
    g_test_skip ("no memory cap under valgrind");
    return FALSE;
  }
  return TRUE;
#endif
}

/* What is prepared is bounded by the frame, not the file: a 2000x2000
 * watermark (16 MB) on small frames prepares within a few MB more. */
static void
test_element_overlay_bounded (void)
{
  if (!rlimit_cap_usable ())
    return;
  if (g_test_subprocess ()) {
    GstBus *bus;
    GstElement *element;

    /* a full-image Y444 overlay would need ~90 MB more than the cap */
    g_assert_true (element_caps_under_cap (2000, 640, 480, &bus, &element));
    g_assert_null (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR));
    element_caps_done (bus, element);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* An image that loads but whose prepared overlay does not fit in what
 * memory is left: the element posts CORE/FAILED naming the
 * size instead of aborting the process. */
static void
test_element_overlay_no_memory (void)
{
  if (!rlimit_cap_usable ())
    return;
  if (g_test_subprocess ()) {
    GstBus *bus;
    GstElement *element;
    GError *error = NULL;
    GstMessage *msg;

    /* the image (64 MB) is in; its Y444 overlay on frames as large needs
     * ~96 MB more */
    g_assert_false (element_caps_under_cap (4000, 4000, 4000, &bus, &element));
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    g_assert_nonnull (msg);
    gst_message_parse_error (msg, &error, NULL);
    g_assert_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "4000x4000"));
    g_error_free (error);
    gst_message_unref (msg);
    element_caps_done (bus, element);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A 1x1 watermark tiled over a GRAY8 frame 2^28 pixels wide: its canvas
 * (10 GiB of address space, calloc'ed, never touched) is made, the list of
 * its 2^28 placements (4 GiB) cannot be.  That list grew by
 * g_array_append_val (), and GArray aborted the process (GLib-ERROR) past
 * 4 GiB; now the element says "Not enough memory", as for other sizes.
 * No memory cap here: the canvas must be allocated for the list to be
 * reached (where the system refuses 10 GiB of address space the canvas
 * fails first, cleanly, and this proves less).  Not under ASan (its cap
 * here aborts on the canvas) nor valgrind. */
static void
test_element_tile_runs_no_memory (void)
{
#ifdef UNDER_ASAN
  g_test_skip ("a 10 GiB canvas is past this program's ASan cap");
  return;
#else
  if (RUNNING_ON_VALGRIND) {
    g_test_skip ("a 10 GiB canvas under valgrind");
    return;
  }
#endif
  if (g_test_subprocess ()) {
    g_autoptr (GBytes) bytes = make_npy ("|u1", "(1, 1, 4)", 4);
    g_autofree gchar *path = g_build_filename (tmp_dir, "dot.npy", NULL);
    GstElement *element = gst_element_factory_make ("npywatermark", NULL);
    GstBus *bus = gst_bus_new ();
    GstPad *sink = gst_element_get_static_pad (element, "sink");
    GstCaps *caps = gst_caps_new_simple ("video/x-raw", "format",
        G_TYPE_STRING, "GRAY8", "width", G_TYPE_INT, 1 << 28, "height",
        G_TYPE_INT, 1, "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
    GError *error = NULL;
    GstMessage *msg;

    g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes,
                NULL), g_bytes_get_size (bytes), NULL));
    gst_element_set_bus (element, bus);
    g_object_set (element, "location", path, "tile", TRUE, NULL);
    g_assert_cmpint (gst_element_set_state (element, GST_STATE_PAUSED), !=,
        GST_STATE_CHANGE_FAILURE);
    gst_pad_send_event (sink, gst_event_new_stream_start ("limits"));
    g_assert_false (gst_pad_send_event (sink, gst_event_new_caps (caps)));
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    g_assert_nonnull (msg);
    gst_message_parse_error (msg, &error, NULL);
    /* out of memory: CORE/FAILED, as the element's other allocations */
    g_assert_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED);
    g_error_free (error);
    gst_message_unref (msg);
    gst_caps_unref (caps);
    gst_object_unref (sink);
    element_caps_done (bus, element);
    g_unlink (path);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* The element refuses a file claiming (32768, 32768, 4) quickly and
 * within the memory cap: the shape alone decides. */
static void
test_element_huge_shape (void)
{
  if (g_test_subprocess ()) {
    g_autoptr (GBytes) bytes = make_npy ("|u1", "(32768, 32768, 4)", 16);
    g_autofree gchar *path = g_build_filename (tmp_dir, "huge.npy", NULL);
    g_autofree gchar *debug = NULL;
    GError *error;

    g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes,
                NULL), g_bytes_get_size (bytes), NULL));
    cap_memory ();
    error = element_start (path, 32768, &debug);
    g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
    g_assert_nonnull (strstr (debug, "truncated"));
    g_error_free (error);
    g_unlink (path);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Sides of the frames tried: every size from 1x1 to MAX_SIDE x MAX_SIDE.
 * Under valgrind (50 times slower) every third width only. */
#define MAX_SIDE 40

static void
test_frame_sizes (gconstpointer data)
{
  GstVideoFormat format = GPOINTER_TO_INT (data);
  GRand *rand = g_rand_new_with_seed (format);
  NpyImage images[2] = { {0,}, };
  guint i, n, w, h, w_step = RUNNING_ON_VALGRIND ? 3 : 1;

  /* A small image, and one larger than most frames; random colour and
   * alpha, with fully transparent and fully opaque pixels. */
  images[0].width = 5;
  images[0].height = 3;
  images[1].width = 23;
  images[1].height = 45;
  for (i = 0; i < 2; i++) {
    n = images[i].width * images[i].height * 4;
    images[i].rgba = g_malloc (n);
    for (w = 0; w < n; w++)
      images[i].rgba[w] = g_rand_int_range (rand, 0, 4) == 0 ?
          (g_rand_boolean (rand) ? 0 : 255) : g_rand_int_range (rand, 0, 256);
  }

  for (h = 1; h <= MAX_SIDE; h++) {
    for (w = 1; w <= MAX_SIDE; w += w_step) {
      GstVideoInfo info;

      gst_video_info_init (&info);
      g_assert_true (gst_video_info_set_format (&info, format, w, h));
      for (i = 0; i < 2; i++) {
        const NpyImage *image = &images[i];
        NpwOverlay *overlay = npw_overlay_new (image, &info,
            NPW_COLOUR_REFERENCE_WHITE);
        guint k;

        g_assert_nonnull (overlay);
        /* Offsets from fully off the left/top to fully off the
         * right/bottom, and a random opacity (sometimes 0 or 255). */
        for (k = 0; k < 3; k++) {
          gint x = g_rand_int_range (rand, -(gint) image->width - 1,
              (gint) w + 2);
          gint y = g_rand_int_range (rand, -(gint) image->height - 1,
              (gint) h + 2);
          guint op = k == 0 ? 255 : g_rand_int_range (rand, 0, 256);

          frame_check_blend_overlay (&info, image, overlay, x, y, op,
              g_rand_int (rand) | 1);
        }
        npw_overlay_free (overlay);
      }
    }
  }

  g_free (images[0].rgba);
  g_free (images[1].rgba);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  guint i;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  GST_ELEMENT_REGISTER (npywatermark, NULL);

  tmp_dir = test_util_make_tmp_dir ("npw-limits-XXXXXX");

  g_test_add_func ("/limits/huge-shape/reader", test_huge_shape);
  g_test_add_func ("/limits/huge-shape/cap-works", test_huge_shape_cap_works);
  g_test_add_func ("/limits/huge-shape/file-not-read", test_huge_file_not_read);
  g_test_add_func ("/limits/not-regular-file", test_not_regular);
  g_test_add_func ("/limits/huge-shape/element-full-size",
      test_element_full_size_huge);
  g_test_add_func ("/limits/overlay-bounded/element",
      test_element_overlay_bounded);
  g_test_add_func ("/limits/overlay-no-memory/element",
      test_element_overlay_no_memory);
  g_test_add_func ("/limits/huge-shape/element", test_element_huge_shape);
  g_test_add_func ("/limits/tile-runs-no-memory/element",
      test_element_tile_runs_no_memory);
  g_test_add_func ("/limits/max-size/element", test_element_max_size);
  for (i = 0; i < frame_check_n_formats; i++) {
    g_autofree gchar *name = g_strdup_printf ("/limits/frame-sizes/%s",
        gst_video_format_to_string (frame_check_formats[i]));
    g_test_add_data_func (name, GINT_TO_POINTER (frame_check_formats[i]),
        test_frame_sizes);
  }

  ret = g_test_run ();
  test_util_remove_tmp_dir (tmp_dir);
  return ret;
}
