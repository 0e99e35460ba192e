#!/bin/sh
# One picture as the original Python script made it: decode (JPEG, PNG,
# ...), scale to HEIGHT keeping the aspect ratio, JPEG round trip at
# QUALITY, watermark at the top-left, save as JPEG quality 100.
#
#   pipelines/still.sh IN OUT.jpg WATERMARK.npy [HEIGHT [QUALITY [OPACITY]]]
#
# HEIGHT defaults to 720, QUALITY to 30, OPACITY to 1 (as config.yaml's
# output_height and quality; the script never applied its opacity).
set -eu
if [ $# -lt 3 ] || [ $# -gt 6 ]; then
  echo "usage: $0 IN OUT.jpg WATERMARK.npy [HEIGHT [QUALITY [OPACITY]]]" >&2
  exit 2
fi
in=$1 out=$2 watermark=$3
height=${4:-720} quality=${5:-30} opacity=${6:-1}

exec gst-launch-1.0 -q \
  filesrc location="$in" ! decodebin ! videoconvert ! videoscale ! \
  "video/x-raw,height=$height,pixel-aspect-ratio=1/1" ! \
  jpegenc quality="$quality" ! jpegdec ! \
  npywatermark location="$watermark" opacity="$opacity" ! \
  jpegenc quality=100 ! filesink location="$out"
