import ArgumentParser
import Foundation
import ImageBuild
import ToolSupport

/// `harness image build`: an OSTree commit into a bootable qcow2 or raw disk.
struct ImageBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Write an OSTree commit into a bootable disk image (MBR, /boot and root, extlinux).")

    @OptionGroup var state: StateOptions

    @Option(help: "OSTree repository holding the commit (default: STATE/repo).")
    var repo: String?

    @Option(help: "The ref (or commit) to deploy.")
    var ref: String

    @Option(name: .shortAndLong, help: "Image file to write.")
    var output: String

    @Option(help: "qcow2 or raw.")
    var format: String = "qcow2"

    @Option(help: "Disk size: 8G, 4096M, ...")
    var size: String = "8G"

    @Option(name: .customLong("karg"), help: "An extra kernel argument (K=V or K); repeatable.")
    var kernelArguments: [String] = []

    @Option(help: "bios or uefi.")
    var firmware: String = "bios"

    func run() throws {
        var options = ImageOptions(repository: absolute(repo ?? state.path + "/repo"), ref: ref, output: absolute(output))
        guard let format = ImageOptions.Format(rawValue: format) else {
            throw ValidationError("--format must be one of: \(ImageOptions.Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let firmware = ImageOptions.Firmware(rawValue: firmware) else {
            throw ValidationError("--firmware must be one of: \(ImageOptions.Firmware.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let bytes = ImageOptions.parseSize(size) else {
            throw ValidationError("--size '\(size)' is not a size (8G, 4096M, ...)")
        }
        options.format = format
        options.firmware = firmware
        options.size = bytes
        options.kernelArguments = kernelArguments
        try ImageBuilder(options: options).build()
    }
}
