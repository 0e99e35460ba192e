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

if gst-inspect-1.0 --exists x264enc; then
  venc="x264enc pass=qual quantizer=20 speed-preset=faster"
else
  venc="vp8enc deadline=1 cpu-used=4 target-bitrate=8000000 threads=4"
fi

# A muxer waits for every input it was given, so the audio branch is
# there only when the file has audio; with no video there is nothing to
# watermark (and the muxer would wait forever).
streams=$(gst-discoverer-1.0 "$in" 2>&1) || true
if ! printf '%s\n' "$streams" | grep -q '^ *video #'; then
  if printf '%s\n' "$streams" | grep -q '^ *video(image) #'; then
    npw_fail "$in: no video stream (a still picture: see still.sh)"
  fi
  why=$(printf '%s\n' "$streams" |
    awk 'f { sub(/^ +/, ""); print; exit } /^An error was encountered/ { f = 1 }')
  npw_fail "$in: no video stream${why:+ ($why)}"
fi
audio=""
if printf '%s\n' "$streams" | grep -q '^ *audio #'; then
  audio="d. ! queue ! audioconvert ! audioresample ! opusenc ! queue ! mux."
fi

npw_begin "$out" "$in"
# shellcheck disable=SC2086
npw_launch -q \
  filesrc location="$in" ! decodebin name=d \
  d. ! queue ! videoconvert ! \
    npywatermark location="$watermark" opacity="$opacity" ! \
    videoconvert ! video/x-raw,format=I420 ! $venc ! queue ! mux. \
  $audio \
  matroskamux name=mux ! filesink location="$npw_tmp" ||
  npw_fail "$in: not watermarked (the reason is above)"
npw_commit "$out"
