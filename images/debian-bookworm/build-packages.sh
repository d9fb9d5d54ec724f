#!/usr/bin/env bash
# The RPMs the default image installs on its Debian base, as an rpm-md repository in the
# directory given as the only argument: treectl (a release build of this package with the
# Swift runtime linked statically, so the guest needs no Swift toolchain) and the test
# fixture packages of images/fixtures.
#
# `harness compose tree` runs this for the `local-repos:` entry of the treefile, every time,
# into the same directory: the Swift build and rpmbuild are incremental enough to be cheap
# when nothing changed, and the repository's checksums tell the compose what did.
set -euo pipefail

output=${1:?usage: build-packages.sh OUTPUT_DIRECTORY}
here=$(cd "$(dirname "$0")" && pwd)
package_root=$(cd "$here/../.." && pwd)

echo "== treectl (release, static Swift runtime)" >&2
swift build --package-path "$package_root" --scratch-path "$package_root/.build-image" -c release --static-swift-stdlib --product treectl >&2
binary=$(swift build --package-path "$package_root" --scratch-path "$package_root/.build-image" -c release --static-swift-stdlib --show-bin-path)/treectl

version=$(git -C "$package_root" describe --always --dirty 2>/dev/null | tr -c 'A-Za-z0-9.\n' '.' || echo 0)

echo "== rpmbuild" >&2
# shellcheck source=../rpm-repository.sh
source "$here/../rpm-repository.sh"
build_rpm_repository "$output" --define "_binary_payload w3.zstdio" \
    --define "treectl_binary $binary" --define "treectl_version 0.1" --define "treectl_release 1.git${version}" \
    "$here/treectl.spec" "$package_root"/images/fixtures/fixture-{base-files,lib,app-1.0,app-2.0,post}.spec
