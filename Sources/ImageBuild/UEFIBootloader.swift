import Foundation
import ToolSupport

/// The UEFI side of a hybrid image: a FAT ESP whose removable-media path
/// (`\EFI\BOOT\BOOTX64.EFI`) is a standalone GRUB. Its embedded configuration finds the
/// partition labelled `boot` and reads the syslinux.cfg that ostree swaps atomically on every
/// deployment change: one set of entries for both firmwares, nothing to register in NVRAM.
enum UEFIBootloader {
    static let modules = "part_gpt fat ext2 normal linux syslinuxcfg configfile search search_label echo test serial terminal efi_gop boot"

    static let configuration = """
        serial --unit=0 --speed=115200
        terminal_input serial console
        terminal_output serial console
        search --no-floppy --label boot --set=root
        syslinux_configfile -r / -c /syslinux/ /syslinux/syslinux.cfg

        """

    /// Formats the ESP inside `disk` at `offset` (bytes) with FAT sectors of `sectorSize` bytes
    /// (the disk's logical sector size) and puts GRUB on it, without mounting.
    static func writeESP(disk: String, offset: UInt64, size: UInt64, sectorSize: UInt64 = DiskLayout.sectorSize,
                         scratch: String) throws {
        let config = scratch + "/grub-embedded.cfg"
        try configuration.write(toFile: config, atomically: true, encoding: .utf8)
        let grub = scratch + "/BOOTX64.EFI"
        try Program.check(["grub-mkstandalone", "-O", "x86_64-efi", "--modules=" + modules,
                           "--locales=", "--fonts=", "--themes=", "-o", grub, "boot/grub/grub.cfg=" + config])
        // mkfs.fat counts --offset in sectors of the -S size.
        try Program.check(["mkfs.fat", "-F", "16", "-S", "\(sectorSize)", "-n", "EFI", "--offset=\(offset / sectorSize)",
                           disk, "\(size >> 10)"])
        let image = "\(disk)@@\(offset)"
        try Program.check(["mmd", "-i", image, "::/EFI", "::/EFI/BOOT"])
        try Program.check(["mcopy", "-i", image, grub, "::/EFI/BOOT/BOOTX64.EFI"])
    }
}
