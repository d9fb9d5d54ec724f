#!/usr/bin/env bash
# run.sh: the platform-images benchmark.
#
# Every platform's artifact of the default image from one `harness image build --platform ...`
# (one raw build, then each platform's copy, kernel arguments and container, one per core),
# beside what a user would do without it, in the same run:
#   harness     harness image build --platform P (all nine) -o DIR
#   floor       harness image build --format raw (the one raw disk), then each format made from
#               it alone, one after the other, with the command the anchors use (qemu-img
#               convert for qcow2, vmdk streamOptimized, vpc fixed, vhdx; tar for gcp and the
#               OVA; fdisk and mkfs.fat for metal4k's table are left out: the floor is cheaper)
#   install     harness image build --platform live-iso, then harness image install --iso onto a
#               blank 20 GiB disk under QEMU (TCG here); floor: the host copying the metal image
#               onto a disk file (cp --sparse=always), what a writer of the raw image does
#   extend      harness image extend --platform aws from that build's metal artifact, beside
#               what a user does without it: harness image build --platform aws from the commit
# and writes the numbers into benchmarks/RESULTS.md ("Platform images") and
# benchmarks/platforms/results.json.
#
# Environment: BENCH_STATE_DIR (default /var/tmp/harness-boot-tests: a state directory whose
# default image is composed; composed here when it is not), BENCH_WORK_DIR (default
# /var/tmp/bench-platforms) for the artifacts and logs.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

readonly STATE_DIR=$SHARED_STATE_DIR
readonly WORK_DIR=${BENCH_WORK_DIR:-/var/tmp/bench-platforms}
readonly HARNESS="$RELEASE_BIN/harness"
readonly REF=harness/x86_64/debian-bookworm
readonly PLATFORMS=(qemu metal metal4k openstack aws azure gcp vmware hyperv)

rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR/logs"
log "Building harness (release)"
(cd "$PROJECT_DIR" && swift build -c release --product harness >&2)
log "Composing the default image (nothing to do when it is composed)"
"$HARNESS" compose tree --state-dir "$STATE_DIR" "$PROJECT_DIR/images/debian-bookworm/treefile.yaml" \
    >"$WORK_DIR/logs/compose.log" 2>&1

load_before=$(load_average)
log "harness: all ${#PLATFORMS[@]} platforms"
platform_args=()
for platform in "${PLATFORMS[@]}"; do platform_args+=(--platform "$platform"); done
start=$EPOCHREALTIME
"$HARNESS" image build --state-dir "$STATE_DIR" --ref "$REF" -o "$WORK_DIR/all" "${platform_args[@]}" \
    >"$WORK_DIR/logs/harness.log" 2>&1
harness_seconds=$(seconds_since "$start")
all_bytes=$(du -cb "$WORK_DIR"/all/*-* | tail -n 1 | cut -f1)
rm -rf "$WORK_DIR/all"

log "floor: one raw build"
start=$EPOCHREALTIME
"$HARNESS" image build --state-dir "$STATE_DIR" --ref "$REF" -o "$WORK_DIR/disk.raw" --format raw --firmware uefi \
    >"$WORK_DIR/logs/raw.log" 2>&1
raw_seconds=$(seconds_since "$start")

# Each format alone from the raw disk, as the anchors make it.
convert_one() {
    local platform=$1 raw=$WORK_DIR/disk.raw out=$WORK_DIR/floor-$1
    case $platform in
    qemu | openstack) qemu-img convert -q -O qcow2 -o compat=1.1 "$raw" "$out.qcow2" ;;
    metal | metal4k) cp --sparse=always "$raw" "$out.raw" ;;
    aws) qemu-img convert -q -c -O vmdk -o adapter_type=lsilogic,subformat=streamOptimized,compat6 "$raw" "$out.vmdk" ;;
    vmware)
        qemu-img convert -q -c -O vmdk -o adapter_type=lsilogic,subformat=streamOptimized,compat6 "$raw" "$out.vmdk"
        echo '<Envelope/>' >"$out.ovf"
        tar --format=ustar -cf "$out.ova" -C "$WORK_DIR" "floor-$1.ovf" "floor-$1.vmdk"
        ;;
    azure) qemu-img convert -q -O vpc -o subformat=fixed,force_size "$raw" "$out.vhd" ;;
    gcp)
        mkdir -p "$out" && cp --sparse=always "$raw" "$out/disk.raw"
        tar --format=oldgnu -Sczf "$out.tar.gz" -C "$out" disk.raw
        ;;
    hyperv) qemu-img convert -q -O vhdx -o subformat=dynamic "$raw" "$out.vhdx" ;;
    esac
}
conversions=()
convert_total=0
for platform in "${PLATFORMS[@]}"; do
    log "floor: $platform alone"
    start=$EPOCHREALTIME
    convert_one "$platform"
    seconds=$(seconds_since "$start")
    conversions+=("\"$platform\": $seconds")
    convert_total=$(awk -v a="$convert_total" -v b="$seconds" 'BEGIN { printf "%.3f", a + b }')
    rm -rf "$WORK_DIR"/floor-*
done
floor_seconds=$(awk -v a="$raw_seconds" -v b="$convert_total" 'BEGIN { printf "%.3f", a + b }')
rm -f "$WORK_DIR/disk.raw"

log "install: the live installer"
start=$EPOCHREALTIME
"$HARNESS" image build --state-dir "$STATE_DIR" --ref "$REF" -o "$WORK_DIR/live" --platform live-iso \
    >"$WORK_DIR/logs/live-iso.log" 2>&1
live_build_seconds=$(seconds_since "$start")
iso=$(ls "$WORK_DIR"/live/*-live.iso)
metal=$(ls "$WORK_DIR"/live/*-metal.raw)
start=$EPOCHREALTIME
"$HARNESS" image install --state-dir "$STATE_DIR" --iso "$iso" --disk "$WORK_DIR/installed.qcow2" --disk-size 20G \
    >"$WORK_DIR/logs/install.log" 2>&1
install_seconds=$(seconds_since "$start")
start=$EPOCHREALTIME
cp --sparse=always "$metal" "$WORK_DIR/copied.raw" && sync
copy_seconds=$(seconds_since "$start")
install_ratio=$(ratio "$install_seconds" "$copy_seconds")
rm -rf "$WORK_DIR/installed.qcow2" "$WORK_DIR/copied.raw"

log "extend: aws from the build's metal artifact"
start=$EPOCHREALTIME
"$HARNESS" image extend "$WORK_DIR/live" --platform aws -o "$WORK_DIR/extended" >"$WORK_DIR/logs/extend.log" 2>&1
extend_seconds=$(seconds_since "$start")
rm -rf "$WORK_DIR/extended" "$WORK_DIR/live"
log "extend's alternative: aws built from the commit"
start=$EPOCHREALTIME
"$HARNESS" image build --state-dir "$STATE_DIR" --ref "$REF" -o "$WORK_DIR/rebuilt" --platform aws \
    >"$WORK_DIR/logs/rebuild.log" 2>&1
rebuild_seconds=$(seconds_since "$start")
rm -rf "$WORK_DIR/rebuilt"
extend_ratio=$(ratio "$extend_seconds" "$rebuild_seconds")
load_after=$(load_average)
harness_ratio=$(ratio "$harness_seconds" "$floor_seconds")

cat >"$RESULTS_JSON" <<JSON
{
  "revision": "$(harness_revision)",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "machine": {"cpu": "$(machine_cpu)", "cpus": $(nproc), "memory_gib": $(machine_memory_gib)},
  "load": {"before": "$load_before", "after": "$load_after"},
  "harness_all_platforms_seconds": $harness_seconds,
  "harness_artifact_bytes": $all_bytes,
  "floor_raw_build_seconds": $raw_seconds,
  "floor_conversion_seconds": {$(IFS=,; echo "${conversions[*]}")},
  "floor_seconds": $floor_seconds,
  "ratio": $harness_ratio,
  "live_iso_build_seconds": $live_build_seconds,
  "iso_install_seconds": $install_seconds,
  "host_copy_seconds": $copy_seconds,
  "install_ratio": $install_ratio,
  "extend_aws_seconds": $extend_seconds,
  "build_aws_seconds": $rebuild_seconds,
  "extend_ratio": $extend_ratio
}
JSON

section() {
    cat <<MD
## Platform images

\`benchmarks/platforms/run.sh\` (harness $(harness_revision), $(date -u +%Y-%m-%d), $(nproc) cores
$(machine_cpu), load $load_before before, $load_after after). The default image, 8 GiB disks.

| | seconds |
|---|---|
| harness image build, all ${#PLATFORMS[@]} platforms (one raw build) | $harness_seconds |
| floor: harness raw build alone | $raw_seconds |
| floor: each format converted from it alone, one after the other | $convert_total |
| floor total | $floor_seconds |
| **ratio harness / floor** | **$harness_ratio** |

The floor does less than harness: no per-platform kernel arguments, no metal4k table, no
meta.json digests, a dummy OVF. Artifacts written by harness: $(mib "$all_bytes") MiB (apparent size: the
raw and VHD artifacts are sparse).

| the installer | seconds |
|---|---|
| harness image build --platform live-iso (with the metal image) | $live_build_seconds |
| harness image install --iso onto a blank 20 GiB disk (QEMU; TCG where KVM fails its probe, as here) | $install_seconds |
| floor: the host copying the metal image onto a disk file | $copy_seconds |
| **ratio install / copy** | **$install_ratio** |

The install boots a kernel under emulation, writes the data MiBs and zeros between them,
drops the caches and reads the data back for its sha256: on hardware it is bound by the disk.

| a platform added later | seconds |
|---|---|
| harness image extend --platform aws, from the build's metal artifact | $extend_seconds |
| without it: harness image build --platform aws, from the commit | $rebuild_seconds |
| **ratio extend / build** | **$extend_ratio** |
MD
}
write_results_section "Platform images" section
show_results_section "Platform images"
