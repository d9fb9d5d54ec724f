#!/usr/bin/env bash
# Installs the Debian packages harness builds against and runs with. Idempotent: when
# everything is already installed it does nothing and touches no network.
set -euo pipefail

packages=(
    # C libraries harness links (each wrapped by one Swift module).
    libostree-dev libdnf-dev librpm-dev libsolv-dev libsolvext-dev librepo-dev libarchive-dev pkg-config
    # Programs harness runs: scriptlets in bubblewrap over ostree's rofiles-fuse (unmounted
    # with fuse3's fusermount), rpm's elfdeps for base descriptions, GnuPG for repo_gpgcheck.
    ostree rpm bubblewrap fuse3 gnupg
    # Test fixtures: RPMs built by rpmbuild, served by createrepo_c, a busybox base root.
    createrepo-c busybox-static cpio
    # Images and boots: the Debian base recipe, disks, the libguestfs appliance, extlinux,
    # libvirt's QEMU driver (embedded: no daemon runs) and QEMU.
    debootstrap libguestfs-dev libguestfs-tools libvirt-dev libvirt-daemon-driver-qemu
    qemu-system-x86 qemu-utils extlinux syslinux-common
    # UEFI: GRUB for the ESP, FAT tools that need no mount, OVMF firmware.
    grub-efi-amd64-bin dosfstools mtools ovmf
    # Platform images: partition tables (metal4k's 4096-byte GPT with fdisk), /boot edited with
    # debugfs, the compressors of --compress, and cloud-init seeds (ISO 9660 by xorriso).
    fdisk e2fsprogs xz-utils zstd xorriso
    # The live installer ISO: isolinux for its BIOS boot (busybox-static and cpio, above, make
    # its initramfs).
    isolinux
    # The SSH channel (harness run --channel ssh): ssh and ssh-keygen.
    openssh-client
)

# Without what they recommend: libvirt-daemon for its libvirt_iohelper, through which the
# embedded driver writes and reads saved machines (harness run's saved first boots); its
# recommendations are other hypervisors' drivers and lvm2.
bare_packages=(libvirt-daemon)

missing() {
    local package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
    done
}
mapfile -t missing < <(missing "${packages[@]}")
mapfile -t missing_bare < <(missing "${bare_packages[@]}")

if ((${#missing[@]} + ${#missing_bare[@]} > 0)); then
    echo "Installing: ${missing[*]} ${missing_bare[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    if ((${#missing[@]} > 0)); then apt-get install -y -qq "${missing[@]}" >/dev/null; fi
    if ((${#missing_bare[@]} > 0)); then apt-get install -y -qq --no-install-recommends "${missing_bare[@]}" >/dev/null; fi
fi

# libvirt's QEMU driver resolves its built-in default user and group (libvirt-qemu) when it
# starts, before it reads the qemu.conf in which harness runs QEMU as the calling user; Debian
# creates them only with libvirt-daemon-system, which brings daemons harness does not use.
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
    useradd --system --gid libvirt-qemu --no-create-home --home-dir /var/lib/libvirt --shell /usr/sbin/nologin libvirt-qemu
