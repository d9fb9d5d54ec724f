#!/usr/bin/env bash
# run.sh [COUNT...]: the compose benchmark at several sizes, to see how the cost grows.
#
# For each COUNT (default: 160 600 2000) generate-packages.sh makes a package set of COUNT
# packages holding COUNT * 3/4 MiB of payload (2,000 packages: 1,500 MiB), and one round of
# each is run on it, as compose/run.sh runs them:
#   peer     dnf --installroot, then ostree commit (archive)
#   cold     harness compose tree, empty package cache, new repository
#   warm     harness compose tree after one program package was updated: files under /usr/lib,
#            which the set's transaction file trigger watches, so every package is assembled
#   warm incremental  then after one data package was updated (files under /usr/share, which
#            no trigger watches), so that only it is replaced in the previous tree
#   no-op    harness compose tree with nothing changed
# each with its time and its peak memory (GNU time's maximum resident set, MiB); the peer and
# the cold compose with the CPU time they used; the harness composes with their phases. Writes
# a section of benchmarks/RESULTS.md (a table per measurement and a plot) and
# compose-scale/results.json.
#
# Environment: BENCH_WORK_DIR (default /var/tmp/harness-compose-scale) holds one directory per
# size: its package set (kept between runs: generating 2,000 packages takes minutes) and logs;
# everything the benchmark writes goes there, so its filesystem is the one measured.
# BENCH_SECTION (default "Compose at scale") names the section written and BENCH_RESULTS_NAME
# (default results.json) the raw numbers' file in compose-scale/, so that a run on another
# filesystem does not replace the first. SETTLE_PAUSE (default 61) is the pause in seconds
# before each step that creates many files; 0 suits a tmpfs, which has no inode search to wait out.
set -euo pipefail

# A minute and a bit: ext4's window for recently freed inodes (settle in compose-lib.sh).
readonly DEFAULT_SETTLE_PAUSE=61
SETTLE_PAUSE=${SETTLE_PAUSE:-$DEFAULT_SETTLE_PAUSE}

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=../compose/compose-lib.sh
source "$PROJECT_DIR/benchmarks/compose/compose-lib.sh"

readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/harness-compose-scale}
readonly GENERATOR="$PROJECT_DIR/benchmarks/compose/generate-packages.sh"
readonly DEFAULT_COUNTS=(160 600 2000)
readonly SECTION=${BENCH_SECTION:-Compose at scale}
readonly JSON_OUT="$SCRIPT_DIR/${BENCH_RESULTS_NAME:-results.json}"

# One size, measured: sets the ROW_* values its rows of the tables are made of.
measure_size() {
    local count=$1 payload_mb=$(($1 * 3 / 4))
    use_work_dir "$WORK_DIR/$count"
    log "Size $count: $payload_mb MiB of payload"
    "$GENERATOR" "$SET_DIR" "$count" "$payload_mb"
    prepare_bench_repo
    PEER_DNF=() PEER_COMMIT=() PEER_TOTAL=() PEER_DNF_RSS=() PEER_COMMIT_RSS=() PEER_CPU=()
    run_peer_round 1
    rm -rf "$PEER_DIR"

    rm -rf "$HARNESS_DIR"
    run_harness_compose cold
    expect_in_log "Wrote commit" "$COMPOSE_LOG" "cold compose"
    local cold=$COMPOSE_SECONDS cold_rss=$COMPOSE_RSS cold_cpu=$COMPOSE_CPU cold_phases
    cold_phases=$(compose_phases "$COMPOSE_LOG" "$COMPOSE_START" "$COMPOSE_END")
    local files
    files=$(ostree --repo="$HARNESS_REPO" ls -R "$REF" | wc -l)

    local update previous=$COMPOSE_COMMIT
    update=$(printf '%s\n' "$SET_DIR"/updates/*.rpm | sort -V | head -n 1)
    swap_in_update "$update"
    run_harness_compose warm
    expect_in_log "Wrote commit" "$COMPOSE_LOG" "warm compose"
    expect_in_log "Assembling every package instead: a trigger fires" "$COMPOSE_LOG" "warm compose"
    [[ "$COMPOSE_COMMIT" != "$previous" ]] || fail_with_log "warm compose (same commit as before)" "$COMPOSE_LOG"
    local warm=$COMPOSE_SECONDS warm_rss=$COMPOSE_RSS warm_phases
    warm_phases=$(compose_phases "$COMPOSE_LOG" "$COMPOSE_START" "$COMPOSE_END")

    previous=$COMPOSE_COMMIT
    update=$(printf '%s\n' "$SET_DIR"/data-updates/*.rpm | sort -V | head -n 1)
    swap_in_update "$update"
    run_harness_compose warm-incremental
    expect_in_log "Wrote commit" "$COMPOSE_LOG" "incremental warm compose"
    expect_in_log "Assembling from the previous tree" "$COMPOSE_LOG" "incremental warm compose"
    ! grep -q "Assembling every package" "$COMPOSE_LOG" || fail_with_log "incremental warm compose (assembled every package)" "$COMPOSE_LOG"
    [[ "$COMPOSE_COMMIT" != "$previous" ]] || fail_with_log "incremental warm compose (same commit as before)" "$COMPOSE_LOG"
    local incremental=$COMPOSE_SECONDS incremental_rss=$COMPOSE_RSS incremental_phases
    incremental_phases=$(compose_phases "$COMPOSE_LOG" "$COMPOSE_START" "$COMPOSE_END")

    previous=$COMPOSE_COMMIT
    run_harness_compose noop
    expect_in_log "No apparent changes" "$COMPOSE_LOG" "no-op compose"
    [[ "$COMPOSE_COMMIT" == "$previous" ]] || fail_with_log "no-op compose (printed another commit)" "$COMPOSE_LOG"
    local noop=$COMPOSE_SECONDS noop_rss=$COMPOSE_RSS
    rm -rf "$HARNESS_DIR"

    local payload_mib
    payload_mib=$(mib "$(cat "$SET_DIR/payload-bytes")")
    log "size $count: peer ${PEER_TOTAL[0]} s, cold $cold s, warm $warm s, warm incremental $incremental s, no-op $noop s"
    ROW_SIZES+=("| $count | $payload_mib | $(cat "$SET_DIR/file-count") | $files |")
    ROW_TIMES+=("| $count | ${PEER_DNF[0]} | ${PEER_COMMIT[0]} | ${PEER_TOTAL[0]} | $cold | $warm | $incremental | $noop | $(ratio "$cold" "${PEER_TOTAL[0]}") | $(ratio "$warm" "$cold") | $(ratio "$incremental" "$cold") |")
    # The least a cold compose could take with its CPU time spread perfectly over every core,
    # against the peer's time: the cold / peer ratio no parallelism alone can beat.
    local floor
    floor=$(awk -v cpu="$cold_cpu" -v cores="$(nproc)" -v peer="${PEER_TOTAL[0]}" 'BEGIN { printf "%.3f", cpu / cores / peer }')
    ROW_CPU+=("| $count | ${PEER_CPU[0]} | ${PEER_TOTAL[0]} | $cold_cpu | $cold | $(ratio "$cold_cpu" "${PEER_CPU[0]}") | $floor |")
    ROW_MEMORY+=("| $count | ${PEER_DNF_RSS[0]} | ${PEER_COMMIT_RSS[0]} | $cold_rss | $warm_rss | $incremental_rss | $noop_rss |")
    ROW_COLD_PHASES+=("| $count | ${cold_phases// / | } |")
    local import assembly commit
    read -r _ _ import assembly commit _ <<<"$cold_phases"
    ROW_PER_FILE+=("| $count | $(per_thousand "${PEER_DNF[0]}" "$files") | $(per_thousand "${PEER_COMMIT[0]}" "$files") | $(per_thousand "$cold" "$files") | $(per_thousand "$import" "$files") | $(per_thousand "$assembly" "$files") | $(per_thousand "$commit" "$files") |")
    ROW_WARM_PHASES+=("| $count | warm | ${warm_phases// / | } |" "| $count | warm incremental | ${incremental_phases// / | } |")
    PLOT_POINTS+=("$count ${PEER_TOTAL[0]} $cold $warm $incremental $noop")
    JSON_SIZES+=("{\"packages\": $(wc -l <"$SET_DIR/packages.txt"), \"payload_bytes\": $(cat "$SET_DIR/payload-bytes"),
      \"files_and_directories\": $(cat "$SET_DIR/file-count"), \"committed_entries\": $files,
      \"peer\": {\"dnf_seconds\": ${PEER_DNF[0]}, \"ostree_commit_seconds\": ${PEER_COMMIT[0]}, \"total_seconds\": ${PEER_TOTAL[0]},
               \"dnf_peak_mib\": ${PEER_DNF_RSS[0]}, \"ostree_commit_peak_mib\": ${PEER_COMMIT_RSS[0]}, \"cpu_seconds\": ${PEER_CPU[0]}},
      \"harness\": {\"cold_seconds\": $cold, \"warm_seconds\": $warm, \"warm_incremental_seconds\": $incremental, \"noop_seconds\": $noop,
                  \"cold_cpu_seconds\": $cold_cpu, \"cold_peak_mib\": $cold_rss, \"warm_peak_mib\": $warm_rss, \"warm_incremental_peak_mib\": $incremental_rss, \"noop_peak_mib\": $noop_rss,
                  \"cold_phases\": $(phases_json PHASES "$cold_phases"), \"warm_phases\": $(phases_json PHASES "$warm_phases"),
                  \"warm_incremental_phases\": $(phases_json PHASES "$incremental_phases")}}")
}

# SECONDS spent on ENTRIES files, in milliseconds per 1,000 of them.
per_thousand() {
    awk -v seconds="$1" -v entries="$2" 'BEGIN { printf "%.0f", seconds * 1000 * 1000 / entries }'
}

# Seconds against packages, both on log scales, as text: one column per size, one letter per
# series (p peer, c cold, w warm, i warm incremental, n no-op; several in one cell stand side
# by side).
plot() {
    printf '%s\n' "${PLOT_POINTS[@]}" | awk '
        function row(seconds) { return int((log(seconds) - low) / (high - low) * (rows - 1) + 0.5) }
        {
            sizes[NR] = $1
            for (series = 2; series <= 6; series++) {
                value[NR, series] = ($series < 0.01 ? 0.01 : $series)
                if (!seen || log(value[NR, series]) < low) low = log(value[NR, series])
                if (!seen || log(value[NR, series]) > high) high = log(value[NR, series])
                seen = 1
            }
        }
        END {
            rows = 16; width = 12; letters = "xpcwin"
            if (high == low) high = low + 1
            for (r = rows - 1; r >= 0; r--) {
                label = (r == rows - 1 || r == 0 || r == int(rows / 2)) ? sprintf("%8.2f s |", exp(low + r * (high - low) / (rows - 1))) : "           |"
                line = label
                for (i = 1; i <= NR; i++) {
                    cell = ""
                    for (series = 2; series <= 6; series++) if (row(value[i, series]) == r) cell = cell substr(letters, series, 1)
                    line = line sprintf("%" width "s", cell == "" ? "" : cell)
                }
                print line
            }
            line = "           +"; for (i = 1; i <= NR; i++) line = line sprintf("%" width "s", "------------"); print line
            line = "  packages  "; for (i = 1; i <= NR; i++) line = line sprintf("%" width "s", sizes[i]); print line
        }'
}

# How the run treated the filesystem between steps, in words true of the one measured: a tmpfs
# has no disk to read from and no inode search to wait out.
storage_note() {
    if [[ $(filesystem_type "$WORK_DIR") == tmpfs ]]; then
        cat <<EOF
- Everything is in memory: no disk is read or written, so what remains of each step's time
  is CPU and the kernel's file work (inodes, directories, page copies), without writeback or
  the disk's speed. Each timed command starts after \`sync\`; the peer's \`dnf\` and the cold
  compose after a drop of the page cache$(drop_note) too, which frees the memory other steps
  filled but not the package sets (a tmpfs's files are not cache). Pauses between steps: $SETTLE_PAUSE s.
EOF
        return
    fi
    cat <<EOF
- Each timed command starts after \`sync\`, so that what one step left to write back is not
  paid for by the next. The peer's \`dnf\` and the cold compose start with the page cache
  dropped$(drop_note): they read their packages from the disk, and do not pay for reclaiming
  the memory earlier steps filled (the same cold compose of 2,000 packages took 77, 109 and
  115 s one after another without the drop). The peer's \`ostree commit\` and the warm and
  no-op composes find in memory what the step before them left, as on a build server. Each
  step that creates many files starts after a pause of $SETTLE_PAUSE s besides: ext4 without a
  journal does not reuse inodes freed in the last minute and searches past them, which made a
  compose right after a deletion of 200,000 files (the peer's root, the previous compose's
  scratch tree) up to twice as slow (\`settle\` in compose/compose-lib.sh).
EOF
}

# Says so when the page cache could not be dropped (not root).
drop_note() {
    [[ -w /proc/sys/vm/drop_caches ]] || printf ' (not in this run: it was not run as root)'
}

# The settings this run was given (BENCH_*, and SETTLE_PAUSE when not the default), as they
# would be typed before the command.
bench_settings() {
    local name
    ((SETTLE_PAUSE == DEFAULT_SETTLE_PAUSE)) || printf 'SETTLE_PAUSE=%s ' "$SETTLE_PAUSE"
    for name in BENCH_WORK_DIR BENCH_SECTION BENCH_RESULTS_NAME; do
        [[ -n ${!name:-} ]] && printf '%s=%q ' "$name" "${!name}"
    done
    return 0
}

scale_section() {
    cat <<EOF
## $SECTION

Written by \`$(bench_settings)benchmarks/compose-scale/run.sh ${COUNTS[*]}\` on $RUN_DATE; raw numbers in
\`compose-scale/${JSON_OUT##*/}\`. One round of each measurement at each size (the medians of
several rounds at 160 packages are in the Compose section).

- Machine: $(nproc) cores ($(machine_cpu)), $(machine_memory_gib) GiB memory; load average before $LOAD_BEFORE, after $LOAD_AFTER.
- Filesystem of everything measured (\`$WORK_DIR\`): $(filesystem_description "$WORK_DIR").
- harness: $(harness_revision), release build.
$(storage_note)
- Package sets: generated noarch packages, 3/4 MiB of payload a package on average (log-uniform
  sizes, 45% incompressible machine code in a few files, the rest small text files), chains of
  dependencies 24 deep and random ones beside them, the Compose section's triggers. Three in
  four are program packages (files in /usr/bin, /usr/lib, /usr/share, some in /etc), one in
  four data packages (files in /usr/share only).
- Warm: one program package updated. Its files are under /usr/lib, which the filesystem
  package's \`%transfiletriggerin\` watches: the trigger must run again, so every package is
  assembled again. Warm incremental: then one data package updated, which no trigger watches:
  only its files are replaced in the previous tree (\`IncrementalAssembly\`).

| packages | payload (MiB) | files and directories in the RPMs | entries committed |
| --- | --- | --- | --- |
$(printf '%s\n' "${ROW_SIZES[@]}")

Times (s):

| packages | peer dnf | peer ostree commit | peer total | harness cold | harness warm | harness warm incremental | harness no-op | cold / peer | warm / cold | warm incremental / cold |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${ROW_TIMES[@]}")

CPU time (s, user and system, every process and thread of the step), and the floor it sets:
a cold compose whose CPU time were spread perfectly over the $(nproc) cores would still take
its CPU time / $(nproc); against the peer's time, that is the least cold / peer can be without
doing less work.

| packages | peer CPU (dnf + ostree commit) | peer time | harness cold CPU | harness cold time | cold CPU / peer CPU | floor: cold CPU / $(nproc) / peer time |
| --- | --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${ROW_CPU[@]}")

Peak memory (MiB, the largest process of each):

| packages | peer dnf | peer ostree commit | harness cold | harness warm | harness warm incremental | harness no-op |
| --- | --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${ROW_MEMORY[@]}")

Phases of the cold compose (s):

| packages | $(IFS='|'; echo "${PHASES[*]}" | sed 's/|/ | /g') |
| --- | --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${ROW_COLD_PHASES[@]}")

Cost per 1,000 entries committed (ms): the same at every size where a step grows linearly
with the number of files.

| packages | peer dnf | peer ostree commit | harness cold | cold import | cold assembly | cold commit |
| --- | --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${ROW_PER_FILE[@]}")

Phases of the warm composes (s):

| packages | compose | $(IFS='|'; echo "${PHASES[*]}" | sed 's/|/ | /g') |
| --- | --- | --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${ROW_WARM_PHASES[@]}")

Seconds against packages (log scales; p peer, c cold, w warm, i warm incremental, n no-op):

\`\`\`
$(plot)
\`\`\`
EOF
}

main() {
    COUNTS=("$@")
    ((${#COUNTS[@]} > 0)) || COUNTS=("${DEFAULT_COUNTS[@]}")
    ROW_SIZES=() ROW_TIMES=() ROW_CPU=() ROW_MEMORY=() ROW_COLD_PHASES=() ROW_PER_FILE=() ROW_WARM_PHASES=() PLOT_POINTS=() JSON_SIZES=()
    ensure_tools dnf:dnf rpmbuild:rpm createrepo_c:createrepo-c ostree:ostree /usr/bin/time:time
    build_harness
    RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
    LOAD_BEFORE=$(load_average)
    local count
    for count in "${COUNTS[@]}"; do measure_size "$count"; done
    LOAD_AFTER=$(load_average)
    {
        echo "{"
        echo "  \"date\": \"$RUN_DATE\", \"harness_revision\": \"$(harness_revision)\","
        echo "  \"machine\": $(machine_json),"
        echo "  \"sizes\": [$(IFS=,; echo "${JSON_SIZES[*]}")]"
        echo "}"
    } >"$JSON_OUT"
    python3 -m json.tool "$JSON_OUT" >/dev/null || { echo "error: $JSON_OUT is not JSON" >&2; exit 1; }
    write_results_section "$SECTION" scale_section
    log "Results: $RESULTS_MD, $JSON_OUT (logs in $WORK_DIR/*/logs)"
    show_results_section "$SECTION"
}

main "$@"
