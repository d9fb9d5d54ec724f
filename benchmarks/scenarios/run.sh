#!/usr/bin/env bash
# run.sh: the scenarios benchmark.
#
# Runs scenarios with `harness run` on the default image twice, one machine at a time and then
# with --parallel 2, and reports each scenario's time, its boots and the share of its time
# spent booting (power-on or reboot until the guest agent answers), and the wall time of the
# whole selection serial against parallel. The floor beside each scenario is its number of
# boots times a bare QEMU boot of the same kernel and initramfs, as benchmarks/images/run.sh
# last measured it (images/results.json): what any runner booting that often pays at least.
#
# Environment: BENCH_SCENARIOS (default "upgrade-rollback layering override-replace", the ones
# CI gates on); BENCH_STATE_DIR (default /var/tmp/harness-boot-tests, whose Debian base is
# cached); BENCH_WORK_DIR (default /var/tmp/bench-scenarios) for the runs' outputs.
# Writes the "Scenarios" section of benchmarks/RESULTS.md and benchmarks/scenarios/results.json.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/bench-scenarios}
readonly STATE_DIR=$SHARED_STATE_DIR
read -r -a SCENARIOS <<<"${BENCH_SCENARIOS:-upgrade-rollback layering override-replace}"
readonly SCENARIOS
readonly HARNESS="$DEBUG_BIN/harness"

log "Building harness"
swift build --package-path "$PROJECT_DIR" --product harness >&2
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"
LOAD_BEFORE=$(load_average)
export LIBVIRT_LOG_OUTPUTS=${LIBVIRT_LOG_OUTPUTS:-4:stderr}
for parallel in 1 2; do
    log "harness run --parallel $parallel ${SCENARIOS[*]}"
    "$HARNESS" run --state-dir "$STATE_DIR" --output "$WORK_DIR/parallel-$parallel" --parallel "$parallel" \
        "${SCENARIOS[@]}" 2>"$WORK_DIR/parallel-$parallel.log" ||
        { log "harness run failed: see $WORK_DIR/parallel-$parallel.log"; exit 1; }
done
LOAD_AFTER=$(load_average)

# The numbers, from each run's results.json: a scenario's time is its serial run's.
python3 - "$WORK_DIR" "$PROJECT_DIR/benchmarks/images/results.json" >"$RESULTS_JSON" <<'PYTHON'
import datetime, json, sys
work, images = sys.argv[1], sys.argv[2]

def load(parallel):
    with open(f"{work}/parallel-{parallel}/results.json") as f:
        return json.load(f)

def wall(run):
    # The tests' own time: from the first start to the last end (the image is composed and
    # built before, and only by the first run).
    starts = [datetime.datetime.fromisoformat(t["startedAt"].replace("Z", "+00:00")).timestamp() for t in run["tests"]]
    ends = [s + t["duration"] for s, t in zip(starts, run["tests"])]
    return max(ends) - min(starts)

try:
    with open(images) as f:
        bare_boot = json.load(f)["boot"]["floor"]["median_seconds"]
except (OSError, KeyError, ValueError):
    bare_boot = None
serial, parallel = load(1), load(2)
scenarios = [{
    "name": t["name"], "status": t["status"], "seconds": round(t["duration"], 1),
    "boots": len(t["boots"]), "boot_seconds": round(sum(b["duration"] for b in t["boots"]), 1),
    "boot_share": round(sum(b["duration"] for b in t["boots"]) / t["duration"], 3) if t["duration"] else 0,
    "floor_seconds": round(len(t["boots"]) * bare_boot, 1) if bare_boot else None,
} for t in serial["tests"]]
print(json.dumps({
    "commit": serial["commit"], "scenarios": scenarios, "bare_boot_seconds": bare_boot,
    "serial_seconds": round(wall(serial), 1), "parallel2_seconds": round(wall(parallel), 1),
    "parallel2_statuses": {t["name"]: t["status"] for t in parallel["tests"]},
}, indent=2))
PYTHON

section() {
    python3 - "$RESULTS_JSON" <<'PYTHON'
import json, sys
r = json.load(open(sys.argv[1]))
print("| scenario | result | time (s) | boots | booting (s) | share booting | floor: boots x bare QEMU boot (s) | time / floor |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for s in r["scenarios"]:
    floor = s["floor_seconds"]
    print(f'| {s["name"]} | {s["status"]} | {s["seconds"]} | {s["boots"]} | {s["boot_seconds"]} | {s["boot_share"]:.0%} | '
          f'{floor if floor else "-"} | {round(s["seconds"] / floor, 2) if floor else "-"} |')
print()
print(f'All of them one machine at a time: {r["serial_seconds"]} s; with --parallel 2: {r["parallel2_seconds"]} s '
      f'(ratio {r["parallel2_seconds"] / r["serial_seconds"]:.2f}; results {", ".join(f"{k} {v}" for k, v in r["parallel2_statuses"].items())}).')
PYTHON
}

results_section() {
    echo "## Scenarios"
    echo
    echo "Written by \`benchmarks/scenarios/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); raw numbers in \`scenarios/results.json\`."
    echo
    echo "- Machine: $(nproc) cores ($(machine_cpu)), $(machine_memory_gib) GiB memory, no KVM (QEMU under TCG); load average before $LOAD_BEFORE, after $LOAD_AFTER."
    echo "- harness: $(harness_revision), debug build (the scenarios wait on guests, not on harness)."
    echo "- Image: the default image (\`images/debian-bookworm\`), Debian base cached; each scenario ran once per mode."
    echo "- The floor is the bare QEMU boot of \`images/results.json\` (not re-measured here) times the scenario's boots."
    echo
    section
}

write_results_section "Scenarios" results_section
show_results_section "Scenarios"
