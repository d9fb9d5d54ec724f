/// The partitions of an image: MBR, a 512 MiB ext4 `/boot` labelled `boot` (without the 64bit
/// feature, which extlinux cannot read), then the root filesystem labelled `root` on the rest.
struct DiskLayout {
    static let sectorSize: UInt64 = 512
    /// Partitions start 1 MiB in, as partitioning tools align them.
    static let firstOffset: UInt64 = 1 << 20
    static let bootSize: UInt64 = 512 << 20

    let diskSize: UInt64

    var bootOffset: UInt64 { Self.firstOffset }
    var rootOffset: UInt64 { Self.firstOffset + Self.bootSize }
    var rootSize: UInt64 { diskSize - rootOffset }

    /// The partition table as an `sfdisk` script.
    var sfdiskScript: String {
        """
        label: dos
        start=\(bootOffset / Self.sectorSize), size=\(Self.bootSize / Self.sectorSize), type=83, bootable
        start=\(rootOffset / Self.sectorSize), size=\(rootSize / Self.sectorSize), type=83

        """
    }
}
