#!/usr/bin/env bash
# run.sh: upgrade-rollback on an OS harness did not compose, next to the default image.
#
# Runs `harness run upgrade-rollback` three times, one machine at a time: the default image
# over the QEMU guest agent (what CI runs), the default image over SSH (--channel ssh), and
# plain-debian (images/fixtures/plain-debian: Debian committed with plain `ostree commit`, sshd,
# no guest agent, no treectl) over SSH with --repo/--image/--update. For each: the scenario's
# time, its boots, the share of its time spent booting (power-on or reboot until the channel
# answers), and the client the guest used.
#
# Environment: BENCH_STATE_DIR (default /var/tmp/harness-boot-tests; its Debian base and the
# plain-debian repository are cached there); BENCH_WORK_DIR (default /var/tmp/bench-any-os).
# Writes the "Any OSTree OS" section of benchmarks/RESULTS.md and any-os/results.json.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/bench-any-os}
readonly STATE_DIR=${BENCH_STATE_DIR:-/var/tmp/harness-boot-tests}
readonly HARNESS="$PROJECT_DIR/.build/debug/harness"
readonly PLAIN_SCRIPT="$PROJECT_DIR/images/fixtures/plain-debian/build-commits.sh"
readonly PLAIN_REF=plain-debian/x86_64/stable

# The plain-debian repository the boot tests use (STATE/plain-debian-HASH/repo), built if missing.
plain_repository() {
    local directory
    directory="$STATE_DIR/plain-debian-$(sha256sum "$PLAIN_SCRIPT" | cut -c1-12)"
    if [[ ! -f $directory/repo/summary ]]; then
        log "Building plain-debian ($PLAIN_SCRIPT)"
        rm -rf "$directory" && mkdir -p "$directory"
        "$PLAIN_SCRIPT" "$directory/repo" >&2
    fi
    echo "$directory/repo"
}

# run NAME ARGS...: harness run upgrade-rollback with ARGS into WORK_DIR/NAME.
run() {
    local name=$1
    shift
    log "$name: harness run upgrade-rollback $*"
    "$HARNESS" run --state-dir "$STATE_DIR" --output "$WORK_DIR/$name" "$@" upgrade-rollback \
        2>"$WORK_DIR/$name.log" || { log "$name failed: see $WORK_DIR/$name.log"; exit 1; }
}

main() {
    log "Building harness"
    swift build --package-path "$PROJECT_DIR" --product harness >&2
    rm -rf "$WORK_DIR"
    mkdir -p "$WORK_DIR"
    local repository
    repository=$(plain_repository)
    LOAD_BEFORE=$(load_average)
    export LIBVIRT_LOG_OUTPUTS=${LIBVIRT_LOG_OUTPUTS:-4:stderr}
    run default-agent
    run default-ssh --channel ssh
    run plain-debian-ssh --channel ssh --repo "$repository" --image "$PLAIN_REF^" --update "$PLAIN_REF"
    LOAD_AFTER=$(load_average)
    python3 - "$WORK_DIR" >"$RESULTS_JSON" <<'PYTHON'
import json, sys
work = sys.argv[1]
rows = {}
for name in ["default-agent", "default-ssh", "plain-debian-ssh"]:
    with open(f"{work}/{name}/results.json") as f:
        test = json.load(f)["tests"][0]
    with open(f"{work}/{name}/upgrade-rollback/transcript.txt") as f:
        client = next((line.split("the guest's client: ")[1].strip() for line in f if "the guest's client: " in line), "?")
    boot = sum(b["duration"] for b in test["boots"])
    rows[name] = {"seconds": round(test["duration"], 1), "boots": len(test["boots"]),
                  "boot_seconds": round(boot, 1), "boot_share": round(boot / test["duration"], 3), "client": client}
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
    r = rows[name]
    print(f"| {image} | {channel} | {r['client']} | {r['seconds']} | {r['boots']} | {r['boot_seconds']} | {r['boot_share'] * 100:.0f}% |")
PYTHON
}

main "$@"
