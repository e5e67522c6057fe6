#!/usr/bin/env bash
# Makes the Ray driver's virtual environment, .venv-ray at the repository root: Ray from PyPI,
# pytest, and videoseg-ray (Distributed/ray). Run it on every node of a cluster (after the
# project's own setup, which builds videoseg), or bake both into a container image.
#
# Exit codes: 0 ready; 3 Ray could not be installed here (no venv module, no network, no wheel
# for this Python), the reason on the last line of stderr; anything else: a real failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The Ray release the tests last passed with; VIDEOSEG_RAY_VERSION= (empty) takes the newest.
RAY_VERSION="${VIDEOSEG_RAY_VERSION-2.60.0}"
VENV="${VIDEOSEG_RAY_VENV:-.venv-ray}"
PYTHON="${PYTHON:-python3}"

cannot() {
    echo "Ray could not be installed: $*" >&2
    exit 3
}

if [ ! -x "$VENV/bin/python" ]; then
    # Debian splits venv and ensurepip out of python3: install them where we may.
    if ! "$PYTHON" -c "import ensurepip, venv" 2>/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        { apt-get update -qq && apt-get install -y -q python3-venv; } >/dev/null 2>&1 || true
    fi
    "$PYTHON" -m venv "$VENV" || cannot "'$PYTHON -m venv' failed"
fi

ray_spec="ray${RAY_VERSION:+==$RAY_VERSION}"
# Download only what the venv lacks (a rerun, a CI machine kept as it was, needs nothing).
wanted=()
"$VENV/bin/python" -c "import ray, sys; sys.exit(0 if '$RAY_VERSION' in ('', ray.__version__) else 1)" 2>/dev/null ||
    wanted+=("$ray_spec")
"$VENV/bin/python" -c "import pytest" 2>/dev/null || wanted+=(pytest)
if [ ${#wanted[@]} -gt 0 ]; then
    "$VENV/bin/pip" install -q "${wanted[@]}" || cannot "'pip install ${wanted[*]}' failed (see above)"
fi
"$VENV/bin/pip" install -q --no-deps --force-reinstall ./Distributed/ray
"$VENV/bin/python" -c "import ray.cluster_utils, videoseg_ray.cli" || cannot "ray.cluster_utils does not import"
echo "videoseg-ray is ready: $VENV/bin/videoseg-ray (Ray $("$VENV/bin/python" -c 'import ray; print(ray.__version__)'))"
