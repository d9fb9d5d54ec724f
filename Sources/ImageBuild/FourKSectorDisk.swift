import Foundation
import ToolSupport

/// The metal4k platform: the hybrid disk for drives with 4096-byte logical sectors (NVMe and
/// large SAS disks that present no 512-byte emulation). The filesystems stay where they are (every
/// partition starts and ends on a MiB); the GPT is written anew in 4096-byte sectors (its
/// header in LBA 1, at byte 4096, where such a drive's firmware looks) and the ESP is a FAT with
/// 4096-byte sectors, which UEFI requires on such drives. No BIOS path: syslinux reads 512-byte
/// sectors.
enum FourKSectorDisk {
    static let sectorSize: UInt64 = 4096

    /// fdisk's commands (util-linux 2.38's sfdisk has no sector size of its own): a new GPT,
    /// the ESP (type 1, EFI System), /boot and root, written.
    static func fdiskScript(_ layout: DiskLayout) -> String {
        let s = sectorSize
        let espEnd = (layout.espOffset + DiskLayout.espSize) / s - 1
        let bootEnd = (layout.bootOffset + DiskLayout.bootSize) / s - 1
        let rootEnd = (layout.rootOffset + layout.rootSize) / s - 1
        return [
            "g",
            "n", "1", "\(layout.espOffset / s)", "\(espEnd)", "t", "1",
            "n", "2", "\(layout.bootOffset / s)", "\(bootEnd)",
            "n", "3", "\(layout.rootOffset / s)", "\(rootEnd)",
            "w", "",
        ].joined(separator: "\n")
    }

    /// Rewrites `disk`'s partition table and ESP in place.
    static func convert(_ disk: String, layout: DiskLayout, scratch: String) throws {
        guard layout.firmware == .uefi, layout.diskSize % (1 << 20) == 0 else {
            throw ImageError("metal4k needs the GPT layout on a whole number of MiB")
        }
        // The 512-byte GPT (first MiB: MBR, header, entries) and its backup (last MiB) go.
        try zero(disk, offset: 0, length: DiskLayout.firstOffset)
        try zero(disk, offset: layout.diskSize - DiskLayout.gptBackup, length: DiskLayout.gptBackup)
        try Program.check(["sh", "-c", "printf '%s' \"$1\" | fdisk -b 4096 --wipe never \"$2\" >/dev/null",
                           "fdisk", fdiskScript(layout), disk])
        let table = try Program.check(["sfdisk", "--json", disk]).stdout
        guard !table.contains("\"label\": \"gpt\"") else {
            // Read as 512-byte sectors the disk must hold no GPT: firmware would find the wrong one.
            throw ImageError("\(disk): a 512-byte GPT survived the metal4k rewrite")
        }
        try UEFIBootloader.writeESP(disk: disk, offset: layout.espOffset, size: DiskLayout.espSize,
                                    sectorSize: sectorSize, scratch: scratch)
    }

    /// A hole: reads as zeros, keeps the disk sparse.
    private static func zero(_ path: String, offset: UInt64, length: UInt64) throws {
        try Program.check(["fallocate", "--punch-hole", "--keep-size", "--offset", "\(offset)", "--length", "\(length)", path])
    }
}
