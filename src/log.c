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

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "log.h"

GST_DEBUG_CATEGORY (batch_debug);

static GMutex lock;
static gint log_fd = -1;        /* with lock */
static gchar *log_path;         /* opened at the first line: no empty log */
static gboolean log_failed;     /* with lock: said once, console only */
static FILE *debug_file;        /* GST_DEBUG_FILE, or NULL: stderr */
static gboolean quiet;
static gboolean terminal;
static gchar *progress;         /* with lock */
static GPrivate thread_name = G_PRIVATE_INIT (g_free);

/* Writes all of @len bytes; a full disk must not loop forever. */
static void
write_all (gint fd, const gchar * buf, gsize len)
{
  while (len > 0) {
    gssize n = write (fd, buf, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    buf += n;
    len -= n;
  }
}

/* Characters that change how the rest of a line reads without showing
 * themselves: the bidirectional controls (U+202E makes "gpj.exe" read
 * "exe.jpg"), and the line and paragraph separators that some consoles
 * and editors break lines at. */
static gboolean
is_invisible_control (gunichar c)
{
  return c == 0x061c || c == 0x200e || c == 0x200f
      || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
      || c == 0x2028 || c == 0x2029;
}

gchar *
batch_log_escape (const gchar * text)
{
  GString *out = g_string_sized_new (strlen (text) + 8);
  const gchar *p = text;

  while (*p) {
    gunichar c = g_utf8_get_char_validated (p, -1);

    if (c == (gunichar) - 1 || c == (gunichar) - 2) {
      /* not UTF-8: the byte, escaped */
      g_string_append_printf (out, "\\x%02x", (guint8) * p);
      p++;
      continue;
    }
    if (c == '\n')
      g_string_append (out, "\\n");
    else if (c == '\r')
      g_string_append (out, "\\r");
    else if (c == '\t')
      g_string_append (out, "\\t");
    else if (c == '\\')
      g_string_append (out, "\\\\");
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0))
      g_string_append_printf (out, "\\x%02x", c);
    else if (is_invisible_control (c))
      g_string_append_printf (out, "\\u%04x", c);
    else
      g_string_append_len (out, p, g_utf8_next_char (p) - p);
    p = g_utf8_next_char (p);
  }
  return g_string_free (out, FALSE);
}

/* With lock.  The file is created at the first line written, so that a
 * run that cannot start leaves no empty log behind. */
static void
open_log_file (void)
{
  if (log_fd >= 0 || log_path == NULL || log_failed)
    return;
  log_fd = g_open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (log_fd < 0) {
    g_autofree gchar *msg = g_strdup_printf ("npy-watermark: %s: %s "
        "(logging to the console only)\n", log_path, g_strerror (errno));

    log_failed = TRUE;
    write_all (STDERR_FILENO, msg, strlen (msg));
  }
}

/* Python logging's level names. */
static const gchar *
level_name (GstDebugLevel level)
{
  switch (level) {
    case GST_LEVEL_ERROR:
      return "ERROR";
    case GST_LEVEL_WARNING:
    case GST_LEVEL_FIXME:
      return "WARNING";
    case GST_LEVEL_INFO:
      return "INFO";
    default:
      return "DEBUG";
  }
}

static void
batch_log_function (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  g_autoptr (GDateTime) now = NULL;
  g_autofree gchar *stamp = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *escaped = NULL;
  const gchar *who;
  gboolean to_console;

  if (category != batch_debug) {
    gst_debug_log_default (category, level, file, function, line, object,
        message, debug_file);
    return;
  }

  now = g_date_time_new_now_local ();
  stamp = g_date_time_format (now, "%Y-%m-%d %H:%M:%S");
  who = g_private_get (&thread_name);
  /* One line per message, whatever a file name holds: a newline in a
   * name must not split the line or forge another one. */
  escaped = batch_log_escape (gst_debug_message_get (message));
  text = g_strdup_printf ("%s,%03d - %s - [%s] - %s\n", stamp,
      g_date_time_get_microsecond (now) / 1000, who ? who : "gst",
      level_name (level), escaped);
  to_console = !quiet || level <= GST_LEVEL_WARNING;

  g_mutex_lock (&lock);
  open_log_file ();
  if (log_fd >= 0)
    write_all (log_fd, text, strlen (text));
  if (to_console) {
    if (progress) {
      g_autofree gchar *both = g_strconcat ("\r\033[K", text, progress, NULL);

      write_all (STDERR_FILENO, both, strlen (both));
    } else {
      write_all (STDERR_FILENO, text, strlen (text));
    }
  }
  g_mutex_unlock (&lock);
}

void
batch_log_init (const gchar * log_file, gboolean quiet_console)
{
  GST_DEBUG_CATEGORY_INIT (batch_debug, BATCH_LOG_CATEGORY_NAME, 0,
      "npy-watermark batch command");
  /* INFO ("Processed: ...") is the command's normal output: on unless
   * GST_DEBUG asked for more. */
  if (gst_debug_category_get_threshold (batch_debug) < GST_LEVEL_INFO)
    gst_debug_category_set_threshold (batch_debug, GST_LEVEL_INFO);

  quiet = quiet_console;
  terminal = isatty (STDERR_FILENO);
  batch_log_set_thread_name ("main");

  /* NULL (a dry run): the console only. */
  log_path = g_strdup (log_file);

  /* Other categories go where GStreamer would send them: stderr, or the
   * GST_DEBUG_FILE the user named (which our replacing the default log
   * function would otherwise lose). */
  if (g_getenv ("GST_DEBUG_FILE") && *g_getenv ("GST_DEBUG_FILE")) {
    debug_file = g_fopen (g_getenv ("GST_DEBUG_FILE"), "w");
    if (debug_file == NULL)
      g_printerr ("npy-watermark: %s: %s (GST_DEBUG_FILE)\n",
          g_getenv ("GST_DEBUG_FILE"), g_strerror (errno));
  }

  gst_debug_add_log_function (batch_log_function, NULL, NULL);
  gst_debug_remove_log_function (gst_debug_log_default);
}

void
batch_log_shutdown (void)
{
  batch_log_set_progress (NULL);
  gst_debug_add_log_function (gst_debug_log_default, debug_file, NULL);
  gst_debug_remove_log_function (batch_log_function);

  g_mutex_lock (&lock);
  if (log_fd >= 0)
    g_close (log_fd, NULL);
  log_fd = -1;
  g_clear_pointer (&log_path, g_free);
  g_mutex_unlock (&lock);
}

void
batch_log_set_thread_name (const gchar * name)
{
  g_private_replace (&thread_name, g_strdup (name));
}

gboolean
batch_log_console_is_terminal (void)
{
  return terminal;
}

void
batch_log_set_progress (const gchar * text)
{
  g_mutex_lock (&lock);
  if (terminal && (text || progress)) {
    g_autofree gchar *line = g_strconcat ("\r\033[K", text ? text : "", NULL);

    write_all (STDERR_FILENO, line, strlen (line));
  }
  g_free (progress);
  progress = g_strdup (text);
  g_mutex_unlock (&lock);
}
