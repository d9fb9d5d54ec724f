import ArgumentParser
import Foundation
import ImageBuild
import Machine

/// `harness image install`: runs the live installer under QEMU onto a disk image, as it runs
/// on a machine (the ISO in the CD drive, or the PXE trio).
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Run an installer (live ISO or PXE trio of --platform live-iso) under QEMU onto a disk image.",
        discussion: """
            The installer writes the metal image onto --disk (made sparse at --disk-size when it does not \
            exist, and removed again if the installation fails), checks it, copies the --seed if one is \
            attached, and powers off. Exit status 1 when it refused (a disk too small, other sectors: nothing \
            written) or failed, quoting it.
            """)

    @OptionGroup var state: StateOptions

    @Option(help: "The live ISO.")
    var iso: String?

    @Option(parsing: .upToNextOption, help: "The PXE trio instead: KERNEL INITRAMFS ROOTFS.")
    var pxe: [String] = []

    @Option(help: "The disk to install onto (.qcow2 or raw).")
    var disk: String

    @Option(help: "Size of the disk when it is made.")
    var diskSize = "20G"

    @Option(help: "A NoCloud seed (harness image seed) attached while installing: copied into the installed system.")
    var seed: String?

    @Option(help: "The disk's logical sector size: 512 or 4096.")
    var sectorSize = 512

    @Option(help: "bios or uefi.")
    var firmware = "bios"

    @Option(help: "Guest memory in MiB (PXE holds the whole rootfs in memory: give it 4096).")
    var memory = 2048

    @Option(help: "Seconds before the installer is given up.")
    var timeout = 1200

    @Option(help: "Copy the serial console to this file.")
    var console: String?

    @Option(help: "libvirt URI (default: the embedded QEMU driver, no daemon).")
    var connect: String?

    func validate() throws {
        guard (iso == nil) != pxe.isEmpty else { throw ValidationError("give --iso ISO or --pxe KERNEL INITRAMFS ROOTFS") }
        guard pxe.isEmpty || pxe.count == 3 else { throw ValidationError("--pxe takes three files: KERNEL INITRAMFS ROOTFS") }
        guard [512, 4096].contains(sectorSize) else { throw ValidationError("--sector-size must be 512 or 4096") }
        guard ["bios", "uefi"].contains(firmware) else { throw ValidationError("--firmware must be bios or uefi") }
        guard ImageOptions.parseSize(diskSize) != nil else { throw ValidationError("--disk-size '\(diskSize)' is not a size (20G, ...)") }
    }

    func run() throws {
        let media: InstallationOptions.Media = if let iso { .iso(absolute(iso)) }
            else { .pxe(kernel: absolute(pxe[0]), initramfs: absolute(pxe[1]), rootfs: absolute(pxe[2])) }
        var options = InstallationOptions(media: media, disk: absolute(disk), stateDirectory: state.path)
        options.diskSize = ImageOptions.parseSize(diskSize)!
        options.seed = seed.map(absolute)
        options.sectorSize = sectorSize
        options.uefi = firmware == "uefi"
        options.memoryMiB = memory
        options.timeout = TimeInterval(timeout)
        options.consoleFile = console.map(absolute)
        options.connectURI = connect
        try Installation.run(options)
    }
}
