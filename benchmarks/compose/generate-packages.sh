#!/usr/bin/env bash
# generate-packages.sh DIR [COUNT] [TOTAL_MB]
#
# Generates the package set of the compose benchmark: COUNT (default 160) noarch RPMs holding
# TOTAL_MB (default 120) MiB of uncompressed payload, as an rpm-md repository. Writes into DIR:
#   repo/             the RPMs and their repodata (createrepo_c)
#   updates/          later releases of one program package (files under /usr/lib, which the
#                     set's transaction file trigger watches), for the "one package changed"
#                     compose
#   data-updates/     later releases of one data package (files under /usr/share only, which
#                     no trigger watches)
#   packages.txt      the package names, one a line
#   payload-bytes     the uncompressed payload of repo/, in bytes (rpm's SIZE, summed)
#   file-count        the number of files and directories that repo/'s packages hold
# A DIR generated before by the same scripts with the same arguments is left as it is.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
readonly PAYLOAD_WRITER="$SCRIPT_DIR/write-payload.sh"
# Three later releases, so that each of the benchmark's three warm composes brings in a
# package the cache has not seen, as a real update would.
readonly UPDATE_RELEASES=(2 3 4)

usage() {
    echo "usage: $0 DIR [COUNT] [TOTAL_MB]" >&2
    exit 2
}

# The key of a generated set: the scripts that made it and the arguments they were given.
cache_key() {
    local count=$1 total_mb=$2
    { cat "${BASH_SOURCE[0]}" "$PAYLOAD_WRITER"; echo "$count $total_mb"; } | sha256sum | cut -d' ' -f1
}

# One line per package: index, payload bytes, and the indexes of the packages it requires
# (a package may be named twice; rpm takes that as once).
# Sizes are log-uniform between 4 KiB and 4 MiB, then scaled so that they add up to
# TOTAL_MB: most packages are small and a few large ones hold most of the bytes, as in a
# distribution. Index 0 is the filesystem package, which every other one requires. A fixed
# seed keeps the plan the same from run to run.
plan_packages() {
    local count=$1 total_mb=$2
    awk -v count="$count" -v total="$((total_mb * 1048576))" 'BEGIN {
        srand(20240601)
        for (i = 1; i < count; i++) {
            weight[i] = exp(log(4096) + rand() * (log(4194304) - log(4096)))
            sum += weight[i]
        }
        for (i = 1; i < count; i++) {
            requires = "0"
            # Chains: each package but the first of every 25 requires the one before it, so
            # that the solver walks dependency chains 24 deep, as a library stack is.
            if (i % 25 != 1) requires = requires "," (i - 1)
            # About a third of the packages depend on one to three packages before them;
            # looking only backwards keeps the graph acyclic, like most of a real one.
            if (i > 10 && rand() < 0.35) {
                n = 1 + int(rand() * 3)
                for (j = 0; j < n; j++) requires = requires "," (1 + int(rand() * (i - 1)))
            }
            print i, int(weight[i] * total / sum), requires
        }
    }'
}

package_name() {
    printf 'bench-pkg-%03d' "$1"
}

# The filesystem package owns the directories that every other package puts files in, and
# carries the set's triggers.
write_filesystem_spec() {
    local spec=$1
    cat >"$spec" <<'EOF'
Name:           bench-filesystem
Version:        1.0
Release:        1
Summary:        Compose benchmark: the directory skeleton
License:        MIT
BuildArch:      noarch
AutoReqProv:    no

%description
Owns the top-level directories of the compose benchmark's packages.

%install
mkdir -p %{buildroot}/etc %{buildroot}/usr/bin %{buildroot}/usr/lib %{buildroot}/usr/share/doc

# Triggers as a distribution's packages carry them, in rpm's own Lua (no shell needed in the
# tree): one for the whole transaction on /usr/lib, as glibc's ldconfig trigger, and one per
# package with a config file, as a cache rebuilt for each package that adds to /etc.
%transfiletriggerin -p <lua> -- /usr/lib
local count = 0
while rpm.next_file() do count = count + 1 end

%filetriggerin -p <lua> -- /etc
local count = 0
while rpm.next_file() do count = count + 1 end

%files
%dir /etc
%dir /usr
%dir /usr/bin
%dir /usr/lib
%dir /usr/share
%dir /usr/share/doc
EOF
}

# Whether package INDEX is a data package (one in four): files under /usr/share only.
is_data_package() {
    (($1 % 4 == 2))
}

# A package whose files write-payload.sh makes. A program package has files in /usr/bin,
# /usr/lib and /usr/share, and every fifth one a config file in /etc, which a compose moves to
# /usr/etc; a data package has files in /usr/share only.
write_package_spec() {
    local spec=$1 index=$2 bytes=$3 requires=$4 release=$5
    local name config_install="" config_files="" kind=program program_files
    name=$(package_name "$index")
    program_files=$(printf '/usr/bin/%s\n/usr/lib/%s' "$name" "$name")
    if is_data_package "$index"; then
        kind=data
        program_files=""
    elif ((index % 5 == 0)); then
        config_install="mkdir -p %{buildroot}/etc && echo 'enabled = true' > %{buildroot}/etc/%{name}.conf"
        config_files="%config(noreplace) /etc/%{name}.conf"
    fi
    {
        echo "Name:           $name"
        echo "Version:        1.0"
        echo "Release:        $release"
        echo "Summary:        Compose benchmark: synthetic package $index"
        echo "License:        MIT"
        echo "BuildArch:      noarch"
        echo "AutoReqProv:    no"
        local required
        for required in ${requires//,/ }; do
            if ((required == 0)); then
                echo "Requires:       bench-filesystem"
            else
                echo "Requires:       $(package_name "$required")"
            fi
        done
        cat <<EOF

%description
Synthetic payload of $bytes bytes for the compose benchmark.

%install
bash '$PAYLOAD_WRITER' %{buildroot} %{name} $bytes $((index * 100 + release)) $kind
$config_install

%files
$program_files
/usr/share/%{name}
/usr/share/doc/%{name}
$config_files
EOF
    } >"$spec"
}

# The program package (KIND program) or data package (KIND data) of median size: an update
# of it is neither trivially small nor the largest.
pick_changed_package() {
    local plan=$1 kind=$2
    sort -k2,2n "$plan" | awk -v kind="$kind" '($1 % 4 == 2) == (kind == "data") { line[++n] = $0 }
        END { print line[int((n + 1) / 2)] }'
}

# Builds every spec in one rpmbuild run (one process start-up, not 160). Its database,
# ~/.rpmmacros and temporary files go to a scratch directory instead of $HOME and /var/tmp.
build_rpms() {
    local top=$1 rpmdir=$2
    shift 2
    mkdir -p "$top/tmp" "$top/home"
    if ! HOME="$top/home" rpmbuild -bb --nodeps --quiet \
        --define "_topdir $top" \
        --define "_tmppath $top/tmp" \
        --define "_dbpath $top/rpmdb" \
        --define "_rpmdir $rpmdir" \
        --define '_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm' \
        --define "_binary_payload w3.zstdio" \
        --define "_build_id_links none" \
        --define "debug_package %{nil}" \
        "$@" >"$top/rpmbuild.log" 2>&1; then
        # Debian's rpmbuild always warns that alien should be used; on failure show the rest.
        grep -v -i 'alien' "$top/rpmbuild.log" | tail -40 >&2
        echo "rpmbuild failed; full log: $top/rpmbuild.log" >&2
        exit 1
    fi
}

# Sums what rpm says the packages install: the payload size and the number of entries.
record_payload_stats() {
    local dir=$1
    rpm -qp --nosignature --qf '%{LONGSIZE}\n' "$dir"/repo/*.rpm | awk '{ s += $1 } END { print s }' >"$dir/payload-bytes"
    rpm -qpl --nosignature "$dir"/repo/*.rpm | wc -l >"$dir/file-count"
}

main() {
    (($# >= 1 && $# <= 3)) || usage
    local dir count=${2:-160} total_mb=${3:-120}
    mkdir -p "$1"
    dir=$(cd "$1" && pwd)
    local key
    key=$(cache_key "$count" "$total_mb")
    if [[ -f "$dir/generated" && "$(cat "$dir/generated")" == "$key" ]]; then
        echo "Package set in $dir is up to date" >&2
        return
    fi
    rm -rf "$dir/repo" "$dir/updates" "$dir/data-updates" "$dir/build" "$dir/generated"
    mkdir -p "$dir/build/specs" "$dir/build/rpms" "$dir/repo" "$dir/updates" "$dir/data-updates"

    local plan="$dir/build/plan.txt"
    plan_packages "$count" "$total_mb" >"$plan"
    write_filesystem_spec "$dir/build/specs/bench-filesystem.spec"
    local index bytes requires
    while read -r index bytes requires; do
        write_package_spec "$dir/build/specs/$(package_name "$index").spec" "$index" "$bytes" "$requires" 1
    done <"$plan"
    local kind release changed_names=()
    for kind in program data; do
        read -r index bytes requires <<<"$(pick_changed_package "$plan" "$kind")"
        changed_names+=("$(package_name "$index")")
        for release in "${UPDATE_RELEASES[@]}"; do
            write_package_spec "$dir/build/specs/$(package_name "$index")-update-$release.spec" \
                "$index" "$bytes" "$requires" "$release"
        done
    done

    echo "Building $count packages and $((2 * ${#UPDATE_RELEASES[@]})) updates ($total_mb MiB of payload) with rpmbuild" >&2
    build_rpms "$dir/build/top" "$dir/build/rpms" "$dir"/build/specs/*.spec
    for release in "${UPDATE_RELEASES[@]}"; do
        mv "$dir/build/rpms/${changed_names[0]}-1.0-$release.noarch.rpm" "$dir/updates/"
        mv "$dir/build/rpms/${changed_names[1]}-1.0-$release.noarch.rpm" "$dir/data-updates/"
    done
    mv "$dir"/build/rpms/*.rpm "$dir/repo/"
    createrepo_c --quiet "$dir/repo"

    { echo bench-filesystem; while read -r index _; do package_name "$index"; echo; done <"$plan"; } >"$dir/packages.txt"
    record_payload_stats "$dir"
    rm -rf "$dir/build"
    # Written last: a run interrupted before this point is redone in full next time.
    echo "$key" >"$dir/generated"
    echo "Generated $(wc -l <"$dir/packages.txt") packages, $(cat "$dir/payload-bytes") bytes of payload, in $dir" >&2
}

main "$@"
