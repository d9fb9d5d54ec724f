# shellcheck shell=bash
# rpm-repository.sh: building the RPMs of a local repository (a `local-repos:` script's job).
# Sourced, not run:  source "$(dirname "$0")/../../images/rpm-repository.sh"

# Builds SPEC... (and any extra `--define`s among the arguments) with rpmbuild, makes OUTPUT
# hold exactly those packages (named NAME-VERSION-RELEASE.ARCH.rpm; packages of earlier
# builds that this one no longer makes are removed), then runs createrepo_c on OUTPUT.
# Reproducible: a fixed build time and host and file times clamped, so that unchanged specs
# and binaries give byte-identical packages, an unchanged treefile composes to the same
# commit, and its image stays cached.
build_rpm_repository() {
    local output=$1 work status
    shift
    mkdir -p "$output"
    work=$(mktemp -d /var/tmp/harness-packages.XXXXXX)
    status=0
    SOURCE_DATE_EPOCH=1700000000 HOME=$work rpmbuild -bb --quiet \
        --define "use_source_date_epoch_as_buildtime 1" --define "clamp_mtime_to_source_date_epoch 1" \
        --define "_buildhost harness" \
        --define "_topdir $work/top" --define "_tmppath $work/tmp" --define "_dbpath $work/rpmdb" \
        --define "_rpmdir $work/rpms" --define "_build_id_links none" \
        --define "_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
        "$@" >"$work/rpmbuild.log" 2>&1 || status=$?
    grep -vi alien "$work/rpmbuild.log" >&2 || true
    if ((status != 0)); then
        rm -rf "$work"
        echo "rpmbuild failed (exit $status)" >&2
        return "$status"
    fi
    local package
    for package in "$output"/*.rpm; do
        [[ -e "$package" && ! -e "$work/rpms/${package##*/}" ]] && rm -f "$package"
    done
    for package in "$work/rpms"/*.rpm; do
        cmp -s "$package" "$output/${package##*/}" || cp "$package" "$output/"
    done
    rm -rf "$work"
    createrepo_c --quiet --update "$output"
}
