#!/bin/sh
# An animated watermark over a video file: WATERMARK.npy is an
# (N, H, W, C) stack, and the frame at stream time t shows slice
# floor (t * RATE) mod N (RATE slices a second, a fraction such as 10 or
# 30000/1001; default 10), at the top-left with OPACITY (a percentage,
# 0..100; default 100).  A 2-D or 3-D array plays as a still.  Decodes any
# file GStreamer reads, encodes H.264 (x264enc) or else VP8 in 4:2:0,
# keeps the audio (Opus), in Matroska, as video.sh.
#
#   pipelines/animated.sh IN OUT.mkv WATERMARK.npy [RATE [OPACITY]]
#
# OUT appears only when complete; on an error (an animation past the
# element's limit, say) the exit status is 1 and nothing is written.
set -eu
. "$(dirname "$0")/lib.sh"
if [ $# -lt 3 ] || [ $# -gt 5 ]; then
  echo "usage: $0 IN OUT.mkv WATERMARK.npy [RATE [OPACITY]]" >&2
  exit 2
fi
in=$1 out=$2 watermark=$3 rate=${4:-10}
opacity=$(npw_opacity "${5:-100}") || exit 1
printf '%s\n' "$rate" | grep -Eq '^[0-9]{1,9}(/[1-9][0-9]{0,8})?$' ||
  npw_fail "rate \"$rate\" is not slices per second (10, 3/2, 30000/1001)"
npw_readable "$in" "video"
npw_readable "$watermark" "watermark"

npw_video_streams "$in" || npw_fail "$in: no video stream"
npw_watermark_video "$in" "$out" "$watermark" "$opacity" \
  animation-rate="$rate"
