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

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <yaml.h>

#include "files.h"
#include "settings.h"
#include "video.h"

G_DEFINE_QUARK (batch - settings - error - quark, batch_settings_error);

#define DEFAULT_CONFIG_FILE "config.yaml"
#define SECTION "watermark"

/* One key of the "watermark:" mapping, as found in the file. */
typedef enum
{
  KEY_INPUT_FOLDER,
  KEY_NPY_PATH,
  KEY_OPACITY,
  KEY_QUALITY,
  KEY_OUTPUT_HEIGHT,
  KEY_OUTPUT_QUALITY,
  KEY_AUTO_ORIENT,
  KEY_METADATA,
  KEY_POSITION,
  KEY_MARGIN,
  KEY_SIZE,
  KEY_TILE,
  KEY_TILE_SPACING,
  KEY_VIDEOS,
  KEY_VIDEO_CRF,
  KEY_VIDEO_PRESET,
  N_KEYS
} Key;

static const gchar *const key_names[N_KEYS] = {
  "input_folder", "npy_path", "opacity", "quality", "output_height",
  "output_quality", "auto_orient", "metadata", "position", "margin", "size",
  "tile", "tile_spacing", "videos", "video_crf", "video_preset",
};

/* The element's position nicks, in the order of its enum. */
static const gchar *const position_nicks[] = {
  "top-left", "top", "top-right", "left", "center", "right", "bottom-left",
  "bottom", "bottom-right", NULL
};

#define POSITION_CHOICES "top-left, top, top-right, left, center, right, " \
  "bottom-left, bottom or bottom-right"

static gboolean
parse_position (const gchar * text, gint * out)
{
  gint i;

  for (i = 0; position_nicks[i]; i++) {
    if (g_ascii_strcasecmp (text, position_nicks[i]) == 0) {
      *out = i;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean parse_number (const gchar * text, gdouble * out);

/* "12" (pixels, a whole number) or "2.5%" (of the shorter side, 0..50). */
static gboolean
parse_margin (const gchar * text, BatchMargin * out)
{
  g_autofree gchar *copy = g_strstrip (g_strdup (text));
  gsize len = strlen (copy);
  gdouble v;

  out->percent = len > 0 && copy[len - 1] == '%';
  if (out->percent)
    copy[len - 1] = '\0';
  if (!parse_number (g_strchomp (copy), &v))
    return FALSE;
  if (out->percent ? v < 0 || v > 50 : v != floor (v) || v < -BATCH_HEIGHT_MAX
      || v > BATCH_HEIGHT_MAX)
    return FALSE;
  out->value = v;
  return TRUE;
}

#define VIDEO_PRESET_CHOICES "ultrafast, superfast, veryfast, faster, " \
  "fast, medium, slow, slower or veryslow"

#define MARGIN_CHOICES "pixels (a whole number) or a percentage of the " \
  "shorter side from 0% to 50%"

gint
batch_margin_pixels (const BatchMargin * margin, gint width, gint height)
{
  if (!margin->percent)
    return (gint) margin->value;
  return (gint) floor (margin->value / 100.0 * MIN (width, height) + 0.5);
}

typedef struct
{
  const gchar *file;            /* for messages */
  yaml_document_t *doc;
  yaml_node_t *value[N_KEYS];   /* NULL: not in the file */
  gulong section_line;          /* 1-based line of "watermark:" */
} FileValues;

void
batch_settings_free (BatchSettings * settings)
{
  if (settings == NULL)
    return;
  g_free (settings->config_file);
  g_free (settings->input_folder);
  g_free (settings->npy_path);
  g_free (settings->output_folder);
  g_free (settings->video_preset);
  g_free (settings);
}

static gulong
node_line (const yaml_node_t * node)
{
  return (gulong) node->start_mark.line + 1;
}

static const gchar *
scalar_text (const yaml_node_t * node)
{
  return (const gchar *) node->data.scalar.value;
}

/* A plain scalar that YAML reads as null: "", "~", "null". */
static gboolean
scalar_is_null (const yaml_node_t * node)
{
  const gchar *text = scalar_text (node);

  if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return FALSE;
  return text[0] == '\0' || g_str_equal (text, "~") ||
      g_ascii_strcasecmp (text, "null") == 0;
}

/* A value as messages quote it: whole up to QUOTE_MAX characters, else
 * its start, an ellipsis and its size (a 10 MB value is not echoed). */
#define QUOTE_MAX 60

static gchar *
quote_value (const gchar * text)
{
  gsize len = strlen (text);
  const gchar *end;

  if (!g_utf8_validate (text, -1, NULL) || g_utf8_strlen (text, -1) <=
      QUOTE_MAX) {
    if (len <= 4 * QUOTE_MAX)
      return g_strdup (text);
    end = text + QUOTE_MAX;     /* not UTF-8: bytes */
  } else {
    end = g_utf8_offset_to_pointer (text, QUOTE_MAX);
  }
  return g_strdup_printf ("%.*s... (%" G_GSIZE_FORMAT " bytes)",
      (gint) (end - text), text, len);
}

static gboolean
invalid (const FileValues * fv, Key key, GError ** error,
    const gchar * expected)
{
  const yaml_node_t *node = fv->value[key];
  g_autofree gchar *quoted = NULL;
  const gchar *got;

  if (node->type == YAML_SCALAR_NODE)
    got = scalar_is_null (node) ? "nothing" :
        (quoted = quote_value (scalar_text (node)));
  else if (node->type == YAML_MAPPING_NODE)
    got = "a mapping";
  else
    got = "a list";

  g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
      "%s:%lu: %s must be %s, got %s%s%s", fv->file, node_line (node),
      key_names[key], expected,
      node->type == YAML_SCALAR_NODE && !scalar_is_null (node) ? "\"" : "",
      got, node->type == YAML_SCALAR_NODE && !scalar_is_null (node) ?
      "\"" : "");
  return FALSE;
}

static gboolean
file_string (const FileValues * fv, Key key, const gchar * base,
    gchar ** out, GError ** error)
{
  const yaml_node_t *node = fv->value[key];

  if (node->type != YAML_SCALAR_NODE || scalar_is_null (node))
    return invalid (fv, key, error, "a path");

  g_free (*out);
  if (base == NULL || g_path_is_absolute (scalar_text (node)))
    *out = g_strdup (scalar_text (node));
  else
    *out = g_build_filename (base, scalar_text (node), NULL);
  return TRUE;
}

/* Numbers as the script's float () and int () took them: quoted or not. */
static gboolean
parse_number (const gchar * text, gdouble * out)
{
  gchar *end = NULL;
  gdouble v;

  if (text[0] == '\0' || g_ascii_isspace (text[0]))
    return FALSE;
  errno = 0;
  v = g_ascii_strtod (text, &end);
  if (errno != 0 || end == text || *end != '\0' || !isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

/* Opacity is a percentage everywhere a user types it (issue 11): a
 * fraction such as 0.8, which would give an all but invisible watermark,
 * is refused with the value it probably meant.  Returns NULL if @v is
 * fine, else what to add after "got V". */
static const gchar *
opacity_problem (gdouble v, gchar ** hint)
{
  *hint = NULL;
  if (v > 0.0 && v < 1.0) {
    *hint = g_strdup_printf (" (did you mean %g?)", v * 100.0);
    return *hint;
  }
  if (!(v >= 0.0 && v <= BATCH_OPACITY_MAX))
    return "";
  return NULL;
}

static gboolean
file_opacity (const FileValues * fv, Key key, gdouble * out, GError ** error)
{
  const yaml_node_t *node = fv->value[key];
  g_autofree gchar *hint = NULL;
  const gchar *problem;
  gdouble v;

  if (node->type != YAML_SCALAR_NODE || !parse_number (scalar_text (node), &v))
    return invalid (fv, key, error, "a percentage from 0 to 100");
  problem = opacity_problem (v, &hint);
  if (problem) {
    g_autofree gchar *quoted = quote_value (scalar_text (node));

    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
        "%s:%lu: %s must be a percentage from 0 to 100, got \"%s\"%s",
        fv->file, node_line (node), key_names[key], quoted, problem);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

static gboolean
file_metadata (const FileValues * fv, Key key, gboolean * strip,
    GError ** error)
{
  const yaml_node_t *node = fv->value[key];

  if (node->type == YAML_SCALAR_NODE
      && g_str_equal (scalar_text (node), "keep"))
    *strip = FALSE;
  else if (node->type == YAML_SCALAR_NODE
      && g_str_equal (scalar_text (node), "strip"))
    *strip = TRUE;
  else
    return invalid (fv, key, error, "keep or strip");
  return TRUE;
}

static gboolean
file_int (const FileValues * fv, Key key, gint min, gint max, gint * out,
    GError ** error)
{
  const yaml_node_t *node = fv->value[key];
  g_autofree gchar *expected =
      g_strdup_printf ("a whole number from %d to %d", min, max);
  gdouble v;

  if (node->type != YAML_SCALAR_NODE || !parse_number (scalar_text (node),
          &v) || v != floor (v) || v < min || v > max)
    return invalid (fv, key, error, expected);
  *out = (gint) v;
  return TRUE;
}

static gboolean
file_bool (const FileValues * fv, Key key, gboolean * out, GError ** error)
{
  static const gchar *const yes[] = { "true", "yes", "on", NULL };
  static const gchar *const no[] = { "false", "no", "off", NULL };
  const yaml_node_t *node = fv->value[key];
  guint i;

  if (node->type == YAML_SCALAR_NODE) {
    for (i = 0; yes[i]; i++) {
      if (g_ascii_strcasecmp (scalar_text (node), yes[i]) == 0) {
        *out = TRUE;
        return TRUE;
      }
      if (g_ascii_strcasecmp (scalar_text (node), no[i]) == 0) {
        *out = FALSE;
        return TRUE;
      }
    }
  }
  return invalid (fv, key, error, "true or false");
}

/* Finds the keys of the "watermark:" mapping in a loaded document. */
static gboolean
collect_keys (FileValues * fv, GError ** error)
{
  yaml_node_t *root = yaml_document_get_root_node (fv->doc);
  yaml_node_t *section = NULL;
  yaml_node_pair_t *pair;

  if (root == NULL || root->type != YAML_MAPPING_NODE) {
    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_MISSING,
        "%s:%lu: expected a mapping with a \"%s:\" key", fv->file,
        root ? node_line (root) : 1, SECTION);
    return FALSE;
  }

  for (pair = root->data.mapping.pairs.start;
      pair < root->data.mapping.pairs.top; pair++) {
    yaml_node_t *k = yaml_document_get_node (fv->doc, pair->key);
    yaml_node_t *v = yaml_document_get_node (fv->doc, pair->value);

    if (k->type == YAML_SCALAR_NODE && g_str_equal (scalar_text (k), SECTION)) {
      section = v;
      fv->section_line = node_line (k);
    } else {
      g_autofree gchar *quoted = k->type == YAML_SCALAR_NODE ?
          quote_value (scalar_text (k)) : g_strdup ("?");

      g_printerr ("npy-watermark: %s:%lu: warning: unknown key \"%s\", "
          "ignored\n", fv->file, node_line (k), quoted);
    }
  }

  if (section == NULL) {
    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_MISSING,
        "%s:%lu: missing key \"%s\"", fv->file, node_line (root), SECTION);
    return FALSE;
  }
  if (section->type != YAML_MAPPING_NODE) {
    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
        "%s:%lu: \"%s\" must be a mapping of keys (input_folder, npy_path, "
        "opacity, quality, output_height)", fv->file, fv->section_line,
        SECTION);
    return FALSE;
  }

  for (pair = section->data.mapping.pairs.start;
      pair < section->data.mapping.pairs.top; pair++) {
    yaml_node_t *k = yaml_document_get_node (fv->doc, pair->key);
    yaml_node_t *v = yaml_document_get_node (fv->doc, pair->value);
    gint key = -1, i;

    if (k->type == YAML_SCALAR_NODE) {
      for (i = 0; i < N_KEYS; i++)
        if (g_str_equal (scalar_text (k), key_names[i]))
          key = i;
    }
    if (key < 0) {
      g_autofree gchar *quoted = k->type == YAML_SCALAR_NODE ?
          quote_value (scalar_text (k)) : g_strdup ("?");

      g_printerr ("npy-watermark: %s:%lu: warning: unknown key \"%s\" "
          "under \"%s\", ignored\n", fv->file, node_line (k), quoted, SECTION);
      continue;
    }
    /* As yaml.safe_load: the last one wins. */
    fv->value[key] = v;
  }
  return TRUE;
}

/* A settings file is a few lines: anything larger, or nested deeper,
 * is not one, and libyaml's time grows with the square of the nesting
 * (100,000 levels of "[": 20 s). */
#define MAX_FILE_SIZE (1 << 20)
#define MAX_DEPTH 32

/* Walks the events of @parser's input, stopping at the first level past
 * MAX_DEPTH, before anything deep is built or scanned further. */
static gboolean
check_depth (const gchar * file, yaml_parser_t * parser, GError ** error)
{
  guint depth = 0;

  for (;;) {
    yaml_event_t event;
    yaml_event_type_t type;

    if (!yaml_parser_parse (parser, &event))
      return TRUE;              /* the load says what is wrong */
    type = event.type;
    if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT)
      depth++;
    else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT)
      depth--;
    if (depth > MAX_DEPTH) {
      g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_SYNTAX,
          "%s:%lu:%lu: nested more than %d levels deep: not a settings "
          "file", file, (gulong) event.start_mark.line + 1,
          (gulong) event.start_mark.column + 1, MAX_DEPTH);
      yaml_event_delete (&event);
      return FALSE;
    }
    yaml_event_delete (&event);
    if (type == YAML_STREAM_END_EVENT)
      return TRUE;
  }
}

static gboolean
load_document (const gchar * file, const gchar * contents, gsize length,
    yaml_document_t * doc, GError ** error)
{
  yaml_parser_t parser;
  gboolean ok;

  if (!yaml_parser_initialize (&parser)) {
    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_FAILED,
        "%s: out of memory", file);
    return FALSE;
  }
  yaml_parser_set_input_string (&parser, (const guchar *) contents, length);
  ok = check_depth (file, &parser, error);
  yaml_parser_delete (&parser);
  if (!ok)
    return FALSE;

  if (!yaml_parser_initialize (&parser)) {
    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_FAILED,
        "%s: out of memory", file);
    return FALSE;
  }
  yaml_parser_set_input_string (&parser, (const guchar *) contents, length);
  ok = yaml_parser_load (&parser, doc);
  if (!ok) {
    const yaml_mark_t *mark = parser.problem ? &parser.problem_mark :
        &parser.context_mark;

    if (parser.context)
      g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_SYNTAX,
          "%s:%lu:%lu: %s (%s)", file, (gulong) mark->line + 1,
          (gulong) mark->column + 1,
          parser.problem ? parser.problem : "syntax error", parser.context);
    else
      g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_SYNTAX,
          "%s:%lu:%lu: %s", file, (gulong) mark->line + 1,
          (gulong) mark->column + 1,
          parser.problem ? parser.problem : "syntax error");
  }
  yaml_parser_delete (&parser);
  return ok;
}

static gboolean
apply_file (BatchSettings * s, const gchar * file, gulong * section_line,
    GError ** error)
{
  g_autofree gchar *contents = NULL;
  g_autofree gchar *base = NULL;
  g_autoptr (GError) read_error = NULL;
  yaml_document_t doc;
  FileValues fv = { 0, };
  gsize length;
  gboolean ok = FALSE;

  /* A regular file of at most MAX_FILE_SIZE: a FIFO would block, a link
   * to /dev/zero would be read until memory runs out. */
  if (!batch_files_read_small (file, MAX_FILE_SIZE, "a settings file",
          &contents, &length, &read_error)) {
    if (g_error_matches (read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_FAILED,
          "%s: no such file", file);
    else
      g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_FAILED,
          "%s: %s", file, read_error->message);
    return FALSE;
  }
  if (!load_document (file, contents, length, &doc, error))
    return FALSE;

  fv.file = file;
  fv.doc = &doc;
  if (!collect_keys (&fv, error))
    goto out;

  base = g_path_get_dirname (file);
  if (g_str_equal (base, "."))
    g_clear_pointer (&base, g_free);

  for (gint key = 0; key < N_KEYS; key++) {
    if (fv.value[key] == NULL)
      continue;
    switch (key) {
      case KEY_INPUT_FOLDER:
        ok = file_string (&fv, key, base, &s->input_folder, error);
        break;
      case KEY_NPY_PATH:
        ok = file_string (&fv, key, base, &s->npy_path, error);
        break;
      case KEY_OPACITY:
        ok = file_opacity (&fv, key, &s->opacity, error);
        break;
      case KEY_QUALITY:
        ok = file_int (&fv, key, BATCH_QUALITY_MIN, BATCH_QUALITY_MAX,
            &s->quality, error);
        break;
      case KEY_OUTPUT_HEIGHT:
        ok = file_int (&fv, key, 1, BATCH_HEIGHT_MAX, &s->output_height, error);
        break;
      case KEY_OUTPUT_QUALITY:
        ok = file_int (&fv, key, BATCH_QUALITY_MIN, BATCH_QUALITY_MAX,
            &s->output_quality, error);
        break;
      case KEY_AUTO_ORIENT:
        ok = file_bool (&fv, key, &s->auto_orient, error);
        break;
      case KEY_METADATA:
        ok = file_metadata (&fv, key, &s->strip_metadata, error);
        break;
      case KEY_POSITION:
        ok = fv.value[key]->type == YAML_SCALAR_NODE &&
            parse_position (scalar_text (fv.value[key]), &s->position);
        if (!ok)
          invalid (&fv, key, error, POSITION_CHOICES);
        break;
      case KEY_MARGIN:
        ok = fv.value[key]->type == YAML_SCALAR_NODE &&
            parse_margin (scalar_text (fv.value[key]), &s->margin);
        if (!ok)
          invalid (&fv, key, error, MARGIN_CHOICES);
        break;
      case KEY_SIZE:
        ok = fv.value[key]->type == YAML_SCALAR_NODE &&
            parse_number (scalar_text (fv.value[key]), &s->size) &&
            s->size >= 0 && s->size <= BATCH_SIZE_MAX;
        if (!ok) {
          invalid (&fv, key, error, "a percentage of the picture from 0 "
              "(the watermark's own size) to 10000");
        } else if (s->size > 0 && s->size < 1) {
          /* as opacity: 0.1 is the element's unit, a tenth */
          g_autofree gchar *quoted = quote_value (scalar_text (fv.value[key]));

          g_set_error (error, BATCH_SETTINGS_ERROR,
              BATCH_SETTINGS_ERROR_INVALID,
              "%s:%lu: size must be a percentage of the picture from 0 to "
              "10000, got \"%s\" (did you mean %g?)", fv.file,
              node_line (fv.value[key]), quoted, s->size * 100.0);
          ok = FALSE;
        }
        break;
      case KEY_TILE:
        ok = file_bool (&fv, key, &s->tile, error);
        break;
      case KEY_TILE_SPACING:
        ok = file_int (&fv, key, 0, BATCH_SPACING_MAX, &s->tile_spacing, error);
        break;
      case KEY_VIDEOS:
        ok = file_bool (&fv, key, &s->videos, error);
        break;
      case KEY_VIDEO_CRF:
        ok = file_int (&fv, key, BATCH_VIDEO_CRF_MIN, BATCH_VIDEO_CRF_MAX,
            &s->video_crf, error);
        break;
      case KEY_VIDEO_PRESET:
        ok = fv.value[key]->type == YAML_SCALAR_NODE &&
            batch_video_preset_valid (scalar_text (fv.value[key]));
        if (ok) {
          g_free (s->video_preset);
          s->video_preset = g_strdup (scalar_text (fv.value[key]));
        } else {
          invalid (&fv, key, error, VIDEO_PRESET_CHOICES);
        }
        break;
      default:
        g_assert_not_reached ();
    }
    if (!ok)
      goto out;
  }

  /* Missing keys are checked by the caller, once the command line has
   * had its say: it needs the line of "watermark:". */
  *section_line = fv.section_line;
  ok = TRUE;

out:
  yaml_document_delete (&doc);
  return ok;
}

/* A required value left unset by both the file and the command line. */
static gboolean
check_given (const BatchSettings * s, gulong section_line, gboolean given,
    const gchar * key, const gchar * option, GError ** error)
{
  if (given)
    return TRUE;
  if (s->config_file)
    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_MISSING,
        "%s:%lu: missing key \"%s\" under \"%s\" (or give %s)",
        s->config_file, section_line, key, SECTION, option);
  else
    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_MISSING,
        "no %s: give %s, or run where a config.yaml is, or use "
        "--config FILE", key, option);
  return FALSE;
}

BatchSettings *
batch_settings_load (const BatchSettingsOverrides * o, GError ** error)
{
  g_autoptr (BatchSettings) s = g_new0 (BatchSettings, 1);
  const gchar *file = o->config_file;
  gulong section_line = 1;

  s->opacity = BATCH_UNSET_DOUBLE;
  s->quality = BATCH_UNSET_INT;
  s->output_height = BATCH_UNSET_INT;
  s->output_quality = BATCH_DEFAULT_OUTPUT_QUALITY;
  s->auto_orient = TRUE;
  s->video_crf = BATCH_VIDEO_CRF_DEFAULT;
  s->video_preset = g_strdup (BATCH_VIDEO_PRESET_DEFAULT);

  if (file == NULL && g_file_test (DEFAULT_CONFIG_FILE, G_FILE_TEST_EXISTS))
    file = DEFAULT_CONFIG_FILE;

  if (file) {
    s->config_file = g_strdup (file);
    if (!apply_file (s, file, &section_line, error))
      return NULL;
  } else {
    /* No file at all: the command line alone, with the script's
     * defaults for what it may leave out. */
    s->opacity = BATCH_DEFAULT_OPACITY;
    s->quality = BATCH_DEFAULT_QUALITY;
  }

  if (o->input_folder) {
    g_free (s->input_folder);
    s->input_folder = g_strdup (o->input_folder);
  }
  if (o->npy_path) {
    g_free (s->npy_path);
    s->npy_path = g_strdup (o->npy_path);
  }
  if (o->output_folder)
    s->output_folder = g_strdup (o->output_folder);
  if (o->opacity != BATCH_UNSET_DOUBLE)
    s->opacity = o->opacity;
  if (o->quality != BATCH_UNSET_INT)
    s->quality = o->quality;
  if (o->output_height != BATCH_UNSET_INT)
    s->output_height = o->output_height;
  if (o->output_quality != BATCH_UNSET_INT)
    s->output_quality = o->output_quality;
  if (o->strip_metadata)
    s->strip_metadata = TRUE;
  if (o->no_auto_orient)
    s->auto_orient = FALSE;
  if (o->position && !parse_position (o->position, &s->position)) {
    g_autofree gchar *quoted = quote_value (o->position);

    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
        "--position must be " POSITION_CHOICES ", got \"%s\"", quoted);
    return NULL;
  }
  if (o->margin && !parse_margin (o->margin, &s->margin)) {
    g_autofree gchar *quoted = quote_value (o->margin);

    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
        "--margin must be %s, got \"%s\"", MARGIN_CHOICES, quoted);
    return NULL;
  }
  if (o->size != BATCH_UNSET_DOUBLE) {
    if (!(o->size >= 0 && o->size <= BATCH_SIZE_MAX) || (o->size > 0
            && o->size < 1)) {
      g_autofree gchar *hint = o->size > 0 && o->size < 1 ?
          g_strdup_printf (" (did you mean %g?)", o->size * 100.0) : NULL;

      g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
          "--size must be a percentage of the picture from 0 to 10000, "
          "got %g%s", o->size, hint ? hint : "");
      return NULL;
    }
    s->size = o->size;
  }
  if (o->tile)
    s->tile = TRUE;
  if (o->tile_spacing != BATCH_UNSET_INT) {
    if (o->tile_spacing < 0 || o->tile_spacing > BATCH_SPACING_MAX) {
      g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
          "--tile-spacing must be a whole number of pixels from 0 to %d, "
          "got %d", BATCH_SPACING_MAX, o->tile_spacing);
      return NULL;
    }
    s->tile_spacing = o->tile_spacing;
  }

  if (o->videos)
    s->videos = TRUE;
  if (o->video_crf != BATCH_UNSET_INT) {
    if (o->video_crf < BATCH_VIDEO_CRF_MIN
        || o->video_crf > BATCH_VIDEO_CRF_MAX) {
      g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
          "--video-crf must be a whole number from %d to %d, got %d",
          BATCH_VIDEO_CRF_MIN, BATCH_VIDEO_CRF_MAX, o->video_crf);
      return NULL;
    }
    s->video_crf = o->video_crf;
  }
  if (o->video_preset) {
    if (!batch_video_preset_valid (o->video_preset)) {
      g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
          "--video-preset must be " VIDEO_PRESET_CHOICES ", got \"%s\"",
          o->video_preset);
      return NULL;
    }
    g_free (s->video_preset);
    s->video_preset = g_strdup (o->video_preset);
  }

  if (!check_given (s, section_line, s->input_folder != NULL,
          "input_folder", "--input DIR", error) ||
      !check_given (s, section_line, s->npy_path != NULL, "npy_path",
          "--npy FILE", error) ||
      !check_given (s, section_line, s->opacity != BATCH_UNSET_DOUBLE,
          "opacity", "--opacity PERCENT", error) ||
      !check_given (s, section_line, s->quality != BATCH_UNSET_INT, "quality",
          "--quality Q", error) ||
      !check_given (s, section_line, s->output_height != BATCH_UNSET_INT,
          "output_height", "--height PX", error))
    return NULL;

  /* The command line's values are checked here, the file's already were. */
  if (o->opacity != BATCH_UNSET_DOUBLE) {
    g_autofree gchar *hint = NULL;
    const gchar *problem = opacity_problem (o->opacity, &hint);

    if (problem) {
      g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
          "--opacity must be a percentage from 0 to 100, got %g%s",
          o->opacity, problem);
      return NULL;
    }
  }
  if (s->quality < BATCH_QUALITY_MIN || s->quality > BATCH_QUALITY_MAX) {
    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
        "--quality must be a whole number from 1 to 100, got %d", s->quality);
    return NULL;
  }
  if (s->output_quality < BATCH_QUALITY_MIN
      || s->output_quality > BATCH_QUALITY_MAX) {
    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
        "--output-quality must be a whole number from 1 to 100, got %d",
        s->output_quality);
    return NULL;
  }
  if (s->output_height < 1 || s->output_height > BATCH_HEIGHT_MAX) {
    g_set_error (error, BATCH_SETTINGS_ERROR, BATCH_SETTINGS_ERROR_INVALID,
        "--height must be a whole number from 1 to %d, got %d",
        BATCH_HEIGHT_MAX, s->output_height);
    return NULL;
  }

  return g_steal_pointer (&s);
}
