import Foundation
import ToolSupport

/// The UEFI side of a hybrid image: a FAT ESP whose removable-media path
/// (`\EFI\BOOT\BOOTX64.EFI`) is a standalone GRUB. Its embedded configuration finds the
/// partition labelled `boot` and reads the syslinux.cfg that ostree swaps atomically on every
/// deployment change: one set of entries for both firmwares, nothing to register in NVRAM.
/// The installer ISO's EFI image is the same kind of GRUB with a configuration of its own.
enum UEFIBootloader {
    static let modules = "part_gpt fat ext2 normal linux syslinuxcfg configfile search search_label echo test serial terminal efi_gop boot"
    static let isoModules = "part_gpt part_msdos fat iso9660 normal linux configfile search search_label echo test serial terminal efi_gop boot"

    static let configuration = """
        serial --unit=0 --speed=115200
        terminal_input serial console
        terminal_output serial console
        search --no-floppy --label boot --set=root
        syslinux_configfile -r / -c /syslinux/ /syslinux/syslinux.cfg

        """

    /// A standalone GRUB EFI binary with `configuration` embedded as its grub.cfg.
    static func standaloneGRUB(configuration: String, modules: String, output: String, scratch: String) throws {
        let config = scratch + "/grub-embedded-\(UUID().uuidString).cfg"
        try configuration.write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        try Program.check(["grub-mkstandalone", "-O", "x86_64-efi", "--modules=" + modules,
                           "--locales=", "--fonts=", "--themes=", "-o", output, "boot/grub/grub.cfg=" + config])
    }

    /// Formats the ESP inside `disk` at `offset` (bytes) with FAT sectors of `sectorSize` bytes
    /// (the disk's logical sector size) and puts GRUB on it, without mounting.
    static func writeESP(disk: String, offset: UInt64, size: UInt64, sectorSize: UInt64 = DiskLayout.sectorSize,
                         scratch: String) throws {
        let grub = scratch + "/BOOTX64.EFI"
        try standaloneGRUB(configuration: configuration, modules: modules, output: grub, scratch: scratch)
        // mkfs.fat counts --offset in sectors of the -S size.
        try Program.check(["mkfs.fat", "-F", "16", "-S", "\(sectorSize)", "-n", "EFI", "--offset=\(offset / sectorSize)",
                           disk, "\(size >> 10)"])
        try copyToBootPath(grub, image: "\(disk)@@\(offset)")
    }

    /// A FAT image file (an El Torito EFI boot image) holding GRUB at the removable-media path.
    static func writeStandaloneImage(configuration: String, modules: String, fatImage: String, scratch: String) throws {
        let grub = scratch + "/BOOTX64-image.EFI"
        try standaloneGRUB(configuration: configuration, modules: modules, output: grub, scratch: scratch)
        let grubSize = (try FileManager.default.attributesOfItem(atPath: grub)[.size] as? NSNumber)?.uint64Value ?? 0
        // The binary and FAT's own structures, rounded up to MiB.
        let kib = ((grubSize + (1 << 20)) >> 20 + 1) << 10
        try Program.check(["mkfs.fat", "-C", "-n", "EFIBOOT", fatImage, "\(kib)"])
        try copyToBootPath(grub, image: fatImage)
    }

    private static func copyToBootPath(_ grub: String, image: String) throws {
        try Program.check(["mmd", "-i", image, "::/EFI", "::/EFI/BOOT"])
        try Program.check(["mcopy", "-i", image, grub, "::/EFI/BOOT/BOOTX64.EFI"])
    }
}
