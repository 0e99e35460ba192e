#!/bin/sh
# shellcheck disable=SC2154 # npw_arg1, ... are set by npw_video_args
# A video file: decodes its video (any codec GStreamer reads), turns it by
# its orientation tag, watermarks every frame, encodes it again in 4:2:0
# (what every player takes) and copies every audio stream packet for
# packet, into the container OUT's extension names:
#
#   .mp4 .m4v  MP4 (mp4mux)          .mov  QuickTime (qtmux)
#   .mkv       Matroska              .webm WebM (VP9 or VP8 video; Opus
#   .avi       AVI                         or Vorbis audio only)
#
# H.264 (x264enc, gstreamer1.0-plugins-ugly) at constant quality --crf
# (default 20) and --preset (default medium), as x264 and FFmpeg name
# them; VP9 for WebM (--crf scaled to cq-level 0..63).
#
#   pipelines/video.sh [OPTIONS] IN OUT WATERMARK.npy [OPACITY]
#
#   --position WHERE   top-left (default), top, top-right, left, center,
#                      right, bottom-left, bottom, bottom-right
#   --size PERCENT     fit the watermark in PERCENT of the frame, aspect
#                      kept (0, the default: its own size)
#   --margin PX|P%     pixels in from the anchored edges, or a percentage
#                      of the frame's shorter side (default 0)
#   --opacity PERCENT  0..100 (default 100); also the old positional
#                      OPACITY
#   --crf N --preset NAME   the encoder's quality and speed
#
# MP4 in, MP4 out, audio kept, logo bottom-right at 10% of the frame:
#
#   pipelines/video.sh --position bottom-right --size 10 --margin 16 \
#     in.mp4 out.mp4 logo.npy
#
# OUT appears only when complete; on an error (no video stream, an audio
# codec OUT's container cannot carry, an unknown extension) the exit
# status is 1, the reason is said and nothing is written.
set -eu
. "$(dirname "$0")/lib.sh"
usage () {
  echo "usage: $0 $npw_video_usage
       IN OUT WATERMARK.npy [OPACITY]" >&2
  exit 2
}
npw_video_args "$@" || usage
if [ "$npw_nargs" -lt 3 ] || [ "$npw_nargs" -gt 4 ]; then
  usage
fi
in=$npw_arg1 out=$npw_arg2 watermark=$npw_arg3
if [ "$npw_nargs" -eq 4 ]; then
  [ -z "$npw_opacity_pct" ] || npw_fail "opacity given twice (--opacity and OPACITY)"
  npw_opacity_pct=$npw_arg4
fi
opacity=$(npw_opacity "${npw_opacity_pct:-100}") || exit 1
npw_readable "$in" "video"
npw_readable "$watermark" "watermark"
npw_video_container "$out"

npw_video_streams "$in" || npw_no_video "$in"
npw_watermark_video "$in" "$out" "$watermark" "$opacity"
