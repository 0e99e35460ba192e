#!/bin/sh
# shellcheck disable=SC2154 # npw_arg1, ... are set by npw_video_args
# An animated watermark over a video file: WATERMARK.npy is an
# (N, H, W, C) stack, and the frame at stream time t shows slice
# floor (t * RATE) mod N (RATE slices a second, a fraction such as 10 or
# 30000/1001; default 10).  A 2-D or 3-D array plays as a still.  Takes
# the same options as video.sh (position, size, margin, opacity, crf,
# preset), keeps the container OUT's extension names (.mp4 .m4v .mov .mkv
# .webm .avi) and copies the audio packet for packet, as video.sh.
#
#   pipelines/animated.sh [OPTIONS] IN OUT ANIM.npy [RATE [OPACITY]]
#
# OUT appears only when complete; on an error (an animation past the
# element's limit, say) the exit status is 1 and nothing is written.
set -eu
. "$(dirname "$0")/lib.sh"
usage () {
  echo "usage: $0 $npw_video_usage
       IN OUT ANIM.npy [RATE [OPACITY]]" >&2
  exit 2
}
npw_video_args "$@" || usage
if [ "$npw_nargs" -lt 3 ] || [ "$npw_nargs" -gt 5 ]; then
  usage
fi
in=$npw_arg1 out=$npw_arg2 watermark=$npw_arg3 rate=${npw_arg4:-10}
if [ "$npw_nargs" -eq 5 ]; then
  [ -z "$npw_opacity_pct" ] || npw_fail "opacity given twice (--opacity and OPACITY)"
  npw_opacity_pct=$npw_arg5
fi
opacity=$(npw_opacity "${npw_opacity_pct:-100}") || exit 1
printf '%s\n' "$rate" | grep -Eq '^[0-9]{1,9}(/[1-9][0-9]{0,8})?$' ||
  npw_fail "rate \"$rate\" is not slices per second (10, 3/2, 30000/1001)"
npw_readable "$in" "video"
npw_readable "$watermark" "watermark"
npw_video_container "$out"

npw_video_streams "$in" || npw_no_video "$in"
npw_watermark_video "$in" "$out" "$watermark" "$opacity" \
  animation-rate="$rate"
