#!/bin/sh
# A video file: decodes any file GStreamer reads (decodebin), watermarks
# every frame at the top-left with OPACITY (a percentage, 0..100; default
# 100), encodes with what is installed (H.264 with x264enc from
# gstreamer1.0-plugins-ugly, else VP8), in 4:2:0 so that every player
# takes it, and keeps the audio (Opus), in Matroska.
#
#   pipelines/video.sh IN OUT.mkv WATERMARK.npy [OPACITY]
#
# OUT appears only when complete; on an error (a file with no video
# stream, say) the exit status is 1 and nothing is written.
set -eu
. "$(dirname "$0")/lib.sh"
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 IN OUT.mkv WATERMARK.npy [OPACITY]" >&2
  exit 2
fi
in=$1 out=$2 watermark=$3
opacity=$(npw_opacity "${4:-100}") || exit 1
npw_readable "$in" "video"
npw_readable "$watermark" "watermark"

if ! npw_video_streams "$in"; then
  if printf '%s\n' "$npw_streams" | grep -q '^ *video(image) #'; then
    npw_fail "$in: no video stream (a still picture: see still.sh)"
  fi
  why=$(printf '%s\n' "$npw_streams" |
    awk 'f { sub(/^ +/, ""); print; exit } /^An error was encountered/ { f = 1 }')
  npw_fail "$in: no video stream${why:+ ($why)}"
fi
npw_watermark_video "$in" "$out" "$watermark" "$opacity"
