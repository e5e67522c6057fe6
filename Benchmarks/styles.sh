#!/usr/bin/env bash
# Frames per second of the full run for each style on the 720p sample (issue 11: what blur and
# replace cost against blend), the styles alternating in each round. Prints each run's fps and
# CPU milliseconds per frame, then the medians and each style's fps cost against blend.
# usage: Benchmarks/styles.sh [rounds] [path/to/videoseg]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
videoseg=${2:-.build/release/videoseg}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
styles=(blend blur pixelate replace)
for round in $(seq 1 "$rounds"); do
  for style in "${styles[@]}"; do
    extra=()
    [ "$style" = replace ] && extra=(--background '#00B140')
    "$videoseg" segment Samples/sample.mp4 -o "$work/$style.mp4" --overwrite -q --style "$style" "${extra[@]}" \
      --stats-json "$work/$style-$round.json"
  done
done
python3 - "$work" "$rounds" "${styles[@]}" <<'PY'
import json, statistics, sys
work, rounds, styles = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
fps = {}
for style in styles:
    runs = [json.load(open(f"{work}/{style}-{r}.json")) for r in range(1, rounds + 1)]
    fps[style] = statistics.median(r["fps"] for r in runs)
    cpu = statistics.median(r["run_cpu_seconds"] * 1000 / r["frames"] for r in runs)
    each = " ".join("%.1f" % r["fps"] for r in runs)
    print(f"{style:9s} fps {each}  median {fps[style]:.1f}  CPU {cpu:.1f} ms/frame")
for style in styles[1:]:
    print(f"{style}: {100 * (1 - fps[style] / fps['blend']):.1f}% fewer fps than blend")
PY
