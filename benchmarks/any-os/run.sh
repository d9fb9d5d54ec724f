#!/usr/bin/env bash
# run.sh: upgrade-rollback on an OS harness did not compose, next to the default image.
#
# Runs `harness run upgrade-rollback` three times, one machine at a time, from outside the
# checkout: the default image over the QEMU guest agent, the default image over SSH (--channel
# ssh), and plain-debian (images/fixtures/plain-debian: Debian trixie committed with plain
# `ostree commit`, sshd, no guest agent, no treectl) over SSH with --repo/--image/--update.
# For each: the scenario's time, its boots, the share of its time spent booting (power-on or
# reboot until the channel answers), and the client the guest used. Arguments are more
# scenarios (and options) for plain-debian's run, tabled apart: `run.sh --param trials=1 kargs
# power-cut layering` proves the generic scenarios there (22 minutes more).
#
# Environment: BENCH_STATE_DIR (default /var/tmp/harness-boot-tests; its Debian base and the
# plain-debian repository are cached there); BENCH_WORK_DIR (default /var/tmp/bench-any-os).
# Writes the "Any OSTree OS" section of benchmarks/RESULTS.md and any-os/results.json.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/bench-any-os}
readonly STATE_DIR=$SHARED_STATE_DIR
readonly HARNESS="$DEBUG_BIN/harness"
readonly PLAIN_REF=plain-debian/x86_64/stable

# run NAME ARGS...: harness run ARGS into WORK_DIR/NAME, from WORK_DIR: outside the checkout,
# harness finds its scenarios and the default image beside its executable.
run() {
    local name=$1
    shift
    log "$name: harness run $*"
    (cd "$WORK_DIR" && "$HARNESS" run --state-dir "$STATE_DIR" --output "$name" "$@" 2>"$name.log") \
        || { log "$name failed: see $WORK_DIR/$name.log"; exit 1; }
}

main() {
    log "Building harness"
    swift build --package-path "$PROJECT_DIR" --product harness >&2
    rm -rf "$WORK_DIR"
    mkdir -p "$WORK_DIR"
    local repository
    log "The plain-debian repository (built once per state directory and script version)"
    repository=$("$PROJECT_DIR/images/fixtures/plain-debian/build-cached.sh" "$STATE_DIR")
    LOAD_BEFORE=$(load_average)
    export LIBVIRT_LOG_OUTPUTS=${LIBVIRT_LOG_OUTPUTS:-4:stderr}
    run default-agent upgrade-rollback
    run default-ssh --channel ssh upgrade-rollback
    run plain-debian-ssh --channel ssh --repo "$repository" --image "$PLAIN_REF^" --update "$PLAIN_REF" \
        upgrade-rollback "$@"
    LOAD_AFTER=$(load_average)
    python3 - "$WORK_DIR" >"$RESULTS_JSON" <<'PYTHON'
import json, sys
work = sys.argv[1]
rows = {}
for name in ["default-agent", "default-ssh", "plain-debian-ssh"]:
    with open(f"{work}/{name}/results.json") as f:
        tests = json.load(f)["tests"]
    with open(f"{work}/{name}/upgrade-rollback/transcript.txt") as f:
        client = next((line.split("the guest's client: ")[1].strip() for line in f if "the guest's client: " in line), "?")
    row = {"client": client, "scenarios": {}}
    for test in tests:
        boot = sum(b["duration"] for b in test.get("boots", []))
        row["scenarios"][test["name"]] = {
            "status": test["status"], "seconds": round(test["duration"], 1), "boots": len(test.get("boots", [])),
            "boot_seconds": round(boot, 1), "boot_share": round(boot / test["duration"], 3) if test["duration"] else 0}
    rows[name] = row
print(json.dumps(rows, indent=2))
PYTHON
    write_results_section "Any OSTree OS" results_section
    show_results_section "Any OSTree OS"
}

results_section() {
    echo "## Any OSTree OS"
    echo
    echo "Written by \`benchmarks/any-os/run.sh\` on $(date -u '+%Y-%m-%d %H:%M') UTC; raw numbers in \`any-os/results.json\`."
    echo
    echo "- Machine: $(nproc) cores ($(machine_cpu)), $(machine_memory_gib) GiB memory, no KVM (QEMU under TCG); load average before $LOAD_BEFORE, after $LOAD_AFTER."
    echo "- harness: $(harness_revision), debug build. \`upgrade-rollback\`: boot, upgrade from an update disk, reboot, roll back, reboot."
    echo
    echo "| image | channel | client | time (s) | boots | booting (s) | share booting |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    python3 - "$RESULTS_JSON" <<'PYTHON'
import json, sys
rows = json.load(open(sys.argv[1]))
labels = {"default-agent": ("default image", "guest agent"), "default-ssh": ("default image", "SSH"),
          "plain-debian-ssh": ("plain-debian (plain `ostree commit`)", "SSH")}
for name, (image, channel) in labels.items():
    r = rows[name]["scenarios"]["upgrade-rollback"]
    print(f"| {image} | {channel} | {rows[name]['client']} | {r['seconds']} | {r['boots']} | {r['boot_seconds']} | {r['boot_share'] * 100:.0f}% |")
others = {k: v for k, v in rows["plain-debian-ssh"]["scenarios"].items() if k != "upgrade-rollback"}
if others:
    print()
    print("plain-debian's other scenarios in the same run:")
    print()
    print("| scenario | result | time (s) | boots | share booting |")
    print("| --- | --- | --- | --- | --- |")
    for scenario, r in others.items():
        print(f"| {scenario} | {r['status']} | {r['seconds']} | {r['boots']} | {r['boot_share'] * 100:.0f}% |")
PYTHON
}

main "$@"
