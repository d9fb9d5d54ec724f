#!/usr/bin/env bash
# Set-up, then every test (fast tests; boot tests join them as they arrive).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build
