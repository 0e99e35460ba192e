#!/bin/sh
# One picture as the original Python script made it: decode (JPEG, PNG,
# ...), turn it the right way up (a JPEG's EXIF orientation, as the batch
# command does), scale to HEIGHT keeping the aspect ratio, JPEG round trip
# at QUALITY, watermark at the top-left with OPACITY, save as JPEG quality
# 100.
#
#   pipelines/still.sh IN OUT.jpg WATERMARK.npy [HEIGHT [QUALITY [OPACITY]]]
#
# HEIGHT (1..32768) defaults to 720, QUALITY (1..100) to 30, OPACITY (a
# percentage, 0..100, as config.yaml's) to 100: the batch command's ranges.
# OUT appears only when complete.  A bad argument exits with status 2, a
# picture that cannot be watermarked with 1, naming the reason (in the
# batch command's words for what it refuses too); nothing is written
# then.  NPW_TIMEOUT (seconds, default 300; 0: none) bounds the run.
set -eu
. "$(dirname "$0")/lib.sh"
if [ $# -lt 3 ] || [ $# -gt 6 ]; then
  echo "usage: $0 IN OUT.jpg WATERMARK.npy [HEIGHT [QUALITY [OPACITY]]]" >&2
  exit 2
fi
in=$1 out=$2 watermark=$3
npw_whole HEIGHT "${4:-720}" 1 32768
height=$npw_n
npw_whole QUALITY "${5:-30}" 1 100
quality=$npw_n
opacity=$(npw_opacity "${6:-100}") || exit 2
npw_readable "$in" "picture"
npw_readable "$watermark" "watermark"
npw_probe "$in" || exit 1
npw_timeout=300

npw_begin "$out" "$in"
npw_decoder "$in" || exit 1
# shellcheck disable=SC2086 # lists of elements
npw_launch -q \
  filesrc location="$in" ! $npw_decode ! videoconvert ! videoscale ! \
  "video/x-raw,height=$height,pixel-aspect-ratio=1/1" ! \
  jpegenc quality="$quality" ! jpegdec ! \
  npywatermark location="$watermark" opacity="$opacity" ! \
  jpegenc quality=100 snapshot=true ! $npw_sink location="$npw_tmp" ||
  npw_fail "$in: not watermarked (the reason is above)"
# A decoder drops a picture it cannot decode and still ends cleanly.
[ -s "$npw_tmp" ] || npw_fail "$in: no picture could be decoded (corrupt data?)"
npw_commit "$out"
