import ArgumentParser
import Foundation
import ImageBuild

/// `harness image extend`: more platforms from a build's metal artifact (`cosa buildextend-*`).
struct ImageExtendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extend",
        abstract: "Add platforms' artifacts to an `image build --platform` directory, from its metal artifact.",
        discussion: """
            Reads BUILD's meta.json and its uncompressed metal artifact (never writes it), and writes each \
            --platform's artifact as `image build` would have, with that platform's kernel arguments in place of \
            metal's: no commit, sysroot or appliance needed. The artifacts and the updated meta.json go into BUILD, \
            or into -o DIR (whose meta.json, if any, must be of the same commit). live-iso needs the sysroot: \
            `image build` writes it.
            """)

    @Argument(help: "The directory an `image build --platform metal ...` wrote (holding meta.json).")
    var build: String

    @Option(name: .customLong("platform"), help: "A platform to add (not metal, not live-iso); repeatable.")
    var platforms: [String] = []

    @Option(name: .shortAndLong, help: "Write the artifacts and a meta.json here instead of into BUILD.")
    var output: String?

    @Option(help: "Compress the new artifacts afterwards: xz, zstd or gzip.")
    var compress: String?

    func run() throws {
        let (platforms, liveISO) = try Platform.parse(self.platforms)
        guard !liveISO else {
            throw ValidationError("--platform live-iso is cut from the sysroot: `image build --platform live-iso` writes it")
        }
        var compression: Compression?
        if let compress {
            guard let chosen = Compression(rawValue: compress) else {
                throw ValidationError("--compress must be one of: \(Compression.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            compression = chosen
        }
        try PlatformExtension(buildDirectory: absolute(build), output: output.map(absolute), platforms: platforms,
                              compression: compression).run()
    }
}
