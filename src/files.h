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

#ifndef __BATCH_FILES_H__
#define __BATCH_FILES_H__

#include <glib.h>
#include <glib/gstdio.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *relative;              /* path below the input folder */
  gchar *input_path;            /* input folder + relative */
  gchar *output_path;           /* output folder + relative; TIFF, BMP and
                                 * GIF get ".png"; NULL if unsupported */
  const gchar *unsupported;     /* why it is not a picture we take, or NULL */
  gboolean video;               /* a video file taken by --videos (video.c) */
  gint64 size;                  /* bytes, as the walk found it (the
                                 * workers take the largest first) */
  const gchar *failure;         /* why a picture's name cannot be read (a
                                 * broken link, a FIFO): it fails before
                                 * the run, never opened; output_path NULL */
} BatchPicture;

void batch_picture_free (BatchPicture * picture);

/* TRUE if @a and @b name the same existing directory. */
gboolean batch_files_same_dir (const gchar * a, const gchar * b);

/* TRUE when @dir is @folder or lies somewhere below it. */
gboolean batch_files_is_within (const gchar * dir, const gchar * folder);

/* The first of @dir and the folders between it and @top (both included)
 * that is a symbolic link, by lstat (), or NULL when none is: an output
 * folder planted as a link would make the run write elsewhere. */
gchar *batch_files_find_link (const gchar * dir, const gchar * top);

/* Lists the pictures of @input_folder (and its subfolders if @recursive,
 * mirrored under @output_folder).  Returns an array of BatchPicture, or NULL
 * if the folder cannot be read. */
GPtrArray *batch_files_list (const gchar * input_folder,
    const gchar * output_folder, gboolean recursive, GError ** error);

/* TRUE when a subfolder of @input_folder (not @output_folder) holds a
 * picture: what to suggest --recursive for. */
gboolean batch_files_any_below (const gchar * input_folder,
    const gchar * output_folder);

/* Keeps the pictures whose index i has i % @n == @k - 1 (1 <= @k <= @n). */
void batch_files_shard (GPtrArray * pictures, guint k, guint n);

/* The g_mkstemp () template of the hidden temporary file an output is
 * written to before it is renamed: "<folder>/.<name>.XXXXXX.part". */
gchar *batch_files_temp_template (const gchar * output_path);

/* Makes a temporary file for @output_path (batch_files_temp_template ())
 * and marks it as this process's with an flock on the returned
 * descriptor, which the kernel drops when the process dies, however it
 * dies: keep the descriptor open until the file is renamed or removed.
 * Sets *@path; -1 with errno set on failure. */
gint batch_files_make_temp (const gchar * output_path, gchar ** path);

/* Removes the temporary files of @pictures' outputs that no live process
 * holds (a killed run leaves them; a run going on at the same time keeps
 * its own).  Returns the paths removed. */
GPtrArray *batch_files_remove_stale_temps (GPtrArray * pictures);

/* Opens @path for reading if it is a regular file (a FIFO is never
 * opened for reading: it could block forever; a device such as /dev/zero
 * never ends).  Returns the descriptor and its stat in @st, or -1 with
 * @error ("not a regular file", or why it could not be opened). */
gint batch_files_open_regular (const gchar * path, GStatBuf * st,
    GError ** error);

/* Reads the regular file @path whole, if it holds at most @max bytes;
 * else fails saying its size and @what it is ("a settings file"). */
gboolean batch_files_read_small (const gchar * path, gsize max,
    const gchar * what, gchar ** contents, gsize * length, GError ** error);

/* Reads the .npy file @path as its header promises: the header first,
 * then only the bytes the array needs (a sparse 3 GiB file holding a
 * 10x10 array costs 400 bytes), checked as npy_image_check_header ()
 * does with @flags.  Errors do not name the file. */
GBytes *batch_files_read_npy (const gchar * path, guint flags, GError ** error);

/* Reads the picture @path up to its end as batch_probe () finds it (JPEG's
 * end-of-image marker, PNG's IEND, WebP's RIFF size, BMP's file size),
 * in growing chunks, so that the bytes a file has past its picture (a
 * sparse 3 GiB PNG of 140 KB) are not read; formats without a known end
 * are read up to what the largest picture allowed could need.
 * *@file_size is the file's size, larger than the bytes returned when
 * the picture ends before the file does. */
GBytes *batch_files_read_picture (const gchar * path, guint64 max_pixels,
    guint64 * file_size, GError ** error);

G_END_DECLS

#endif /* __BATCH_FILES_H__ */
