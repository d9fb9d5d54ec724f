import ArgumentParser
import Foundation
import ImageBuild
import Machine
import Results
import ToolSupport

/// `harness spawn`: boot an image, run commands in it, tear it down.
struct Spawn: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot an image on a fresh overlay and run commands in it through the guest agent.",
        discussion: """
            Each command's stdout goes to stdout, its stderr to stderr; the exit status is the \
            first failing command's. The domain and overlay are removed on every exit, Ctrl-C \
            included, unless --keep.
            """)

    @OptionGroup var state: StateOptions

    @Argument(help: "The disk image: qcow2, raw, vmdk, vhd, vhdx, a gcp tar.gz or an OVA (every format image build writes).")
    var image: String

    @Option(name: .customLong("exec"), help: "A shell command to run in the guest; repeatable.")
    var commands: [String] = []

    @Flag(help: "Leave the machine running (until Ctrl-C).")
    var keep = false

    @Option(help: "libvirt URI (default: the embedded QEMU driver, no daemon).")
    var connect: String?

    @Option(help: "Guest memory in MiB.")
    var memory: Int = 1536

    @Option(help: "Copy the serial console to this file.")
    var console: String?

    @Flag(help: "Reboot once after the commands and run them again (checks a new boot id).")
    var reboot = false

    @Option(name: .customLong("disk"), help: "A raw disk image to attach read-only (an update disk); repeatable.")
    var disks: [String] = []

    @Option(help: "bios or uefi (OVMF); images built with --firmware uefi boot with either.")
    var firmware: String = "bios"

    @Option(help: "The disk's size as the guest sees it (20G, ...), when larger than the image.")
    var diskSize: String?

    @Option(help: "The boot disk's logical sector size: 512, or 4096 for a metal4k image.")
    var sectorSize: Int = 512

    @Option(help: "Seconds to wait for the guest agent to answer after power-on.")
    var bootTimeout: Int = 300

    @Flag(help: "Print where each boot's time went (firmware and boot loader, kernel, initramfs, userspace to the guest agent).")
    var profile = false

    @Flag(help: "Restore the image's saved first boot (STATE/saved-boots) instead of booting; without one, boot, and once the boot has finished cleanly save it for later spawns.")
    var restore = false

    func run() throws {
        var options = SpawnOptions(image: absolute(image), stateDirectory: state.path)
        options.connectURI = connect
        options.memoryMiB = memory
        options.consoleFile = console.map(absolute)
        options.extraDisks = disks.map { AttachedDisk.readOnly(absolute($0)) }
        guard ["bios", "uefi"].contains(firmware) else { throw ValidationError("--firmware must be bios or uefi") }
        options.uefi = firmware == "uefi"
        guard bootTimeout > 0 else { throw ValidationError("--boot-timeout must be a positive number of seconds") }
        options.bootTimeout = TimeInterval(bootTimeout)
        guard [512, 4096].contains(sectorSize) else { throw ValidationError("--sector-size must be 512 or 4096") }
        options.sectorSize = sectorSize
        if let diskSize {
            guard let bytes = ImageOptions.parseSize(diskSize) else { throw ValidationError("--disk-size '\(diskSize)' is not a size (20G, ...)") }
            options.diskSize = bytes
        }
        options.restore = restore
        let machine = try Machine.boot(options)
        defer { machine.shutdown() }
        printProfile(of: machine)
        if restore { try keepFirstBoot(of: machine) }
        var failure = try runCommands(on: machine)
        if reboot {
            try machine.reboot()
            printProfile(of: machine)
            let second = try runCommands(on: machine)
            if failure == 0 { failure = second }
        }
        try machine.checkConsole()
        if keep {
            Console.progress("Machine \(machine.name) is running; console in \(machine.consolePath). Ctrl-C stops it.")
            while true { Thread.sleep(forTimeInterval: 3600) }
        }
        if failure != 0 { throw ExitCode(failure) }
    }

    /// With --restore, a first boot that was not restored is saved once it finished cleanly
    /// (a boot that ended otherwise fails here, and nothing is saved).
    private func keepFirstBoot(of machine: Machine) throws {
        guard machine.bootClock.restoredFrom == nil else { return }
        let state = try machine.channel.run("timeout 600 systemctl is-system-running --wait", timeout: 660).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard state == "running" else {
            throw MachineError("\(image): the first boot ended '\(state)', not 'running': not saved (systemctl --failed in the guest says why)")
        }
        if try machine.keepFirstBoot() { printProfile(of: machine) }
    }

    /// With --profile, the boot's profile on stderr (or why there is none).
    private func printProfile(of machine: Machine) {
        guard profile else { return }
        if machine.bootClock.restoredFrom != nil, let answered = machine.bootClock.answered {
            Console.progress(String(format: "Boot profile: restored from the saved first boot; ready %.1f s after the restore began",
                                    answered.timeIntervalSince(machine.bootClock.poweredOn)))
            return
        }
        do {
            Console.progress("Boot profile: " + (try BootProfile.measure(machine)).summary)
        } catch {
            Console.progress("Boot profile: the guest did not answer (\(error))")
        }
    }

    /// Runs every `--exec` command, output passed through; returns the first failing status.
    private func runCommands(on machine: Machine) throws -> Int32 {
        var failure: Int32 = 0
        for command in commands {
            Console.progress("$ \(command)")
            let result = try machine.channel.run(command)
            FileHandle.standardOutput.write(Data(result.stdout.utf8))
            FileHandle.standardError.write(Data(result.stderr.utf8))
            if result.exitCode != 0 && failure == 0 {
                Console.error("'\(command)' exited with \(result.exitCode)")
                failure = result.exitCode
            }
        }
        return failure
    }
}
