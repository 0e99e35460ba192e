#!/bin/sh
# A NumPy array as a WebM preview: an (N, H, W, C) stack becomes N frames
# at FRAMERATE (a fraction, default 25/1), an (H, W, C) image one frame.
# Transparent parts show over a checkerboard.  npydec reads the array,
# VP8 encodes it.  The preview is written to a hidden temporary file
# beside OUT and renamed when complete: OUT is whole or not there.
#
#   pipelines/npy-preview.sh IN.npy OUT.webm [FRAMERATE]
set -eu
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 IN.npy OUT.webm [FRAMERATE]" >&2
  exit 2
fi
in=$1 out=$2 framerate=${3:-25/1}

tmp=$(mktemp "$(dirname -- "$out")/.$(basename -- "$out").XXXXXX.part")
trap 'rm -f -- "$tmp"' EXIT
# mktemp makes it 0600; the preview gets what the umask gives new files
chmod "$(printf '%o' $((0666 & ~0$(umask))))" "$tmp"

gst-launch-1.0 -q -e \
  filesrc location="$in" ! npydec framerate="$framerate" ! videoconvert ! \
  compositor background=checker ! videoconvert ! \
  vp8enc deadline=1 cpu-used=4 target-bitrate=4000000 ! webmmux ! \
  filesink location="$tmp"
mv -f -- "$tmp" "$out"
