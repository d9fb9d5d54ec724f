#!/usr/bin/env bash
# Installs harness and treectl (release builds) into PREFIX/bin, and what `harness run` reads
# (scenarios/, kola-like/, images/) into PREFIX/share/harness, where an installed harness finds
# them from any directory. The default image is composed from this checkout's sources
# (treectl's RPM is built from them), so an installed harness runs a team's own commits
# (`harness run --repo`); the default image needs a checkout.
#
#   scripts/install.sh [PREFIX]    (default /usr/local)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}

swift build -c release --product harness >&2
swift build -c release --product treectl >&2
bin=$(swift build -c release --show-bin-path)
install -d "$prefix/bin" "$prefix/share/harness"
install -m 0755 "$bin/harness" "$bin/treectl" "$prefix/bin/"
rm -rf "$prefix/share/harness/scenarios" "$prefix/share/harness/kola-like" "$prefix/share/harness/images"
cp -r scenarios kola-like images "$prefix/share/harness/"
echo "Installed $prefix/bin/harness, $prefix/bin/treectl and $prefix/share/harness" >&2
