import Foundation
import ToolSupport

/// `--platform live-iso`: the installer of the metal image, as a hybrid ISO (isolinux for the
/// BIOS, a standalone GRUB on an El Torito EFI image for UEFI, MBR and GPT for USB sticks) and
/// as the PXE trio (kernel, initramfs, and a rootfs archive a PXE loader appends). The live
/// environment is the commit's own kernel with a small initramfs: the host's static busybox,
/// the disk, CD, USB and filesystem modules with their dependencies, and `InstallerScript`.
struct LiveInstaller {
    /// The metal image it installs, with its name.
    let metalImage: String
    let imageName: String
    let osName: String
    /// The deployment (its kernel modules) and the kernel, from the image build.
    let deployment: RootedTree
    let kernel: String
    let kernelVersion: String
    let name: String
    let scratch: String

    /// Kernel arguments of the live environment.
    static let kernelArguments = "console=tty0 console=ttyS0,115200n8 loglevel=4"
    /// What the installer needs of the kernel: disks (virtio, SATA, NVMe, SCSI, USB), CDs and
    /// ISO 9660, ext4 for copying the seed.
    static let modules = [
        "virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "sr_mod", "cdrom", "isofs",
        "ahci", "ata_piix", "ata_generic", "nvme", "xhci_pci", "ehci_pci", "usb_storage", "uas",
        "hv_storvsc", "vmw_pvscsi", "crc32c_generic", "ext4",
    ]
    static let busybox = "/bin/busybox"

    func fileName(_ key: String) -> String {
        switch key {
        case "live-iso": "\(name)-live.iso"
        case "live-kernel": "\(name)-live-kernel"
        case "live-initramfs": "\(name)-live-initramfs.img"
        default: "\(name)-live-rootfs.img"
        }
    }

    /// Writes the ISO and the PXE trio into `directory`; returns their paths under meta.json's keys.
    func write(into directory: String) throws -> [String: String] {
        let payload = scratch + "/payload/harness"
        try FileManager.default.createDirectory(atPath: payload, withIntermediateDirectories: true)
        Console.progress("Cutting the metal image into the installer's payload")
        try InstallerPayload(image: metalImage, imageName: imageName, osName: osName, sectorSize: 512).write(into: payload)

        Console.progress("Making the live initramfs (busybox, \(kernelVersion) modules, the installer)")
        let initramfs = scratch + "/initramfs.img"
        try makeInitramfs(initramfs)

        let outputs = ["live-iso", "live-kernel", "live-initramfs", "live-rootfs"].reduce(into: [String: String]()) {
            $0[$1] = directory + "/" + fileName($1)
        }
        try FileTree.copyRegularFile(from: kernel, to: outputs["live-kernel"]!)
        try FileTree.copyRegularFile(from: initramfs, to: outputs["live-initramfs"]!)
        // The rootfs: the payload as a cpio the kernel unpacks after the initramfs.
        try Program.check(["sh", "-c", "cd \"$1\" && find harness | cpio --quiet -o -H newc -R 0:0 >\"$2\"",
                           "sh", scratch + "/payload", outputs["live-rootfs"]!])
        Console.progress("Writing the hybrid ISO")
        try makeISO(outputs["live-iso"]!, initramfs: initramfs, payload: payload)
        return outputs
    }

    private func makeInitramfs(_ output: String) throws {
        let root = scratch + "/initramfs"
        let fm = FileManager.default
        for directory in ["bin", "etc", "lib/modules", "dev", "proc", "sys"] {
            try fm.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        guard fm.fileExists(atPath: Self.busybox) else {
            throw ImageError("\(Self.busybox): missing on this host (Debian's busybox-static; scripts/setup.sh installs it)")
        }
        try FileTree.copyRegularFile(from: Self.busybox, to: root + "/bin/busybox")
        chmod(root + "/bin/busybox", 0o755)
        let loaded = try KernelModules(tree: deployment, kernelVersion: kernelVersion).install(Self.modules, into: root + "/lib/modules")
        try (loaded.joined(separator: "\n") + "\n").write(toFile: root + "/etc/modules-load", atomically: false, encoding: .utf8)
        try InstallerScript.text.write(toFile: root + "/init", atomically: false, encoding: .utf8)
        chmod(root + "/init", 0o755)
        // gzip'ed newc, padded to 4 bytes: the rootfs cpio may be appended right after it.
        try Program.check(["sh", "-c", "cd \"$1\" && find . | cpio --quiet -o -H newc -R 0:0 | gzip -6 >\"$2\" && truncate -s %4 \"$2\"",
                           "sh", root, output])
    }

    /// isolinux (BIOS, El Torito and the isohybrid MBR) and GRUB on an EFI image (UEFI, and
    /// the isohybrid GPT), both booting the same kernel and initramfs.
    private func makeISO(_ output: String, initramfs: String, payload: String) throws {
        let tree = scratch + "/iso"
        let fm = FileManager.default
        for directory in ["isolinux", "images"] {
            try fm.createDirectory(atPath: tree + "/" + directory, withIntermediateDirectories: true)
        }
        try FileTree.copyRegularFile(from: "/usr/lib/ISOLINUX/isolinux.bin", to: tree + "/isolinux/isolinux.bin")
        try FileTree.copyRegularFile(from: "/usr/lib/syslinux/modules/bios/ldlinux.c32", to: tree + "/isolinux/ldlinux.c32")
        try """
            SERIAL 0 115200
            DEFAULT install
            PROMPT 0
            TIMEOUT 1
            LABEL install
              KERNEL /images/vmlinuz
              INITRD /images/initramfs.img
              APPEND \(Self.kernelArguments)

            """.write(toFile: tree + "/isolinux/isolinux.cfg", atomically: false, encoding: .utf8)
        try FileTree.copyRegularFile(from: kernel, to: tree + "/images/vmlinuz")
        try FileTree.copyRegularFile(from: initramfs, to: tree + "/images/initramfs.img")
        try fm.moveItem(atPath: payload, toPath: tree + "/harness")
        defer { try? fm.moveItem(atPath: tree + "/harness", toPath: payload) }

        let grubConfig = """
            serial --unit=0 --speed=115200
            terminal_input serial console
            terminal_output serial console
            search --no-floppy --label \(InstallerScript.volumeLabel) --set=root
            linux /images/vmlinuz \(Self.kernelArguments)
            initrd /images/initramfs.img
            boot

            """
        let efiImage = tree + "/images/efiboot.img"
        try UEFIBootloader.writeStandaloneImage(configuration: grubConfig, modules: UEFIBootloader.isoModules,
                                                fatImage: efiImage, scratch: scratch)
        try Program.check([
            "xorriso", "-as", "mkisofs", "-quiet", "-o", output, "-V", InstallerScript.volumeLabel, "-J", "-R",
            "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4",
            "-boot-info-table", "-isohybrid-mbr", "/usr/lib/ISOLINUX/isohdpfx.bin",
            "-eltorito-alt-boot", "-e", "images/efiboot.img", "-no-emul-boot", "-isohybrid-gpt-basdat", tree,
        ])
    }
}
