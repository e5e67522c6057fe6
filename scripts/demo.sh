#!/usr/bin/env bash
# Installs what is needed, builds videoseg (release) and segments the bundled sample with the
# bundled default model (MediaPipe's person segmentation): people are tinted, the rest is not.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
swift build -c release --product videoseg
.build/release/videoseg segment Samples/sample.mp4 -o sample.segmented.mp4 --overwrite "$@"
