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

# npw_whole NAME VALUE MIN MAX: checks that VALUE is a whole number from
# MIN to MAX; else says so, naming NAME and the range, and exits 2 (a bad
# argument, as usage errors) before anything is written.
npw_whole () {
  # without leading zeros (shell arithmetic reads 010 as octal)
  npw_n=${2#"${2%%[!0]*}"}
  case $2 in
    "" | *[!0-9]*) ;;
    *)
      if [ "${#npw_n}" -le 9 ] && [ "${npw_n:-0}" -ge "$3" ] &&
          [ "${npw_n:-0}" -le "$4" ]; then
        return 0
      fi
      ;;
  esac
  printf '%s: %s "%s" must be a whole number from %s to %s\n' \
    "$prog" "$1" "$2" "$3" "$4" >&2
  exit 2
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
#
# Bounded: gst-launch-1.0 1.22 now and then waits forever after an error
# (a stock filesrc ! decodebin line on an empty file, an element posting a
# single error), so a launch that runs longer than NPW_TIMEOUT seconds
# (default: the script's npw_timeout; 0 or empty for no limit) is stopped,
# said, and fails.  --foreground keeps gst-launch-1.0 in the terminal's
# process group, where Ctrl-C reaches it.
npw_launch () {
  npw_status=0
  npw_limit=${NPW_TIMEOUT:-${npw_timeout:-}}
  case $npw_limit in
    "" | 0) gst-launch-1.0 "$@" || npw_status=$? ;;
    *[!0-9]*) npw_fail "NPW_TIMEOUT must be a whole number of seconds, got \"$npw_limit\"" ;;
    *)
      timeout --foreground -k 5 "$npw_limit" gst-launch-1.0 "$@" ||
        npw_status=$?
      if [ "$npw_status" -eq 124 ] || [ "$npw_status" -eq 137 ]; then
        printf '%s: gst-launch-1.0 gave no result in %s s and was stopped (NPW_TIMEOUT sets the limit)\n' \
          "$prog" "$npw_limit" >&2
      fi
      ;;
  esac
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

# npw_bytes FILE OFFSET COUNT: the COUNT bytes of FILE at OFFSET, as
# decimal numbers separated by spaces (fewer at the end of the file).
npw_bytes () {
  od -An -tu1 -v -j"$2" -N"$3" -- "$1" | tr -s ' \n' '  '
}

# npw_probe FILE: refuses, before anything is launched, what cannot be a
# picture, with the batch command's words (src/probe.c): an empty file, an
# unknown format, a truncated or malformed JPEG or PNG, a CMYK or 12-bit
# JPEG, one larger than 178956970 pixels.  Prints "PROG: FILE: reason"
# and returns 1; 0 for a picture worth decoding.  The scripts never hand
# GStreamer an input it would wait on forever (an empty file through
# decodebin) or fail on without a word (jpegdec on CMYK).
npw_probe () {
  npw_why=$(npw_probe_reason "$1") || true
  [ -z "$npw_why" ] && return 0
  printf '%s: %s: %s\n' "$prog" "$1" "$npw_why" >&2
  return 1
}

# npw_probe_reason FILE: prints why FILE is refused, nothing if it is not.
npw_probe_reason () {
  npw_size=$(wc -c < "$1")
  if [ "$npw_size" -eq 0 ]; then
    echo "empty file"
    return
  fi
  # shellcheck disable=SC2046 # the bytes, one argument each
  set -- "$1" $(npw_bytes "$1" 0 12)
  case "$2 $3 $4 $5 $6 $7 $8 $9" in
    "255 216 255"*) npw_probe_jpeg "$1" ;;
    "137 80 78 71 13 10 26 10") npw_probe_png "$1" ;;
    "82 73 70 70 "*) ;;                  # RIFF: WebP, for decodebin
    "73 73 42 0"* | "77 77 0 42"*) ;;    # TIFF
    "66 77"*) ;;                         # BMP
    "71 73 70 56 55 97"* | "71 73 70 56 57 97"*) ;; # GIF87a, GIF89a
    *) echo "not a JPEG, PNG, WebP, TIFF, BMP or GIF picture" ;;
  esac
}

# The marker segments up to the first scan: frame size, precision and
# colour components; then whether the file reaches its end-of-image
# marker (the entropy-coded data itself is the decoder's to check).
npw_probe_jpeg () {
  npw_pos=2 npw_frame=""
  while :; do
    # shellcheck disable=SC2046
    set -- "$1" $(npw_bytes "$1" "$npw_pos" 4)
    if [ $# -lt 3 ]; then
      npw_jpeg_truncated "$1"
      return
    fi
    if [ "$2" -ne 255 ]; then
      # stray bytes before a marker: the decoder's business
      return
    fi
    case $3 in
      255) npw_pos=$((npw_pos + 1)); continue ;;
      217) break ;;                                   # EOI
      1 | 216 | 208 | 209 | 210 | 211 | 212 | 213 | 214 | 215)
        npw_pos=$((npw_pos + 2)); continue ;;
    esac
    if [ $# -lt 5 ]; then
      npw_jpeg_truncated "$1"
      return
    fi
    npw_len=$(($4 * 256 + $5))
    if [ "$npw_len" -lt 2 ]; then
      echo "corrupt JPEG: malformed marker segments"
      return
    fi
    if [ $((npw_pos + 2 + npw_len)) -gt "$npw_size" ]; then
      npw_jpeg_truncated "$1"
      return
    fi
    case $3 in
      192 | 193 | 194 | 195 | 197 | 198 | 199 | 201 | 202 | 203 | 205 | 206 | 207)
        if [ "$npw_len" -lt 8 ]; then
          echo "corrupt JPEG: malformed marker segments"
          return
        fi
        npw_frame=$(npw_bytes "$1" $((npw_pos + 4)) 6)
        ;;
      218)                                            # SOS
        if [ -z "$npw_frame" ]; then
          echo "corrupt JPEG: malformed marker segments"
          return
        fi
        # A complete file ends with EOI, or holds one after the scan
        # (with data after it, as some cameras write).
        if [ "$(npw_bytes "$1" $((npw_size - 2)) 2)" != " 255 217 " ] &&
            ! tail -c +$((npw_pos + 1)) -- "$1" |
              LC_ALL=C grep -q "$(printf '\377\331')"; then
          npw_jpeg_truncated "$1"
          return
        fi
        break
        ;;
    esac
    npw_pos=$((npw_pos + 2 + npw_len))
  done
  if [ -z "$npw_frame" ]; then
    echo "corrupt JPEG: malformed marker segments"
    return
  fi
  # shellcheck disable=SC2086
  set -- $npw_frame
  if [ "$2$3" = 00 ] || [ "$4$5" = 00 ]; then
    echo "corrupt JPEG: malformed marker segments"
  elif [ "$1" -ne 8 ]; then
    echo "$1-bit JPEG is not supported"
  elif [ "$6" -eq 4 ]; then
    echo "CMYK JPEG is not supported (the decoder refuses it)"
  elif [ "$6" -ne 1 ] && [ "$6" -ne 3 ]; then
    echo "JPEG with $6 colour components is not supported"
  else
    npw_check_size $(($4 * 256 + $5)) $(($2 * 256 + $3)) "" || :
  fi
}

npw_jpeg_truncated () {
  if [ "$(npw_bytes "$1" $((npw_size - 2)) 2)" = " 255 217 " ]; then
    echo "corrupt JPEG data: a marker segment runs past the end of the picture"
  else
    echo "truncated JPEG: the file ends before the end-of-image marker"
  fi
}

# IHDR, then the IEND chunk at the end (or, with data after it, anywhere).
npw_probe_png () {
  # shellcheck disable=SC2046
  set -- "$1" $(npw_bytes "$1" 8 18)
  if [ $# -lt 19 ]; then
    echo "truncated PNG: the file ends before the IEND chunk"
    return
  fi
  # the first chunk: IHDR, 13 bytes or more
  if [ "$2 $3 $4" != "0 0 0" ] || [ "$5" -lt 13 ] ||
      [ "$6 $7 $8 $9" != "73 72 68 82" ]; then
    echo "corrupt PNG: malformed header or chunks"
    return
  fi
  if [ "$npw_size" -lt 45 ] ||
      { [ "$(npw_bytes "$1" $((npw_size - 8)) 4)" != " 73 69 78 68 " ] &&
        ! tail -c +34 -- "$1" | LC_ALL=C grep -q IEND; }; then
    echo "truncated PNG: the file ends before the IEND chunk"
    return
  fi
  if [ "${10}" -ge 128 ] || [ "${14}" -ge 128 ]; then
    echo "corrupt PNG: malformed header or chunks"
    return
  fi
  case ${19} in
    0 | 2 | 3 | 4 | 6) ;;
    *) echo "corrupt PNG: malformed header or chunks"; return ;;
  esac
  npw_check_size $(((${10} << 24) + (${11} << 16) + (${12} << 8) + ${13})) \
    $(((${14} << 24) + (${15} << 16) + (${16} << 8) + ${17})) \
    "corrupt PNG: malformed header or chunks"
}

# npw_check_size WIDTH HEIGHT WHY-IF-EMPTY: the batch's size checks: says
# WHY-IF-EMPTY for a 0 side, or that the picture is too large (PIL's
# decompression bomb limit, twice its MAX_IMAGE_PIXELS); returns 1 then.
npw_check_size () {
  if [ "$1" -eq 0 ] || [ "$2" -eq 0 ]; then
    echo "$3"
    return 1
  fi
  if [ $(($1 * $2)) -gt 178956970 ]; then
    echo "$1x$2 is too large (more than 178956970 pixels)"
    return 1
  fi
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
