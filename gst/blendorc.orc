# The blend kernels of blend.c, in ORC: liborc compiles them at run time
# for the CPU (SSE, NEON, AltiVec, MIPS DSP, ...) and falls back to the C
# that orcc writes beside each one.  Any C compiler builds both.
#
# For frame byte d, overlay value v and alpha A (0..255):
#   out = div255w (v * A + d * (255 - A))
# in 16-bit lanes: v * A + d * (255 - A) <= 65025, and div255w is
# ((x + 128) + ((x + 128) >> 8)) >> 8, round (x / 255) with halves up,
# exact for 0 <= x <= 65025.  The _op kernels first take
# A = div255w (a * op), op the global opacity (0..255).
#
# bytes: one alpha per byte; unit2 and unit4: one alpha per 2 or 4 bytes
# (NV12 chroma pairs, RGBA pixels), spread over the unit by splatbw and
# splatbl.  3-byte units have no ORC type: blend.c spreads their alpha
# into a byte row and uses bytes.

.function npw_orc_blend_bytes
.dest 1 d guint8
.source 1 v guint8
.source 1 a guint8
.temp 2 ta
.temp 2 tia
.temp 2 tv
.temp 2 td

convubw ta, a
subw tia, 255, ta
convubw tv, v
mullw tv, tv, ta
convubw td, d
mullw td, td, tia
addw tv, tv, td
addw tv, tv, 128
mulhuw tv, tv, 257
convsuswb d, tv


.function npw_orc_blend_bytes_op
.dest 1 d guint8
.source 1 v guint8
.source 1 a guint8
.param 2 op
.temp 2 ta
.temp 2 tia
.temp 2 tv
.temp 2 td

convubw ta, a
mullw ta, ta, op
addw ta, ta, 128
mulhuw ta, ta, 257
subw tia, 255, ta
convubw tv, v
mullw tv, tv, ta
convubw td, d
mullw td, td, tia
addw tv, tv, td
addw tv, tv, 128
mulhuw tv, tv, 257
convsuswb d, tv


.function npw_orc_blend_unit2
.dest 2 d guint8
.source 2 v guint8
.source 1 a guint8
.temp 2 a2
.temp 4 ta
.temp 4 tia
.temp 4 tv
.temp 4 td

splatbw a2, a
x2 convubw ta, a2
x2 subw tia, 255, ta
x2 convubw tv, v
x2 mullw tv, tv, ta
x2 convubw td, d
x2 mullw td, td, tia
x2 addw tv, tv, td
x2 addw tv, tv, 128
x2 mulhuw tv, tv, 257
x2 convsuswb d, tv


.function npw_orc_blend_unit2_op
.dest 2 d guint8
.source 2 v guint8
.source 1 a guint8
.param 2 op
.temp 2 tw
.temp 1 tb
.temp 2 a2
.temp 4 ta
.temp 4 tia
.temp 4 tv
.temp 4 td

convubw tw, a
mullw tw, tw, op
addw tw, tw, 128
mulhuw tw, tw, 257
convwb tb, tw
splatbw a2, tb
x2 convubw ta, a2
x2 subw tia, 255, ta
x2 convubw tv, v
x2 mullw tv, tv, ta
x2 convubw td, d
x2 mullw td, td, tia
x2 addw tv, tv, td
x2 addw tv, tv, 128
x2 mulhuw tv, tv, 257
x2 convsuswb d, tv


.function npw_orc_blend_unit4
.dest 4 d guint8
.source 4 v guint8
.source 1 a guint8
.temp 4 a4
.temp 8 ta
.temp 8 tia
.temp 8 tv
.temp 8 td

splatbl a4, a
x4 convubw ta, a4
x4 subw tia, 255, ta
x4 convubw tv, v
x4 mullw tv, tv, ta
x4 convubw td, d
x4 mullw td, td, tia
x4 addw tv, tv, td
x4 addw tv, tv, 128
x4 mulhuw tv, tv, 257
x4 convsuswb d, tv


.function npw_orc_blend_unit4_op
.dest 4 d guint8
.source 4 v guint8
.source 1 a guint8
.param 2 op
.temp 2 tw
.temp 1 tb
.temp 4 a4
.temp 8 ta
.temp 8 tia
.temp 8 tv
.temp 8 td

convubw tw, a
mullw tw, tw, op
addw tw, tw, 128
mulhuw tw, tw, 257
convwb tb, tw
splatbl a4, tb
x4 convubw ta, a4
x4 subw tia, 255, ta
x4 convubw tv, v
x4 mullw tv, tv, ta
x4 convubw td, d
x4 mullw td, td, tia
x4 addw tv, tv, td
x4 addw tv, tv, 128
x4 mulhuw tv, tv, 257
x4 convsuswb d, tv
