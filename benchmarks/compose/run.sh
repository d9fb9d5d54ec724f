#!/usr/bin/env bash
# run.sh: the compose benchmark.
#
# Composes one generated package set (generate-packages.sh) into an OSTree commit three ways:
#   peer     dnf --installroot into a directory, then ostree commit of that directory
#   cold     harness compose tree with an empty package cache and a new repository
#   warm     harness compose tree again after one package was updated in the rpm-md repo
#   no-op    harness compose tree again with nothing changed
# and writes the times and their ratios into benchmarks/RESULTS.md (its "Compose" section)
# and benchmarks/compose/results.json.
#
# Environment: BENCH_WORK_DIR (default /var/tmp/harness-compose-bench) holds the package set,
# which is kept between runs, and the logs; BENCH_PACKAGE_COUNT (160) and BENCH_PAYLOAD_MB
# (120) size the package set.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/harness-compose-bench}
readonly PACKAGE_COUNT=${BENCH_PACKAGE_COUNT:-160}
readonly PAYLOAD_MB=${BENCH_PAYLOAD_MB:-120}

# shellcheck source=compose-lib.sh
source "$SCRIPT_DIR/compose-lib.sh"
use_work_dir "$WORK_DIR"

# Two cold rounds (each re-imports everything, the expensive part of the run) and three of
# the cheap ones; the warm rounds are as many as generate-packages.sh makes updates.
readonly COLD_ROUNDS=2
readonly NOOP_ROUNDS=3
# The aims of the issue.
readonly AIM_COLD_OVER_PEER=1.0
readonly AIM_WARM_OVER_COLD=0.2
readonly AIM_NOOP_SECONDS=1.0


run_cold_round() {
    local round=$1
    rm -rf "$HARNESS_DIR"
    run_harness_compose "cold-$round"
    expect_in_log "Wrote commit" "$COMPOSE_LOG" "cold compose"
    COLD+=("$COMPOSE_SECONDS")
    COLD_PHASES+=("$(compose_phases "$COMPOSE_LOG" "$COMPOSE_START" "$COMPOSE_END")")
    COLD_TRIGGERS+=("$(trigger_seconds "$COMPOSE_LOG")")
    log "cold round $round: $COMPOSE_SECONDS s"
}

run_warm_round() {
    local round=$1 update=$2 previous=$COMPOSE_COMMIT
    swap_in_update "$update"
    run_harness_compose "warm-$round"
    expect_in_log "Wrote commit" "$COMPOSE_LOG" "warm compose"
    [[ "$COMPOSE_COMMIT" != "$previous" ]] || fail_with_log "warm compose (same commit as before)" "$COMPOSE_LOG"
    WARM+=("$COMPOSE_SECONDS")
    WARM_PHASES+=("$(compose_phases "$COMPOSE_LOG" "$COMPOSE_START" "$COMPOSE_END")")
    WARM_TRIGGERS+=("$(trigger_seconds "$COMPOSE_LOG")")
    WARM_IMPORTED+=("$(imported_count "$COMPOSE_LOG")")
    log "warm round $round ($(basename "$update")): $COMPOSE_SECONDS s, ${WARM_IMPORTED[-1]} package(s) imported"
}

run_noop_round() {
    local round=$1 previous=$COMPOSE_COMMIT
    run_harness_compose "noop-$round"
    expect_in_log "No apparent changes" "$COMPOSE_LOG" "no-op compose"
    [[ "$COMPOSE_COMMIT" == "$previous" ]] || fail_with_log "no-op compose (printed another commit)" "$COMPOSE_LOG"
    NOOP+=("$COMPOSE_SECONDS")
    log "no-op round $round: $COMPOSE_SECONDS s"
}

phases_json_array() {
    local line items=()
    for line in "$@"; do items+=("$(phases_json PHASES "$line")"); done
    json_array "${items[@]}"
}

write_results_json() {
    cat >"$RESULTS_JSON" <<EOF
{
  "date": "$RUN_DATE",
  "machine": $(machine_json),
  "harness_revision": "$(harness_revision)",
  "package_set": {"packages": $(wc -l <"$SET_DIR/packages.txt"), "payload_bytes": $(cat "$SET_DIR/payload-bytes"),
                  "files_and_directories": $(cat "$SET_DIR/file-count"), "rpm_bytes": $RPM_BYTES},
  "peer": {"dnf_seconds": $(json_array "${PEER_DNF[@]}"), "ostree_commit_seconds": $(json_array "${PEER_COMMIT[@]}"),
           "total_seconds": $(json_array "${PEER_TOTAL[@]}"), "committed_entries": $PEER_FILES,
           "repo_bytes": $PEER_REPO_BYTES},
  "harness": {"cold_seconds": $(json_array "${COLD[@]}"), "warm_seconds": $(json_array "${WARM[@]}"),
              "noop_seconds": $(json_array "${NOOP[@]}"), "warm_packages_imported": $(json_array "${WARM_IMPORTED[@]}"),
              "cold_phases": $(phases_json_array "${COLD_PHASES[@]}"),
              "warm_phases": $(phases_json_array "${WARM_PHASES[@]}"),
              "cold_trigger_seconds": $(json_array "${COLD_TRIGGERS[@]}"),
              "warm_trigger_seconds": $(json_array "${WARM_TRIGGERS[@]}"),
              "committed_entries": $HARNESS_FILES, "repo_bytes": $HARNESS_REPO_BYTES},
  "medians": {"peer_dnf": $MEDIAN_DNF, "peer_commit": $MEDIAN_COMMIT, "peer_total": $MEDIAN_PEER,
              "cold": $MEDIAN_COLD, "warm": $MEDIAN_WARM, "noop": $MEDIAN_NOOP},
  "ratios": {"cold_over_peer": $COLD_OVER_PEER, "warm_over_cold": $WARM_OVER_COLD},
  "aims": {"cold_over_peer_at_most": $AIM_COLD_OVER_PEER, "warm_over_cold_below": $AIM_WARM_OVER_COLD,
           "noop_seconds_below": $AIM_NOOP_SECONDS},
  "aims_met": {"cold": "$(aim_met "$COLD_OVER_PEER" "$AIM_COLD_OVER_PEER" inclusive)",
               "warm": "$(aim_met "$WARM_OVER_COLD" "$AIM_WARM_OVER_COLD")",
               "noop": "$(aim_met "$MEDIAN_NOOP" "$AIM_NOOP_SECONDS")"}
}
EOF
}

phase_table_rows() {
    local cold warm index
    read -r -a cold <<<"$(mean_phases "${COLD_PHASES[@]}")"
    read -r -a warm <<<"$(mean_phases "${WARM_PHASES[@]}")"
    for index in "${!PHASES[@]}"; do
        echo "| ${PHASES[index]} | ${cold[index]} | ${warm[index]} |"
    done
    echo "| of which trigger scripts (in assembly) | $(mean_phases "${COLD_TRIGGERS[@]}") | $(mean_phases "${WARM_TRIGGERS[@]}") |"
}

compose_section() {
    local payload_mib rpm_mib
    payload_mib=$(mib "$(cat "$SET_DIR/payload-bytes")")
    rpm_mib=$(mib "$RPM_BYTES")
    cat <<EOF
## Compose

Written by \`benchmarks/compose/run.sh\` on $RUN_DATE; raw numbers in \`compose/results.json\`.

- Machine: $(nproc) cores ($(machine_cpu)), $(machine_memory_gib) GiB memory; load average before $LOAD_BEFORE, after $LOAD_AFTER.
- harness: $(harness_revision), release build.
- Package set: $(wc -l <"$SET_DIR/packages.txt") generated noarch packages, $payload_mib MiB of payload ($(cat "$SET_DIR/file-count") files and directories), $rpm_mib MiB of zstd RPMs, in a local rpm-md repository.
- Committed trees: peer $PEER_FILES entries, harness $HARNESS_FILES entries.

| measurement | runs (s) | median (s) |
| --- | --- | --- |
| peer: dnf --installroot install | ${PEER_DNF[*]} | $MEDIAN_DNF |
| peer: ostree commit (archive) | ${PEER_COMMIT[*]} | $MEDIAN_COMMIT |
| peer: dnf + ostree commit | ${PEER_TOTAL[*]} | $MEDIAN_PEER |
| harness cold (empty cache, new repo) | ${COLD[*]} | $MEDIAN_COLD |
| harness warm (one package updated) | ${WARM[*]} | $MEDIAN_WARM |
| harness no-op | ${NOOP[*]} | $MEDIAN_NOOP |

| ratio | value | aim | met |
| --- | --- | --- | --- |
| cold / (dnf + ostree commit) | $COLD_OVER_PEER | at most $AIM_COLD_OVER_PEER | $(aim_met "$COLD_OVER_PEER" "$AIM_COLD_OVER_PEER" inclusive) |
| warm / cold | $WARM_OVER_COLD | below $AIM_WARM_OVER_COLD | $(aim_met "$WARM_OVER_COLD" "$AIM_WARM_OVER_COLD") |
| no-op seconds | $MEDIAN_NOOP | below $AIM_NOOP_SECONDS | $(aim_met "$MEDIAN_NOOP" "$AIM_NOOP_SECONDS") |

Where a harness compose spends its time (mean seconds per phase, from the times of its
progress lines on stderr; "assembly" is the hard-link checkouts, the rpmdb and the
post-processing, "commit" writes the tree and copies it into the archive repository,
"cleanup + exit" is what follows the last progress line; the package set's triggers, in rpm's
Lua, run in assembly: a \`%transfiletriggerin\` on /usr/lib once, a \`%filetriggerin\` on /etc
for every package with a config file, each in the sandbox as its own rpmlua):

| phase | cold | warm |
| --- | --- | --- |
$(phase_table_rows)
EOF
}

main() {
    PEER_DNF=() PEER_COMMIT=() PEER_TOTAL=() PEER_DNF_RSS=() PEER_COMMIT_RSS=() PEER_CPU=() COLD=() COLD_PHASES=() WARM=() WARM_PHASES=() WARM_IMPORTED=() NOOP=()
    COLD_TRIGGERS=() WARM_TRIGGERS=()
    # The tools the benchmark drives, each installed from Debian if missing.
    ensure_tools dnf:dnf rpmbuild:rpm createrepo_c:createrepo-c ostree:ostree
    build_harness
    "$SCRIPT_DIR/generate-packages.sh" "$SET_DIR" "$PACKAGE_COUNT" "$PAYLOAD_MB"
    prepare_bench_repo
    RPM_BYTES=$(cat "$SET_DIR"/repo/*.rpm | wc -c)
    RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
    LOAD_BEFORE=$(load_average)

    # Peer and cold rounds alternate, so that a change in the machine's load (others build
    # on it too) weighs on both alike.
    local round
    for ((round = 1; round <= COLD_ROUNDS; round++)); do
        run_peer_round "$round"
        run_cold_round "$round"
    done
    HARNESS_FILES=$(ostree --repo="$HARNESS_REPO" ls -R "$REF" | wc -l)
    HARNESS_REPO_BYTES=$(du -sb "$HARNESS_REPO" | cut -f1)
    local updates
    mapfile -t updates < <(printf '%s\n' "$SET_DIR"/updates/*.rpm | sort -V)
    for round in "${!updates[@]}"; do
        run_warm_round "$((round + 1))" "${updates[round]}"
    done
    for ((round = 1; round <= NOOP_ROUNDS; round++)); do
        run_noop_round "$round"
    done
    LOAD_AFTER=$(load_average)

    MEDIAN_DNF=$(median "${PEER_DNF[@]}")
    MEDIAN_COMMIT=$(median "${PEER_COMMIT[@]}")
    MEDIAN_PEER=$(median "${PEER_TOTAL[@]}")
    MEDIAN_COLD=$(median "${COLD[@]}")
    MEDIAN_WARM=$(median "${WARM[@]}")
    MEDIAN_NOOP=$(median "${NOOP[@]}")
    COLD_OVER_PEER=$(ratio "$MEDIAN_COLD" "$MEDIAN_PEER")
    WARM_OVER_COLD=$(ratio "$MEDIAN_WARM" "$MEDIAN_COLD")
    write_results_json
    write_results_section Compose compose_section
    # The trees and repositories are big and only the numbers matter; the package set and the
    # logs stay for the next run and for a look at what happened.
    rm -rf "$PEER_DIR" "$HARNESS_DIR"
    log "Results: $RESULTS_MD, $RESULTS_JSON (logs in $LOG_DIR)"
    show_results_section Compose
}

main "$@"
