import Compose
import Foundation
import ImageBuild
import ToolSupport

/// The image tests boot: a commit of the state's repository (a treefile composed there, or a
/// team's commit copied in by `CommitSource`) written into a qcow2 under `STATE/images`, named
/// after the commit (and what else went into the image), so that an unchanged treefile costs
/// a compose that writes nothing and no image build.
public struct TestImage: Sendable {
    /// The ref the image's deployment follows (`harness:REF`).
    public var ref: String
    public var commit: String
    /// The deployment's stateroot.
    public var osName: String
    /// Root's `authorized_keys` lines (the SSH channel's key).
    public var authorizedKeys: [String]
    public var path = ""

    public init(ref: String, commit: String, osName: String = ImageOptions.defaultOSName, authorizedKeys: [String] = []) {
        self.ref = ref
        self.commit = commit
        self.osName = osName
        self.authorizedKeys = authorizedKeys
    }

    /// Composes `treefile` into the state's repository; `prepare()` builds its image.
    public static func composing(treefile: String, stateDirectory: String) throws -> (ref: String, commit: String) {
        Console.progress("Composing \(treefile)")
        let result = try Composer(options: composeOptions(stateDirectory: stateDirectory)).compose(treefilePath: treefile)
        Console.progress((result.changed ? "Composed " : "Unchanged: ") + "\(result.ref) \(result.commit)")
        return (result.ref, result.commit)
    }

    /// Builds the image if no image of this commit (and keys) exists yet.
    public mutating func prepare(stateDirectory: String) throws {
        path = try build(kernelArguments: [], stateDirectory: stateDirectory)
    }

    /// The options of every compose harness run makes: the state's repository and cache.
    static func composeOptions(stateDirectory: String) -> ComposeOptions {
        ComposeOptions(repository: stateDirectory + "/repo", cacheDirectory: stateDirectory + "/cache")
    }

    /// The image of this commit with `kernelArguments` added, built on first use; with
    /// `updateServer`, its remote is that URL and verifies with that key file.
    public func build(kernelArguments: [String], stateDirectory: String,
                      updateServer: (url: String, keyFile: String)? = nil) throws -> String {
        var variant = [kernelArguments.joined(separator: " "), authorizedKeys.joined(separator: "\n"),
                       osName == ImageOptions.defaultOSName ? "" : osName]
        if let updateServer { variant += [updateServer.url, try Digest.sha256(file: updateServer.keyFile)] }
        let suffix = variant.allSatisfy(\.isEmpty) ? "" : "-" + Digest.sha256(variant.joined(separator: "\0")).prefix(12)
        let path = stateDirectory + "/images/\(commit)\(suffix).qcow2"
        if FileManager.default.fileExists(atPath: path) {
            Console.progress("Image of \(commit.prefix(12)) cached: \(path)")
            return path
        }
        try FileManager.default.createDirectory(atPath: stateDirectory + "/images", withIntermediateDirectories: true)
        var options = ImageOptions(repository: stateDirectory + "/repo", ref: ref, output: path)
        options.kernelArguments = kernelArguments
        options.osName = osName
        options.authorizedKeys = authorizedKeys
        if let updateServer {
            options.remoteURL = updateServer.url
            options.gpgImport = updateServer.keyFile
        }
        try ImageBuilder(options: options).build()
        return path
    }
}
