# shellcheck shell=bash
# lib.sh: helpers the benchmark scripts (*/run.sh) share. Sourced, not run:
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
#
# It sets, for the sourcing script and its own functions:
#   SCRIPT_DIR    the sourcing script's directory
#   PROJECT_DIR   the repository's top directory (harness_revision)
#   RESULTS_MD    benchmarks/RESULTS.md (write_results_section)
#   RESULTS_JSON  SCRIPT_DIR/results.json, the benchmark's raw numbers
#   SHARED_STATE_DIR  BENCH_STATE_DIR, or the boot tests' state directory: a Debian base
#                 composed there is cached for every benchmark that boots the default image
#   RELEASE_BIN, DEBUG_BIN  where `swift build` puts harness and treectl
# The scripts run under "set -euo pipefail"; these functions expect it.

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
PROJECT_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
readonly SCRIPT_DIR PROJECT_DIR
readonly RESULTS_MD="$PROJECT_DIR/benchmarks/RESULTS.md"
readonly RESULTS_JSON="$SCRIPT_DIR/results.json"
readonly SHARED_STATE_DIR=${BENCH_STATE_DIR:-/var/tmp/harness-boot-tests}
readonly RELEASE_BIN="$PROJECT_DIR/.build/release" DEBUG_BIN="$PROJECT_DIR/.build/debug"

log() {
    echo "== $*" >&2
}

# Stops the benchmark: WHAT failed, the end of its LOG on stderr.
fail_with_log() {
    local what=$1 log=$2
    echo "error: $what failed; its output ($log):" >&2
    tail -n 60 "$log" >&2
    exit 1
}

# Installs from Debian the package of each COMMAND:PACKAGE whose command is missing.
ensure_tools() {
    local command package missing=()
    for command in "$@"; do
        package=${command#*:}
        command -v "${command%%:*}" >/dev/null || missing+=("$package")
    done
    if ((${#missing[@]} > 0)); then
        log "Installing ${missing[*]}"
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}"
    fi
}

# Seconds from START to END (values of $EPOCHREALTIME), to the millisecond.
seconds_between() {
    awk -v start="$1" -v end="$2" 'BEGIN { printf "%.3f", end - start }'
}

# Seconds elapsed since START (a value of $EPOCHREALTIME), to the millisecond.
seconds_since() {
    seconds_between "$1" "$EPOCHREALTIME"
}

median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
}

# "yes" when VALUE is at most LIMIT ("inclusive") or below it.
aim_met() {
    awk -v value="$1" -v limit="$2" -v inclusive="${3:-}" \
        'BEGIN { print ((inclusive ? value <= limit : value < limit) ? "yes" : "no") }'
}

# BYTES in MiB, to one decimal.
mib() {
    awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'
}

load_average() {
    cut -d' ' -f1-3 /proc/loadavg
}

# Prefixes each line with the time it was read, for telling a run's phases apart.
stamp_lines() {
    local line
    while IFS= read -r line; do
        printf '%s %s\n' "$EPOCHREALTIME" "$line"
    done
}

# The stamp of the first line of a stamped LOG whose text (terminal colour codes removed)
# matches the extended regular expression PATTERN; nothing if none does. One awk reading the
# file: a reader that stops early in a pipeline would fail the writer with SIGPIPE, and
# pipefail the whole substitution.
first_stamp() {
    local log=$1 pattern=$2
    PATTERN=$pattern awk '{ stamp = $1; sub(/^[^ ]+ /, ""); gsub(/\033\[[0-9;?]*[A-Za-z]/, "") }
        $0 ~ ENVIRON["PATTERN"] { print stamp; exit }' "$log"
}

machine_memory_gib() {
    awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo
}

machine_cpu() {
    lscpu | awk -F: '/^Model name:/ && !found { gsub(/^[ \t]+/, "", $2); print $2; found = 1 }'
}

# The machine and its load average before and after the run (LOAD_BEFORE, LOAD_AFTER), as the
# JSON object a results file holds under "machine".
machine_json() {
    printf '{"nproc": %s, "memory_gib": %s, "cpu": "%s", "loadavg_before": "%s", "loadavg_after": "%s"}' \
        "$(nproc)" "$(machine_memory_gib)" "$(machine_cpu)" "$LOAD_BEFORE" "$LOAD_AFTER"
}

harness_revision() {
    local revision
    revision=$(git -C "$PROJECT_DIR" rev-parse --short HEAD)
    # Others may be editing Sources/ while this runs: say when the build was of a dirty tree.
    if [[ -n "$(git -C "$PROJECT_DIR" status --porcelain -- Sources Package.swift)" ]]; then
        revision+=" (with uncommitted changes in Sources/)"
    fi
    echo "$revision"
}

json_array() {
    local IFS=,
    echo "[$*]"
}

# A line of phase times as a JSON object keyed by the names in the array named NAMES.
phases_json() {
    local -n names=$1
    local values index out=""
    read -r -a values <<<"$2"
    for index in "${!names[@]}"; do
        out+="${out:+, }\"${names[index]}\": ${values[index]}"
    done
    echo "{$out}"
}

# Replaces the "## HEADING" section of RESULTS.md (up to the next "## " heading) by what the
# function SECTION_FUNCTION prints, keeping every other section; appends it when there is none
# yet.
write_results_section() {
    local heading=$1 section_function=$2 section
    section=$(mktemp)
    "$section_function" >"$section"
    if [[ ! -f "$RESULTS_MD" ]]; then
        printf '# Benchmark results\n\nMeasured numbers; see README.md for what each benchmark measures.\n' >"$RESULTS_MD"
    fi
    awk -v section_file="$section" -v heading="## $heading" '
        BEGIN { while ((getline line < section_file) > 0) section = section line "\n" }
        /^## / { if (inside) print ""; inside = 0 }
        { title = $0; sub(/[ \t]+$/, "", title) }
        title == heading { printf "%s", section; inside = 1; replaced = 1; next }
        !inside { print }
        END { if (!replaced) printf "\n%s", section }' "$RESULTS_MD" >"$RESULTS_MD.tmp"
    mv "$RESULTS_MD.tmp" "$RESULTS_MD"
    rm -f "$section"
}

# Prints the "## HEADING" section of RESULTS.md (to stderr, at the end of a run).
show_results_section() {
    sed -n "/^## $1/,\$p" "$RESULTS_MD" | sed '/^## /{1!Q}' >&2
}
