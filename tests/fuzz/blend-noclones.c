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

/* gst/blend.c for the fuzz targets, without target_clones: clang 14
 * names the ifunc of a cloned function "f.ifunc" and leaves callers in
 * other files (overlay.c) with an undefined "f", so the kernels are
 * built here as plain functions.  The AVX2 clones are exercised by the
 * GCC builds instead (build-asan, valgrind). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#undef HAVE_CONFIG_H
#endif
#undef HAVE_TARGET_CLONES

#include "blend.c"
