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

/* The run's settings: the original script's config.yaml (read with
 * libyaml, every fault reported with its file and line), then the
 * command line on top. */

#ifndef __BATCH_SETTINGS_H__
#define __BATCH_SETTINGS_H__

#include <glib.h>

G_BEGIN_DECLS

#define BATCH_SETTINGS_ERROR (batch_settings_error_quark ())
GQuark batch_settings_error_quark (void);

typedef enum
{
  BATCH_SETTINGS_ERROR_SYNTAX,    /* libyaml could not parse the file */
  BATCH_SETTINGS_ERROR_MISSING,   /* a required key is absent */
  BATCH_SETTINGS_ERROR_INVALID,   /* wrong type or out of range */
  BATCH_SETTINGS_ERROR_FAILED     /* anything else (I/O) */
} BatchSettingsError;

/* Limits, shared by the file and the command line. */
#define BATCH_QUALITY_MIN 1
#define BATCH_QUALITY_MAX 100
#define BATCH_OPACITY_MAX 100.0
#define BATCH_HEIGHT_MAX 32768
#define BATCH_SIZE_MAX 10000.0          /* percent: the element's 100 */
#define BATCH_SPACING_MAX 65535

/* Defaults for values the script had no key for, or, without a config
 * file, for the two the command line may leave out. */
#define BATCH_DEFAULT_OUTPUT_QUALITY 100
#define BATCH_DEFAULT_OPACITY 100.0
#define BATCH_DEFAULT_QUALITY 30

/* A margin: pixels, or a percentage of the output picture's shorter
 * side ("2.5%"). */
typedef struct
{
  gdouble value;
  gboolean percent;
} BatchMargin;

/* The margin in pixels for a @width x @height output picture. */
gint batch_margin_pixels (const BatchMargin * margin, gint width, gint height);

typedef struct
{
  gchar *config_file;           /* the file read, NULL if none */
  /* Relative paths from the file are resolved against its folder;
   * paths from the command line against the working directory. */
  gchar *input_folder;
  gchar *npy_path;              /* as written: ".npy" may be missing */
  gchar *output_folder;         /* NULL: <input_folder>/output */
  gdouble opacity;              /* percent, 0..100 */
  gint quality;                 /* JPEG round trip, 1..100 */
  gint output_height;           /* 1..BATCH_HEIGHT_MAX */
  gint output_quality;          /* JPEG outputs, 1..100 */
  gboolean auto_orient;         /* apply EXIF orientation */
  gboolean strip_metadata;      /* drop EXIF, ICC and text ("metadata: strip") */
  /* where the watermark goes (defaults: the script's top-left corner) */
  gint position;                /* the element's nicks, 0..8 in their order */
  BatchMargin margin;             /* both offsets, inward from the anchor */
  gdouble size;                 /* percent of the picture, 0: own size */
  gboolean tile;
  gint tile_spacing;            /* pixels */
  /* video files (--videos, video.c) */
  gboolean videos;
  gint video_crf;               /* 0..51 */
  gchar *video_preset;          /* x264's preset names */
} BatchSettings;

/* Values the command line left unset. */
#define BATCH_UNSET_INT G_MININT
#define BATCH_UNSET_DOUBLE (-G_MAXDOUBLE)

/* What the command line gave; unset values are NULL or BATCH_UNSET_*. */
typedef struct
{
  const gchar *config_file;     /* NULL: ./config.yaml if it exists */
  const gchar *input_folder;
  const gchar *output_folder;
  const gchar *npy_path;
  gdouble opacity;
  gint quality;
  gint output_height;
  gint output_quality;
  gboolean strip_metadata;      /* FALSE: as the file says */
  gboolean no_auto_orient;      /* FALSE: as the file says */
  const gchar *position;        /* a nick */
  const gchar *margin;          /* "12" or "2.5%" */
  gdouble size;                 /* percent */
  gboolean tile;                /* FALSE: as the file says */
  gint tile_spacing;
  gboolean videos;              /* FALSE: as the file says */
  gint video_crf;
  const gchar *video_preset;
} BatchSettingsOverrides;

/* Reads the config file, applies @overrides and checks every value.
 * Unknown keys are warnings, printed to stderr.  Error messages start
 * with "FILE:LINE: " (or "FILE: ") when a file is at fault. */
BatchSettings *batch_settings_load (const BatchSettingsOverrides * overrides,
    GError ** error);

void batch_settings_free (BatchSettings * settings);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BatchSettings, batch_settings_free)

G_END_DECLS

#endif /* __BATCH_SETTINGS_H__ */
