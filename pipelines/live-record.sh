#!/bin/sh
# A live source to a file: the camera (v4l2src /dev/video0; a moving test
# picture when there is none) -> watermark at the top-left -> H.264
# (x264enc, when installed) or VP8, 4:2:0, in Matroska.  Ctrl-C stops it
# and still leaves a complete file; OUT appears only then (or after
# FRAMES), and an error leaves nothing (exit status 1).
#
#   pipelines/live-record.sh WATERMARK.npy OUT.mkv [FRAMES]
#
# FRAMES stops after that many frames.  NPW_SOURCE replaces the source
# element (e.g. "v4l2src device=/dev/video2"), NPW_CAPS picks its mode
# (e.g. "video/x-raw,width=1280,height=720,framerate=30/1").
set -eu
. "$(dirname "$0")/lib.sh"
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 WATERMARK.npy OUT.mkv [FRAMES]" >&2
  exit 2
fi
watermark=$1 out=$2 frames=${3:--1}
npw_readable "$watermark" "watermark"

if [ -n "${NPW_SOURCE:-}" ]; then
  source=$NPW_SOURCE
elif [ -e /dev/video0 ]; then
  source="v4l2src device=/dev/video0"
else
  source="videotestsrc is-live=true pattern=ball"
fi

if gst-inspect-1.0 --exists x264enc; then
  venc="x264enc tune=zerolatency speed-preset=veryfast"
else
  venc="vp8enc deadline=1 cpu-used=8 target-bitrate=4000000 threads=4"
fi

npw_begin "$out"
# -e: on Ctrl-C, send EOS so the muxer finishes the file; that is how a
# recording ends, so it is kept (npw_launch would discard it).
status=0
# shellcheck disable=SC2086
gst-launch-1.0 -q -e \
  $source num-buffers="$frames" ! "${NPW_CAPS:-video/x-raw}" ! \
  videoconvert ! \
  npywatermark location="$watermark" ! videoconvert ! \
  video/x-raw,format=I420 ! queue ! $venc ! \
  matroskamux ! filesink location="$npw_tmp" || status=$?
case $status/$npw_signal in
  0/) npw_commit "$out" ;;
  # Ctrl-C is how a recording ends: npw_commit would take it for an
  # interruption and keep nothing
  0/130) npw_signal=""; npw_commit "$out" ;;
  */) npw_fail "$out: not recorded (the reason is above)" ;;
  *) exit "$npw_signal" ;;
esac
