#!/usr/bin/env bash
# run.sh: the layering benchmark.
#
# Layers one package onto a deployed tree, two ways, in one run:
#   treectl  treectl install PKG on a directory sysroot deployed from the base: a new layered
#            commit and deployment, the base deployment untouched
#   peer     what a user would otherwise do: a full copy of the deployed tree (cp -a), then
#            dnf --installroot install PKG into the copy; the copy and dnf are reported apart
# for three packages (bench-small: one 4 KiB file; bench-large: 40 MiB in 400 files;
# bench-post: one file and a %post, which makes treectl assemble the tree on disk and run the
# scriptlet in its sandbox) on two
# bases (the default image, images/debian-bookworm; and a busybox tree of a few hundred KiB),
# so that the table shows whether the time grows with the layered package or with the base.
# Writes the "Layering" section of benchmarks/RESULTS.md and layering/results.json.
#
# Environment: BENCH_WORK_DIR (default /var/tmp/harness-layering-bench); BENCH_STATE_DIR
# (default /var/tmp/harness-boot-tests, the boot tests' state, so the Debian base built there
# is reused) is where the default image is composed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/harness-layering-bench}
readonly STATE_DIR=$SHARED_STATE_DIR
readonly HARNESS="$RELEASE_BIN/harness"
readonly TREECTL="$RELEASE_BIN/treectl"
readonly DEFAULT_REF=harness/x86_64/debian-bookworm
readonly SMALL_REF=bench/x86_64/busybox
readonly ROUNDS=3
readonly PACKAGES=(bench-small bench-large bench-post)
readonly AIM_TREECTL_OVER_PEER=0.5


build_tools() {
    log "Building harness and treectl (release)"
    (cd "$PROJECT_DIR" && swift build -c release --product harness && swift build -c release --product treectl) >&2
}

# bench-small and bench-large as an rpm-md repository in $WORK_DIR/repo.
build_packages() {
    local top=$WORK_DIR/rpmbuild
    rm -rf "$top" "$WORK_DIR/repo"
    mkdir -p "$top" "$WORK_DIR/repo"
    cat >"$top/bench-small.spec" <<'EOF'
Name: bench-small
Version: 1.0
Release: 1
Summary: One small file to layer
License: MIT
BuildArch: noarch
%description
One small file.
%install
mkdir -p %{buildroot}/usr/share/bench-small
head -c 4096 /dev/urandom > %{buildroot}/usr/share/bench-small/data
%files
/usr/share/bench-small
EOF
    cat >"$top/bench-large.spec" <<'EOF'
Name: bench-large
Version: 1.0
Release: 1
Summary: 40 MiB in 400 files to layer
License: MIT
BuildArch: noarch
%description
Many files.
%install
mkdir -p %{buildroot}/usr/share/bench-large
for i in $(seq 1 400); do head -c 104857 /dev/urandom > %{buildroot}/usr/share/bench-large/file-$i; done
%files
/usr/share/bench-large
EOF
    cat >"$top/bench-post.spec" <<'EOF'
Name: bench-post
Version: 1.0
Release: 1
Summary: One small file and a %post, so the tree is assembled and the scriptlet sandboxed
License: MIT
BuildArch: noarch
%description
A scriptlet.
%install
mkdir -p %{buildroot}/usr/share/bench-post
head -c 4096 /dev/urandom > %{buildroot}/usr/share/bench-post/data
%post -p /bin/sh
echo installed > /usr/share/bench-post/post-ran
%files
/usr/share/bench-post
EOF
    HOME=$top rpmbuild -bb --quiet --define "_topdir $top" --define "_tmppath $top/tmp" --define "_dbpath $top/rpmdb" \
        --define "_rpmdir $WORK_DIR/repo" --define "_build_id_links none" \
        --define "_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
        "$top/bench-small.spec" "$top/bench-large.spec" "$top/bench-post.spec" 2>&1 | grep -vi alien >&2 || true
    createrepo_c --quiet "$WORK_DIR/repo"
    printf '[bench]\nname=bench\nbaseurl=file://%s\nenabled=1\ngpgcheck=0\n' "$WORK_DIR/repo" >"$WORK_DIR/bench.repo"
}

# The default image composed into the state directory (a no-op when it is current), and the
# busybox base composed into the work directory.
compose_bases() {
    log "Composing the default image (reuses the cached Debian base in $STATE_DIR)"
    "$HARNESS" compose tree --state-dir "$STATE_DIR" "$PROJECT_DIR/images/debian-bookworm/treefile.yaml" \
        >"$WORK_DIR/compose-default.log" 2>&1 || fail_with_log "compose of the default image" "$WORK_DIR/compose-default.log"
    local small=$WORK_DIR/small-base
    rm -rf "$small"
    mkdir -p "$small/root/usr/bin" "$small/root/etc" "$small/root/usr/lib/modules/6.1.0-bench"
    cp /bin/busybox "$small/root/usr/bin/busybox"
    ln -s busybox "$small/root/usr/bin/sh"
    ln -s usr/bin "$small/root/bin"
    echo 'root:x:0:0:root:/root:/bin/sh' >"$small/root/etc/passwd"
    echo 'root:x:0:' >"$small/root/etc/group"
    printf 'ID=bench\nVERSION_ID=1\nNAME="Bench"\n' >"$small/root/etc/os-release"
    echo kernel >"$small/root/usr/lib/modules/6.1.0-bench/vmlinuz"
    tar -C "$small/root" -czf "$small/base.tar.gz" .
    printf 'ref: %s\nbase: base.tar.gz\npackages: []\n' "$SMALL_REF" >"$small/treefile.yaml"
    "$HARNESS" compose tree --repo "$WORK_DIR/small-repo" --state-dir "$WORK_DIR/small-state" "$small/treefile.yaml" \
        >"$WORK_DIR/compose-small.log" 2>&1 || fail_with_log "compose of the busybox base" "$WORK_DIR/compose-small.log"
}

# A directory sysroot at $WORK_DIR/sysroot-NAME deployed from REF of REPO, with the bench
# repository in the deployment's /etc/yum.repos.d.
make_sysroot() {
    local name=$1 repo=$2 ref=$3 sysroot=$WORK_DIR/sysroot-$1
    [[ -d $sysroot ]] && chattr -R -i "$sysroot" 2>/dev/null
    rm -rf "$sysroot"
    mkdir -p "$sysroot"
    ostree admin init-fs "$sysroot" >/dev/null
    ostree admin os-init --sysroot="$sysroot" bench >/dev/null
    ostree --repo="$sysroot/ostree/repo" remote add --no-gpg-verify harness "file://$repo"
    ostree --repo="$sysroot/ostree/repo" pull harness "$ref" >/dev/null
    ostree admin deploy --sysroot="$sysroot" --os=bench "harness:$ref" >/dev/null 2>&1
    local deployment
    deployment=$(ls -d "$sysroot"/ostree/deploy/bench/deploy/*.0)
    mkdir -p "$deployment/etc/yum.repos.d"
    cp "$WORK_DIR/bench.repo" "$deployment/etc/yum.repos.d/"
    echo "$deployment"
}

# "TOTAL BUILD" seconds of `treectl install PACKAGE`, BUILD being the part until its
# "Deploying" progress line (depsolve, fetch, the layered commit); the rest is libostree's
# deployment. The sysroot is reset afterwards (rollback, cleanup).
time_treectl() {
    local sysroot=$1 package=$2 start seconds deploying
    start=$EPOCHREALTIME
    "$TREECTL" install --sysroot "$sysroot" "$package" 2>&1 >/dev/null | stamp_lines >"$WORK_DIR/treectl.log" \
        || fail_with_log "treectl install $package" "$WORK_DIR/treectl.log"
    seconds=$(seconds_since "$start")
    deploying=$(awk '$2 == "Deploying" { print $1; exit }' "$WORK_DIR/treectl.log")
    [[ -n $deploying ]] || fail_with_log "treectl install $package" "$WORK_DIR/treectl.log"
    "$TREECTL" rollback --sysroot "$sysroot" >/dev/null 2>&1
    "$TREECTL" cleanup -r --sysroot "$sysroot" >/dev/null 2>&1
    echo "$seconds $(seconds_between "$start" "$deploying")"
}

# "COPY_SECONDS DNF_SECONDS" of the peer: cp -a of the deployed tree, then dnf --installroot.
# rpm finds the tree's database through a ~/.rpmmacros naming /usr/share/rpm (Debian's rpm
# would look in ~/.rpmdb).
time_peer() {
    local deployment=$1 package=$2 copy=$WORK_DIR/peer-root start copy_seconds dnf_seconds
    rm -rf "$copy"
    mkdir -p "$WORK_DIR/home"
    echo '%_dbpath /usr/share/rpm' >"$WORK_DIR/home/.rpmmacros"
    start=$EPOCHREALTIME
    cp -a "$deployment" "$copy"
    copy_seconds=$(seconds_since "$start")
    start=$EPOCHREALTIME
    HOME=$WORK_DIR/home dnf --installroot="$copy" --releasever=1 -y -q \
        --setopt=reposdir="$WORK_DIR" --setopt=cachedir="$WORK_DIR/dnf-cache" --setopt=install_weak_deps=False \
        install "$package" >"$WORK_DIR/dnf.log" 2>&1 || fail_with_log "dnf install $package" "$WORK_DIR/dnf.log"
    dnf_seconds=$(seconds_since "$start")
    chattr -R -i "$copy" 2>/dev/null || true
    rm -rf "$copy"
    echo "$copy_seconds $dnf_seconds"
}

declare -A TREECTL_RUNS TREECTL_BUILD_RUNS PEER_COPY_RUNS PEER_DNF_RUNS TREE_ENTRIES

measure() {
    local base=$1 deployment=$2 sysroot=$WORK_DIR/sysroot-$1 package round peer treectl
    TREE_ENTRIES[$base]=$(find "$deployment" -xdev | wc -l)
    for package in "${PACKAGES[@]}"; do
        for round in $(seq 1 $ROUNDS); do
            read -r -a treectl <<<"$(time_treectl "$sysroot" "$package")"
            TREECTL_RUNS[$base/$package]+="${treectl[0]} "
            TREECTL_BUILD_RUNS[$base/$package]+="${treectl[1]} "
            read -r -a peer <<<"$(time_peer "$deployment" "$package")"
            PEER_COPY_RUNS[$base/$package]+="${peer[0]} "
            PEER_DNF_RUNS[$base/$package]+="${peer[1]} "
            log "$base $package round $round: treectl ${treectl[0]} s (layered commit ${treectl[1]} s); peer copy ${peer[0]} s, dnf ${peer[1]} s"
        done
    done
}

# Median of a space-separated list.
median_of() {
    # shellcheck disable=SC2086
    median $1
}

results_section() {
    echo "## Layering"
    echo
    echo "Written by \`benchmarks/layering/run.sh\` on $(date -u '+%Y-%m-%d %H:%M') UTC; raw numbers in \`layering/results.json\`."
    echo
    echo "- Machine: $(nproc) cores ($(machine_cpu)), $(machine_memory_gib) GiB memory; load average before $LOAD_BEFORE, after $(load_average)."
    echo "- harness: $(harness_revision), release build; $ROUNDS rounds each (treectl's first round also downloads and imports the package)."
    echo "- Bases: default image (\`$DEFAULT_REF\`, ${TREE_ENTRIES[default]} entries deployed), busybox (${TREE_ENTRIES[busybox]} entries)."
    echo "- Packages: bench-small (one 4 KiB file), bench-large (400 files, 40 MiB), bench-post (one 4 KiB file and a \`%post\`:"
    echo "  treectl checks the base out and runs the scriptlet in its sandbox, over rofiles-fuse; dnf runs it on the copy)."
    echo
    echo "| base | package | treectl install (s) | of which the layered commit (s) | peer: cp -a (s) | peer: dnf --installroot (s) | treectl / (cp + dnf) | treectl / dnf |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
    local key base package t c d
    for base in default busybox; do
        for package in "${PACKAGES[@]}"; do
            key=$base/$package
            t=$(median_of "${TREECTL_RUNS[$key]}")
            c=$(median_of "${PEER_COPY_RUNS[$key]}")
            d=$(median_of "${PEER_DNF_RUNS[$key]}")
            echo "| $base | $package | ${TREECTL_RUNS[$key]}(median $t) | $(median_of "${TREECTL_BUILD_RUNS[$key]}") | $c | $d | $(ratio "$t" "$(awk -v a="$c" -v b="$d" 'BEGIN { print a + b }')") | $(ratio "$t" "$d") |"
        done
    done
    local small
    small=$(median_of "${TREECTL_RUNS[default/bench-small]}")
    echo
    echo "The layered commit (depsolve, fetch, the new tree) is the part that is treectl's own; the rest is libostree"
    echo "checking the deployment out, merging /etc, swapping the boot entries and pruning, which every OSTree"
    echo "deployment costs and which grows with the base."
    echo
    echo "Aim: treectl under $AIM_TREECTL_OVER_PEER of the peer (copy + dnf) on the default image: $(aim_met "$(ratio "$small" "$(awk -v a="$(median_of "${PEER_COPY_RUNS[default/bench-small]}")" -v b="$(median_of "${PEER_DNF_RUNS[default/bench-small]}")" 'BEGIN { print a + b }')")" "$AIM_TREECTL_OVER_PEER")."
}

write_json() {
    local key first=1
    {
        echo "{"
        echo "  \"revision\": \"$(harness_revision)\","
        echo "  \"runs\": {"
        for key in $(printf "%s\n" "${!TREECTL_RUNS[@]}" | sort); do
            ((first)) || echo ","
            first=0
            # shellcheck disable=SC2086
            printf '    "%s": {"treectl": %s, "treectl_layered_commit": %s, "peer_copy": %s, "peer_dnf": %s}' "$key" \
                "$(json_array ${TREECTL_RUNS[$key]})" "$(json_array ${TREECTL_BUILD_RUNS[$key]})" \
                "$(json_array ${PEER_COPY_RUNS[$key]})" "$(json_array ${PEER_DNF_RUNS[$key]})"
        done
        echo
        echo "  }"
        echo "}"
    } >"$RESULTS_JSON"
}

main() {
    ensure_tools dnf:dnf rpmbuild:rpm createrepo_c:createrepo-c ostree:ostree
    mkdir -p "$WORK_DIR"
    LOAD_BEFORE=$(load_average)
    build_tools
    build_packages
    compose_bases
    local default_deployment small_deployment
    default_deployment=$(make_sysroot default "$STATE_DIR/repo" "$DEFAULT_REF")
    small_deployment=$(make_sysroot busybox "$WORK_DIR/small-repo" "$SMALL_REF")
    measure default "$default_deployment"
    measure busybox "$small_deployment"
    write_results_section "Layering" results_section
    write_json
    show_results_section "Layering"
}

main "$@"
