#!/usr/bin/env bash
# Set-up, then every test: the fast tests and the boot tests (swift test), then the
# scenarios CI gates on, run by harness on the default image (reports and artifacts in
# harness-output/ci: junit.xml, results.tap, report.html, one directory per test).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
state=${HARNESS_BOOT_TEST_STATE:-/var/tmp/harness-boot-tests}
# The OS harness did not compose (AnyOSBootTests) is debootstrapped beside the Swift build; the
# tests wait for it (build-cached.sh takes a lock) instead of building it on the boot tests' path.
mkdir -p harness-output
images/fixtures/plain-debian/build-cached.sh "$state" >/dev/null 2>harness-output/plain-debian-build.log &
swift build --build-tests
swift test --skip-build
# What CI runs of the scenarios, to stay within its hour under TCG (boots take a minute or
# more each): the default image's own scenarios over the guest agent, and of the power cuts the
# one that matters, within 40 s after the boot entries swapped (power-cut-after-swap;
# power-cut's soak, dozens of trials of both kinds, is benchmarks/power-cut), and the live
# installer onto a blank disk, booted and upgraded (install-from-iso), and an update published
# and fetched over HTTP through a static delta (upgrade-over-http). SSH and plain
# `ostree admin` boot in swift test, on an OS harness did not compose (AnyOSBootTests);
# upgrade-rollback, kargs and power-cut on it, and the default image over SSH, run in
# benchmarks/any-os. One machine at a time: on 2 cores under TCG two guests take as long as one
# after the other (benchmarks/RESULTS.md, Scenarios), and a guest starved of its vCPU for 20 s
# reports a soft lockup, which fails the console check.
.build/debug/harness run --state-dir "$state" --output harness-output/ci \
    layering override-replace power-cut-after-swap install-from-iso upgrade-over-http 'ext.harness.*'
