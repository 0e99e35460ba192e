#!/bin/sh
# An image sequence (numbered frames from a render, a time-lapse, a
# scanner): reads IN-PATTERN from START until a number is missing, turns
# each picture the right way up (a JPEG's EXIF orientation), watermarks it
# at the top-left and writes OUT-PATTERN with the same number, as JPEG
# quality 100 (or PNG when OUT-PATTERN ends in .png).
#
#   pipelines/sequence.sh 'in/frame-%05d.jpg' 'out/frame-%05d.jpg' WATERMARK.npy [START]
#
# Patterns use printf's %d; pictures are JPEG or PNG (by their content)
# and may differ in size.  Without START the sequence starts at 0, or at 1
# when there is no picture 0.  One gst-launch-1.0 per picture, so that a
# bad picture fails alone: it is named on stderr, has no output (each
# output appears only when complete), the others keep their numbers, and
# the exit status is 1.  Pictures the batch command refuses are refused
# with its words, before anything is launched.  NPW_TIMEOUT (seconds,
# default 300; 0: none) bounds each picture's run.
set -eu
. "$(dirname "$0")/lib.sh"
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 IN-PATTERN OUT-PATTERN WATERMARK.npy [START]" >&2
  exit 2
fi
in=$1 out=$2 watermark=$3 start=${4:-}

# A pattern without a number would name one file forever.
for pattern in "$in" "$out"; do
  # shellcheck disable=SC2059 # the pattern is the format
  if [ "$(printf "$pattern" 0 2>/dev/null)" = "$(printf "$pattern" 1 2>/dev/null)" ]; then
    npw_fail "$pattern: a pattern needs a number, such as frame-%05d.jpg"
  fi
done
case $start in
  "") ;;
  *[!0-9]*) npw_fail "START must be a whole number, got \"$start\"" ;;
esac
npw_readable "$watermark" "watermark"
npw_timeout=300

# shellcheck disable=SC2059
name () { printf "$1" "$2"; }
if [ -z "$start" ]; then
  start=0
  if [ ! -e "$(name "$in" 0)" ] && [ -e "$(name "$in" 1)" ]; then
    start=1
  fi
fi
if [ ! -e "$(name "$in" "$start")" ]; then
  npw_fail "no picture $(name "$in" "$start")$([ -n "${4:-}" ] ||
    echo " nor $(name "$in" 1)")"
fi

case "$out" in
  *.png|*.PNG) encoder="pngenc snapshot=true" ;;
  *) encoder="jpegenc quality=100 snapshot=true" ;;
esac

n=$start done=0 failed=0
# shellcheck disable=SC2086 # $npw_decode, $encoder, $npw_sink: elements
while src=$(name "$in" "$n") && [ -e "$src" ]; do
  dst=$(name "$out" "$n")
  npw_begin "$dst" "$src"
  if ! [ -f "$src" ] || ! [ -r "$src" ]; then
    echo "$prog: $src: cannot read the picture" >&2
  elif ! npw_probe "$src" || ! npw_decoder "$src"; then
    : # npw_probe or npw_decoder said why
  elif ! npw_launch -q \
      filesrc location="$src" ! $npw_decode ! videoconvert ! \
      npywatermark location="$watermark" ! videoconvert ! $encoder ! \
      $npw_sink location="$npw_tmp"; then
    echo "$prog: $src: not watermarked (the reason is above)" >&2
  elif ! [ -s "$npw_tmp" ]; then
    echo "$prog: $src: no picture could be decoded (corrupt data?)" >&2
  else
    npw_commit "$dst"
    done=$((done + 1))
    n=$((n + 1))
    continue
  fi
  npw_discard
  failed=$((failed + 1))
  n=$((n + 1))
done

if [ "$failed" -gt 0 ]; then
  npw_fail "$failed of $((done + failed)) pictures failed; the other $done are written"
fi
