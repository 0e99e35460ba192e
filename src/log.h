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

/* The command's log: a GstDebug category, "npy-watermark", whose lines a
 * log function writes in the original script's format
 *   2026-11-24 10:00:00,123 - worker-2 - [INFO] - Processed: photo.jpg
 * to the console (stderr) and appended to a log file, each line whole
 * with one write under one lock, so workers never interleave.  Other
 * categories keep GStreamer's own output (GST_DEBUG).  The progress bar
 * lives on the console's last line under the same lock. */

#ifndef __BATCH_LOG_H__
#define __BATCH_LOG_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (batch_debug);

#define BATCH_LOG_CATEGORY_NAME "npy-watermark"

/* Call after gst_init ().  @quiet keeps INFO lines off the console (they
 * still go to the file).  The file is created at the first line, so a run
 * that logs nothing leaves none; NULL: no file.  A file that cannot be
 * opened is a warning. */
void batch_log_init (const gchar * log_file, gboolean quiet);

/* Flushes and closes the file, restores GStreamer's log function. */
void batch_log_shutdown (void);

/* The name the calling thread's lines carry ("main", "worker-1", ...). */
void batch_log_set_thread_name (const gchar * name);

/* @text with control characters, backslashes and bytes that are not
 * UTF-8 escaped C-style (\n, \x1b, \\): one line, safe on a terminal. */
gchar *batch_log_escape (const gchar * text);

/* TRUE when the console is a terminal (a progress bar makes sense). */
gboolean batch_log_console_is_terminal (void);

/* Draws @text as the console's last line, redrawn below each log line;
 * NULL erases it. */
void batch_log_set_progress (const gchar * text);

G_END_DECLS

#endif /* __BATCH_LOG_H__ */
