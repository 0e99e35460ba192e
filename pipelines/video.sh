#!/bin/sh
# A video file: decodes any file GStreamer reads (decodebin), watermarks
# every frame at the top-left, encodes with what is installed (H.264 with
# x264enc from gstreamer1.0-plugins-ugly, else VP8) and keeps the audio
# (Opus), in Matroska.
#
#   pipelines/video.sh IN OUT.mkv WATERMARK.npy [OPACITY]
set -eu
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 IN OUT.mkv WATERMARK.npy [OPACITY]" >&2
  exit 2
fi
in=$1 out=$2 watermark=$3 opacity=${4:-1}

if gst-inspect-1.0 --exists x264enc; then
  venc="x264enc pass=qual quantizer=20 speed-preset=faster"
else
  venc="vp8enc deadline=1 cpu-used=4 target-bitrate=8000000 threads=4"
fi

# A muxer waits for every input it was given, so the audio branch is
# there only when the file has audio.
audio=""
if gst-discoverer-1.0 "$in" | grep -q '^ *audio #'; then
  audio="d. ! queue ! audioconvert ! audioresample ! opusenc ! queue ! mux."
fi

# shellcheck disable=SC2086
exec gst-launch-1.0 -q \
  filesrc location="$in" ! decodebin name=d \
  d. ! queue ! videoconvert ! \
    npywatermark location="$watermark" opacity="$opacity" ! \
    videoconvert ! $venc ! queue ! mux. \
  $audio \
  matroskamux name=mux ! filesink location="$out"
