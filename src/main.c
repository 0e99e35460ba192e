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

/* npy-watermark: watermarks a folder of photos with a .npy array, as the
 * original Python script did, with the script's config.yaml.  One
 * process; --jobs worker threads, each reusing its own pipelines. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "gstnpywatermark.h"
#include "npy.h"
#include "probe.h"
#include "files.h"
#include "log.h"
#include "settings.h"
#include "video.h"
#include "worker.h"

#define GST_CAT_DEFAULT batch_debug

#define LOG_FILE "watermark.log"

/* More workers than this only add memory (a decoded photo each): the
 * work is CPU-bound but for reading files, which a few spare threads
 * per processor cover even on a network mount. */
#define MAX_JOBS_PER_PROCESSOR 4

/* Exit statuses, documented in --help. */
enum
{
  EXIT_ALL_DONE = 0,
  EXIT_SOME_FAILED = 1,
  EXIT_CANNOT_START = 2,
  EXIT_INTERRUPTED = 130
};

typedef enum
{
  RESULT_PENDING,
  RESULT_PROCESSED,
  RESULT_FAILED,
  RESULT_SKIPPED
} Result;

typedef struct
{
  GPtrArray *pictures;          /* BatchPicture, sorted */
  Result *results;
  gchar **reasons;              /* why each failed or skipped one was */
  const BatchWorkerSettings *settings;
  gboolean skip_existing;
  FILE *report;                 /* --report, or NULL; with lock */

  guint *order;                 /* pictures in the order they are taken */
  gint next;                    /* atomic: next place in order to take */
  GMutex lock;
  GCond cond;
  guint done;                   /* with lock */
  guint workers_left;           /* with lock */

  /* Videos go one at a time (their encoders use every processor, and a
   * 4K video's frames in flight are the memory a run may take). */
  GMutex video_lock;
  BatchVideoProgress video_progress;    /* atomic */
  gchar **written;              /* a video's output, where not its own */
} Run;

static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  /* Finish the pictures in hand, start no more.  A second signal kills. */
  interrupted = 1;
  signal (sig, SIG_DFL);
}

/* A JSON string: UTF-8 as it is, anything else escaped (a name that is
 * not UTF-8 gets U+FFFD for its bad bytes: JSON cannot hold them). */
static void
json_string (GString * out, const gchar * text)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);
  const gchar *p;

  g_string_append_c (out, '"');
  for (p = valid; *p; p++) {
    guchar c = *p;

    if (c == '"' || c == '\\')
      g_string_append_printf (out, "\\%c", c);
    else if (c == '\n')
      g_string_append (out, "\\n");
    else if (c < 0x20 || c == 0x7f)
      g_string_append_printf (out, "\\u%04x", c);
    else
      g_string_append_c (out, c);
  }
  g_string_append_c (out, '"');
}

static const gchar *
result_status (Result result)
{
  switch (result) {
    case RESULT_PROCESSED:
      return "done";
    case RESULT_FAILED:
      return "failed";
    case RESULT_SKIPPED:
      return "skipped";
    default:
      return "not started";
  }
}

/* One JSON line per picture as it finishes, flushed at once so that a
 * killed run keeps what it did.  With run->lock. */
static void
report_picture (Run * run, guint i, const BatchWorkerResult * res,
    const BatchVideoResult * video, gint64 ms)
{
  const BatchPicture *p = run->pictures->pdata[i];
  g_autoptr (GString) line = NULL;

  if (run->report == NULL)
    return;
  line = g_string_new ("{\"input\": ");
  json_string (line, p->input_path);
  g_string_append (line, ", \"output\": ");
  if (p->output_path && (run->results[i] == RESULT_PROCESSED
          || run->results[i] == RESULT_SKIPPED))
    json_string (line, run->written[i] ? run->written[i] : p->output_path);
  else
    g_string_append (line, "null");
  g_string_append (line, ", \"status\": ");
  json_string (line, run->results[i] == RESULT_PENDING && interrupted ?
      "interrupted" : result_status (run->results[i]));
  if (run->reasons[i]) {
    g_string_append (line, ", \"reason\": ");
    json_string (line, run->reasons[i]);
  }
  if (res && res->in_width)
    g_string_append_printf (line, ", \"input_width\": %u, "
        "\"input_height\": %u", res->in_width, res->in_height);
  if (res && res->out_width)
    g_string_append_printf (line, ", \"output_width\": %u, "
        "\"output_height\": %u", res->out_width, res->out_height);
  if (p->video) {
    g_string_append (line, ", \"video\": true");
    if (video && video->in_width)
      g_string_append_printf (line, ", \"input_width\": %u, "
          "\"input_height\": %u", video->in_width, video->in_height);
    if (video && video->out_width && run->results[i] == RESULT_PROCESSED)
      g_string_append_printf (line, ", \"output_width\": %u, "
          "\"output_height\": %u", video->out_width, video->out_height);
    if (video && video->codec_in) {
      g_string_append (line, ", \"codec_in\": ");
      json_string (line, video->codec_in);
      g_string_append (line, ", \"codec_out\": ");
      json_string (line, video->codec_out);
      g_string_append (line, ", \"container\": ");
      json_string (line, video->container);
      g_string_append_printf (line, ", \"audio_streams\": %u, "
          "\"subtitle_streams\": %u", video->audio_streams,
          video->subtitle_streams);
    }
    if (video)
      g_string_append_printf (line, ", \"frames\": %" G_GUINT64_FORMAT,
          video->frames);
    if (video && GST_CLOCK_TIME_IS_VALID (video->duration)
        && video->duration)
      g_string_append_printf (line, ", \"duration\": %.3f",
          video->duration / (gdouble) GST_SECOND);
  }
  g_string_append_printf (line, ", \"ms\": %" G_GINT64_FORMAT "}\n", ms);
  fputs (line->str, run->report);
  fflush (run->report);
}

/* Memory freed by a picture stays with the C library for the next one
 * (its frames are reused without the kernel zeroing fresh pages), but
 * pictures of changing sizes leave holes in it, and the total kept grew
 * with the number of pictures (glibc: 160 MiB peak for 10 photos, 210-285
 * for 49, 2 workers).  Past TRIM_SLACK of free memory kept, it goes back
 * to the system; below, it is kept, which costs no time.  Not lower: at
 * 64 MiB the element's copies of a 2600x1300 watermark crossed it after
 * every picture and were faulted in again for the next (0.2 s of system
 * time on bench-batch's 49 photos, the same peak). */
#define TRIM_SLACK (128 << 20)

/* Only where glibc's allocator is the one in use.  Under AddressSanitizer
 * or ThreadSanitizer malloc is theirs and glibc's arenas are never set
 * up: mallinfo2 () from two workers at once set them up racily, a SEGV in
 * int_mallinfo () or glibc's "a->attached_threads > 0" abort when a
 * thread ended, in about 1 ASan run of 60 (scripts/run-sanitizers'
 * batch suite failed on it once). */
#if defined (__SANITIZE_ADDRESS__) || defined (__SANITIZE_THREAD__)
#define SANITIZER_MALLOC 1
#elif defined (__has_feature)
#if __has_feature (address_sanitizer) || __has_feature (thread_sanitizer)
#define SANITIZER_MALLOC 1
#endif
#endif

static void
trim_memory (void)
{
#if defined (__GLIBC__) && !defined (SANITIZER_MALLOC)
  struct mallinfo2 info = mallinfo2 ();

  if (info.fordblks > TRIM_SLACK)
    malloc_trim (0);
#endif
}

/* The output --skip-existing finds for @p (a video's may have another
 * extension), or NULL. */
static gchar *
output_exists (const BatchPicture * p)
{
  if (p->video)
    return batch_video_existing_output (p);
  return g_file_test (p->output_path, G_FILE_TEST_EXISTS) ?
      g_strdup (p->output_path) : NULL;
}

typedef struct
{
  guint index;
  gint64 size;
} Job;

static gint
larger_first (gconstpointer a, gconstpointer b, gpointer data)
{
  const Job *x = a, *y = b;

  return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

/* The order the workers take the pictures in: the largest files first,
 * ties in name order.  Taken in name order, a large photo drawn last
 * kept one worker busy while the others had nothing left (the longest
 * job first keeps that tail short); videos, the largest files, start
 * first for the same reason.  What is written does not depend on it. */
static void
order_jobs (Run * run)
{
  guint n = run->pictures->len, i;
  Job *jobs = g_new (Job, n);

  for (i = 0; i < n; i++) {
    const BatchPicture *p = g_ptr_array_index (run->pictures, i);

    jobs[i].index = i;
    jobs[i].size = run->results[i] == RESULT_PENDING ? p->size : 0;
  }
  /* stable: equal sizes keep their order */
  g_qsort_with_data (jobs, n, sizeof (Job), larger_first, NULL);
  run->order = g_new (guint, n);
  for (i = 0; i < n; i++)
    run->order[i] = jobs[i].index;
  g_free (jobs);
}

static gpointer
worker_thread (gpointer data)
{
  Run *run = data;
  g_autofree gchar *name = NULL;
  BatchWorker *worker = batch_worker_new (run->settings);
  static gint counter;

  name = g_strdup_printf ("worker-%d", g_atomic_int_add (&counter, 1) + 1);
  batch_log_set_thread_name (name);

  for (;;) {
    gint next = g_atomic_int_add (&run->next, 1), i;
    const BatchPicture *picture;
    g_autoptr (GError) error = NULL;
    BatchWorkerResult res = { 0, };
    BatchVideoResult video = { 0, };
    g_autofree gchar *existing = NULL;
    Result result;

    gint64 start = g_get_monotonic_time ();

    if (next >= (gint) run->pictures->len || interrupted)
      break;
    i = run->order[next];
    picture = g_ptr_array_index (run->pictures, i);
    /* decided before the run: not supported, or a clash of names */
    if (run->results[i] != RESULT_PENDING)
      continue;

    if (run->skip_existing && (existing = output_exists (picture))) {
      GST_INFO ("Skipped (output exists): %s", picture->relative);
      run->reasons[i] = g_strdup ("the output exists (--skip-existing)");
      result = RESULT_SKIPPED;
      if (!g_str_equal (existing, picture->output_path))
        run->written[i] = g_steal_pointer (&existing);
    } else if (picture->video) {
      gboolean ok;

      g_mutex_lock (&run->video_lock);
      ok = !interrupted && batch_video_process (run->settings, picture, &video,
          &run->video_progress, &interrupted, &error);
      g_mutex_unlock (&run->video_lock);
      if (ok) {
        GST_INFO ("Processed: %s (%" G_GUINT64_FORMAT " frames)",
            picture->relative, video.frames);
        result = RESULT_PROCESSED;
        run->written[i] = g_steal_pointer (&video.output_path);
      } else if (interrupted) {
        /* not done: left for a rerun, nothing written */
        GST_WARNING ("Interrupted: %s", picture->relative);
        result = RESULT_PENDING;
      } else {
        GST_ERROR ("Error processing %s: %s", picture->input_path,
            error->message);
        run->reasons[i] = g_strdup (error->message);
        result = RESULT_FAILED;
      }
    } else if (batch_worker_process (worker, picture, &res, &error)) {
      GST_INFO ("Processed: %s", picture->relative);
      result = RESULT_PROCESSED;
    } else {
      GST_ERROR ("Error processing %s: %s", picture->input_path,
          error->message);
      run->reasons[i] = g_strdup (error->message);
      result = RESULT_FAILED;
    }

    g_mutex_lock (&run->lock);
    run->results[i] = result;
    if (result != RESULT_PENDING)
      run->done++;
    report_picture (run, i, &res, &video,
        (g_get_monotonic_time () - start) / 1000);
    g_cond_signal (&run->cond);
    g_mutex_unlock (&run->lock);
    batch_video_result_clear (&video);
    trim_memory ();
  }

  batch_worker_free (worker);

  g_mutex_lock (&run->lock);
  run->workers_left--;
  g_cond_signal (&run->cond);
  g_mutex_unlock (&run->lock);
  return NULL;
}

static gchar *
format_duration (gdouble seconds)
{
  guint s = seconds < 0 ? 0 : (guint) (seconds + 0.5);

  if (s >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%u:%02u", s / 60, s % 60);
}

static void
draw_progress (Run * run, guint done, guint total, gdouble elapsed)
{
  gint frames = g_atomic_int_get (&run->video_progress.frames_done);
  gint frames_total = g_atomic_int_get (&run->video_progress.frames_total);

  const guint width = 30;
  guint filled = total ? done * width / total : width;
  gdouble rate = elapsed > 0 ? done / elapsed : 0;
  g_autofree gchar *eta = format_duration (rate > 0 ?
      (total - done) / rate : 0);
  g_autofree gchar *bar = g_strnfill (filled, '#');
  g_autofree gchar *rest = g_strnfill (width - filled, '.');
  g_autofree gchar *text = g_strdup_printf ("[%s%s] %u/%u  %.1f images/s  "
      "ETA %s", bar, rest, done, total, rate, done ? eta : "?");

  /* Videos: frames of the videos begun (each one's total from its
   * container), their rate and the time left for them. */
  if (frames_total > 0) {
    gdouble fps = elapsed > 0 ? frames / elapsed : 0;
    g_autofree gchar *frames_eta = format_duration (fps > 0 ?
        MAX (frames_total - frames, 0) / fps : 0);
    gchar *with_frames = g_strdup_printf ("%s  |  video %d/%d frames  "
        "%.1f fps  ETA %s", text, frames, MAX (frames, frames_total), fps,
        frames ? frames_eta : "?");

    g_free (text);
    text = with_frames;
  }
  batch_log_set_progress (text);
}

/* Runs the workers and waits for them, drawing progress on a terminal. */
static void
run_workers (Run * run, guint jobs, gboolean progress)
{
  gint64 start = g_get_monotonic_time ();
  GPtrArray *threads = g_ptr_array_new ();
  guint i;

  run->workers_left = jobs;
  for (i = 0; i < jobs; i++)
    g_ptr_array_add (threads, g_thread_new ("npw-worker", worker_thread, run));

  g_mutex_lock (&run->lock);
  while (run->workers_left > 0) {
    if (progress)
      draw_progress (run, run->done, run->pictures->len,
          (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC);
    g_cond_wait_until (&run->cond, &run->lock,
        g_get_monotonic_time () + G_USEC_PER_SEC / 5);
  }
  g_mutex_unlock (&run->lock);
  if (progress)
    batch_log_set_progress (NULL);

  for (i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);
  g_ptr_array_unref (threads);
}

/* npy_path is a name the script completed with ".npy": either works. */
static gchar *
find_npy (const gchar * path)
{
  g_autofree gchar *with_suffix = g_strconcat (path, ".npy", NULL);
  const gchar *first = g_str_has_suffix (path, ".npy") ? path : with_suffix;
  const gchar *second = first == path ? with_suffix : path;

  if (!g_file_test (first, G_FILE_TEST_EXISTS)
      && g_file_test (second, G_FILE_TEST_IS_REGULAR))
    return g_strdup (second);
  return g_strdup (first);
}

static gboolean
parse_shard (const gchar * text, guint * k, guint * n)
{
  guint64 a, b;
  gchar *end;

  if (text == NULL)
    return TRUE;
  a = g_ascii_strtoull (text, &end, 10);
  if (end == text || *end != '/')
    return FALSE;
  text = end + 1;
  b = g_ascii_strtoull (text, &end, 10);
  if (end == text || *end != '\0' || b < 1 || a < 1 || a > b || b > G_MAXUINT)
    return FALSE;
  *k = a;
  *n = b;
  return TRUE;
}

static guint
current_umask (void)
{
  mode_t mask = umask (022);

  umask (mask);
  return mask;
}

/* "0 failed" must mean every output is there: one written, then removed
 * (its folder deleted while the run went) is a picture lost. */
static void
check_outputs (Run * run)
{
  guint i;

  for (i = 0; i < run->pictures->len; i++) {
    const BatchPicture *p = run->pictures->pdata[i];

    if (p->output_path == NULL)
      continue;
    if ((run->results[i] != RESULT_PROCESSED
            && run->results[i] != RESULT_SKIPPED)
        || g_file_test (run->written[i] ? run->written[i] : p->output_path,
            G_FILE_TEST_EXISTS))
      continue;
    run->reasons[i] = g_strdup_printf ("%s was removed during the run, "
        "after it was %s", p->output_path,
        run->results[i] == RESULT_SKIPPED ? "found" : "written");
    run->results[i] = RESULT_FAILED;
    GST_ERROR ("Error processing %s: %s", p->input_path, run->reasons[i]);
  }
}

static void
print_summary (const Run * run, gdouble elapsed, const gchar * output_folder,
    gboolean to_console)
{
  guint processed = 0, failed = 0, skipped = 0, unsupported = 0, i;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree gchar *folder = batch_log_escape (output_folder);

  for (i = 0; i < run->pictures->len; i++) {
    processed += run->results[i] == RESULT_PROCESSED;
    failed += run->results[i] == RESULT_FAILED;
    skipped += run->results[i] == RESULT_SKIPPED;
    unsupported += ((BatchPicture *) run->pictures->pdata[i])->unsupported !=
        NULL;
  }

  g_string_append_printf (text, "processed: %u, failed: %u, skipped: %u",
      processed, failed, skipped);
  if (unsupported)
    g_string_append_printf (text, " (%u not supported)", unsupported);
  if (processed + failed + skipped < run->pictures->len)
    g_string_append_printf (text, ", not started: %u",
        run->pictures->len - processed - failed - skipped);
  g_string_append_printf (text, ", in %.1f s (%.2f images/s)", elapsed,
      elapsed > 0 ? processed / elapsed : 0.0);

  /* The log keeps the end of every run, interrupted or not. */
  GST_INFO ("Summary: %s%s", text->str, interrupted ? ", interrupted" : "");
  if (!to_console)
    return;

  text->str[0] = g_ascii_toupper (text->str[0]);
  g_print ("%s. Outputs in %s\n", text->str, folder);
  if (failed) {
    g_print ("Failed:\n");
    for (i = 0; i < run->pictures->len; i++)
      if (run->results[i] == RESULT_FAILED) {
        g_autofree gchar *name = batch_log_escape (((BatchPicture *)
                run->pictures->pdata[i])->input_path);
        g_autofree gchar *reason = batch_log_escape (run->reasons[i]);

        g_print ("  %s: %s\n", name, reason);
      }
  }
  if (unsupported) {
    g_print ("Not supported:\n");
    for (i = 0; i < run->pictures->len; i++)
      if (((BatchPicture *) run->pictures->pdata[i])->unsupported) {
        g_autofree gchar *name = batch_log_escape (((BatchPicture *)
                run->pictures->pdata[i])->input_path);

        g_print ("  %s\n", name);
      }
  }
}

/* TRUE when @p's output keeps its input's name (not a TIFF, BMP or GIF
 * given ".png"). */
static gboolean
keeps_its_name (const BatchPicture * p)
{
  g_autofree gchar *in = g_path_get_basename (p->input_path);
  g_autofree gchar *out = g_path_get_basename (p->output_path);

  return g_str_equal (in, out);
}

/* Pictures decided before any worker starts: files of formats not taken,
 * and pictures whose output name another one has (photo.png and
 * photo.bmp both give photo.png): the picture whose name it is wins,
 * then the first in sorted order. */
static void
decide_before_run (Run * run, const gchar * stills_refused, gboolean log)
{
  g_autoptr (GHashTable) outputs = g_hash_table_new (g_str_hash, g_str_equal);
  guint i, pass;

  for (i = 0; i < run->pictures->len; i++) {
    const BatchPicture *p = run->pictures->pdata[i];

    if (p->unsupported) {
      run->results[i] = RESULT_SKIPPED;
      run->reasons[i] = g_strdup (p->unsupported);
      if (log)
        GST_WARNING ("Skipped (not supported): %s", p->relative);
      run->done++;
      report_picture (run, i, NULL, NULL, 0);
    } else if (p->failure || (stills_refused && !p->video)) {
      const gchar *why = p->failure ? p->failure : stills_refused;

      run->results[i] = RESULT_FAILED;
      run->reasons[i] = g_strdup (why);
      if (log)
        GST_ERROR ("Error processing %s: %s", p->input_path, why);
      run->done++;
      report_picture (run, i, NULL, NULL, 0);
    }
  }

  for (pass = 0; pass < 2; pass++) {
    for (i = 0; i < run->pictures->len; i++) {
      const BatchPicture *p = run->pictures->pdata[i];
      const BatchPicture *first;

      if (p->unsupported || run->results[i] != RESULT_PENDING ||
          keeps_its_name (p) != (pass == 0))
        continue;
      first = g_hash_table_lookup (outputs, p->output_path);
      if (first == NULL) {
        g_hash_table_insert (outputs, p->output_path, (gpointer) p);
        continue;
      }
      run->results[i] = RESULT_FAILED;
      run->reasons[i] = g_strdup_printf ("its output %s is already that "
          "of %s", p->output_path, first->input_path);
      if (log)
        GST_ERROR ("Error processing %s: %s", p->input_path, run->reasons[i]);
      run->done++;
      report_picture (run, i, NULL, NULL, 0);
    }
  }
}

static void
report_summary (Run * run, gdouble elapsed)
{
  guint counts[4] = { 0, }, i;

  if (run->report == NULL)
    return;
  for (i = 0; i < run->pictures->len; i++)
    counts[run->results[i]]++;
  fprintf (run->report, "{\"summary\": true, \"done\": %u, \"failed\": "
      "%u, \"skipped\": %u, \"not_started\": %u, \"interrupted\": %s, "
      "\"ms\": %" G_GINT64_FORMAT "}\n", counts[RESULT_PROCESSED],
      counts[RESULT_FAILED], counts[RESULT_SKIPPED], counts[RESULT_PENDING],
      interrupted ? "true" : "false", (gint64) (elapsed * 1000));
  fflush (run->report);
}

static void
free_run (Run * run)
{
  guint i;

  if (run->report)
    fclose (run->report);
  for (i = 0; i < run->pictures->len; i++) {
    g_free (run->reasons[i]);
    g_free (run->written[i]);
  }
  g_free (run->reasons);
  g_free (run->written);
  g_free (run->order);
  g_mutex_clear (&run->video_lock);
  g_free (run->results);
  g_mutex_clear (&run->lock);
  g_cond_clear (&run->cond);
}

/* --dry-run: what a run would do to each picture, touching nothing. */
static guint
dry_run (Run * run)
{
  guint i, would_fail = 0;

  for (i = 0; i < run->pictures->len; i++) {
    const BatchPicture *p = run->pictures->pdata[i];
    g_autoptr (GError) error = NULL;
    BatchWorkerResult res = { 0, };
    g_autofree gchar *in = batch_log_escape (p->input_path);
    g_autofree gchar *out = p->output_path ?
        batch_log_escape (p->output_path) : NULL;
    g_autofree gchar *reason = NULL;
    g_autofree gchar *existing = NULL;

    if (run->results[i] != RESULT_PENDING) {
      reason = batch_log_escape (run->reasons[i]);
      if (run->results[i] == RESULT_FAILED)
        would_fail++;
      g_print ("%s %s: %s\n", run->results[i] == RESULT_FAILED ?
          "would fail" : "would skip", in, reason);
    } else if (run->skip_existing && (existing = output_exists (p))) {
      g_autofree gchar *shown = batch_log_escape (existing);

      g_print ("would skip %s: %s exists (--skip-existing)\n", in, shown);
    } else if (p->video) {
      BatchVideoResult video = { 0, };

      if (!batch_video_check (run->settings, p, &video, &error)) {
        reason = batch_log_escape (error->message);
        would_fail++;
        g_print ("would fail %s: %s\n", in, reason);
      } else {
        g_autofree gchar *written = video.output_path ?
            batch_log_escape (video.output_path) : NULL;
        g_autofree gchar *audio = video.audio_streams ?
            g_strdup_printf ("%u audio stream%s copied", video.audio_streams,
            video.audio_streams == 1 ? "" : "s") : g_strdup ("no audio");

        g_print ("would write %s (%s %s, crf %d, %s, %ux%u, %s) from %s "
            "(%s %ux%u, %.2f s, about %" G_GUINT64_FORMAT " frames)\n",
            written ? written : out, video.codec_out, video.encoder,
            run->settings->video_crf, run->settings->video_preset,
            video.out_width, video.out_height, audio, in, video.codec_in,
            video.in_width, video.in_height,
            GST_CLOCK_TIME_IS_VALID (video.duration) ?
            video.duration / (gdouble) GST_SECOND : 0.0, video.expected_frames);
      }
      batch_video_result_clear (&video);
    } else if (!batch_worker_check (run->settings, p, &res, &error)) {
      reason = batch_log_escape (error->message);
      would_fail++;
      g_print ("would fail %s: %s\n", in, reason);
    } else {
      g_print ("would write %s (%ux%u) from %s (%ux%u)\n", out,
          res.out_width, res.out_height, in, res.in_width, res.in_height);
    }
  }
  return would_fail;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BatchSettings) settings = NULL;
  g_autoptr (GPtrArray) pictures = NULL;
  g_autoptr (GPtrArray) stale = NULL;
  g_autoptr (NpyImage) watermark = NULL;
  g_autoptr (GBytes) npy_data = NULL;
  g_autofree gchar *npy_path = NULL;
  g_autofree gchar *output_folder = NULL;
  g_autofree gchar *link = NULL;
  g_autofree gchar *config_file = NULL;
  g_autofree gchar *input_folder = NULL;
  g_autofree gchar *output_option = NULL;
  g_autofree gchar *npy_option = NULL;
  g_autofree gchar *shard = NULL;
  g_autofree gchar *report_file = NULL;
  g_autofree gchar *position = NULL;
  g_autofree gchar *margin = NULL;
  BatchSettingsOverrides overrides = { 0, };
  BatchWorkerSettings worker_settings = { 0, };
  gdouble opacity = BATCH_UNSET_DOUBLE, size = BATCH_UNSET_DOUBLE;
  gint quality = BATCH_UNSET_INT, height = BATCH_UNSET_INT;
  gint tile_spacing = BATCH_UNSET_INT;
  gboolean tile = FALSE;
  gint output_quality = BATCH_UNSET_INT, jobs = BATCH_UNSET_INT;
  gint64 max_pixels = BATCH_PROBE_MAX_PIXELS;
  gboolean recursive = FALSE, skip_existing = FALSE, quiet = FALSE;
  gboolean version = FALSE, dry = FALSE, strip_metadata = FALSE;
  gboolean videos = FALSE;
  gint video_crf = BATCH_UNSET_INT;
  g_autofree gchar *video_preset = NULL;
  g_autofree gchar *stills_refused = NULL;
  gboolean no_auto_orient = FALSE;
  guint shard_k = 1, shard_n = 1, failed = 0, supported = 0, i;
  guint max_jobs = MAX_JOBS_PER_PROCESSOR * g_get_num_processors ();
  gint64 start;
  gdouble elapsed;
  Run run = { 0, };
  const GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file,
        "Settings file (default: ./config.yaml, the script's)", "FILE"},
    {"input", 'i', 0, G_OPTION_ARG_FILENAME, &input_folder,
        "Folder of pictures (input_folder)", "DIR"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output_option,
        "Where results go (default: <input>/output)", "DIR"},
    {"npy", 'n', 0, G_OPTION_ARG_FILENAME, &npy_option,
        "Watermark array, \".npy\" optional (npy_path)", "FILE"},
    {"opacity", 0, 0, G_OPTION_ARG_DOUBLE, &opacity,
        "Watermark opacity in percent, 0..100 (opacity)", "PERCENT"},
    {"quality", 'q', 0, G_OPTION_ARG_INT, &quality,
        "JPEG quality of the round trip before watermarking, 1..100 "
          "(quality); -q is this, not quiet", "Q"},
    {"height", 'H', 0, G_OPTION_ARG_INT, &height,
        "Height of the outputs in pixels, 1..32768 (output_height)", "PX"},
    {"output-quality", 0, 0, G_OPTION_ARG_INT, &output_quality,
        "Quality of JPEG and WebP outputs, 1..100 (output_quality, default "
          "100)", "Q"},
    {"position", 0, 0, G_OPTION_ARG_STRING, &position,
          "Where the watermark goes: top-left (the script's), top, top-right, "
          "left, center, right, bottom-left, bottom, bottom-right (position)",
        "WHERE"},
    {"margin", 0, 0, G_OPTION_ARG_STRING, &margin,
        "Distance from the anchored edges: pixels, or a percentage of the "
          "picture's shorter side such as 2.5% (margin)", "PX|P%"},
    {"size", 0, 0, G_OPTION_ARG_DOUBLE, &size,
        "Watermark size in percent of the picture, aspect kept; 0: its own "
          "size; 0.1 is refused: did you mean 10? (size)", "PERCENT"},
    {"tile", 0, 0, G_OPTION_ARG_NONE, &tile,
        "Repeat the watermark over the whole picture (tile)", NULL},
    {"tile-spacing", 0, 0, G_OPTION_ARG_INT, &tile_spacing,
        "Pixels between tiled copies (tile_spacing)", "PX"},
    {"videos", 0, 0, G_OPTION_ARG_NONE, &videos,
        "Also watermark the video files (.mp4 .mov .m4v .mkv .webm .avi): "
          "same container, audio copied, video re-encoded (videos)", NULL},
    {"video-crf", 0, 0, G_OPTION_ARG_INT, &video_crf,
        "Video quality, 0..51 on x264's CRF scale, lower is better "
          "(video_crf, default 20)", "N"},
    {"video-preset", 0, 0, G_OPTION_ARG_STRING, &video_preset,
          "Encoder speed: ultrafast, superfast, veryfast, faster, fast, "
          "medium, slow, slower, veryslow (video_preset, default medium)",
        "NAME"},
    {"max-pixels", 0, 0, G_OPTION_ARG_INT64, &max_pixels,
        "Refuse pictures of more than N pixels (default 178956970, PIL's "
          "decompression-bomb limit; a 30000x8000 panorama needs "
          "240000000 and about 1 GB per worker)", "N"},
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
        "Worker threads (default: number of processors; at most 4 per "
          "processor)", "N"},
    {"no-auto-orient", 0, 0, G_OPTION_ARG_NONE, &no_auto_orient,
        "Keep pictures as stored, ignoring their EXIF orientation, as the "
          "script did (auto_orient: false)", NULL},
    {"strip-metadata", 0, 0, G_OPTION_ARG_NONE, &strip_metadata,
        "Write no EXIF, ICC profile or text into the outputs (metadata: "
          "strip)", NULL},
    {"report", 0, 0, G_OPTION_ARG_FILENAME, &report_file,
          "Write one JSON line per picture as it finishes, then a summary",
        "FILE"},
    {"dry-run", 0, 0, G_OPTION_ARG_NONE, &dry,
        "Say what would be done and skipped, and why; write nothing", NULL},
    {"recursive", 'r', 0, G_OPTION_ARG_NONE, &recursive,
        "Walk subfolders too, mirrored under the output folder", NULL},
    {"skip-existing", 's', 0, G_OPTION_ARG_NONE, &skip_existing,
        "Leave pictures whose output exists alone (resume a run)", NULL},
    {"shard", 0, 0, G_OPTION_ARG_STRING, &shard,
        "Process only the K-th of N interleaved slices of the sorted "
          "list (1 <= K <= N)", "K/N"},
    {"quiet", 0, 0, G_OPTION_ARG_NONE, &quiet,
          "Only warnings and errors on the console (the log file gets all)",
        NULL},
    {"version", 0, 0, G_OPTION_ARG_NONE, &version,
        "Print the version and exit", NULL},
    {NULL}
  };

  /* GLib converts what it prints to the locale's charset: without this,
   * the C locale's ASCII, and every Chinese file name would print as ?. */
  setlocale (LC_ALL, "");

  context = g_option_context_new ("- watermark a folder of photos");
  g_option_context_set_summary (context,
      "Resizes every .jpg, .jpeg, .png and .webp picture of the input folder "
      "(and .tif,\n.tiff, .bmp, .gif, written as .png) to the output "
      "height, gives colour\npictures the JPEG round trip at "
      "\"quality\", stamps the .npy watermark\nat the top-left and writes "
      "the result under the same name in the output folder,\nas the "
      "original watermark script did, with its config.yaml:\n\n"
      "  watermark:\n"
      "    input_folder: pictures\n"
      "    npy_path: watermark     # .npy optional\n"
      "    opacity: 80             # percent\n"
      "    quality: 30\n"
      "    output_height: 1080\n"
      "    # output_quality: 100   # JPEG outputs\n"
      "    # auto_orient: true     # apply EXIF orientation\n"
      "    # metadata: keep        # EXIF, ICC profile, PNG text; or strip\n"
      "    # videos: false         # also .mp4 .mov .m4v .mkv .webm .avi\n"
      "    # video_crf: 20\n"
      "    # video_preset: medium\n\n"
      "With --videos, each video file is written in the same container, "
      "its audio and\nsubtitles copied packet for packet, its video "
      "turned upright, scaled to the\noutput height, watermarked and "
      "encoded again in its own codec family\n(H.264, HEVC, VP8, VP9, AV1; "
      "others as H.264) at --video-crf quality,\n10-bit HDR kept.\n\n"
      "Options override the file and, all given, make it optional.  Log "
      "lines go to the\nconsole and are appended to ./watermark.log.  "
      "Note: -q is --quality, not quiet\n(that is --quiet).");
  g_option_context_set_description (context,
      "Exit status:\n"
      "  0  every picture done (also when none matched: a warning)\n"
      "  1  some pictures failed; the others are done\n"
      "  2  nothing could start: bad config, unreadable watermark, missing "
      "input folder\n" "  130  interrupted (pictures in hand were finished, "
      "a video in hand\n       stopped and removed)\n");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("npy-watermark: %s\n", error->message);
    return EXIT_CANNOT_START;
  }
  if (version) {
    g_autofree gchar *gst = gst_version_string ();

    g_print ("npy-watermark %s (%s)\n", PACKAGE_VERSION, gst);
    return EXIT_ALL_DONE;
  }
  if (argc > 1) {
    g_printerr ("npy-watermark: unexpected argument \"%s\" (see --help)\n",
        argv[1]);
    return EXIT_CANNOT_START;
  }

  GST_ELEMENT_REGISTER (npywatermark, NULL);
  /* A dry run writes nothing, not even its log. */
  batch_log_init (dry ? NULL : LOG_FILE, quiet);

  overrides.config_file = config_file;
  overrides.input_folder = input_folder;
  overrides.output_folder = output_option;
  overrides.npy_path = npy_option;
  overrides.opacity = opacity;
  overrides.quality = quality;
  overrides.output_height = height;
  overrides.output_quality = output_quality;
  overrides.strip_metadata = strip_metadata;
  overrides.no_auto_orient = no_auto_orient;
  overrides.position = position;
  overrides.margin = margin;
  overrides.size = size;
  overrides.tile = tile;
  overrides.tile_spacing = tile_spacing;
  overrides.videos = videos;
  overrides.video_crf = video_crf;
  overrides.video_preset = video_preset;
  settings = batch_settings_load (&overrides, &error);
  if (settings == NULL) {
    g_printerr ("npy-watermark: %s\n", error->message);
    goto cannot_start;
  }
  if (max_pixels < 1) {
    g_printerr ("npy-watermark: --max-pixels must be 1 or more, got %"
        G_GINT64_FORMAT "\n", max_pixels);
    goto cannot_start;
  }
  if (jobs != BATCH_UNSET_INT && jobs < 1) {
    g_printerr ("npy-watermark: --jobs must be 1 or more, got %d (leave it "
        "out for one worker per processor)\n", jobs);
    goto cannot_start;
  }
  if (!parse_shard (shard, &shard_k, &shard_n)) {
    g_printerr ("npy-watermark: --shard must be K/N with 1 <= K <= N, "
        "e.g. 1/4\n");
    goto cannot_start;
  }
  if (dry && report_file) {
    g_printerr ("npy-watermark: --dry-run writes no file: leave out "
        "--report\n");
    goto cannot_start;
  }
  if (jobs == BATCH_UNSET_INT)
    jobs = g_get_num_processors ();
  if ((guint) jobs > max_jobs) {
    g_printerr ("npy-watermark: warning: --jobs %d is more than %d per "
        "processor; using %u\n", jobs, MAX_JOBS_PER_PROCESSOR, max_jobs);
    jobs = max_jobs;
  }

  /* The watermark is read once, here, to fail early and clearly. */
  npy_path = find_npy (settings->npy_path);
  if (!g_file_test (npy_path, G_FILE_TEST_EXISTS)) {
    g_printerr ("npy-watermark: %s: no such file (npy_path)\n", npy_path);
    goto cannot_start;
  }
  /* As the element reads it: a regular file, its header first, then
   * only the bytes the header promises. */
  npy_data = batch_files_read_npy (npy_path, NPY_READ_STACK, &error);
  if (npy_data != NULL)
    watermark = npy_image_new_from_data_full (g_bytes_get_data (npy_data,
            NULL), g_bytes_get_size (npy_data), 0, 0, NPY_READ_STACK, &error);
  if (watermark == NULL) {
    g_printerr ("npy-watermark: %s: %s\n", npy_path, error->message);
    goto cannot_start;
  }
  /* (1, H, W, C) is one picture, as the element takes it; a stack of
   * more has no single picture to stamp on a photo.  Videos play it, as
   * the element does (slice by frame time, animation-rate's 10 a
   * second, looped); with --videos the pictures beside them fail, each
   * saying why. */
  if (watermark->n_frames > 1 && !settings->videos) {
    g_printerr ("npy-watermark: %s: an (N, H, W, C) stack of %u frames is "
        "an animation; a picture takes one frame: save one, e.g. "
        "numpy.save (path, stack[0]) (videos play it: --videos)\n",
        npy_path, watermark->n_frames);
    goto cannot_start;
  }
  if (watermark->n_frames > 1)
    stills_refused = g_strdup_printf ("the watermark %s is an (N, H, W, C) "
        "stack of %u frames, an animation for videos; a picture takes "
        "one frame (save one, e.g. numpy.save (path, stack[0]))",
        npy_path, watermark->n_frames);

  if (!g_file_test (settings->input_folder, G_FILE_TEST_IS_DIR)) {
    g_printerr ("npy-watermark: %s: no such folder (input_folder)\n",
        settings->input_folder);
    goto cannot_start;
  }
  output_folder = settings->output_folder ?
      g_strdup (settings->output_folder) :
      g_build_filename (settings->input_folder, "output", NULL);
  if (batch_files_same_dir (output_folder, settings->input_folder)) {
    g_printerr ("npy-watermark: %s: the output folder is the input folder; "
        "inputs are never overwritten, choose another --output\n",
        output_folder);
    goto cannot_start;
  }
  /* Mirrored under a folder that holds the input folder, a subfolder's
   * output could land on an input (in/in/x.jpg -> ./in/x.jpg). */
  if (recursive
      && batch_files_is_within (settings->input_folder, output_folder)) {
    g_printerr ("npy-watermark: %s: with --recursive the output folder "
        "cannot contain the input folder %s: outputs could overwrite "
        "inputs\n", output_folder, settings->input_folder);
    goto cannot_start;
  }
  /* A link planted as the output folder (ln -s /elsewhere
   * pictures/output) would have the run replace files elsewhere. */
  link = batch_files_find_link (output_folder, output_folder);
  if (link) {
    g_autofree gchar *target = g_file_read_link (link, NULL);

    g_printerr ("npy-watermark: %s: the output folder is a symbolic link "
        "(to %s); outputs are not written through links: give the real "
        "folder with --output\n", link, target ? target : "?");
    goto cannot_start;
  }
  /* Made before the list, so that another shard's mkdir cannot change
   * what this one walks. */
  if (!dry && g_mkdir_with_parents (output_folder, 0777) != 0) {
    g_printerr ("npy-watermark: %s: cannot create the output folder: %s\n",
        output_folder, g_strerror (errno));
    goto cannot_start;
  }

  pictures = batch_files_list (settings->input_folder, output_folder,
      recursive, &error);
  if (pictures == NULL) {
    g_printerr ("npy-watermark: %s\n", error->message);
    goto cannot_start;
  }
  if (settings->videos)
    batch_video_claim (pictures, output_folder);
  batch_files_shard (pictures, shard_k, shard_n);
  for (i = 0; i < pictures->len; i++)
    supported += ((BatchPicture *) pictures->pdata[i])->unsupported == NULL;
  if (supported == 0)
    GST_WARNING ("No .jpg, .jpeg, .png, .webp, .tif, .tiff, .bmp or .gif "
        "pictures in %s%s%s", settings->input_folder, shard_n > 1 ?
        " for this shard" : "", recursive ? "" :
        batch_files_any_below (settings->input_folder, output_folder) ?
        " (its subfolders have some: add --recursive)" : "");
  if (pictures->len == 0) {
    batch_log_shutdown ();
    return EXIT_ALL_DONE;
  }

  /* Output folders, mirrored for --recursive. */
  for (i = 0; i < pictures->len && !dry; i++) {
    BatchPicture *p = pictures->pdata[i];
    g_autofree gchar *dir = NULL;

    if (p->output_path == NULL)
      continue;
    dir = g_path_get_dirname (p->output_path);
    /* --recursive: a link planted among the mirrored folders, checked
     * before mkdir would make folders through it */
    g_free (link);
    link = batch_files_find_link (dir, output_folder);
    if (link) {
      g_printerr ("npy-watermark: %s: this output folder is a symbolic "
          "link; outputs are not written through links\n", link);
      goto cannot_start;
    }
    if (g_mkdir_with_parents (dir, 0777) != 0) {
      g_printerr ("npy-watermark: %s: cannot create the output folder: %s\n",
          dir, g_strerror (errno));
      goto cannot_start;
    }
  }

  /* Only this run's (this shard's) pictures, and only temporary files
   * no live run holds: another run's work in progress is left alone. */
  if (!dry) {
    stale = batch_files_remove_stale_temps (pictures);
    if (stale->len > 0)
      GST_INFO ("Removed %u stale temporary files left by a killed run, "
          "e.g. %s", stale->len, (const gchar *) stale->pdata[0]);
  }

  worker_settings.npy_data = npy_data;
  worker_settings.opacity = settings->opacity / 100.0;
  worker_settings.quality = settings->quality;
  worker_settings.output_height = settings->output_height;
  worker_settings.output_quality = settings->output_quality;
  worker_settings.auto_orient = settings->auto_orient;
  worker_settings.strip_metadata = settings->strip_metadata;
  worker_settings.position = settings->position;
  worker_settings.margin = settings->margin;
  worker_settings.size = settings->size / 100.0;
  worker_settings.tile = settings->tile;
  worker_settings.tile_spacing = settings->tile_spacing;
  worker_settings.file_mode = 0666 & ~current_umask ();
  worker_settings.video_crf = settings->video_crf;
  worker_settings.video_preset = settings->video_preset;
  worker_settings.max_pixels = max_pixels;

  run.pictures = pictures;
  run.results = g_new0 (Result, pictures->len);
  run.reasons = g_new0 (gchar *, pictures->len);
  run.written = g_new0 (gchar *, pictures->len);
  g_mutex_init (&run.video_lock);
  run.settings = &worker_settings;
  run.skip_existing = skip_existing;
  g_mutex_init (&run.lock);
  g_cond_init (&run.cond);

  if (report_file) {
    run.report = g_fopen (report_file, "w");
    if (run.report == NULL) {
      g_printerr ("npy-watermark: %s: cannot write the report: %s\n",
          report_file, g_strerror (errno));
      free_run (&run);
      goto cannot_start;
    }
  }
  decide_before_run (&run, stills_refused, !dry);

  if (dry) {
    failed = dry_run (&run);
    free_run (&run);
    batch_log_shutdown ();
    return failed ? EXIT_SOME_FAILED : EXIT_ALL_DONE;
  }

  order_jobs (&run);
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);

  /* No more workers than pictures. */
  jobs = MIN ((guint) jobs, MAX (supported, 1));
  GST_INFO ("Watermarking %u picture%s of %s with %s, %d worker%s",
      supported, supported == 1 ? "" : "s", settings->input_folder, npy_path,
      jobs, jobs == 1 ? "" : "s");
  start = g_get_monotonic_time ();
  run_workers (&run, jobs, !quiet && batch_log_console_is_terminal ());
  elapsed = (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;

  if (interrupted)
    GST_WARNING ("Interrupted: the pictures in hand were finished (a video "
        "in hand stopped), %u not started", pictures->len - run.done);
  check_outputs (&run);
  for (i = 0; i < pictures->len; i++)
    failed += run.results[i] == RESULT_FAILED;
  print_summary (&run, elapsed, output_folder, !quiet || failed);
  report_summary (&run, elapsed);

  free_run (&run);
  batch_log_shutdown ();

  if (interrupted)
    return EXIT_INTERRUPTED;
  return failed ? EXIT_SOME_FAILED : EXIT_ALL_DONE;

cannot_start:
  batch_log_shutdown ();
  return EXIT_CANNOT_START;
}
