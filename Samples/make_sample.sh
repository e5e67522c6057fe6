#!/usr/bin/env bash
# Makes Samples/sample.mp4: a 10-second 1280x720 clip with people in it and an audio track,
# from public-domain photos that Debian packages ship (NASA's portrait of astronaut Eileen
# Collins, from python3-skimage; the U.S. Navy portrait of Grace Hopper, from
# python-matplotlib-data), with camera motion from ffmpeg's zoompan and a generated tone.
# The committed sample was made with this script; run it again only to change the sample.
set -euo pipefail
cd "$(dirname "$0")"

ASTRONAUT=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
HOPPER=/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg
if [ ! -f "$ASTRONAUT" ] || [ ! -f "$HOPPER" ]; then
  echo "make_sample: needs python3-skimage and python-matplotlib-data (apt-get install them)" >&2
  exit 1
fi

FPS=25
SECONDS_EACH=5
FRAMES=$((FPS * SECONDS_EACH))
# Fit each photo into 720 lines on a grey 16:9 canvas, then zoom in slowly towards its centre.
shot='scale=-2:720,pad=1280:720:(ow-iw)/2:0:color=0x404040,setsar=1,'
shot+="zoompan=z='min(zoom+0.0012,1.15)':d=${FRAMES}:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s=1280x720:fps=${FPS}"

ffmpeg -hide_banner -loglevel error -y \
  -loop 1 -t 1 -i "$ASTRONAUT" \
  -loop 1 -t 1 -i "$HOPPER" \
  -f lavfi -t $((2 * SECONDS_EACH)) -i "sine=frequency=220:sample_rate=48000" \
  -f lavfi -t $((2 * SECONDS_EACH)) -i "anoisesrc=color=pink:amplitude=0.05:sample_rate=48000" \
  -filter_complex "[0:v]format=yuv420p,${shot},trim=end_frame=${FRAMES}[a];[1:v]format=yuv420p,${shot},trim=end_frame=${FRAMES}[b];[a][b]concat=n=2:v=1:a=0,format=yuv420p[v];[2:a][3:a]amix=inputs=2,volume=0.5[aud]" \
  -map "[v]" -map "[aud]" -c:v libx264 -preset slow -crf 30 -pix_fmt yuv420p -c:a aac -b:a 64k -movflags +faststart \
  sample.mp4
ls -l sample.mp4
