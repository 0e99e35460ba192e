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

#include <string.h>
#include <gio/gio.h>
#include <gst/base/gstbytereader.h>

#include "log.h"
#include "metadata.h"

#define GST_CAT_DEFAULT batch_debug

#define EXIF_TAG_ORIENTATION 0x0112
#define EXIF_TAG_EXIF_IFD 0x8769
#define EXIF_TAG_PIXEL_X 0xa002
#define EXIF_TAG_PIXEL_Y 0xa003
#define EXIF_TAG_THUMBNAIL_OFFSET 0x0201
#define EXIF_TAG_THUMBNAIL_LENGTH 0x0202
#define TIFF_SHORT 3
#define TIFF_LONG 4

/* An APP segment holds at most 65533 bytes after its length. */
#define APP_MAX 65533
#define EXIF_PREFIX "Exif\0\0"
#define EXIF_PREFIX_LEN 6
#define ICC_PREFIX "ICC_PROFILE"
#define ICC_PREFIX_LEN 12       /* with its NUL */
#define ICC_CHUNK_MAX (APP_MAX - ICC_PREFIX_LEN - 2)
#define XMP_PREFIX "http://ns.adobe.com/xap/1.0/"
#define XMP_PREFIX_LEN 29       /* with its NUL */
#define IPTC_PREFIX "Photoshop 3.0"
#define IPTC_PREFIX_LEN 14
#define XMP_PNG_KEYWORD "XML:com.adobe.xmp"

void
batch_metadata_clear (BatchMetadata * md)
{
  g_clear_pointer (&md->exif, g_bytes_unref);
  g_clear_pointer (&md->icc, g_bytes_unref);
  g_clear_pointer (&md->xmp, g_bytes_unref);
  g_clear_pointer (&md->iptc, g_bytes_unref);
  g_clear_pointer (&md->text, g_ptr_array_unref);
  memset (md, 0, sizeof (*md));
}

/* ---------------------------------------------------------------- ICC */

/* The profile header's own size, its signature, and a tag table that
 * lies inside the profile: enough that no reader is handed garbage. */
static gboolean
icc_valid (const guint8 * icc, gsize size)
{
  guint32 count, i;

  if (size < 132 || size > BATCH_ICC_MAX || GST_READ_UINT32_BE (icc) != size
      || memcmp (icc + 36, "acsp", 4) != 0)
    return FALSE;
  count = GST_READ_UINT32_BE (icc + 128);
  if (count > (size - 132) / 12)
    return FALSE;
  for (i = 0; i < count; i++) {
    const guint8 *tag = icc + 132 + 12 * i;
    guint64 offset = GST_READ_UINT32_BE (tag + 4);
    guint64 length = GST_READ_UINT32_BE (tag + 8);

    if (offset + length > size)
      return FALSE;
  }
  return TRUE;
}

static void
set_icc (BatchMetadata * md, GBytes * icc)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (icc, &size);

  if (!icc_valid (data, size)) {
    GST_DEBUG ("ICC profile of %" G_GSIZE_FORMAT " bytes is malformed or "
        "too large, dropped", size);
    g_bytes_unref (icc);
    return;
  }
  g_clear_pointer (&md->icc, g_bytes_unref);
  md->icc = icc;
  memcpy (md->icc_space, data + 16, 4);
  md->icc_space[4] = '\0';
}

/* --------------------------------------------------------------- zlib */

/* Inflates or deflates @data whole; NULL if it is not valid zlib data or
 * the result would pass @max bytes (a small chunk can claim gigabytes). */
static GBytes *
zlib_convert (gboolean compress, const guint8 * data, gsize size, gsize max)
{
  g_autoptr (GConverter) conv = compress ?
      G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, -1))
      : G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB));
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 buf[16384];

  for (;;) {
    g_autoptr (GError) error = NULL;
    gsize read = 0, written = 0;
    GConverterResult res = g_converter_convert (conv, data, size, buf,
        sizeof (buf), G_CONVERTER_INPUT_AT_END, &read, &written, &error);

    if (res == G_CONVERTER_ERROR)
      return NULL;
    data += read;
    size -= read;
    if (out->len + written > max)
      return NULL;
    g_byte_array_append (out, buf, written);
    if (res == G_CONVERTER_FINISHED)
      break;
    if (read == 0 && written == 0)
      return NULL;
  }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* --------------------------------------------------------------- read */

static void
read_jpeg (BatchMetadata * md, const guint8 * data, gsize size)
{
  GstByteReader r = GST_BYTE_READER_INIT (data, size);
  const guint8 *chunks[256] = { NULL, };
  guint16 chunk_sizes[256] = { 0, };
  guint chunk_count = 0, i;
  gsize icc_size = 0;

  gst_byte_reader_skip_unchecked (&r, 2);       /* SOI */
  for (;;) {
    guint8 marker;
    guint16 length;
    const guint8 *seg;

    if (!gst_byte_reader_get_uint8 (&r, &marker) || marker != 0xff)
      break;
    while (gst_byte_reader_peek_uint8 (&r, &marker) && marker == 0xff)
      gst_byte_reader_skip_unchecked (&r, 1);
    if (!gst_byte_reader_get_uint8 (&r, &marker))
      break;
    /* the metadata comes before the picture */
    if (marker == 0xda || marker == 0xd9)
      break;
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7))
      continue;
    if (!gst_byte_reader_get_uint16_be (&r, &length) || length < 2
        || !gst_byte_reader_get_data (&r, length - 2, &seg))
      break;
    length -= 2;

    if (marker == 0xe1 && md->exif == NULL && length > EXIF_PREFIX_LEN
        && memcmp (seg, EXIF_PREFIX, EXIF_PREFIX_LEN) == 0) {
      md->exif = g_bytes_new (seg + EXIF_PREFIX_LEN, length - EXIF_PREFIX_LEN);
    } else if (marker == 0xe1 && md->xmp == NULL && length > XMP_PREFIX_LEN
        && memcmp (seg, XMP_PREFIX, XMP_PREFIX_LEN) == 0) {
      md->xmp = g_bytes_new (seg + XMP_PREFIX_LEN, length - XMP_PREFIX_LEN);
    } else if (marker == 0xed && md->iptc == NULL && length > IPTC_PREFIX_LEN
        && memcmp (seg, IPTC_PREFIX, IPTC_PREFIX_LEN) == 0) {
      md->iptc = g_bytes_new (seg, length);
    } else if (marker == 0xe2 && length > ICC_PREFIX_LEN + 2
        && memcmp (seg, ICC_PREFIX, ICC_PREFIX_LEN) == 0) {
      /* chunk number (1-based) and count, then the data */
      guint seq = seg[ICC_PREFIX_LEN], count = seg[ICC_PREFIX_LEN + 1];

      if (seq == 0 || seq > count || (chunk_count && count != chunk_count)
          || chunks[seq - 1]) {
        GST_DEBUG ("inconsistent ICC_PROFILE segments, profile dropped");
        return;
      }
      chunk_count = count;
      chunks[seq - 1] = seg + ICC_PREFIX_LEN + 2;
      chunk_sizes[seq - 1] = length - ICC_PREFIX_LEN - 2;
      icc_size += chunk_sizes[seq - 1];
    }
  }

  if (chunk_count == 0)
    return;
  if (icc_size > BATCH_ICC_MAX)
    return;
  {
    guint8 *icc = g_malloc (icc_size);
    gsize at = 0;

    for (i = 0; i < chunk_count; i++) {
      if (chunks[i] == NULL) {
        GST_DEBUG ("ICC_PROFILE segment %u of %u missing, dropped", i + 1,
            chunk_count);
        g_free (icc);
        return;
      }
      memcpy (icc + at, chunks[i], chunk_sizes[i]);
      at += chunk_sizes[i];
    }
    set_icc (md, g_bytes_new_take (icc, icc_size));
  }
}

static void
read_png (BatchMetadata * md, const guint8 * data, gsize size)
{
  GstByteReader r = GST_BYTE_READER_INIT (data, size);
  gsize text_bytes = 0;

  gst_byte_reader_skip_unchecked (&r, 8);       /* signature */
  for (;;) {
    guint32 length, type;
    const guint8 *chunk;

    if (!gst_byte_reader_get_uint32_be (&r, &length)
        || !gst_byte_reader_get_uint32_le (&r, &type)
        || length > G_MAXINT32 || !gst_byte_reader_get_data (&r, length,
            &chunk) || !gst_byte_reader_skip (&r, 4))
      break;

    if (type == GST_MAKE_FOURCC ('I', 'E', 'N', 'D')) {
      break;
    } else if (type == GST_MAKE_FOURCC ('e', 'X', 'I', 'f') && !md->exif) {
      md->exif = g_bytes_new (chunk, length);
    } else if (type == GST_MAKE_FOURCC ('i', 'C', 'C', 'P') && !md->icc) {
      /* name (1-79 bytes), NUL, method 0, zlib data */
      const guint8 *nul = memchr (chunk, 0, MIN (length, 80));
      GBytes *icc;

      if (nul == NULL || nul == chunk || (gsize) (nul - chunk) + 2 > length
          || nul[1] != 0)
        continue;
      icc = zlib_convert (FALSE, nul + 2, length - (nul + 2 - chunk),
          BATCH_ICC_MAX);
      if (icc)
        set_icc (md, icc);
    } else if (type == GST_MAKE_FOURCC ('i', 'T', 'X', 't') && !md->xmp
        && length > sizeof (XMP_PNG_KEYWORD) + 2
        && memcmp (chunk, XMP_PNG_KEYWORD, sizeof (XMP_PNG_KEYWORD)) == 0
        && chunk[sizeof (XMP_PNG_KEYWORD)] == 0) {
      /* uncompressed XMP: keyword, flag 0, method, language NUL,
       * translated keyword NUL, the packet */
      const guint8 *p = chunk + sizeof (XMP_PNG_KEYWORD) + 2;
      const guint8 *end = chunk + length;
      const guint8 *lang_end = memchr (p, 0, end - p);
      const guint8 *tkey_end = lang_end ? memchr (lang_end + 1, 0,
          end - lang_end - 1) : NULL;

      if (tkey_end)
        md->xmp = g_bytes_new (tkey_end + 1, end - tkey_end - 1);
    } else if (type == GST_MAKE_FOURCC ('t', 'E', 'X', 't')
        || type == GST_MAKE_FOURCC ('z', 'T', 'X', 't')
        || type == GST_MAKE_FOURCC ('i', 'T', 'X', 't')) {
      guint8 *copy;

      if (md->text == NULL)
        md->text = g_ptr_array_new_with_free_func ((GDestroyNotify)
            g_bytes_unref);
      if (md->text->len >= BATCH_TEXT_MAX_CHUNKS
          || text_bytes + length > BATCH_TEXT_MAX_BYTES) {
        GST_DEBUG ("more text chunks than kept, the rest dropped");
        continue;
      }
      text_bytes += length;
      copy = g_malloc (4 + length);
      memcpy (copy, data + gst_byte_reader_get_pos (&r) - length - 8, 4);
      memcpy (copy + 4, chunk, length);
      g_ptr_array_add (md->text, g_bytes_new_take (copy, 4 + length));
    }
  }
}

static void
read_webp (BatchMetadata * md, const guint8 * data, gsize size)
{
  GstByteReader r = GST_BYTE_READER_INIT (data, size);

  gst_byte_reader_skip_unchecked (&r, 12);      /* RIFF, size, WEBP */
  while (gst_byte_reader_get_remaining (&r) >= 8) {
    guint32 fourcc = gst_byte_reader_get_uint32_le_unchecked (&r);
    guint32 length = gst_byte_reader_get_uint32_le_unchecked (&r);
    const guint8 *chunk;

    if (!gst_byte_reader_get_data (&r, length, &chunk))
      break;
    if (length & 1)
      gst_byte_reader_skip (&r, 1);
    if (fourcc == GST_MAKE_FOURCC ('E', 'X', 'I', 'F') && !md->exif) {
      if (length >= EXIF_PREFIX_LEN
          && memcmp (chunk, EXIF_PREFIX, EXIF_PREFIX_LEN) == 0)
        md->exif = g_bytes_new (chunk + EXIF_PREFIX_LEN,
            length - EXIF_PREFIX_LEN);
      else
        md->exif = g_bytes_new (chunk, length);
    } else if (fourcc == GST_MAKE_FOURCC ('I', 'C', 'C', 'P') && !md->icc) {
      set_icc (md, g_bytes_new (chunk, length));
    } else if (fourcc == GST_MAKE_FOURCC ('X', 'M', 'P', ' ') && !md->xmp) {
      md->xmp = g_bytes_new (chunk, length);
    }
  }
}

void
batch_metadata_read (BatchMetadata * md, const guint8 * data, gsize size,
    BatchPictureFormat format)
{
  memset (md, 0, sizeof (*md));
  switch (format) {
    case BATCH_PICTURE_JPEG:
      read_jpeg (md, data, size);
      break;
    case BATCH_PICTURE_PNG:
      read_png (md, data, size);
      break;
    case BATCH_PICTURE_WEBP:
      read_webp (md, data, size);
      break;
    default:
      /* TIFF, BMP, GIF: written as PNG without their metadata */
      break;
  }
}

/* --------------------------------------------------------------- EXIF */

typedef struct
{
  guint8 *data;
  gsize size;
  gboolean le;
} Tiff;

static guint16
tiff_u16 (const Tiff * t, gsize at)
{
  return t->le ? GST_READ_UINT16_LE (t->data + at) :
      GST_READ_UINT16_BE (t->data + at);
}

static guint32
tiff_u32 (const Tiff * t, gsize at)
{
  return t->le ? GST_READ_UINT32_LE (t->data + at) :
      GST_READ_UINT32_BE (t->data + at);
}

static void
tiff_set_u16 (const Tiff * t, gsize at, guint16 v)
{
  if (t->le)
    GST_WRITE_UINT16_LE (t->data + at, v);
  else
    GST_WRITE_UINT16_BE (t->data + at, v);
}

static void
tiff_set_u32 (const Tiff * t, gsize at, guint32 v)
{
  if (t->le)
    GST_WRITE_UINT32_LE (t->data + at, v);
  else
    GST_WRITE_UINT32_BE (t->data + at, v);
}

/* Entry count of the IFD at @ifd, if all of it (and its next-IFD link)
 * lies inside the block; else -1. */
static gint
ifd_entries (const Tiff * t, guint32 ifd)
{
  guint16 count;

  if ((guint64) ifd + 2 > t->size)
    return -1;
  count = tiff_u16 (t, ifd);
  if ((guint64) ifd + 2 + 12 * (guint64) count + 4 > t->size)
    return -1;
  return count;
}

/* Position of @tag's entry in the IFD at @ifd, or 0. */
static gsize
ifd_find (const Tiff * t, guint32 ifd, gint count, guint16 tag)
{
  gint i;

  for (i = 0; i < count; i++) {
    gsize entry = ifd + 2 + 12 * (gsize) i;

    if (tiff_u16 (t, entry) == tag)
      return entry;
  }
  return 0;
}

/* A SHORT or LONG entry with one value, set in place. */
static void
entry_set_uint (const Tiff * t, gsize entry, guint32 value)
{
  guint16 type = tiff_u16 (t, entry + 2);

  if (tiff_u32 (t, entry + 4) != 1)
    return;
  if (type == TIFF_SHORT && value <= G_MAXUINT16)
    tiff_set_u16 (t, entry + 8, value);
  else if (type == TIFF_LONG)
    tiff_set_u32 (t, entry + 8, value);
}

static gboolean
exif_patch (guint8 * data, gsize size, gboolean oriented, guint width,
    guint height)
{
  Tiff t = { data, size, FALSE };
  guint32 ifd0, ifd1;
  gint count0, count;
  gsize entry;

  if (size < 8 || (memcmp (data, "II", 2) != 0 && memcmp (data, "MM", 2)))
    return FALSE;
  t.le = data[0] == 'I';
  if (tiff_u16 (&t, 2) != 42)
    return FALSE;
  ifd0 = tiff_u32 (&t, 4);
  count0 = ifd_entries (&t, ifd0);
  if (count0 < 0)
    return FALSE;

  if (oriented && (entry = ifd_find (&t, ifd0, count0, EXIF_TAG_ORIENTATION)))
    entry_set_uint (&t, entry, 1);

  entry = ifd_find (&t, ifd0, count0, EXIF_TAG_EXIF_IFD);
  if (entry) {
    guint32 exif_ifd = tiff_u32 (&t, entry + 8);

    count = ifd_entries (&t, exif_ifd);
    if (count >= 0) {
      if ((entry = ifd_find (&t, exif_ifd, count, EXIF_TAG_PIXEL_X)))
        entry_set_uint (&t, entry, width);
      if ((entry = ifd_find (&t, exif_ifd, count, EXIF_TAG_PIXEL_Y)))
        entry_set_uint (&t, entry, height);
    }
  }

  /* IFD1 is the thumbnail: an unwatermarked copy of the photo.  Its
   * bytes are blanked and the link to it cut. */
  ifd1 = tiff_u32 (&t, ifd0 + 2 + 12 * (gsize) count0);
  count = ifd1 ? ifd_entries (&t, ifd1) : -1;
  if (count >= 0) {
    gsize off_entry = ifd_find (&t, ifd1, count, EXIF_TAG_THUMBNAIL_OFFSET);
    gsize len_entry = ifd_find (&t, ifd1, count, EXIF_TAG_THUMBNAIL_LENGTH);

    if (off_entry && len_entry) {
      guint64 off = tiff_u32 (&t, off_entry + 8);
      guint64 len = tiff_u32 (&t, len_entry + 8);

      if (off + len <= size)
        memset (data + off, 0, len);
    }
  }
  if (ifd1)
    tiff_set_u32 (&t, ifd0 + 2 + 12 * (gsize) count0, 0);
  return TRUE;
}

/* XMP's tiff:Orientation, as an attribute or an element, set to 1 in
 * place (one digit for another: nothing moves). */
static void
xmp_reset_orientation (guint8 * xmp, gsize size)
{
  static const gchar *const forms[] = { "tiff:Orientation=\"",
    "tiff:Orientation='", "<tiff:Orientation>", NULL
  };
  guint i;

  for (i = 0; forms[i]; i++) {
    gsize n = strlen (forms[i]), at;

    for (at = 0; at + n < size; at++) {
      if (memcmp (xmp + at, forms[i], n) == 0 && xmp[at + n] >= '1'
          && xmp[at + n] <= '8')
        xmp[at + n] = '1';
    }
  }
}

static GBytes *
xmp_oriented (GBytes * xmp)
{
  gsize size;
  guint8 *copy = g_bytes_unref_to_data (xmp, &size);

  xmp_reset_orientation (copy, size);
  return g_bytes_new_take (copy, size);
}

void
batch_metadata_fit (BatchMetadata * md, gboolean oriented, guint width,
    guint height, const gchar * space)
{
  md->width = width;
  md->height = height;
  if (md->exif) {
    gsize size;
    guint8 *copy = g_bytes_unref_to_data (md->exif, &size);

    md->exif = NULL;
    if (exif_patch (copy, size, oriented, width, height)) {
      md->exif = g_bytes_new_take (copy, size);
    } else {
      GST_DEBUG ("malformed EXIF block of %" G_GSIZE_FORMAT " bytes, "
          "dropped", size);
      g_free (copy);
    }
  }
  if (oriented && md->xmp)
    md->xmp = xmp_oriented (md->xmp);
  /* A gray profile on a colour picture (the script wrote gray JPEGs as
   * colour ones) would be wrong: dropped. */
  if (md->icc && !g_str_equal (md->icc_space, space)) {
    GST_DEBUG ("ICC profile for \"%s\" on a \"%s\" output, dropped",
        md->icc_space, space);
    g_clear_pointer (&md->icc, g_bytes_unref);
  }
}

/* ------------------------------------------------------------- insert */

/* @encoded split at @at with @middle between: the picture's bytes are
 * shared with @encoded, not copied. */
static GstBuffer *
splice (GstBuffer * encoded, gsize at, GByteArray * middle)
{
  GstBuffer *out = gst_buffer_copy_region (encoded, GST_BUFFER_COPY_ALL, 0,
      at);
  GstBuffer *rest = gst_buffer_copy_region (encoded, GST_BUFFER_COPY_MEMORY,
      at, gst_buffer_get_size (encoded) - at);
  guint len = middle->len;
  guint8 *bytes = g_byte_array_free (middle, FALSE);

  gst_buffer_append_memory (out, gst_memory_new_wrapped (0, bytes, len, 0,
          len, bytes, g_free));
  out = gst_buffer_append (out, rest);
  gst_buffer_unref (encoded);
  return out;
}

static void
append_be16 (GByteArray * a, guint v)
{
  guint8 b[2] = { v >> 8, v & 0xff };

  g_byte_array_append (a, b, 2);
}

/* A JPEG marker segment: @marker, its length, then @head and @data. */
static void
append_segment (GByteArray * a, guint marker, const void *head,
    gsize head_len, const guint8 * data, gsize size)
{
  append_be16 (a, marker);
  append_be16 (a, 2 + head_len + size);
  g_byte_array_append (a, head, head_len);
  g_byte_array_append (a, data, size);
}

static void
append_be32 (GByteArray * a, guint32 v)
{
  guint8 b[4];

  GST_WRITE_UINT32_BE (b, v);
  g_byte_array_append (a, b, 4);
}

static void
append_le32 (GByteArray * a, guint32 v)
{
  guint8 b[4];

  GST_WRITE_UINT32_LE (b, v);
  g_byte_array_append (a, b, 4);
}

GstBuffer *
batch_metadata_insert_jpeg (const BatchMetadata * md, GstBuffer * encoded)
{
  GByteArray *meta;
  guint8 head[6];
  gsize at = 2;

  if (md->exif == NULL && md->icc == NULL && md->xmp == NULL
      && md->iptc == NULL)
    return encoded;
  if (gst_buffer_extract (encoded, 0, head, 6) != 6 || head[0] != 0xff
      || head[1] != 0xd8)
    return encoded;
  /* after jpegenc's JFIF APP0, as PIL writes them */
  if (head[2] == 0xff && head[3] == 0xe0)
    at = 4 + GST_READ_UINT16_BE (head + 4);
  if (at > gst_buffer_get_size (encoded))
    return encoded;

  meta = g_byte_array_new ();
  if (md->exif) {
    gsize size;
    const guint8 *exif = g_bytes_get_data (md->exif, &size);

    if (size + EXIF_PREFIX_LEN <= APP_MAX)
      append_segment (meta, 0xffe1, EXIF_PREFIX, EXIF_PREFIX_LEN, exif, size);
  }
  if (md->xmp) {
    gsize size;
    const guint8 *xmp = g_bytes_get_data (md->xmp, &size);

    if (size + XMP_PREFIX_LEN <= APP_MAX)
      append_segment (meta, 0xffe1, XMP_PREFIX, XMP_PREFIX_LEN, xmp, size);
  }
  if (md->icc) {
    gsize size, done = 0;
    const guint8 *icc = g_bytes_get_data (md->icc, &size);
    guint count = (size + ICC_CHUNK_MAX - 1) / ICC_CHUNK_MAX, seq;

    for (seq = 1; seq <= count && count <= 255; seq++) {
      gsize n = MIN (size - done, ICC_CHUNK_MAX);
      guint8 head[ICC_PREFIX_LEN + 2];

      /* the prefix, then this chunk's number and the count */
      memcpy (head, ICC_PREFIX, ICC_PREFIX_LEN);
      head[ICC_PREFIX_LEN] = seq;
      head[ICC_PREFIX_LEN + 1] = count;
      append_segment (meta, 0xffe2, head, sizeof (head), icc + done, n);
      done += n;
    }
  }
  if (md->iptc) {
    gsize size;
    const guint8 *iptc = g_bytes_get_data (md->iptc, &size);

    append_segment (meta, 0xffed, NULL, 0, iptc, size);
  }
  return splice (encoded, at, meta);
}

/* PNG's CRC-32 (ISO 3309), over the chunk type and data. */
static guint32
png_crc (const guint8 * type_and_data, gsize len)
{
  static guint32 table[256];
  static gsize ready;
  guint32 c = 0xffffffff;
  gsize i;

  if (g_once_init_enter (&ready)) {
    guint32 n, k;

    for (n = 0; n < 256; n++) {
      guint32 v = n;

      for (k = 0; k < 8; k++)
        v = v & 1 ? 0xedb88320 ^ (v >> 1) : v >> 1;
      table[n] = v;
    }
    g_once_init_leave (&ready, 1);
  }
  for (i = 0; i < len; i++)
    c = table[(c ^ type_and_data[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffff;
}

/* A chunk: @type_and_data is the 4-byte type then the data. */
static void
append_png_chunk (GByteArray * a, const guint8 * type_and_data, gsize len)
{
  append_be32 (a, len - 4);
  g_byte_array_append (a, type_and_data, len);
  append_be32 (a, png_crc (type_and_data, len));
}

GstBuffer *
batch_metadata_insert_png (const BatchMetadata * md, GstBuffer * encoded)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
    0x1a, '\n'
  };
  GByteArray *meta;
  guint8 head[16];
  gsize at;
  guint i;

  if (md->exif == NULL && md->icc == NULL && md->xmp == NULL
      && (md->text == NULL || md->text->len == 0))
    return encoded;
  /* after IHDR, where iCCP and eXIf must come (before PLTE and IDAT) */
  if (gst_buffer_extract (encoded, 0, head, 16) != 16
      || memcmp (head, signature, 8) != 0 || memcmp (head + 12, "IHDR", 4))
    return encoded;
  at = 8 + 12 + (gsize) GST_READ_UINT32_BE (head + 8);
  if (at > gst_buffer_get_size (encoded))
    return encoded;

  meta = g_byte_array_new ();
  if (md->icc) {
    gsize size;
    const guint8 *icc = g_bytes_get_data (md->icc, &size);
    g_autoptr (GBytes) z = zlib_convert (TRUE, icc, size, G_MAXINT32);

    if (z) {
      g_autoptr (GByteArray) c = g_byte_array_new ();
      gsize zsize;
      const guint8 *zdata = g_bytes_get_data (z, &zsize);

      /* type, name, its NUL, compression method 0 */
      g_byte_array_append (c, (const guint8 *) "iCCPICC Profile\0\0", 17);
      g_byte_array_append (c, zdata, zsize);
      append_png_chunk (meta, c->data, c->len);
    }
  }
  if (md->exif) {
    gsize size;
    const guint8 *exif = g_bytes_get_data (md->exif, &size);
    g_autoptr (GByteArray) c = g_byte_array_new ();

    g_byte_array_append (c, (const guint8 *) "eXIf", 4);
    g_byte_array_append (c, exif, size);
    append_png_chunk (meta, c->data, c->len);
  }
  if (md->xmp) {
    gsize size;
    const guint8 *xmp = g_bytes_get_data (md->xmp, &size);
    g_autoptr (GByteArray) c = g_byte_array_new ();

    /* type, keyword and its NUL, not compressed, method 0, no language,
     * no translated keyword */
    g_byte_array_append (c, (const guint8 *) "iTXt" XMP_PNG_KEYWORD,
        4 + sizeof (XMP_PNG_KEYWORD));
    g_byte_array_append (c, (const guint8 *) "\0\0\0", 4);
    g_byte_array_append (c, xmp, size);
    append_png_chunk (meta, c->data, c->len);
  }
  for (i = 0; md->text && i < md->text->len; i++) {
    gsize size;
    const guint8 *chunk = g_bytes_get_data (md->text->pdata[i], &size);

    append_png_chunk (meta, chunk, size);
  }
  return splice (encoded, at, meta);
}

static void
append_riff_chunk (GByteArray * a, const gchar * fourcc, const guint8 * data,
    gsize len)
{
  g_byte_array_append (a, (const guint8 *) fourcc, 4);
  append_le32 (a, len);
  g_byte_array_append (a, data, len);
  if (len & 1)
    g_byte_array_append (a, (const guint8 *) "", 1);
}

/* webpenc writes a simple file (VP8 or VP8L alone) or, with alpha, VP8X
 * + ALPH + VP8.  The extended layout is rebuilt around its chunks:
 * VP8X (flags, canvas), ICCP, the image chunks as they were, EXIF. */
GstBuffer *
batch_metadata_insert_webp (const BatchMetadata * md, GstBuffer * encoded)
{
  GstMapInfo map;
  GstBuffer *out;
  GByteArray *file;
  GstByteReader r;
  guint8 flags = 0, vp8x[10] = { 0, };
  gsize image_at = 12, image_end;

  if (md->exif == NULL && md->icc == NULL && md->xmp == NULL)
    return encoded;
  if (!gst_buffer_map (encoded, &map, GST_MAP_READ))
    return encoded;
  if (map.size < 20 || memcmp (map.data, "RIFF", 4)
      || memcmp (map.data + 8, "WEBP", 4) || md->width == 0 || md->height == 0) {
    gst_buffer_unmap (encoded, &map);
    return encoded;
  }

  gst_byte_reader_init (&r, map.data, map.size);
  gst_byte_reader_skip_unchecked (&r, 12);
  image_end = map.size;
  while (gst_byte_reader_get_remaining (&r) >= 8) {
    gsize at = gst_byte_reader_get_pos (&r);
    guint32 fourcc = gst_byte_reader_get_uint32_le_unchecked (&r);
    guint32 length = gst_byte_reader_get_uint32_le_unchecked (&r);
    const guint8 *chunk;

    if (!gst_byte_reader_get_data (&r, length, &chunk))
      break;
    if (length & 1)
      gst_byte_reader_skip (&r, 1);
    if (fourcc == GST_MAKE_FOURCC ('V', 'P', '8', 'X') && length >= 10) {
      flags = chunk[0];
      image_at = gst_byte_reader_get_pos (&r);
    } else if (fourcc == GST_MAKE_FOURCC ('V', 'P', '8', 'L') && length >= 5) {
      if ((GST_READ_UINT32_LE (chunk + 1) >> 28) & 1)
        flags |= 0x10;          /* alpha */
    } else if (fourcc == GST_MAKE_FOURCC ('E', 'X', 'I', 'F')
        || fourcc == GST_MAKE_FOURCC ('I', 'C', 'C', 'P')
        || fourcc == GST_MAKE_FOURCC ('X', 'M', 'P', ' ')) {
      /* webpenc writes neither; not expected */
      image_end = at;
      break;
    }
  }

  if (md->icc)
    flags |= 0x20;
  if (md->exif)
    flags |= 0x08;
  if (md->xmp)
    flags |= 0x04;
  vp8x[0] = flags;
  vp8x[4] = (md->width - 1) & 0xff;
  vp8x[5] = ((md->width - 1) >> 8) & 0xff;
  vp8x[6] = ((md->width - 1) >> 16) & 0xff;
  vp8x[7] = (md->height - 1) & 0xff;
  vp8x[8] = ((md->height - 1) >> 8) & 0xff;
  vp8x[9] = ((md->height - 1) >> 16) & 0xff;

  file = g_byte_array_sized_new (map.size + 64);
  g_byte_array_append (file, (const guint8 *) "RIFF\0\0\0\0WEBP", 12);
  append_riff_chunk (file, "VP8X", vp8x, 10);
  if (md->icc) {
    gsize size;
    const guint8 *icc = g_bytes_get_data (md->icc, &size);

    append_riff_chunk (file, "ICCP", icc, size);
  }
  g_byte_array_append (file, map.data + image_at, image_end - image_at);
  if (md->exif) {
    gsize size;
    const guint8 *exif = g_bytes_get_data (md->exif, &size);

    append_riff_chunk (file, "EXIF", exif, size);
  }
  if (md->xmp) {
    gsize size;
    const guint8 *xmp = g_bytes_get_data (md->xmp, &size);

    append_riff_chunk (file, "XMP ", xmp, size);
  }
  GST_WRITE_UINT32_LE (file->data + 4, file->len - 8);
  gst_buffer_unmap (encoded, &map);

  out = gst_buffer_new ();
  gst_buffer_copy_into (out, encoded, GST_BUFFER_COPY_METADATA, 0, -1);
  {
    guint len = file->len;
    guint8 *bytes = g_byte_array_free (file, FALSE);

    gst_buffer_append_memory (out, gst_memory_new_wrapped (0, bytes, len, 0,
            len, bytes, g_free));
  }
  gst_buffer_unref (encoded);
  return out;
}
