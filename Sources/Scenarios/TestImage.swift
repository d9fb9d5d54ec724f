import Compose
import Foundation
import ImageBuild
import ToolSupport

/// The image tests boot: a treefile composed into the state's repository and written into a
/// qcow2 under `STATE/images`, named after the commit (and kernel arguments), so that an
/// unchanged treefile costs a compose that writes nothing and no image build.
public struct TestImage: Sendable {
    public var treefile: String
    /// The ref the image's deployment follows (`harness:REF`).
    public var ref: String
    public var commit: String
    public var path: String

    /// Composes `treefile` and builds its image if no image of that commit exists yet.
    public static func prepare(treefile: String, stateDirectory: String) throws -> TestImage {
        Console.progress("Composing \(treefile)")
        let result = try Composer(options: composeOptions(stateDirectory: stateDirectory)).compose(treefilePath: treefile)
        Console.progress((result.changed ? "Composed " : "Unchanged: ") + "\(result.ref) \(result.commit)")
        var image = TestImage(treefile: treefile, ref: result.ref, commit: result.commit, path: "")
        image.path = try image.build(kernelArguments: [], stateDirectory: stateDirectory)
        return image
    }

    /// The options of every compose harness run makes: the state's repository and cache.
    static func composeOptions(stateDirectory: String) -> ComposeOptions {
        ComposeOptions(repository: stateDirectory + "/repo", cacheDirectory: stateDirectory + "/cache")
    }

    /// The image of this commit with `kernelArguments` added, built on first use.
    public func build(kernelArguments: [String], stateDirectory: String) throws -> String {
        let suffix = kernelArguments.isEmpty ? "" : "-" + Digest.sha256(kernelArguments.joined(separator: " ")).prefix(12)
        let path = stateDirectory + "/images/\(commit)\(suffix).qcow2"
        if FileManager.default.fileExists(atPath: path) {
            Console.progress("Image of \(commit.prefix(12)) cached: \(path)")
            return path
        }
        try FileManager.default.createDirectory(atPath: stateDirectory + "/images", withIntermediateDirectories: true)
        var options = ImageOptions(repository: stateDirectory + "/repo", ref: ref, output: path)
        options.kernelArguments = kernelArguments
        try ImageBuilder(options: options).build()
        return path
    }
}
