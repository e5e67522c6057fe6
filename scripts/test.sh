#!/usr/bin/env bash
# Installs what is needed, makes the test models, builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# Debian's python3-torch lives in the system Python, whatever python3 is first on PATH.
/usr/bin/python3 Models/make_test_models.py
swift build --build-tests
swift test --skip-build
