#!/usr/bin/env bash
# run.sh: how often a power cut after an upgrade leaves a machine booting neither deployment,
# with plain `ostree admin upgrade` (Debian's ostree 2022.7 alone) and with `treectl upgrade`.
#
# Runs the scenario power-cut-after-swap (one trial: boot the default image, deliver the next
# commit, start the upgrade, cut the power within 40 s after /boot/loader changed, read the
# disk from the host as the bootloader does, power on, check the booted deployment) as
# `harness run --multiply N --client CLIENT`, once per client, in one run. A trial "boots neither" when the
# host-side read finds the default entry's ostree= path missing, or the power-on fails at
# the boot; other failures are counted apart. Writes the "Power cuts" section of
# benchmarks/RESULTS.md and power-cut/results.json.
#
# Environment: BENCH_STATE_DIR (default /var/tmp/harness-boot-tests); BENCH_BASELINE_TRIALS
# (default 20) and BENCH_TREECTL_TRIALS (default 40); BENCH_CLIENTS (default "baseline
# treectl"): the clients to run now, the others' figures read from their last run in the
# output directory. About 3 minutes a trial under TCG.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

readonly STATE_DIR=$SHARED_STATE_DIR
readonly OUTPUT_DIR=${BENCH_OUTPUT_DIR:-$PROJECT_DIR/harness-output/power-cut-bench}
readonly BASELINE_TRIALS=${BENCH_BASELINE_TRIALS:-20}
readonly TREECTL_TRIALS=${BENCH_TREECTL_TRIALS:-40}
readonly HARNESS="$DEBUG_BIN/harness"

read -r -a CLIENTS <<<"${BENCH_CLIENTS:-baseline treectl}"
readonly CLIENTS
# (Not SECONDS: bash's own seconds counter.)
declare -A TRIALS PASSED NEITHER OTHER ELAPSED

# Runs the trials for one client, unless it is not among CLIENTS (its last run's results are
# read then); fills the counts and the time from the run's results.json.
run_client() {
    local name=$1 trials=$2 client=$3 output=$OUTPUT_DIR/$1
    if [[ " ${CLIENTS[*]} " == *" $name "* ]]; then
        log "$name: $trials trials of power-cut-after-swap with the $client client"
        rm -rf "$output"
        LIBVIRT_LOG_OUTPUTS=4:stderr "$HARNESS" run --state-dir "$STATE_DIR" --output "$output" --multiply "$trials" \
            --client "$client" power-cut-after-swap >"$OUTPUT_DIR/$name.log" 2>&1 || true
    else
        log "$name: the figures of its last run ($output)"
    fi
    [[ -f $output/results.json ]] || { tail -n 30 "$OUTPUT_DIR/$name.log" >&2; exit 1; }
    read -r TRIALS[$name] PASSED[$name] NEITHER[$name] OTHER[$name] ELAPSED[$name] < <(python3 - "$output/results.json" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))
tests = run["tests"]
neither = [t for t in tests if t["status"] == "failed" and (
    "does not exist on the root filesystem" in (t.get("failure") or "")
    or any(s["title"] == "power on" and not s["passed"] for s in t.get("steps", [])))]
passed = [t for t in tests if t["status"] == "passed"]
print(len(tests), len(passed), len(neither), len(tests) - len(passed) - len(neither), round(run["duration"]))
EOF
    )
    log "$name: ${PASSED[$name]} passed, ${NEITHER[$name]} booted neither, ${OTHER[$name]} failed otherwise"
}

results_section() {
    echo "## Power cuts"
    echo
    echo "Written by \`benchmarks/power-cut/run.sh\` on $(date -u '+%Y-%m-%d %H:%M') UTC; raw numbers in \`power-cut/results.json\`, reports in \`$(basename "$OUTPUT_DIR")\`."
    echo
    echo "- Machine: $(nproc) cores ($(machine_cpu)), $(machine_memory_gib) GiB memory, no KVM (QEMU under TCG); load average before $LOAD_BEFORE, after $(load_average)."
    echo "- harness: $(harness_revision), debug build; the default image, upgraded to \`scenarios/treefiles/next.yaml\`."
    echo "- Each trial (\`harness run power-cut-after-swap --multiply N\`): a fresh machine, the upgrade started, the power cut at a"
    echo "  random moment within 40 s after \`/boot/loader\` changed, the disk read from the host as the bootloader reads it, power on."
    echo
    echo "| client | trials | came up in the old or new deployment | booted neither | failed otherwise | time (s) |"
    echo "| --- | --- | --- | --- | --- | --- |"
    echo "| \`ostree admin upgrade\` (ostree 2022.7 alone) | ${TRIALS[baseline]} | ${PASSED[baseline]} | ${NEITHER[baseline]} | ${OTHER[baseline]} | ${ELAPSED[baseline]} |"
    echo "| \`treectl upgrade\` (freeze and thaw /boot after the swap) | ${TRIALS[treectl]} | ${PASSED[treectl]} | ${NEITHER[treectl]} | ${OTHER[treectl]} | ${ELAPSED[treectl]} |"
}

write_json() {
    {
        echo "{"
        echo "  \"revision\": \"$(harness_revision)\","
        echo "  \"baseline\": {\"trials\": ${TRIALS[baseline]}, \"passed\": ${PASSED[baseline]}, \"neither\": ${NEITHER[baseline]}, \"other\": ${OTHER[baseline]}, \"seconds\": ${ELAPSED[baseline]}},"
        echo "  \"treectl\": {\"trials\": ${TRIALS[treectl]}, \"passed\": ${PASSED[treectl]}, \"neither\": ${NEITHER[treectl]}, \"other\": ${OTHER[treectl]}, \"seconds\": ${ELAPSED[treectl]}}"
        echo "}"
    } >"$RESULTS_JSON"
}

main() {
    mkdir -p "$OUTPUT_DIR"
    LOAD_BEFORE=$(load_average)
    (cd "$PROJECT_DIR" && swift build --product harness >&2)
    run_client baseline "$BASELINE_TRIALS" ostree
    run_client treectl "$TREECTL_TRIALS" treectl
    write_results_section "Power cuts" results_section
    write_json
    show_results_section "Power cuts"
}

main "$@"
