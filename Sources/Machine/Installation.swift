import Foundation
import ToolSupport

/// An installer run under QEMU, as a user runs it on a machine: the live ISO in the CD drive
/// (or the PXE kernel with its initramfs and rootfs), the target disk, a NoCloud seed if any;
/// the installer writes the target in place and powers off. The console's last
/// `harness-installer:` line says what it did.
public struct InstallationOptions: Sendable {
    public enum Media: Sendable {
        case iso(String)
        case pxe(kernel: String, initramfs: String, rootfs: String)
    }

    public var media: Media
    /// The target: written in place; made (sparse, `diskSize`) when it does not exist, and then
    /// removed again unless the installation succeeds.
    public var disk: String
    public var diskSize: UInt64 = 20 << 30
    public var seed: String?
    public var sectorSize = 512
    public var uefi = false
    public var memoryMiB = 2048
    public var timeout: TimeInterval = 1200
    public var consoleFile: String?
    public var stateDirectory: String
    public var connectURI: String?

    public init(media: Media, disk: String, stateDirectory: String) {
        self.media = media
        self.disk = disk
        self.stateDirectory = stateDirectory
    }
}

public enum Installation {
    /// Runs the installer to its power-off; returns the console's outcome line. Throws when
    /// the installer refused or failed (quoting it) or never ended.
    @discardableResult
    public static func run(_ options: InstallationOptions) throws -> String {
        let scratch = try TemporaryDirectory(prefix: "harness-install-")
        defer { scratch.remove() }
        let bootMedia: DomainDefinition.BootMedia
        switch options.media {
        case .iso(let iso):
            try requireFile(iso)
            bootMedia = .cdrom(URL(fileURLWithPath: iso).standardizedFileURL.path)
        case .pxe(let kernel, let initramfs, let rootfs):
            for file in [kernel, initramfs, rootfs] { try requireFile(file) }
            // What a PXE loader does with two initrds: one after the other in memory.
            let initrd = scratch.path + "/initrd"
            try Program.check(["sh", "-c", "cat \"$1\" \"$2\" >\"$3\"", "sh", initramfs, rootfs, initrd])
            bootMedia = .kernel(kernel: kernel, initrd: initrd, arguments: "console=tty0 console=ttyS0,115200n8 loglevel=4")
        }
        let format = BootDisk.format(ofFileNamed: options.disk) ?? "raw"
        guard ["raw", "qcow2"].contains(format) else { throw MachineError("\(options.disk): install onto a .qcow2 or a raw disk") }
        var madeDisk = false
        if !FileManager.default.fileExists(atPath: options.disk) {
            try Program.check(["qemu-img", "create", "-q", "-f", format, options.disk, "\(options.diskSize)"])
            madeDisk = true
            InterruptCleanup.shared.register(options.disk)
        }
        var installed = false
        defer {
            if madeDisk {
                InterruptCleanup.shared.unregister(options.disk)
                if !installed { try? FileManager.default.removeItem(atPath: options.disk) }
            }
        }
        let connection = try Machine.connect(stateDirectory: options.stateDirectory, uri: options.connectURI)
        Machine.destroyLeftovers(on: connection, stateDirectory: options.stateDirectory)
        let name = "harness-\(getpid())-install-\(UUID().uuidString.prefix(8).lowercased())"
        let console = scratch.path + "/console.txt"
        var definition = DomainDefinition(name: name, accelerator: .detected, memoryMiB: options.memoryMiB, vcpus: 2,
                                          disk: URL(fileURLWithPath: options.disk).standardizedFileURL.path,
                                          diskSectorSize: options.sectorSize, console: console,
                                          agentSocket: scratch.path + "/agent.sock",
                                          nvram: options.uefi ? scratch.path + "/nvram.fd" : nil,
                                          extraDisks: options.seed.map { [AttachedDisk.readOnly($0)] } ?? [])
        definition.diskFormat = format
        definition.detectZeroes = true
        definition.bootMedia = bootMedia
        Console.progress("Installing onto \(options.disk) as \(name)")
        let domain = try connection.createDomain(xml: definition.xml)
        InterruptCleanup.shared.registerAction(name) { if domain.isActive { try? domain.destroy() } }
        defer {
            if domain.isActive { try? domain.destroy() }
            InterruptCleanup.shared.unregisterAction(name)
            if let consoleFile = options.consoleFile {
                try? FileManager.default.removeItem(atPath: consoleFile)
                try? FileManager.default.copyItem(atPath: console, toPath: consoleFile)
            }
        }
        let start = Date()
        var lastReport = start
        while domain.isActive {
            guard Date().timeIntervalSince(start) < options.timeout else {
                throw MachineError("the installer did not power off within \(Int(options.timeout)) s; the console's last lines:\n\(tail(console))")
            }
            if Date().timeIntervalSince(lastReport) >= 15 {
                lastReport = Date()
                let last = tail(console, lines: 1)
                Console.progress(String(format: "Installing (%.0f s): %@", Date().timeIntervalSince(start), ConsoleCheck.plainText(last)))
            }
            Thread.sleep(forTimeInterval: 1)
        }
        let text = (try? String(contentsOfFile: console, encoding: .utf8)) ?? ""
        switch InstallerOutcome(console: text) {
        case .installed(let line):
            Console.progress(String(format: "Installed after %.0f s: %@", Date().timeIntervalSince(start), line))
            installed = true
            return line
        case .refused(let reason): throw MachineError("the installer refused: \(reason)")
        case .failed(let reason): throw MachineError("the installer failed: \(reason)")
        case .unknown: throw MachineError("the installer stopped without saying why; the console's last lines:\n\(tail(console))")
        }
    }

    private static func requireFile(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw MachineError("\(path): no such file") }
    }

    private static func tail(_ console: String, lines: Int = 15) -> String {
        Machine.consoleTail((try? String(contentsOfFile: console, encoding: .utf8)) ?? "", lines: lines)
    }
}
