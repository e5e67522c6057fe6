#!/usr/bin/env bash
# Installs what is needed, makes the test models, builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --tests
# Debian's python3-torch lives in the system Python, whatever python3 is first on PATH.
/usr/bin/python3 Models/make_test_models.py
swift build --build-tests
# The tests' runs keep their measured graph choices here, not in the user's ~/.cache.
VIDEOSEG_CACHE_DIR="$(mktemp -d)"
export VIDEOSEG_CACHE_DIR
trap 'rm -rf "$VIDEOSEG_CACHE_DIR"' EXIT
swift test --skip-build

# The Ray driver (Distributed/ray): its venv (Ray from PyPI), then its tests on a local cluster.
# setup.sh exits 3 only where Ray itself cannot be installed: then say so and go on.
setup_log="$(mktemp)"
ray_setup=0
bash Distributed/ray/setup.sh 2>"$setup_log" || ray_setup=$?
cat "$setup_log" >&2
if [ "$ray_setup" = 3 ]; then
    echo "skipped: $(tail -n 1 "$setup_log")"
elif [ "$ray_setup" != 0 ]; then
    exit "$ray_setup"
else
    "${VIDEOSEG_RAY_VENV:-.venv-ray}/bin/python" -m pytest -p no:cacheprovider Distributed/ray/tests
fi
rm -f "$setup_log"
