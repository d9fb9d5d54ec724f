/// The live environment's `/init` (busybox sh): finds the payload (in the initramfs when booted
/// over PXE, else on the medium labelled `HARNESS-INSTALL`) and the target disk, refuses before
/// writing anything a disk smaller than the image or with other logical sectors, writes the
/// data MiBs (zeros between them), reads them back and checks their sha256, and only then
/// writes the first MiB (partition tables, boot code): a disk cut off half-way never boots. A
/// `cidata` seed attached during the installation is copied for cloud-init into the installed
/// system. Every outcome ends in a power-off; the console's last `harness-installer:` line says
/// which (Machine's `InstallerOutcome` reads it).
public enum InstallerScript {
    /// The medium's volume label.
    public static let volumeLabel = "HARNESS-INSTALL"
    /// The root partition of the metal image (GPT: ESP, /boot, root).
    static let rootPartition = 3

    static let text = #"""
        #!/bin/busybox sh
        # harness's installer: writes the image of /harness onto a disk, then powers off.
        /bin/busybox mkdir -p /proc /sys /dev /tmp /mnt/media /mnt/seed /mnt/target
        /bin/busybox --install -s /bin
        export PATH=/bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        exec </dev/console >/dev/console 2>&1

        say() { echo "harness-installer: $*"; }
        off() { sync; sleep 1; poweroff -f; }
        fail() { say "failed: $*"; off; }
        refuse() { say "refused: $*; nothing was written"; off; }
        argument() { for word in $(cat /proc/cmdline); do case $word in "$1"=*) echo "${word#*=}";; esac; done; }
        drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

        for module in $(cat /etc/modules-load); do insmod "/lib/modules/$module.ko" 2>/dev/null; done

        # The payload: in the initramfs (PXE), else on the installer medium.
        media=
        if [ -f /harness/manifest ]; then
            payload=/harness
        else
            for second in $(seq 30); do
                media=$(findfs LABEL=@LABEL@ 2>/dev/null) && break
                sleep 1
            done
            [ -n "$media" ] || fail "no installer medium (ISO 9660 labelled @LABEL@)"
            mount -t iso9660 -o ro "$media" /mnt/media || fail "cannot mount $media"
            payload=/mnt/media/harness
        fi
        . "$payload/manifest" || fail "no manifest in $payload"
        seed=$(findfs LABEL=cidata 2>/dev/null || findfs LABEL=CIDATA 2>/dev/null)

        # The target: harness.install.disk=, else the first disk that is neither the medium nor the seed.
        target=$(argument harness.install.disk)
        for second in $(seq 30); do
            [ -n "$target" ] && break
            for path in /sys/block/*; do
                name=${path##*/}
                case $name in loop*|ram*|sr*|fd*|zram*) continue;; esac
                [ "$(cat "$path/size")" -gt 0 ] || continue
                case "$media" in /dev/$name*) continue;; esac
                case "$seed" in /dev/$name*) continue;; esac
                target=/dev/$name
                break
            done
            [ -n "$target" ] || sleep 1
        done
        [ -b "$target" ] || fail "no disk to install onto (harness.install.disk=${target:-unset})"
        name=${target##*/}
        bytes=$(( $(cat /sys/block/$name/size) * 512 ))
        sector=$(cat /sys/block/$name/queue/logical_block_size)
        [ "$bytes" -ge "$IMAGE_SIZE" ] || refuse "$target holds $bytes bytes; $IMAGE_NAME needs $IMAGE_SIZE"
        [ "$sector" = "$SECTOR_SIZE" ] || refuse "$target has $sector-byte sectors; $IMAGE_NAME is made for $SECTOR_SIZE-byte ones"

        say "writing $IMAGE_NAME onto $target: $DATA_MIB MiB of data in a $IMAGE_MIB MiB image"
        # No valid table until the end: the first MiB is zeros while the rest is written.
        dd if=/dev/zero of="$target" bs=1M count=1 conv=notrunc 2>/dev/null || fail "cannot write $target"
        written=0
        next=1
        while read start count; do
            if [ "$start" -gt "$next" ]; then
                dd if=/dev/zero of="$target" bs=1M seek=$next count=$((start - next)) conv=notrunc 2>/dev/null ||
                    fail "writing zeros at MiB $next of $target"
            fi
            dd if="$payload/data.img" of="$target" bs=1M skip=$written seek=$start count=$count conv=notrunc 2>/dev/null ||
                fail "writing MiB $start of $target"
            written=$((written + count))
            next=$((start + count))
        done <"$payload/extents"
        if [ "$next" -lt "$IMAGE_MIB" ]; then
            dd if=/dev/zero of="$target" bs=1M seek=$next count=$((IMAGE_MIB - next)) conv=notrunc 2>/dev/null ||
                fail "writing zeros at MiB $next of $target"
        fi
        drop_caches
        actual=$(while read start count; do dd if="$target" bs=1M skip=$start count=$count 2>/dev/null; done <"$payload/extents" |
            sha256sum | cut -d' ' -f1)
        [ "$actual" = "$DATA_SHA256" ] || fail "$target reads back with sha256 $actual, not $DATA_SHA256 (the disk is not bootable)"
        dd if="$payload/head.img" of="$target" bs=1M count=1 conv=notrunc 2>/dev/null || fail "writing the first MiB of $target"
        drop_caches
        actual=$(dd if="$target" bs=1M count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
        [ "$actual" = "$HEAD_SHA256" ] || fail "the first MiB of $target reads back with sha256 $actual, not $HEAD_SHA256"

        if [ -n "$seed" ]; then
            blockdev --rereadpt "$target"
            case $name in *[0-9]) part=${target}p@ROOT@;; *) part=${target}@ROOT@;; esac
            for second in $(seq 10); do [ -b "$part" ] && break; sleep 1; done
            mount -t ext4 "$part" /mnt/target || fail "cannot mount $part to copy the seed"
            mount -t iso9660 -o ro "$seed" /mnt/seed || fail "cannot mount the seed $seed"
            stateroot=/mnt/target/ostree/deploy/$OS_NAME
            mkdir -p "$stateroot/var/lib/cloud/seed/nocloud"
            for file in user-data meta-data vendor-data network-config; do
                [ -f "/mnt/seed/$file" ] && cp "/mnt/seed/$file" "$stateroot/var/lib/cloud/seed/nocloud/"
            done
            # ds-identify looks before /var is mounted: name NoCloud so that it needs not look.
            for deployment in "$stateroot"/deploy/*; do
                [ -d "$deployment/etc" ] || continue
                mkdir -p "$deployment/etc/cloud/cloud.cfg.d"
                echo "datasource_list: [ NoCloud, None ]" >"$deployment/etc/cloud/cloud.cfg.d/95-harness-installed-seed.cfg"
            done
            umount /mnt/seed
            umount /mnt/target || fail "cannot unmount $part"
            say "copied the NoCloud seed of $seed"
        fi
        sync
        say "installed $IMAGE_NAME onto $target (data sha256 $DATA_SHA256 verified)"
        off

        """#
        .replacingOccurrences(of: "@LABEL@", with: volumeLabel)
        .replacingOccurrences(of: "@ROOT@", with: "\(rootPartition)")
}
