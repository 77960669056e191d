#!/usr/bin/env bash
# Writes "real" media made by independent tools (ImageMagick, espeak-ng, sox) for
# tests/media/test_real_media.py:
#
#   make_real_media.sh OUT_DIR
#
# OUT_DIR/images/*.{jpg,png}   JPEG and PNG variants (sizes, aspect ratios, colour types)
# OUT_DIR/ppm/<name>.ppm       each image decoded by ImageMagick to 16-bit binary PPM (EXIF
#                              orientation applied, alpha on white); the test rounds it to 8 bit
#                              for the reference
# OUT_DIR/audio/*              espeak-ng speech, converted by sox to several rates/containers
#
# Deterministic: fixed seeds, fixed voice and speed, sox -R (repeatable dither/serial numbers)
# and PNGs without time chunks. A missing tool is an error naming the package to install.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
out=$1
apt_cmd="apt-get install espeak-ng sox libsox-fmt-all imagemagick"

missing=()
for tool in convert identify espeak-ng sox soxi; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "make_real_media.sh: missing ${missing[*]}; install with: $apt_cmd" >&2
  exit 1
fi
# FLAC and Ogg/Vorbis writing comes from sox's format plugins (libsox-fmt-all).
for fmt in flac vorbis; do
  if ! sox -h 2>/dev/null | grep -A3 '^AUDIO FILE FORMATS' | grep -qw "$fmt"; then
    echo "make_real_media.sh: sox cannot write $fmt; install with: $apt_cmd" >&2
    exit 1
  fi
done

mkdir -p "$out/images" "$out/ppm" "$out/audio"
img=$out/images

# ImageMagick stores the creation time in PNG text/tIME chunks: leave them out.
png_det=(-define png:exclude-chunks=date,time +set date:create +set date:modify)

# ---- images -------------------------------------------------------------------------------
# "Photos": a seeded plasma fractal (smooth noise, like natural images), the built-in logo and
# rose, and gradients. JPEG quality 90, 4:2:0 chroma (libjpeg's default).
convert -size 640x480 -seed 1 plasma:fractal -quality 90 -interlace None "$img/plasma_640x480_baseline.jpg"
convert logo: -rotate 90 -quality 90 -interlace Plane "$img/logo_480x640_progressive.jpg"
convert -size 1920x1080 -seed 2 plasma:fractal -quality 85 "$img/plasma_1920x1080_baseline.jpg"
convert rose: -resize '50x50!' -colorspace Gray -quality 90 "$img/rose_50x50_gray.jpg"
convert -size 3000x200 -seed 3 plasma:fractal -colorspace CMYK -quality 90 "$img/plasma_3000x200_cmyk.jpg"

# EXIF orientation 6 ("rotate 90 cw to display"): ImageMagick 6 only rewrites the tag of an
# existing EXIF block (-orient alone writes nothing to a JPEG), so splice a minimal APP1 after
# SOI: "Exif\0\0", big-endian TIFF header, one IFD entry 0x0112 SHORT 1 = 6, no next IFD.
# The stored pixels are 640x480; displayed (and decoded) 480x640.
convert -size 640x480 -seed 4 plasma:fractal -quality 90 "$out/exif_body.jpg"
{
  head -c 2 "$out/exif_body.jpg"
  printf '\377\341\000\042'                        # APP1, length 34 = 2 + 32 payload bytes
  printf 'Exif\000\000MM\000*\000\000\000\010'      # TIFF header, IFD0 at offset 8
  printf '\000\001\001\022\000\003\000\000\000\001\000\006\000\000\000\000\000\000'
  tail -c +3 "$out/exif_body.jpg"
} > "$img/plasma_640x480_exif6.jpg"
rm -f "$out/exif_body.jpg"

convert logo: "${png_det[@]}" PNG24:"$img/logo_640x480_rgb8.png"
convert -size 480x640 gradient:red-blue -depth 16 "${png_det[@]}" PNG48:"$img/gradient_480x640_rgb16.png"
convert -size 1920x1080 -seed 5 plasma:fractal -dither None -colors 256 "${png_det[@]}" PNG8:"$img/plasma_1920x1080_palette.png"
# Gray + alpha (PNG colour type 4): a grey gradient whose opacity falls off radially.
convert -size 50x50 gradient:white-black \( -size 50x50 radial-gradient:white-black \) \
  -alpha off -compose CopyOpacity -composite -colorspace Gray \
  -define png:color-type=4 -define png:bit-depth=8 "${png_det[@]}" "$img/gradient_50x50_grayalpha.png"
# RGBA: plasma with a horizontal alpha ramp (fully transparent on the left).
convert -size 3000x200 -seed 6 plasma:fractal \( -size 200x3000 gradient:black-white -rotate 90 \) \
  -alpha off -compose CopyOpacity -composite "${png_det[@]}" PNG32:"$img/plasma_3000x200_rgba.png"

# The reference's decoder: ImageMagick to binary PPM, EXIF orientation applied, alpha
# composited on white (as the engine does). 16 bit, because ImageMagick 6's own reduction to
# 8 bit truncates (an alpha-blended 249.9 becomes 249), a bias of half a level over every
# blended area; the test rounds to nearest instead, as the engine and transformers do.
for f in "$img"/*; do
  name=$(basename "${f%.*}")
  convert "$f" -auto-orient -background white -alpha remove -alpha off -colorspace sRGB -depth 16 \
    "PPM:$out/ppm/$name.ppm"
done

# ---- speech -------------------------------------------------------------------------------
au=$out/audio
espeak-ng -v en-us -s 150 -p 50 -a 100 -w "$out/speech_raw.wav" \
  "The quick brown fox jumps over the lazy dog. A small computer reads this sentence aloud."
# A quiet 220 Hz hum under the speech: the audio embedder RMS-normalises every 640-sample frame
# (spec §4), so a silent frame (espeak-ng writes exact digital silence between words) turns its
# last-bit dither or resampler ringing into a unit-size, essentially random soft token, and
# files differing only in the resampler would disagree there. With the hum (RMS ~400 of 32768)
# every frame has a real signal and resampling differences stay relative to it.
seconds=$(soxi -D "$out/speech_raw.wav")
sox -R -n -r 22050 -c 1 -b 16 "$out/hum.wav" synth "$seconds" sine 220 vol 0.035
src=$au/speech_22050_mono_s16.wav
sox -R -m "$out/speech_raw.wav" "$out/hum.wav" "$src"
rm -f "$out/speech_raw.wav" "$out/hum.wav"
sox -R "$src" -r 16000 -c 1 -b 16 -e signed-integer "$au/speech_16k_mono_s16.wav"   # reference format
sox -R "$src" -r 44100 -c 2 -b 16 "$au/speech_44k1_stereo_s16.wav"
sox -R "$src" -r 48000 -c 1 -b 16 "$au/speech_48k_mono.flac"
sox -R "$src" -r 8000 -c 1 -b 16 "$au/speech_8k_mono_s16.wav"
sox -R "$src" -r 22050 -c 1 -C 3 "$au/speech_22050_mono.ogg"
sox -R "$src" -r 16000 -c 1 -e floating-point -b 32 "$au/speech_16k_mono_f32.wav"
# 16 kHz WAV companions (decoded and resampled by sox) of the two variants whose signal differs
# from the 16 kHz reference (8 kHz loses the upper band, Vorbis is lossy): the engine's result
# on each must match its companion's, i.e. only the decoder and resampler differ.
mkdir -p "$out/audio16k"
for f in speech_8k_mono_s16.wav speech_22050_mono.ogg; do
  sox -R "$au/$f" -r 16000 -c 1 -b 16 -e signed-integer "$out/audio16k/${f%.*}.wav"
done
echo "make_real_media.sh: wrote $(ls "$img" | wc -l) images, $(ls "$au" | wc -l) audio files to $out"
