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

/* Tests for the .npy reader.
 *
 * The first part builds files byte by byte, with expected pixels worked
 * out by hand.  Every file is parsed twice, from memory and from a file
 * on disk, so every error is also checked to name the file.
 *
 * The second part runs tests/gen_npy.py, which writes real files with
 * NumPy and the pixels NumPy says they hold, and compares byte for
 * byte. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "npy.h"
#include "test-util.h"

/* Scratch directory for the files written by the tests. */
static gchar *tmp_dir;

#define assert_contains(haystack, needle)                                   \
  G_STMT_START {                                                            \
    const gchar *h_ = (haystack), *n_ = (needle);                           \
    if (strstr (h_, n_) == NULL)                                            \
      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,     \
          g_strdup_printf ("\"%s\" does not contain \"%s\"", h_, n_));      \
  } G_STMT_END

/* ------------------------------------------------------------------ */
/* Building files */

/* Appends @v as a @size-byte integer in the given byte order. */
static void
put (GByteArray * a, guint64 v, guint size, gboolean big_endian)
{
  guint8 b[8];
  guint i;

  for (i = 0; i < size; i++)
    b[big_endian ? size - 1 - i : i] = (guint8) (v >> (8 * i));
  g_byte_array_append (a, b, size);
}

static void
put_f32 (GByteArray * a, gfloat f, gboolean big_endian)
{
  guint32 bits;

  memcpy (&bits, &f, 4);
  put (a, bits, 4, big_endian);
}

static void
put_f64 (GByteArray * a, gdouble d, gboolean big_endian)
{
  guint64 bits;

  memcpy (&bits, &d, 8);
  put (a, bits, 8, big_endian);
}

/* A .npy file with @header exactly as given (no padding) and @data. */
static GByteArray *
npy_file_full (guint major, guint minor, const gchar * header,
    gsize header_len, const void *data, gsize data_len)
{
  GByteArray *a = g_byte_array_new ();

  g_byte_array_append (a, (const guint8 *) "\x93NUMPY", 6);
  put (a, major, 1, FALSE);
  put (a, minor, 1, FALSE);
  put (a, header_len, major == 1 ? 2 : 4, FALSE);
  g_byte_array_append (a, (const guint8 *) header, header_len);
  if (data_len)
    g_byte_array_append (a, data, data_len);
  return a;
}

static GByteArray *
npy_file (guint major, const gchar * header, const void *data, gsize len)
{
  return npy_file_full (major, 0, header, strlen (header), data, len);
}

/* Like numpy: the header padded with spaces and a newline so that the
 * data starts at a multiple of @align. */
static GByteArray *
npy_file_aligned (guint major, const gchar * dict, guint align,
    const void *data, gsize len)
{
  gsize prefix = major == 1 ? 10 : 12;
  GString *h = g_string_new (dict);
  GByteArray *a;

  while ((prefix + h->len + 1) % align != 0)
    g_string_append_c (h, ' ');
  g_string_append_c (h, '\n');
  a = npy_file (major, h->str, data, len);
  g_string_free (h, TRUE);
  return a;
}

/* The usual version 1.0 file numpy writes. */
static GByteArray *
npy_simple (const gchar * descr, gboolean fortran, const gchar * shape,
    const void *data, gsize len)
{
  gchar *dict = g_strdup_printf ("{'descr': '%s', 'fortran_order': %s, "
      "'shape': %s, }", descr, fortran ? "True" : "False", shape);
  GByteArray *a = npy_file_aligned (1, dict, 64, data, len);

  g_free (dict);
  return a;
}

/* npy_image_new_from_bytes (): a uint8 RGBA array is read in place (its
 * pixels are the bytes' own, kept alive by the image); any other layout,
 * a truncated array and a bad header go the reader's way, with the same
 * result or error as npy_image_new_from_data_full (). */
static void
test_from_bytes (void)
{
  const guint8 rgba[2 * 3 * 4] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    21, 22, 23, 24
  };
  const gfloat gray[2 * 3] = { 0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 0.5f };
  struct
  {
    const gchar *descr, *shape;
    const void *data;
    gsize len;
    gboolean in_place;
  } cases[] = {
    {"|u1", "(2, 3, 4)", rgba, sizeof (rgba), TRUE},
    {"|u1", "(1, 2, 3, 4)", rgba, sizeof (rgba), TRUE},
    {"|u1", "(2, 3, 4)", rgba, sizeof (rgba) - 1, FALSE},
    {"|u1", "(4, 3, 2)", rgba, sizeof (rgba), FALSE},
    {"<f4", "(2, 3)", gray, sizeof (gray), FALSE},
  };
  guint c;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    GByteArray *file = npy_simple (cases[c].descr, FALSE, cases[c].shape,
        cases[c].data, cases[c].len);
    GBytes *bytes = g_byte_array_free_to_bytes (file);
    gsize size;
    const guint8 *data = g_bytes_get_data (bytes, &size);
    GError *e1 = NULL, *e2 = NULL;
    NpyImage *a = npy_image_new_from_bytes (bytes, 0, 0, NPY_READ_STACK, &e1);
    NpyImage *b = npy_image_new_from_data_full (data, size, 0, 0,
        NPY_READ_STACK, &e2);

    g_assert_true ((a == NULL) == (b == NULL));
    if (a == NULL) {
      g_assert_false (cases[c].in_place);
      g_assert_true (g_error_matches (e1, e2->domain, e2->code));
      g_assert_cmpstr (e1->message, ==, e2->message);
      g_clear_error (&e1);
      g_clear_error (&e2);
    } else {
      gsize n = (gsize) a->width * a->height * 4 * MAX (a->n_frames, 1);

      g_assert_cmpuint (a->width, ==, b->width);
      g_assert_cmpuint (a->height, ==, b->height);
      g_assert_cmpuint (a->n_frames, ==, b->n_frames);
      g_assert_cmpuint (a->channels, ==, b->channels);
      g_assert_cmpuint (a->depth, ==, b->depth);
      g_assert_cmpmem (a->rgba, n, b->rgba, n);
      if (cases[c].in_place) {
        g_assert_true (a->owner == bytes);
        g_assert_true (a->rgba >= data && a->rgba + n <= data + size);
      } else {
        g_assert_null (a->owner);
      }
    }
    npy_image_free (b);
    /* the image keeps the bytes: they outlive the caller's reference */
    g_bytes_unref (bytes);
    if (a && cases[c].in_place)
      g_assert_cmpmem (a->rgba, 4, rgba, 4);
    npy_image_free (a);
  }
}

/* ------------------------------------------------------------------ */
/* Parsing them */

static gchar *
write_case_file (const GByteArray * file)
{
  GError *error = NULL;
  gchar *path = g_build_filename (tmp_dir, "case.npy", NULL);

  g_file_set_contents (path, (const gchar *) file->data, file->len, &error);
  g_assert_no_error (error);
  return path;
}

/* Parses @file from memory and from disk; both must succeed alike.
 * Takes @file. */
static NpyImage *
expect_ok (GByteArray * file, guint max_side)
{
  GError *error = NULL;
  NpyImage *image, *again;
  gchar *path;

  image = npy_image_new_from_data (file->data, file->len, max_side, &error);
  g_assert_no_error (error);
  g_assert_nonnull (image);

  path = write_case_file (file);
  again = npy_image_new_from_file (path, max_side, &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);
  g_assert_cmpuint (again->width, ==, image->width);
  g_assert_cmpuint (again->height, ==, image->height);
  g_assert_cmpmem (again->rgba, (gsize) again->width * again->height * 4,
      image->rgba, (gsize) image->width * image->height * 4);
  npy_image_free (again);
  g_free (path);
  g_byte_array_unref (file);
  return image;
}

/* Parses @file and checks the pixels.  Takes @file. */
static void
expect_pixels (GByteArray * file, guint width, guint height,
    const guint8 * rgba)
{
  NpyImage *image = expect_ok (file, 0);

  g_assert_cmpuint (image->width, ==, width);
  g_assert_cmpuint (image->height, ==, height);
  g_assert_cmpmem (image->rgba, (gsize) width * height * 4, rgba,
      (gsize) width * height * 4);
  npy_image_free (image);
}

/* Parses @file from memory and from disk; both must fail with @code, the
 * message must say something (containing @needle unless NULL), and from
 * disk it must be the same message after the file's name.  Takes @file. */
static void
expect_error_max (GByteArray * file, guint max_side, gint code,
    const gchar * needle)
{
  GError *error = NULL, *file_error = NULL;
  NpyImage *image;
  gchar *path, *expected;

  image = npy_image_new_from_data (file->data, file->len, max_side, &error);
  g_assert_error (error, NPY_ERROR, code);
  g_assert_null (image);
  g_assert_cmpuint (strlen (error->message), >, 0);
  if (needle)
    assert_contains (error->message, needle);
  g_test_message ("%s", error->message);

  path = write_case_file (file);
  image = npy_image_new_from_file (path, max_side, &file_error);
  g_assert_error (file_error, NPY_ERROR, code);
  g_assert_null (image);
  expected = g_strdup_printf ("%s: %s", path, error->message);
  g_assert_cmpstr (file_error->message, ==, expected);

  g_free (expected);
  g_free (path);
  g_error_free (file_error);
  g_error_free (error);
  g_byte_array_unref (file);
}

static void
expect_error (GByteArray * file, gint code, const gchar * needle)
{
  expect_error_max (file, 0, code, needle);
}

/* A 2 x 3 RGB test image used by the header tests; pixel (y, x) is
 * (10y + x, 100 + 10y + x, 200 + x). */
static const guint8 rgb23[18] = {
  0, 100, 200, 1, 101, 201, 2, 102, 202,
  10, 110, 200, 11, 111, 201, 12, 112, 202,
};

static const guint8 rgb23_rgba[24] = {
  0, 100, 200, 255, 1, 101, 201, 255, 2, 102, 202, 255,
  10, 110, 200, 255, 11, 111, 201, 255, 12, 112, 202, 255,
};

static void
expect_rgb23 (GByteArray * file)
{
  expect_pixels (file, 3, 2, rgb23_rgba);
}

static GByteArray *
rgb23_with_header (guint major, const gchar * header)
{
  return npy_file (major, header, rgb23, sizeof rgb23);
}

/* ------------------------------------------------------------------ */
/* Shapes: what each number of channels means */

static const guint8 six[6] = { 0, 1, 2, 128, 254, 255 };

static void
test_shape_2d (void)
{
  /* Gray is colour and alpha at once. */
  static const guint8 want[] = {
    0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
    128, 128, 128, 128, 254, 254, 254, 254, 255, 255, 255, 255,
  };
  expect_pixels (npy_simple ("|u1", FALSE, "(2, 3)", six, 6), 3, 2, want);
}

static void
test_shape_1ch (void)
{
  static const guint8 want[] = {
    0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
    128, 128, 128, 128, 254, 254, 254, 254, 255, 255, 255, 255,
  };
  expect_pixels (npy_simple ("|u1", FALSE, "(2, 3, 1)", six, 6), 3, 2, want);
}

static void
test_shape_2ch (void)
{
  /* Gray and alpha: (g, g, g, a). */
  static const guint8 want[] = {
    0, 0, 0, 1, 2, 2, 2, 128, 254, 254, 254, 255,
  };
  expect_pixels (npy_simple ("|u1", FALSE, "(1, 3, 2)", six, 6), 3, 1, want);
}

static void
test_shape_3ch (void)
{
  expect_rgb23 (npy_simple ("|u1", FALSE, "(2, 3, 3)", rgb23, 18));
}

static void
test_shape_4ch (void)
{
  static const guint8 rgba[8] = { 1, 2, 3, 4, 250, 251, 252, 253 };
  expect_pixels (npy_simple ("|u1", FALSE, "(2, 1, 4)", rgba, 8), 1, 2, rgba);
  expect_pixels (npy_simple ("|u1", FALSE, "(1, 2, 4)", rgba, 8), 2, 1, rgba);
}

static void
test_shape_one_pixel (void)
{
  static const guint8 g[1] = { 77 }, want[4] = { 77, 77, 77, 77 };
  expect_pixels (npy_simple ("|u1", FALSE, "(1, 1)", g, 1), 1, 1, want);
}

/* ------------------------------------------------------------------ */
/* dtypes.  Most use a 2 x 2 gray image, so value v is pixel (v,v,v,v). */

static void
expect_gray4 (const gchar * descr, GByteArray * data, const guint8 want[4])
{
  guint8 rgba[16];
  guint i;

  for (i = 0; i < 16; i++)
    rgba[i] = want[i / 4];
  expect_pixels (npy_simple (descr, FALSE, "(2, 2)", data->data, data->len),
      2, 2, rgba);
  g_byte_array_unref (data);
}

static const gchar *const orders[] = { "<", ">" };

static void
test_dtype_bool (void)
{
  static const guint8 b[4] = { 0, 1, 2, 255 }, want[4] = { 0, 255, 255, 255 };
  GByteArray *a = g_byte_array_new ();

  /* numpy reads any nonzero byte as True. */
  g_byte_array_append (a, b, 4);
  expect_gray4 ("|b1", a, want);
}

static void
test_dtype_uint8 (void)
{
  static const guint8 v[4] = { 0, 9, 128, 255 };
  const gchar *const descrs[] = { "|u1", "<u1", ">u1", "=u1", "u1" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (descrs); i++) {
    GByteArray *a = g_byte_array_new ();
    g_byte_array_append (a, v, 4);
    expect_gray4 (descrs[i], a, v);
  }
}

static void
test_dtype_int8 (void)
{
  static const guint8 v[4] = { 0, 1, 100, 127 };
  GByteArray *a = g_byte_array_new ();

  g_byte_array_append (a, v, 4);
  expect_gray4 ("|i1", a, v);
}

static void
test_dtype_uint16 (void)
{
  /* (v * 255 + 32767) / 65535: 385 is just under 1.5, 386 just over;
   * 32767 is 127.998, 32768 is 128.002. */
  static const guint16 v[2][4] = {
    {0, 385, 386, 65535},
    {257, 32767, 32768, 65534},
  };
  static const guint8 want[2][4] = {
    {0, 1, 2, 255},
    {1, 127, 128, 255},
  };
  guint o, s, i;

  for (o = 0; o < 2; o++) {
    for (s = 0; s < 2; s++) {
      GByteArray *a = g_byte_array_new ();
      gchar *descr = g_strconcat (orders[o], "u2", NULL);
      for (i = 0; i < 4; i++)
        put (a, v[s][i], 2, o == 1);
      expect_gray4 (descr, a, want[s]);
      g_free (descr);
    }
  }
}

/* The other integers are taken as 0..255 as they are. */
static void
test_dtype_wide_integers (void)
{
  static const gchar *const codes[] = { "i2", "i4", "i8", "u4", "u8" };
  static const guint8 v[4] = { 0, 1, 128, 255 };
  guint c, o, i;

  for (c = 0; c < G_N_ELEMENTS (codes); c++) {
    for (o = 0; o < 2; o++) {
      GByteArray *a = g_byte_array_new ();
      gchar *descr = g_strconcat (orders[o], codes[c], NULL);
      guint size = codes[c][1] - '0';
      for (i = 0; i < 4; i++)
        put (a, v[i], size, o == 1);
      expect_gray4 (descr, a, v);
      g_free (descr);
    }
  }
}

/* A value of 1.0 or less everywhere means a 0..1 image. */
static const gdouble unit_in[4] = { 0.0, 0.5, 1.0, 0.25 };
static const guint8 unit_want[4] = { 0, 128, 255, 64 };

/* Anything above 1.0 means 0..255: clamped, halves away from zero. */
static const gdouble byte_in[4] = { 2.5, 254.5, -3.0, 300.0 };
static const guint8 byte_want[4] = { 3, 255, 0, 255 };

static void
test_dtype_float32 (void)
{
  guint o, i;

  for (o = 0; o < 2; o++) {
    GByteArray *a = g_byte_array_new (), *b = g_byte_array_new ();
    gchar *descr = g_strconcat (orders[o], "f4", NULL);
    for (i = 0; i < 4; i++) {
      put_f32 (a, unit_in[i], o == 1);
      put_f32 (b, byte_in[i], o == 1);
    }
    expect_gray4 (descr, a, unit_want);
    expect_gray4 (descr, b, byte_want);
    g_free (descr);
  }
}

static void
test_dtype_float64 (void)
{
  guint o, i;

  for (o = 0; o < 2; o++) {
    GByteArray *a = g_byte_array_new (), *b = g_byte_array_new ();
    gchar *descr = g_strconcat (orders[o], "f8", NULL);
    for (i = 0; i < 4; i++) {
      put_f64 (a, unit_in[i], o == 1);
      put_f64 (b, byte_in[i], o == 1);
    }
    expect_gray4 (descr, a, unit_want);
    expect_gray4 (descr, b, byte_want);
    g_free (descr);
  }
}

static void
test_dtype_float_edges (void)
{
  /* 1.0 exactly keeps 0..1; the smallest step above it does not. */
  static const gdouble just_over[4] = { 1.0000001, 0.5, 1.0, 0.0 };
  static const guint8 just_over_want[4] = { 1, 1, 1, 0 };
  static const gdouble halves[4] = { 0.5, 1.5, 126.5, 1.49 };
  static const guint8 halves_want[4] = { 1, 2, 127, 1 };
  GByteArray *a = g_byte_array_new (), *b = g_byte_array_new ();
  guint i;

  for (i = 0; i < 4; i++) {
    put_f64 (a, just_over[i], FALSE);
    put_f64 (b, halves[i], FALSE);
  }
  expect_gray4 ("<f8", a, just_over_want);
  expect_gray4 ("<f8", b, halves_want);
}

static void
test_dtype_float16 (void)
{
  /* Bit patterns, checked against numpy:
   * 0.0 0x0000, 0.5 0x3800, 1.0 0x3c00, 0.25 0x3400,
   * 2.5 0x4100, 254.5 0x5bf4, -3.0 0xc200, 300.0 0x5cb0. */
  static const guint16 unit_bits[4] = { 0x0000, 0x3800, 0x3c00, 0x3400 };
  static const guint16 byte_bits[4] = { 0x4100, 0x5bf4, 0xc200, 0x5cb0 };
  /* Smallest and largest subnormal, largest finite, +inf. */
  static const guint16 special[4] = { 0x0001, 0x03ff, 0x7bff, 0x7c00 };
  static const guint8 special_want[4] = { 0, 0, 255, 255 };
  /* -inf, 0.5, 127.5, 2.5: not all <= 1, so 0..255. */
  static const guint16 mixed[4] = { 0xfc00, 0x3800, 0x57f8, 0x4100 };
  static const guint8 mixed_want[4] = { 0, 1, 128, 3 };
  /* The largest subnormal (6.1e-5, so 0) and -inf keep a 0..1 image:
   * 0.4 (0x3666) -> 102. */
  static const guint16 unit_sub[4] = { 0x03ff, 0xfc00, 0x3666, 0x3c00 };
  static const guint8 unit_sub_want[4] = { 0, 0, 102, 255 };
  const guint16 *sets[] = { unit_bits, byte_bits, special, mixed, unit_sub };
  const guint8 *wants[] = { unit_want, byte_want, special_want, mixed_want,
    unit_sub_want
  };
  guint o, s, i;

  for (o = 0; o < 2; o++) {
    gchar *descr = g_strconcat (orders[o], "f2", NULL);
    for (s = 0; s < G_N_ELEMENTS (sets); s++) {
      GByteArray *a = g_byte_array_new ();
      for (i = 0; i < 4; i++)
        put (a, sets[s][i], 2, o == 1);
      expect_gray4 (descr, a, wants[s]);
    }
    g_free (descr);
  }
}

static void
test_dtype_native (void)
{
  static const guint8 v[4] = { 3, 0, 255, 77 };
  /* (v * 255 + 32767) / 65535 */
  static const guint8 u2_want[4] = { 0, 0, 1, 0 };
  gboolean big = G_BYTE_ORDER == G_BIG_ENDIAN;
  GByteArray *a = g_byte_array_new (), *b = g_byte_array_new ();
  GByteArray *c = g_byte_array_new ();
  guint i;

  for (i = 0; i < 4; i++) {
    put (a, v[i], 4, big);
    put_f32 (b, v[i], big);
    put (c, v[i], 2, big);
  }
  expect_gray4 ("=i4", a, v);
  expect_gray4 ("=f4", b, v);
  expect_gray4 ("=u2", c, u2_want);
}

/* ------------------------------------------------------------------ */
/* Fortran order: element (i, j, k) at i + H * (j + W * k) */

static guint8
logical (guint i, guint j, guint k)
{
  return (guint8) (60 * k + 10 * i + j);
}

/* H x W x C (C = 0 for a 2-D array), in @fortran or C order. */
static void
check_layout (guint h, guint w, guint c, gboolean fortran)
{
  guint cc = c ? c : 1, i, j, k;
  guint8 *data = g_malloc (h * w * cc), *want = g_malloc (h * w * 4);
  gchar *shape = c ? g_strdup_printf ("(%u, %u, %u)", h, w, c) :
      g_strdup_printf ("(%u, %u)", h, w);

  for (i = 0; i < h; i++) {
    for (j = 0; j < w; j++) {
      guint8 *px = want + (i * w + j) * 4;
      for (k = 0; k < cc; k++) {
        gsize at = fortran ? i + h * (j + w * k) : (i * w + j) * cc + k;
        data[at] = logical (i, j, k);
      }
      switch (cc) {
        case 1:
          px[0] = px[1] = px[2] = px[3] = logical (i, j, 0);
          break;
        case 2:
          px[0] = px[1] = px[2] = logical (i, j, 0);
          px[3] = logical (i, j, 1);
          break;
        default:
          for (k = 0; k < 4; k++)
            px[k] = k < cc ? logical (i, j, k) : 255;
          break;
      }
    }
  }
  expect_pixels (npy_simple ("|u1", fortran, shape, data, h * w * cc), w, h,
      want);
  g_free (shape);
  g_free (want);
  g_free (data);
}

static void
test_fortran_order (void)
{
  guint c;

  for (c = 0; c <= 4; c++) {
    check_layout (2, 3, c, TRUE);
    check_layout (3, 2, c, TRUE);
    check_layout (2, 3, c, FALSE);
  }
}

static void
test_fortran_literal (void)
{
  /* A 2 x 2 RGB image written out by hand in column-major order: all of
   * R (column by column), then G, then B. */
  static const guint8 data[12] = {
    1, 3, 2, 4,                 /* R: (0,0) (1,0) (0,1) (1,1) */
    11, 13, 12, 14,             /* G */
    21, 23, 22, 24,             /* B */
  };
  static const guint8 want[16] = {
    1, 11, 21, 255, 2, 12, 22, 255,
    3, 13, 23, 255, 4, 14, 24, 255,
  };
  expect_pixels (npy_simple ("|u1", TRUE, "(2, 2, 3)", data, 12), 2, 2, want);
}

static void
test_fortran_wide_dtype (void)
{
  /* Big-endian uint16 in Fortran order: decoding, then layout. */
  static const guint16 v[4] = { 0, 65535, 32768, 386 };
  static const guint8 want[16] = {
    0, 0, 0, 0, 128, 128, 128, 128,
    255, 255, 255, 255, 2, 2, 2, 2,
  };
  GByteArray *a = g_byte_array_new ();
  guint i;

  for (i = 0; i < 4; i++)
    put (a, v[i], 2, TRUE);
  expect_pixels (npy_simple (">u2", TRUE, "(2, 2)", a->data, a->len), 2, 2,
      want);
  g_byte_array_unref (a);
}

/* ------------------------------------------------------------------ */
/* Versions and header spellings */

static void
test_version_1 (void)
{
  expect_rgb23 (npy_file_aligned (1, "{'descr': '|u1', 'fortran_order': "
          "False, 'shape': (2, 3, 3), }", 64, rgb23, 18));
}

static void
test_version_2 (void)
{
  expect_rgb23 (npy_file_aligned (2, "{'descr': '|u1', 'fortran_order': "
          "False, 'shape': (2, 3, 3), }", 64, rgb23, 18));
  /* Version 2.0 files written before numpy 1.14 were misaligned. */
  expect_rgb23 (rgb23_with_header (2, "{'descr': '|u1', 'fortran_order': "
          "False, 'shape': (2, 3, 3), }      \n"));
}

static void
test_version_3 (void)
{
  expect_rgb23 (npy_file_aligned (3, "{'descr': '|u1', 'fortran_order': "
          "False, 'shape': (2, 3, 3), }", 64, rgb23, 18));
}

static void
test_header_alignment (void)
{
  const gchar *dict = "{'descr': '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3), }";
  guint major;

  for (major = 1; major <= 3; major++) {
    expect_rgb23 (npy_file_aligned (major, dict, 16, rgb23, 18));
    expect_rgb23 (npy_file_aligned (major, dict, 64, rgb23, 18));
    /* No padding at all: the data starts at an odd offset. */
    expect_rgb23 (npy_file_aligned (major, dict, 1, rgb23, 18));
    expect_rgb23 (rgb23_with_header (major, dict));
  }
}

static void
test_header_key_order (void)
{
  static const gchar *const items[3] = {
    "'descr': '|u1'", "'fortran_order': False", "'shape': (2, 3, 3)"
  };
  static const guint perms[6][3] = {
    {0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}
  };
  guint i;

  for (i = 0; i < 6; i++) {
    gchar *dict = g_strdup_printf ("{%s, %s, %s}", items[perms[i][0]],
        items[perms[i][1]], items[perms[i][2]]);
    expect_rgb23 (npy_file_aligned (1, dict, 64, rgb23, 18));
    g_free (dict);
  }
}

static void
test_header_whitespace (void)
{
  static const gchar *const headers[] = {
    /* none at all */
    "{'descr':'|u1','fortran_order':False,'shape':(2,3,3)}",
    /* tabs */
    "{\t'descr'\t:\t'|u1'\t,\t'fortran_order'\t:\tFalse\t,\t'shape'\t:\t"
        "(\t2\t,\t3\t,\t3\t)\t}\t\n",
    /* newlines everywhere, CRLF, form feed */
    "{\n'descr'\n:\n'|u1',\r\n'fortran_order':\fFalse,\n'shape':\n(\n2,\n"
        "3,\n3\n)\n}\n",
    /* before the dict, and a lot after it */
    "  \n {'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 3)}"
        "                                                            \n",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (headers); i++)
    expect_rgb23 (rgb23_with_header (1 + i % 3, headers[i]));
}

static void
test_header_trailing_commas (void)
{
  static const gchar *const headers[] = {
    "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 3)}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 3), }",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 3,)}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 3 , ) , }",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (headers); i++)
    expect_rgb23 (rgb23_with_header (1, headers[i]));
}

static void
test_header_quotes (void)
{
  expect_rgb23 (rgb23_with_header (1,
          "{\"descr\": \"|u1\", \"fortran_order\": False, "
          "\"shape\": (2, 3, 3)}"));
  expect_rgb23 (rgb23_with_header (1,
          "{\"descr\": '|u1', 'fortran_order': False, "
          "\"shape\": (2, 3, 3)}"));
}

static void
test_header_long_suffix (void)
{
  /* What numpy under Python 2 wrote. */
  expect_rgb23 (npy_file_aligned (1, "{'descr': '|u1', 'fortran_order': "
          "False, 'shape': (2L, 3L, 3L), }", 16, rgb23, 18));
  expect_rgb23 (rgb23_with_header (1,
          "{'descr': '|u1', 'fortran_order': False, 'shape': (2l, 3, 3L)}"));
}

static void
test_trailing_data (void)
{
  /* numpy accepts bytes after the array, and so do we. */
  guint8 data[18 + 5];

  memcpy (data, rgb23, 18);
  memset (data + 18, 0xab, 5);
  expect_rgb23 (npy_simple ("|u1", FALSE, "(2, 3, 3)", data, sizeof data));
}

static void
test_header_latin1_and_utf8 (void)
{
  /* A structured dtype's field name in each version's own encoding; the
   * error quotes it, in UTF-8. */
  expect_error (npy_file (1, "{'descr': [('\xe9', '|u1')], "
          "'fortran_order': False, 'shape': (2, 2)}", "\0\0\0\0", 4),
      NPY_ERROR_UNSUPPORTED_DTYPE, "\xc3\xa9");
  expect_error (npy_file (3, "{'descr': [('\xc3\xa9\xe4\xb8\xad', '|u1')], "
          "'fortran_order': False, 'shape': (2, 2)}", "\0\0\0\0", 4),
      NPY_ERROR_UNSUPPORTED_DTYPE, "\xc3\xa9\xe4\xb8\xad");
  /* Latin-1 bytes are not UTF-8. */
  expect_error (npy_file (3, "{'descr': [('\xe9', '|u1')], "
          "'fortran_order': False, 'shape': (2, 2)}", "\0\0\0\0", 4),
      NPY_ERROR_BAD_HEADER, "UTF-8");
}

/* ------------------------------------------------------------------ */
/* The preamble */

static void
test_error_magic (void)
{
  expect_error (g_byte_array_new (), NPY_ERROR_BAD_MAGIC, "empty");

  {
    GByteArray *a = npy_simple ("|u1", FALSE, "(2, 3, 3)", rgb23, 18);
    a->data[5] = 'X';
    expect_error (a, NPY_ERROR_BAD_MAGIC, "NUMPY");
  }
  {
    GByteArray *a = g_byte_array_new ();
    g_byte_array_append (a, (const guint8 *) "\x89PNG\r\n\x1a\n\0\0\0\0", 12);
    expect_error (a, NPY_ERROR_BAD_MAGIC, "not a .npy file");
  }
  {
    GByteArray *a = g_byte_array_new ();
    g_byte_array_append (a, (const guint8 *) "x", 1);
    expect_error (a, NPY_ERROR_BAD_MAGIC, NULL);
  }
}

static void
test_error_version (void)
{
  static const guint8 bad[][2] = { {0, 0}, {1, 1}, {2, 1}, {4, 0}, {255, 0} };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    const gchar *h = "{'descr': '|u1', 'fortran_order': False, "
        "'shape': (2, 3, 3)}";
    gchar *v = g_strdup_printf ("%u.%u", bad[i][0], bad[i][1]);
    expect_error (npy_file_full (bad[i][0], bad[i][1], h, strlen (h), rgb23,
            18), NPY_ERROR_BAD_VERSION, v);
    g_free (v);
  }
}

static void
test_error_truncated_header (void)
{
  const gchar *h = "{'descr': '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3)}";
  GByteArray *a;
  guint major;

  /* Cut inside the magic, after the version, inside the length. */
  a = npy_file (1, h, NULL, 0);
  g_byte_array_set_size (a, 3);
  expect_error (a, NPY_ERROR_TRUNCATED_HEADER, "truncated");
  for (major = 1; major <= 3; major++) {
    guint cut, full = major == 1 ? 10 : 12;
    for (cut = 6; cut < full; cut++) {
      a = npy_file (major, h, NULL, 0);
      g_byte_array_set_size (a, cut);
      expect_error (a, NPY_ERROR_TRUNCATED_HEADER, "truncated");
    }
    /* The length claims more than there is. */
    a = npy_file (major, h, NULL, 0);
    g_byte_array_set_size (a, a->len - 1);
    expect_error (a, NPY_ERROR_TRUNCATED_HEADER, "truncated");
  }
  /* A 4 GiB header in a small file: over the one header limit, which is
   * said before waiting for (or reading) any of it. */
  a = npy_file (2, h, NULL, 0);
  a->data[8] = a->data[9] = a->data[10] = a->data[11] = 0xff;
  expect_error (a, NPY_ERROR_BAD_HEADER, "4294967295 bytes long; the limit "
      "is 65536");
}

/* The one preamble reader: what it needs, what it says. */
static void
test_preamble (void)
{
  GError *error = NULL;
  NpyPreamble pre;
  guint8 v2[12] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0, 0, 1, 0 };
  GByteArray *a;
  gchar *h;

  g_assert_true (npy_preamble_read (v2, 12, &pre, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pre.major, ==, 2);
  g_assert_cmpuint (pre.header_offset, ==, 12);
  g_assert_cmpuint (pre.header_len, ==, NPY_MAX_HEADER_LEN);
  /* cut anywhere inside it: more bytes may help */
  g_assert_false (npy_preamble_read (v2, 11, &pre, &error));
  g_assert_error (error, NPY_ERROR, NPY_ERROR_TRUNCATED_HEADER);
  g_clear_error (&error);
  v2[8] = 1;                    /* 65537 */
  g_assert_false (npy_preamble_read (v2, 12, &pre, &error));
  g_assert_error (error, NPY_ERROR, NPY_ERROR_BAD_HEADER);
  g_clear_error (&error);
  v2[6] = 9;
  g_assert_false (npy_preamble_read (v2, 8, &pre, &error));
  g_assert_error (error, NPY_ERROR, NPY_ERROR_BAD_VERSION);
  assert_contains (error->message, "unsupported .npy version 9.0");
  g_clear_error (&error);

  /* A header one byte over the limit, all present, in both readers. */
  h = g_strnfill (NPY_MAX_HEADER_LEN + 1, ' ');
  memcpy (h, "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1)}", 57);
  a = npy_file (2, h, "\x01", 1);
  expect_error (a, NPY_ERROR_BAD_HEADER, "the limit is 65536");
  g_free (h);
}

/* ------------------------------------------------------------------ */
/* Bad headers */

static void
expect_bad_header (const gchar * header, const gchar * needle)
{
  expect_error (rgb23_with_header (1, header), NPY_ERROR_BAD_HEADER, needle);
}

static void
test_error_not_a_dict (void)
{
  expect_bad_header ("", "empty");
  expect_bad_header ("       \n", "empty");
  expect_bad_header ("['descr', 'fortran_order', 'shape']",
      "not a Python dict");
  expect_bad_header ("'hello'", "not a Python dict");
  expect_bad_header ("dict(descr='|u1')", "not a Python dict");
  expect_bad_header ("{'descr': '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3)", NULL);
  expect_bad_header ("{'descr': '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3)}}", "after the dict");
  expect_bad_header ("{'descr': '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3)} x", "after the dict");
}

static void
test_error_keys (void)
{
  expect_bad_header ("{}", "'descr'");
  expect_bad_header ("{'fortran_order': False, 'shape': (2, 3, 3)}",
      "no 'descr'");
  expect_bad_header ("{'descr': '|u1', 'shape': (2, 3, 3)}",
      "no 'fortran_order'");
  expect_bad_header ("{'descr': '|u1', 'fortran_order': False}", "no 'shape'");
  expect_bad_header ("{'descr': '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3), 'extra': 1}", "'extra'");
  expect_bad_header ("{'Descr': '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3)}", "'Descr'");
  expect_bad_header ("{'descr': '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3), 'descr': '|u1'}", "twice");
  expect_bad_header ("{'descr': '|u1', 'fortran_order': False, "
      "'fortran_order': False, 'shape': (2, 3, 3)}", "twice");
  expect_bad_header ("{'shape': (2, 3, 3), 'descr': '|u1', 'fortran_order': "
      "False, 'shape': (2, 3, 3)}", "twice");
}

static void
test_error_syntax (void)
{
  static const gchar nul_header[] = "{'descr': '|u1', 'fortran_order': "
      "False, 'shape': (2, 3, 3)}\0";

  /* Unquoted key, missing colon, missing comma, unterminated string,
   * a line break inside one, leading comma, unbalanced brackets. */
  expect_bad_header ("{descr: '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3)}", "quoted");
  expect_bad_header ("{'descr' '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3)}", "':'");
  expect_bad_header ("{'descr': '|u1' 'fortran_order': False, "
      "'shape': (2, 3, 3)}", "','");
  expect_bad_header ("{'descr': '|u1, 'fortran_order': False, "
      "'shape': (2, 3, 3)}", NULL);
  expect_bad_header ("{'descr': '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3)}'", NULL);
  expect_bad_header ("{'descr': '|u\n1', 'fortran_order': False, "
      "'shape': (2, 3, 3)}", "line break");
  expect_bad_header ("{, 'descr': '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3)}", NULL);
  expect_bad_header ("{'descr': [('r', '|u1'), ('g', '|u1')), "
      "'fortran_order': False, 'shape': (2, 3, 3)}", "unbalanced");
  expect_bad_header ("{'descr': '|u1', 'fortran_order': False, "
      "'shape': (2, 3, 3}", NULL);
  expect_bad_header ("{'descr': '|u1', 'fortran_order': False, "
      "'shape': (2 3 3)}", NULL);
  expect_bad_header ("{'descr': '|u1', 'fortran_order': False, "
      "'shape': (2, , 3)}", NULL);
  expect_bad_header ("{'descr': '|u1', 'fortran_order': , "
      "'shape': (2, 3, 3)}", NULL);
  /* A NUL byte is not whitespace. */
  expect_error (npy_file_full (1, 0, nul_header, sizeof nul_header - 1,
          rgb23, 18), NPY_ERROR_BAD_HEADER, "after the dict");
}

static void
test_error_deep_nesting (void)
{
  GString *h = g_string_new ("{'descr': ");
  guint i;

  /* Must be refused without recursing 30000 levels deep. */
  for (i = 0; i < 30000; i++)
    g_string_append_c (h, '[');
  for (i = 0; i < 30000; i++)
    g_string_append_c (h, ']');
  g_string_append (h, ", 'fortran_order': False, 'shape': (2, 3, 3)}");
  expect_error (npy_file (2, h->str, rgb23, 18), NPY_ERROR_BAD_HEADER,
      "nested");
  g_string_free (h, TRUE);
}

static void
test_error_fortran_order (void)
{
  static const gchar *const bad[] = {
    "1", "0", "'True'", "true", "None", "TrueX", "(True,)"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *h = g_strdup_printf ("{'descr': '|u1', 'fortran_order': %s, "
        "'shape': (2, 3, 3)}", bad[i]);
    expect_bad_header (h, "True or False");
    g_free (h);
  }
}

/* ------------------------------------------------------------------ */
/* Bad shapes */

static void
expect_bad_shape (const gchar * shape, const gchar * needle)
{
  gchar *h = g_strdup_printf ("{'descr': '|u1', 'fortran_order': False, "
      "'shape': %s}", shape);

  expect_error (rgb23_with_header (1, h), NPY_ERROR_BAD_SHAPE, needle);
  g_free (h);
}

static void
test_error_shape (void)
{
  /* Dimensions */
  expect_bad_shape ("()", "(height, width)");
  expect_bad_shape ("(18,)", "(height, width)");
  expect_bad_shape ("(1, 2, 3, 3)", "(height, width)");
  expect_bad_shape ("(1, 1, 1, 1, 1, 1, 1, 1, 1, 1)", "(height, width)");
  /* Last axis */
  expect_bad_shape ("(2, 3, 0)", "is 0");
  expect_bad_shape ("(1, 3, 5)", "channels");
  expect_bad_shape ("(1, 1, 18)", "channels");
  /* Zero and negative */
  expect_bad_shape ("(0, 3)", "is 0");
  expect_bad_shape ("(2, 0, 3)", "is 0");
  expect_bad_shape ("(-0, 3)", "is 0");
  expect_bad_shape ("(-1, 3)", "negative");
  expect_bad_shape ("(2, -3, 3)", "negative");
  /* Not integers, not a tuple */
  expect_bad_shape ("(2, 3.0, 3)", "not an integer");
  expect_bad_shape ("('2', 3, 3)", "not an integer");
  expect_bad_shape ("(2, 3, None)", "not an integer");
  expect_bad_shape ("(2, 3, (3,))", "not an integer");
  expect_bad_shape ("(2, 3, 0x3)", "not an integer");
  expect_bad_shape ("(18)", "not a tuple");
  expect_bad_shape ("[2, 3, 3]", "not a tuple");
  expect_bad_shape ("18", "not a tuple");
  expect_bad_shape ("None", "not a tuple");
  /* Beyond 64 bits, and an element count beyond gsize. */
  expect_bad_shape ("(99999999999999999999999, 3)", "64 bits");
  expect_bad_shape ("(18446744073709551616, 1)", "64 bits");
  expect_bad_shape ("(4294967296, 4294967296, 4)", "address");
  expect_bad_shape ("(18446744073709551615, 2)", "address");
}

static void
test_error_too_large (void)
{
  /* A forged shape in a tiny file is refused on the numbers alone. */
  expect_error (npy_simple ("|u1", FALSE, "(100000, 100000, 4)", rgb23, 18),
      NPY_ERROR_TOO_LARGE, "32768");
  expect_error (npy_simple ("<f8", FALSE, "(100000, 100000, 4)", rgb23, 18),
      NPY_ERROR_TOO_LARGE, NULL);
  expect_error (npy_simple ("|u1", FALSE, "(1, 32769)", rgb23, 18),
      NPY_ERROR_TOO_LARGE, "32769x1");
  expect_error (npy_simple ("|u1", FALSE, "(32769, 1)", rgb23, 18),
      NPY_ERROR_TOO_LARGE, "1x32769");
  expect_error_max (npy_simple ("|u1", FALSE, "(2, 3, 3)", rgb23, 18), 2,
      NPY_ERROR_TOO_LARGE, "3x2");
  /* Without a limit the same file is short of data, and must still not
   * try to allocate 40 GB first. */
  expect_error_max (npy_simple ("|u1", FALSE, "(100000, 100000, 4)", rgb23,
          18), G_MAXUINT, NPY_ERROR_TRUNCATED_DATA, "40000000000");
}

static void
test_max_side (void)
{
  guint8 *data = g_malloc0 (32768);
  NpyImage *image;

  /* Exactly at the limit is fine. */
  image = expect_ok (npy_simple ("|u1", FALSE, "(1, 32768)", data, 32768), 0);
  g_assert_cmpuint (image->width, ==, 32768);
  g_assert_cmpuint (image->height, ==, 1);
  npy_image_free (image);
  image = expect_ok (npy_simple ("|u1", FALSE, "(2, 3, 3)", rgb23, 18), 3);
  g_assert_cmpuint (image->width, ==, 3);
  npy_image_free (image);
  g_free (data);
}

/* ------------------------------------------------------------------ */
/* Data */

static void
test_error_truncated_data (void)
{
  GByteArray *a = g_byte_array_new ();
  guint i;

  expect_error (npy_simple ("|u1", FALSE, "(2, 3, 3)", rgb23, 17),
      NPY_ERROR_TRUNCATED_DATA,
      "file seems truncated: the shape needs 18 bytes of data, only 17 "
      "present");
  expect_error (npy_simple ("|u1", FALSE, "(2, 3, 3)", NULL, 0),
      NPY_ERROR_TRUNCATED_DATA, "only 0 present");
  for (i = 0; i < 4; i++)
    put_f64 (a, 0.5, FALSE);
  expect_error (npy_simple ("<f8", FALSE, "(2, 2)", a->data, 31),
      NPY_ERROR_TRUNCATED_DATA, "needs 32 bytes of data, only 31");
  expect_error (npy_simple ("<u2", TRUE, "(2, 2)", a->data, 7),
      NPY_ERROR_TRUNCATED_DATA, "needs 8 bytes");
  g_byte_array_unref (a);
}

static void
test_error_value_range (void)
{
  GByteArray *a = g_byte_array_new ();
  guint i;

  /* The message from the documentation, index in the array's shape. */
  for (i = 0; i < 3 * 6 * 2; i++)
    put (a, i == (2 * 6 + 5) * 2 + 1 ? 300 : 7, 8, FALSE);
  expect_error (npy_simple ("<i8", FALSE, "(3, 6, 2)", a->data, a->len),
      NPY_ERROR_BAD_VALUE, "value 300 at index (2, 5, 1) is outside 0..255 "
      "(an int64 array is usually an accident of np.array; convert with "
      ".astype(np.uint8))");
  g_byte_array_set_size (a, 0);

  /* Fortran order: flat 1 + 3 * (4 + 6 * 0) is (1, 4, 0). */
  for (i = 0; i < 3 * 6 * 2; i++)
    put (a, i == 1 + 3 * 4 ? 256 : 7, 8, TRUE);
  expect_error (npy_simple (">i8", TRUE, "(3, 6, 2)", a->data, a->len),
      NPY_ERROR_BAD_VALUE, "value 256 at index (1, 4, 0)");
  g_byte_array_set_size (a, 0);

  /* Negative: i1, i2, i4. */
  for (i = 0; i < 4; i++)
    put (a, i == 3 ? 0xff : 1, 1, FALSE);
  expect_error (npy_simple ("|i1", FALSE, "(2, 2)", a->data, a->len),
      NPY_ERROR_BAD_VALUE, "value -1 at index (1, 1)");
  g_byte_array_set_size (a, 0);
  for (i = 0; i < 4; i++)
    put (a, i == 2 ? 0xff80 : 1, 2, TRUE);
  expect_error (npy_simple (">i2", FALSE, "(2, 2)", a->data, a->len),
      NPY_ERROR_BAD_VALUE, "value -128 at index (1, 0)");
  g_byte_array_set_size (a, 0);
  for (i = 0; i < 4; i++)
    put (a, i == 1 ? 1000 : 1, 4, FALSE);
  expect_error (npy_simple ("<i4", FALSE, "(2, 2)", a->data, a->len),
      NPY_ERROR_BAD_VALUE, "value 1000 at index (0, 1)");
  g_byte_array_set_size (a, 0);

  /* Unsigned, up to the largest uint64. */
  for (i = 0; i < 4; i++)
    put (a, i == 0 ? 256 : 1, 4, TRUE);
  expect_error (npy_simple (">u4", FALSE, "(2, 2)", a->data, a->len),
      NPY_ERROR_BAD_VALUE, "value 256 at index (0, 0) is outside 0..255 "
      "(a uint32 array");
  g_byte_array_set_size (a, 0);
  for (i = 0; i < 4; i++)
    put (a, i == 3 ? G_MAXUINT64 : 1, 8, FALSE);
  expect_error (npy_simple ("<u8", FALSE, "(2, 2)", a->data, a->len),
      NPY_ERROR_BAD_VALUE, "value 18446744073709551615 at index (1, 1)");
  g_byte_array_unref (a);
}

static void
test_error_nan (void)
{
  GByteArray *a = g_byte_array_new ();
  guint o, i;

  for (o = 0; o < 2; o++) {
    gchar *f2 = g_strconcat (orders[o], "f2", NULL);
    gchar *f4 = g_strconcat (orders[o], "f4", NULL);
    gchar *f8 = g_strconcat (orders[o], "f8", NULL);

    for (i = 0; i < 4; i++)
      put (a, i == 2 ? 0x7e00 : 0x3800, 2, o == 1);
    expect_error (npy_simple (f2, FALSE, "(2, 2)", a->data, a->len),
        NPY_ERROR_BAD_VALUE, "nan at index (1, 0)");
    g_byte_array_set_size (a, 0);

    for (i = 0; i < 6; i++)
      put_f32 (a, i == 5 ? NAN : 0.5f, o == 1);
    expect_error (npy_simple (f4, FALSE, "(1, 3, 2)", a->data, a->len),
        NPY_ERROR_BAD_VALUE, "nan at index (0, 2, 1)");
    g_byte_array_set_size (a, 0);

    /* A NaN is refused even after values that make it a 0..255 image. */
    for (i = 0; i < 4; i++)
      put_f64 (a, i == 1 ? -NAN : 200.0, o == 1);
    expect_error (npy_simple (f8, TRUE, "(2, 2)", a->data, a->len),
        NPY_ERROR_BAD_VALUE, "nan at index (1, 0)");
    g_byte_array_set_size (a, 0);

    g_free (f2);
    g_free (f4);
    g_free (f8);
  }
  g_byte_array_unref (a);
}

static void
test_error_dtype (void)
{
  static const gchar *const bad[] = {
    "|O", "|O8", "|S5", "|a5", "<U3", ">U3", "<c8", "<c16", "<M8[ns]",
    "<m8[s]", "|V4", "<f16", "<f12", "<f3", "<u16", "<i3", "<u3", "|b2",
    "<b8", "|u0", "", "<", "u", "<u1x", "<f 4", "?", "<d", "float32", "|u1|",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *quoted = g_strdup_printf ("'%s'", bad[i]);
    expect_error (npy_simple (bad[i], FALSE, "(2, 3, 3)", rgb23, 18),
        NPY_ERROR_UNSUPPORTED_DTYPE, quoted);
    g_free (quoted);
  }

  /* Structured arrays have a list as their descr. */
  expect_error (npy_file (1, "{'descr': [('r', '|u1'), ('g', '|u1'), "
          "('b', '|u1')], 'fortran_order': False, 'shape': (2, 3)}",
          rgb23, 18), NPY_ERROR_UNSUPPORTED_DTYPE,
      "[('r', '|u1'), ('g', '|u1'), ('b', '|u1')]");
  expect_error (npy_file (1, "{'descr': 3, 'fortran_order': False, "
          "'shape': (2, 3)}", rgb23, 18), NPY_ERROR_UNSUPPORTED_DTYPE, "3");
  expect_error (npy_file (1, "{'descr': {'names': ['r']}, 'fortran_order': "
          "False, 'shape': (2, 3)}", rgb23, 18),
      NPY_ERROR_UNSUPPORTED_DTYPE, "names");
}

/* ------------------------------------------------------------------ */
/* Files */

static void
test_file_missing (void)
{
  GError *error = NULL;
  gchar *path = g_build_filename (tmp_dir, "does-not-exist.npy", NULL);
  gchar *prefix = g_strconcat (path, ": ", NULL);
  NpyImage *image = npy_image_new_from_file (path, 0, &error);

  g_assert_null (image);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* A directory is not a file either. */
  image = npy_image_new_from_file (tmp_dir, 0, &error);
  g_assert_null (image);
  g_assert_error (error, NPY_ERROR, NPY_ERROR_FAILED);
  assert_contains (error->message, tmp_dir);
  g_clear_error (&error);

  g_free (prefix);
  g_free (path);
}

/* A read on a thread whose cancel flag is set stops with "cancelled";
 * with the flag clear (or none) it reads, uint8 RGBA (read in place) and
 * float (read in chunks) alike. */
static void
test_file_cancelled (void)
{
  static const gchar *const descrs[] = { "|u1", "<f4" };
  gchar *path = g_build_filename (tmp_dir, "cancel.npy", NULL);
  GError *error = NULL;
  gint cancelled = 1;
  guint d;

  for (d = 0; d < G_N_ELEMENTS (descrs); d++) {
    gsize values = 8 * 8 * 4, size = !d ? 1 : 4;
    GString *s = test_util_npy_header (descrs[d], "(8, 8, 4)");
    NpyImage *image;

    g_string_set_size (s, s->len + values * size);
    memset (s->str + s->len - values * size, 0, values * size);
    g_assert_true (g_file_set_contents (path, s->str, s->len, NULL));

    npy_set_thread_cancel_flag (&cancelled);
    image = npy_image_new_from_file (path, 0, &error);
    g_assert_null (image);
    g_assert_error (error, NPY_ERROR, NPY_ERROR_FAILED);
    assert_contains (error->message, "cancelled");
    g_clear_error (&error);

    cancelled = 0;
    image = npy_image_new_from_file (path, 0, &error);
    g_assert_no_error (error);
    npy_image_free (image);
    npy_set_thread_cancel_flag (NULL);
    cancelled = 1;
    image = npy_image_new_from_file (path, 0, &error);
    g_assert_no_error (error);
    npy_image_free (image);

    g_string_free (s, TRUE);
  }
  g_unlink (path);
  g_free (path);
}

static void
test_file_name_in_errors (void)
{
  GError *error = NULL;
  gchar *path = g_build_filename (tmp_dir, "logo.npy", NULL);
  NpyImage *image;

  g_file_set_contents (path, "\x93NUMPY\x05\x00", 8, &error);
  g_assert_no_error (error);
  image = npy_image_new_from_file (path, 0, &error);
  g_assert_null (image);
  g_assert_error (error, NPY_ERROR, NPY_ERROR_BAD_VERSION);
  assert_contains (error->message, "logo.npy: unsupported .npy version 5.0");
  g_assert_true (g_str_has_prefix (error->message, path));
  g_clear_error (&error);
  g_unlink (path);
  g_free (path);
}

/* ------------------------------------------------------------------ */
/* Real NumPy files, from tests/gen_npy.py */

typedef struct
{
  gchar *dir;
  gchar *name;
  gboolean ok, stack;
  guint width, height, frames;
  gint code;
} NumpyCase;

static void
numpy_case_free (gpointer data)
{
  NumpyCase *c = data;

  g_free (c->dir);
  g_free (c->name);
  g_free (c);
}

static gint
error_code_from_name (const gchar * name)
{
  static const gchar *const names[] = {
    "BAD_MAGIC", "BAD_VERSION", "TRUNCATED_HEADER", "BAD_HEADER",
    "BAD_SHAPE", "TOO_LARGE", "UNSUPPORTED_DTYPE", "BAD_VALUE",
    "TRUNCATED_DATA", "FAILED",
  };
  gint i;

  G_STATIC_ASSERT (NPY_ERROR_FAILED == 9);
  for (i = 0; i < (gint) G_N_ELEMENTS (names); i++)
    if (strcmp (name, names[i]) == 0)
      return i;
  return -1;
}

static gchar *
read_expected (const NumpyCase * c, const gchar * ext, gsize * len)
{
  gchar *path = g_strdup_printf ("%s/%s.%s", c->dir, c->name, ext);
  gchar *want;
  GError *error = NULL;

  g_file_get_contents (path, &want, len, &error);
  g_assert_no_error (error);
  g_free (path);
  return want;
}

/* Reads @npy with @flags, from the file and from memory, and compares
 * the pixels with @want (8 or 16 bits as the result's depth says). */
static void
check_read (const NumpyCase * c, const gchar * npy, NpyReadFlags flags,
    guint depth, const gchar * want, gsize want_len)
{
  gchar *contents;
  gsize len, values;
  GError *error = NULL;
  NpyImage *image;
  guint pass;

  g_file_get_contents (npy, &contents, &len, &error);
  g_assert_no_error (error);
  for (pass = 0; pass < 2; pass++) {
    if (pass == 0)
      image = npy_image_new_from_file_full (npy, 0, 0, flags, &error);
    else
      image = npy_image_new_from_data_full ((const guint8 *) contents, len,
          0, 0, flags, &error);
    g_assert_no_error (error);
    g_assert_nonnull (image);
    g_assert_cmpuint (image->width, ==, c->width);
    g_assert_cmpuint (image->height, ==, c->height);
    g_assert_cmpuint (image->n_frames, ==, c->frames);
    g_assert_cmpuint (image->depth, ==, depth);
    values = (gsize) image->width * image->height * image->n_frames * 4;
    if (depth == 16) {
      g_assert_null (image->rgba);
      g_assert_cmpmem (image->rgba16, values * 2, want, want_len);
    } else {
      g_assert_cmpmem (image->rgba, values, want, want_len);
    }
    npy_image_free (image);
  }
  g_free (contents);
}

/* 16 bits under NPY_READ_DEPTH_AUTO: uint16 and floats, as the header
 * says. */
static guint
auto_depth (const gchar * npy)
{
  gchar *contents;
  gsize len;
  NpyHeader header;
  GError *error = NULL;
  guint depth;

  g_file_get_contents (npy, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_true (npy_header_parse ((const guint8 *) contents, len, &header,
          &error));
  g_assert_no_error (error);
  depth = header.descr[1] == 'f' || strcmp (header.descr + 1, "u2") == 0 ?
      16 : 8;
  npy_header_clear (&header);
  g_free (contents);
  return depth;
}

static void
test_numpy_case (gconstpointer data)
{
  const NumpyCase *c = data;
  GError *error = NULL;
  gchar *npy = g_strdup_printf ("%s/%s.npy", c->dir, c->name);
  NpyImage *image = npy_image_new_from_file (npy, 0, &error);

  if (c->ok) {
    NpyReadFlags stack = c->stack ? NPY_READ_STACK : 0;
    gchar *want, *want16;
    gsize want_len, want16_len;
    guint depth;

    want = read_expected (c, "rgba", &want_len);
    want16 = read_expected (c, "rgba16", &want16_len);
    if (c->stack) {
      /* Only when asked for. */
      g_assert_null (image);
      g_assert_error (error, NPY_ERROR, NPY_ERROR_BAD_SHAPE);
      g_clear_error (&error);
    } else {
      g_assert_no_error (error);
      g_assert_nonnull (image);
      g_assert_cmpuint (image->width, ==, c->width);
      g_assert_cmpuint (image->height, ==, c->height);
      g_assert_cmpuint (image->depth, ==, 8);
      g_assert_cmpuint (image->n_frames, ==, 1);
      g_assert_cmpmem (image->rgba, (gsize) image->width * image->height *
          4, want, want_len);
      npy_image_free (image);
    }
    check_read (c, npy, stack, 8, want, want_len);
    check_read (c, npy, stack | NPY_READ_DEPTH_16, 16, want16, want16_len);
    depth = auto_depth (npy);
    check_read (c, npy, stack | NPY_READ_DEPTH_AUTO, depth,
        depth == 16 ? want16 : want, depth == 16 ? want16_len : want_len);
    g_free (want);
    g_free (want16);
  } else {
    gchar *prefix = g_strconcat (npy, ": ", NULL);

    g_assert_null (image);
    g_assert_error (error, NPY_ERROR, c->code);
    g_assert_true (g_str_has_prefix (error->message, prefix));
    g_assert_cmpuint (strlen (error->message), >, strlen (prefix));
    g_test_message ("%s", error->message);
    g_error_free (error);
    g_free (prefix);
  }
  g_free (npy);
}

static gchar *numpy_problem;
static gboolean numpy_failed;

static void
test_numpy_unavailable (void)
{
  if (numpy_failed) {
    g_test_message ("%s", numpy_problem);
    g_test_fail ();
  } else {
    g_test_skip (numpy_problem);
  }
}

/* Runs gen_npy.py and registers one test per file it wrote. */
static void
add_numpy_tests (void)
{
  const gchar *python = g_getenv ("NPY_TEST_PYTHON");
  gchar *script = g_test_build_filename (G_TEST_DIST, "gen_npy.py", NULL);
  gchar *dir = g_build_filename (tmp_dir, "numpy", NULL);
  gchar *manifest_path, *manifest = NULL, *out = NULL, *err = NULL;
  gchar **lines;
  const gchar *argv[4];
  GError *error = NULL;
  gint status, n = 0;
  guint i;

  if (python == NULL || *python == '\0')
    python = "/usr/bin/python3";
  argv[0] = python;
  argv[1] = script;
  argv[2] = dir;
  argv[3] = NULL;
  g_mkdir (dir, 0700);

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
          NULL, &out, &err, &status, &error)) {
    numpy_problem = g_strdup_printf ("cannot run %s (set NPY_TEST_PYTHON "
        "to a Python with NumPy): %s", python, error->message);
    g_clear_error (&error);
    goto unavailable;
  }
  if (!g_spawn_check_wait_status (status, &error)) {
    if (g_error_matches (error, G_SPAWN_EXIT_ERROR, 77)) {
      numpy_problem = g_strdup_printf ("%s has no NumPy, real .npy files "
          "not tested (install python3-numpy): %s", python, g_strstrip (err));
    } else {
      numpy_problem = g_strdup_printf ("%s %s failed: %s\n%s", python,
          script, error->message, err);
      numpy_failed = TRUE;
    }
    g_clear_error (&error);
    goto unavailable;
  }

  manifest_path = g_build_filename (dir, "manifest.txt", NULL);
  if (!g_file_get_contents (manifest_path, &manifest, NULL, &error)) {
    numpy_problem = g_strdup_printf ("gen_npy.py wrote no manifest: %s",
        error->message);
    numpy_failed = TRUE;
    g_clear_error (&error);
    g_free (manifest_path);
    goto unavailable;
  }
  g_free (manifest_path);

  lines = g_strsplit (manifest, "\n", -1);
  for (i = 0; lines[i]; i++) {
    gchar **f = g_strsplit (lines[i], " ", -1);
    guint nf = g_strv_length (f);
    NumpyCase *c;
    gchar *path;

    if (nf == 0) {
      g_strfreev (f);
      continue;
    }
    c = g_new0 (NumpyCase, 1);
    c->dir = g_strdup (dir);
    c->name = g_strdup (f[0]);
    if (nf == 4 && strcmp (f[1], "ok") == 0) {
      c->ok = TRUE;
      c->width = (guint) g_ascii_strtoull (f[2], NULL, 10);
      c->height = (guint) g_ascii_strtoull (f[3], NULL, 10);
      c->frames = 1;
    } else if (nf == 5 && strcmp (f[1], "stack") == 0) {
      c->ok = c->stack = TRUE;
      c->width = (guint) g_ascii_strtoull (f[2], NULL, 10);
      c->height = (guint) g_ascii_strtoull (f[3], NULL, 10);
      c->frames = (guint) g_ascii_strtoull (f[4], NULL, 10);
    } else if (nf == 3 && strcmp (f[1], "error") == 0) {
      c->code = error_code_from_name (f[2]);
      g_assert_cmpint (c->code, >=, 0);
    } else {
      g_error ("bad manifest line: %s", lines[i]);
    }
    path = g_strdup_printf ("/npy/numpy/%s", c->name);
    g_test_add_data_func_full (path, c, test_numpy_case, numpy_case_free);
    g_free (path);
    g_strfreev (f);
    n++;
  }
  g_strfreev (lines);
  if (n == 0) {
    numpy_problem = g_strdup ("gen_npy.py wrote no cases");
    numpy_failed = TRUE;
    goto unavailable;
  }
  goto done;

unavailable:
  g_test_add_func ("/npy/numpy/generate", test_numpy_unavailable);
done:
  g_free (manifest);
  g_free (out);
  g_free (err);
  g_free (dir);
  g_free (script);
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("test-npy-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/npy/shape/2d", test_shape_2d);
  g_test_add_func ("/npy/shape/1-channel", test_shape_1ch);
  g_test_add_func ("/npy/shape/2-channels", test_shape_2ch);
  g_test_add_func ("/npy/shape/3-channels", test_shape_3ch);
  g_test_add_func ("/npy/shape/4-channels", test_shape_4ch);
  g_test_add_func ("/npy/shape/one-pixel", test_shape_one_pixel);

  g_test_add_func ("/npy/dtype/bool", test_dtype_bool);
  g_test_add_func ("/npy/dtype/uint8", test_dtype_uint8);
  g_test_add_func ("/npy/dtype/int8", test_dtype_int8);
  g_test_add_func ("/npy/dtype/uint16", test_dtype_uint16);
  g_test_add_func ("/npy/dtype/wide-integers", test_dtype_wide_integers);
  g_test_add_func ("/npy/dtype/float16", test_dtype_float16);
  g_test_add_func ("/npy/dtype/float32", test_dtype_float32);
  g_test_add_func ("/npy/dtype/float64", test_dtype_float64);
  g_test_add_func ("/npy/dtype/float-edges", test_dtype_float_edges);
  g_test_add_func ("/npy/dtype/native", test_dtype_native);

  g_test_add_func ("/npy/fortran/all-shapes", test_fortran_order);
  g_test_add_func ("/npy/fortran/literal", test_fortran_literal);
  g_test_add_func ("/npy/fortran/uint16", test_fortran_wide_dtype);

  g_test_add_func ("/npy/parse/version-1", test_version_1);
  g_test_add_func ("/npy/parse/version-2", test_version_2);
  g_test_add_func ("/npy/parse/version-3", test_version_3);
  g_test_add_func ("/npy/parse/alignment", test_header_alignment);
  g_test_add_func ("/npy/parse/key-order", test_header_key_order);
  g_test_add_func ("/npy/parse/whitespace", test_header_whitespace);
  g_test_add_func ("/npy/parse/trailing-commas", test_header_trailing_commas);
  g_test_add_func ("/npy/parse/quotes", test_header_quotes);
  g_test_add_func ("/npy/parse/long-suffix", test_header_long_suffix);
  g_test_add_func ("/npy/parse/trailing-data", test_trailing_data);
  g_test_add_func ("/npy/parse/encodings", test_header_latin1_and_utf8);
  g_test_add_func ("/npy/parse/max-side", test_max_side);
  g_test_add_func ("/npy/parse/from-bytes", test_from_bytes);

  g_test_add_func ("/npy/error/magic", test_error_magic);
  g_test_add_func ("/npy/error/version", test_error_version);
  g_test_add_func ("/npy/error/preamble", test_preamble);
  g_test_add_func ("/npy/error/truncated-header", test_error_truncated_header);
  g_test_add_func ("/npy/error/not-a-dict", test_error_not_a_dict);
  g_test_add_func ("/npy/error/keys", test_error_keys);
  g_test_add_func ("/npy/error/syntax", test_error_syntax);
  g_test_add_func ("/npy/error/deep-nesting", test_error_deep_nesting);
  g_test_add_func ("/npy/error/fortran-order", test_error_fortran_order);
  g_test_add_func ("/npy/error/shape", test_error_shape);
  g_test_add_func ("/npy/error/too-large", test_error_too_large);
  g_test_add_func ("/npy/error/truncated-data", test_error_truncated_data);
  g_test_add_func ("/npy/error/value-range", test_error_value_range);
  g_test_add_func ("/npy/error/nan", test_error_nan);
  g_test_add_func ("/npy/error/dtype", test_error_dtype);

  g_test_add_func ("/npy/file/missing", test_file_missing);
  g_test_add_func ("/npy/file/name-in-errors", test_file_name_in_errors);
  g_test_add_func ("/npy/file/cancelled", test_file_cancelled);

  add_numpy_tests ();

  ret = g_test_run ();

  test_util_remove_tree (tmp_dir);
  g_free (tmp_dir);
  g_free (numpy_problem);
  return ret;
}
