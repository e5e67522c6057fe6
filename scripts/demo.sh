#!/usr/bin/env bash
# Installs what is needed, builds videoseg (release), and segments the bundled sample.
# Until a trained default model is bundled, the model is the random-weight LRASPP made by
# Models/make_test_models.py: the overlay shows the pipeline working, not real classes.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
/usr/bin/python3 Models/make_test_models.py --only lraspp_mobilenet_v3_large
swift build -c release --product videoseg
.build/release/videoseg segment Samples/sample.mp4 -o sample.segmented.mp4 --overwrite \
  --model Models/.cache/lraspp_mobilenet_v3_large.pt "$@"
