#!/bin/sh
# An image sequence (numbered frames from a render, a time-lapse, a
# scanner): reads IN-PATTERN from START until a number is missing,
# watermarks each picture at the top-left and writes OUT-PATTERN, as
# JPEG quality 100 (or PNG when OUT-PATTERN ends in .png).
#
#   pipelines/sequence.sh 'in/frame-%05d.jpg' 'out/frame-%05d.jpg' WATERMARK.npy [START]
#
# Patterns use printf's %d; JPEG or PNG in (by IN-PATTERN's ending);
# pictures may differ in size.
set -eu
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 IN-PATTERN OUT-PATTERN WATERMARK.npy [START]" >&2
  exit 2
fi
in=$1 out=$2 watermark=$3 start=${4:-0}

case "$in" in
  *.png|*.PNG) caps="image/png,framerate=25/1" ;;
  *) caps="image/jpeg,framerate=25/1" ;;
esac
case "$out" in
  *.png|*.PNG) encoder="pngenc" ;;
  *) encoder="jpegenc quality=100" ;;
esac

# shellcheck disable=SC2086
exec gst-launch-1.0 -q \
  multifilesrc location="$in" index="$start" \
    caps="$caps" ! decodebin ! videoconvert ! \
  npywatermark location="$watermark" ! videoconvert ! $encoder ! \
  multifilesink location="$out" index="$start"
