#!/usr/bin/env bash
# Installs every Debian package that building, testing and the Models/ scripts need.
# Quick when they are already present: apt is only touched if something is missing.
set -euo pipefail

PACKAGES=(
  pkg-config gcc libc6-dev
  cmake make g++            # scripts/gpu-check.sh --cpu builds the bridge with CMake
  libtorch-dev
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libavdevice-dev libswresample-dev
  ffmpeg
  python3 python3-torch python3-torchvision python3-numpy python3-av
  curl chromium      # the preview page tests: HTTP clients and a real (headless) browser
)

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
