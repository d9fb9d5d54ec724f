#!/usr/bin/env bash
# run.sh: the images-and-boots benchmark.
#
# Takes the default image (images/debian-bookworm) through every stage once, timing each one
# beside a floor measured in the same run:
#   base cold    harness compose tree with a new state directory (the base recipe runs)
#   base cached  harness compose tree --force-nocache again, same state directory (base cached)
#   image        harness image build           floor: virt-make-fs of the same OSTree sysroot
#   boot         harness spawn IMAGE --exec true  floor: bare QEMU, same kernel and initramfs
# and writes the numbers into benchmarks/RESULTS.md (its "Images and boots" section) and
# benchmarks/images/results.json.
#
# Environment: BENCH_WORK_DIR (default /var/tmp/bench-images) holds the state directory, the
# image, the floors' files and the logs; BENCH_BOOT_FLOOR_ROUNDS (2) and
# BENCH_IMAGE_FLOOR_ROUNDS (1) say how often the floors run (the harness stages run once:
# they are long).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/bench-images}
readonly BOOT_FLOOR_ROUNDS=${BENCH_BOOT_FLOOR_ROUNDS:-2}
readonly IMAGE_FLOOR_ROUNDS=${BENCH_IMAGE_FLOOR_ROUNDS:-1}

readonly HARNESS="$RELEASE_BIN/harness"
readonly TREEFILE="$PROJECT_DIR/images/debian-bookworm/treefile.yaml"
readonly REF=harness/x86_64/debian-bookworm
readonly STATE_DIR="$WORK_DIR/state"
readonly LOG_DIR="$WORK_DIR/logs"
readonly IMAGE="$WORK_DIR/disk.qcow2"
readonly FLOOR_DIR="$WORK_DIR/floor"
# harness spawn makes its scratch directory (overlay, serial console) under $TMPDIR: a
# directory of our own, so that the console being written is ours to follow.
readonly MACHINE_TMP="$WORK_DIR/machine"

# What harness image build and harness spawn use, so that the floors do the same work.
readonly OS_NAME=harness
readonly IMAGE_SIZE=8G
readonly KERNEL_ARGUMENTS=("root=LABEL=root" "rw" "console=ttyS0,115200")
readonly GUEST_MEMORY_MIB=1536
readonly GUEST_CPUS=2
# A bare QEMU boot that hangs instead of powering off is stopped after this many seconds.
readonly BOOT_FLOOR_TIMEOUT=180
# The aims of the issue.
readonly AIM_IMAGE_RATIO=1.5
readonly AIM_BOOT_SECONDS=45

# swift build is incremental; a build of somebody else holding .build makes it wait (newer
# SwiftPM) or fail with "Another instance of SwiftPM is already running" (then we retry).
build_harness() {
    local attempt output
    log "Building harness (release)"
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        if output=$(cd "$PROJECT_DIR" && swift build -c release --product harness 2>&1); then
            return 0
        fi
        if ! grep -q "Another instance of SwiftPM" <<<"$output"; then
            echo "$output" >&2
            return 1
        fi
        log "Another SwiftPM build holds .build; retrying in 30 s (attempt $attempt)"
        sleep 30
    done
    echo "$output" >&2
    return 1
}

# A JSON number or null, for values a run may lack (a marker the console never showed).
json_number() {
    if [[ -n "$1" ]]; then echo "$1"; else echo null; fi
}

# Seconds from START to the stamp STAMP, or nothing when STAMP is empty.
seconds_to() {
    [[ -n "$2" ]] && seconds_between "$1" "$2"
    return 0
}

# Other people's VMs skew every number here: each stage records the load and how many QEMU
# processes ran (ours included) when it started.
machine_activity() {
    echo "load $(load_average), $(pgrep -c qemu-system || true) QEMU processes"
}

# The guest kernel's own clock ("[    6.019380] Run /init ...") on the first console line
# matching PATTERN.
kernel_seconds() {
    local log=$1 pattern=$2
    PATTERN=$pattern awk '{ gsub(/\033\[[0-9;?]*[A-Za-z]/, "") }
        $0 ~ ENVIRON["PATTERN"] && match($0, /\[ *[0-9]+\.[0-9]+\]/) {
            print substr($0, RSTART + 1, RLENGTH - 2) + 0; exit }' "$log"
}


expect_in_log() {
    local pattern=$1 log=$2 what=$3
    grep -Eq -- "$pattern" "$log" || fail_with_log "$what (expected '$pattern' on stderr)" "$log"
}

# Removes a tree that may hold the immutable files ostree puts on deployment roots.
remove_tree() {
    [[ -e "$1" ]] || return 0
    chattr -R -i "$1" 2>/dev/null || true
    rm -rf "$1"
}

# Runs harness with LABEL naming its logs: stdout to LABEL.out, stderr stamped line by line
# to LABEL.log. Sets RUN_START, RUN_END, RUN_SECONDS and RUN_LOG. Extra environment for
# harness comes as NAME=VALUE words before the arguments, ended by "--".
run_harness() {
    local label=$1 environment=()
    shift
    while [[ "$1" != -- ]]; do environment+=("$1"); shift; done
    shift
    RUN_LOG="$LOG_DIR/$label.log"
    log "$label: harness $* ($(machine_activity))"
    RUN_START=$EPOCHREALTIME
    # stderr goes through the pipe, stdout to a file; pipefail makes a failing harness fail
    # the pipeline.
    if ! env "${environment[@]}" "$HARNESS" "$@" 2>&1 >"$LOG_DIR/$label.out" | stamp_lines >"$RUN_LOG"; then
        fail_with_log "harness $1 $2 ($label)" "$RUN_LOG"
    fi
    RUN_END=$EPOCHREALTIME
    RUN_SECONDS=$(seconds_between "$RUN_START" "$RUN_END")
}

# --- compose ---------------------------------------------------------------------------------

# shellcheck disable=SC2034 # read through a nameref (phases_json, phase_rows)
readonly COMPOSE_PHASES=("base recipe (build-rootfs.sh)" "base import + checkout" "local repository (build-packages.sh)"
    "metadata + depsolve" "package fetch + import" "assembly + scriptlets + postprocess" "commit" "cleanup + exit")

# The seconds each phase of COMPOSE_PHASES took in a compose, from its stamped stderr. The
# phases follow each other; a phase whose line is missing (no recipe run, no package to fetch)
# takes 0.
compose_phases() {
    local log=$1 start=$2 end=$3
    local recipe import local_repo resolve assembly commit wrote
    recipe=$(first_stamp "$log" '^Building the base with ')
    import=$(first_stamp "$log" '^Importing base archive ')
    local_repo=$(first_stamp "$log" '^Building local repository ')
    resolve=$(first_stamp "$log" '^Resolved [0-9]+ packages')
    # The lines between the local repository and "Resolved" are the script's own output and
    # "Fetching metadata"; the local repository ends at the first metadata line.
    local metadata
    metadata=$(first_stamp "$log" '^Fetching metadata of repository ')
    assembly=$(first_stamp "$log" '^Assembling 1/')
    commit=$(first_stamp "$log" '^Committing the tree')
    wrote=$(first_stamp "$log" '^Wrote commit ')
    awk -v start="$start" -v end="$end" -v recipe="$recipe" -v import="$import" -v local_repo="$local_repo" \
        -v metadata="$metadata" -v resolve="$resolve" -v assembly="$assembly" -v commit="$commit" -v wrote="$wrote" '
        BEGIN {
            base_start = recipe ? recipe : start
            base_import = import ? import : base_start
            if (!metadata) metadata = resolve
            if (!assembly) assembly = commit
            printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f\n",
                base_import - base_start, local_repo - base_import, metadata - local_repo,
                resolve - metadata, assembly - resolve, commit - assembly, wrote - commit, end - wrote
        }'
}

# A fresh state directory: no repository, no cached base, no package cache.
reset_state_dir() {
    remove_tree "$STATE_DIR"
    mkdir -p "$STATE_DIR"
}

run_compose_cold() {
    reset_state_dir
    COLD_ACTIVITY=$(machine_activity)
    run_harness compose-cold -- compose tree --state-dir "$STATE_DIR" "$TREEFILE"
    expect_in_log "Building the base with" "$RUN_LOG" "cold compose (the base must be built, not cached)"
    expect_in_log "Wrote commit" "$RUN_LOG" "cold compose"
    COLD_SECONDS=$RUN_SECONDS
    COLD_PHASES=$(compose_phases "$RUN_LOG" "$RUN_START" "$RUN_END")
    COLD_BASE_SECONDS=$(seconds_between "$RUN_START" "$(first_stamp "$RUN_LOG" '^Building local repository ')")
    COLD_RECIPE_SECONDS=$(seconds_between "$(first_stamp "$RUN_LOG" '^Building the base with ')" \
        "$(first_stamp "$RUN_LOG" '^Importing base archive ')")
    log "compose, cold: $COLD_SECONDS s (base recipe $COLD_RECIPE_SECONDS s, base in all $COLD_BASE_SECONDS s)"
}

run_compose_cached() {
    CACHED_ACTIVITY=$(machine_activity)
    run_harness compose-cached -- compose tree --state-dir "$STATE_DIR" --force-nocache "$TREEFILE"
    expect_in_log "Base from .*: cached" "$RUN_LOG" "cached compose (the base must come from the cache)"
    expect_in_log "Wrote commit" "$RUN_LOG" "cached compose"
    CACHED_SECONDS=$RUN_SECONDS
    CACHED_PHASES=$(compose_phases "$RUN_LOG" "$RUN_START" "$RUN_END")
    CACHED_BASE_SECONDS=$(seconds_between "$RUN_START" "$(first_stamp "$RUN_LOG" '^Building local repository ')")
    CACHED_AFTER_BASE_SECONDS=$(seconds_between "$(first_stamp "$RUN_LOG" '^Building local repository ')" "$RUN_END")
    COMMIT=$(ostree --repo="$STATE_DIR/repo" rev-parse "$REF")
    COMMIT_ENTRIES=$(ostree --repo="$STATE_DIR/repo" ls -R "$REF" | wc -l)
    log "compose, cached base: $CACHED_SECONDS s (base $CACHED_BASE_SECONDS s, the rest $CACHED_AFTER_BASE_SECONDS s)"
}

# --- image build -----------------------------------------------------------------------------

# shellcheck disable=SC2034 # read through a nameref (phases_json, phase_rows)
readonly IMAGE_PHASES=("sysroot (init-fs, os-init)" "pull" "deploy" "write disk (sfdisk, mkfs.ext4 -d)"
    "extlinux (libguestfs appliance)" "convert to qcow2" "cleanup + exit")

image_phases() {
    local log=$1 start=$2 end=$3
    local sysroot pull deploy disk extlinux convert wrote
    sysroot=$(first_stamp "$log" '^Making the OSTree sysroot')
    pull=$(first_stamp "$log" '^Pulling ')
    deploy=$(first_stamp "$log" '^Deploying')
    disk=$(first_stamp "$log" '^Writing the disk')
    extlinux=$(first_stamp "$log" '^Installing extlinux')
    convert=$(first_stamp "$log" '^Converting to qcow2')
    wrote=$(first_stamp "$log" '^Wrote ')
    awk -v start="$start" -v end="$end" -v sysroot="$sysroot" -v pull="$pull" -v deploy="$deploy" -v disk="$disk" \
        -v extlinux="$extlinux" -v convert="$convert" -v wrote="$wrote" '
        BEGIN {
            printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f\n", pull - start, deploy - pull, disk - deploy,
                extlinux - disk, convert - extlinux, wrote - convert, end - wrote
        }'
}

run_image_build() {
    rm -f "$IMAGE"
    IMAGE_ACTIVITY=$(machine_activity)
    run_harness image-build -- image build --state-dir "$STATE_DIR" --ref "$REF" --size "$IMAGE_SIZE" -o "$IMAGE"
    expect_in_log "^[0-9.]+ Wrote " "$RUN_LOG" "image build"
    IMAGE_SECONDS=$RUN_SECONDS
    IMAGE_PHASE_TIMES=$(image_phases "$RUN_LOG" "$RUN_START" "$RUN_END")
    IMAGE_BYTES=$(stat -c %s "$IMAGE")
    log "image build: $IMAGE_SECONDS s"
}

# The sysroot harness image build makes, made the same way with the ostree CLI: init-fs,
# os-init, the commit pulled from a "harness" remote on the state repository, syslinux's
# seed configuration, deployed with the same kernel arguments, the same fstab. Sets
# SYSROOT_SECONDS.
make_floor_sysroot() {
    local sysroot=$1 boot deployment karg kargs=()
    local start=$EPOCHREALTIME
    mkdir -p "$sysroot"
    ostree admin init-fs "$sysroot"
    ostree admin os-init --sysroot="$sysroot" "$OS_NAME"
    ostree --repo="$sysroot/ostree/repo" remote add --no-gpg-verify harness "file://$STATE_DIR/repo"
    ostree --repo="$sysroot/ostree/repo" pull harness "$REF"
    ostree --repo="$sysroot/ostree/repo" remote delete harness
    ostree --repo="$sysroot/ostree/repo" remote add --no-gpg-verify harness file:///run/harness/updates/repo
    # ostree's syslinux backend, which harness seeds, rewrites loader/syslinux.cfg on deploy.
    boot="$sysroot/boot"
    mkdir -p "$boot/loader.0" "$boot/syslinux"
    printf 'UI menu.c32\nPROMPT 0\nTIMEOUT 30\n' >"$boot/loader.0/syslinux.cfg"
    ln -s loader.0 "$boot/loader"
    ln -s ../loader/syslinux.cfg "$boot/syslinux/syslinux.cfg"
    cp /usr/lib/syslinux/modules/bios/{menu.c32,libutil.c32,libcom32.c32} "$boot/syslinux/"
    for karg in "${KERNEL_ARGUMENTS[@]}"; do kargs+=("--karg=$karg"); done
    ostree admin deploy --sysroot="$sysroot" --os="$OS_NAME" "${kargs[@]}" "harness:$REF"
    deployment=$(find "$sysroot/ostree/deploy/$OS_NAME/deploy" -mindepth 1 -maxdepth 1 -type d -print -quit)
    echo "LABEL=boot /boot ext4 defaults 1 2" >"$deployment/etc/fstab"
    SYSROOT_SECONDS=$(seconds_since "$start")
}

# The image floor: virt-make-fs writing the same sysroot into a partitioned qcow2 of the same
# size. It launches the libguestfs appliance (under TCG, as harness does) and copies the tree
# in through it, where harness builds the filesystems on the host.
run_image_floor_round() {
    local round=$1 sysroot="$FLOOR_DIR/sysroot" output="$FLOOR_DIR/virt-make-fs.qcow2"
    local sysroot_log="$LOG_DIR/floor-sysroot-$round.log" make_log="$LOG_DIR/floor-virt-make-fs-$round.log"
    remove_tree "$FLOOR_DIR"
    mkdir -p "$FLOOR_DIR"
    log "image floor $round: sysroot with the ostree CLI ($(machine_activity))"
    make_floor_sysroot "$sysroot" >"$sysroot_log" 2>&1 || fail_with_log "the floor's sysroot (ostree CLI)" "$sysroot_log"
    SYSROOT_BYTES=$(du -sb "$sysroot" | cut -f1)
    SYSROOT_ENTRIES=$(find "$sysroot" | wc -l)
    FLOOR_IMAGE_ACTIVITY+=("$(machine_activity)")
    log "image floor $round: virt-make-fs ($(machine_activity))"
    local start=$EPOCHREALTIME
    LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg \
        virt-make-fs --format=qcow2 --type=ext4 --size="$IMAGE_SIZE" --partition=mbr --label=root \
        "$sysroot" "$output" >"$make_log" 2>&1 || fail_with_log "virt-make-fs" "$make_log"
    FLOOR_IMAGE+=("$(seconds_since "$start")")
    FLOOR_SYSROOT+=("$SYSROOT_SECONDS")
    FLOOR_IMAGE_BYTES=$(stat -c %s "$output")
    log "image floor $round: sysroot $SYSROOT_SECONDS s, virt-make-fs ${FLOOR_IMAGE[-1]} s"
    remove_tree "$FLOOR_DIR"
}

# --- boot --------------------------------------------------------------------------------------

# Milestones on the serial console, as extended regular expressions (colour codes removed).
readonly MARK_KERNEL='Linux version [0-9]'
readonly MARK_INIT='Run /init as init process'
readonly MARK_SWITCH_ROOT='Reached target .*initrd-switch-root\.target'
readonly MARK_AGENT='Started .*qemu-guest-agent\.service'
readonly MARK_POWER_DOWN='reboot: (Power down|Restarting system)'

# Follows the serial console of the machine harness spawn (process PID) boots, stamping each
# line as it is written. The console lives in the scratch directory spawn makes under
# MACHINE_TMP; tail ends once PID does.
follow_spawn_console() {
    local pid=$1 console=""
    while kill -0 "$pid" 2>/dev/null; do
        console=$(find "$MACHINE_TMP" -name console.txt -print -quit 2>/dev/null)
        [[ -n "$console" ]] && break
        sleep 0.1
    done
    [[ -n "$console" ]] || return 0
    tail -n +1 -s 0.1 -F --pid="$pid" "$console" 2>/dev/null | stamp_lines
}

# When libvirt started QEMU: the "starting up" line of the domain's log, as an epoch.
qemu_start_stamp() {
    local name=$1 line
    line=$(head -n 1 "$STATE_DIR/libvirt/log/qemu/$name.log" 2>/dev/null) || return 0
    [[ "$line" =~ ^([0-9-]+\ [0-9:.]+\+0000):\ starting\ up ]] || return 0
    date -u -d "${BASH_REMATCH[1]}" +%s.%N
}

# harness spawn IMAGE --exec true, with its console followed. "Boot to ready" runs from its
# "Booting" line (the overlay made, the domain about to be created) to "Guest agent answered".
run_spawn() {
    local label=spawn console_log="$LOG_DIR/spawn-console.stamped"
    remove_tree "$MACHINE_TMP"
    mkdir -p "$MACHINE_TMP"
    SPAWN_ACTIVITY=$(machine_activity)
    log "$label: harness spawn --exec true ($SPAWN_ACTIVITY)"
    RUN_LOG="$LOG_DIR/$label.log"
    RUN_START=$EPOCHREALTIME
    (TMPDIR=$MACHINE_TMP "$HARNESS" spawn --state-dir "$STATE_DIR" "$IMAGE" --exec true \
        --console "$LOG_DIR/spawn-console.txt" 2>&1 >"$LOG_DIR/$label.out" | stamp_lines >"$RUN_LOG") &
    local spawn_pid=$!
    follow_spawn_console "$spawn_pid" >"$console_log" &
    local follower=$!
    local status=0
    wait "$spawn_pid" || status=$?
    RUN_END=$EPOCHREALTIME
    wait "$follower" || true
    ((status == 0)) || fail_with_log "harness spawn" "$RUN_LOG"
    expect_in_log "Guest agent answered after" "$RUN_LOG" "harness spawn"
    SPAWN_SECONDS=$(seconds_between "$RUN_START" "$RUN_END")
    local booting answered name
    booting=$(first_stamp "$RUN_LOG" '^Booting ')
    answered=$(first_stamp "$RUN_LOG" '^Guest agent answered after ')
    name=$(sed -nE 's/^[0-9.]+ Booting .* as (harness-[^ ]+)$/\1/p; T; q' "$RUN_LOG")
    BOOT_SECONDS=$(seconds_between "$booting" "$answered")
    BOOT_REPORTED=$(sed -nE 's/^[0-9.]+ Guest agent answered after ([0-9.]+) s.*/\1/p; T; q' "$RUN_LOG")
    BOOT_QEMU_START=$(seconds_to "$booting" "$(qemu_start_stamp "$name")")
    BOOT_KERNEL=$(seconds_to "$booting" "$(first_stamp "$console_log" "$MARK_KERNEL")")
    BOOT_INIT=$(seconds_to "$booting" "$(first_stamp "$console_log" "$MARK_INIT")")
    BOOT_SWITCH_ROOT=$(seconds_to "$booting" "$(first_stamp "$console_log" "$MARK_SWITCH_ROOT")")
    BOOT_AGENT_STARTED=$(seconds_to "$booting" "$(first_stamp "$console_log" "$MARK_AGENT")")
    BOOT_KERNEL_CLOCK_INIT=$(kernel_seconds "$console_log" "$MARK_INIT")
    log "boot to ready: $BOOT_SECONDS s (harness says $BOOT_REPORTED s), whole spawn $SPAWN_SECONDS s"
    remove_tree "$MACHINE_TMP"
}

# The kernel and initramfs of the composed commit, for the bare boot.
extract_kernel() {
    local repo="$STATE_DIR/repo" kver
    kver=$(ostree --repo="$repo" ls "$REF" /usr/lib/modules |
        awk '$1 ~ /^d/ && $NF != "/usr/lib/modules" { sub(".*/", "", $NF); print $NF }' | sort -V | tail -n 1)
    [[ -n "$kver" ]] || { echo "error: no kernel under /usr/lib/modules in $REF" >&2; exit 1; }
    KERNEL_VERSION=$kver
    mkdir -p "$FLOOR_DIR"
    ostree --repo="$repo" cat "$REF" "/usr/lib/modules/$kver/vmlinuz" >"$FLOOR_DIR/vmlinuz"
    ostree --repo="$repo" cat "$REF" "/usr/lib/modules/$kver/initramfs.img" >"$FLOOR_DIR/initramfs.img"
    INITRAMFS_BYTES=$(stat -c %s "$FLOOR_DIR/initramfs.img")
}

# The boot floor: QEMU (TCG, the guest's memory and CPUs) boots the image's kernel and
# initramfs directly (-kernel/-initrd, no firmware disk boot, no bootloader, no disk). With no
# root= the initramfs runs all its hooks without waiting for a root device, reaches
# initrd-switch-root.target, fails to switch into the missing /sysroot, and powers off
# (rd.emergency=poweroff). The floor is QEMU's start to that target.
run_boot_floor_round() {
    local round=$1
    local console_log="$LOG_DIR/floor-boot-$round.stamped"
    FLOOR_BOOT_ACTIVITY+=("$(machine_activity)")
    log "boot floor $round: bare QEMU, kernel $KERNEL_VERSION + initramfs (${FLOOR_BOOT_ACTIVITY[-1]})"
    local start=$EPOCHREALTIME status=0
    timeout "$BOOT_FLOOR_TIMEOUT" qemu-system-x86_64 -accel tcg -m "$GUEST_MEMORY_MIB" -smp "$GUEST_CPUS" \
        -nographic -no-reboot -kernel "$FLOOR_DIR/vmlinuz" -initrd "$FLOOR_DIR/initramfs.img" \
        -append "console=ttyS0 panic=-1 rd.shell=0 rd.emergency=poweroff" </dev/null 2>&1 |
        stamp_lines >"$console_log" || status=$?
    local exited=$EPOCHREALTIME switch_root
    ((status == 0 || status == 124)) || fail_with_log "bare QEMU boot" "$console_log"
    switch_root=$(first_stamp "$console_log" "$MARK_SWITCH_ROOT")
    [[ -n "$switch_root" ]] || fail_with_log "bare QEMU boot (never reached initrd-switch-root.target)" "$console_log"
    FLOOR_BOOT+=("$(seconds_between "$start" "$switch_root")")
    FLOOR_BOOT_KERNEL+=("$(seconds_to "$start" "$(first_stamp "$console_log" "$MARK_KERNEL")")")
    FLOOR_BOOT_INIT+=("$(seconds_to "$start" "$(first_stamp "$console_log" "$MARK_INIT")")")
    FLOOR_BOOT_KERNEL_CLOCK_INIT+=("$(kernel_seconds "$console_log" "$MARK_INIT")")
    FLOOR_BOOT_EXIT+=("$(seconds_between "$start" "$exited")")
    FLOOR_BOOT_POWERED_OFF+=("$(grep -Eq "$MARK_POWER_DOWN" "$console_log" && echo true || echo false)")
    log "boot floor $round: initrd-switch-root.target after ${FLOOR_BOOT[-1]} s, QEMU exited after ${FLOOR_BOOT_EXIT[-1]} s"
}

# --- results -----------------------------------------------------------------------------------

json_strings() {
    local item items=()
    for item in "$@"; do items+=("\"$item\""); done
    json_array "${items[@]}"
}

write_results_json() {
    cat >"$RESULTS_JSON" <<EOF
{
  "date": "$RUN_DATE",
  "machine": {"nproc": $(nproc), "memory_gib": $(machine_memory_gib), "cpu": "$(machine_cpu)",
              "loadavg_before": "$LOAD_BEFORE", "loadavg_after": "$LOAD_AFTER",
              "kvm": false, "accelerator": "tcg"},
  "harness_revision": "$(harness_revision)",
  "harness_build": "release",
  "ref": "$REF",
  "commit": "$COMMIT",
  "commit_entries": $COMMIT_ENTRIES,
  "compose": {
    "cold": {"seconds": $COLD_SECONDS, "base_seconds": $COLD_BASE_SECONDS, "base_recipe_seconds": $COLD_RECIPE_SECONDS,
             "phases": $(phases_json COMPOSE_PHASES "$COLD_PHASES"), "started_with": "$COLD_ACTIVITY"},
    "cached_base": {"seconds": $CACHED_SECONDS, "base_seconds": $CACHED_BASE_SECONDS,
                    "after_base_seconds": $CACHED_AFTER_BASE_SECONDS,
                    "phases": $(phases_json COMPOSE_PHASES "$CACHED_PHASES"), "started_with": "$CACHED_ACTIVITY"}
  },
  "image": {
    "harness_seconds": $IMAGE_SECONDS, "harness_phases": $(phases_json IMAGE_PHASES "$IMAGE_PHASE_TIMES"),
    "harness_qcow2_bytes": $IMAGE_BYTES, "size": "$IMAGE_SIZE", "started_with": "$IMAGE_ACTIVITY",
    "floor": {"what": "virt-make-fs --format=qcow2 --type=ext4 --size=$IMAGE_SIZE --partition=mbr of the same sysroot (made with the ostree CLI, not timed in the floor)",
              "virt_make_fs_seconds": $(json_array "${FLOOR_IMAGE[@]}"), "median_seconds": $FLOOR_IMAGE_MEDIAN,
              "sysroot_ostree_cli_seconds": $(json_array "${FLOOR_SYSROOT[@]}"),
              "sysroot_bytes": $SYSROOT_BYTES, "sysroot_entries": $SYSROOT_ENTRIES,
              "qcow2_bytes": $FLOOR_IMAGE_BYTES, "started_with": $(json_strings "${FLOOR_IMAGE_ACTIVITY[@]}")},
    "ratio": $IMAGE_RATIO,
    "ratio_with_sysroot_in_floor": $IMAGE_RATIO_WITH_SYSROOT
  },
  "boot": {
    "boot_to_ready_seconds": $BOOT_SECONDS, "harness_reported_seconds": $BOOT_REPORTED,
    "spawn_command_seconds": $SPAWN_SECONDS, "started_with": "$SPAWN_ACTIVITY",
    "milestones_after_booting_line": {"qemu_started": $(json_number "$BOOT_QEMU_START"),
        "kernel_first_line": $(json_number "$BOOT_KERNEL"), "run_init": $(json_number "$BOOT_INIT"),
        "initrd_switch_root_target": $(json_number "$BOOT_SWITCH_ROOT"),
        "qemu_guest_agent_started": $(json_number "$BOOT_AGENT_STARTED"), "agent_answered": $BOOT_SECONDS},
    "kernel_clock_run_init": $(json_number "$BOOT_KERNEL_CLOCK_INIT"),
    "floor": {"what": "bare qemu-system-x86_64 -accel tcg -m $GUEST_MEMORY_MIB -smp $GUEST_CPUS -kernel vmlinuz -initrd initramfs.img (kernel $KERNEL_VERSION of the commit), no disk, no root=: QEMU start to 'Reached target initrd-switch-root.target' on the serial console",
              "seconds": $(json_array "${FLOOR_BOOT[@]}"), "median_seconds": $FLOOR_BOOT_MEDIAN,
              "kernel_first_line": $(json_array "${FLOOR_BOOT_KERNEL[@]}"), "run_init": $(json_array "${FLOOR_BOOT_INIT[@]}"),
              "kernel_clock_run_init": $(json_array "${FLOOR_BOOT_KERNEL_CLOCK_INIT[@]}"),
              "qemu_exit": $(json_array "${FLOOR_BOOT_EXIT[@]}"), "powered_off": $(json_array "${FLOOR_BOOT_POWERED_OFF[@]}"),
              "initramfs_bytes": $INITRAMFS_BYTES, "started_with": $(json_strings "${FLOOR_BOOT_ACTIVITY[@]}")},
    "ratio": $BOOT_RATIO
  },
  "aims": {"image_over_floor_at_most": $AIM_IMAGE_RATIO, "boot_to_ready_seconds_below": $AIM_BOOT_SECONDS},
  "aims_met": {"image": "$(aim_met "$IMAGE_RATIO" "$AIM_IMAGE_RATIO" inclusive)",
               "boot": "$(aim_met "$BOOT_SECONDS" "$AIM_BOOT_SECONDS")"}
}
EOF
}

phase_rows() {
    local -n names=$1
    local first second index
    read -r -a first <<<"$2"
    read -r -a second <<<"${3:-}"
    for index in "${!names[@]}"; do
        echo "| ${names[index]} | ${first[index]}${3:+ | ${second[index]}} |"
    done
}

# "-" for a milestone the console did not show.
or_dash() {
    echo "${1:--}"
}

images_section() {
    cat <<EOF
## Images and boots

Written by \`benchmarks/images/run.sh\` on $RUN_DATE; raw numbers in \`images/results.json\`.

- Machine: $(nproc) cores ($(machine_cpu)), $(machine_memory_gib) GiB memory, no KVM (QEMU under TCG); load average before $LOAD_BEFORE, after $LOAD_AFTER. Others built and booted VMs on it meanwhile: the load at the start of each stage is in \`results.json\`.
- harness: $(harness_revision), release build.
- Image: \`images/debian-bookworm\` ($REF, $COMMIT_ENTRIES entries in the commit, kernel $KERNEL_VERSION), $IMAGE_SIZE disk; each harness stage ran once.

| stage | harness (s) | floor (s) | ratio | aim | met |
| --- | --- | --- | --- | --- | --- |
| base rootfs, cold (new state dir: recipe $COLD_RECIPE_SECONDS s + import + checkout) | $COLD_BASE_SECONDS | - | - | - | - |
| base rootfs, cached (compose --force-nocache, same state dir) | $CACHED_BASE_SECONDS | - | - | - | - |
| compose after the base (cached run) | $CACHED_AFTER_BASE_SECONDS | - | - | - | - |
| whole compose, cold | $COLD_SECONDS | - | - | - | - |
| whole compose, cached base | $CACHED_SECONDS | - | - | - | - |
| image build (virt-make-fs of the same sysroot) | $IMAGE_SECONDS | $FLOOR_IMAGE_MEDIAN | $IMAGE_RATIO | at most $AIM_IMAGE_RATIO | $(aim_met "$IMAGE_RATIO" "$AIM_IMAGE_RATIO" inclusive) |
| boot to ready (bare QEMU, kernel + initramfs to switch-root) | $BOOT_SECONDS | $FLOOR_BOOT_MEDIAN | $BOOT_RATIO | below $AIM_BOOT_SECONDS s | $(aim_met "$BOOT_SECONDS" "$AIM_BOOT_SECONDS") |
| whole \`harness spawn --exec true\` | $SPAWN_SECONDS | - | - | - | - |

What the floors measure:

- **Image**: \`virt-make-fs --format=qcow2 --type=ext4 --size=$IMAGE_SIZE --partition=mbr\` (libguestfs
  direct backend, TCG) of a sysroot made like harness makes it (\`ostree admin init-fs\`,
  \`os-init\`, pull from the state repository, the syslinux seed, \`deploy\` with the same kernel
  arguments): one filesystem, no bootloader. Making that sysroot with the ostree CLI took
  ${FLOOR_SYSROOT[*]} s and is not in the floor; with it the ratio would be $IMAGE_RATIO_WITH_SYSROOT.
  Runs: ${FLOOR_IMAGE[*]} s. Sysroot $(mib "$SYSROOT_BYTES") MiB, $SYSROOT_ENTRIES entries; qcow2 files (apparent size) harness $(mib "$IMAGE_BYTES") MiB, virt-make-fs $(mib "$FLOOR_IMAGE_BYTES") MiB.
- **Boot**: \`qemu-system-x86_64 -accel tcg -m $GUEST_MEMORY_MIB -smp $GUEST_CPUS -kernel vmlinuz -initrd initramfs.img\`
  with the commit's own kernel and initramfs ($(mib "$INITRAMFS_BYTES") MiB), no disk and no \`root=\`, from
  QEMU's start to "Reached target initrd-switch-root.target" on the serial console: firmware,
  kernel and every initramfs hook, but no waiting for a root device, no fsck or mount of the
  root, no ostree-prepare-root and nothing of the booted system. Runs: ${FLOOR_BOOT[*]} s.
  Harness's boot to ready runs from its "Booting" line to "Guest agent answered" (it printed
  "after $BOOT_REPORTED s").

Where the time goes (seconds from the start of each; console lines stamped as they were
written, to within a few tenths of a second):

| milestone | harness spawn (from "Booting") | bare QEMU (from start, run 1) |
| --- | --- | --- |
| QEMU started (libvirt's domain log) | $(or_dash "$BOOT_QEMU_START") | 0 |
| first kernel line (firmware, bootloader, kernel and initramfs loaded) | $(or_dash "$BOOT_KERNEL") | $(or_dash "${FLOOR_BOOT_KERNEL[0]}") |
| Run /init (guest kernel clock) | $(or_dash "$BOOT_INIT") ($(or_dash "$BOOT_KERNEL_CLOCK_INIT")) | $(or_dash "${FLOOR_BOOT_INIT[0]}") ($(or_dash "${FLOOR_BOOT_KERNEL_CLOCK_INIT[0]}")) |
| initrd-switch-root.target reached | $(or_dash "$BOOT_SWITCH_ROOT") | ${FLOOR_BOOT[0]} |
| qemu-guest-agent.service started | $(or_dash "$BOOT_AGENT_STARTED") | - |
| guest agent answered / QEMU exited | $BOOT_SECONDS | ${FLOOR_BOOT_EXIT[0]} |

Compose phases (seconds, from the times of its progress lines on stderr):

| phase | cold | cached base |
| --- | --- | --- |
$(phase_rows COMPOSE_PHASES "$COLD_PHASES" "$CACHED_PHASES")

Image build phases (seconds, from its progress lines on stderr):

| phase | harness image build |
| --- | --- |
$(phase_rows IMAGE_PHASES "$IMAGE_PHASE_TIMES")
EOF
}

cleanup() {
    remove_tree "$FLOOR_DIR"
    remove_tree "$MACHINE_TMP"
}

main() {
    FLOOR_IMAGE=() FLOOR_SYSROOT=() FLOOR_IMAGE_ACTIVITY=() FLOOR_BOOT=() FLOOR_BOOT_KERNEL=() FLOOR_BOOT_INIT=()
    FLOOR_BOOT_KERNEL_CLOCK_INIT=() FLOOR_BOOT_EXIT=() FLOOR_BOOT_POWERED_OFF=() FLOOR_BOOT_ACTIVITY=()
    trap cleanup EXIT
    # The tools the benchmark drives beside harness, each installed from Debian if missing.
    ensure_tools virt-make-fs:libguestfs-tools qemu-system-x86_64:qemu-system-x86 ostree:ostree chattr:e2fsprogs
    build_harness
    mkdir -p "$WORK_DIR"
    remove_tree "$LOG_DIR"
    mkdir -p "$LOG_DIR"
    RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
    LOAD_BEFORE=$(load_average)

    run_compose_cold
    run_compose_cached
    run_image_build
    local round
    for ((round = 1; round <= IMAGE_FLOOR_ROUNDS; round++)); do
        run_image_floor_round "$round"
    done
    # The boot floor's rounds go on either side of harness's boot, so that a change in the
    # machine's load weighs on both alike.
    extract_kernel
    run_boot_floor_round 1
    run_spawn
    for ((round = 2; round <= BOOT_FLOOR_ROUNDS; round++)); do
        run_boot_floor_round "$round"
    done
    LOAD_AFTER=$(load_average)

    FLOOR_IMAGE_MEDIAN=$(median "${FLOOR_IMAGE[@]}")
    FLOOR_BOOT_MEDIAN=$(median "${FLOOR_BOOT[@]}")
    IMAGE_RATIO=$(ratio "$IMAGE_SECONDS" "$FLOOR_IMAGE_MEDIAN")
    IMAGE_RATIO_WITH_SYSROOT=$(ratio "$IMAGE_SECONDS" \
        "$(awk -v a="$FLOOR_IMAGE_MEDIAN" -v b="$(median "${FLOOR_SYSROOT[@]}")" 'BEGIN { printf "%.3f", a + b }')")
    BOOT_RATIO=$(ratio "$BOOT_SECONDS" "$FLOOR_BOOT_MEDIAN")
    write_results_json
    write_results_section 'Images and boots' images_section
    # The image and the state directory (repository, caches) are kept for a look; the next run
    # starts from a new state directory anyway.
    log "Results: $RESULTS_MD, $RESULTS_JSON (logs in $LOG_DIR)"
    show_results_section 'Images and boots'
}

main "$@"
