#!/usr/bin/env bash
# run.sh: the publish benchmark.
#
# The default image's commit and its one-package update (scenarios/treefiles/next.yaml:
# fixture-base-files 1.0 -> 1.1), in one run:
#   publish  harness publish of the update with a static delta from the image's commit and a
#            signed summary, into a new directory; against the same by hand: ostree pull-local
#            into a new archive repository, ostree static-delta generate, ostree summary -u
#            --gpg-sign
#   fetch    what a client that runs the image fetches for the update over HTTP (python3
#            http.server on loopback): through the static delta (ostree pull, as treectl
#            upgrade does) against a plain object pull of the same commit
#            (--disable-static-deltas); bytes as ostree pull reports them
# Writes the "Publish" section of benchmarks/RESULTS.md and publish/results.json.
#
# Environment: BENCH_WORK_DIR (default /var/tmp/harness-publish-bench); BENCH_STATE_DIR
# (default /var/tmp/harness-boot-tests, where the default image and the update are composed).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/harness-publish-bench}
readonly STATE_DIR=$SHARED_STATE_DIR
readonly HARNESS="$RELEASE_BIN/harness"
readonly IMAGE_REF=harness/x86_64/debian-bookworm
readonly ROUNDS=3
readonly AIM_DELTA_OVER_OBJECTS=0.3

build_and_compose() {
    log "Building harness (release)"
    (cd "$PROJECT_DIR" && swift build -c release --product harness) >&2
    log "Composing the default image and its update in $STATE_DIR"
    IMAGE=$("$HARNESS" compose tree --state-dir "$STATE_DIR" -q "$PROJECT_DIR/images/debian-bookworm/treefile.yaml")
    UPDATE=$("$HARNESS" compose tree --state-dir "$STATE_DIR" -q "$PROJECT_DIR/scenarios/treefiles/next.yaml")
}

make_key_and_source() {
    rm -rf "$WORK_DIR"
    mkdir -p "$WORK_DIR/gnupg"
    chmod 700 "$WORK_DIR/gnupg"
    gpg --homedir "$WORK_DIR/gnupg" --batch --passphrase '' --quick-gen-key "bench <bench@harness.invalid>" rsa2048 sign never 2>/dev/null
    gpg --homedir "$WORK_DIR/gnupg" --armor --export bench@harness.invalid >"$WORK_DIR/key.asc"
    # The update on the image's ref, as a release repository would have it.
    ostree init --repo="$WORK_DIR/source" --mode=archive
    ostree --repo="$WORK_DIR/source" pull-local "$STATE_DIR/repo" "$IMAGE" "$UPDATE" >/dev/null
    ostree --repo="$WORK_DIR/source" refs --create="$IMAGE_REF" "$UPDATE"
    for commit in "$IMAGE" "$UPDATE"; do
        ostree --repo="$WORK_DIR/source" gpg-sign --gpg-homedir="$WORK_DIR/gnupg" "$commit" bench@harness.invalid
    done
}

time_harness_publish() {
    local start
    rm -rf "$WORK_DIR/www" && mkdir -p "$WORK_DIR/www"
    start=$EPOCHREALTIME
    "$HARNESS" publish --repo "$WORK_DIR/source" --to "$WORK_DIR/www/repo" --depth 0 --delta-from "$IMAGE" \
        --gpg-sign bench@harness.invalid --gpg-homedir "$WORK_DIR/gnupg" "$IMAGE_REF" >/dev/null 2>"$WORK_DIR/publish.log"
    seconds_since "$start"
}

time_by_hand() {
    local start
    rm -rf "$WORK_DIR/by-hand"
    start=$EPOCHREALTIME
    ostree init --repo="$WORK_DIR/by-hand" --mode=archive
    ostree --repo="$WORK_DIR/by-hand" pull-local --depth=0 "$WORK_DIR/source" "$IMAGE_REF" >/dev/null
    ostree --repo="$WORK_DIR/by-hand" pull-local "$WORK_DIR/source" "$IMAGE" >/dev/null
    ostree --repo="$WORK_DIR/by-hand" static-delta generate --from="$IMAGE" --to="$UPDATE" >/dev/null
    ostree --repo="$WORK_DIR/by-hand" prune --refs-only --depth=0 >/dev/null
    ostree --repo="$WORK_DIR/by-hand" summary -u --gpg-sign=bench@harness.invalid --gpg-homedir="$WORK_DIR/gnupg"
    seconds_since "$start"
}

# Bytes a client holding the image's commit fetches for the update: "delta" or "objects".
fetched_bytes() {
    local client=$WORK_DIR/client-$1 flags=() output
    [[ $1 == objects ]] && flags=(--disable-static-deltas)
    rm -rf "$client"
    ostree init --repo="$client" --mode=bare-user
    ostree --repo="$client" pull-local "$WORK_DIR/source" "$IMAGE" >/dev/null
    ostree --repo="$client" remote add --set=gpg-verify=true --set=gpg-verify-summary=true \
        --gpg-import="$WORK_DIR/key.asc" r "$SERVER_URL/repo" >/dev/null
    ostree --repo="$client" refs --create="r:$IMAGE_REF" "$IMAGE"
    output=$(ostree --repo="$client" pull "${flags[@]}" r "$IMAGE_REF")
    # "... 123 KiB transferred in 1 seconds" or "... 2.1 MB transferred"
    awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "transferred") {
               n = $(i - 1); u = $i
               printf "%d", n * (u == "KiB" ? 1024 : u == "MiB" ? 1048576 : u == "GiB" ? 1073741824 : u == "kB" ? 1000 : u == "MB" ? 1000000 : 1)
           } }' <<<"${output##*$'\n'}"
}

kib() {
    awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'
}

main() {
    build_and_compose
    make_key_and_source
    local harness_times=() hand_times=() round
    for round in $(seq "$ROUNDS"); do
        log "Publish round $round"
        harness_times+=("$(time_harness_publish)")
        hand_times+=("$(time_by_hand)")
    done
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    python3 -m http.server --bind 127.0.0.1 --directory "$WORK_DIR/www" "$port" >/dev/null 2>&1 &
    SERVER_PID=$!
    trap 'kill "$SERVER_PID" 2>/dev/null' EXIT
    SERVER_URL="http://127.0.0.1:$port"
    sleep 1
    DELTA_BYTES=$(fetched_bytes delta)
    OBJECT_BYTES=$(fetched_bytes objects)
    HARNESS_PUBLISH=$(median "${harness_times[@]}")
    HAND_PUBLISH=$(median "${hand_times[@]}")
    cat >"$RESULTS_JSON" <<JSON
{"revision": "$(harness_revision)", "image": "$IMAGE", "update": "$UPDATE",
 "publish_seconds": {"harness": $(json_array "${harness_times[@]}"), "by_hand": $(json_array "${hand_times[@]}")},
 "fetched_bytes": {"static_delta": $DELTA_BYTES, "objects": $OBJECT_BYTES}}
JSON
    write_results_section "Publish" results_section
    show_results_section "Publish"
}

results_section() {
    local fetch_ratio publish_ratio
    fetch_ratio=$(ratio "$DELTA_BYTES" "$OBJECT_BYTES")
    publish_ratio=$(ratio "$HARNESS_PUBLISH" "$HAND_PUBLISH")
    cat <<EOF
## Publish

\`benchmarks/publish/run.sh\` ($(date -u +%Y-%m-%d), harness $(harness_revision), $(machine_cpu), load $(load_average)).
The default image's commit and its one-package update (\`scenarios/treefiles/next.yaml\`:
fixture-base-files 1.0 → 1.1), signed; medians of $ROUNDS.

| | harness | by hand | ratio |
| --- | --- | --- | --- |
| publish the update: objects, static delta from the image, signed summary | ${HARNESS_PUBLISH} s | ${HAND_PUBLISH} s (pull-local, static-delta generate, prune, summary -u --gpg-sign) | $publish_ratio |

| a client on the image fetches the update over HTTP | bytes | |
| --- | --- | --- |
| through the static delta (what \`treectl upgrade\` does) | $DELTA_BYTES ($(kib "$DELTA_BYTES") KiB) | |
| plain object pull of the same commit (\`--disable-static-deltas\`) | $OBJECT_BYTES ($(kib "$OBJECT_BYTES") KiB) | |
| ratio (aim at most $AIM_DELTA_OVER_OBJECTS) | $fetch_ratio | met: $(aim_met "$fetch_ratio" "$AIM_DELTA_OVER_OBJECTS" inclusive) |
EOF
}

main "$@"
