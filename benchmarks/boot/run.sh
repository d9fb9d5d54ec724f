#!/usr/bin/env bash
# run.sh: the boot benchmark (issue 16), all in one run on one machine.
#
#   floor     bare QEMU (TCG, same memory and CPUs) boots the image's own kernel and initramfs,
#             no disk: QEMU's start to "Reached target initrd-switch-root.target"
#   boot      harness spawn IMAGE --exec true --profile: power-on until the guest agent
#             answered ("ready" in the boot profile)
#   restore   harness spawn --restore IMAGE --exec true --profile, after one spawn that saved
#             the first boot: the restore's start until the guest answered with its clock set
#   scenarios harness run of BENCH_SCENARIOS in each of BENCH_MODES: "no-restore" (every
#             machine boots), "restore" (first boots restored; the first one saves), "parallel2"
#             (restore, --parallel 2: one vCPU each on 2 cores) and "vcpus1" (restore, serial,
#             one vCPU)
# Writes the "Boots" section of benchmarks/RESULTS.md and benchmarks/boot/results.json.
#
# Environment: BENCH_STATE_DIR (default /var/tmp/harness-boot-tests: its Debian base is
# cached), BENCH_WORK_DIR (default /var/tmp/bench-boot), BENCH_ROUNDS (5),
# BENCH_SCENARIOS (default "upgrade-rollback layering override-replace"), BENCH_MODES
# (default "no-restore restore parallel2 vcpus1"; empty for the boots alone).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

readonly STATE_DIR=$SHARED_STATE_DIR
readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/bench-boot}
readonly ROUNDS=${BENCH_ROUNDS:-5}
read -r -a SCENARIOS <<<"${BENCH_SCENARIOS:-upgrade-rollback layering override-replace}"
read -r -a MODES <<<"${BENCH_MODES-no-restore restore parallel2 vcpus1}"
readonly SCENARIOS MODES
readonly HARNESS="$RELEASE_BIN/harness"
readonly TREEFILE="$PROJECT_DIR/images/debian-bookworm/treefile.yaml"
readonly REF=harness/x86_64/debian-bookworm
readonly GUEST_MEMORY_MIB=1536 GUEST_CPUS=2
readonly AIM_BOOT=25 AIM_RESTORE=5 AIM_UPGRADE_ROLLBACK=120 AIM_PARALLEL=0.75
export LIBVIRT_LOG_OUTPUTS=${LIBVIRT_LOG_OUTPUTS:-4:stderr}

log "Building harness (release)"
swift build --package-path "$PROJECT_DIR" -c release --product harness >&2
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR/floor"
LOAD_BEFORE=$(load_average)

log "Composing and building the default image (cached base)"
"$HARNESS" compose tree --state-dir "$STATE_DIR" "$TREEFILE" 2>"$WORK_DIR/compose.log"
"$HARNESS" image build --state-dir "$STATE_DIR" --ref "$REF" -o "$WORK_DIR/image" --platform qemu 2>"$WORK_DIR/image.log"
IMAGE=$(ls "$WORK_DIR"/image/*.qcow2)
readonly IMAGE

# The floor: the commit's kernel and initramfs under bare QEMU; with no root= the initramfs
# runs every hook, reaches initrd-switch-root.target and powers off (rd.emergency=poweroff).
kernel=$(ostree --repo="$STATE_DIR/repo" ls "$REF" /usr/lib/modules |
    awk '$1 ~ /^d/ && $NF != "/usr/lib/modules" { sub(".*/", "", $NF); print $NF }' | sort -V | tail -n 1)
ostree --repo="$STATE_DIR/repo" cat "$REF" "/usr/lib/modules/$kernel/vmlinuz" >"$WORK_DIR/floor/vmlinuz"
ostree --repo="$STATE_DIR/repo" cat "$REF" "/usr/lib/modules/$kernel/initramfs.img" >"$WORK_DIR/floor/initramfs.img"
FLOOR=()
for round in $(seq "$ROUNDS"); do
    log "floor $round: bare QEMU to initrd-switch-root.target"
    start=$EPOCHREALTIME
    timeout 180 qemu-system-x86_64 -accel tcg -m "$GUEST_MEMORY_MIB" -smp "$GUEST_CPUS" -nographic -no-reboot \
        -kernel "$WORK_DIR/floor/vmlinuz" -initrd "$WORK_DIR/floor/initramfs.img" \
        -append "console=ttyS0 panic=-1 rd.shell=0 rd.emergency=poweroff" </dev/null 2>&1 |
        stamp_lines >"$WORK_DIR/floor/console-$round.stamped" || true
    reached=$(first_stamp "$WORK_DIR/floor/console-$round.stamped" 'Reached target .*initrd-switch-root\.target')
    [[ -n "$reached" ]] || { log "the bare boot never reached initrd-switch-root.target: $WORK_DIR/floor/console-$round.stamped"; exit 1; }
    FLOOR+=("$(seconds_between "$start" "$reached")")
done

# One spawn: its wall time, and the "ready" of its boot profile line.
spawn() {
    local log=$1
    shift
    local start=$EPOCHREALTIME
    "$HARNESS" spawn --state-dir "$STATE_DIR" --exec true --profile "$@" "$IMAGE" 2>"$log" ||
        { log "harness spawn failed: $log"; exit 1; }
    SPAWN_WALL=$(seconds_since "$start")
    SPAWN_READY=$(sed -n 's/.*Boot profile: .*ready \([0-9.]*\) s after.*/\1/p' "$log" | head -n 1)
    [[ -n "$SPAWN_READY" ]] || { log "no boot profile in $log"; exit 1; }
}

BOOT=() BOOT_WALL=() PROFILES=()
for round in $(seq "$ROUNDS"); do
    log "boot $round: harness spawn"
    spawn "$WORK_DIR/boot-$round.log"
    BOOT+=("$SPAWN_READY") BOOT_WALL+=("$SPAWN_WALL")
    PROFILES+=("$(sed -n 's/.*Boot profile: //p' "$WORK_DIR/boot-$round.log" | head -n 1)")
done

log "restore: a spawn that saves the first boot"
rm -rf "$STATE_DIR/saved-boots"
spawn "$WORK_DIR/save.log" --restore
SAVE_WALL=$SPAWN_WALL
RESTORE=() RESTORE_WALL=()
for round in $(seq "$ROUNDS"); do
    log "restore $round: harness spawn --restore"
    spawn "$WORK_DIR/restore-$round.log" --restore
    grep -q "Restoring the first boot" "$WORK_DIR/restore-$round.log" || { log "round $round did not restore"; exit 1; }
    RESTORE+=("$SPAWN_READY") RESTORE_WALL+=("$SPAWN_WALL")
done
SAVED_BYTES=$(du -sb "$STATE_DIR/saved-boots" | cut -f1)

# The scenarios, in each mode; the first restoring mode starts without saves.
rm -rf "$STATE_DIR/saved-boots"
for mode in "${MODES[@]}"; do
    case $mode in
        no-restore) arguments=(--no-restore) ;;
        restore) arguments=() ;;
        parallel2) arguments=(--parallel 2) ;;
        vcpus1) arguments=(--vcpus 1) ;;
        *) log "unknown mode $mode"; exit 1 ;;
    esac
    log "scenarios, $mode: harness run ${arguments[*]} ${SCENARIOS[*]}"
    "$HARNESS" run --state-dir "$STATE_DIR" --output "$WORK_DIR/run-$mode" "${arguments[@]}" "${SCENARIOS[@]}" \
        2>"$WORK_DIR/run-$mode.log" || { log "harness run failed: $WORK_DIR/run-$mode.log"; exit 1; }
done
LOAD_AFTER=$(load_average)

python3 - "$WORK_DIR" "${MODES[*]}" >"$RESULTS_JSON" <<PYTHON
import datetime, json, sys
work, modes = sys.argv[1], sys.argv[2].split()

def numbers(text):
    return [float(v) for v in text.split()]

def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2

def run(mode):
    with open(f"{work}/run-{mode}/results.json") as f:
        result = json.load(f)
    starts = [datetime.datetime.fromisoformat(t["startedAt"].replace("Z", "+00:00")).timestamp() for t in result["tests"]]
    ends = [s + t["duration"] for s, t in zip(starts, result["tests"])]
    return {"wall_seconds": round(max(ends) - min(starts), 1), "tests": [{
        "name": t["name"], "status": t["status"], "seconds": round(t["duration"], 1),
        "boots": [b["kind"] for b in t["boots"]], "boot_seconds": round(sum(b["duration"] for b in t["boots"]), 1),
    } for t in result["tests"]]}

floor, boot, restore = numbers("${FLOOR[*]}"), numbers("${BOOT[*]}"), numbers("${RESTORE[*]}")
print(json.dumps({
    "image": "$IMAGE", "kernel": "$kernel",
    "floor_seconds": floor, "floor_median": median(floor),
    "boot_ready_seconds": boot, "boot_median": median(boot), "boot_spawn_wall_seconds": numbers("${BOOT_WALL[*]}"),
    "boot_profiles": """$(printf '%s\n' "${PROFILES[@]}")""".strip().split("\n"),
    "save_spawn_wall_seconds": float("$SAVE_WALL"), "saved_bytes": int("$SAVED_BYTES"),
    "restore_ready_seconds": restore, "restore_median": median(restore),
    "restore_spawn_wall_seconds": numbers("${RESTORE_WALL[*]}"),
    "scenarios": {mode: run(mode) for mode in modes},
    "aims": {"boot_median_at_most": $AIM_BOOT, "restore_median_at_most": $AIM_RESTORE,
             "upgrade_rollback_at_most": $AIM_UPGRADE_ROLLBACK, "parallel2_over_serial_at_most": $AIM_PARALLEL},
}, indent=2))
PYTHON

section() {
    python3 - "$RESULTS_JSON" <<'PYTHON'
import json, sys
r = json.load(open(sys.argv[1]))
a = r["aims"]
def met(value, limit): return "yes" if value <= limit else "no"
def runs(values): return " ".join(f"{v:.1f}" for v in values)
print("| what | runs (s) | median (s) | against | ratio | aim | met |")
print("| --- | --- | --- | --- | --- | --- | --- |")
print(f'| bare QEMU, kernel + initramfs to switch-root (floor) | {runs(r["floor_seconds"])} | {r["floor_median"]:.1f} | - | - | - | - |')
print(f'| boot to ready (harness spawn, power-on to guest agent) | {runs(r["boot_ready_seconds"])} | {r["boot_median"]:.1f} | floor | '
      f'{r["boot_median"] / r["floor_median"]:.2f} | at most {a["boot_median_at_most"]} s | {met(r["boot_median"], a["boot_median_at_most"])} |')
print(f'| first boot restored (harness spawn --restore) | {runs(r["restore_ready_seconds"])} | {r["restore_median"]:.1f} | boot | '
      f'{r["restore_median"] / r["boot_median"]:.2f} | at most {a["restore_median_at_most"]} s | {met(r["restore_median"], a["restore_median_at_most"])} |')
print()
print(f'The spawn that saved the first boot took {r["save_spawn_wall_seconds"]:.1f} s in all; the save holds '
      f'{r["saved_bytes"] / 1048576:.0f} MiB (machine state and the first boot\'s disk writes). Whole spawns: booting '
      f'{runs(r["boot_spawn_wall_seconds"])} s, restoring {runs(r["restore_spawn_wall_seconds"])} s.')
print()
print("Boot profiles (`harness spawn --profile`):")
print()
for profile in r["boot_profiles"]:
    print(f"- {profile}")
modes = r["scenarios"]
if modes:
    print()
    names = [t["name"] for t in next(iter(modes.values()))["tests"]]
    print("| scenario | " + " | ".join(modes) + " |")
    print("| --- |" + " --- |" * len(modes))
    for name in names:
        cells = []
        for mode in modes.values():
            test = next(t for t in mode["tests"] if t["name"] == name)
            cells.append(f'{test["seconds"]} s ({test["status"]}; {", ".join(test["boots"])})')
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| all, wall time | " + " | ".join(f'{m["wall_seconds"]} s' for m in modes.values()) + " |")
    print()
    if "upgrade-rollback" in names and "restore" in modes:
        seconds = next(t for t in modes["restore"]["tests"] if t["name"] == "upgrade-rollback")["seconds"]
        print(f'upgrade-rollback with restore: {seconds} s (aim at most {a["upgrade_rollback_at_most"]} s: {met(seconds, a["upgrade_rollback_at_most"])}).')
    if "parallel2" in modes and "restore" in modes:
        ratio = modes["parallel2"]["wall_seconds"] / modes["restore"]["wall_seconds"]
        print(f'--parallel 2 over serial: {ratio:.2f} (aim at most {a["parallel2_over_serial_at_most"]}: {met(ratio, a["parallel2_over_serial_at_most"])}).')
    if "vcpus1" in modes and "restore" in modes:
        print(f'Serial with 1 vCPU over 2: {modes["vcpus1"]["wall_seconds"] / modes["restore"]["wall_seconds"]:.2f}.')
PYTHON
}

results_section() {
    echo "## Boots"
    echo
    echo "Written by \`benchmarks/boot/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); raw numbers in \`boot/results.json\`."
    echo
    echo "- Machine: $(nproc) cores ($(machine_cpu)), $(machine_memory_gib) GiB memory, no KVM (QEMU under TCG); load average before $LOAD_BEFORE, after $LOAD_AFTER."
    echo "- harness: $(harness_revision), release build. Image: the default image's qemu artifact (kernel $kernel), ${GUEST_MEMORY_MIB} MiB, $GUEST_CPUS vCPUs; $ROUNDS rounds of each boot."
    echo
    section
}

write_results_section "Boots" results_section
show_results_section "Boots"
