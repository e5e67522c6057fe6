#!/usr/bin/env bash
# The device check: builds the bridge (Sources/CTorchBridge) and a small C driver over its C API
# with CMake against the local PyTorch's libtorch, exports DeepLabV3-ResNet50 and LRASPP
# (random weights, torchvision, nothing downloaded), runs them on CUDA at 520 short side for a
# 720p frame (520x924), batch 1/4/8, float32 and float16, compares the class maps with the same
# bridge's CPU path, and prints frames per second and the GPU's name. About 2-4 minutes.
#
# Needs: python3 with a CUDA PyTorch 2.x and torchvision, CMake, a C/C++ compiler, an NVIDIA GPU.
# No Swift, no FFmpeg.
#
#   scripts/gpu-check.sh            the check on cuda:0 (CUDA_VISIBLE_DEVICES picks another)
#   scripts/gpu-check.sh --cpu      float32 only, on the CPU, against Debian's libtorch-dev (or the
#                                   PyTorch found): LRASPP at a small size, the CPU taking the path
#                                   CUDA takes (gathered input, tensor-op argmax). CI runs this, so
#                                   the script itself is tested. Under a minute.
#   --keep                          keep the build folder (printed) instead of removing it
#   PYTHON=/path/to/python3         the Python whose torch to use (default: the first python3 on
#                                   PATH that imports torch, else /usr/bin/python3)
#
# Exit status: 0 all passed, 1 a comparison failed, 2 a build or run error.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
mode=gpu
keep=0
for argument in "$@"; do
    case "$argument" in
        --cpu) mode=cpu ;;
        --keep) keep=1 ;;
        -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "gpu-check: unknown option $argument (see --help)" >&2; exit 2 ;;
    esac
done

say() { echo "gpu-check: $*" >&2; }

python="${PYTHON:-}"
if [ -z "$python" ]; then
    for candidate in python3 /usr/bin/python3; do
        if command -v "$candidate" >/dev/null && "$candidate" -c 'import torch, torchvision' 2>/dev/null; then
            python="$candidate"
            break
        fi
    done
fi
[ -n "$python" ] || { say "no python3 with torch and torchvision (set PYTHON)"; exit 2; }
command -v cmake >/dev/null || { say "cmake is missing"; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/videoseg-gpu-check.XXXXXX")"
if [ "$keep" = 1 ]; then
    say "build folder: $work"
else
    trap 'rm -rf "$work"' EXIT
fi

# Which libtorch: the Python's own (a CUDA wheel's), or on --cpu Debian's libtorch-dev where its
# CMake config is installed (the libtorch the Swift package builds against), else the Python's.
debian_config=/usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake
if [ "$mode" = cpu ] && [ -f "$debian_config" ]; then
    prefix="$(dirname "$(dirname "$debian_config")")"
else
    prefix="$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
fi
"$python" - "$mode" <<'PY' >&2
import sys, torch
line = f"gpu-check: python torch {torch.__version__}, CUDA {torch.version.cuda or 'none'}"
if torch.cuda.is_available():
    line += f", {torch.cuda.device_count()} device(s), cuda:0 is {torch.cuda.get_device_name(0)}"
print(line)
if sys.argv[1] == "gpu" and not torch.cuda.is_available():
    print("gpu-check: this PyTorch sees no CUDA device; run with --cpu for the CPU check", file=sys.stderr)
    sys.exit(2)
PY

say "building the bridge and driver against $prefix"
started=$SECONDS
if ! cmake -S "$repo/scripts/gpu-check" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
        >"$work/cmake.log" 2>&1 \
    || ! cmake --build "$work/build" -j "$(nproc)" >>"$work/cmake.log" 2>&1; then
    tail -n 30 "$work/cmake.log" >&2
    say "build failed (log above)"
    exit 2
fi
say "built in $((SECONDS - started)) s"

driver="$work/build/gpu-check-driver"
status=0
run() {
    "$driver" "$@" || { code=$?; [ "$code" = 1 ] && status=1 || exit "$code"; }
}

if [ "$mode" = cpu ]; then
    "$python" "$repo/scripts/gpu-check/export_models.py" "$work/models" lraspp_mobilenet_v3_large
    # 4 frames at 96x171 through the CPU's own path (reference) and the path CUDA takes, batch 1
    # and 4 (and 3, whose second batch is partial).
    run --model "$work/models/lraspp_mobilenet_v3_large.pt" --name lraspp_mobilenet_v3_large --device cpu --size 96x171 \
        --batches 1,3,4 --precisions float32 --reference-frames 4 --seconds 0.3 --tensor-path
else
    "$python" "$repo/scripts/gpu-check/export_models.py" "$work/models" deeplabv3_resnet50 lraspp_mobilenet_v3_large
    # float32 on CUDA uses TF32 in cuDNN's convolutions (libtorch's default), so its scores move
    # by ~1e-3 relative: near-ties are taken as 1e-2 of the best score there. The CPU reference
    # is slow for DeepLabV3 (about a second a frame on 16 cores at this size): one frame.
    run --model "$work/models/deeplabv3_resnet50.pt" --name deeplabv3_resnet50 --device cuda:0 --size 520x924 \
        --batches 1,4,8 --precisions float32,float16 --reference-frames 1 --seconds 3 --tie-tolerance 1e-2
    run --model "$work/models/lraspp_mobilenet_v3_large.pt" --name lraspp_mobilenet_v3_large --device cuda:0 --size 520x924 \
        --batches 1,4,8 --precisions float32,float16 --reference-frames 2 --seconds 2 --tie-tolerance 1e-2
fi
say "$([ "$status" = 0 ] && echo "all passed" || echo "a comparison FAILED") in $SECONDS s"
exit "$status"
