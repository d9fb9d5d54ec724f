# shellcheck shell=bash
# compose-lib.sh: what the compose benchmarks (compose/run.sh, compose-scale/run.sh) share:
# the work directory of one package set, the peer's round, a harness compose and its phases.
# Sourced after ../lib.sh:
#   source "$PROJECT_DIR/benchmarks/compose/compose-lib.sh"

readonly HARNESS="$RELEASE_BIN/harness"
readonly REF=bench/x86_64/compose
# Phases of a harness compose, as told apart by its progress lines on stderr.
readonly PHASES=("metadata + depsolve" "cache check + download" "import" "assembly" "commit" "cleanup + exit")

# Points the functions below at DIR: its package set (DIR/package-set, made by
# generate-packages.sh), the work copy of its repository, the treefile, the logs, the peer's
# root and the harness repository and cache.
use_work_dir() {
    local dir=$1
    SET_DIR="$dir/package-set"
    BENCH_REPO="$dir/bench-repo"
    CONFIG_DIR="$dir/config"
    TREEFILE="$CONFIG_DIR/treefile.yaml"
    LOG_DIR="$dir/logs"
    PEER_DIR="$dir/peer"
    HARNESS_DIR="$dir/harness"
    HARNESS_REPO="$HARNESS_DIR/repo"
    HARNESS_CACHE="$HARNESS_DIR/cache"
}

# Seconds to pause before a timed step that creates many files (see settle); compose-scale
# sets it before sourcing this file.
SETTLE_PAUSE=${SETTLE_PAUSE:-0}

# Settles the filesystem before a step is timed: `settle [drop] [pause]`. Writes back what the
# previous step left dirty: at 2,000 packages a step leaves gigabytes to write, which the
# kernel would write during the next step, making it pay for them. With "drop" (as root), then
# drops the page cache, for the steps that start from nothing (the peer's dnf, a cold compose):
# what the earlier steps read and wrote fills memory (gigabytes at 2,000 packages), and a step
# that finds memory full pays for reclaiming it; the same cold compose of 2,000 packages took
# 77, 109 and 115 s one after another that way, and 80 s after a drop. Such a step so reads
# its packages from the disk; the steps after it (the peer's commit, warm composes) find what
# it left in memory, as they would on a build server. With "pause", then waits SETTLE_PAUSE
# seconds: ext4 without a journal (this machine's root) does not hand out inodes freed less
# than a minute ago (longer while their table block is dirty) and searches its bitmaps past
# them, so a step creating 200,000 files right after the previous step deleted as many (a peer
# root, a compose's scratch tree) runs much slower.
settle() {
    sync
    if [[ " $* " == *" drop "* && -w /proc/sys/vm/drop_caches ]]; then echo 3 >/proc/sys/vm/drop_caches; fi
    if [[ " $* " == *" pause "* ]] && ((SETTLE_PAUSE > 0)); then sleep "$SETTLE_PAUSE"; fi
}

# What GNU time writes of a timed step (-f USAGE_FORMAT -o FILE): its peak memory (KiB) and
# the CPU seconds it used in user space and in the kernel.
readonly USAGE_FORMAT='%M %U %S'

# The peak memory in a USAGE_FORMAT FILE, in MiB.
peak_mib() {
    awk '{ printf "%.0f", $1 / 1024 }' "$1"
}

# The CPU seconds (user + system, all its processes and threads) in USAGE_FORMAT FILEs, summed.
cpu_seconds() {
    awk '{ sum += $2 + $3 } END { printf "%.1f", sum }' "$@"
}

# The type of the filesystem DIR is on (ext4, tmpfs, ...).
filesystem_type() {
    findmnt -no FSTYPE -T "$1"
}

# The filesystem DIR is on, in words: type and device, and for ext4 whether it has a journal
# (jbd2 lists the devices whose journal it runs): without one, ext4 checks each inode it
# allocates for a recent deletion, which costs a compose and the peer alike.
filesystem_description() {
    local type source
    type=$(filesystem_type "$1")
    source=$(findmnt -no SOURCE -T "$1")
    if [[ $type == tmpfs ]]; then
        printf 'tmpfs (in memory)'
        return
    fi
    if [[ $type == ext4 ]]; then
        if compgen -G "/proc/fs/jbd2/${source##*/}-*" >/dev/null; then type="ext4 with a journal"; else type="ext4 without a journal"; fi
    fi
    printf '%s on %s' "$type" "$source"
}

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

# Replaces the RPM of the package UPDATE is a later release of in the work repository by
# UPDATE and refreshes the metadata, as a distribution's repository changes when one package
# is updated.
swap_in_update() {
    local update=$1 changed
    changed=$(rpm -qp --nosignature --qf '%{NAME}' "$update")
    rm -f "$BENCH_REPO/$changed"-1.0-*.noarch.rpm
    ln "$update" "$BENCH_REPO/"
    createrepo_c --quiet --update "$BENCH_REPO"
}

# The peer: dnf installs every package into an empty root, ostree commits that root into a new
# archive-mode repository. Appends to PEER_DNF, PEER_COMMIT, PEER_TOTAL, the peak memories
# PEER_DNF_RSS and PEER_COMMIT_RSS (MiB) and the CPU seconds of both, PEER_CPU.
run_peer_round() {
    local round=$1 root="$PEER_DIR/root" repo="$PEER_DIR/repo" start packages
    mapfile -t packages <"$SET_DIR/packages.txt"
    rm -rf "$PEER_DIR"
    mkdir -p "$root"
    ostree init --mode=archive --repo="$repo"
    local dnf_log="$LOG_DIR/peer-dnf-$round.log"
    settle drop pause
    start=$EPOCHREALTIME
    # cachedir given on the command line stays on the host, out of the committed root; the
    # rpmdb goes to ROOT/root/.rpmdb (Debian's rpm keeps it under ~), which is committed, as
    # harness commits its rpmdb too.
    /usr/bin/time -f "$USAGE_FORMAT" -o "$LOG_DIR/peer-dnf-$round.usage" dnf --installroot="$root" --releasever=1 \
        --setopt=reposdir="$CONFIG_DIR" --setopt=cachedir="$PEER_DIR/dnf-cache" \
        --disablerepo='*' --enablerepo=bench --nogpgcheck -y \
        install "${packages[@]}" >"$dnf_log" 2>&1 || fail_with_log "dnf install" "$dnf_log"
    PEER_DNF+=("$(seconds_since "$start")")
    PEER_DNF_RSS+=("$(peak_mib "$LOG_DIR/peer-dnf-$round.usage")")
    local commit_log="$LOG_DIR/peer-commit-$round.log"
    settle
    start=$EPOCHREALTIME
    /usr/bin/time -f "$USAGE_FORMAT" -o "$LOG_DIR/peer-commit-$round.usage" \
        ostree --repo="$repo" commit --branch=bench --tree=dir="$root" >"$commit_log" 2>&1 ||
        fail_with_log "ostree commit" "$commit_log"
    PEER_COMMIT+=("$(seconds_since "$start")")
    PEER_COMMIT_RSS+=("$(peak_mib "$LOG_DIR/peer-commit-$round.usage")")
    PEER_CPU+=("$(cpu_seconds "$LOG_DIR/peer-dnf-$round.usage" "$LOG_DIR/peer-commit-$round.usage")")
    PEER_TOTAL+=("$(awk -v a="${PEER_DNF[-1]}" -v b="${PEER_COMMIT[-1]}" 'BEGIN { printf "%.3f", a + b }')")
    PEER_FILES=$(ostree --repo="$repo" ls -R bench | wc -l)
    PEER_REPO_BYTES=$(du -sb "$repo" | cut -f1)
    log "peer round $round: dnf ${PEER_DNF[-1]} s, ostree commit ${PEER_COMMIT[-1]} s"
}

# Runs harness compose tree on the benchmark treefile. Sets COMPOSE_START and COMPOSE_END
# (values of $EPOCHREALTIME), COMPOSE_SECONDS, COMPOSE_COMMIT, COMPOSE_RSS (its peak memory,
# MiB), COMPOSE_CPU (its CPU seconds) and COMPOSE_LOG (its stderr, each line prefixed with the time it was printed).
run_harness_compose() {
    local label=$1
    COMPOSE_LOG="$LOG_DIR/harness-$label.log"
    # A cold compose starts from nothing; a no-op compose creates no files: no pause before it.
    case $label in
        cold*) settle drop pause ;;
        noop*) settle ;;
        *) settle pause ;;
    esac
    COMPOSE_START=$EPOCHREALTIME
    # stderr goes through the pipe, stdout (the checksum) to a file; pipefail makes a failing
    # harness fail the pipeline.
    if ! /usr/bin/time -f "$USAGE_FORMAT" -o "$LOG_DIR/harness-$label.usage" \
        "$HARNESS" compose tree --repo "$HARNESS_REPO" --cachedir "$HARNESS_CACHE" "$TREEFILE" \
        2>&1 >"$LOG_DIR/harness-$label.out" | stamp_lines >"$COMPOSE_LOG"; then
        fail_with_log "harness compose tree ($label)" "$COMPOSE_LOG"
    fi
    COMPOSE_END=$EPOCHREALTIME
    COMPOSE_SECONDS=$(awk -v start="$COMPOSE_START" -v end="$COMPOSE_END" 'BEGIN { printf "%.3f", end - start }')
    COMPOSE_COMMIT=$(cat "$LOG_DIR/harness-$label.out")
    COMPOSE_RSS=$(peak_mib "$LOG_DIR/harness-$label.usage")
    COMPOSE_CPU=$(cpu_seconds "$LOG_DIR/harness-$label.usage")
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

# The mean of each phase over a list of compose_phases lines.
mean_phases() {
    printf '%s\n' "$@" | awk '{ for (i = 1; i <= NF; i++) sum[i] += $i }
        END { for (i = 1; i <= NF; i++) printf "%.3f%s", sum[i] / NR, (i < NF ? " " : "\n") }'
}
