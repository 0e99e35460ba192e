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

# After Ctrl-C or SIGTERM (the traps below) a failure that followed is
# the interruption's doing: exit with its status (130, 143), not 1.
npw_fail () {
  [ -z "$npw_signal" ] || exit "$npw_signal"
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
  [ -z "$npw_signal" ] || exit "$npw_signal"
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

# ---- Video files (video.sh, animated.sh) --------------------------------
#
# The video branch is decoded, watermarked and encoded again; every audio
# stream is copied packet for packet (parsebin's demuxer and parser, then
# the muxer: nothing decoded); the container is the one OUT's extension
# names.

# What the options set; npw_video_option changes them.
npw_position=top-left
npw_fit=0
npw_margin=0
npw_opacity_pct=""
npw_crf=20
npw_preset=medium

# The options video.sh and animated.sh take, for their usage lines.
npw_video_usage="[--position WHERE] [--size PERCENT] [--margin PX|P%]
       [--opacity PERCENT] [--crf N] [--preset NAME]"

# npw_number VALUE MIN MAX: true when VALUE is a decimal number from MIN
# to MAX.
npw_number () {
  LC_ALL=C awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN {
    exit !(v ~ /^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)$/ && v + 0 >= lo && v + 0 <= hi)
  }'
}

# npw_video_option NAME VALUE: checks VALUE and keeps it for
# npw_watermark_video; fails naming the option and what it takes.
npw_video_option () {
  case $1 in
    --position)
      case $2 in
        top-left | top | top-right | left | center | right | \
          bottom-left | bottom | bottom-right) npw_position=$2 ;;
        *) npw_fail "--position \"$2\": give top-left, top, top-right, left, center, right, bottom-left, bottom or bottom-right" ;;
      esac
      ;;
    --size)
      # Percent of the frame, as the batch command's --size; the element
      # takes a fraction.
      npw_number "$2" 0 10000 ||
        npw_fail "--size \"$2\": give a percentage of the frame from 0 (the watermark's own size) to 10000"
      npw_fit=$(LC_ALL=C awk -v v="$2" 'BEGIN { printf "%.17g\n", v / 100 }')
      ;;
    --margin)
      case $2 in
        *%) npw_number "${2%\%}" 0 50 ;;
        *) printf '%s\n' "$2" | grep -Eq '^-?[0-9]{1,5}$' ;;
      esac ||
        npw_fail "--margin \"$2\": give pixels (a whole number) or a percentage of the shorter side from 0% to 50%"
      npw_margin=$2
      ;;
    --opacity)
      npw_opacity "$2" > /dev/null || exit 1
      npw_opacity_pct=$2
      ;;
    --crf)
      printf '%s\n' "$2" | grep -Eq '^[0-9]{1,2}$' && [ "$2" -le 51 ] ||
        npw_fail "--crf \"$2\": give a whole number from 0 (lossless) to 51 (x264's CRF scale; 18-28 is usual)"
      npw_crf=$2
      ;;
    --preset)
      case $2 in
        ultrafast | superfast | veryfast | faster | fast | medium | slow | \
          slower | veryslow | placebo) npw_preset=$2 ;;
        *) npw_fail "--preset \"$2\": give one of x264's presets, ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow" ;;
      esac
      ;;
    *)
      return 1
      ;;
  esac
}

# npw_video_args ARG...: takes the options (npw_video_option; "--NAME
# VALUE" or "--NAME=VALUE", anywhere before a "--") out of ARGs and sets
# npw_arg1, npw_arg2, ... to the others in order, npw_nargs to their
# number.  Returns 2 for an unknown option or one without its value.
npw_video_args () {
  npw_nargs=0
  npw_opts=1
  while [ $# -gt 0 ]; do
    case $npw_opts$1 in
      1--) npw_opts=0 ;;
      1--*=*) npw_video_option "${1%%=*}" "${1#*=}" || return 2 ;;
      1--?*)
        [ $# -gt 1 ] || return 2
        npw_video_option "$1" "$2" || return 2
        shift
        ;;
      *)
        npw_nargs=$((npw_nargs + 1))
        eval "npw_arg$npw_nargs=\$1"
        ;;
    esac
    shift
  done
}

# npw_video_streams IN: sets npw_streams to what gst-discoverer-1.0 -v
# says of IN; npw_vtype to the media type of its (first) video stream,
# npw_width and npw_height to its size; npw_audio_caps to the caps of
# each audio stream, one a line, and npw_naudio to their number.  Returns
# 1 when IN has no video stream (there is nothing to watermark, and the
# muxer would wait forever).
npw_video_streams () {
  npw_streams=$(gst-discoverer-1.0 -v "$1" 2>&1) || true
  npw_vtype=$(printf '%s\n' "$npw_streams" |
    sed -n 's/^ *video #[0-9]*: \([^, ]*\).*/\1/p' | head -n 1)
  npw_width=$(printf '%s\n' "$npw_streams" | sed -n 's/^ *Width: //p' | head -n 1)
  npw_height=$(printf '%s\n' "$npw_streams" | sed -n 's/^ *Height: //p' | head -n 1)
  # Without their (buffer) fields (codec data, Vorbis headers): long, and
  # not what a muxer's pads choose by.
  npw_audio_caps=$(printf '%s\n' "$npw_streams" |
    sed -n 's/^ *audio #[0-9]*: //p' |
    sed -e 's/, [a-z_-]*=(buffer)< [^>]* >//g' -e 's/, [a-z_-]*=(buffer)[0-9a-f]*//g')
  npw_naudio=$(printf '%s\n' "$npw_audio_caps" | grep -c . || true)
  npw_duration=$(npw_seconds "$npw_streams")
  [ -n "$npw_vtype" ]
}

# npw_seconds TEXT: the "Duration: H:MM:SS.NNNNNNNNN" of gst-discoverer-1.0's
# TEXT in seconds (0 when it says none).
npw_seconds () {
  printf '%s\n' "$1" | LC_ALL=C awk -F '[ :]+' '
    /^ *Duration: / { s = $3 * 3600 + $4 * 60 + $5; exit }
    END { printf "%.3f\n", s + 0 }'
}

# npw_no_video IN: fails saying why IN (npw_video_streams returned 1)
# has no video to watermark.
npw_no_video () {
  if printf '%s\n' "$npw_streams" | grep -q '^ *video(image) #'; then
    npw_fail "$1: no video stream (a still picture: see still.sh)"
  fi
  npw_why=$(printf '%s\n' "$npw_streams" |
    awk 'f { sub(/^ +/, ""); print; exit } /^An error was encountered/ { f = 1 }')
  npw_fail "$1: no video stream${npw_why:+ ($npw_why)}"
}

# npw_video_container OUT: sets npw_mux (the muxer OUT's extension names)
# and npw_venc (the encoder: VP9 (else VP8) for WebM, which carries
# nothing else; H.264 with x264enc for the others, or VP8 in Matroska
# when x264enc is not installed).  Fails for another extension.
npw_video_container () {
  npw_ext=$(printf '%s\n' "${1##*.}" | tr '[:upper:]' '[:lower:]')
  case $1 in
    *.*) ;;
    *) npw_ext="" ;;
  esac
  case $npw_ext in
    mp4 | m4v) npw_mux=mp4mux ;;
    mov) npw_mux=qtmux ;;
    mkv) npw_mux=matroskamux ;;
    webm) npw_mux=webmmux ;;
    avi) npw_mux=avimux ;;
    *) npw_fail "$1: the extension says no container this script writes: give .mp4, .m4v, .mov, .mkv, .webm or .avi" ;;
  esac
  # VP8 and VP9 have no CRF: constrained quality, with the CRF scaled to
  # cq-level's 0..63 and a bitrate cap (100 Mbit/s) that does not bind.
  npw_vpx="end-usage=cq cq-level=$((npw_crf * 63 / 51)) min-quantizer=0 target-bitrate=100000000 deadline=1 cpu-used=4 threads=4"
  if [ "$npw_ext" = webm ]; then
    if gst-inspect-1.0 --exists vp9enc; then
      npw_venc="vp9enc row-mt=true $npw_vpx"
    elif gst-inspect-1.0 --exists vp8enc; then
      npw_venc="vp8enc $npw_vpx"
    else
      npw_fail "$1: WebM needs VP8 or VP9 and neither vp9enc nor vp8enc is installed (gstreamer1.0-plugins-good)"
    fi
  elif gst-inspect-1.0 --exists x264enc; then
    # pass=qual is x264's CRF, but capped by x264enc at its bitrate
    # (default 2048 kbit/s) through a 600 ms VBV buffer: half FFmpeg's
    # bitrate at the same CRF on a busy 720p clip.  No buffer, no cap.
    npw_venc="x264enc pass=qual quantizer=$npw_crf speed-preset=$npw_preset vbv-buf-capacity=0"
    # 1.22's mp4mux and qtmux write B-frames' reordering delay into the
    # timeline (no edit list shifts it back): every frame two late behind
    # the audio.  AVI has no presentation times at all.
    case $npw_mux in
      mp4mux | qtmux | avimux) npw_venc="$npw_venc bframes=0" ;;
    esac
  elif [ "$npw_ext" = mkv ] && gst-inspect-1.0 --exists vp8enc; then
    npw_venc="vp8enc $npw_vpx"
  else
    npw_fail "$1: H.264 needs x264enc, which is not installed (gstreamer1.0-plugins-ugly)"
  fi
}

# npw_audio_fits IN OUT: fails, naming the stream, when an audio stream of
# IN (npw_video_streams) cannot go into npw_mux unchanged, e.g. AAC into
# WebM (Opus and Vorbis only): the muxer is asked with the stream's caps.
npw_audio_fits () {
  npw_k=0
  printf '%s\n' "$npw_audio_caps" | while IFS= read -r npw_caps; do
    [ -n "$npw_caps" ] || continue
    npw_k=$((npw_k + 1))
    gst-launch-1.0 -q fakesrc num-buffers=0 ! "$npw_caps" ! \
      "$npw_mux" ! fakesink > /dev/null 2>&1 && continue
    case $npw_caps in
      audio/mpeg,*mpegversion=\(int\)1*) npw_codec=MP3 ;;
      audio/mpeg,*) npw_codec=AAC ;;
      audio/x-ac3*) npw_codec=AC-3 ;;
      audio/x-eac3*) npw_codec=E-AC-3 ;;
      audio/x-raw*) npw_codec=PCM ;;
      audio/x-flac*) npw_codec=FLAC ;;
      audio/x-vorbis*) npw_codec=Vorbis ;;
      audio/x-opus*) npw_codec=Opus ;;
      *) npw_codec=${npw_caps%%,*} ;;
    esac
    npw_only=""
    [ "$npw_mux" != webmmux ] || npw_only=", which takes Opus and Vorbis only"
    printf '%s: %s: its audio stream %d (%s) cannot be copied into %s (%s%s); name OUT .mkv, which takes almost any audio\n' \
      "$prog" "$1" "$npw_k" "$npw_codec" "$2" "$npw_mux" "$npw_only" >&2
    exit 1
  done
}

# Audio waits in its queue while the video encoder fills its lookahead
# (x264's medium preset: 40 frames and more), and the muxer interleaves
# by time: a queue of 1 s (queue's default) then fills, the demuxer
# blocks on it, the video starves and nothing moves.  30 s of audio is a
# few MB, and covers encoder latencies of 100 frames down to 3.3 frames a
# second.
npw_aqueue="queue max-size-buffers=0 max-size-bytes=0 max-size-time=30000000000"

# npw_watermark_video IN OUT WATERMARK OPACITY [PROPERTY=VALUE...]:
# decodes IN's video, turns it by its orientation tag, watermarks every
# frame (npywatermark with WATERMARK, OPACITY, the geometry options and
# the PROPERTYs), encodes it (npw_video_container) in 4:2:0, copies every
# audio stream packet for packet, and writes the container OUT's
# extension names, whole or not at all; fails if gst-launch-1.0 does or
# when OUT lacks a stream.  Call npw_video_streams IN first.
npw_watermark_video () {
  npw_in=$1 npw_out=$2 npw_mark=$3 npw_op=$4
  shift 4
  npw_video_container "$npw_out"
  npw_audio_fits "$npw_in" "$npw_out" || exit 1
  case $npw_margin in
    *%)
      npw_px=$(LC_ALL=C awk -v p="${npw_margin%\%}" -v w="$npw_width" -v h="$npw_height" \
        'BEGIN { m = w < h ? w : h; printf "%d\n", int(p / 100 * m + 0.5) }')
      ;;
    *) npw_px=$npw_margin ;;
  esac
  npw_branches=""
  npw_k=0
  while [ "$npw_k" -lt "$npw_naudio" ]; do
    npw_branches="$npw_branches p. ! $npw_aqueue ! mux.audio_%u"
    npw_k=$((npw_k + 1))
  done
  npw_k=$(printf '%s\n' "$npw_streams" | grep -c '^ *subtitles #' || true)
  [ "$npw_k" -eq 0 ] ||
    printf '%s: %s: warning: its %d subtitle stream(s) are not carried (npy-watermark --videos carries them)\n' \
      "$prog" "$npw_in" "$npw_k" >&2
  npw_begin "$npw_out" "$npw_in"
  # The video branch takes parsebin's video pad only (by media type); the
  # audio branches take what the muxer's audio pads accept.
  # shellcheck disable=SC2086 # lists of elements
  npw_launch -q \
    filesrc location="$npw_in" ! parsebin name=p \
    p. ! "$npw_vtype" ! queue ! decodebin ! videoconvert ! \
      videoflip video-direction=auto ! \
      npywatermark location="$npw_mark" opacity="$npw_op" \
        position="$npw_position" size="$npw_fit" \
        offset-x="$npw_px" offset-y="$npw_px" "$@" ! \
      videoconvert ! video/x-raw,format=I420 ! $npw_venc ! queue ! \
      mux.video_%u \
    $npw_branches \
    $npw_mux name=mux ! filesink location="$npw_tmp" ||
    npw_fail "$npw_in: not watermarked (the reason is above)"
  # A stream the muxer refused at run time is dropped, not an error.
  npw_got=$(gst-discoverer-1.0 "$npw_tmp" 2>&1) || true
  printf '%s\n' "$npw_got" | grep -q '^ *video #' ||
    npw_fail "$npw_in: not watermarked (no video came out)"
  npw_k=$(printf '%s\n' "$npw_got" | grep -c '^ *audio #' || true)
  [ "$npw_k" -eq "$npw_naudio" ] ||
    npw_fail "$npw_in: not watermarked ($npw_naudio audio streams in, $npw_k out)"
  # A truncated MP4 whose index is at the front plays to its cut and ends
  # cleanly in 1.22: what came out is then shorter than the index says.
  npw_got=$(npw_seconds "$npw_got")
  LC_ALL=C awk -v i="$npw_duration" -v o="$npw_got" 'BEGIN { exit !(o < 0.9 * i - 0.1) }' &&
    npw_fail "$npw_in: truncated or corrupt: $npw_got s of its $npw_duration s could be read"
  npw_commit "$npw_out"
}
