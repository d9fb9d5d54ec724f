#!/usr/bin/env bash
# Set-up, then the main job: compose the default image, build a bootable disk of it, boot it
# and show its deployment and packages.
# Usage: scripts/default-image.sh [STATE_DIR]   (default: $XDG_CACHE_HOME/harness or ~/.cache/harness)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

state="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/harness}"
swift build --product harness
harness=.build/debug/harness

"$harness" compose tree --state-dir "$state" images/debian-bookworm/treefile.yaml
"$harness" image build --state-dir "$state" --ref harness/x86_64/debian-bookworm -o "$state/default.qcow2"
"$harness" spawn --state-dir "$state" "$state/default.qcow2" --console "$state/default-console.txt" \
    --exec 'ostree admin status' --exec 'rpm -q treectl' --exec 'rpm -qa'
