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

readonly HARNESS="$RELEASE_BIN/harness"
readonly SET_DIR="$WORK_DIR/package-set"
readonly BENCH_REPO="$WORK_DIR/bench-repo"
readonly CONFIG_DIR="$WORK_DIR/config"
readonly TREEFILE="$CONFIG_DIR/treefile.yaml"
readonly LOG_DIR="$WORK_DIR/logs"
readonly PEER_DIR="$WORK_DIR/peer"
readonly HARNESS_REPO="$WORK_DIR/harness/repo"
readonly HARNESS_CACHE="$WORK_DIR/harness/cache"
readonly REF=bench/x86_64/compose

# Two cold rounds (each re-imports everything, the expensive part of the run) and three of
# the cheap ones; the warm rounds are as many as generate-packages.sh makes updates.
readonly COLD_ROUNDS=2
readonly NOOP_ROUNDS=3
# The aims of the issue.
readonly AIM_COLD_OVER_PEER=1.0
readonly AIM_WARM_OVER_COLD=0.2
readonly AIM_NOOP_SECONDS=1.0
# Phases of a harness compose, as told apart by its progress lines on stderr.
readonly PHASES=("metadata + depsolve" "cache check + download" "import" "assembly" "commit" "cleanup + exit")

# swift build is incremental (seconds when nothing changed) and waits by itself while another
# build holds .build.
build_harness() {
    log "Building harness (release)"
    (cd "$PROJECT_DIR" && swift build -c release --product harness) >&2
}

# The work copy of the repository the composes read: the generated RPMs (hard links) and a
# copy of their repodata, so that swapping an update in never touches the generated set.
prepare_bench_repo() {
    rm -rf "$BENCH_REPO" "$CONFIG_DIR" "$LOG_DIR"
    mkdir -p "$BENCH_REPO" "$CONFIG_DIR" "$LOG_DIR"
    ln "$SET_DIR"/repo/*.rpm "$BENCH_REPO/"
    cp -r "$SET_DIR/repo/repodata" "$BENCH_REPO/"
    # One .repo file serves both: dnf reads it as its reposdir, harness beside the treefile.
    cat >"$CONFIG_DIR/bench.repo" <<EOF
[bench]
name=Compose benchmark packages
baseurl=file://$BENCH_REPO
gpgcheck=0
EOF
    {
        echo "ref: $REF"
        echo "repos: [bench]"
        echo "packages:"
        sed 's/^/  - /' "$SET_DIR/packages.txt"
    } >"$TREEFILE"
}

# Replaces the changed package's RPM in the work repository by UPDATE and refreshes the
# metadata, as a distribution's repository changes when one package is updated.
swap_in_update() {
    local update=$1 changed
    changed=$(cat "$SET_DIR/changed-package")
    rm -f "$BENCH_REPO/$changed"-1.0-*.noarch.rpm
    ln "$update" "$BENCH_REPO/"
    createrepo_c --quiet --update "$BENCH_REPO"
}


# The peer: dnf installs every package into an empty root, ostree commits that root into a new
# archive-mode repository. Appends to PEER_DNF and PEER_COMMIT.
run_peer_round() {
    local round=$1 root="$PEER_DIR/root" repo="$PEER_DIR/repo" start packages
    mapfile -t packages <"$SET_DIR/packages.txt"
    rm -rf "$PEER_DIR"
    mkdir -p "$root"
    ostree init --mode=archive --repo="$repo"
    local dnf_log="$LOG_DIR/peer-dnf-$round.log"
    start=$EPOCHREALTIME
    # cachedir given on the command line stays on the host, out of the committed root; the
    # rpmdb goes to ROOT/root/.rpmdb (Debian's rpm keeps it under ~), which is committed, as
    # harness commits its rpmdb too.
    dnf --installroot="$root" --releasever=1 \
        --setopt=reposdir="$CONFIG_DIR" --setopt=cachedir="$PEER_DIR/dnf-cache" \
        --disablerepo='*' --enablerepo=bench --nogpgcheck -y \
        install "${packages[@]}" >"$dnf_log" 2>&1 || fail_with_log "dnf install" "$dnf_log"
    PEER_DNF+=("$(seconds_since "$start")")
    local commit_log="$LOG_DIR/peer-commit-$round.log"
    start=$EPOCHREALTIME
    ostree --repo="$repo" commit --branch=bench --tree=dir="$root" >"$commit_log" 2>&1 ||
        fail_with_log "ostree commit" "$commit_log"
    PEER_COMMIT+=("$(seconds_since "$start")")
    PEER_TOTAL+=("$(awk -v a="${PEER_DNF[-1]}" -v b="${PEER_COMMIT[-1]}" 'BEGIN { printf "%.3f", a + b }')")
    PEER_FILES=$(ostree --repo="$repo" ls -R bench | wc -l)
    PEER_REPO_BYTES=$(du -sb "$repo" | cut -f1)
    log "peer round $round: dnf ${PEER_DNF[-1]} s, ostree commit ${PEER_COMMIT[-1]} s"
}

# Runs harness compose tree on the benchmark treefile. Sets COMPOSE_START and COMPOSE_END
# (values of $EPOCHREALTIME), COMPOSE_SECONDS, COMPOSE_COMMIT and COMPOSE_LOG (its stderr,
# each line prefixed with the time it was printed).
run_harness_compose() {
    local label=$1
    COMPOSE_LOG="$LOG_DIR/harness-$label.log"
    COMPOSE_START=$EPOCHREALTIME
    # stderr goes through the pipe, stdout (the checksum) to a file; pipefail makes a failing
    # harness fail the pipeline.
    if ! "$HARNESS" compose tree --repo "$HARNESS_REPO" --cachedir "$HARNESS_CACHE" "$TREEFILE" \
        2>&1 >"$LOG_DIR/harness-$label.out" | stamp_lines >"$COMPOSE_LOG"; then
        fail_with_log "harness compose tree ($label)" "$COMPOSE_LOG"
    fi
    COMPOSE_END=$EPOCHREALTIME
    COMPOSE_SECONDS=$(awk -v start="$COMPOSE_START" -v end="$COMPOSE_END" 'BEGIN { printf "%.3f", end - start }')
    COMPOSE_COMMIT=$(cat "$LOG_DIR/harness-$label.out")
}

# The seconds each phase of a compose took, in the order of PHASES, from the time-stamped
# stderr of a compose that wrote a commit. A phase that did not happen (no package to import)
# takes 0.
compose_phases() {
    local log=$1 start=$2 end=$3
    awk -v start="$start" -v end="$end" '
        $2 == "Resolved" && !resolved { resolved = $1 }
        $2 == "Importing" && !importing { importing = $1 }
        $2 == "Assembling" && !assembling { assembling = $1 }
        $2 == "Committing" && !committing { committing = $1 }
        $2 == "Wrote" && !wrote { wrote = $1 }
        END {
            if (!importing) importing = assembling
            printf "%.3f %.3f %.3f %.3f %.3f %.3f\n", resolved - start, importing - resolved,
                assembling - importing, committing - assembling, wrote - committing, end - wrote
        }' "$log"
}

# The seconds a compose spent in trigger scripts ("Ran N trigger scripts in X s"), 0 without.
trigger_seconds() {
    awk '$2 == "Ran" && $4 == "trigger" { print $7; found = 1 } END { if (!found) print 0 }' "$1"
}

# How many packages a compose fetched and imported ("N packages cached, M to fetch ...").
imported_count() {
    awk '$3 == "packages" && $4 == "cached," { print $5; found = 1 } END { if (!found) print 0 }' "$1"
}

expect_in_log() {
    local pattern=$1 log=$2 what=$3
    grep -q -- "$pattern" "$log" || fail_with_log "$what (expected '$pattern' on stderr)" "$log"
}

run_cold_round() {
    local round=$1
    rm -rf "$WORK_DIR/harness"
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

# The mean of each phase over a list of compose_phases lines.
mean_phases() {
    printf '%s\n' "$@" | awk '{ for (i = 1; i <= NF; i++) sum[i] += $i }
        END { for (i = 1; i <= NF; i++) printf "%.3f%s", sum[i] / NR, (i < NF ? " " : "\n") }'
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
  "machine": {"nproc": $(nproc), "memory_gib": $(machine_memory_gib), "cpu": "$(machine_cpu)",
              "loadavg_before": "$LOAD_BEFORE", "loadavg_after": "$LOAD_AFTER"},
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
    PEER_DNF=() PEER_COMMIT=() PEER_TOTAL=() COLD=() COLD_PHASES=() WARM=() WARM_PHASES=() WARM_IMPORTED=() NOOP=()
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
    rm -rf "$PEER_DIR" "$WORK_DIR/harness"
    log "Results: $RESULTS_MD, $RESULTS_JSON (logs in $LOG_DIR)"
    show_results_section Compose
}

main "$@"
