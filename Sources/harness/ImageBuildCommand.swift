import ArgumentParser
import Foundation
import ImageBuild
import ToolSupport

/// `harness image build`: an OSTree commit into a bootable qcow2 or raw disk, or into every
/// platform's artifact and a meta.json.
struct ImageBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Write an OSTree commit into a bootable disk image (MBR, /boot and root, extlinux).",
        discussion: """
            With --platform (repeatable: \(Platform.allCases.map(\.rawValue).joined(separator: ", ")), \(Platform.liveISO)), \
            -o is a directory: one hybrid disk (GPT, BIOS and UEFI) is built once and written out in each platform's \
            format, with the platform's kernel arguments, beside a meta.json (coreos-assembler's images map). \
            live-iso is the installer of the metal image: a hybrid ISO and the PXE kernel, initramfs and rootfs.
            """)

    @OptionGroup var state: StateOptions

    @Option(help: "OSTree repository holding the commit (default: STATE/repo).")
    var repo: String?

    @Option(help: "The ref (or commit) to deploy.")
    var ref: String

    @Option(name: .shortAndLong, help: "Image file to write; with --platform, the directory for the artifacts.")
    var output: String

    @Option(help: "qcow2 or raw.")
    var format: String = "qcow2"

    @Option(help: "Disk size: 8G, 4096M, ...")
    var size: String = "8G"

    @Option(name: .customLong("karg"), help: "An extra kernel argument (K=V or K); repeatable.")
    var kernelArguments: [String] = []

    @Option(help: "bios or uefi.")
    var firmware: String = "bios"

    @Option(name: .customLong("platform"), help: "A platform to write an artifact for; repeatable.")
    var platforms: [String] = []

    @Option(help: "Compress the platform artifacts afterwards: xz, zstd or gzip.")
    var compress: String?

    @Option(help: "Where the image's `harness` remote fetches updates from.")
    var remoteUrl = ImageOptions.defaultRemoteURL

    @Option(help: "A public key file: the image's remote verifies commits and the summary with it (gpg-verify=true).")
    var gpgImport: String?

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
        options.remoteURL = remoteUrl
        if let gpgImport {
            let path = absolute(gpgImport)
            guard try Program.run(["gpg", "--batch", "--show-keys", path]).succeeded else {
                throw ValidationError("--gpg-import \(path): not an OpenPGP public key file")
            }
            options.gpgImport = path
        }
        (options.platforms, options.liveISO) = try Platform.parse(platforms)
        if let compress {
            guard let compression = Compression(rawValue: compress) else {
                throw ValidationError("--compress must be one of: \(Compression.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard !options.platforms.isEmpty else { throw ValidationError("--compress applies to --platform artifacts") }
            guard !options.liveISO else {
                throw ValidationError("--compress with live-iso: the installer is cut from the uncompressed metal image; compress afterwards")
            }
            options.compression = compression
        }
        try ImageBuilder(options: options).build()
    }
}
