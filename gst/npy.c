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

/* The .npy reader.
 *
 * A .npy file is "\x93NUMPY", a major and a minor version byte, the
 * header length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0),
 * then the header: the repr() of a Python dict with exactly the keys
 * 'descr', 'fortran_order' and 'shape', padded with spaces and ending in
 * a newline.  The raw array data follows right after it.
 *
 * numpy reads the header with ast.literal_eval, so any Python spelling of
 * that dict is valid: keys in any order, any whitespace, trailing commas,
 * either quote.  This file parses the subset of Python literals that can
 * appear there with a cursor that never reads past its end, then checks
 * the shape and the dtype, and only then allocates. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "npy.h"

#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

/* *INDENT-OFF* */
G_DEFINE_QUARK (npy-error-quark, npy_error)
/* *INDENT-ON* */

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6

/* Deeper nesting than this in a header is an attack, not a dtype. */
#define MAX_NESTING 32

/* Error messages quote at most this many characters of header text. */
#define MAX_QUOTE 60

/* ------------------------------------------------------------------ */
/* A cursor over untrusted bytes. */

typedef struct
{
  const guint8 *pos;
  const guint8 *end;
} Cursor;

static inline gsize
cursor_left (const Cursor * c)
{
  return (gsize) (c->end - c->pos);
}

static inline gboolean
cursor_at_end (const Cursor * c)
{
  return c->pos >= c->end;
}

/* The next byte, or 0 at the end (0 is never valid header syntax). */
static inline guint8
cursor_peek (const Cursor * c)
{
  return c->pos < c->end ? *c->pos : 0;
}

static inline gboolean
cursor_skip (Cursor * c, gsize n)
{
  if (cursor_left (c) < n)
    return FALSE;
  c->pos += n;
  return TRUE;
}

static inline gboolean
cursor_read_u8 (Cursor * c, guint8 * v)
{
  if (cursor_left (c) < 1)
    return FALSE;
  *v = *c->pos++;
  return TRUE;
}

static inline gboolean
cursor_read_u16_le (Cursor * c, guint16 * v)
{
  if (cursor_left (c) < 2)
    return FALSE;
  *v = (guint16) (c->pos[0] | (c->pos[1] << 8));
  c->pos += 2;
  return TRUE;
}

static inline gboolean
cursor_read_u32_le (Cursor * c, guint32 * v)
{
  if (cursor_left (c) < 4)
    return FALSE;
  *v = (guint32) c->pos[0] | ((guint32) c->pos[1] << 8) |
      ((guint32) c->pos[2] << 16) | ((guint32) c->pos[3] << 24);
  c->pos += 4;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The header, parsed. */

typedef struct
{
  /* Raw text spans inside the header. */
  const guint8 *start;
  gsize len;
} Span;

#define MAX_DIMS_KEPT NPY_MAX_DIMS

typedef struct
{
  guint major;
  const guint8 *header;
  gsize header_len;

  gboolean have_descr, have_fortran, have_shape;

  Span descr;                   /* between the quotes, or the whole value */
  gboolean descr_is_string;

  gboolean fortran;

  Span shape_text;              /* "(...)" as written */
  guint ndim;                   /* number of items, all counted */
  guint64 dims[MAX_DIMS_KEPT];
  gboolean dim_negative;
  gboolean dim_overflow;        /* an item beyond 64 bits */
} Header;

typedef struct
{
  Cursor c;
  Header *h;
  GError **error;
} Parser;

/* Quotes header text in an error message: valid UTF-8 (latin1 in 1.0
 * and 2.0, UTF-8 in 3.0, already validated), whitespace runs folded into
 * one space, cut after @max characters. */
static gchar *
quote_text_full (const Header * h, const guint8 * start, gsize len, guint max)
{
  GString *s = g_string_new (NULL);
  const guint8 *p = start, *end = start + len;
  guint chars = 0;
  gboolean space = FALSE;

  while (p < end) {
    if (chars == max) {
      g_string_append (s, "...");
      break;
    }
    if (g_ascii_isspace (*p)) {
      if (!space)
        g_string_append_c (s, ' ');
      space = TRUE;
      p++;
      chars++;
      continue;
    }
    space = FALSE;
    if (*p < 0x80) {
      g_string_append_c (s, *p == 0x7f || *p < 0x20 ? '?' : (gchar) * p);
      p++;
    } else if (h->major < 3) {
      g_string_append_unichar (s, *p);
      p++;
    } else {
      const gchar *next = g_utf8_next_char ((const gchar *) p);
      if ((const guint8 *) next > end)
        break;                  /* a character cut by the quote's end */
      g_string_append_len (s, (const gchar *) p, next - (const gchar *) p);
      p = (const guint8 *) next;
    }
    chars++;
  }
  return g_string_free (s, FALSE);
}

static gchar *
quote_text (const Header * h, const guint8 * start, gsize len)
{
  return quote_text_full (h, start, len, MAX_QUOTE);
}

/* A syntax error in the header: always NPY_ERROR_BAD_HEADER, with the
 * byte offset so the user can find it. */
static gboolean
parse_fail (Parser * p, const gchar * format, ...)
{
  va_list args;
  gchar *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (p->error, NPY_ERROR, NPY_ERROR_BAD_HEADER,
      "malformed header at byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
      ": %s", (gsize) (p->c.pos - p->h->header), p->h->header_len, msg);
  g_free (msg);
  return FALSE;
}

static void
skip_ws (Parser * p)
{
  /* Python's whitespace: space, tab, newline, CR, form feed, vtab. */
  while (!cursor_at_end (&p->c) && g_ascii_isspace (*p->c.pos))
    p->c.pos++;
}

static inline gboolean
is_atom_char (guint8 ch)
{
  return g_ascii_isalnum (ch) || ch == '_' || ch == '.';
}

/* A Python string literal, single or double quoted; @content gets the
 * raw text between the quotes (escapes are skipped, not decoded). */
static gboolean
parse_string (Parser * p, Span * content)
{
  guint8 quote = cursor_peek (&p->c);

  if (quote != '\'' && quote != '"')
    return parse_fail (p, "expected a quoted string");
  p->c.pos++;
  content->start = p->c.pos;
  while (TRUE) {
    guint8 ch;

    if (!cursor_read_u8 (&p->c, &ch))
      return parse_fail (p, "unterminated string");
    if (ch == quote)
      break;
    if (ch == '\n' || ch == '\r')
      return parse_fail (p, "line break inside a string");
    if (ch == '\\' && !cursor_skip (&p->c, 1))
      return parse_fail (p, "unterminated string");
  }
  content->len = (gsize) (p->c.pos - 1 - content->start);
  return TRUE;
}

/* A bare token: a number (with an optional sign) or a name such as True.
 * Returns its span; fails if there is none. */
static gboolean
parse_atom (Parser * p, Span * atom)
{
  atom->start = p->c.pos;
  while (cursor_peek (&p->c) == '+' || cursor_peek (&p->c) == '-') {
    p->c.pos++;
    skip_ws (p);
  }
  if (!is_atom_char (cursor_peek (&p->c)))
    return parse_fail (p, "expected a value");
  while (is_atom_char (cursor_peek (&p->c))) {
    guint8 ch = *p->c.pos++;
    /* exponent sign: 1e-5 */
    if ((ch == 'e' || ch == 'E') && (cursor_peek (&p->c) == '+'
            || cursor_peek (&p->c) == '-'))
      p->c.pos++;
  }
  atom->len = (gsize) (p->c.pos - atom->start);
  return TRUE;
}

/* Skips any value, checking only that strings are closed and brackets
 * balance; used for values whose type is wrong, to tell a syntax error
 * (BAD_HEADER) from a well-formed value of the wrong kind. */
static gboolean
skip_value (Parser * p, Span * value)
{
  guint8 closers[MAX_NESTING];
  guint depth = 0;

  value->start = p->c.pos;
  do {
    guint8 ch = cursor_peek (&p->c);

    if (ch == '\'' || ch == '"') {
      Span s;
      if (!parse_string (p, &s))
        return FALSE;
    } else if (ch == '(' || ch == '[' || ch == '{') {
      if (depth == MAX_NESTING)
        return parse_fail (p, "values nested too deeply");
      closers[depth++] = ch == '(' ? ')' : ch == '[' ? ']' : '}';
      p->c.pos++;
    } else if (ch == ')' || ch == ']' || ch == '}') {
      if (depth == 0 || closers[depth - 1] != ch)
        return parse_fail (p, "unbalanced '%c'", ch);
      depth--;
      p->c.pos++;
    } else if (depth > 0 && (ch == ',' || ch == ':')) {
      p->c.pos++;
    } else if (depth > 0 && g_ascii_isspace (ch)) {
      skip_ws (p);
    } else {
      Span atom;
      if (cursor_at_end (&p->c))
        return parse_fail (p, "header ends inside a value");
      if (!parse_atom (p, &atom))
        return FALSE;
    }
  } while (depth > 0);
  value->len = (gsize) (p->c.pos - value->start);
  return TRUE;
}

static gboolean
parse_descr (Parser * p)
{
  Header *h = p->h;
  guint8 ch = cursor_peek (&p->c);

  if (ch == '\'' || ch == '"') {
    h->descr_is_string = TRUE;
    return parse_string (p, &h->descr);
  }
  /* A list (structured dtype) or anything else: keep the text so the
   * dtype check can name it. */
  h->descr_is_string = FALSE;
  return skip_value (p, &h->descr);
}

static gboolean
parse_fortran_order (Parser * p)
{
  Span v;

  if (!skip_value (p, &v))
    return FALSE;
  if (v.len == 4 && memcmp (v.start, "True", 4) == 0)
    p->h->fortran = TRUE;
  else if (v.len == 5 && memcmp (v.start, "False", 5) == 0)
    p->h->fortran = FALSE;
  else {
    gchar *q = quote_text (p->h, v.start, v.len);
    g_set_error (p->error, NPY_ERROR, NPY_ERROR_BAD_HEADER,
        "'fortran_order' must be True or False, not %s", q);
    g_free (q);
    return FALSE;
  }
  return TRUE;
}

/* An integer atom: [+-]digits with an optional Python 2 'L' suffix.
 * Returns FALSE (without an error) if the atom is anything else. */
static gboolean
atom_to_dim (const Span * atom, guint64 * value, gboolean * negative,
    gboolean * overflow)
{
  const guint8 *q = atom->start, *end = atom->start + atom->len;
  gboolean neg = FALSE, digits = FALSE;
  guint64 v = 0;

  *overflow = FALSE;
  while (q < end && (*q == '+' || *q == '-' || g_ascii_isspace (*q))) {
    if (*q == '-')
      neg = !neg;
    q++;
  }
  for (; q < end && g_ascii_isdigit (*q); q++) {
    guint d = *q - '0';
    digits = TRUE;
    if (v > (G_MAXUINT64 - d) / 10)
      *overflow = TRUE;
    else
      v = v * 10 + d;
  }
  if (q < end && (*q == 'L' || *q == 'l'))
    q++;
  if (!digits || q != end)
    return FALSE;
  *value = v;
  *negative = neg && v != 0;
  return TRUE;
}

static gboolean
bad_shape (Parser * p, const gchar * why)
{
  gchar *q = quote_text (p->h, p->h->shape_text.start, p->h->shape_text.len);
  g_set_error (p->error, NPY_ERROR, NPY_ERROR_BAD_SHAPE,
      "'shape' must be a tuple of integers, not %s (%s)", q, why);
  g_free (q);
  return FALSE;
}

static gboolean
parse_shape (Parser * p)
{
  Header *h = p->h;
  gboolean non_int = FALSE, comma = FALSE;

  h->shape_text.start = p->c.pos;
  if (cursor_peek (&p->c) != '(') {
    if (!skip_value (p, &h->shape_text))
      return FALSE;
    return bad_shape (p, "it is not a tuple");
  }
  p->c.pos++;
  h->ndim = 0;
  while (TRUE) {
    guint8 ch;
    Span item;

    skip_ws (p);
    if (cursor_peek (&p->c) == ')')
      break;
    if (!skip_value (p, &item))
      return FALSE;
    if (h->ndim < MAX_DIMS_KEPT) {
      gboolean neg = FALSE, ovf = FALSE;
      if (atom_to_dim (&item, &h->dims[h->ndim], &neg, &ovf)) {
        h->dim_negative |= neg;
        h->dim_overflow |= ovf;
      } else {
        non_int = TRUE;
      }
    }
    /* Past MAX_DIMS_KEPT the shape is refused for its length anyway. */
    h->ndim++;
    skip_ws (p);
    ch = cursor_peek (&p->c);
    if (ch == ',') {
      comma = TRUE;
      p->c.pos++;
    } else if (ch != ')') {
      return parse_fail (p, "expected ',' or ')' in 'shape'");
    }
  }
  p->c.pos++;
  h->shape_text.len = (gsize) (p->c.pos - h->shape_text.start);

  if (h->ndim == 1 && !comma)
    return bad_shape (p, "a single value in parentheses is not a tuple");
  if (non_int)
    return bad_shape (p, "an item is not an integer");
  return TRUE;
}

static gboolean
parse_header_dict (Parser * p)
{
  Header *h = p->h;

  skip_ws (p);
  if (cursor_at_end (&p->c)) {
    g_set_error_literal (p->error, NPY_ERROR, NPY_ERROR_BAD_HEADER,
        "the header is empty: it should be a Python dict");
    return FALSE;
  }
  if (cursor_peek (&p->c) != '{') {
    gchar *q = quote_text (h, p->c.pos, MIN (cursor_left (&p->c), 20));
    g_set_error (p->error, NPY_ERROR, NPY_ERROR_BAD_HEADER,
        "header is not a Python dict: it starts with \"%s\"", q);
    g_free (q);
    return FALSE;
  }
  p->c.pos++;

  while (TRUE) {
    Span key;
    gboolean *seen;
    const gchar *name;
    guint8 ch;

    skip_ws (p);
    if (cursor_peek (&p->c) == '}')
      break;
    if (!parse_string (p, &key))
      return FALSE;

    if (key.len == 5 && memcmp (key.start, "descr", 5) == 0) {
      seen = &h->have_descr;
      name = "descr";
    } else if (key.len == 13 && memcmp (key.start, "fortran_order", 13) == 0) {
      seen = &h->have_fortran;
      name = "fortran_order";
    } else if (key.len == 5 && memcmp (key.start, "shape", 5) == 0) {
      seen = &h->have_shape;
      name = "shape";
    } else {
      gchar *q = quote_text (h, key.start, key.len);
      g_set_error (p->error, NPY_ERROR, NPY_ERROR_BAD_HEADER,
          "unexpected key '%s' in the header (only 'descr', "
          "'fortran_order' and 'shape' are allowed)", q);
      g_free (q);
      return FALSE;
    }
    if (*seen) {
      g_set_error (p->error, NPY_ERROR, NPY_ERROR_BAD_HEADER,
          "key '%s' appears twice in the header", name);
      return FALSE;
    }
    *seen = TRUE;

    skip_ws (p);
    if (cursor_peek (&p->c) != ':')
      return parse_fail (p, "expected ':' after '%s'", name);
    p->c.pos++;
    skip_ws (p);

    if (seen == &h->have_descr) {
      if (!parse_descr (p))
        return FALSE;
    } else if (seen == &h->have_fortran) {
      if (!parse_fortran_order (p))
        return FALSE;
    } else {
      if (!parse_shape (p))
        return FALSE;
    }

    skip_ws (p);
    ch = cursor_peek (&p->c);
    if (ch == ',')
      p->c.pos++;
    else if (ch != '}')
      return parse_fail (p, "expected ',' or '}' after '%s'", name);
  }
  p->c.pos++;

  skip_ws (p);
  if (!cursor_at_end (&p->c))
    return parse_fail (p, "unexpected text after the dict");

  if (!h->have_descr || !h->have_fortran || !h->have_shape) {
    g_set_error (p->error, NPY_ERROR, NPY_ERROR_BAD_HEADER,
        "the header has no '%s' key",
        !h->have_descr ? "descr" : !h->have_fortran ? "fortran_order" :
        "shape");
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* dtypes */

typedef enum
{
  KIND_BOOL,
  KIND_UINT,
  KIND_INT,
  KIND_FLOAT
} Kind;

typedef struct
{
  Kind kind;
  guint size;
  gboolean swap;
  const gchar *name;            /* "int64", for messages */
} Dtype;

static gboolean
unsupported_dtype (const Header * h, const gchar * what, GError ** error)
{
  gchar *q = quote_text (h, h->descr.start, h->descr.len);
  g_set_error (error, NPY_ERROR, NPY_ERROR_UNSUPPORTED_DTYPE,
      "dtype '%s'%s is not supported: save the image as uint8 "
      "(or bool, an integer type holding 0..255, uint16, or float)", q, what);
  g_free (q);
  return FALSE;
}

static gboolean
parse_dtype (const Header * h, Dtype * dt, GError ** error)
{
  static const struct
  {
    gchar kind;
    guint size;
    Kind k;
    const gchar *name;
  } known[] = {
    {'b', 1, KIND_BOOL, "bool"},
    {'u', 1, KIND_UINT, "uint8"},
    {'u', 2, KIND_UINT, "uint16"},
    {'u', 4, KIND_UINT, "uint32"},
    {'u', 8, KIND_UINT, "uint64"},
    {'i', 1, KIND_INT, "int8"},
    {'i', 2, KIND_INT, "int16"},
    {'i', 4, KIND_INT, "int32"},
    {'i', 8, KIND_INT, "int64"},
    {'f', 2, KIND_FLOAT, "float16"},
    {'f', 4, KIND_FLOAT, "float32"},
    {'f', 8, KIND_FLOAT, "float64"},
  };
  const guint8 *q = h->descr.start, *end = h->descr.start + h->descr.len;
  guint8 order = '=', kind;
  guint size = 0;
  gboolean digits = FALSE;
  guint i;

  if (!h->descr_is_string)
    return unsupported_dtype (h, h->descr.len > 0 && h->descr.start[0] == '['
        ? " (a structured array)" : "", error);

  if (q < end && *q != 0 && strchr ("<>|=", *q))
    order = *q++;
  if (q == end)
    return unsupported_dtype (h, "", error);
  kind = *q++;
  for (; q < end && g_ascii_isdigit (*q) && size < 1000; q++) {
    size = size * 10 + (*q - '0');
    digits = TRUE;
  }

  if (q == end && digits) {
    for (i = 0; i < G_N_ELEMENTS (known); i++) {
      if (known[i].kind == kind && known[i].size == size) {
        dt->kind = known[i].k;
        dt->size = size;
        dt->name = known[i].name;
        /* '|' (not applicable) and '=' are native order. */
        dt->swap = size > 1 &&
            ((order == '<' && G_BYTE_ORDER == G_BIG_ENDIAN) ||
            (order == '>' && G_BYTE_ORDER == G_LITTLE_ENDIAN));
        return TRUE;
      }
    }
  }

  switch (kind) {
    case 'O':
      return unsupported_dtype (h, " (Python objects)", error);
    case 'S':
    case 'a':
      return unsupported_dtype (h, " (byte strings)", error);
    case 'U':
      return unsupported_dtype (h, " (text strings)", error);
    case 'c':
      return unsupported_dtype (h, " (complex numbers)", error);
    case 'M':
      return unsupported_dtype (h, " (dates)", error);
    case 'm':
      return unsupported_dtype (h, " (time deltas)", error);
    case 'V':
      return unsupported_dtype (h, " (raw bytes)", error);
    default:
      return unsupported_dtype (h, "", error);
  }
}

/* IEEE 754 binary16 to double, by hand (C11 has no _Float16).  Every
 * half value is exact in a double: normal numbers move their exponent
 * and mantissa bits over, subnormals are mantissa * 2^-24. */
static inline gdouble
half_to_double (guint16 bits)
{
  guint64 sign = (guint64) (bits >> 15) << 63;
  guint exponent = (bits >> 10) & 0x1f;
  guint64 mantissa = bits & 0x3ff;
  guint64 out;
  gdouble v;

  if (exponent == 0) {
    v = mantissa / 16777216.0;  /* 2^24 */
    return sign ? -v : v;
  }
  if (exponent == 31)
    out = sign | G_GUINT64_CONSTANT (0x7ff0000000000000) | (mantissa << 42);
  else
    out = sign | ((guint64) (exponent - 15 + 1023) << 52) | (mantissa << 42);
  memcpy (&v, &out, 8);
  return v;
}

static inline guint64
load_uint (const guint8 * p, guint size, gboolean swap)
{
  switch (size) {
    case 1:
      return p[0];
    case 2:{
      guint16 v;
      memcpy (&v, p, 2);
      return swap ? GUINT16_SWAP_LE_BE (v) : v;
    }
    case 4:{
      guint32 v;
      memcpy (&v, p, 4);
      return swap ? GUINT32_SWAP_LE_BE (v) : v;
    }
    default:{
      guint64 v;
      memcpy (&v, p, 8);
      return swap ? GUINT64_SWAP_LE_BE (v) : v;
    }
  }
}

static inline gint64
load_int (const guint8 * p, guint size, gboolean swap)
{
  guint64 v = load_uint (p, size, swap);

  switch (size) {
    case 1:
      return (gint8) v;
    case 2:
      return (gint16) v;
    case 4:
      return (gint32) v;
    default:
      return (gint64) v;
  }
}

static inline gdouble
load_float (const guint8 * p, guint size, gboolean swap)
{
  guint64 bits = load_uint (p, size, swap);

  if (size == 2) {
    return half_to_double ((guint16) bits);
  } else if (size == 4) {
    guint32 b32 = (guint32) bits;
    gfloat f;
    memcpy (&f, &b32, 4);
    return f;
  } else {
    gdouble d;
    memcpy (&d, &bits, 8);
    return d;
  }
}

/* ------------------------------------------------------------------ */
/* The plan: what the header says the data is, checked before anything
 * is allocated or read. */

/* The array's shape seen as (frames, height, width, channels), whatever
 * its number of dimensions: an (H, W) array is (1, H, W, 1).  Extra axes
 * of size 1 do not change the flat index, in either order. */
typedef struct
{
  guint ndim;                   /* as in the file: 2, 3 or 4 */
  gsize dims[4];                /* as in the file */
  gsize frames, height, width, channels;
  gboolean fortran;
} Layout;

typedef struct
{
  Header h;                     /* points into the caller's bytes */
  Dtype dt;
  Layout l;
  gsize count;                  /* elements */
  gsize nbytes;                 /* bytes of data */
  gsize data_offset;            /* bytes before the data */
  guint depth;                  /* of the result: 8 or 16 */
  gsize out_size;               /* bytes of the result */
} Plan;

/* "(2, 5, 1)": the index of flat element @flat in the array's own shape
 * and memory order. */
static gchar *
format_index (const Layout * l, gsize flat)
{
  gsize idx[4];
  GString *s = g_string_new ("(");
  guint i;

  if (l->fortran) {
    for (i = 0; i < l->ndim; i++) {
      idx[i] = flat % l->dims[i];
      flat /= l->dims[i];
    }
  } else {
    for (i = l->ndim; i-- > 0;) {
      idx[i] = flat % l->dims[i];
      flat /= l->dims[i];
    }
  }
  for (i = 0; i < l->ndim; i++)
    g_string_append_printf (s, "%s%" G_GSIZE_FORMAT, i ? ", " : "", idx[i]);
  g_string_append_c (s, ')');
  return g_string_free (s, FALSE);
}

static gboolean
out_of_range (const Layout * l, const Dtype * dt, gsize flat,
    const gchar * value, GError ** error)
{
  gchar *index = format_index (l, flat);
  const gchar *article = dt->name[0] == 'i' ? "an" : "a";
  const gchar *hint;

  /* np.array of Python ints gives int64 (int32 on Windows). */
  if (strcmp (dt->name, "int64") == 0 || strcmp (dt->name, "int32") == 0)
    hint = "is usually an accident of np.array; convert with "
        ".astype(np.uint8)";
  else
    hint = "is read as 0..255; scale it and convert with .astype(np.uint8)";
  g_set_error (error, NPY_ERROR, NPY_ERROR_BAD_VALUE,
      "value %s at index %s is outside 0..255 (%s %s array %s)",
      value, index, article, dt->name, hint);
  g_free (index);
  return FALSE;
}

static gboolean
check_shape (const Header * h, NpyReadFlags flags, Layout * l,
    gsize * count, GError ** error)
{
  const gboolean stack = (flags & NPY_READ_STACK) != 0;
  const guint max_ndim = stack ? 4 : 3;
  gchar *q = quote_text (h, h->shape_text.start, h->shape_text.len);
  const gchar *why = NULL;
  guint i;

  if (h->ndim < 2 || h->ndim > max_ndim) {
    why = stack ? "an image needs (height, width) or (height, width, "
        "channels), a stack of images (frames, height, width, channels)" :
        "an image needs (height, width) or (height, width, channels)";
  } else if (h->dim_negative) {
    why = "a dimension is negative";
  } else {
    for (i = 0; i < h->ndim; i++)
      if (h->dims[i] == 0)
        why = "a dimension is 0, the image is empty";
  }
  if (!why && h->ndim >= 3 && h->dims[h->ndim - 1] > 4)
    why = "the last axis must have 1 (gray), 2 (gray, alpha), 3 (RGB) "
        "or 4 (RGBA) channels";
  else if (!why && h->dim_overflow)
    why = "a dimension does not fit in 64 bits";

  if (!why) {
    gsize n = 1;
    l->ndim = h->ndim;
    for (i = 0; i < h->ndim && !why; i++) {
      if (h->dims[i] > G_MAXSIZE || !g_size_checked_mul (&n, n, h->dims[i]))
        why = "it has more elements than memory can address";
      else
        l->dims[i] = (gsize) h->dims[i];
    }
    *count = n;
  }

  if (why) {
    g_set_error (error, NPY_ERROR, NPY_ERROR_BAD_SHAPE,
        "unusable shape %s: %s", q, why);
    g_free (q);
    return FALSE;
  }
  g_free (q);

  l->fortran = h->fortran;
  if (l->ndim == 4) {
    l->frames = l->dims[0];
    l->height = l->dims[1];
    l->width = l->dims[2];
  } else {
    l->frames = 1;
    l->height = l->dims[0];
    l->width = l->dims[1];
  }
  l->channels = l->ndim >= 3 ? l->dims[l->ndim - 1] : 1;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The preamble: what the file path, the data path, npydec and the
 * typefinder each read first */

gboolean
npy_preamble_read (const guint8 * data, gsize size, NpyPreamble * pre,
    GError ** error)
{
  Cursor c = { data, data + size };
  guint8 major = 0, minor = 0;
  guint32 header_len = 0;

  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (pre != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (size == 0)
    goto empty;
  if (memcmp (data, NPY_MAGIC, MIN (size, NPY_MAGIC_LEN)) != 0)
    goto bad_magic;
  if (!cursor_skip (&c, NPY_MAGIC_LEN) || !cursor_read_u8 (&c, &major)
      || !cursor_read_u8 (&c, &minor))
    goto short_preamble;
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    goto bad_version;
  if (major == 1) {
    guint16 len16;
    if (!cursor_read_u16_le (&c, &len16))
      goto short_preamble;
    header_len = len16;
  } else if (!cursor_read_u32_le (&c, &header_len)) {
    goto short_preamble;
  }
  if (header_len > NPY_MAX_HEADER_LEN)
    goto huge_header;
  pre->major = major;
  pre->header_offset = (gsize) (c.pos - data);
  pre->header_len = header_len;
  return TRUE;

  /* ERRORS */
empty:
  {
    g_set_error_literal (error, NPY_ERROR, NPY_ERROR_BAD_MAGIC,
        "the file is empty, not a .npy file");
    return FALSE;
  }
bad_magic:
  {
    g_set_error_literal (error, NPY_ERROR, NPY_ERROR_BAD_MAGIC,
        "not a .npy file: it does not start with \"\\x93NUMPY\" "
        "(save it with numpy.save)");
    return FALSE;
  }
short_preamble:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_TRUNCATED_HEADER,
        "file seems truncated: it ends after %" G_GSIZE_FORMAT
        " bytes, inside the .npy preamble", size);
    return FALSE;
  }
bad_version:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_BAD_VERSION,
        "unsupported .npy version %u.%u (1.0, 2.0 and 3.0 are supported)",
        major, minor);
    return FALSE;
  }
huge_header:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_BAD_HEADER,
        "the header claims to be %u bytes long; the limit is %u (NumPy "
        "writes a few hundred)", header_len, NPY_MAX_HEADER_LEN);
    return FALSE;
  }
}

/* The preamble and the header dict of @data, checked; *@data_offset is
 * where the data starts. */
static gboolean
parse_preamble_and_header (const guint8 * data, gsize size, Header * h,
    gsize * data_offset, GError ** error)
{
  NpyPreamble pre;
  Parser p;

  if (!npy_preamble_read (data, size, &pre, error))
    return FALSE;
  if (size - pre.header_offset < pre.header_len)
    goto short_header;

  memset (h, 0, sizeof (Header));
  h->major = pre.major;
  h->header = data + pre.header_offset;
  h->header_len = pre.header_len;
  if (pre.major == 3 && !g_utf8_validate ((const gchar *) h->header,
          h->header_len, NULL))
    goto bad_utf8;

  p.c.pos = h->header;
  p.c.end = h->header + h->header_len;
  p.h = h;
  p.error = error;
  if (!parse_header_dict (&p))
    return FALSE;
  *data_offset = pre.header_offset + pre.header_len;
  return TRUE;

  /* ERRORS */
short_header:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_TRUNCATED_HEADER,
        "file seems truncated: the header should be %" G_GSIZE_FORMAT
        " bytes long, only %" G_GSIZE_FORMAT " present", pre.header_len,
        size - pre.header_offset);
    return FALSE;
  }
bad_utf8:
  {
    g_set_error_literal (error, NPY_ERROR, NPY_ERROR_BAD_HEADER,
        "the header of a version 3.0 file must be UTF-8, and is not");
    return FALSE;
  }
}

/* Everything that can be known from the preamble and header, checked
 * against the limits. */
static gboolean
plan_read (const guint8 * data, gsize size, guint max_side,
    guint64 max_bytes, NpyReadFlags flags, Plan * p, GError ** error)
{
  Layout *l = &p->l;
  gsize pixels;

  if (max_side == 0)
    max_side = NPY_DEFAULT_MAX_SIDE;

  if (!parse_preamble_and_header (data, size, &p->h, &p->data_offset, error))
    return FALSE;
  if (!check_shape (&p->h, flags, l, &p->count, error))
    return FALSE;
  if (!parse_dtype (&p->h, &p->dt, error))
    return FALSE;
  /* Before any allocation, so a forged shape cannot cost memory. */
  if (l->height > max_side || l->width > max_side)
    goto too_large;
  if (l->frames > G_MAXUINT)
    goto too_many_frames;
  if (!g_size_checked_mul (&p->nbytes, p->count, p->dt.size))
    goto overflow;

  if (flags & NPY_READ_DEPTH_16)
    p->depth = 16;
  else if (flags & NPY_READ_DEPTH_AUTO)
    p->depth = p->dt.kind == KIND_FLOAT ||
        (p->dt.kind == KIND_UINT && p->dt.size == 2) ? 16 : 8;
  else
    p->depth = 8;
  if (!g_size_checked_mul (&pixels, l->height, l->width) ||
      !g_size_checked_mul (&pixels, pixels, l->frames) ||
      !g_size_checked_mul (&p->out_size, pixels, 4 * (p->depth / 8)))
    goto overflow;
  if (max_bytes != 0 && p->out_size > max_bytes)
    goto too_many_bytes;
  return TRUE;

  /* ERRORS */
too_large:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_TOO_LARGE,
        "the image is %" G_GSIZE_FORMAT "x%" G_GSIZE_FORMAT
        " pixels (width x height); the limit is %u on each side",
        l->width, l->height, max_side);
    return FALSE;
  }
too_many_frames:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_TOO_LARGE,
        "the stack has %" G_GSIZE_FORMAT " frames; the limit is %u",
        l->frames, G_MAXUINT);
    return FALSE;
  }
overflow:
  {
    g_set_error_literal (error, NPY_ERROR, NPY_ERROR_BAD_SHAPE,
        "the shape has more bytes than memory can address");
    return FALSE;
  }
too_many_bytes:
  {
    gchar *frames = l->frames > 1 ?
        g_strdup_printf (" x %" G_GSIZE_FORMAT " frames", l->frames) :
        g_strdup ("");
    g_set_error (error, NPY_ERROR, NPY_ERROR_TOO_LARGE,
        "the image needs %" G_GSIZE_FORMAT " bytes of memory (%"
        G_GSIZE_FORMAT "x%" G_GSIZE_FORMAT " pixels%s at %u bytes each); "
        "the limit is %" G_GUINT64_FORMAT " bytes", p->out_size, l->width,
        l->height, frames, 4 * (p->depth / 8), max_bytes);
    g_free (frames);
    return FALSE;
  }
}

/* ------------------------------------------------------------------ */
/* The data, read in chunks */

/* Where the data comes from: memory, or a file read in chunks. */
typedef struct
{
  const guint8 *data;           /* the data in memory, or NULL */
  FILE *file;                   /* else this file... */
  gint64 start;                 /* ...whose data starts here */
  gsize pos;                    /* byte of the data the file is at */
  guint8 *buf;                  /* a chunk of the file */
} Source;

static gboolean
read_exact (FILE * f, guint8 * dest, gsize n, GError ** error)
{
  gsize got = fread (dest, 1, n, f);

  if (got == n)
    return TRUE;
  if (ferror (f)) {
    int saved = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
        "read error: %s", g_strerror (saved));
  } else {
    g_set_error_literal (error, NPY_ERROR, NPY_ERROR_TRUNCATED_DATA,
        "file seems truncated: it ended while its data was read "
        "(was it changed meanwhile?)");
  }
  return FALSE;
}

/* Points *@out at @n bytes of data from byte @offset of the data. */
static gboolean
source_read (Source * s, gsize offset, gsize n, const guint8 ** out,
    GError ** error)
{
  if (s->data) {
    *out = s->data + offset;
    return TRUE;
  }
  if (offset != s->pos) {
    if (fseeko (s->file, (off_t) (s->start + (gint64) offset), SEEK_SET) != 0) {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
          "read error: %s", g_strerror (saved));
      return FALSE;
    }
    s->pos = offset;
  }
  if (!read_exact (s->file, s->buf, n, error))
    return FALSE;
  s->pos += n;
  *out = s->buf;
  return TRUE;
}

typedef enum
{
  CONVERT_OK,
  CONVERT_FAILED,
  CONVERT_NOT_UNIT              /* a float above 1.0: not a 0..1 image */
} ConvertResult;

/* Turns @n elements at @src, flat index @first on, into values at the
 * result's depth, in the same order.  Floats are read as 0..1 while
 * @unit, else as 0..255. */
static ConvertResult
convert_values (const Plan * p, const guint8 * src, gsize first, gsize n,
    gboolean unit, guint16 * out, GError ** error)
{
  const guint size = p->dt.size;
  const gboolean swap = p->dt.swap;
  const gboolean deep = p->depth == 16;
  const guint max = deep ? 65535 : 255;
  gsize i;

  switch (p->dt.kind) {
    case KIND_BOOL:
      /* numpy reads any nonzero byte as True. */
      for (i = 0; i < n; i++)
        out[i] = src[i] ? max : 0;
      return CONVERT_OK;

    case KIND_UINT:
      if (size == 1) {
        /* 8 bits to 16 exactly: v * 65535 / 255 */
        const guint mul = deep ? 257 : 1;
        for (i = 0; i < n; i++)
          out[i] = (guint16) (src[i] * mul);
        return CONVERT_OK;
      }
      if (size == 2) {
        /* A 16-bit image: kept, or scaled to 8 bits, rounded. */
        for (i = 0; i < n; i++) {
          guint32 v = (guint32) load_uint (src + 2 * i, 2, swap);
          out[i] = deep ? (guint16) v : (guint16) ((v * 255 + 32767) / 65535);
        }
        return CONVERT_OK;
      }
      for (i = 0; i < n; i++) {
        guint64 v = load_uint (src + i * size, size, swap);
        if (G_UNLIKELY (v > 255)) {
          gchar buf[32];
          g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
          out_of_range (&p->l, &p->dt, first + i, buf, error);
          return CONVERT_FAILED;
        }
        out[i] = (guint16) (deep ? v * 257 : v);
      }
      return CONVERT_OK;

    case KIND_INT:
      for (i = 0; i < n; i++) {
        gint64 v = load_int (src + i * size, size, swap);
        if (G_UNLIKELY (v < 0 || v > 255)) {
          gchar buf[32];
          g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, v);
          out_of_range (&p->l, &p->dt, first + i, buf, error);
          return CONVERT_FAILED;
        }
        out[i] = (guint16) (deep ? v * 257 : v);
      }
      return CONVERT_OK;

    case KIND_FLOAT:{
      /* 0..1 is scaled to the full range, 0..255 to 0..255 (by 257 at
       * 16 bits); clamped. */
      const gdouble top = max;
      const gdouble scale = unit ? top : (deep ? 257.0 : 1.0);

      for (i = 0; i < n; i++) {
        gdouble v = load_float (src + i * size, size, swap);
        if (G_UNLIKELY (isnan (v))) {
          gchar *index = format_index (&p->l, first + i);
          g_set_error (error, NPY_ERROR, NPY_ERROR_BAD_VALUE,
              "value nan at index %s: a %s image must not contain NaN "
              "(replace them, e.g. with np.nan_to_num)", index, p->dt.name);
          g_free (index);
          return CONVERT_FAILED;
        }
        if (unit && v > 1.0)
          return CONVERT_NOT_UNIT;
        v *= scale;
        v = CLAMP (v, 0.0, top);
        /* Round half away from zero: floor (v + 0.5), which for v >= 0
         * is the truncating conversion (and no libm call). */
        out[i] = (guint16) (v + 0.5);
      }
      return CONVERT_OK;
    }
  }
  g_assert_not_reached ();
  return CONVERT_FAILED;
}

/* Places @n values, flat index @first on, into the RGBA pixels @out
 * (guint8 or guint16).  In C order a chunk holds whole pixels; in
 * Fortran order it holds runs of one channel, frames fastest. */
#define PLACE_VALUES(T, out, max)                                           \
  G_STMT_START {                                                            \
    const gsize C = l->channels;                                            \
    gsize i;                                                                \
    if (!l->fortran) {                                                      \
      T *d = (out) + first / C * 4;                                         \
      switch (C) {                                                          \
        case 4:                                                             \
          for (i = 0; i < n; i += 4, d += 4) {                              \
            d[0] = v[i]; d[1] = v[i + 1]; d[2] = v[i + 2]; d[3] = v[i + 3]; \
          }                                                                 \
          break;                                                            \
        case 3:                                                             \
          for (i = 0; i < n; i += 3, d += 4) {                              \
            d[0] = v[i]; d[1] = v[i + 1]; d[2] = v[i + 2]; d[3] = (max);    \
          }                                                                 \
          break;                                                            \
        case 2:                                                             \
          for (i = 0; i < n; i += 2, d += 4) {                              \
            d[0] = d[1] = d[2] = v[i]; d[3] = v[i + 1];                     \
          }                                                                 \
          break;                                                            \
        default:                                                            \
          for (i = 0; i < n; i++, d += 4)                                   \
            d[0] = d[1] = d[2] = d[3] = v[i];                               \
          break;                                                            \
      }                                                                     \
    } else {                                                                \
      const gsize F = l->frames, H = l->height, W = l->width;               \
      gsize f = first % F, t = first / F, y = t % H, x, c;                  \
      t /= H;                                                               \
      x = t % W;                                                            \
      c = t / W;                                                            \
      for (i = 0; i < n; i++) {                                             \
        T *d = (out) + ((f * H + y) * W + x) * 4;                           \
        switch (C) {                                                        \
          case 4:                                                           \
            d[c] = v[i];                                                    \
            break;                                                          \
          case 3:                                                           \
            d[c] = v[i];                                                    \
            if (c == 0)                                                     \
              d[3] = (max);                                                 \
            break;                                                          \
          case 2:                                                           \
            if (c == 0)                                                     \
              d[0] = d[1] = d[2] = v[i];                                    \
            else                                                            \
              d[3] = v[i];                                                  \
            break;                                                          \
          default:                                                          \
            d[0] = d[1] = d[2] = d[3] = v[i];                               \
            break;                                                          \
        }                                                                   \
        if (++f == F) {                                                     \
          f = 0;                                                            \
          if (++y == H) {                                                   \
            y = 0;                                                          \
            if (++x == W) {                                                 \
              x = 0;                                                        \
              c++;                                                          \
            }                                                               \
          }                                                                 \
        }                                                                   \
      }                                                                     \
    }                                                                       \
  } G_STMT_END

static void
place_values (const Plan * p, const guint16 * v, gsize first, gsize n,
    NpyImage * image)
{
  const Layout *l = &p->l;

  if (p->depth == 16)
    PLACE_VALUES (guint16, image->rgba16, 65535);
  else
    PLACE_VALUES (guint8, image->rgba, 255);
}

/* Elements per chunk: a multiple of 1, 2, 3 and 4, so that in C order a
 * chunk holds whole pixels; at most 2 MiB of float64. */
#define CHUNK_ELEMENTS (12 * 21845)

/* uint8 RGBA in C order is the result byte for byte: read in place. */
#define DIRECT_READ_STEP (16 * 1024 * 1024)

/* npy_set_thread_cancel_flag ()'s, per thread */
static GPrivate cancel_flag;

void
npy_set_thread_cancel_flag (const gint * cancelled)
{
  g_private_set (&cancel_flag, (gpointer) cancelled);
}

static gboolean
check_cancelled (GError ** error)
{
  const gint *cancelled = g_private_get (&cancel_flag);

  if (cancelled == NULL || g_atomic_int_get (cancelled) == 0)
    return TRUE;
  g_set_error_literal (error, NPY_ERROR, NPY_ERROR_FAILED, "cancelled");
  return FALSE;
}

/* TRUE when the data is already what the result holds: uint8 RGBA in C
 * order, read as 8 bits. */
static gboolean
plan_is_direct (const Plan * p)
{
  return p->dt.kind == KIND_UINT && p->dt.size == 1 && p->depth == 8 &&
      !p->l.fortran && p->l.channels == 4;
}

static gboolean
decode_data (const Plan * p, Source * s, NpyImage * image, GError ** error)
{
  gsize chunk = MIN (CHUNK_ELEMENTS, p->count), first, n;
  gboolean unit = TRUE, ok = FALSE;
  guint16 *values;

  if (plan_is_direct (p)) {
    if (s->data) {
      memcpy (image->rgba, s->data, p->nbytes);
      return TRUE;
    }
    for (first = 0; first < p->nbytes; first += n) {
      n = MIN (DIRECT_READ_STEP, p->nbytes - first);
      if (!check_cancelled (error) ||
          !read_exact (s->file, image->rgba + first, n, error))
        return FALSE;
    }
    return TRUE;
  }

  values = g_new (guint16, chunk);
  if (s->data == NULL)
    s->buf = g_malloc (chunk * p->dt.size);
again:
  for (first = 0; first < p->count; first += n) {
    const guint8 *src;

    n = MIN (chunk, p->count - first);
    if (!check_cancelled (error) ||
        !source_read (s, first * p->dt.size, n * p->dt.size, &src, error))
      goto done;
    switch (convert_values (p, src, first, n, unit, values, error)) {
      case CONVERT_FAILED:
        goto done;
      case CONVERT_NOT_UNIT:
        /* Known only now: a 0..255 float image.  What was placed so far
         * is read again with that scale; usually one chunk. */
        unit = FALSE;
        goto again;
      case CONVERT_OK:
        break;
    }
    place_values (p, values, first, n, image);
  }
  ok = TRUE;

done:
  g_free (values);
  g_clear_pointer (&s->buf, g_free);
  return ok;
}

/* Allocates the result and fills it from @s, which holds @present bytes
 * of data. */
static NpyImage *
read_image (const Plan * p, guint64 present, Source * s, GError ** error)
{
  NpyImage *image;
  gpointer pixels;

  if (present < p->nbytes)
    goto truncated_data;
  pixels = g_try_malloc (p->out_size);
  if (pixels == NULL)
    goto no_memory;

  image = g_new0 (NpyImage, 1);
  image->width = (guint) p->l.width;
  image->height = (guint) p->l.height;
  image->n_frames = (guint) p->l.frames;
  image->channels = (guint) p->l.channels;
  image->depth = p->depth;
  if (p->depth == 16)
    image->rgba16 = pixels;
  else
    image->rgba = pixels;
  if (!decode_data (p, s, image, error)) {
    npy_image_free (image);
    return NULL;
  }
  return image;

  /* ERRORS */
truncated_data:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_TRUNCATED_DATA,
        "file seems truncated: the shape needs %" G_GSIZE_FORMAT
        " bytes of data, only %" G_GUINT64_FORMAT " present", p->nbytes,
        present);
    return NULL;
  }
no_memory:
  {
    /* as g_file_get_contents () says it */
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
        "not enough memory for a %" G_GSIZE_FORMAT "x%" G_GSIZE_FORMAT
        " image (%" G_GSIZE_FORMAT " bytes)", p->l.width, p->l.height,
        p->out_size);
    return NULL;
  }
}

/* ------------------------------------------------------------------ */

NpyImage *
npy_image_new_from_data_full (const guint8 * data, gsize size,
    guint max_side, guint64 max_bytes, NpyReadFlags flags, GError ** error)
{
  Source s = { 0, };
  Plan p;

  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!plan_read (data, size, max_side, max_bytes, flags, &p, error))
    return NULL;
  s.data = data + p.data_offset;
  return read_image (&p, size - p.data_offset, &s, error);
}

NpyImage *
npy_image_new_from_bytes (GBytes * bytes, guint max_side, guint64 max_bytes,
    NpyReadFlags flags, GError ** error)
{
  Source s = { 0, };
  const guint8 *data;
  NpyImage *image;
  gsize size;
  Plan p;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (bytes, &size);
  if (!plan_read (data, size, max_side, max_bytes, flags, &p, error))
    return NULL;
  s.data = data + p.data_offset;
  if (!plan_is_direct (&p) || size - p.data_offset < p.nbytes)
    return read_image (&p, size - p.data_offset, &s, error);

  image = g_new0 (NpyImage, 1);
  image->width = (guint) p.l.width;
  image->height = (guint) p.l.height;
  image->n_frames = (guint) p.l.frames;
  image->channels = (guint) p.l.channels;
  image->depth = 8;
  image->rgba = (guint8 *) s.data;
  image->owner = g_bytes_ref (bytes);
  return image;
}

NpyImage *
npy_image_new_from_data (const guint8 * data, gsize size, guint max_side,
    GError ** error)
{
  return npy_image_new_from_data_full (data, size, max_side, 0,
      NPY_READ_DEFAULT, error);
}

gboolean
npy_image_check_header (const guint8 * data, gsize size, guint max_side,
    guint64 max_bytes, NpyReadFlags flags, guint64 * file_size, GError ** error)
{
  Plan p;

  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!plan_read (data, size, max_side, max_bytes, flags, &p, error))
    return FALSE;
  if (file_size)
    *file_size = (guint64) p.data_offset + p.nbytes;
  return TRUE;
}

NpyImage *
npy_image_new_from_file_full (const gchar * filename, guint max_side,
    guint64 max_bytes, NpyReadFlags flags, GError ** error)
{
  GError *local = NULL;
  NpyImage *image = NULL;
  GStatBuf st;
  guint8 pre[12];
  guint8 *head = NULL;
  gsize got, prefix, head_len;
  guint64 file_size;
  NpyPreamble preamble;
  Source s = { 0, };
  Plan p;
  gchar *name;
  FILE *f = NULL;

  g_return_val_if_fail (filename != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = g_filename_display_name (filename);

  /* Only regular files: a FIFO or /dev/zero would be read forever. */
  if (g_stat (filename, &st) != 0)
    goto io_error;
  if (!g_file_test (filename, G_FILE_TEST_IS_REGULAR))
    goto not_regular;
  file_size = (guint64) st.st_size;
  f = g_fopen (filename, "rb");
  if (f == NULL)
    goto io_error;

  /* The preamble (magic, version, header length), then the header, then
   * the checks on shape and limits, and only then the data: a forged
   * shape costs neither memory nor reading time. */
  got = fread (pre, 1, sizeof pre, f);
  if (ferror (f))
    goto io_error;
  if (npy_preamble_read (pre, got, &preamble, &local))
    prefix = preamble.header_offset + preamble.header_len;
  else if (g_error_matches (local, NPY_ERROR, NPY_ERROR_TRUNCATED_HEADER)) {
    /* a file shorter than a preamble: the parser says where it ends */
    g_clear_error (&local);
    prefix = got;
  } else
    goto parse_error;
  head_len = MAX ((gsize) MIN (prefix, file_size), got);
  head = g_malloc (head_len);   /* NULL for an empty file */
  if (got > 0)
    memcpy (head, pre, got);
  if (head_len > got && !read_exact (f, head + got, head_len - got, &local))
    goto parse_error;

  if (!plan_read (head, head_len, max_side, max_bytes, flags, &p, &local))
    goto parse_error;

  /* What the shape needs, if the file has it; trailing bytes are not
   * read. */
  s.file = f;
  s.start = (gint64) p.data_offset;
  if (fseeko (f, (off_t) p.data_offset, SEEK_SET) != 0)
    goto io_error;
  s.pos = 0;
  image = read_image (&p, file_size - p.data_offset, &s, &local);
  if (image == NULL)
    goto parse_error;

done:
  if (f)
    fclose (f);
  g_free (head);
  g_free (name);
  return image;

  /* ERRORS */
io_error:
  {
    int saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
        "%s: %s", name, g_strerror (saved));
    goto done;
  }
not_regular:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_FAILED,
        "%s: not a regular file", name);
    goto done;
  }
parse_error:
  {
    g_propagate_prefixed_error (error, local, "%s: ", name);
    goto done;
  }
}

NpyImage *
npy_image_new_from_file (const gchar * filename, guint max_side,
    GError ** error)
{
  return npy_image_new_from_file_full (filename, max_side, 0,
      NPY_READ_DEFAULT, error);
}

void
npy_image_free (NpyImage * image)
{
  if (image == NULL)
    return;
  /* An image built by hand sets rgba only: rgba16 is read only when rgba
   * is NULL. */
  if (image->owner)
    g_bytes_unref (image->owner);
  else if (image->rgba)
    g_free (image->rgba);
  else
    g_free (image->rgba16);
  g_free (image);
}

/* ------------------------------------------------------------------ */
/* The header alone, for any array */

gboolean
npy_header_parse (const guint8 * data, gsize size, NpyHeader * header,
    GError ** error)
{
  Header h;
  gsize offset;
  guint i;

  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (header != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (header, 0, sizeof (NpyHeader));
  if (!parse_preamble_and_header (data, size, &h, &offset, error))
    return FALSE;
  if (h.ndim > NPY_MAX_DIMS || h.dim_negative || h.dim_overflow) {
    gchar *q = quote_text (&h, h.shape_text.start, h.shape_text.len);
    g_set_error (error, NPY_ERROR, NPY_ERROR_BAD_SHAPE,
        "unusable shape %s: %s", q, h.ndim > NPY_MAX_DIMS ?
        "more dimensions than NumPy allows" : h.dim_negative ?
        "a dimension is negative" : "a dimension does not fit in 64 bits");
    g_free (q);
    return FALSE;
  }
  header->major = h.major;
  header->descr = quote_text_full (&h, h.descr.start, h.descr.len, G_MAXUINT);
  header->fortran_order = h.fortran;
  header->ndim = h.ndim;
  for (i = 0; i < h.ndim; i++)
    header->shape[i] = h.dims[i];
  header->header_size = offset;
  return TRUE;
}

void
npy_header_clear (NpyHeader * header)
{
  g_clear_pointer (&header->descr, g_free);
}
