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

/* Shared by the fuzz targets and the programs that replay their inputs
 * (tests/regress/). */

#ifndef __NPW_FUZZ_H__
#define __NPW_FUZZ_H__

#include <stdio.h>
#include <stdlib.h>
#include <glib.h>

G_BEGIN_DECLS

/* A broken promise of the code under test: abort, which libFuzzer
 * records as a crash with this input, and which fails a replay test.
 * Not g_assert: that one can be compiled out. */
#define FUZZ_CHECK(cond)                                                    \
  G_STMT_START {                                                            \
    if (G_UNLIKELY (!(cond))) {                                             \
      fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,     \
          #cond);                                                           \
      abort ();                                                             \
    }                                                                       \
  } G_STMT_END

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

G_END_DECLS

#endif /* __NPW_FUZZ_H__ */
