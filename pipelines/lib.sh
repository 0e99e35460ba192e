# Shared by the pipelines/ scripts (sourced, not run): error messages,
# opacity as a percentage, and outputs that appear whole or not at all.
#
# An output is written to a hidden temporary name in its own folder
# (.NAME.XXXXXX.part) and renamed over NAME only when gst-launch-1.0
# succeeded; on an error, Ctrl-C or SIGTERM the temporary file is removed
# and NAME is left as it was.

prog=${0##*/}
npw_tmp=""
npw_signal=""

npw_fail () {
  printf '%s: %s\n' "$prog" "$*" >&2
  exit 1
}

# Not killed outright: gst-launch-1.0, in the foreground, gets the same
# Ctrl-C and stops; the script then removes what it was writing.
trap 'npw_signal=129' HUP
trap 'npw_signal=130' INT
trap 'npw_signal=143' TERM
trap '[ -z "$npw_tmp" ] || rm -f "$npw_tmp"' EXIT

# npw_opacity VALUE: checks that VALUE is a percentage (0..100) and
# prints the element's opacity (0..1).  A value between 0 and 1 is taken
# for the other unit and refused, with the percentage it would be.
npw_opacity () {
  LC_ALL=C awk -v v="$1" -v prog="$prog" 'BEGIN {
    if (v !~ /^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)$/) {
      printf "%s: opacity \"%s\" is not a number: give a percentage from 0 to 100\n", prog, v > "/dev/stderr"
      exit 1
    }
    x = v + 0
    if (x > 0 && x < 1) {
      printf "%s: opacity %s is a percentage from 0 to 100; did you mean %g?\n", prog, v, x * 100 > "/dev/stderr"
      exit 1
    }
    if (x < 0 || x > 100) {
      printf "%s: opacity %s is out of range: give a percentage from 0 to 100\n", prog, v > "/dev/stderr"
      exit 1
    }
    printf "%.17g\n", x / 100
  }'
}

# npw_readable FILE WHAT: fails unless FILE is a readable regular file.
npw_readable () {
  [ -f "$1" ] && [ -r "$1" ] || npw_fail "$1: cannot read the $2 (no such file, or not a readable file)"
}

# npw_begin OUT [IN]: sets npw_tmp to a new temporary file beside OUT.
# Refuses to write over IN.
npw_begin () {
  if [ $# -gt 1 ] && [ -e "$1" ] && [ "$1" -ef "$2" ]; then
    npw_fail "$1: the output would overwrite its input"
  fi
  npw_dir=$(dirname -- "$1")
  [ -d "$npw_dir" ] || npw_fail "$1: no such folder $npw_dir"
  # Short enough for a name near 255 bytes.
  npw_base=$(printf '%.200s' "$(basename -- "$1")")
  npw_tmp=$(mktemp "$npw_dir/.$npw_base.XXXXXX.part" 2>/dev/null) ||
    npw_fail "$1: cannot write in $npw_dir"
}

# npw_launch ARGS...: gst-launch-1.0 ARGS; returns its exit status.
# After Ctrl-C or SIGTERM the temporary file is removed and the script
# exits (130, 143), whatever gst-launch-1.0 returned: without -e it stops
# at once and the output is incomplete.
npw_launch () {
  npw_status=0
  gst-launch-1.0 "$@" || npw_status=$?
  if [ -n "$npw_signal" ]; then
    exit "$npw_signal"
  fi
  return "$npw_status"
}

# npw_commit OUT: moves the temporary file into place, with the
# permissions a new file gets (mktemp makes it private).
npw_commit () {
  chmod "$(printf '%o' $((0666 & ~$(umask))))" "$npw_tmp"
  mv -f -- "$npw_tmp" "$1"
  npw_tmp=""
}

# npw_discard: removes the temporary file (the script goes on).
npw_discard () {
  rm -f "$npw_tmp"
  npw_tmp=""
}

# npw_decoder FILE: sets npw_decode to the gst-launch-1.0 elements that
# decode the picture FILE to raw video the right way up, and npw_sink to
# the filesink to end with.  By content: a JPEG goes through jpegparse,
# which refuses a truncated file (jpegdec alone would pad it with gray)
# and publishes the EXIF orientation that videoflip applies; a PNG through
# pngdec; anything else through decodebin.  The scripts' encoders take the
# first picture only (snapshot=true), as PIL does with a file that holds
# more (MPO, gain maps).  Returns 1, with the reason said, for a picture
# no stock decoder gets right (16-bit colour PNGs).
#
# async=false: with an asynchronous sink, gst-launch-1.0 1.22 now and then
# misses an error posted together with EOS while the pipeline prerolls (a
# corrupt JPEG through jpegparse ! jpegdec: 13 runs in 60 waited forever).
# Not after decodebin, which needs the sink to preroll (it then waits
# forever on every picture).
npw_decoder () {
  npw_sink="filesink async=false"
  case $(od -An -tx1 -N4 -- "$1" | tr -d ' \n') in
    ffd8ff*)
      npw_decode="jpegparse ! jpegdec ! videoconvert ! videoflip video-direction=auto"
      ;;
    89504e47)
      # GStreamer 1.22's pngdec gets 16-bit colour PNGs wrong (RGB: a red
      # cast; with alpha: each pixel gets the previous one's alpha).
      # IHDR's bit depth and colour type are bytes 24 and 25.
      case $(od -An -tu1 -j24 -N2 -- "$1" | tr -s ' ') in
        " 16 2" | " 16 4" | " 16 6")
          printf '%s: %s: a 16-bit colour PNG, which GStreamer 1.22'"'"'s pngdec decodes with wrong colours; npy-watermark reads it with libpng\n' \
            "$prog" "$1" >&2
          return 1
          ;;
      esac
      npw_decode="pngdec"
      ;;
    *)
      npw_decode="decodebin"
      npw_sink="filesink"
      ;;
  esac
}

# npw_video_streams IN: sets npw_streams to what gst-discoverer-1.0 says
# of IN, and npw_audio to the branch that keeps its audio (Opus) in
# npw_watermark_video's muxer, empty when IN has none: a muxer waits for
# every input it was given.  Returns 1 when IN has no video stream (there
# is nothing to watermark, and the muxer would wait forever).
npw_video_streams () {
  npw_streams=$(gst-discoverer-1.0 "$1" 2>&1) || true
  npw_audio=""
  if printf '%s\n' "$npw_streams" | grep -q '^ *audio #'; then
    npw_audio="d. ! queue ! audioconvert ! audioresample ! opusenc ! queue ! mux."
  fi
  printf '%s\n' "$npw_streams" | grep -q '^ *video #'
}

# npw_watermark_video IN OUT WATERMARK OPACITY [PROPERTY=VALUE...]:
# decodes IN (decodebin), watermarks every frame (npywatermark with
# WATERMARK, OPACITY and the PROPERTYs), encodes H.264 with x264enc if
# installed, else VP8, in 4:2:0, adds npw_audio (npw_video_streams) and
# writes Matroska to OUT, whole or not at all; fails if gst-launch-1.0
# does.
npw_watermark_video () {
  npw_in=$1 npw_out=$2 npw_mark=$3 npw_op=$4
  shift 4
  if gst-inspect-1.0 --exists x264enc; then
    npw_venc="x264enc pass=qual quantizer=20 speed-preset=faster"
  else
    npw_venc="vp8enc deadline=1 cpu-used=4 target-bitrate=8000000 threads=4"
  fi
  npw_begin "$npw_out" "$npw_in"
  # shellcheck disable=SC2086
  npw_launch -q \
    filesrc location="$npw_in" ! decodebin name=d \
    d. ! queue ! videoconvert ! \
      npywatermark location="$npw_mark" opacity="$npw_op" "$@" ! \
      videoconvert ! video/x-raw,format=I420 ! $npw_venc ! queue ! mux. \
    $npw_audio \
    matroskamux name=mux ! filesink location="$npw_tmp" ||
    npw_fail "$npw_in: not watermarked (the reason is above)"
  npw_commit "$npw_out"
}
