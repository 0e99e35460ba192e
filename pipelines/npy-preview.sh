#!/bin/sh
# A NumPy array as a WebM preview: an (N, H, W, C) stack becomes N frames
# at FRAMERATE (a fraction, default 25/1), an (H, W, C) image one frame.
# Transparent parts show over a checkerboard.  npydec reads the array,
# VP8 encodes it.  The preview is written to a hidden temporary file
# beside OUT and renamed when complete: OUT is whole or not there.
#
#   pipelines/npy-preview.sh IN.npy OUT.webm [FRAMERATE]
#
# On an error the exit status is 1 and nothing is written.  NPW_TIMEOUT
# (seconds, default 600; 0: none) bounds the run: gst-launch-1.0 1.22
# now and then misses the end of a pipeline whose element posts a single
# error, as npydec does on a bad array, and would wait forever.
set -eu
. "$(dirname "$0")/lib.sh"
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 IN.npy OUT.webm [FRAMERATE]" >&2
  exit 2
fi
in=$1 out=$2 framerate=${3:-25/1}
npw_readable "$in" "array"
npw_timeout=600

npw_begin "$out" "$in"
npw_launch -q -e \
  filesrc location="$in" ! npydec framerate="$framerate" ! videoconvert ! \
  compositor background=checker ! videoconvert ! \
  vp8enc deadline=1 cpu-used=4 target-bitrate=4000000 ! webmmux ! \
  filesink location="$npw_tmp" ||
  npw_fail "$in: no preview written (the reason is above)"
npw_commit "$out"
