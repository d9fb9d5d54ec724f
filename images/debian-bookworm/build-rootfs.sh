#!/usr/bin/env bash
# The base of the default image: a Debian bookworm root filesystem made from Debian's own
# packages, written as a tar archive to the path given as the only argument.
#
# `harness compose tree` runs this through the treefile's `base:` key and caches the archive by
# this script's SHA-256: edit the script and the next compose rebuilds the base.
#
# What it holds (see ../../../shared/notes/environment.md for the measured recipe):
# - debootstrap minbase plus systemd, udev, dbus, kmod, ostree, ostree-boot, the qemu guest
#   agent, bubblewrap and rpm, and the runtime libraries treectl links;
# - sshd, and systemd-networkd taking DHCP on any Ethernet link, for `harness run --channel
#   ssh` (machines booted for the guest agent have no network card at all);
# - the Debian kernel and a lean dracut initramfs: the ostree module, ext4, and only the disk
#   drivers of the platforms images are built for (virtio, NVMe, AHCI, VMware's SCSI, Hyper-V,
#   Xen) and of common metal (USB sticks, SD cards, LSI and MegaRAID HBAs), zstd-compressed.
#   dracut's generic initramfs (every storage, HID, network and filesystem module: 39 MB
#   gzip, 134 MB unpacked) took 12.7-13.5 s from QEMU's start to initrd-switch-root under
#   TCG; this one (13 MB, 41 MB unpacked) 8.6-8.7 s. initramfs-tools conflicts with dracut, so
#   the kernel comes after debootstrap, with INITRD=No so that no default initramfs is built
#   for nothing;
# - first-boot configuration: Debian's cloud-init (NoCloud seeds and the clouds' metadata; it
#   disables itself when ds-identify finds no datasource) and harness-growfs.service, which
#   grows /sysroot's partition and filesystem to the end of the disk on every boot
#   (cloud-init's growpart module knows nothing of OSTree's /sysroot).
set -euo pipefail

output=${1:?usage: build-rootfs.sh OUTPUT.tar}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm

command -v debootstrap >/dev/null || {
    echo "build-rootfs.sh: installing debootstrap" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

work=$(mktemp -d /var/tmp/debian-rootfs.XXXXXX)
root=$work/root
unmount_all() {
    for mountpoint in dev/pts dev proc sys; do
        mountpoint -q "$root/$mountpoint" 2>/dev/null && umount -l "$root/$mountpoint"
    done
    return 0
}
cleanup() {
    unmount_all
    rm -rf "$work"
}
trap cleanup EXIT

packages=(
    systemd-sysv systemd udev dbus kmod e2fsprogs procps iproute2
    ostree ostree-boot qemu-guest-agent bubblewrap rpm openssh-server
    # dracut's compressor
    zstd
    # treectl's runtime libraries
    libostree-1-1 libglib2.0-0 libdnf2 librepo0 libsolv1 libsolvext1 librpm9 libarchive13
)
echo "== debootstrap $suite (minbase + ${#packages[@]} packages)" >&2
debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" "$suite" "$root" "$mirror" >&2

echo "== kernel, dracut and first-boot tools" >&2
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
chroot "$root" env DEBIAN_FRONTEND=noninteractive INITRD=No \
    apt-get install -y -qq --no-install-recommends linux-image-amd64 dracut >&2
# Python packages configure in apt's order, not in debootstrap's (which fails on them).
chroot "$root" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends cloud-init cloud-guest-utils fdisk >&2

kver=$(ls "$root/lib/modules" | sort -V | tail -n 1)
echo "== initramfs for $kver" >&2
chroot "$root" dracut --force --no-hostonly --add ostree \
    --omit "crypt dm nvdimm lunmask resume virtiofs terminfo overlay-root" \
    --drivers "virtio_blk virtio_pci virtio_scsi virtio_console nvme ahci sd_mod mptspi vmw_pvscsi hv_vmbus hv_storvsc xen-blkfront usb_storage uas xhci_pci ehci_pci sdhci_pci mmc_block megaraid_sas mpt3sas" \
    --filesystems ext4 --compress zstd \
    --kver "$kver" "/boot/initrd.img-$kver" >&2
unmount_all

# The network for the SSH channel; nothing waits for it.
mkdir -p "$root/etc/systemd/network"
printf '[Match]\nType=ether\n\n[Network]\nDHCP=ipv4\n' >"$root/etc/systemd/network/80-dhcp.network"
ln -sf /lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
ln -sf /dev/null "$root/etc/systemd/system/systemd-networkd-wait-online.service"

# cloud-init configures users, keys and files; the network stays systemd-networkd's (above),
# and the locale C.UTF-8 (the image has no locales package: update-locale fails the module).
cat >"$root/etc/cloud/cloud.cfg.d/90-harness.cfg" <<'EOF2'
network: {config: disabled}
locale: false
EOF2

# harness-growfs: /sysroot's partition and filesystem to the end of the disk, every boot.
mkdir -p "$root/usr/libexec"
cat >"$root/usr/libexec/harness-growfs" <<'EOF2'
#!/bin/sh
# Grows the partition holding /sysroot (OSTree's physical root) to the end of its disk, then
# its ext4 filesystem, online. growpart exits 1 (NOCHANGE) when there is nothing to grow.
set -eu
source=$(findmnt -n -o SOURCE /sysroot)
name=$(basename "$(readlink -f "$source")")
partition=$(cat "/sys/class/block/$name/partition")
disk=/dev/$(basename "$(readlink -f "/sys/class/block/$name/..")")
if growpart "$disk" "$partition"; then
    resize2fs "$source"
else
    status=$?
    [ "$status" -eq 1 ] || exit "$status"
fi
EOF2
chmod 0755 "$root/usr/libexec/harness-growfs"
cat >"$root/lib/systemd/system/harness-growfs.service" <<'EOF2'
[Unit]
Description=Grow the root partition and filesystem to the end of the disk
After=local-fs.target

[Service]
Type=oneshot
ExecStart=/usr/libexec/harness-growfs
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
EOF2
ln -sf /lib/systemd/system/harness-growfs.service "$root/etc/systemd/system/multi-user.target.wants/harness-growfs.service"

# Nothing of the build host or of apt's downloads belongs in an image.
# apt's package caches (pkgcache.bin, srcpkgcache.bin: 72 MB) are rebuilt by apt when needed.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/tmp/* "$root"/var/tmp/*
: >"$root/etc/machine-id"

echo "== archive" >&2
tar --xattrs --xattrs-include='*' --numeric-owner -C "$root" -cf "$output" .
