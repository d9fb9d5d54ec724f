import Foundation
import ToolSupport

/// `harness image extend`: more platforms' artifacts from a build's metal artifact, without
/// the commit or a sysroot, as `cosa buildextend-PLATFORM` adds to a build. The metal disk is
/// the hybrid disk with `harness.platform=metal` in its boot entries; each platform gets a
/// sparse copy with its own arguments in their place, then its container. The build's files
/// are only read. The artifacts go into the build directory (or `output`), meta.json last.
public struct PlatformExtension {
    public var buildDirectory: String
    public var output: String
    public var platforms: [Platform]
    public var compression: Compression?

    public init(buildDirectory: String, output: String? = nil, platforms: [Platform], compression: Compression? = nil) {
        self.buildDirectory = buildDirectory
        self.output = output ?? buildDirectory
        self.platforms = platforms
        self.compression = compression
    }

    /// Writes the artifacts; returns the output directory's meta.json as written.
    @discardableResult
    public func run() throws -> BuildMetadata {
        let build = try BuildMetadata.read(directory: buildDirectory)
        let metaPath = buildDirectory + "/" + BuildMetadata.fileName
        guard !platforms.isEmpty else { throw ImageError("image extend: name a --platform to add") }
        guard !platforms.contains(.metal) else {
            throw ImageError("--platform metal: the metal artifact is what \(metaPath) is extended from")
        }
        guard let metal = build.images[Platform.metal.rawValue], metal.uncompressedSHA256 == nil else {
            throw ImageError("\(metaPath): no uncompressed metal artifact to extend from "
                             + "(image build --platform metal, without --compress)")
        }
        let metalPath = buildDirectory + "/" + metal.path
        guard !metal.path.contains("/"), let size = try? FileTree.size(of: metalPath), size == build.diskSize else {
            throw ImageError("\(metalPath): not the \(ByteCount.format(build.diskSize)) disk \(metaPath) names")
        }
        // The output's meta.json gains the new artifacts: the build's own, or another
        // directory's (of the same commit), or a new one holding only them.
        var merged = build
        if output != buildDirectory {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let existing = try? BuildMetadata.read(directory: output)
            if let existing, existing.commit != build.commit || existing.name != build.name || existing.diskSize != build.diskSize {
                throw ImageError("\(output)/\(BuildMetadata.fileName): artifacts of commit \(existing.commit.prefix(12)), "
                                 + "not \(build.commit.prefix(12)): extend into another directory")
            }
            merged.images = existing?.images ?? [:]
        }

        let scratch = try TemporaryDirectory(prefix: "harness-image-", in: "/var/tmp")
        defer { scratch.remove() }
        let layout = DiskLayout(diskSize: build.diskSize, firmware: .uefi)
        let boot = scratch.path + "/boot"
        try FileManager.default.createDirectory(atPath: boot, withIntermediateDirectories: false)
        try PlatformBootArguments.copyLoader(disk: metalPath, bootOffset: layout.bootOffset, into: boot)
        let images = PlatformImages(raw: metalPath, layout: layout,
                                    bootArguments: PlatformBootArguments(bootContent: boot, bootOffset: layout.bootOffset,
                                                                         replacing: Platform.metal.kernelArguments),
                                    name: build.name, compression: compression, scratch: scratch.path)
        let staged = try TemporaryDirectory(prefix: ".harness-build-", in: output)
        defer { staged.remove() }
        let started = Date()
        let written = try images.write(platforms, into: staged.path)
        for (platform, artifact) in written { merged.images[platform.rawValue] = artifact }
        try merged.install(Array(written.values), from: staged.path, into: output)
        Console.progress("Wrote \(written.count) platform image(s) from \(metal.path) into \(output) "
                         + "(\(Int(Date().timeIntervalSince(started))) s)")
        return merged
    }
}
