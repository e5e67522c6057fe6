#!/usr/bin/env bash
# Whole-process figures, as a user sees them, alternating the commands in each round so the
# machine's drift hits them alike (issue 13): start-up (`--max-frames 1`), the full run on the
# sample against FFmpeg's own transcode of it, and, when a second videoseg is given, the same for
# it (e.g. an earlier build). Prints each round, then medians.
# usage: Benchmarks/whole-process.sh [rounds] [path/to/videoseg] [path/to/other/videoseg]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
videoseg=${2:-.build/release/videoseg}
other=${3:-}
input=Samples/sample.mp4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seconds() { local start; start=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $start" | bc; }
# The first run of a model on this machine measures its graph choice: not what a second run pays.
"$videoseg" segment "$input" -o "$work/warm.mp4" --max-frames 1 -q
[ -n "$other" ] && "$other" segment "$input" -o "$work/warm2.mp4" --max-frames 1 -q
printf "%-6s %10s %10s %10s %10s %10s %10s\n" round start-up full ffmpeg ratio other-start other-full
for round in $(seq 1 "$rounds"); do
  startup=$(seconds "$videoseg" segment "$input" -o "$work/one.mp4" --overwrite --max-frames 1 -q)
  full=$(seconds "$videoseg" segment "$input" -o "$work/full.mp4" --overwrite -q)
  transcode=$(seconds ffmpeg -nostdin -y -i "$input" -c:v libx264 -preset veryfast -c:a copy "$work/ffmpeg.mp4")
  ostart=-; ofull=-
  if [ -n "$other" ]; then
    ostart=$(seconds "$other" segment "$input" -o "$work/one2.mp4" --overwrite --max-frames 1 -q)
    ofull=$(seconds "$other" segment "$input" -o "$work/full2.mp4" --overwrite -q)
  fi
  ratio=$(echo "scale=2; $full / $transcode" | bc)
  printf "%-6s %10.2f %10.2f %10.2f %10.2f %10s %10s\n" "$round" "$startup" "$full" "$transcode" "$ratio" "$ostart" "$ofull"
done | tee "$work/rounds.txt"
python3 - "$work/rounds.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def median(column):
    values = [float(r[column]) for r in rows if r[column] != "-"]
    return f"{statistics.median(values):.2f}" if values else "-"
print(f"median: start-up {median(1)} s, full run {median(2)} s, ffmpeg {median(3)} s, ratio {median(4)}x, "
      f"other build start-up {median(5)} s, full run {median(6)} s")
PY
