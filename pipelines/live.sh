#!/bin/sh
# A live source on screen: the camera (v4l2src /dev/video0; a moving
# test picture when there is none) -> watermark at the top-left ->
# display.  Ctrl-C stops it.
#
#   pipelines/live.sh WATERMARK.npy [FRAMES]
#
# FRAMES stops after that many frames.  NPW_SOURCE replaces the source
# element (e.g. "v4l2src device=/dev/video2"), NPW_CAPS picks its mode
# (e.g. "video/x-raw,width=1280,height=720,framerate=30/1") and NPW_SINK
# the display (e.g. "fakesink" with no screen; without DISPLAY or
# WAYLAND_DISPLAY, NPW_SINK is required).
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 WATERMARK.npy [FRAMES]" >&2
  exit 2
fi
watermark=$1 frames=${2:--1}

if [ -n "${NPW_SOURCE:-}" ]; then
  source=$NPW_SOURCE
elif [ -e /dev/video0 ]; then
  source="v4l2src device=/dev/video0"
else
  source="videotestsrc is-live=true pattern=ball"
fi
# Without a display, GStreamer 1.22's autovideosink picks a sink that
# crashes (SIGSEGV) instead of failing: say what to do instead.
if [ -z "${NPW_SINK:-}" ] && [ -z "${DISPLAY:-}" ] &&
    [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "${0##*/}: no display (DISPLAY and WAYLAND_DISPLAY are not set):" \
    "set NPW_SINK to a sink that needs none, e.g. NPW_SINK=fakesink, or" \
    "NPW_SINK=\"kmssink\" on a console" >&2
  exit 1
fi
sink=${NPW_SINK:-autovideosink}

# shellcheck disable=SC2086
exec gst-launch-1.0 -q -e \
  $source num-buffers="$frames" ! "${NPW_CAPS:-video/x-raw}" ! \
  videoconvert ! \
  npywatermark location="$watermark" ! videoconvert ! $sink
