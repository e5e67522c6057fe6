#!/usr/bin/env bash
# Installs the Debian packages that building, `videoseg bench` and the Models/ scripts need;
# with --tests, also what only the test suite uses (a browser is a large download that a user
# who wants to segment a video does not need).
# Quick when they are already present: apt is only touched if something is missing.
# usage: scripts/setup.sh [--tests]
set -euo pipefail

PACKAGES=(
  pkg-config gcc libc6-dev
  libtorch-dev
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libavdevice-dev libswresample-dev
  ffmpeg
  python3 python3-torch python3-torchvision python3-numpy python3-av
)
case "${1:-}" in
  --tests)
    PACKAGES+=(
      cmake make g++      # scripts/gpu-check.sh --cpu builds the bridge with CMake
      curl chromium       # the preview page tests: HTTP clients and a real (headless) browser
      python3-websocket   # ... which a test drives over the DevTools protocol to click on the picture
      python3-skimage python3-scipy python-matplotlib-data  # the matting benchmark's pictures and metrics
    )
    ;;
  "") ;;
  *) echo "usage: scripts/setup.sh [--tests]" >&2; exit 64 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
