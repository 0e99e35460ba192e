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

/* The files of a run: pictures (.jpg, .jpeg, .png, .webp, .tif, .tiff,
 * .bmp, .gif in any letter case), each paired with its output path, and
 * every other file, listed as not supported so that none is passed over
 * without a word; hidden files and the output folder left out, in sorted
 * order; and the K-th of N interleaved shards of them. */

#ifndef __NPW_FILES_H__
#define __NPW_FILES_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *relative;              /* path below the input folder */
  gchar *input_path;            /* input folder + relative */
  gchar *output_path;           /* output folder + relative; TIFF, BMP and
                                 * GIF get ".png"; NULL if unsupported */
  const gchar *unsupported;     /* why it is not a picture we take, or NULL */
  gboolean video;               /* a video file taken by --videos (video.c) */
} NpwPicture;

void npw_picture_free (NpwPicture * picture);

/* TRUE if @a and @b name the same existing directory. */
gboolean npw_files_same_dir (const gchar * a, const gchar * b);

/* TRUE when @dir is @folder or lies somewhere below it. */
gboolean npw_files_is_within (const gchar * dir, const gchar * folder);

/* Lists the pictures of @input_folder (and its subfolders if @recursive,
 * mirrored under @output_folder).  Returns an array of NpwPicture, or NULL
 * if the folder cannot be read. */
GPtrArray *npw_files_list (const gchar * input_folder,
    const gchar * output_folder, gboolean recursive, GError ** error);

/* Keeps the pictures whose index i has i % @n == @k - 1 (1 <= @k <= @n). */
void npw_files_shard (GPtrArray * pictures, guint k, guint n);

/* The g_mkstemp () template of the hidden temporary file an output is
 * written to before it is renamed: "<folder>/.<name>.XXXXXX.part". */
gchar *npw_files_temp_template (const gchar * output_path);

/* Removes the temporary files of @pictures' outputs (a killed run leaves
 * them) that were last modified @max_age seconds ago or more: younger
 * ones may belong to a run still going.  Returns the paths removed. */
GPtrArray *npw_files_remove_stale_temps (GPtrArray * pictures, gint64 max_age);

G_END_DECLS

#endif /* __NPW_FILES_H__ */
