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

/* libFuzzer target for the .npy reader: the input is the file.
 *
 * Besides what ASan and UBSan catch, it checks the reader's contract:
 * exactly one of image and error, an NPY_ERROR with a UTF-8 message, a
 * size within the limit, and that a lower limit refuses exactly the
 * images larger than it and changes nothing else; that the 16-bit
 * result is the 8-bit one within the rounding of each,
 * that accepting stacks changes nothing for 2-D and 3-D arrays,
 * that npy_image_check_header agrees with the reader, and that
 * npy_header_parse (the typefinder's) gives UTF-8 text and reads every
 * file the reader takes, with the same shape.
 *
 * The same file is linked into tests/regress/ with a plain main () that
 * replays tests/npy-regressions/npy/, so every input the fuzzer ever
 * found is run by the ordinary test suite. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib.h>

#include "npy.h"
#include "fuzz.h"

/* A lower limit, small enough that the corpus meets it. */
#define SMALL_MAX_SIDE 4

static void
check_result (NpyImage * image, GError * error, guint max_side)
{
  if (image == NULL) {
    FUZZ_CHECK (error != NULL);
    FUZZ_CHECK (error->domain == NPY_ERROR);
    FUZZ_CHECK (error->code >= NPY_ERROR_BAD_MAGIC
        && error->code <= NPY_ERROR_FAILED);
    /* Messages quote header bytes: they must still be printable. */
    FUZZ_CHECK (g_utf8_validate (error->message, -1, NULL));
    return;
  }
  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (image->width >= 1 && image->width <= max_side);
  FUZZ_CHECK (image->height >= 1 && image->height <= max_side);
  FUZZ_CHECK (image->rgba != NULL);
}

/* The _full functions against the default result @image (NULL if the
 * default refused the file). */
static void
check_full (const guint8 * data, size_t size, const NpyImage * image)
{
  GError *error = NULL;
  NpyImage *deep, *stack;
  guint64 file_size = 0;
  gboolean header_ok, parsed;
  NpyHeader header;
  gsize i, n;

  header_ok = npy_image_check_header (data, size, 0, 0, NPY_READ_STACK,
      &file_size, &error);
  FUZZ_CHECK (header_ok == (error == NULL));
  g_clear_error (&error);

  parsed = npy_header_parse (data, size, &header, &error);
  FUZZ_CHECK (parsed == (error == NULL));
  if (parsed) {
    FUZZ_CHECK (header.major >= 1 && header.major <= 3);
    FUZZ_CHECK (header.ndim <= NPY_MAX_DIMS);
    FUZZ_CHECK (header.descr != NULL);
    FUZZ_CHECK (g_utf8_validate (header.descr, -1, NULL));
    FUZZ_CHECK (header.header_size <= size);
  }
  /* every file the reader takes has a header the typefinder reads */
  FUZZ_CHECK (!header_ok || parsed);
  if (image) {
    guint last = header.ndim - 1;
    FUZZ_CHECK (header.ndim == 2 || header.ndim == 3);
    FUZZ_CHECK (header.shape[0] == image->height);
    FUZZ_CHECK (header.shape[1] == image->width);
    FUZZ_CHECK (image->channels == (header.ndim == 3 ? header.shape[last] : 1));
  }
  npy_header_clear (&header);
  g_clear_error (&error);

  stack = npy_image_new_from_data_full (data, size, 0, 0, NPY_READ_STACK,
      &error);
  check_result (stack, error, NPY_DEFAULT_MAX_SIDE);
  /* a file the reader takes passed the header check and is long enough */
  FUZZ_CHECK (stack == NULL || (header_ok && file_size <= size));
  if (image) {
    FUZZ_CHECK (stack != NULL && stack->n_frames == 1);
    FUZZ_CHECK (memcmp (stack->rgba, image->rgba,
            (gsize) image->width * image->height * 4) == 0);
  } else if (stack) {
    /* only a stack is taken with the flag and refused without */
    FUZZ_CHECK (stack->n_frames >= 1);
  }
  npy_image_free (stack);
  g_clear_error (&error);

  if (image == NULL)
    return;
  deep = npy_image_new_from_data_full (data, size, 0, 0, NPY_READ_DEPTH_16,
      &error);
  FUZZ_CHECK (deep != NULL && error == NULL);
  FUZZ_CHECK (deep->depth == 16 && deep->rgba == NULL);
  FUZZ_CHECK (deep->width == image->width && deep->height == image->height);
  n = (gsize) image->width * image->height * 4;
  for (i = 0; i < n; i++) {
    gint v8 = image->rgba[i], v16 = deep->rgba16[i];
    /* the 16-bit value seen at 8 bits is the 8-bit result, within the
     * rounding of each */
    FUZZ_CHECK (ABS (v8 * 257 - v16) <= 257);
  }
  npy_image_free (deep);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  GError *error = NULL, *small_error = NULL;
  NpyImage *image, *small;
  gsize bytes;

  image = npy_image_new_from_data (data, size, 0, &error);
  check_result (image, error, NPY_DEFAULT_MAX_SIDE);

  small = npy_image_new_from_data (data, size, SMALL_MAX_SIDE, &small_error);
  check_result (small, small_error, SMALL_MAX_SIDE);

  if (image == NULL) {
    /* A limit never makes a bad file good. */
    FUZZ_CHECK (small == NULL);
  } else if (image->width > SMALL_MAX_SIDE || image->height > SMALL_MAX_SIDE) {
    FUZZ_CHECK (small == NULL);
    FUZZ_CHECK (g_error_matches (small_error, NPY_ERROR, NPY_ERROR_TOO_LARGE));
  } else {
    FUZZ_CHECK (small != NULL);
    FUZZ_CHECK (small->width == image->width);
    FUZZ_CHECK (small->height == image->height);
    bytes = (gsize) image->width * image->height * 4;
    FUZZ_CHECK (memcmp (small->rgba, image->rgba, bytes) == 0);
  }

  check_full (data, size, image);

  npy_image_free (image);
  npy_image_free (small);
  g_clear_error (&error);
  g_clear_error (&small_error);
  return 0;
}
