#!/usr/bin/env bash
# The live outputs' cost: processed fps and latency of `videoseg camera` on the fake camera
# (Tests/Support/fakev4l2) playing a photo at 30 fps, default model, with nothing but a recording,
# with the virtual camera, and with 1 and 5 clients on the preview's MJPEG stream; then the time
# from SIGINT to exit with 5 viewers connected. Configurations alternate, ROUNDS times, so drift
# on a shared machine spreads over all of them. Prints a Markdown table.
#
#   bash Benchmarks/live_figures.sh [BINARY] [SECONDS] [ROUNDS]     (default: release build, 10 s, 2)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$ROOT/.build/release/videoseg}"
SECONDS_PER_RUN="${2:-10}"
ROUNDS="${3:-2}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
LIB="$(bash "$ROOT/Tests/Support/fakev4l2/build.sh" "$WORK/lib")"
ffmpeg -hide_banner -loglevel error -y -ss 3 -i "$ROOT/Samples/sample.mp4" -frames:v 1 -c:v ppm "$WORK/person.ppm"

# run SIZE CONFIG ROUND: one camera run; appends "size config fps latency_ms captured_fps live_ms" to results, where
# live_ms is the busy time of the live output's own thread (JPEG conversion + encoding, or the device write) per frame.
run() {
    local size="$1" config="$2" round="$3" port clients=0 extra=()
    local stats="$WORK/stats-$size-$config-$round.json" err="$WORK/err-$size-$config-$round.txt"
    case "$config" in
        record) ;;
        virtual-camera) extra=(--virtual-camera /dev/video-fake-out) ;;
        preview-1) extra=(--preview 0); clients=1 ;;
        preview-5) extra=(--preview 0); clients=5 ;;
    esac
    LD_PRELOAD="$LIB" FAKE_V4L2_SIZE="$size" FAKE_V4L2_PICTURE="$WORK/person.ppm" \
        "$BIN" camera /dev/video-fake -o "$WORK/rec.mp4" --overwrite --threads 1 --duration "$SECONDS_PER_RUN" \
        --stats-json "$stats" "${extra[@]}" >/dev/null 2>"$err" &
    local pid=$!
    if ((clients > 0)); then
        for _ in $(seq 100); do grep -qs "preview: http" "$err" && break; sleep 0.1; done
        port="$(grep -o 'preview: http://127.0.0.1:[0-9]*' "$err" | sed 's/.*://')"
        for i in $(seq "$clients"); do curl -s -N -m $((SECONDS_PER_RUN + 30)) -o /dev/null "http://127.0.0.1:$port/stream.mjpg" & done
    fi
    wait "$pid"
    /usr/bin/python3 - "$stats" "$size" "$config" >>"$WORK/results" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
live = s["stage_seconds"].get("preview", 0) + s["stage_seconds"].get("virtual-camera", 0)
frames = s["frames_processed"]
print(sys.argv[2], sys.argv[3], frames / s["seconds"], (s["latency_mean_seconds"] or 0) * 1000, s["frames_captured"] / s["seconds"],
      live * 1000 / frames)
PY
}

for size in 640x480 1280x720; do
    for round in $(seq "$ROUNDS"); do
        for config in record virtual-camera preview-1 preview-5; do run "$size" "$config" "$round"; done
    done
done

echo "| size | outputs | processed fps | latency mean | captured fps | live output ms / processed frame |"
echo "|---|---|---|---|---|---|"
/usr/bin/python3 - "$WORK/results" <<'PY'
import sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    size, config, fps, latency, captured, jpeg = line.split()
    rows[(size, config)].append((float(fps), float(latency), float(captured), float(jpeg)))
names = {"record": "recording", "virtual-camera": "recording + virtual camera",
         "preview-1": "recording + preview, 1 viewer", "preview-5": "recording + preview, 5 viewers"}
for (size, config), values in rows.items():
    mean = [sum(v[i] for v in values) / len(values) for i in range(4)]
    print(f"| {size} | {names[config]} | {mean[0]:.1f} | {mean[1]:.0f} ms | {mean[2]:.1f} | {mean[3]:.1f} |")
PY

# SIGINT with 5 viewers connected: seconds until the process has exited.
for size in 640x480 1280x720; do
    err="$WORK/stop-$size.txt"
    LD_PRELOAD="$LIB" FAKE_V4L2_SIZE="$size" FAKE_V4L2_PICTURE="$WORK/person.ppm" \
        "$BIN" camera /dev/video-fake -o "$WORK/stop.mp4" --overwrite --threads 1 --preview 0 >/dev/null 2>"$err" &
    pid=$!
    for _ in $(seq 100); do grep -qs "preview: http" "$err" && break; sleep 0.1; done
    port="$(grep -o 'preview: http://127.0.0.1:[0-9]*' "$err" | sed 's/.*://')"
    for i in 1 2 3 4 5; do curl -s -N -m 60 -o /dev/null "http://127.0.0.1:$port/stream.mjpg" & done
    sleep 4
    start=$(date +%s.%N)
    kill -INT "$pid"
    wait "$pid" || true
    end=$(date +%s.%N)
    frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$WORK/stop.mp4")
    echo "SIGINT → exit at $size with 5 viewers: $(echo "$end - $start" | bc) s; recording plays, $frames frames"
done
wait
