#!/usr/bin/env bash
# Batch against a shell loop, in one run: 20 clips of 2 s at 720p (cut from the sample), the
# default model. Prints seconds for the loop of `videoseg segment`, `batch --jobs 1` and
# `batch --jobs 2`, and batch's overhead per video (its time per video minus the frames' share
# at the loop's own fps).
# usage: Benchmarks/batch.sh [path/to/videoseg]
set -euo pipefail
cd "$(dirname "$0")/.."
videoseg=${1:-.build/release/videoseg}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/clips"
for i in $(seq -w 0 19); do
  ffmpeg -v error -ss "$(( (10#$i % 4) * 2 ))" -t 2 -i Samples/sample.mp4 -c copy "$work/clips/clip$i.mp4"
done
start=$(date +%s.%N)
for f in "$work"/clips/*.mp4; do "$videoseg" segment "$f" -o "$work/loop-$(basename "$f")" -q; done
loop=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N); "$videoseg" batch "$work/clips" --output-dir "$work/b1" --jobs 1 -q; jobs1=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N); "$videoseg" batch "$work/clips" --output-dir "$work/b2" --jobs 2 -q; jobs2=$(echo "$(date +%s.%N) - $start" | bc)
python3 - "$loop" "$jobs1" "$jobs2" "$work/b1/batch-report.jsonl" <<'PY'
import json, sys
loop, jobs1, jobs2 = map(float, sys.argv[1:4])
report = [json.loads(line) for line in open(sys.argv[4])]
frames = sum(r["frames"] for r in report)
busy = sum(r["seconds"] for r in report)  # each video's pipeline, first frame to finalised file
print(f"20 clips, {frames} frames: shell loop {loop:.1f} s, batch --jobs 1 {jobs1:.1f} s, --jobs 2 {jobs2:.1f} s")
print(f"batch --jobs 1 overhead per video: {(jobs1 - busy) / len(report):.3f} s (pipeline {frames / busy:.1f} fps)")
print(f"speed-up over the loop: --jobs 1 {loop / jobs1:.2f}x, --jobs 2 {loop / jobs2:.2f}x")
PY
