/// The partitions of an image.
///
/// - BIOS: MBR; a 512 MiB ext4 `/boot` labelled `boot` (without the 64bit feature, which
///   extlinux cannot read), then the root filesystem labelled `root` on the rest.
/// - UEFI (a hybrid that boots both firmwares): GPT; a 64 MiB FAT ESP holding a standalone GRUB
///   that reads the very syslinux.cfg ostree maintains; `/boot` marked LegacyBIOSBootable for
///   syslinux's GPT MBR; root.
struct DiskLayout {
    static let sectorSize: UInt64 = 512
    /// Partitions start 1 MiB in, as partitioning tools align them.
    static let firstOffset: UInt64 = 1 << 20
    static let espSize: UInt64 = 64 << 20
    static let bootSize: UInt64 = 512 << 20
    /// Room GPT keeps for its backup table at the end of the disk.
    static let gptBackup: UInt64 = 1 << 20

    let diskSize: UInt64
    let firmware: ImageOptions.Firmware

    var espOffset: UInt64 { Self.firstOffset }
    var bootOffset: UInt64 { firmware == .uefi ? espOffset + Self.espSize : Self.firstOffset }
    var rootOffset: UInt64 { bootOffset + Self.bootSize }
    var rootSize: UInt64 { diskSize - rootOffset - (firmware == .uefi ? Self.gptBackup : 0) }
    /// The `/boot` partition as the libguestfs appliance names it.
    var bootDevice: String { firmware == .uefi ? "/dev/sda2" : "/dev/sda1" }
    /// syslinux's boot code for the first 440 bytes.
    var masterBootRecord: String {
        firmware == .uefi ? "/usr/lib/syslinux/mbr/gptmbr.bin" : "/usr/lib/syslinux/mbr/mbr.bin"
    }

    /// The partition table as an `sfdisk` script.
    var sfdiskScript: String {
        let s = Self.sectorSize
        switch firmware {
        case .bios:
            return """
                label: dos
                start=\(bootOffset / s), size=\(Self.bootSize / s), type=83, bootable
                start=\(rootOffset / s), size=\(rootSize / s), type=83

                """
        case .uefi:
            let linux = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
            return """
                label: gpt
                start=\(espOffset / s), size=\(Self.espSize / s), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI"
                start=\(bootOffset / s), size=\(Self.bootSize / s), type=\(linux), name="boot", attrs="LegacyBIOSBootable"
                start=\(rootOffset / s), size=\(rootSize / s), type=\(linux), name="root"

                """
        }
    }
}
