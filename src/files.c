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
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "files.h"
#include "npy.h"
#include "probe.h"

/* Temporary names: ".<name>" + ".XXXXXX" + ".part". */
#define TEMP_RANDOM_LEN 7       /* ".XXXXXX" */
#define TEMP_SUFFIX ".part"
#define TEMP_BASE_MAX 200

typedef struct
{
  const gchar *input_folder;
  const gchar *output_folder;
  gboolean recursive;
  gboolean have_output;         /* output folder exists: skip it */
  GStatBuf output_stat;
  GPtrArray *pictures;
  GHashTable *visited;          /* "dev:ino" of folders, against loops */
} Walk;

void
batch_picture_free (BatchPicture * picture)
{
  g_free (picture->relative);
  g_free (picture->input_path);
  g_free (picture->output_path);
  g_free (picture);
}

gboolean
batch_files_same_dir (const gchar * a, const gchar * b)
{
  GStatBuf sa, sb;

  return g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0 &&
      sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

gboolean
batch_files_is_within (const gchar * dir, const gchar * folder)
{
  g_autofree gchar *path = g_canonicalize_filename (dir, NULL);

  /* Walk up from @dir, comparing each folder with @folder on disk. */
  for (;;) {
    g_autofree gchar *parent = NULL;

    if (batch_files_same_dir (path, folder))
      return TRUE;
    parent = g_path_get_dirname (path);
    if (g_strcmp0 (parent, path) == 0)
      return FALSE;
    g_free (path);
    path = g_steal_pointer (&parent);
  }
}

gchar *
batch_files_find_link (const gchar * dir, const gchar * top)
{
  g_autofree gchar *path = g_strdup (dir);
  g_autofree gchar *link = NULL;
  gsize len;

  /* "out/" would be lstat ()ed through the link */
  while ((len = strlen (path)) > 1 && path[len - 1] == G_DIR_SEPARATOR)
    path[len - 1] = '\0';
  for (;;) {
    g_autofree gchar *parent = NULL;
    GStatBuf st;

    if (g_lstat (path, &st) == 0 && S_ISLNK (st.st_mode)) {
      g_free (link);
      link = g_strdup (path);   /* the outermost one wins */
    }
    if (g_strcmp0 (path, top) == 0)
      break;
    parent = g_path_get_dirname (path);
    if (g_strcmp0 (parent, path) == 0 || strlen (parent) < strlen (top))
      break;
    g_free (path);
    path = g_steal_pointer (&parent);
  }
  return g_steal_pointer (&link);
}

/* The script's glob took *.jpg, *.jpeg and *.png, case-sensitive; WebP
 * is written as WebP; the formats only gdk-pixbuf decodes, as PNG. */
typedef enum
{
  NAME_OTHER,
  NAME_KEPT,                    /* output under the same name */
  NAME_AS_PNG                   /* output under the same base name + .png */
} NameKind;

static NameKind
name_kind (const gchar * name)
{
  static const gchar *const kept[] = { ".jpg", ".jpeg", ".png", ".webp",
    NULL
  };
  static const gchar *const as_png[] = { ".tif", ".tiff", ".bmp", ".gif",
    NULL
  };
  const gchar *dot = strrchr (name, '.');
  guint i;

  for (i = 0; dot && kept[i]; i++)
    if (g_ascii_strcasecmp (dot, kept[i]) == 0)
      return NAME_KEPT;
  for (i = 0; dot && as_png[i]; i++)
    if (g_ascii_strcasecmp (dot, as_png[i]) == 0)
      return NAME_AS_PNG;
  return NAME_OTHER;
}

/* g_build_filename () returns a GString's buffer, 128 bytes whatever the
 * length of the path: two or three kept per picture made that most of
 * the memory a folder of 10,000 pictures took.  An exact copy instead. */
static gchar *
build_kept_path (const gchar * folder, const gchar * name)
{
  g_autofree gchar *path = g_build_filename (folder, name, NULL);

  return g_strdup (path);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* An entry that is not a file to read: a picture's name fails with
 * @why, any other name is not supported, with @why. */
static void
add_unreadable (Walk * w, gchar ** rel, gchar ** path, const gchar * name,
    const gchar * why)
{
  BatchPicture *p = g_new0 (BatchPicture, 1);

  p->relative = g_steal_pointer (rel);
  p->input_path = g_steal_pointer (path);
  if (name_kind (name) == NAME_OTHER)
    p->unsupported = why;
  else
    p->failure = why;
  g_ptr_array_add (w->pictures, p);
}

static gboolean
walk_folder (Walk * w, const gchar * relative, GError ** error)
{
  g_autofree gchar *folder = relative ?
      g_build_filename (w->input_folder, relative, NULL) :
      g_strdup (w->input_folder);
  g_autoptr (GDir) dir = NULL;
  g_autofree gchar *key = NULL;
  g_autoptr (GPtrArray) names = NULL;
  const gchar *entry;
  GStatBuf st;
  guint i;

  if (g_stat (folder, &st) != 0 || !S_ISDIR (st.st_mode)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
        "%s: no such folder", folder);
    return FALSE;
  }
  key = g_strdup_printf ("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT,
      (guint64) st.st_dev, (guint64) st.st_ino);
  if (!g_hash_table_add (w->visited, g_steal_pointer (&key)))
    return TRUE;                /* a link back to a folder already walked */

  dir = g_dir_open (folder, 0, error);
  if (dir == NULL)
    return FALSE;

  /* In name order, not readdir's, so that every machine (every shard)
   * walks the same tree the same way. */
  names = g_ptr_array_new_with_free_func (g_free);
  while ((entry = g_dir_read_name (dir)))
    g_ptr_array_add (names, g_strdup (entry));
  g_ptr_array_sort (names, compare_names);

  for (i = 0; i < names->len; i++) {
    const gchar *name = names->pdata[i];
    g_autofree gchar *rel = relative ?
        build_kept_path (relative, name) : g_strdup (name);
    g_autofree gchar *path = build_kept_path (w->input_folder, rel);

    if (name[0] == '.')
      continue;
    if (g_stat (path, &st) != 0) {
      GStatBuf lst;

      /* A link to nothing is reported, not passed over (the script
       * failed on it too). */
      if (g_lstat (path, &lst) == 0 && S_ISLNK (lst.st_mode))
        add_unreadable (w, &rel, &path, name, "a broken symbolic link (its "
            "target does not exist)");
      continue;
    }

    if (S_ISDIR (st.st_mode)) {
      GStatBuf lst;

      if (!w->recursive)
        continue;
      /* Links to folders are not followed (as find and rsync do): the
       * real folder is walked under its own name. */
      if (g_lstat (path, &lst) == 0 && !S_ISDIR (lst.st_mode))
        continue;
      if (w->have_output && st.st_dev == w->output_stat.st_dev
          && st.st_ino == w->output_stat.st_ino)
        continue;
      /* An unreadable subfolder is not worth stopping the run for. */
      if (!walk_folder (w, rel, NULL))
        g_printerr ("npy-watermark: %s: cannot read this folder, skipped\n",
            path);
    } else if (S_ISREG (st.st_mode)) {
      BatchPicture *p = g_new0 (BatchPicture, 1);
      NameKind kind = name_kind (name);

      p->relative = g_steal_pointer (&rel);
      p->input_path = g_steal_pointer (&path);
      p->size = st.st_size;
      if (kind == NAME_KEPT) {
        p->output_path = build_kept_path (w->output_folder, p->relative);
      } else if (kind == NAME_AS_PNG) {
        g_autofree gchar *stem = g_strndup (p->relative,
            strrchr (p->relative, '.') - p->relative);
        g_autofree gchar *png = g_strconcat (stem, ".png", NULL);

        p->output_path = build_kept_path (w->output_folder, png);
      } else {
        p->unsupported = "not a picture format npy-watermark takes (JPEG, "
            "PNG, WebP, TIFF, BMP, GIF)";
      }
      g_ptr_array_add (w->pictures, p);
    } else {
      /* Stat'ed, never opened: a FIFO could block the run forever. */
      add_unreadable (w, &rel, &path, name, S_ISFIFO (st.st_mode) ?
          "not a regular file (a FIFO), not read" :
          "not a regular file (a device or socket), not read");
    }
  }
  return TRUE;
}

static gint
compare_pictures (gconstpointer a, gconstpointer b)
{
  const BatchPicture *pa = *(BatchPicture * const *) a;
  const BatchPicture *pb = *(BatchPicture * const *) b;

  return strcmp (pa->relative, pb->relative);
}

GPtrArray *
batch_files_list (const gchar * input_folder, const gchar * output_folder,
    gboolean recursive, GError ** error)
{
  Walk w = { 0, };
  gboolean ok;

  w.input_folder = input_folder;
  w.output_folder = output_folder;
  w.recursive = recursive;
  w.have_output = g_stat (output_folder, &w.output_stat) == 0;
  w.pictures = g_ptr_array_new_with_free_func ((GDestroyNotify)
      batch_picture_free);
  w.visited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  ok = walk_folder (&w, NULL, error);
  g_hash_table_unref (w.visited);
  if (!ok) {
    g_ptr_array_unref (w.pictures);
    return NULL;
  }
  g_ptr_array_sort (w.pictures, compare_pictures);
  return w.pictures;
}

gboolean
batch_files_any_below (const gchar * input_folder, const gchar * output_folder)
{
  g_autoptr (GPtrArray) all = batch_files_list (input_folder, output_folder,
      TRUE, NULL);
  guint i;

  for (i = 0; all && i < all->len; i++) {
    const BatchPicture *p = all->pdata[i];

    if (p->unsupported == NULL && strchr (p->relative, G_DIR_SEPARATOR))
      return TRUE;
  }
  return FALSE;
}

void
batch_files_shard (GPtrArray * pictures, guint k, guint n)
{
  guint i, kept = 0;

  g_return_if_fail (n >= 1 && k >= 1 && k <= n);

  for (i = 0; i < pictures->len; i++) {
    if (i % n == k - 1) {
      BatchPicture *tmp = pictures->pdata[kept];

      pictures->pdata[kept++] = pictures->pdata[i];
      pictures->pdata[i] = tmp;
    }
  }
  g_ptr_array_set_size (pictures, kept);
}

gchar *
batch_files_temp_template (const gchar * output_path)
{
  g_autofree gchar *folder = g_path_get_dirname (output_path);
  g_autofree gchar *base = g_path_get_basename (output_path);

  /* The temporary name adds 14 bytes; a name near the usual 255-byte
   * limit (85 Chinese characters) would not fit.  Such names keep their
   * first TEMP_BASE_MAX bytes, cut on a character boundary (their stale
   * temporary files are then not recognised, only left hidden). */
  if (strlen (base) > TEMP_BASE_MAX) {
    gchar *end = g_utf8_find_prev_char (base, base + TEMP_BASE_MAX + 1);

    if (end)
      *end = '\0';
  }
  return g_strdup_printf ("%s/.%s.XXXXXX" TEMP_SUFFIX, folder, base);
}

/* The output path a temporary file @name of @folder was for, or NULL if
 * @name is not one of ours: ".<name>.XXXXXX.part" -> "<folder>/<name>". */
static gchar *
temp_output_path (const gchar * folder, const gchar * name)
{
  const gsize tail = TEMP_RANDOM_LEN + strlen (TEMP_SUFFIX);
  gsize len = strlen (name);
  g_autofree gchar *base = NULL;

  if (name[0] != '.' || len < 2 + tail || name[len - tail] != '.'
      || !g_str_has_suffix (name, TEMP_SUFFIX))
    return NULL;
  base = g_strndup (name + 1, len - 1 - tail);
  return g_build_filename (folder, base, NULL);
}

gint
batch_files_make_temp (const gchar * output_path, gchar ** path)
{
  guint tries;

  for (tries = 0; tries < 100; tries++) {
    g_autofree gchar *temp = batch_files_temp_template (output_path);
    GStatBuf st_fd, st_path;
    gint fd = g_mkstemp_full (temp, O_WRONLY | O_CLOEXEC, 0600);

    if (fd < 0)
      return -1;
    /* Another run's cleanup may have opened it between the two calls: it
     * holds the lock and removes it, or has removed it already.  Then
     * another name. */
    if (flock (fd, LOCK_EX | LOCK_NB) == 0 && fstat (fd, &st_fd) == 0
        && g_lstat (temp, &st_path) == 0 && st_fd.st_ino == st_path.st_ino
        && st_fd.st_dev == st_path.st_dev) {
      *path = g_steal_pointer (&temp);
      return fd;
    }
    close (fd);
  }
  errno = EEXIST;
  return -1;
}

/* Removes @path if no process holds its lock (batch_files_make_temp ()). */
static gboolean
remove_if_unowned (const gchar * path)
{
  gint fd = g_open (path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0);
  gboolean removed = FALSE;
  GStatBuf st;

  if (fd < 0)
    return FALSE;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode)
      && flock (fd, LOCK_EX | LOCK_NB) == 0)
    removed = g_unlink (path) == 0;
  close (fd);
  return removed;
}

GPtrArray *
batch_files_remove_stale_temps (GPtrArray * pictures)
{
  GPtrArray *removed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) outputs = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) folders = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer folder;
  guint i;

  for (i = 0; i < pictures->len; i++) {
    const BatchPicture *p = pictures->pdata[i];

    if (p->output_path == NULL)
      continue;
    g_hash_table_add (outputs, p->output_path);
    g_hash_table_add (folders, g_path_get_dirname (p->output_path));
  }

  /* One pass over each output folder, whatever the number of pictures. */
  g_hash_table_iter_init (&iter, folders);
  while (g_hash_table_iter_next (&iter, &folder, NULL)) {
    g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
    const gchar *name;

    while (dir && (name = g_dir_read_name (dir))) {
      g_autofree gchar *output = temp_output_path (folder, name);
      gchar *path;

      if (output == NULL || !g_hash_table_contains (outputs, output))
        continue;
      path = g_build_filename (folder, name, NULL);
      if (remove_if_unowned (path))
        g_ptr_array_add (removed, path);
      else
        g_free (path);
    }
  }
  return removed;
}

gint
batch_files_open_regular (const gchar * path, GStatBuf * st, GError ** error)
{
  gint fd;

  /* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
  fd = g_open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) {
    gint saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
        "cannot open: %s", g_strerror (saved));
    return -1;
  }
  if (fstat (fd, st) != 0 || !S_ISREG (st->st_mode)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "not a regular file (a folder, a FIFO or a device is not read)");
    close (fd);
    return -1;
  }
  /* Back to blocking reads, as for any file. */
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

/* Bytes read from a file: a buffer that grows with g_try_realloc (), so
 * that a file too large for memory is an error, not an abort (GByteArray
 * aborts, and holds at most 4 GiB). */
typedef struct
{
  guint8 *data;
  gsize len;
} Buf;

static void
buf_clear (Buf * buf)
{
  g_clear_pointer (&buf->data, g_free);
  buf->len = 0;
}

/* Appends up to @want bytes of @fd to @buf; FALSE on a read error or
 * when memory runs out.  Stops early at the end of the file (*@eof). */
static gboolean
read_more (gint fd, Buf * buf, gsize want, gboolean * eof, GError ** error)
{
  gsize start = buf->len;
  guint8 *data;

  if (want == 0)
    return TRUE;
  data = want <= G_MAXSIZE - start - 1 ?
      g_try_realloc (buf->data, start + want + 1) : NULL;
  if (data == NULL) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
        "not enough memory to read %" G_GSIZE_FORMAT " bytes more of it", want);
    return FALSE;
  }
  buf->data = data;
  while (want > 0) {
    gssize n = read (fd, buf->data + buf->len, MIN (want, 1 << 20));

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      gint saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
          "cannot read: %s", g_strerror (saved));
      return FALSE;
    }
    if (n == 0) {
      *eof = TRUE;
      break;
    }
    buf->len += n;
    want -= n;
  }
  buf->data[buf->len] = 0;      /* room was made for it */
  return TRUE;
}

/* The bytes, without the room the last read made and did not fill. */
static GBytes *
buf_free_to_bytes (Buf * buf)
{
  gsize len = buf->len;
  guint8 *fitted = g_try_realloc (buf->data, len + 1);

  if (fitted)
    buf->data = fitted;
  return g_bytes_new_take (g_steal_pointer (&buf->data), len);
}

gboolean
batch_files_read_small (const gchar * path, gsize max, const gchar * what,
    gchar ** contents, gsize * length, GError ** error)
{
  Buf buf = { NULL, 0 };
  gboolean eof = FALSE;
  GStatBuf st;
  gint fd = batch_files_open_regular (path, &st, error);

  if (fd < 0)
    return FALSE;
  if (!read_more (fd, &buf, max + 1, &eof, error)) {
    close (fd);
    buf_clear (&buf);
    return FALSE;
  }
  close (fd);
  if (buf.len > max) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "%" G_GUINT64_FORMAT " bytes is too large for %s (at most %"
        G_GSIZE_FORMAT ")", MAX ((guint64) st.st_size, (guint64) buf.len),
        what, max);
    buf_clear (&buf);
    return FALSE;
  }
  /* nul-terminated by read_more () */
  *length = buf.len;
  *contents = (gchar *) (buf.data ? buf.data : (guint8 *) g_strdup (""));
  return TRUE;
}

/* The largest .npy header read: NumPy writes a few hundred bytes. */
#define NPY_HEADER_MAX (1 << 20)

GBytes *
batch_files_read_npy (const gchar * path, guint flags, GError ** error)
{
  Buf buf = { NULL, 0 };
  gboolean eof = FALSE;
  guint64 file_size = 0;
  gsize want = 4096;
  GStatBuf st;
  gint fd = batch_files_open_regular (path, &st, error);

  if (fd < 0)
    return NULL;
  for (;;) {
    g_autoptr (GError) local_error = NULL;

    if (!read_more (fd, &buf, want - buf.len, &eof, error))
      goto failed;
    if (npy_image_check_header (buf.data, buf.len, 0, 0, flags,
            &file_size, &local_error))
      break;
    if (!g_error_matches (local_error, NPY_ERROR, NPY_ERROR_TRUNCATED_HEADER)
        || eof || want >= NPY_HEADER_MAX) {
      g_propagate_error (error, g_steal_pointer (&local_error));
      goto failed;
    }
    want *= 4;
  }
  /* Only what the header promises; fewer bytes is the parser's to say. */
  if (file_size > buf.len) {
    if (file_size > G_MAXSIZE || (guint64) st.st_size < file_size) {
      g_set_error (error, NPY_ERROR, NPY_ERROR_TRUNCATED_DATA,
          "the array needs %" G_GUINT64_FORMAT " bytes, the file has %"
          G_GUINT64_FORMAT, file_size, (guint64) st.st_size);
      goto failed;
    }
    if (!read_more (fd, &buf, file_size - buf.len, &eof, error))
      goto failed;
  } else {
    buf.len = file_size;
  }
  close (fd);
  return buf_free_to_bytes (&buf);

failed:
  close (fd);
  buf_clear (&buf);
  return NULL;
}

/* Formats whose end the probe does not find (TIFF, GIF) are read up to
 * this many bytes per pixel of their size, plus metadata: 16-bit RGBA
 * stored uncompressed, then 64 MiB of EXIF, ICC and XMP. */
#define MAX_BYTES_PER_PIXEL 8
#define MAX_METADATA_BYTES (64u << 20)

/* First and largest chunk read between two probes. */
#define READ_CHUNK_MIN (256u << 10)
#define READ_CHUNK_MAX (64u << 20)

GBytes *
batch_files_read_picture (const gchar * path, guint64 max_pixels,
    guint64 * file_size, GError ** error)
{
  Buf buf = { NULL, 0 };
  gboolean eof = FALSE;
  guint64 limit = G_MAXUINT64;
  gsize chunk = READ_CHUNK_MIN;
  GStatBuf st;
  gint fd = batch_files_open_regular (path, &st, error);

  if (fd < 0)
    return NULL;
  *file_size = st.st_size;
  /* Each chunk twice the last (up to 64 MiB): the probe runs a few times
   * for a big file, and a picture that ends early is found early. */
  while (!eof) {
    BatchPictureInfo info;

    if (!read_more (fd, &buf, MIN (chunk, limit - MIN (limit, buf.len)),
            &eof, error)) {
      close (fd);
      buf_clear (&buf);
      return NULL;
    }
    if (buf.len >= limit)
      break;
    chunk = MIN (chunk * 2, READ_CHUNK_MAX);
    if (eof || !batch_probe_full (buf.data, buf.len, max_pixels, &info, NULL))
      continue;
    /* What the file has past its picture is not read (the decoders
     * never used it); what was read is kept, as a whole file would be. */
    if (info.end > 0 && info.end <= buf.len)
      break;
    if (info.end == 0)
      limit = (guint64) info.width * info.height * MAX_BYTES_PER_PIXEL +
          MAX_METADATA_BYTES;
  }
  close (fd);
  if (!eof && buf.len >= limit) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "the file is %" G_GUINT64_FORMAT " bytes, more than a picture of "
        "its size can need (%" G_GUINT64_FORMAT ")", *file_size, limit);
    buf_clear (&buf);
    return NULL;
  }
  return buf_free_to_bytes (&buf);
}
