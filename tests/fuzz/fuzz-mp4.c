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

/* libFuzzer target for the batch's MP4 audio reader and edit writer
 * (src/mp4edit.c): the input is the file, as an input video and then as
 * a muxer's output.
 *
 * Besides what ASan and UBSan catch, it checks their contract: a track
 * read has packets that lie inside the file, in time order, a priming
 * skipped and timescales; the edit writer returns TRUE or sets an
 * error, never both, and what it writes is again a file the reader
 * walks.
 *
 * The same file is linked into tests/regress/ with a plain main () that
 * replays the corpus and tests/npy-regressions/mp4/. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "mp4edit.h"
#include "fuzz.h"

GST_DEBUG_CATEGORY (batch_debug);

/* The file each input is written to, removed at exit (libFuzzer's and
 * the replay's). */
static gchar *path;

static void
remove_file (void)
{
  g_unlink (path);
  g_free (path);
}

static void
check_track (const BatchMp4Audio * a, gsize size)
{
  guint i;

  FUZZ_CHECK (a->n > 0 && a->media_scale > 0 && a->movie_scale > 0);
  FUZZ_CHECK (a->media_time > 0);
  for (i = 0; i < a->n; i++) {
    FUZZ_CHECK (a->offsets[i] <= size && a->sizes[i] <= size - a->offsets[i]);
    FUZZ_CHECK (a->times[i] <= a->times[i + 1]);
  }
}

/* Every track of @tracks (may be NULL) by check_track (). */
static void
check_tracks (GPtrArray * tracks, gsize size)
{
  guint i;

  if (tracks == NULL)
    return;
  FUZZ_CHECK (tracks->len > 0);
  for (i = 0; i < tracks->len; i++)
    check_track (g_ptr_array_index (tracks, i), size);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  GPtrArray *tracks;
  GError *error = NULL;
  gboolean written;

  if (path == NULL) {
    gint fd;

    GST_DEBUG_CATEGORY_INIT (batch_debug, "fuzz-mp4", 0, "fuzz-mp4");
    fd = g_file_open_tmp ("fuzz-mp4-XXXXXX.mp4", &path, NULL);
    FUZZ_CHECK (fd >= 0);
    g_close (fd, NULL);
    atexit (remove_file);
  }
  FUZZ_CHECK (g_file_set_contents (path, (const gchar *) data, size, NULL));

  tracks = batch_mp4_audio_read (path);
  check_tracks (tracks, size);
  if (tracks == NULL) {
    /* a track as FFmpeg's AAC has it, to write into this file */
    BatchMp4Audio *audio = g_new0 (BatchMp4Audio, 1);

    audio->track_id = 2;
    audio->movie_scale = 1000;
    audio->media_scale = 48000;
    audio->edit_duration = 4000;
    audio->media_time = 1024;
    tracks = g_ptr_array_new_with_free_func ((GDestroyNotify)
        batch_mp4_audio_free);
    g_ptr_array_add (tracks, audio);
  }

  written = batch_mp4_audio_write_edits (path, tracks, &error);
  FUZZ_CHECK (written == (error == NULL));
  if (error) {
    FUZZ_CHECK (g_utf8_validate (error->message, -1, NULL));
    g_clear_error (&error);
  } else {
    GPtrArray *again;
    gchar *contents = NULL;
    gsize length = 0;

    /* the file stays one the reader walks without harm */
    FUZZ_CHECK (g_file_get_contents (path, &contents, &length, NULL));
    again = batch_mp4_audio_read (path);
    check_tracks (again, length);
    if (again)
      g_ptr_array_unref (again);
    g_free (contents);
  }
  g_ptr_array_unref (tracks);
  return 0;
}
