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

#define MAX_DIMS_KEPT 4

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
 * one space, cut after MAX_QUOTE characters. */
static gchar *
quote_text (const Header * h, const guint8 * start, gsize len)
{
  GString *s = g_string_new (NULL);
  const guint8 *p = start, *end = start + len;
  guint chars = 0;
  gboolean space = FALSE;

  while (p < end) {
    if (chars == MAX_QUOTE) {
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
/* Values to bytes */

typedef struct
{
  guint ndim;
  gsize dims[3];
  gboolean fortran;
} Layout;

/* "(2, 5, 1)": the index of flat element @flat in the array's own shape
 * and memory order. */
static gchar *
format_index (const Layout * l, gsize flat)
{
  gsize idx[3];
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

/* Turns @n elements at @src into one byte each, in the same order. */
static gboolean
decode_values (const guint8 * src, gsize n, const Dtype * dt,
    const Layout * l, guint8 * out, GError ** error)
{
  const guint size = dt->size;
  const gboolean swap = dt->swap;
  gsize i;

  switch (dt->kind) {
    case KIND_BOOL:
      /* numpy reads any nonzero byte as True. */
      for (i = 0; i < n; i++)
        out[i] = src[i] ? 255 : 0;
      return TRUE;

    case KIND_UINT:
      if (size == 2) {
        /* A 16-bit image: scale to 8 bits, rounded. */
        for (i = 0; i < n; i++) {
          guint32 v = (guint32) load_uint (src + 2 * i, 2, swap);
          out[i] = (guint8) ((v * 255 + 32767) / 65535);
        }
        return TRUE;
      }
      for (i = 0; i < n; i++) {
        guint64 v = load_uint (src + i * size, size, swap);
        if (G_UNLIKELY (v > 255)) {
          gchar buf[32];
          g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
          return out_of_range (l, dt, i, buf, error);
        }
        out[i] = (guint8) v;
      }
      return TRUE;

    case KIND_INT:
      for (i = 0; i < n; i++) {
        gint64 v = load_int (src + i * size, size, swap);
        if (G_UNLIKELY (v < 0 || v > 255)) {
          gchar buf[32];
          g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, v);
          return out_of_range (l, dt, i, buf, error);
        }
        out[i] = (guint8) v;
      }
      return TRUE;

    case KIND_FLOAT:{
      gboolean unit = TRUE;
      gdouble scale;

      /* First pass: refuse NaNs, and see whether this is a 0..1 image. */
      for (i = 0; i < n; i++) {
        gdouble v = load_float (src + i * size, size, swap);
        if (G_UNLIKELY (isnan (v))) {
          gchar *index = format_index (l, i);
          g_set_error (error, NPY_ERROR, NPY_ERROR_BAD_VALUE,
              "value nan at index %s: a %s image must not contain NaN "
              "(replace them, e.g. with np.nan_to_num)", index, dt->name);
          g_free (index);
          return FALSE;
        }
        if (v > 1.0)
          unit = FALSE;
      }
      scale = unit ? 255.0 : 1.0;
      for (i = 0; i < n; i++) {
        gdouble v = load_float (src + i * size, size, swap) * scale;
        v = CLAMP (v, 0.0, 255.0);
        /* Round half away from zero: floor (v + 0.5), which for v >= 0
         * is the truncating conversion (and no libm call). */
        out[i] = (guint8) (v + 0.5);
      }
      return TRUE;
    }
  }
  g_assert_not_reached ();
  return FALSE;
}

/* Places one byte per element, in the file's layout, into RGBA pixels.
 * Steps are in elements: C order walks channels fastest, Fortran order
 * rows fastest. */
static void
to_rgba (const guint8 * vals, const Layout * l, guint channels, guint8 * rgba)
{
  const gsize h = l->dims[0], w = l->dims[1];
  gsize row_step, pix_step, ch_step;
  gsize y, x;

  if (l->fortran) {
    row_step = 1;
    pix_step = h;
    ch_step = h * w;
  } else {
    row_step = w * channels;
    pix_step = channels;
    ch_step = 1;
  }

  if (!l->fortran && channels == 4) {
    memcpy (rgba, vals, h * w * 4);
    return;
  }

  for (y = 0; y < h; y++) {
    const guint8 *s = vals + y * row_step;
    guint8 *d = rgba + y * w * 4;

    switch (channels) {
      case 4:
        for (x = 0; x < w; x++, s += pix_step, d += 4) {
          d[0] = s[0];
          d[1] = s[ch_step];
          d[2] = s[2 * ch_step];
          d[3] = s[3 * ch_step];
        }
        break;
      case 3:
        for (x = 0; x < w; x++, s += pix_step, d += 4) {
          d[0] = s[0];
          d[1] = s[ch_step];
          d[2] = s[2 * ch_step];
          d[3] = 255;
        }
        break;
      case 2:
        /* gray + alpha */
        for (x = 0; x < w; x++, s += pix_step, d += 4) {
          d[0] = d[1] = d[2] = s[0];
          d[3] = s[ch_step];
        }
        break;
      default:
        /* One gray plane is both colour and alpha, as PIL's
         * paste (img, (0, 0), img) does for an "L" image. */
        for (x = 0; x < w; x++, s += pix_step, d += 4)
          d[0] = d[1] = d[2] = d[3] = s[0];
        break;
    }
  }
}

/* ------------------------------------------------------------------ */

static gboolean
check_shape (const Header * h, Layout * l, guint * channels, gsize * count,
    GError ** error)
{
  gchar *q = quote_text (h, h->shape_text.start, h->shape_text.len);
  const gchar *why = NULL;
  guint i;

  if (h->ndim < 2 || h->ndim > 3)
    why = "an image needs (height, width) or (height, width, channels)";
  else if (h->dim_negative)
    why = "a dimension is negative";
  else if (h->dims[0] == 0 || h->dims[1] == 0 ||
      (h->ndim == 3 && h->dims[2] == 0))
    why = "a dimension is 0, the image is empty";
  else if (h->ndim == 3 && h->dims[2] > 4)
    why = "the last axis must have 1 (gray), 2 (gray, alpha), 3 (RGB) "
        "or 4 (RGBA) channels";
  else if (h->dim_overflow)
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
  *channels = h->ndim == 3 ? (guint) h->dims[2] : 1;
  return TRUE;
}

/* Parses @data.  With @need, only the preamble and header are needed:
 * once they pass every check that comes before the data (shape, dtype,
 * the size limit), *@need is set to the number of bytes the whole file
 * must have and NULL is returned with no error. */
static NpyImage *
parse_npy (const guint8 * data, gsize size, guint max_side, gsize * need,
    GError ** error)
{
  Cursor c = { data, data + size };
  Header h = { 0, };
  Parser p;
  Dtype dt;
  Layout l;
  guint8 major, minor;
  guint32 header_len;
  guint channels;
  gsize count, nbytes, present, pixels, rgba_size;
  const guint8 *values;
  guint8 *tmp = NULL;
  NpyImage *image;

  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (max_side == 0)
    max_side = NPY_DEFAULT_MAX_SIDE;

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
  if (cursor_left (&c) < header_len)
    goto short_header;

  h.major = major;
  h.header = c.pos;
  h.header_len = header_len;
  if (major == 3 && !g_utf8_validate ((const gchar *) h.header, header_len,
          NULL))
    goto bad_utf8;

  p.c.pos = h.header;
  p.c.end = h.header + header_len;
  p.h = &h;
  p.error = error;
  if (!parse_header_dict (&p))
    return NULL;
  cursor_skip (&c, header_len);

  if (!check_shape (&h, &l, &channels, &count, error))
    return NULL;
  if (!parse_dtype (&h, &dt, error))
    return NULL;
  /* Before any allocation, so a forged shape cannot cost memory. */
  if (l.dims[0] > max_side || l.dims[1] > max_side)
    goto too_large;
  if (!g_size_checked_mul (&nbytes, count, dt.size))
    goto overflow;
  if (need) {
    gsize offset = (gsize) (c.pos - data);

    if (!g_size_checked_add (need, offset, nbytes))
      goto overflow;
    return NULL;
  }
  present = cursor_left (&c);
  if (present < nbytes)
    goto truncated_data;
  /* Bounded by count, itself checked, but every size is checked. */
  if (!g_size_checked_mul (&pixels, l.dims[0], l.dims[1]) ||
      !g_size_checked_mul (&rgba_size, pixels, 4))
    goto overflow;

  if (dt.kind == KIND_UINT && dt.size == 1) {
    values = c.pos;
  } else {
    tmp = g_try_malloc (count);
    if (tmp == NULL)
      goto no_memory;
    if (!decode_values (c.pos, count, &dt, &l, tmp, error)) {
      g_free (tmp);
      return NULL;
    }
    values = tmp;
  }

  image = g_new (NpyImage, 1);
  image->height = (guint) l.dims[0];
  image->width = (guint) l.dims[1];
  image->rgba = g_try_malloc (rgba_size);
  if (image->rgba == NULL) {
    g_free (image);
    g_free (tmp);
    goto no_memory;
  }
  to_rgba (values, &l, channels, image->rgba);
  g_free (tmp);
  return image;

  /* ERRORS */
empty:
  {
    g_set_error_literal (error, NPY_ERROR, NPY_ERROR_BAD_MAGIC,
        "the file is empty, not a .npy file");
    return NULL;
  }
bad_magic:
  {
    g_set_error_literal (error, NPY_ERROR, NPY_ERROR_BAD_MAGIC,
        "not a .npy file: it does not start with \"\\x93NUMPY\" "
        "(save it with numpy.save)");
    return NULL;
  }
short_preamble:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_TRUNCATED_HEADER,
        "file seems truncated: it ends after %" G_GSIZE_FORMAT
        " bytes, inside the .npy preamble", size);
    return NULL;
  }
bad_version:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_BAD_VERSION,
        "unsupported .npy format version %u.%u (1.0, 2.0 and 3.0 are "
        "supported)", major, minor);
    return NULL;
  }
short_header:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_TRUNCATED_HEADER,
        "file seems truncated: the header should be %u bytes long, only %"
        G_GSIZE_FORMAT " present", header_len, cursor_left (&c));
    return NULL;
  }
bad_utf8:
  {
    g_set_error_literal (error, NPY_ERROR, NPY_ERROR_BAD_HEADER,
        "the header of a version 3.0 file must be UTF-8, and is not");
    return NULL;
  }
too_large:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_TOO_LARGE,
        "the image is %" G_GSIZE_FORMAT "x%" G_GSIZE_FORMAT
        " pixels (width x height); the limit is %u on each side",
        l.dims[1], l.dims[0], max_side);
    return NULL;
  }
overflow:
  {
    g_set_error_literal (error, NPY_ERROR, NPY_ERROR_BAD_SHAPE,
        "the shape has more bytes than memory can address");
    return NULL;
  }
no_memory:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_FAILED,
        "not enough memory for a %" G_GSIZE_FORMAT "x%" G_GSIZE_FORMAT
        " image", l.dims[1], l.dims[0]);
    return NULL;
  }
truncated_data:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_TRUNCATED_DATA,
        "file seems truncated: the shape needs %" G_GSIZE_FORMAT
        " bytes of data, only %" G_GSIZE_FORMAT " present", nbytes, present);
    return NULL;
  }
}

NpyImage *
npy_image_new_from_data (const guint8 * data, gsize size, guint max_side,
    GError ** error)
{
  return parse_npy (data, size, max_side, NULL, error);
}

/* Appends up to @n bytes from @f to @buf; FALSE on a read error. */
static gboolean
read_more (FILE * f, GByteArray * buf, gsize n)
{
  guint8 chunk[65536];

  while (n > 0) {
    gsize want = MIN (n, sizeof (chunk));
    gsize got = fread (chunk, 1, want, f);

    g_byte_array_append (buf, chunk, (guint) got);
    n -= got;
    if (got < want)
      return !ferror (f);
  }
  return TRUE;
}

/* .npy headers are a few hundred bytes; a larger claim is not read. */
#define NPY_MAX_HEADER_LEN (64 * 1024 * 1024)

NpyImage *
npy_image_new_from_file (const gchar * filename, guint max_side,
    GError ** error)
{
  GError *local = NULL;
  GByteArray *buf = NULL;
  NpyImage *image = NULL;
  GStatBuf st;
  gsize need = 0, prefix, file_size;
  guint32 header_len = 0;
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
  file_size = (gsize) st.st_size;
  f = g_fopen (filename, "rb");
  if (f == NULL)
    goto io_error;

  /* The preamble (magic, version, header length), then the header, then
   * the checks on shape and size limit, and only then the data: a forged
   * shape costs neither memory nor reading time. */
  buf = g_byte_array_new ();
  if (!read_more (f, buf, 12))
    goto io_error;
  if (buf->len < NPY_MAGIC_LEN + 2 ||
      memcmp (buf->data, NPY_MAGIC, NPY_MAGIC_LEN) != 0 ||
      buf->data[6] < 1 || buf->data[6] > 3 || buf->data[7] != 0) {
    /* not a .npy we read: the parser says what is wrong with these bytes */
    prefix = buf->len;
  } else {
    if (buf->len >= 10 && buf->data[6] == 1)
      header_len = buf->data[8] | (buf->data[9] << 8);
    else if (buf->len >= 12)
      header_len = buf->data[8] | (buf->data[9] << 8) |
          ((guint32) buf->data[10] << 16) | ((guint32) buf->data[11] << 24);
    prefix = (buf->data[6] == 1 ? 10 : 12) + (gsize) header_len;
  }
  if (header_len > NPY_MAX_HEADER_LEN && prefix <= file_size)
    goto huge_header;
  if (prefix > buf->len && !read_more (f, buf, prefix - buf->len))
    goto io_error;

  parse_npy (buf->data, buf->len, max_side, &need, &local);
  if (local)
    goto parse_error;

  /* Everything the shape needs (or what the file has, if less: the
   * parser then says it is truncated); trailing bytes are not read. */
  need = MIN (need, file_size);
  if (need > buf->len && !read_more (f, buf, need - buf->len))
    goto io_error;
  image = npy_image_new_from_data (buf->data, buf->len, max_side, &local);
  if (image == NULL)
    goto parse_error;

done:
  if (f)
    fclose (f);
  if (buf)
    g_byte_array_unref (buf);
  g_free (name);
  return image;

  /* ERRORS */
io_error:
  {
    int saved = errno;

    g_set_error (error, NPY_ERROR, NPY_ERROR_FAILED, "%s: %s", name,
        g_strerror (saved));
    goto done;
  }
not_regular:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_FAILED,
        "%s: not a regular file", name);
    goto done;
  }
huge_header:
  {
    g_set_error (error, NPY_ERROR, NPY_ERROR_BAD_HEADER,
        "%s: the header claims to be %u bytes long; .npy headers are at "
        "most a few kilobytes", name, header_len);
    goto done;
  }
parse_error:
  {
    g_propagate_prefixed_error (error, local, "%s: ", name);
    goto done;
  }
}

void
npy_image_free (NpyImage * image)
{
  if (image == NULL)
    return;
  g_free (image->rgba);
  g_free (image);
}
