#!/usr/bin/env bash
# Set-up, then a real compose: the fixture RPMs of images/fixtures built with rpmbuild and
# served by createrepo_c, installed on a busybox base root, committed into an OSTree repo.
# Usage: scripts/demo-compose.sh [STATE_DIR]   (default: $XDG_CACHE_HOME/harness or ~/.cache/harness)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

state="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/harness}"
demo="$state/demo"
mkdir -p "$demo/rpms" "$demo/base/usr/bin" "$demo/base/etc"

echo "Building the fixture RPMs into $demo/rpms" >&2
rpmbuild -bb --quiet --define "_topdir $demo/rpmbuild" --define "_dbpath $demo/rpmbuild/db" \
    --define "_rpmdir $demo/rpms" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    images/fixtures/fixture-{base-files,lib,app-2.0,post}.spec 2>&1 | grep -v -i alien >&2 || true
createrepo_c --quiet "$demo/rpms"

echo "Making a busybox base root" >&2
cp /bin/busybox "$demo/base/usr/bin/busybox"
for applet in sh mkdir cat echo cp mv rm ln chmod chown touch ls test true false; do
    ln -sf busybox "$demo/base/usr/bin/$applet"
done
ln -sfn usr/bin "$demo/base/bin"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$demo/base/etc/passwd"
printf 'root:x:0:\n' >"$demo/base/etc/group"
printf 'ID=demo\nVERSION_ID=1\nNAME="Demo OS"\n' >"$demo/base/etc/os-release"
tar -C "$demo/base" --owner=0 --group=0 --numeric-owner -czf "$demo/base.tar.gz" .

cat >"$demo/demo.repo" <<REPO
[demo]
name=harness demo fixtures
baseurl=file://$demo/rpms
gpgcheck=0
REPO
cat >"$demo/treefile.yaml" <<TREEFILE
ref: demo/x86_64/fixtures
base: base.tar.gz
repos: [demo]
packages: [fixture-app, fixture-post, fixture-base-files]
automatic-version-prefix: "1"
TREEFILE

swift build -c release --product harness
.build/release/harness compose tree --state-dir "$state" --write-composejson-to "$demo/compose.json" "$demo/treefile.yaml"
echo "Commit written to $state/repo; details in $demo/compose.json" >&2
