#!/usr/bin/env bash
# prune.sh [COUNT]: what keeping the package cache in bounds costs a build server that
# composes one ref again and again, at COUNT packages (default 2000).
#
# On the package set compose-scale/run.sh makes (generated here when missing): a cold compose,
# then ROUNDS (default 8) incremental composes, each after one data package changed (its
# generated releases in turn, then the first again). harness prunes its package cache when four
# composed trees are of no use (ComposedTreeRetention): after rounds 4 and 8. For each compose:
# its time, the prune's part of it (from its progress lines), the cache's size after it. Side
# by side, what a user of rpm-ostree would run to keep a compose cache in bounds: `ostree prune
# --refs-only --depth=1` on the same cache at the end, timed. Writes the "Package cache
# pruning" section of RESULTS.md and compose-scale/results-prune.json. The repository and the
# cache are removed at the end; the package set stays.
#
# Environment: BENCH_WORK_DIR as for run.sh (default /var/tmp/harness-compose-scale); ROUNDS.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=../compose/compose-lib.sh
source "$PROJECT_DIR/benchmarks/compose/compose-lib.sh"

readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/harness-compose-scale}
readonly GENERATOR="$PROJECT_DIR/benchmarks/compose/generate-packages.sh"
readonly ROUNDS=${ROUNDS:-8}
readonly SECTION="Package cache pruning"
readonly JSON_OUT="$SCRIPT_DIR/results-prune.json"

# The package cache's size in MiB.
cache_mib() {
    du -sm "$HARNESS_CACHE/pkgcache-repo" | cut -f1
}

# One compose's row: appends to ROWS and JSON_ROUNDS (and to PRUNES or PLAIN), and raises
# CACHE_MAX to the cache's size after it.
record_compose() {
    local label=$1 prune=0 pruned=no start end
    start=$(first_stamp "$COMPOSE_LOG" "Pruning the package cache")
    if [[ -n $start ]]; then
        end=$(first_stamp "$COMPOSE_LOG" "Pruned [0-9]+ objects")
        prune=$(seconds_between "$start" "$end")
        pruned=yes
        PRUNES+=("$prune")
    elif [[ $label != cold ]]; then
        PLAIN+=("$COMPOSE_SECONDS")
    fi
    local size
    size=$(cache_mib)
    ((size <= CACHE_MAX)) || CACHE_MAX=$size
    ROWS+=("| $label | $COMPOSE_SECONDS | $pruned | $prune | $size |")
    JSON_ROUNDS+=("{\"compose\": \"$label\", \"seconds\": $COMPOSE_SECONDS, \"pruned\": $([[ $pruned == yes ]] && echo true || echo false), \"prune_seconds\": $prune, \"cache_mib\": $size}")
    log "$label: $COMPOSE_SECONDS s, prune $prune s, cache $size MiB"
}

section() {
    cat <<EOF
## $SECTION

Written by \`benchmarks/compose-scale/prune.sh $COUNT\` on $RUN_DATE (harness $(harness_revision),
$(nproc) cores, $(machine_cpu), $(machine_memory_gib) GiB; load average before $LOAD_BEFORE,
after $LOAD_AFTER; $(filesystem_description "$WORK_DIR")).

A build server composing one ref again and again, $COUNT packages ($FILES entries in the
tree): a cold compose, then $ROUNDS incremental composes, each after one data package changed.
Each compose leaves its tree in the package cache for the next to build on; the files
packages shipped are the packages' own objects, the rest (the rpmdb above all) are the
tree's. harness prunes the cache when four trees are of no use (no ref points at them any
more): the prune reads every object in the cache, so it runs once in four composes, not in each.

| compose | time (s) | pruned the cache | prune (s) | cache after (MiB) |
| --- | --- | --- | --- | --- |
$(printf '%s\n' "${ROWS[@]}")

- Incremental composes that did not prune: median $(median "${PLAIN[@]}") s. Prunes:
  $(IFS=' '; echo "${PRUNES[*]}") s; spread over the $ROUNDS composes, $(ratio "$PRUNE_TOTAL" "$ROUNDS") s each.
- Each compose leaves about $GROWTH MiB of its own in the cache (rounds 1 to 3); pruning keeps
  the cache within $CACHE_MAX_GROWTH MiB of its size after the cold compose
  ($CACHE_COLD MiB); without it, a compose a day adds $(awk -v g="$GROWTH" 'BEGIN { printf "%.1f", g * 365 / 1024 }') GiB a year.
- Side by side: \`ostree prune --refs-only --depth=1\` on the same cache by hand took $PEER_PRUNE s
  (it deletes nothing here: harness has pruned), harness's prune $(median "${PRUNES[@]}") s
  (median): $(ratio "$(median "${PRUNES[@]}")" "$PEER_PRUNE") of it. The same libostree call; harness
  makes it once in four composes and decides by itself which trees it may drop.
EOF
}

main() {
    COUNT=${1:-2000}
    ((ROUNDS >= 4)) || { echo "error: ROUNDS=$ROUNDS: the cache is pruned after the fourth compose at the earliest" >&2; exit 2; }
    ROWS=() JSON_ROUNDS=() PRUNES=() PLAIN=() CACHE_MAX=0
    ensure_tools rpmbuild:rpm createrepo_c:createrepo-c ostree:ostree /usr/bin/time:time
    build_harness
    RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
    LOAD_BEFORE=$(load_average)
    use_work_dir "$WORK_DIR/$COUNT"
    "$GENERATOR" "$SET_DIR" "$COUNT" "$((COUNT * 3 / 4))"
    prepare_bench_repo
    rm -rf "$HARNESS_DIR"
    run_harness_compose cold
    expect_in_log "Wrote commit" "$COMPOSE_LOG" "cold compose"
    FILES=$(ostree --repo="$HARNESS_REPO" ls -R "$REF" | wc -l)
    record_compose cold
    CACHE_COLD=$(cache_mib)

    local updates name round previous
    mapfile -t updates < <(printf '%s\n' "$SET_DIR"/data-updates/*.rpm | sort -V)
    name=$(rpm -qp --nosignature --qf '%{NAME}' "${updates[0]}")
    updates+=("$SET_DIR/repo/$name-1.0-1.noarch.rpm")
    for ((round = 1; round <= ROUNDS; round++)); do
        previous=$COMPOSE_COMMIT
        swap_in_update "${updates[(round - 1) % ${#updates[@]}]}"
        run_harness_compose "incremental-$round"
        expect_in_log "Assembling from the previous tree" "$COMPOSE_LOG" "incremental compose $round"
        [[ "$COMPOSE_COMMIT" != "$previous" ]] || fail_with_log "incremental compose $round (same commit as before)" "$COMPOSE_LOG"
        record_compose "incremental $round"
        ((round != 3)) || GROWTH=$(awk -v a="$CACHE_COLD" -v b="$(cache_mib)" 'BEGIN { printf "%.0f", (b - a) / 3 }')
    done
    ((${#PRUNES[@]} > 0)) || { echo "error: no compose pruned the package cache" >&2; exit 1; }
    CACHE_MAX_GROWTH=$((CACHE_MAX - CACHE_COLD))
    PRUNE_TOTAL=$(printf '%s\n' "${PRUNES[@]}" | awk '{ s += $1 } END { printf "%.3f", s }')

    sync
    local start=$EPOCHREALTIME
    ostree --repo="$HARNESS_CACHE/pkgcache-repo" prune --refs-only --depth=1 >"$LOG_DIR/ostree-prune.log"
    PEER_PRUNE=$(seconds_since "$start")
    LOAD_AFTER=$(load_average)
    rm -rf "$HARNESS_DIR"

    {
        echo "{"
        echo "  \"date\": \"$RUN_DATE\", \"harness_revision\": \"$(harness_revision)\", \"packages\": $COUNT, \"entries\": $FILES,"
        echo "  \"machine\": $(machine_json),"
        echo "  \"composes\": $(json_array "${JSON_ROUNDS[@]}"),"
        echo "  \"ostree_prune_seconds\": $PEER_PRUNE"
        echo "}"
    } >"$JSON_OUT"
    python3 -m json.tool "$JSON_OUT" >/dev/null || { echo "error: $JSON_OUT is not JSON" >&2; exit 1; }
    write_results_section "$SECTION" section
    log "Results: $RESULTS_MD, $JSON_OUT (logs in $LOG_DIR)"
    show_results_section "$SECTION"
}

main "$@"
