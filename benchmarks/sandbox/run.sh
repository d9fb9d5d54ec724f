#!/usr/bin/env bash
# run.sh: what the scriptlet sandbox and the package-cache protection cost.
#
# Runs the same script ROUNDS times, two ways, alternating, in one run:
#   before  the sandbox as it was until issue 11: bwrap with every capability, the tree bound
#           read-write (a script could write through hard links into the package cache)
#   now     what harness runs: rofiles-fuse --copyup over the tree, bwrap with nine
#           capabilities and /proc/sys read-only, then fusermount -u
# for three scripts: `true` (the fixed cost of one scriptlet) and reading every file under
# /usr/lib (what FUSE costs a script that scans the tree), on a hard-link checkout of the
# default image (the tree a compose or a client's layering runs scripts in); and appending to
# 200 files that are hard links into a bare repository (the copy-up), on a tree of those files
# made anew for every run. The checkouts come from repositories of this benchmark's own: the
# unprotected runs write through to them. Writes the "Sandbox" section of
# benchmarks/RESULTS.md and sandbox/results.json.
#
# Environment: BENCH_WORK_DIR (default /var/tmp/harness-sandbox-bench); BENCH_STATE_DIR
# (default /var/tmp/harness-boot-tests, where the boot tests compose the default image).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/harness-sandbox-bench}
readonly STATE_DIR=$SHARED_STATE_DIR
readonly DEFAULT_REF=harness/x86_64/debian-bookworm
readonly ROUNDS=${BENCH_ROUNDS:-15}
readonly CAPABILITIES=(cap_chown cap_dac_override cap_fowner cap_fsetid cap_kill cap_setgid cap_setuid cap_sys_chroot cap_setfcap)
readonly SCRIPT_ORDER=(true read copy-up)
declare -A SCRIPTS=(
    [true]="true"
    [read]="find /usr/lib -xdev -type f -exec cat {} + >/dev/null"
    [copy-up]="for f in /data/*; do echo x >>\"\$f\"; done"
)
declare -A BEFORE_RUNS NOW_RUNS
readonly BWRAP_COMMON=(--dev /dev --proc /proc --tmpfs /tmp --tmpfs /run --unshare-pid --unshare-net --unshare-ipc
    --unshare-uts --die-with-parent --chdir / --clearenv --setenv PATH /usr/sbin:/usr/bin:/sbin:/bin)

remove() {
    local path
    for path in "$@"; do
        [[ -e $path ]] && { chattr -R -i "$path" 2>/dev/null || true; }
        rm -rf "$path"
    done
}

# The default image, copied (not linked) into a bare repository of this benchmark's own, and
# checked out from it by hard links, as a compose makes a tree.
checkout_default_tree() {
    log "Composing the default image (reuses the cached Debian base in $STATE_DIR)"
    (cd "$PROJECT_DIR" && swift build --product harness >&2)
    "$DEBUG_BIN/harness" compose tree --state-dir "$STATE_DIR" \
        "$PROJECT_DIR/images/debian-bookworm/treefile.yaml" >"$WORK_DIR/compose.log" 2>&1
    local commit
    commit=$(ostree --repo="$STATE_DIR/repo" rev-parse "$DEFAULT_REF")
    remove "$WORK_DIR/default-repo" "$WORK_DIR/default-tree"
    ostree --repo="$WORK_DIR/default-repo" init --mode=bare
    ostree --repo="$WORK_DIR/default-repo" pull-local "$STATE_DIR/repo" "$commit" >/dev/null
    ostree --repo="$WORK_DIR/default-repo" checkout "$commit" "$WORK_DIR/default-tree"
    TREE_ENTRIES=$(find "$WORK_DIR/default-tree" -xdev | wc -l)
}

# 200 files of 4 KiB and a shell, each a hard link into a new bare repository.
make_small_tree() {
    remove "$WORK_DIR/small-repo" "$WORK_DIR/small-tree" "$WORK_DIR/small-source"
    mkdir -p "$WORK_DIR/small-source/data" "$WORK_DIR/small-source/bin"
    cp /bin/busybox "$WORK_DIR/small-source/bin/busybox"
    ln -s busybox "$WORK_DIR/small-source/bin/sh"
    local i
    for i in $(seq 1 200); do head -c 4096 /dev/zero >"$WORK_DIR/small-source/data/file-$i"; done
    ostree --repo="$WORK_DIR/small-repo" init --mode=bare
    ostree --repo="$WORK_DIR/small-repo" commit --branch=small --tree=dir="$WORK_DIR/small-source" >/dev/null
    ostree --repo="$WORK_DIR/small-repo" checkout small "$WORK_DIR/small-tree"
}

run_before() {
    bwrap --bind "$1" / "${BWRAP_COMMON[@]}" -- /bin/sh -c "$2"
}

run_now() {
    local mountpoint caps=() cap
    mountpoint=$(mktemp -d "$WORK_DIR/rofiles-XXXXXX")
    for cap in "${CAPABILITIES[@]}"; do caps+=(--cap-add "$cap"); done
    rofiles-fuse --copyup "$1" "$mountpoint"
    bwrap --bind "$mountpoint" / --ro-bind /proc/sys /proc/sys --unshare-cgroup-try --new-session \
        "${BWRAP_COMMON[@]}" --cap-drop ALL "${caps[@]}" -- /bin/sh -c "$2"
    fusermount -u "$mountpoint"
    rmdir "$mountpoint"
}

measure() {
    local name round start tree
    for name in "${SCRIPT_ORDER[@]}"; do
        tree=$WORK_DIR/default-tree
        [[ $name == copy-up ]] && tree=$WORK_DIR/small-tree
        for round in $(seq 1 "$ROUNDS"); do
            [[ $name == copy-up ]] && make_small_tree
            start=$EPOCHREALTIME
            run_before "$tree" "${SCRIPTS[$name]}"
            BEFORE_RUNS[$name]+="$(seconds_since "$start") "
            if [[ $name == copy-up ]]; then
                ostree fsck --repo="$WORK_DIR/small-repo" >/dev/null 2>&1 && UNPROTECTED_INTACT=yes || UNPROTECTED_INTACT=no
                make_small_tree
            fi
            start=$EPOCHREALTIME
            run_now "$tree" "${SCRIPTS[$name]}"
            NOW_RUNS[$name]+="$(seconds_since "$start") "
            if [[ $name == copy-up ]]; then
                ostree fsck --repo="$WORK_DIR/small-repo" >/dev/null 2>&1 && PROTECTED_INTACT=yes || PROTECTED_INTACT=no
            fi
        done
        # shellcheck disable=SC2086
        log "$name: before $(median ${BEFORE_RUNS[$name]}) s, now $(median ${NOW_RUNS[$name]}) s (medians)"
    done
}

results_section() {
    echo "## Sandbox"
    echo
    echo "Written by \`benchmarks/sandbox/run.sh\` on $(date -u '+%Y-%m-%d %H:%M') UTC; raw numbers in \`sandbox/results.json\`."
    echo
    echo "- Machine: $(nproc) cores ($(machine_cpu)), $(machine_memory_gib) GiB memory; load average before $LOAD_BEFORE, after $(load_average)."
    echo "- harness: $(harness_revision); $ROUNDS runs of each script each way, alternating."
    echo "- Trees: a hard-link checkout of the default image (\`$DEFAULT_REF\`, $TREE_ENTRIES entries) for \`true\` and the reads; 200 hard-linked files of 4 KiB for the copy-up, made anew for each run."
    echo
    echo "| script | before: bwrap, all capabilities, tree read-write (s) | now: rofiles-fuse --copyup + bwrap, 9 capabilities (s) | now - before (s) | now / before |"
    echo "| --- | --- | --- | --- | --- |"
    local name before now
    for name in "${SCRIPT_ORDER[@]}"; do
        # shellcheck disable=SC2086
        before=$(median ${BEFORE_RUNS[$name]})
        # shellcheck disable=SC2086
        now=$(median ${NOW_RUNS[$name]})
        echo "| \`${SCRIPTS[$name]}\` | $before | $now | $(awk -v a="$now" -v b="$before" 'BEGIN { printf "%.3f", a - b }') | $(ratio "$now" "$before") |"
    done
    echo
    echo "Medians. After the last copy-up, the bare repository passed \`ostree fsck\`: before $UNPROTECTED_INTACT (the"
    echo "script wrote through the hard links into it), now $PROTECTED_INTACT."
}

write_json() {
    local name first=1
    {
        echo "{"
        echo "  \"revision\": \"$(harness_revision)\","
        echo "  \"tree_entries\": $TREE_ENTRIES,"
        echo "  \"runs\": {"
        for name in "${SCRIPT_ORDER[@]}"; do
            ((first)) || echo ","
            first=0
            # shellcheck disable=SC2086
            printf '    "%s": {"before": %s, "now": %s}' "$name" "$(json_array ${BEFORE_RUNS[$name]})" "$(json_array ${NOW_RUNS[$name]})"
        done
        echo
        echo "  }"
        echo "}"
    } >"$RESULTS_JSON"
}

main() {
    ensure_tools bwrap:bubblewrap rofiles-fuse:ostree fusermount:fuse3
    mkdir -p "$WORK_DIR"
    LOAD_BEFORE=$(load_average)
    checkout_default_tree
    measure
    write_results_section "Sandbox" results_section
    write_json
    show_results_section "Sandbox"
    remove "$WORK_DIR/default-repo" "$WORK_DIR/default-tree" "$WORK_DIR/small-repo" "$WORK_DIR/small-tree" "$WORK_DIR/small-source"
}

main "$@"
