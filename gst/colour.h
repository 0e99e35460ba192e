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


/* The watermark's colours for HDR and wide-gamut frames.  The watermark
 * is sRGB: BT.709 primaries, the sRGB transfer, display-referred, its
 * white the reference white.  For frames whose colorimetry says
 * otherwise its R'G'B' is linearised, moved to BT.2020 primaries and
 * encoded with the frame's transfer, giving R'G'B' in the frame's own
 * signal domain (where the blend happens, as for every frame).  Pure
 * functions of doubles: the overlay applies them once per prepare. */

#ifndef __NPW_COLOUR_H__
#define __NPW_COLOUR_H__

#include <gst/video/video.h>

G_BEGIN_DECLS

/* ITU-R BT.2408's reference white for PQ and HLG, in cd/m² (the
 * reference-white property's default). */
#define NPW_COLOUR_REFERENCE_WHITE 203.0

/* The sRGB EOTF (IEC 61966-2-1): v / 12.92 for v <= 0.04045, else
 * ((v + 0.055) / 1.055)^2.4; and its inverse. */
gdouble npw_colour_srgb_eotf (gdouble v);
gdouble npw_colour_srgb_inverse_eotf (gdouble l);

/* ITU-R BT.2087's BT.709 -> BT.2020 matrix on linear light. */
extern const gdouble npw_colour_bt709_to_bt2020[3][3];

/* SMPTE ST 2084's inverse EOTF: display light @y = L / 10000 cd/m²
 * (clamped to 0..1) to the PQ signal. */
gdouble npw_colour_pq_inverse_eotf (gdouble y);

/* BT.2100's HLG OETF (ARIB STD-B67): scene light @e (0..1, clamped
 * below 0) to the signal, clipped to 1; and its inverse on 0..1. */
gdouble npw_colour_hlg_oetf (gdouble e);
gdouble npw_colour_hlg_inverse_oetf (gdouble v);

/* What a frame's colorimetry asks of the watermark's colours. */
typedef enum
{
  NPW_COLOUR_TRANSFER_SDR,      /* no change (re-encoded as sRGB) */
  NPW_COLOUR_TRANSFER_PQ,
  NPW_COLOUR_TRANSFER_HLG,
} NpwColourTransfer;

typedef struct
{
  gboolean active;              /* FALSE: the watermark's R'G'B' as it is */
  gboolean to_bt2020;           /* primaries moved BT.709 -> BT.2020 */
  NpwColourTransfer transfer;
  gdouble scale;                /* linear 1.0 (sRGB white) in the transfer's
                                 * input: W / 10000 for PQ, Ew W / 203 for HLG */
} NpwColourConversion;

/* The conversion for frames of @primaries and @transfer with reference
 * white @reference_white cd/m² (PQ and HLG only).  Inactive (the frame
 * takes today's values, bit for bit) unless the primaries are BT.2020 or
 * the transfer PQ or HLG. */
void npw_colour_conversion_init (NpwColourConversion * conv,
    GstVideoColorPrimaries primaries, GstVideoTransferFunction transfer,
    gdouble reference_white);

/* TRUE when frames of colorimetries @a and @b take the same conversion
 * (at the same reference white). */
gboolean npw_colour_same_conversion (const GstVideoColorimetry * a,
    const GstVideoColorimetry * b);

/* The sRGB EOTF of @v / 65535, from a table made once per process
 * (within 1e-7 of npw_colour_srgb_eotf ()). */
gdouble npw_colour_srgb_eotf16 (guint16 v);

/* The transfer step of @conv: linear light @l (after the primaries,
 * where sRGB white is 1) to the frame's signal, 0..1. */
gdouble npw_colour_encode (const NpwColourConversion * conv, gdouble l);


/* npw_colour_encode () tabulated, for converting many pixels: linear
 * interpolation in 256 steps per octave of l over 32 octaves, within
 * 1e-6 of the exact value (a fifteenth of a 16-bit level) for every
 * conversion and reference white (tests/test-hdr.c checks it). */
typedef struct _NpwColourTable NpwColourTable;

/* NULL when memory cannot be had. */
NpwColourTable *npw_colour_table_new (const NpwColourConversion * conv);
gdouble npw_colour_table_encode (const NpwColourTable * table, gdouble l);
void npw_colour_table_free (NpwColourTable * table);

/* The watermark's sRGB R'G'B' @in (0..1) as the frame's R'G'B' @out
 * (0..1). */
void npw_colour_convert (const NpwColourConversion * conv, const gdouble in[3],
    gdouble out[3]);

/* The same from the linear light @lin of @in, the transfer through
 * @table when not NULL. */
void npw_colour_convert_linear (const NpwColourConversion * conv,
    const NpwColourTable * table, const gdouble lin[3], gdouble out[3]);

G_END_DECLS

#endif /* __NPW_COLOUR_H__ */
