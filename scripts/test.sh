#!/usr/bin/env bash
# Set-up, then every test: the fast tests and the boot tests (swift test), then the
# scenarios CI gates on, run by harness on the default image (reports and artifacts in
# harness-output/ci: junit.xml, results.tap, report.html, one directory per test).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build
# power-cut runs one trial of each kind here; its soak (dozens of trials) is benchmarks/power-cut.
# One machine at a time: on 2 cores under TCG two guests take as long as one after the other
# (benchmarks/RESULTS.md, Scenarios), and a guest starved of its vCPU for 20 s reports a soft
# lockup, which fails the console check.
# libvirt's warnings about custom guest-agent commands and device-mapper are noise here.
export LIBVIRT_LOG_OUTPUTS=${LIBVIRT_LOG_OUTPUTS:-4:stderr}
.build/debug/harness run --state-dir "${HARNESS_BOOT_TEST_STATE:-/var/tmp/harness-boot-tests}" \
    --output harness-output/ci --param trials=1 \
    upgrade-rollback layering override-replace power-cut 'ext.harness.*'
