#!/bin/bash
set -euo pipefail
state=$(systemctl is-system-running --wait || true)
failed=$(systemctl list-units --failed --plain --no-legend --no-pager)
if [ "$state" != running ] || [ -n "$failed" ]; then
    echo "system is $state; failed units:" >&2
    echo "$failed" >&2
    exit 1
fi
echo "no failed units; system $state"
